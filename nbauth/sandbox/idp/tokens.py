"""Token responses: JWT access tokens (RFC 9068, Authlib's generator), opaque refresh tokens.

Authlib's ``JWTBearerTokenGenerator`` writes ``iss``, ``sub``, ``aud``,
``client_id``, ``scope``, ``iat``, ``exp`` and ``jti`` with ``typ: at+jwt``;
this subclass reads lifetimes live from the realm, signs with the realm's key
(its ``kid`` in the header) and leaves out the refresh token where the realm
wants one only with ``offline_access``. Refresh tokens are random strings.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator

if TYPE_CHECKING:
    from joserfc.jwk import KeySet

    from .models import Principal
    from .realm import Realm

__all__ = ["AccessTokenGenerator", "new_refresh_token"]


def new_refresh_token(**_: Any) -> str:
    """An opaque refresh token (64 url-safe characters)."""
    return secrets.token_urlsafe(48)


class AccessTokenGenerator(JWTBearerTokenGenerator):
    """RFC 9068 access tokens for one realm; lifetimes read at issue time."""

    def __init__(self, realm: Realm) -> None:
        super().__init__(
            issuer=realm.issuer,
            alg="RS256",
            refresh_token_generator=new_refresh_token,
            expires_generator=self._expires_in,
        )
        self.realm = realm

    def _expires_in(self, client: Any, grant_type: str) -> int:
        return self.realm.lifetimes.access_token

    def get_jwks(self) -> KeySet:
        """The realm's signing key (a key set, so joserfc writes the ``kid``)."""
        return self.realm.key.private

    def get_auth_time(self, user: Principal | None) -> int | None:
        """When the person signed in."""
        return user.auth_time if user is not None else None

    def generate(
        self,
        grant_type: str,
        client: Any,
        user: Principal | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        """Authlib's token response, with a refresh token only where the realm allows it."""
        include_refresh_token = include_refresh_token and self.realm.may_refresh(
            client.get_allowed_scope(scope)
        )
        return super().generate(grant_type, client, user, scope, expires_in, include_refresh_token)
