"""``Auth.status()``: one frozen, secret-free snapshot that every view renders.

The magics, ``nbauth_session``, the widget and the CLI show the session from an
:class:`AuthStatus`, never from an ``Auth``'s private fields. Building one makes no network
call and never waits for a pending sign-in.

Example::

    status = auth.status()
    if status.state is SessionState.SIGNED_IN:
        print("Signed in as", status.username, "via", status.provider)
    status.credentials.state          # RefreshState.FRESH
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Any

from ..core.refresh import Refreshable, RefreshStatus
from .state import Federated, SignedIn, State

__all__ = ["AuthStatus", "PendingSignInStatus", "SessionState", "build_status", "user_name"]


class SessionState(str, Enum):
    """The four states of a session (a ``str``: ``status.state == "guest"`` works)."""

    SIGNED_OUT = "signed_out"
    GUEST = "guest"
    SIGNED_IN = "signed_in"
    FEDERATED = "federated"

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True)
class PendingSignInStatus:
    """A sign-in in progress. The user code and links are meant to be shown to the person."""

    kind: str  # "device_code" or "redirect"
    provider: str | None
    mode: str | None = None  # redirect: "loopback", "paste" or "jupyter"
    user_code: str | None = None
    verification_uri: str | None = None
    verification_uri_complete: str | None = None
    url: str | None = None  # redirect: the authorization URL to open
    expires_at: float | None = None


@dataclass(frozen=True)
class AuthStatus:
    """A snapshot of one :class:`~nbauth.Auth`.

    Attributes:
        state: :class:`SessionState`.
        username: the name a person knows themselves by (username, preferred username, email
            or sub), when someone is signed in or federated with a JWT.
        user_sub: the user's ``sub``.
        provider: where the user came from, in words (an OIDC provider's name, "Cognito user
            pool …", "federated via <Logins key>", "custom token provider").
        identity_id: the identity-pool identity of the credentials held now.
        credentials_expire_at: epoch seconds when the held AWS credentials expire.
        credentials: the credentials engine's :class:`~nbauth.core.refresh.RefreshStatus`.
        tokens: the signed-in user's token engine status (``None`` when nobody is signed in).
        pending_sign_in: a sign-in in progress, if any.
        claims: the ID token's claims (read-only; identity, never a secret).
        checked_at: when the snapshot was taken (the Auth's clock).
        has_credentials: whether usable AWS credentials are held now (signing a request
            needs no refresh first).
    """

    state: SessionState
    credentials: RefreshStatus
    checked_at: float
    has_credentials: bool = False
    username: str | None = None
    user_sub: str | None = None
    provider: str | None = None
    identity_id: str | None = None
    credentials_expire_at: float | None = None
    tokens: RefreshStatus | None = None
    pending_sign_in: PendingSignInStatus | None = None
    claims: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def credentials_seconds_left(self, now: float | None = None) -> float | None:
        """Seconds until the held credentials expire (``None`` when none or no expiry)."""
        if self.credentials_expire_at is None:
            return None
        return self.credentials_expire_at - (self.checked_at if now is None else now)


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


def build_status(
    state: State,
    credentials: Refreshable[Any],
    pending: Any,
    now: float,
    *,
    user_pool_id: str | None,
    is_user_pool_user: Callable[[Any], bool],
    custom_tokens: bool,
) -> AuthStatus:
    """The snapshot of a session in ``state`` with this credentials engine (no network)."""
    held = credentials.latest()
    login = getattr(held, "login", None)
    jwt = None
    tokens_status = None
    provider: str | None = None
    if isinstance(state, SignedIn):
        current = state.user.current
        jwt = current.auth_tokens.federation_token if current is not None else None
        tokens_status = state.user.engine.status()
        provider = (
            f"Cognito user pool {user_pool_id}" if is_user_pool_user(state.user) else state.provider
        )
    elif isinstance(state, Federated):
        jwt = state.source.current.jwt
        provider = f"federated via {state.source.provider.logins_key}"
    elif custom_tokens:
        provider = "custom token provider"
    if jwt is None and login is not None:
        jwt = login.jwt
    claims: Mapping[str, Any] = MappingProxyType(dict(jwt.payload)) if jwt is not None else {}
    return AuthStatus(
        state=SessionState(state.name),
        credentials=credentials.status(),
        checked_at=now,
        has_credentials=credentials.peek() is not None,
        username=user_name(claims),
        user_sub=claims.get("sub") if isinstance(claims.get("sub"), str) else None,
        provider=provider,
        identity_id=getattr(held, "identity_id", None),
        credentials_expire_at=held.credentials.expires_at if held is not None else None,
        tokens=tokens_status,
        pending_sign_in=_pending(pending),
        claims=claims if isinstance(claims, MappingProxyType) else MappingProxyType({}),
    )


def _pending(handle: Any) -> PendingSignInStatus | None:
    if handle is None:
        return None
    user_code = getattr(handle, "user_code", None)
    return PendingSignInStatus(
        kind="device_code" if user_code is not None else "redirect",
        provider=getattr(handle, "provider", None),
        mode=getattr(handle, "mode", None),
        user_code=user_code,
        verification_uri=getattr(handle, "verification_uri", None),
        verification_uri_complete=getattr(handle, "verification_uri_complete", None),
        url=getattr(handle, "url", None),
        expires_at=getattr(handle, "expires_at", None),
    )
