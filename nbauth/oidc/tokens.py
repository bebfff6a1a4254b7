"""The tokens one OIDC sign-in holds: access, ID and refresh token, with their expiry.

The access token is kept as the IdP issued it: a :class:`~nbauth.JWT` when it is one, else an
:class:`~nbauth.OpaqueToken` whose expiry is the response's ``expires_in`` counted from receipt
(the caller's clock). :attr:`OIDCTokens.expires_at` — what the refresh engine refreshes ahead
of — is the earliest of ``now + expires_in``, the ID token's ``exp``, a JWT access token's
``exp`` and an opaque access token's own expiry, so the shortest-lived token sets the pace.
"""

from __future__ import annotations

import math
import time
from typing import Any

from ..core.jwt import JWT, decode_jwt, epoch_or_none
from ..core.log_redaction import remember_secret
from ..core.redaction import REDACTED
from ..core.values import AuthTokens, OpaqueToken
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
        access_token_expires_at: float | None = None,
    ) -> None:
        """``access_token_expires_at``: an opaque access token's own expiry (ignored for a JWT,
        whose ``exp`` counts); ``expires_at`` is lowered to the tokens' earliest expiry."""
        for secret in (access_token, id_token, refresh_token):
            remember_secret(secret)
        self.access_token = access_token
        self.id_token = id_token
        self.refresh_token = refresh_token
        self.scope = scope
        self.auth_tokens = _auth_tokens(access_token, id_token, access_token_expires_at)
        earliest = self.auth_tokens.expires_at
        self.expires_at = expires_at if earliest is None else min(expires_at, earliest)

    @property
    def access_token_expires_at(self) -> float | None:
        """An opaque access token's own expiry (``expires_in`` from receipt), as given to
        ``__init__``; ``None`` for a JWT, whose ``exp`` is in the token itself."""
        access = self.auth_tokens.access_token
        return access.expires_at if isinstance(access, OpaqueToken) else None

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
        # RFC 6749 §5.1: expires_in is the access token's lifetime, counted from now.
        access_expires_at = _expiry_from(response.get("expires_in"), now)
        tokens = cls(
            access_token=access,
            id_token=id_token if isinstance(id_token, str) else None,
            refresh_token=refresh if isinstance(refresh, str) else None,
            # __init__ lowers it to the tokens' earliest expiry
            expires_at=access_expires_at if access_expires_at is not None else math.inf,
            scope=response.get("scope") or (previous.scope if previous else None),
            access_token_expires_at=access_expires_at,
        )
        if math.isinf(tokens.expires_at):
            tokens.expires_at = now + 3600.0  # no token says when it expires: an hour
        return tokens

    @property
    def id_claims(self) -> dict[str, Any]:
        return self.auth_tokens.id_token.payload if self.auth_tokens.id_token else {}

    def __repr__(self) -> str:
        return (
            f"OIDCTokens(access_token={REDACTED}, id_token={REDACTED if self.id_token else None}, "
            f"refresh_token={REDACTED if self.refresh_token else None}, "
            f"expires_at={self.expires_at:.0f})"
        )


def _expiry_from(expires_in: object, now: float) -> float | None:
    """``now + expires_in`` for a finite, non-negative number of seconds; else ``None``."""
    if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)):
        return None
    if not math.isfinite(expires_in) or expires_in < 0:
        return None
    return epoch_or_none(now + float(expires_in))


def _auth_tokens(access: str, id_token: str | None, access_expires_at: float | None) -> AuthTokens:
    # Not every IdP issues JWT access tokens: keep the others as they are, with their expiry.
    access_token: JWT | OpaqueToken
    try:
        access_token = decode_jwt(access)
    except InvalidTokenError:
        access_token = OpaqueToken(access, expires_at=access_expires_at)
    id_jwt = decode_jwt(id_token) if id_token else None
    if id_jwt is None and not isinstance(access_token, JWT):
        raise MissingIdTokenError(
            "The identity provider answered with neither an ID token nor a JWT access token.",
            name="missing_id_token",
        )
    return AuthTokens(access_token=access_token, id_token=id_jwt)
