"""The tokens one OIDC sign-in holds: access, ID and refresh token, with their expiry."""

from __future__ import annotations

import time
from typing import Any

from ..core.jwt import JWT, decode_jwt
from ..core.log_redaction import remember_secret
from ..core.redaction import REDACTED
from ..core.values import AuthTokens
from ..errors import InvalidTokenError, MissingIdTokenError, ServiceError

__all__ = ["OIDCTokens"]


class OIDCTokens:
    """A token response, kept together. ``repr`` shows no token."""

    __slots__ = ("access_token", "auth_tokens", "expires_at", "id_token", "refresh_token", "scope")

    def __init__(
        self,
        *,
        access_token: str,
        id_token: str | None,
        refresh_token: str | None,
        expires_at: float,
        scope: str | None = None,
    ) -> None:
        for secret in (access_token, id_token, refresh_token):
            remember_secret(secret)
        self.access_token = access_token
        self.id_token = id_token
        self.refresh_token = refresh_token
        self.expires_at = expires_at
        self.scope = scope
        self.auth_tokens = _auth_tokens(access_token, id_token)

    @classmethod
    def from_response(
        cls,
        response: dict[str, Any],
        *,
        now: float | None = None,
        previous: OIDCTokens | None = None,
    ) -> OIDCTokens:
        """Build from a token endpoint response; a refresh answer may omit id/refresh tokens."""
        access = response.get("access_token")
        if not isinstance(access, str) or not access:
            raise ServiceError("The token endpoint answered without an access_token.")
        now = time.time() if now is None else now
        id_token = response.get("id_token") or (previous.id_token if previous else None)
        refresh = response.get("refresh_token") or (previous.refresh_token if previous else None)
        expires_in = response.get("expires_in")
        lifetimes = []
        if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool):
            lifetimes.append(now + float(expires_in))
        for token in (access, id_token):
            exp = _jwt_expiry(token)
            if exp is not None:
                lifetimes.append(exp)
        expires_at = min(lifetimes) if lifetimes else now + 3600.0
        return cls(
            access_token=access,
            id_token=id_token if isinstance(id_token, str) else None,
            refresh_token=refresh if isinstance(refresh, str) else None,
            expires_at=expires_at,
            scope=response.get("scope") or (previous.scope if previous else None),
        )

    @property
    def id_claims(self) -> dict[str, Any]:
        return self.auth_tokens.id_token.payload if self.auth_tokens.id_token else {}

    def __repr__(self) -> str:
        return (
            f"OIDCTokens(access_token={REDACTED}, id_token={REDACTED if self.id_token else None}, "
            f"refresh_token={REDACTED if self.refresh_token else None}, "
            f"expires_at={self.expires_at:.0f})"
        )


def _jwt_expiry(token: str | None) -> float | None:
    if not token:
        return None
    try:
        return decode_jwt(token).expires_at
    except InvalidTokenError:
        return None


def _auth_tokens(access: str, id_token: str | None) -> AuthTokens:
    # Opaque access tokens exist (not every IdP issues JWTs); AuthTokens wants JWTs.
    try:
        access_jwt: JWT | None = decode_jwt(access)
    except InvalidTokenError:
        access_jwt = None
    id_jwt = decode_jwt(id_token) if id_token else None
    if access_jwt is None and id_jwt is None:
        raise MissingIdTokenError(
            "The identity provider answered with neither an ID token nor a JWT access token.",
            name="missing_id_token",
        )
    return AuthTokens(access_token=access_jwt, id_token=id_jwt)
