"""Signing keys: the IdP's own RS256 key, and moto's well-known user-pool key.

The IdP makes a fresh 2048-bit RSA key (with a random ``kid``) when it starts
and publishes its public half at ``/jwks``. Tokens from the Cognito managed-login
paths are signed with moto's user-pool key (``kid`` "dummy", shipped with moto
and served by moto at ``<endpoint>/<pool>/.well-known/jwks.json``), so they
verify exactly like the user pool's own tokens.
"""

from __future__ import annotations

import gzip
import json
import secrets
from dataclasses import dataclass
from importlib import resources
from typing import Any

from joserfc.jwk import KeySet, RSAKey

__all__ = ["SigningKey", "moto_user_pool_key", "new_signing_key"]


@dataclass(frozen=True)
class SigningKey:
    """An RS256 private key with its ``kid``."""

    key: RSAKey

    @property
    def kid(self) -> str:
        """The key id put in every token header."""
        return str(self.key.kid)

    @property
    def private(self) -> KeySet:
        """A one-key set: joserfc then writes the ``kid`` into JWS headers."""
        return KeySet([self.key])

    @property
    def public_jwks(self) -> dict[str, Any]:
        """The JWKS document (public key only)."""
        return {"keys": [self.key.as_dict(private=False)]}

    def __repr__(self) -> str:
        return f"<SigningKey kid={self.kid!r}>"


def new_signing_key() -> SigningKey:
    """A fresh RSA key for the IdP's ID and access tokens."""
    kid = f"nbauth-idp-{secrets.token_hex(4)}"
    return SigningKey(
        RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})
    )


def moto_user_pool_key() -> SigningKey:
    """moto's user-pool signing key (``kid`` "dummy"), the key its JWKS publishes."""
    data = resources.files("moto.cognitoidp").joinpath("resources/jwks-private.json.gz")
    key = RSAKey.import_key(json.loads(gzip.decompress(data.read_bytes())))
    if not key.kid:
        key = RSAKey.import_key({**key.as_dict(private=True), "kid": "dummy"})
    return SigningKey(key)
