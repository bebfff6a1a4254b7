"""JWT parsing, JWKS fetching/caching and RS256 signature checks.

Generic building blocks; the Cognito rules for which issuer and audience a
login needs live in :mod:`nbauth.sandbox.logins`.

Only RS256 is accepted (never ``none``, never an HMAC algorithm, whose "secret"
could be a public key). JWKS documents are cached per URL and fetched again at
most once per verification when a token names an unknown ``kid`` (key rotation).
"""

from __future__ import annotations

import json
import math
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

__all__ = [
    "ALLOWED_ALGORITHMS",
    "JwksCache",
    "TokenError",
    "UnverifiedJwt",
    "fetch_json",
    "parse_jwt",
    "verify_signature",
]

ALLOWED_ALGORITHMS = ("RS256",)
NUMERIC_DATE_CLAIMS = ("exp", "nbf", "iat", "auth_time")
_MAX_NUMERIC_DATE = 253_402_300_799  # 9999-12-31T23:59:59Z
_FETCH_TIMEOUT_SECONDS = 5.0
_MAX_DOCUMENT_BYTES = 1_000_000

JsonFetcher = Callable[[str], dict[str, Any]]


class TokenError(Exception):
    """A token failed a check. ``reason`` is one of:

    ``malformed`` (not a JWS compact JWT with a JSON object payload),
    ``algorithm`` (``alg`` not allowed), ``unknown_key`` (no JWKS key for ``kid``),
    ``signature`` (signature does not verify), ``keys_unavailable`` (discovery or
    JWKS could not be fetched).
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class UnverifiedJwt:
    """A parsed, not yet verified JWT."""

    header: dict[str, Any]
    claims: dict[str, Any]
    _compact: Any


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # strict parsers (AWS's) refuse NaN and Infinity


def _check_numeric_dates(claims: dict[str, Any]) -> None:
    """RFC 7519 NumericDates: a finite JSON number between 1970 and the year 9999."""
    for name in NUMERIC_DATE_CLAIMS:
        if name not in claims:
            continue
        value = claims[name]
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or (isinstance(value, float) and not math.isfinite(value))
            or not 0 <= value <= _MAX_NUMERIC_DATE
        ):
            raise TokenError("malformed", f"claim {name!r} is not a NumericDate")


def parse_jwt(token: str) -> UnverifiedJwt:
    """Split a compact JWS into header and claims without verifying anything.

    The claims must be a JSON object (no NaN or Infinity literals) whose NumericDate claims
    (``exp``, ``nbf``, ``iat``, ``auth_time``) are finite numbers from 1970 to the year 9999;
    anything else is ``malformed``, so no token reads as "never expires".
    """
    if not isinstance(token, str) or token.count(".") != 2:
        raise TokenError("malformed", "not a compact JWS")
    try:
        compact = jws.extract_compact(token.encode("ascii"))
        header = dict(compact.headers())
        claims = json.loads(compact.payload, parse_constant=_no_constant)
    except (JoseError, ValueError, UnicodeError, RecursionError, TypeError) as exc:
        raise TokenError("malformed", type(exc).__name__) from None
    if not isinstance(claims, dict):
        raise TokenError("malformed", "payload is not a JSON object")
    _check_numeric_dates(claims)
    return UnverifiedJwt(header=header, claims=claims, _compact=compact)


def verify_signature(jwt: UnverifiedJwt, key: RSAKey) -> None:
    """Check the RS256 signature of ``jwt`` with ``key``; raise ``TokenError``."""
    alg = jwt.header.get("alg")
    if alg not in ALLOWED_ALGORITHMS:
        raise TokenError("algorithm", f"alg {alg!r} is not allowed")
    try:
        valid = jws.validate_compact(jwt._compact, key, algorithms=list(ALLOWED_ALGORITHMS))
    except JoseError as exc:
        raise TokenError("signature", type(exc).__name__) from None
    if not valid:
        raise TokenError("signature", "signature does not verify")


def fetch_json(url: str) -> dict[str, Any]:
    """GET ``url`` and parse a JSON object (bounded size and time)."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=_FETCH_TIMEOUT_SECONDS) as response:
        data = response.read(_MAX_DOCUMENT_BYTES + 1)
    if len(data) > _MAX_DOCUMENT_BYTES:
        raise ValueError(f"document at {url} is too large")
    document = json.loads(data)
    if not isinstance(document, dict):
        raise ValueError(f"document at {url} is not a JSON object")
    return document


@dataclass
class _Entry:
    document: dict[str, Any]
    fetched_at: float


class JwksCache:
    """Caches OpenID discovery documents and JWKS by URL; thread-safe.

    ``fetch`` and ``clock`` are injectable for tests.
    """

    def __init__(
        self,
        fetch: JsonFetcher = fetch_json,
        *,
        ttl_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._url_locks: dict[str, threading.Lock] = {}

    def _url_lock(self, url: str) -> threading.Lock:
        with self._lock:
            return self._url_locks.setdefault(url, threading.Lock())

    def _get(self, url: str, *, refresh: bool = False, not_before: float | None = None) -> dict:
        """Return the cached document, fetching when missing, stale or ``refresh``.

        ``not_before``: a refresh is skipped when another thread fetched the URL
        after that moment (single-flight refresh on key rotation).
        """
        with self._url_lock(url):
            entry = self._entries.get(url)
            if entry is not None and self._clock() - entry.fetched_at < self._ttl:
                if not refresh:
                    return entry.document
                if not_before is not None and entry.fetched_at > not_before:
                    return entry.document
            try:
                document = self._fetch(url)
            except Exception as exc:  # network, HTTP status, JSON: all mean "no keys"
                raise TokenError("keys_unavailable", f"{url}: {type(exc).__name__}") from None
            self._entries[url] = _Entry(document=document, fetched_at=self._clock())
            return document

    def jwks_uri(self, issuer: str) -> str:
        """The ``jwks_uri`` from ``<issuer>/.well-known/openid-configuration``."""
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = self._get(url)
        if document.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
            raise TokenError("keys_unavailable", f"{url}: issuer does not match")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri:
            raise TokenError("keys_unavailable", f"{url}: no jwks_uri")
        return jwks_uri

    def key(self, jwks_uri: str, kid: str | None) -> RSAKey:
        """The RSA signing key for ``kid`` from ``jwks_uri``; refetched once if unknown."""
        started = self._clock()
        key = _select_key(self._get(jwks_uri), kid)
        if key is None:
            key = _select_key(self._get(jwks_uri, refresh=True, not_before=started), kid)
        if key is None:
            raise TokenError("unknown_key", f"no RSA signing key for kid {kid!r}")
        return key

    def clear(self) -> None:
        """Forget every cached document."""
        with self._lock:
            self._entries.clear()


def _select_key(jwks: dict[str, Any], kid: str | None) -> RSAKey | None:
    keys = jwks.get("keys")
    if not isinstance(keys, list):
        return None
    candidates = [
        k
        for k in keys
        if isinstance(k, dict)
        and k.get("kty") == "RSA"
        and k.get("use", "sig") == "sig"
        and k.get("alg", "RS256") in ALLOWED_ALGORITHMS
    ]
    if kid is not None:
        candidates = [k for k in candidates if k.get("kid") == kid]
    elif len(candidates) != 1:
        return None
    if not candidates:
        return None
    try:
        return RSAKey.import_key(candidates[0])
    except (JoseError, ValueError):
        return None
