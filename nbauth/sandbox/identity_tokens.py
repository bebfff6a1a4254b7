"""The sandbox's own OpenID tokens for identities (``GetOpenIdToken*``).

Real Cognito signs these with its key; the sandbox signs them with an RSA key
made when it starts, and accepts them back in ``Logins`` under the key
``cognito-identity.amazonaws.com`` (the developer-authenticated flow).
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

from .token_verification import TokenError, UnverifiedJwt, verify_signature

__all__ = ["COGNITO_IDENTITY_ISSUER", "COGNITO_IDENTITY_LOGINS_KEY", "IdentityTokenIssuer"]

COGNITO_IDENTITY_LOGINS_KEY = "cognito-identity.amazonaws.com"
COGNITO_IDENTITY_ISSUER = "https://cognito-identity.amazonaws.com"


class IdentityTokenIssuer:
    """Mints and checks RS256 identity tokens with a per-sandbox key."""

    def __init__(self) -> None:
        kid = f"nbauth-sandbox-{secrets.token_hex(4)}"
        self._key = RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})
        self.kid = kid

    @property
    def jwks(self) -> dict[str, Any]:
        """The public JWKS (what real Cognito serves at ``/.well-known/jwks_uri``)."""
        return {"keys": [self._key.as_dict(private=False)]}

    def mint(
        self,
        *,
        identity_pool_id: str,
        identity_id: str,
        amr: list[str],
        duration_seconds: int,
        now: float | None = None,
    ) -> str:
        """An ID token for ``identity_id`` valid for ``duration_seconds``."""
        issued = int(now if now is not None else time.time())
        claims = {
            "iss": COGNITO_IDENTITY_ISSUER,
            "aud": identity_pool_id,
            "sub": identity_id,
            "amr": amr,
            "iat": issued,
            "exp": issued + int(duration_seconds),
        }
        return jwt.encode({"alg": "RS256", "kid": self.kid, "typ": "JWS"}, claims, self._key)

    def verify_signature(self, token: UnverifiedJwt) -> None:
        """Raise ``TokenError`` unless ``token`` was signed by this issuer's key."""
        if token.header.get("kid") != self.kid:
            raise TokenError("unknown_key", "not signed by this sandbox")
        verify_signature(token, self._key)
