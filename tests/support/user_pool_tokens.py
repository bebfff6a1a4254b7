"""Tokens that look like the sandbox user pool's, signed with moto's (public, well-known) key.

For negative cases: a token the pool never issued, with chosen claims, header or expiry.
"""

from __future__ import annotations

import gzip
import json
import time
import uuid
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey


def moto_user_pool_key() -> RSAKey:
    """The private key moto signs every user pool's tokens with (shipped in moto's package)."""
    import moto.cognitoidp

    path = Path(moto.cognitoidp.__file__).parent / "resources" / "jwks-private.json.gz"
    return RSAKey.import_key(json.loads(gzip.decompress(path.read_bytes())))


class UserPoolTokenMint:
    """``mint(sub=..., exp_in=..., header=..., **claims)``: an id token "from" ``sb``'s pool."""

    def __init__(self, sb: Any, key: RSAKey) -> None:
        self._sb = sb
        self._key = key

    def __call__(
        self,
        *,
        sub: str | None = None,
        exp_in: int = 300,
        header: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload = {
            "iss": f"https://cognito-idp.{self._sb.region}.amazonaws.com/{self._sb.user_pool_id}",
            "aud": self._sb.user_pool_client_id,
            "token_use": "id",
            "sub": sub or str(uuid.uuid4()),
            "iat": now,
            "exp": now + exp_in,
        }
        payload.update(claims)
        return jwt.encode(header or {"alg": "RS256", "kid": "dummy"}, payload, self._key)
