"""RFC 7636, Proof Key for Code Exchange (PKCE), with the S256 method only.

A :class:`PKCE` pair is made per authorization request: the ``code_challenge`` goes into the
authorization URL, the ``code_verifier`` (a secret that never leaves this process) into the code
exchange. ``challenge = BASE64URL(SHA256(ASCII(verifier)))`` without padding (§4.2), as Authlib's
``create_s256_code_challenge`` computes it and Authlib's server checks it.

Example::

    pkce = PKCE.generate()
    url = authorize_url + "&" + urlencode(pkce.authorization_params())
    ...  # token request with code_verifier=pkce.verifier
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field

__all__ = ["PKCE", "S256", "s256_challenge"]

#: The only method nbauth sends (RFC 7636 §4.2; "plain" is for clients that cannot hash).
S256 = "S256"


@dataclass(frozen=True)
class PKCE:
    """A code verifier and its S256 challenge. ``repr`` shows neither."""

    verifier: str = field(repr=False)
    challenge: str = field(repr=False)
    method: str = S256

    @classmethod
    def generate(cls) -> PKCE:
        """A fresh pair: 86-character verifier (RFC 7636 §4.1 allows 43 to 128)."""
        verifier = secrets.token_urlsafe(64)
        return cls(verifier=verifier, challenge=s256_challenge(verifier))

    def authorization_params(self) -> dict[str, str]:
        """The parameters the authorization request carries (§4.3)."""
        return {"code_challenge": self.challenge, "code_challenge_method": self.method}


def s256_challenge(verifier: str) -> str:
    """The S256 ``code_challenge`` of ``verifier`` (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
