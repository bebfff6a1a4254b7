"""Verifying the tokens an identity provider hands back (OIDC Core 3.1.3.7, RFC 7519, RFC 8725).

* signature against the issuer's JWKS (cached; fetched again when a token names an unknown
  ``kid``, which is how providers rotate keys, at most once a minute);
* the header ``typ``: an ID token is not an access token, a logout token or any other JWT;
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

from ..core.jwt import JWT, decode_jwt, numeric_date
from ..errors import AuthError, InvalidTokenError, TokenVerificationError
from .transport import json_request

__all__ = [
    "ACCESS_TOKEN_TYPES",
    "ALLOWED_ALGORITHMS",
    "ID_TOKEN_TYPES",
    "REFETCH_INTERVAL_SECONDS",
    "JWKSCache",
    "TokenVerifier",
]

ALLOWED_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
#: The most clock skew ever tolerated, whatever the caller asks for.
MAX_LEEWAY_SECONDS = 120.0
#: The JWKS is fetched again (for an unknown ``kid``) at most once per this many seconds.
REFETCH_INTERVAL_SECONDS = 60.0
#: Header ``typ`` values (RFC 7515 §4.1.9: case-insensitive, ``application/`` optional) an ID
#: token may carry; an access token may also say ``at+jwt`` (RFC 9068). Anything else — a
#: logout or security-event token, say — is another kind of JWT (RFC 8725 §3.11).
ID_TOKEN_TYPES = frozenset({"jwt"})
ACCESS_TOKEN_TYPES = frozenset({"jwt", "at+jwt"})


class JWKSCache:
    """The issuer's signing keys: fetched on first use, then again on an unknown ``kid``.

    Re-fetches are rate-limited: at most one per ``refetch_interval`` seconds (measured with
    ``clock``), so a stream of tokens naming random ``kid`` values costs one request, not one
    each; within the limit an unknown ``kid`` is refused without touching the network. Threads
    that need a fetch at the same time share one request, and no lock is held while it runs.
    """

    def __init__(
        self,
        jwks_uri: str,
        session: requests.Session,
        *,
        clock: Callable[[], float] = time.monotonic,
        refetch_interval: float = REFETCH_INTERVAL_SECONDS,
    ) -> None:
        self.jwks_uri = jwks_uri
        self._session = session
        self._clock = clock
        self._refetch_interval = refetch_interval
        self._keys: KeySet | None = None
        self._last_refetch: float | None = None
        self._flight: _Flight | None = None
        self._lock = threading.Lock()
        self.fetches = 0

    def _fetch(self) -> KeySet:
        document = json_request(self._session, "GET", self.jwks_uri, "fetching the JWKS")
        listed = document.get("keys")
        if isinstance(listed, list) and any(isinstance(k, dict) and "d" in k for k in listed):
            raise TokenVerificationError(  # anyone who read it could sign "valid" tokens
                f"The JWKS at {self.jwks_uri} publishes private key material; nbauth refuses it.",
                "The provider's signing keys are compromised: tell its administrators.",
            )
        try:
            keys: KeySet = KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise TokenVerificationError(
                f"The JWKS at {self.jwks_uri} is not a valid key set.", underlying=exc
            ) from None
        self.fetches += 1
        return keys

    def key_for(self, kid: str | None) -> Any:
        """The key with this ``kid`` (the only key, when the token names none)."""
        seen: KeySet | None = None
        while True:
            with self._lock:
                keys = self._keys
                if keys is not None:
                    key = _find(keys, kid)
                    if key is not None:
                        return key
                    if keys is seen or not self._may_refetch():
                        raise self._unknown(kid)
                flight = self._flight
                leader = flight is None
                if flight is None:
                    flight = self._flight = _Flight()
                    if keys is not None:
                        self._last_refetch = self._clock()
            if leader:
                self._lead(flight)
            else:
                flight.done.wait()
            if flight.error is not None:
                raise flight.error
            seen = flight.keys  # look once in what was fetched for (or with) this caller

    def _may_refetch(self) -> bool:
        last = self._last_refetch
        return last is None or self._clock() - last >= self._refetch_interval

    def _lead(self, flight: _Flight) -> None:
        try:
            flight.keys = self._fetch()
        except AuthError as exc:
            flight.error = exc
        except Exception as exc:  # anything else still reaches callers typed
            flight.error = TokenVerificationError(
                f"Fetching the JWKS at {self.jwks_uri} failed ({type(exc).__name__}).",
                underlying=exc,
            )
        finally:
            with self._lock:
                if flight.keys is not None:
                    self._keys = flight.keys
                self._flight = None
            flight.done.set()

    def _unknown(self, kid: str | None) -> TokenVerificationError:
        shown = repr(kid if kid is None or len(kid) <= 64 else kid[:64] + "...")
        return TokenVerificationError(
            f"No key with kid {shown} in the issuer's JWKS (fetched again at most once every "
            f"{self._refetch_interval:.0f} s).",
        )


class _Flight:
    """One JWKS fetch that several callers wait for."""

    __slots__ = ("done", "error", "keys")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.keys: KeySet | None = None
        self.error: AuthError | None = None


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
            message = f"Not a valid JWT: {exc.message}"
            raise TokenVerificationError(message, underlying=exc) from None
        header = decoded.header
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in ALLOWED_ALGORITHMS:
            raise TokenVerificationError(
                f"Token algorithm {alg!r} is not allowed (allowed: asymmetric signatures only).",
            )
        _check_type(header.get("typ"), token_use)
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise TokenVerificationError("The token's key id (kid) is not a string.")
        # The (still unverified) issuer first: a foreign token is named as such, and costs no
        # JWKS fetch. It is checked again, signed, with the other claims.
        self._check_issuer(decoded.payload)
        key = self.jwks.key_for(kid)
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

        self._check_issuer(claims)
        if token_use is not None and claims.get("token_use") != token_use:
            raise fail(f"Token use {claims.get('token_use')!r} is not {token_use!r}.")
        if token_use == "access":
            if claims.get("client_id") != self.client_id:
                raise fail("The access token was issued to another client.")
        else:
            audiences = _audiences(claims)
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

    def _check_issuer(self, claims: dict[str, Any]) -> None:
        iss = claims.get("iss")
        if iss != self.issuer:
            shown = repr(iss[:200]) if isinstance(iss, str) else f"of type {type(iss).__name__}"
            raise TokenVerificationError(
                f"Wrong issuer: the token's issuer {shown} is not {self.issuer!r}."
            )


def _check_type(typ: Any, token_use: str | None) -> None:
    """RFC 8725 §3.11: refuse a JWT whose header says it is another kind of token."""
    if typ is None:
        return
    allowed = ACCESS_TOKEN_TYPES if token_use == "access" else ID_TOKEN_TYPES
    kind = typ.lower().removeprefix("application/") if isinstance(typ, str) else None
    if kind not in allowed:
        what = "an access token" if token_use == "access" else "an ID token"
        shown = repr(typ[:40]) if isinstance(typ, str) else type(typ).__name__
        raise TokenVerificationError(f"The token's type (typ {shown}) says it is not {what}.")


def _audiences(claims: dict[str, Any]) -> list[str]:
    """``aud``: one string or an array of strings (RFC 7519 §4.1.3); anything else is refused."""
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list) and all(isinstance(item, str) for item in aud):
        return aud
    if aud is None:
        return []
    raise TokenVerificationError(
        f"The token's audience (aud) must be a string or an array of strings, not "
        f"{type(aud).__name__}" + (" with other members." if isinstance(aud, list) else "."),
    )


def _number(claims: dict[str, Any], name: str) -> float | None:
    """The NumericDate ``name``; a present but invalid value is refused, naming the claim."""
    try:
        return numeric_date(claims, name)
    except InvalidTokenError as exc:
        raise TokenVerificationError(exc.message, underlying=exc) from None
