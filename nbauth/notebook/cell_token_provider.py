"""``@nbauth.token_provider``: a function defined in a cell becomes the default Auth's
:class:`~nbauth.TokenProvider`.

Importing this module does not import IPython: the decorator works in scripts too.

Example::

    @nbauth.token_provider
    def my_tokens(force_refresh=False):
        return {"id_token": get_id_token_from_my_sso(force_refresh)}
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ..auth import Auth

__all__ = ["CellTokenProvider", "token_provider"]

F = TypeVar("F", bound=Callable[..., Any])


class CellTokenProvider:
    """A :class:`~nbauth.TokenProvider` made from a function defined in a cell.

    The function takes ``force_refresh`` (or nothing) and returns a dict, an
    :class:`~nbauth.AuthTokens` or ``None``.
    """

    def __init__(self, function: Callable[..., Any]) -> None:
        if not callable(function):
            from ..errors import InvalidParameterError

            raise InvalidParameterError(
                f"@nbauth.token_provider decorates a function, not {type(function).__name__}.",
                "Decorate def my_tokens(force_refresh=False): return {'id_token': ...}.",
            )
        self.function = function
        self._takes_flag = _accepts_force_refresh(function)

    def get_tokens(self, *, force_refresh: bool = False) -> Any:
        if self._takes_flag:
            return self.function(force_refresh=force_refresh)
        return self.function()

    def __repr__(self) -> str:
        name = getattr(self.function, "__qualname__", type(self.function).__name__)
        return f"CellTokenProvider({name})"


def _accepts_force_refresh(function: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return True
    return "force_refresh" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


def token_provider(function: F | None = None, *, auth: Auth | None = None) -> Any:
    """Register a function as the :class:`~nbauth.TokenProvider` of the default Auth.

    The function is called as ``function(force_refresh=...)`` whenever nbauth needs tokens and
    returns ``{"id_token": ..., "access_token": ...}``, an :class:`~nbauth.AuthTokens`, or
    ``None`` (nobody signed in). Decorating again — e.g. re-running the cell — replaces the
    previous one; the cached session and the credentials of the previous tokens are dropped, so
    the next call uses the new function (:meth:`Auth.set_token_provider`). Returns the function
    unchanged. ``auth=`` registers on another :class:`~nbauth.Auth`.

    Example::

        @nbauth.token_provider
        def my_tokens(force_refresh=False):
            return {"id_token": corp_sso.id_token(refresh=force_refresh)}

        nbauth.boto3_session().client("s3")   # credentials for that token
    """

    def register(fn: F) -> F:
        provider = CellTokenProvider(fn)
        target = auth
        if target is None:
            from ..api import current_auth

            target = current_auth()
        target.set_token_provider(provider)
        return fn

    if function is None:
        return register
    return register(function)
