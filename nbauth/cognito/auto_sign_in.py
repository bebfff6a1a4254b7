"""Amplify v6's ``autoSignIn``: sign in after ``signUp`` + ``confirmSignUp``, without asking again.

What Amplify does (``signUp``/``confirmSignUp``/``autoSignIn`` in ``@aws-amplify/auth`` 6), and so
what nbauth does:

* ``sign_up(..., auto_sign_in=True)`` (or a dict of sign-in options: ``auth_flow``,
  ``preferred_challenge``, ``client_metadata``) starts the flow. When ``SignUp`` already confirmed
  the user (a pre sign-up trigger's ``autoConfirmUser``), the result's ``next_step`` is
  ``{"sign_up_step": "COMPLETE_AUTO_SIGN_IN"}``; otherwise ``CONFIRM_SIGN_UP`` as usual.
* ``confirm_sign_up(...)`` for the same username answers ``COMPLETE_AUTO_SIGN_IN`` and keeps the
  ``Session`` that ``ConfirmSignUp`` returned; for another username it ends the flow (``DONE``).
* ``auto_sign_in()`` completes it — it is not automatic: Amplify, too, waits for the app to call
  ``autoSignIn()``. With ``auth_flow="USER_AUTH"`` it calls ``InitiateAuth(USER_AUTH, Session)``
  (Cognito counts the confirmation code as the first factor: no password is sent); otherwise it
  signs in with the sign-up's password and flow (``USER_SRP_AUTH`` by default).
* ``auto_sign_in()`` with no flow ready raises ``AutoSignInException`` ("The autoSignIn flow has
  not started, or has been cancelled/completed."), as Amplify does. The flow ends after one
  ``auto_sign_in()`` (success or failure), a ``sign_in()``, a ``sign_out()`` or a new ``sign_up``.

The password is held in a plain attribute (never in a ``repr``) until then, as Amplify holds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidParameterError, InvalidStateError
from .user_pool_client import check_client_metadata

__all__ = ["AutoSignIn", "auto_sign_in_not_started", "start_auto_sign_in"]

_OPTION_KEYS = frozenset({"auth_flow", "preferred_challenge", "client_metadata"})


@dataclass
class AutoSignIn:
    """An auto sign-in waiting for ``auto_sign_in()`` (holds the password: no useful repr)."""

    username: str
    password: str | None = field(repr=False)
    auth_flow: str
    preferred_challenge: str | None
    client_metadata: dict[str, str] | None = field(repr=False)
    session: str | None = field(default=None, repr=False)
    ready: bool = False  # the user is confirmed; auto_sign_in() may run


def start_auto_sign_in(
    option: bool | Mapping[str, Any], username: str, password: str
) -> AutoSignIn | None:
    """The pending auto sign-in ``sign_up(auto_sign_in=option)`` asks for (None: not asked)."""
    if option is False or option is None:
        return None
    if option is True:
        options: Mapping[str, Any] = {}
    elif isinstance(option, Mapping):
        options = option
        unknown = sorted(set(options) - _OPTION_KEYS)
        if unknown:
            raise InvalidParameterError(
                f"auto_sign_in options: unknown key(s) {', '.join(map(str, unknown))}.",
                "Use auth_flow, preferred_challenge and client_metadata.",
            )
    else:
        raise InvalidParameterError("auto_sign_in must be True, False or a dict of options.")
    auth_flow = options.get("auth_flow") or "USER_SRP_AUTH"
    if not isinstance(auth_flow, str):
        raise InvalidParameterError("auto_sign_in's auth_flow must be a string.")
    keep_password = auth_flow != "CUSTOM_WITHOUT_SRP"  # as Amplify
    return AutoSignIn(
        username=username.strip(),
        password=password if keep_password else None,
        auth_flow=auth_flow,
        preferred_challenge=options.get("preferred_challenge"),
        client_metadata=check_client_metadata(options.get("client_metadata")),
    )


def auto_sign_in_not_started() -> InvalidStateError:
    """Amplify's ``AutoSignInException``."""
    return InvalidStateError(
        "The autoSignIn flow has not started, or has been cancelled/completed.",
        "Please try to use the sign_in API or log out before starting a new autoSignIn flow.",
        name="AutoSignInException",
    )
