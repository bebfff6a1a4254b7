"""Verifying the tokens an identity provider hands back (OIDC Core 3.1.3.7, RFC 7519, RFC 8725).

* signature against the issuer's JWKS (cached; fetched again once when a token names an unknown
  ``kid``, which is how providers rotate keys);
* an allow-list of asymmetric algorithms: never ``none``, never HMAC (a public key used as an HMAC
  secret is the classic forgery);
* ``iss``, ``aud``/``azp``, ``exp``/``iat``/``nbf`` with a bounded leeway, ``nonce``, and for
  Cognito user-pool tokens ``token_use``.

Example::

    jwks = JWKSCache(metadata.jwks_uri, session)
    verifier = TokenVerifier(issuer=metadata.issuer, client_id="my-client", jwks=jwks)
    claims = verifier.verify(id_token, nonce=nonce).payload
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ..core.jwt import JWT, decode_jwt
from ..errors import AuthError, InvalidTokenError, TokenVerificationError
from .transport import json_request

__all__ = ["ALLOWED_ALGORITHMS", "JWKSCache", "TokenVerifier"]

ALLOWED_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
#: The most clock skew ever tolerated, whatever the caller asks for.
MAX_LEEWAY_SECONDS = 120.0


class JWKSCache:
    """The issuer's signing keys, fetched on first use and again once per unknown ``kid``."""

    def __init__(self, jwks_uri: str, session: requests.Session) -> None:
        self.jwks_uri = jwks_uri
        self._session = session
        self._keys: KeySet | None = None
        self._lock = threading.Lock()
        self.fetches = 0

    def _fetch(self) -> KeySet:
        document = json_request(self._session, "GET", self.jwks_uri, "fetching the JWKS")
        try:
            keys: KeySet = KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise TokenVerificationError(
                f"The JWKS at {self.jwks_uri} is not a valid key set.", underlying=exc
            ) from None
        self.fetches += 1
        return keys

    def key_for(self, kid: str | None) -> Any:
        """The key with this ``kid`` (the only key, when the token names none)."""
        with self._lock:
            if self._keys is None:
                self._keys = self._fetch()
            key = _find(self._keys, kid)
            if key is None:
                self._keys = self._fetch()  # rotated keys: look once more
                key = _find(self._keys, kid)
        if key is None:
            raise TokenVerificationError(
                f"No key with kid {kid!r} in the issuer's JWKS, even after fetching it again.",
            )
        return key


def _find(keys: KeySet, kid: str | None) -> Any:
    if kid is None:
        return keys.keys[0] if len(keys.keys) == 1 else None
    for key in keys.keys:
        if key.kid == kid:
            return key
    return None


class TokenVerifier:
    """Verifies ID tokens (and Cognito access tokens) of one issuer for one client."""

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        jwks: JWKSCache,
        clock: Callable[[], float] = time.time,
        leeway_seconds: float = 60.0,
    ) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.jwks = jwks
        self.clock = clock
        self.leeway = min(max(0.0, leeway_seconds), MAX_LEEWAY_SECONDS)

    def verify(
        self,
        token: str,
        *,
        nonce: str | None = None,
        token_use: str | None = None,
    ) -> JWT:
        """Verify ``token``; returns it decoded, or raises :class:`TokenVerificationError`.

        ``token_use`` (``"id"`` or ``"access"``) is checked for Cognito user-pool tokens; for
        ``"access"`` the audience is the ``client_id`` claim, as Cognito issues them.
        """
        try:
            decoded = decode_jwt(token)
        except InvalidTokenError as exc:
            raise TokenVerificationError(f"Not a JWT: {exc.message}", underlying=exc) from None
        alg = decoded.header.get("alg")
        if not isinstance(alg, str) or alg not in ALLOWED_ALGORITHMS:
            raise TokenVerificationError(
                f"Token algorithm {alg!r} is not allowed (allowed: asymmetric signatures only).",
            )
        key = self.jwks.key_for(decoded.header.get("kid"))
        try:
            jwt.decode(token, key, algorithms=[alg])
        except JoseError as exc:
            raise TokenVerificationError(
                f"The token's signature does not verify ({type(exc).__name__}).", underlying=exc
            ) from None
        except AuthError:
            raise
        except Exception as exc:  # a key of the wrong type for alg, etc.
            raise TokenVerificationError(
                f"The token's signature does not verify ({type(exc).__name__}).", underlying=exc
            ) from None
        self._check_claims(decoded.payload, nonce=nonce, token_use=token_use)
        return decoded

    def _check_claims(
        self, claims: dict[str, Any], *, nonce: str | None, token_use: str | None
    ) -> None:
        def fail(message: str) -> TokenVerificationError:
            return TokenVerificationError(message)

        if claims.get("iss") != self.issuer:
            raise fail(f"Token issuer {claims.get('iss')!r} is not {self.issuer!r}.")
        if token_use is not None and claims.get("token_use") != token_use:
            raise fail(f"Token use {claims.get('token_use')!r} is not {token_use!r}.")
        if token_use == "access":
            if claims.get("client_id") != self.client_id:
                raise fail("The access token was issued to another client.")
        else:
            aud = claims.get("aud")
            audiences = [aud] if isinstance(aud, str) else list(aud or [])
            if self.client_id not in audiences:
                raise fail("The token's audience does not include this client.")
            azp = claims.get("azp")
            if (len(audiences) > 1 or azp is not None) and azp != self.client_id:
                raise fail("The token's authorized party (azp) is another client.")
        now = self.clock()
        exp = _number(claims, "exp")
        if exp is None:
            raise fail("The token has no expiry (exp).")
        if now > exp + self.leeway:
            raise fail(f"The token expired {int(now - exp)} s ago.")
        iat = _number(claims, "iat")
        if iat is not None and iat > now + self.leeway:
            raise fail("The token was issued in the future (check the machine's clock).")
        nbf = _number(claims, "nbf")
        if nbf is not None and nbf > now + self.leeway:
            raise fail("The token is not valid yet (nbf).")
        if nonce is not None and claims.get("nonce") != nonce:
            raise fail("The token's nonce does not match this sign-in (replayed token?).")


def _number(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)
