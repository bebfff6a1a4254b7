"""``nbauth_session``: a live view of the current session, and what a cell may show about it.

:class:`LiveSession` holds no session of its own: every attribute reads
:meth:`Auth.fetch_auth_session` at that moment (a cached read while credentials are fresh), so
a variable kept in the notebook never goes stale. Its reprs show no secret.

The helpers below read an :class:`~nbauth.Auth` for display (who is signed in, through which
provider, what is pending) without any network call and without secrets.

Example::

    %load_ext nbauth
    nbauth_session.identity_id          # whatever the session is right now
    nbauth_session.credentials          # AWSCredentials(access_key_id='****WXYZ', ...)
    nbauth_session                      # a redacted summary
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .display import Message, mm_ss

if TYPE_CHECKING:
    import boto3

    from ..auth import Auth
    from ..core.values import AuthSession, AuthTokens, AWSCredentials

__all__ = [
    "LiveSession",
    "pending_description",
    "provider_name",
    "signed_in_claims",
    "user_name",
]


def _current_auth() -> Auth:
    from ..api import current_auth

    return current_auth()


class LiveSession:
    """The current session of an :class:`~nbauth.Auth`, read afresh on every access.

    ``auth`` is an ``Auth`` or a callable returning one (default: the module-level default
    Auth, followed through later ``nbauth.configure()`` calls).

    Example::

        >>> live = LiveSession()                          # doctest: +SKIP
        >>> live.state, live.identity_id                  # doctest: +SKIP
        ('signed_in', 'us-east-1:…')
    """

    __slots__ = ("_auth",)

    def __init__(self, auth: Auth | Callable[[], Auth] | None = None) -> None:
        self._auth = auth if auth is not None else _current_auth

    @property
    def auth(self) -> Auth:
        """The :class:`~nbauth.Auth` this view reads."""
        from ..auth import Auth

        return self._auth if isinstance(self._auth, Auth) else self._auth()

    def session(self, *, force_refresh: bool = False) -> AuthSession:
        """``fetch_auth_session()`` now (waits for a pending sign-in, like any call needing it)."""
        return self.auth.fetch_auth_session(force_refresh=force_refresh)

    def refresh(self) -> AuthSession:
        """Refresh tokens and credentials now (``force_refresh=True``)."""
        return self.session(force_refresh=True)

    @property
    def credentials(self) -> AWSCredentials | None:
        """The current AWS credentials (redacting repr)."""
        return self.session().credentials

    @property
    def identity_id(self) -> str | None:
        return self.session().identity_id

    @property
    def tokens(self) -> AuthTokens | None:
        return self.session().tokens

    @property
    def user_sub(self) -> str | None:
        return self.session().user_sub

    @property
    def state(self) -> str:
        """``"signed_in"``, ``"federated"`` or ``"signed_out"``."""
        return self.auth.state

    def boto3_session(self, **kwargs: Any) -> boto3.Session:
        """A ``boto3.Session`` with live credentials (see :meth:`Auth.boto3_session`)."""
        return self.auth.boto3_session(**kwargs)

    # -- reprs: a summary, never a secret, never a wait -----------------------------------

    def summary(self) -> Message:
        """What the reprs show: state, user, identity id, redacted credentials and expiry.

        Never waits for a pending sign-in (it says so instead).
        """
        from ..errors import AuthError

        try:
            auth = self.auth
        except AuthError as err:
            return Message("nbauth session: not configured", lines=[err.message], level="warning")
        rows: list[tuple[str, str]] = [("state", auth.state)]
        pending = auth.pending_sign_in
        if pending is not None and auth.state == "signed_out":
            rows.append(("sign-in", pending_description(pending)))
            return Message("nbauth session (live)", rows=rows, level="warning")
        try:
            session = auth.fetch_auth_session()
        except AuthError as err:
            rows.append(("error", f"{type(err).__name__}: {err.message}"))
            return Message("nbauth session (live)", rows=rows, level="error")
        name = user_name(signed_in_claims(auth, session))
        if name:
            rows.append(("user", name))
        rows.append(("user sub", session.user_sub or "—"))
        rows.append(("identity id", session.identity_id or "—"))
        creds = session.credentials
        rows.append(("credentials", repr(creds) if creds is not None else "none"))
        if creds is not None and creds.expires_at is not None:
            rows.append(("expires in", mm_ss(creds.expires_at - time.time())))
        return Message("nbauth session (live)", rows=rows)

    def _repr_html_(self) -> str:
        return self.summary().to_html()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.summary().to_text())

    def __repr__(self) -> str:
        rows = ", ".join(f"{k.replace(' ', '_')}={v!r}" for k, v in self.summary().rows)
        return f"LiveSession({rows})"


# -- facts about an Auth, for display ---------------------------------------------------------


def signed_in_claims(auth: Auth, session: AuthSession | None = None) -> Mapping[str, Any]:
    """The claims of the signed-in (or federated) user's token; ``{}`` when there is none.

    Uses ``session`` if given, else only what the Auth holds now (no network call).
    """
    from ..core.jwt import decode_jwt
    from ..errors import InvalidTokenError

    tokens = session.tokens if session is not None else None
    if tokens is None:
        user = getattr(auth, "_signed_in", None)
        current = getattr(user, "current", None)  # OIDC/user-pool tokens held now, unrefreshed
        tokens = getattr(current, "auth_tokens", None)
    if tokens is not None:
        jwt = tokens.id_token or tokens.access_token
        return dict(jwt.payload) if jwt is not None else {}
    federation = getattr(auth, "_federation", None)
    if federation is not None:
        try:
            return dict(decode_jwt(federation.token).payload)
        except InvalidTokenError:
            return {}  # an opaque provider token: nothing to show
    return {}


def user_name(claims: Mapping[str, Any]) -> str | None:
    """The name a person knows themselves by: username, preferred username, email or sub.

    Example::

        >>> user_name({"sub": "42", "email": "ada@example.com"})
        'ada@example.com'
    """
    for key in ("cognito:username", "preferred_username", "username", "email", "sub"):
        value = claims.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def provider_name(auth: Auth) -> str | None:
    """Where the current user came from: an OIDC provider's name, the user pool, or the
    Logins key of a federation; ``None`` when signed out."""
    federation = getattr(auth, "_federation", None)
    if federation is not None:
        return f"federated via {federation.provider.logins_key}"
    user = getattr(auth, "_signed_in", None)
    if user is None:
        return "custom token provider" if auth.token_provider is not None else None
    client = getattr(user, "client", None)
    if client is not None and client is getattr(auth, "_user_pool_client", None):
        return f"Cognito user pool {auth.config.user_pool_id}"
    spec = getattr(client, "spec", None)
    return getattr(spec, "name", None) or type(user).__name__


def pending_description(handle: Any, now: float | None = None) -> str:
    """One line about a pending sign-in (no secret: the user code is meant to be shown)."""
    now = time.time() if now is None else now
    provider = getattr(handle, "provider", None) or "the identity provider"
    user_code = getattr(handle, "user_code", None)
    if user_code is not None:
        left = mm_ss(getattr(handle, "expires_at", now) - now)
        return f"device code {user_code} at {provider}, pending ({left} left)"
    mode = getattr(handle, "mode", "redirect")
    return f"redirect sign-in ({mode}) at {provider}, pending"
