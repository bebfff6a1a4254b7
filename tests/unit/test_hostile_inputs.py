"""Hostile-input suite (issue 11, invariant 4): forged or malformed tokens, JWKS, discovery
documents, callbacks and storage files.

Every case must end in a *typed* :class:`nbauth.errors.AuthError` subclass (never a bare
exception, never a silent pass), quickly (``pytest-timeout``), with no secret in the message.
Garbage storage is the one place where the right answer is "no record" rather than an error.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from joserfc.jwk import RSAKey

from nbauth.core.jwt import decode_jwt
from nbauth.core.session_record import SessionRecord, session_storage_key
from nbauth.core.storage import FileStorage
from nbauth.errors import (
    AuthError,
    CallbackValidationError,
    DiscoveryError,
    InsecureEndpointError,
    InvalidTokenError,
    OAuthError,
    TokenVerificationError,
    UnsafeStorageError,
)
from nbauth.oidc.authorization_code import _exchange
from nbauth.oidc.discovery import ProviderMetadata
from nbauth.oidc.rfc7636 import PKCE
from nbauth.oidc.token_verification import JWKSCache, TokenVerifier
from tests.support.fakes import FakeClock
from tests.unit.test_oidc_token_claims import raw_sign
from tests.unit.test_oidc_token_verification import (
    CLIENT_ID,
    ISSUER,
    JWKS_URI,
    KEY,
    NONCE,
    FakeSession,
    claims,
    make_verifier,
)

pytestmark = pytest.mark.timeout(30)

NOW = FakeClock()()
ATTACKER = RSAKey.generate_key(2048, parameters={"kid": KEY.kid})  # same kid, other key


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64j(value: Any) -> str:
    return b64(json.dumps(value).encode())


def good_header(**extra: Any) -> dict[str, Any]:
    return {"alg": "RS256", "kid": KEY.kid, **extra}


def signed_raw(header: Any, payload_json: str, key: RSAKey = KEY) -> str:
    return raw_sign(json.dumps(header).encode(), payload_json.encode(), key)


def with_claims(**overrides: Any) -> str:
    return signed_raw(good_header(), json.dumps(claims(NOW, **overrides)))


def replace_claim(name: str, literal: str) -> str:
    """A correctly signed token whose claim ``name`` is the raw JSON ``literal``."""
    payload = claims(NOW)
    payload[name] = "@@"
    return signed_raw(good_header(), json.dumps(payload).replace('"@@"', literal))


def hs256_with_public_pem() -> str:
    """The classic confusion: HMAC keyed with the issuer's public key (joserfc won't make one)."""
    signing_input = f"{b64j({'alg': 'HS256', 'kid': KEY.kid})}.{b64j(claims(NOW))}"
    mac = hmac.new(KEY.as_pem(private=False), signing_input.encode(), hashlib.sha256)
    return f"{signing_input}.{b64(mac.digest())}"


GOOD = signed_raw(good_header(), json.dumps(claims(NOW)))
H, P, S = GOOD.split(".")

# name -> a function making the token (built lazily: some are large)
FORGED_TOKENS: dict[str, Callable[[], Any]] = {
    "alg-none-empty-signature": lambda: f"{b64j({'alg': 'none'})}.{P}.",
    "alg-none-kept-signature": lambda: f"{b64j({'alg': 'none', 'kid': KEY.kid})}.{P}.{S}",
    "alg-None-capitalised": lambda: f"{b64j({'alg': 'None'})}.{P}.",
    "alg-missing": lambda: f"{b64j({'kid': KEY.kid})}.{P}.{S}",
    "alg-as-list": lambda: f"{b64j({'alg': ['RS256'], 'kid': KEY.kid})}.{P}.{S}",
    "hs256-keyed-with-public-pem": hs256_with_public_pem,
    "signed-by-attacker-same-kid": lambda: signed_raw(
        good_header(), json.dumps(claims(NOW)), ATTACKER
    ),
    "embedded-jwk-header": lambda: signed_raw(
        good_header(jwk=ATTACKER.as_dict(private=False)), json.dumps(claims(NOW)), ATTACKER
    ),
    "jku-header-to-attacker": lambda: signed_raw(
        good_header(jku="https://evil.example/jwks"), json.dumps(claims(NOW)), ATTACKER
    ),
    "kid-path-traversal": lambda: signed_raw(
        good_header(kid="../../../../etc/passwd"), json.dumps(claims(NOW)), ATTACKER
    ),
    "kid-sql-injection": lambda: signed_raw(
        good_header(kid="' OR '1'='1"), json.dumps(claims(NOW)), ATTACKER
    ),
    "kid-as-object": lambda: signed_raw(good_header(kid={"$ne": None}), json.dumps(claims(NOW))),
    "kid-100k-chars": lambda: signed_raw(good_header(kid="k" * 100_000), json.dumps(claims(NOW))),
    "crit-unknown-extension": lambda: signed_raw(
        good_header(crit=["x-evil"], **{"x-evil": 1}), json.dumps(claims(NOW))
    ),
    "missing-exp": lambda: with_claims(exp=None),
    "missing-iss": lambda: with_claims(iss=None),
    "missing-aud": lambda: with_claims(aud=None),
    "duplicate-iss-claim": lambda: signed_raw(
        good_header(), json.dumps(claims(NOW)).replace("{", '{"iss": "https://evil.example", ', 1)
    ),
    "duplicate-exp-claim": lambda: signed_raw(
        good_header(), json.dumps(claims(NOW)).replace("{", '{"exp": 99999999999, ', 1)
    ),
    "wrong-iss": lambda: with_claims(iss="https://evil.example.com"),
    "iss-with-trailing-slash": lambda: with_claims(iss=ISSUER + "/"),
    "wrong-aud": lambda: with_claims(aud="someone-else"),
    "wrong-azp": lambda: with_claims(aud=[CLIENT_ID, "other"], azp="other"),
    "expired": lambda: with_claims(exp=int(NOW) - 3600),
    "nonce-replayed": lambda: with_claims(nonce="another-sign-in"),
    "exp-NaN": lambda: replace_claim("exp", "NaN"),
    "exp-Infinity": lambda: replace_claim("exp", "Infinity"),
    "exp-minus-Infinity": lambda: replace_claim("exp", "-Infinity"),
    "exp-1e400": lambda: replace_claim("exp", "1e400"),
    "exp-10**400": lambda: replace_claim("exp", "1" + "0" * 400),
    "exp-string": lambda: replace_claim("exp", '"1900000000"'),
    "nbf-string-in-future": lambda: replace_claim("nbf", f'"{int(NOW) + 86400}"'),
    "iat-string": lambda: replace_claim("iat", '"yesterday"'),
    "aud-nested-array": lambda: with_claims(aud=[[CLIENT_ID]]),
    "aud-object": lambda: with_claims(aud={CLIENT_ID: CLIENT_ID}),
    "typ-at+jwt": lambda: signed_raw(good_header(typ="at+jwt"), json.dumps(claims(NOW))),
    "typ-logout+jwt": lambda: signed_raw(good_header(typ="logout+jwt"), json.dumps(claims(NOW))),
    "unsigned-two-parts": lambda: f"{H}.{P}",
    "truncated-signature": lambda: f"{H}.{P}.{S[: len(S) // 2]}",
    "truncated-token": lambda: GOOD[: len(GOOD) // 2],
    "non-base64-header": lambda: f"!!!***.{P}.{S}",
    "non-json-payload": lambda: signed_raw(good_header(), "this is not json"),
    "array-payload": lambda: signed_raw(good_header(), json.dumps([claims(NOW)])),
    "array-header": lambda: raw_sign(b'["RS256"]', json.dumps(claims(NOW)).encode()),
    "one-megabyte-garbage": lambda: f"{H}.{'A' * 1_000_000}.{S}",
    "one-megabyte-nesting": lambda: signed_raw(
        good_header(), '{"a": ' + "[" * 500_000 + "]" * 500_000 + "}"
    ),
    "newline-injected": lambda: f"{H}\n.{P}.{S}",
    "not-a-string": lambda: {"token": GOOD},
    "bytes": lambda: GOOD.encode(),
    "empty": lambda: "",
}


def assert_typed(error: BaseException, secret: Any = None) -> None:
    assert isinstance(error, AuthError), f"untyped: {error!r}"
    assert error.message and error.recovery_suggestion
    assert len(error.message) < 1000
    if isinstance(secret, str) and len(secret) > 40:
        assert secret not in str(error)


def test_the_untampered_token_verifies() -> None:
    verifier, _, _ = make_verifier()
    assert verifier.verify(GOOD, nonce=NONCE)


@pytest.mark.parametrize("name", sorted(FORGED_TOKENS))
def test_a_forged_or_malformed_token_is_refused(name: str) -> None:
    token = FORGED_TOKENS[name]()
    verifier, _, _ = make_verifier()
    with pytest.raises(TokenVerificationError) as info:
        verifier.verify(token, nonce=NONCE)
    assert_typed(info.value, token)


@pytest.mark.parametrize("name", ["exp-NaN", "exp-1e400", "exp-10**400", "duplicate-iss-claim"])
def test_decode_jwt_refuses_the_same_tokens_typed(name: str) -> None:
    with pytest.raises(InvalidTokenError) as info:
        decode_jwt(FORGED_TOKENS[name]())
    assert_typed(info.value)


# -- JWKS documents ------------------------------------------------------------------------

SYMMETRIC = {"kty": "oct", "kid": KEY.kid, "k": b64(KEY.as_pem(private=False))}
JWKS_DOCUMENTS: dict[str, Any] = {
    "keys-is-a-string": {"keys": "not a list"},
    "keys-missing": {"issuer": ISSUER},
    "keys-of-garbage": {"keys": [1, "two", None]},
    "empty-key-set": {"keys": []},
    "symmetric-key-under-the-kid": {"keys": [SYMMETRIC]},
    "private-key-published": {"keys": [KEY.as_dict(private=True)]},
    "duplicate-kids-ambiguous": {
        "keys": [ATTACKER.as_dict(private=False), KEY.as_dict(private=False)]
    },
    "rsa-modulus-not-base64": {"keys": [{**KEY.as_dict(private=False), "n": "!!!"}]},
    "unknown-kty": {"keys": [{"kty": "XYZ", "kid": KEY.kid}]},
    "error-body": {"error": "server_error"},
}


@pytest.mark.parametrize("name", sorted(JWKS_DOCUMENTS))
def test_a_hostile_jwks_never_lets_a_token_through(name: str) -> None:
    document = JWKS_DOCUMENTS[name]
    verifier, _, _ = make_verifier((200, document))
    with pytest.raises(AuthError) as info:
        verifier.verify(GOOD, nonce=NONCE)
    assert_typed(info.value)


@pytest.mark.parametrize("body", ["<html>oops</html>", [1, 2], None])
def test_a_jwks_that_is_not_a_json_object_is_typed(body: Any) -> None:
    session = FakeSession((200, body))
    verifier = TokenVerifier(
        issuer=ISSUER,
        client_id=CLIENT_ID,
        jwks=JWKSCache(JWKS_URI, session),  # type: ignore[arg-type]
        clock=FakeClock(),
    )
    with pytest.raises(AuthError) as info:
        verifier.verify(GOOD)
    assert_typed(info.value)


# -- discovery documents -----------------------------------------------------------------------

DISCOVERY_ISSUER = "https://idp.example.com"


def discovery(**overrides: Any) -> dict[str, Any]:
    document = {
        "issuer": DISCOVERY_ISSUER,
        "token_endpoint": f"{DISCOVERY_ISSUER}/token",
        "jwks_uri": f"{DISCOVERY_ISSUER}/jwks",
        "authorization_endpoint": f"{DISCOVERY_ISSUER}/authorize",
    }
    document.update(overrides)
    return {k: v for k, v in document.items() if v is not None}


DISCOVERY_DOCUMENTS = {
    "wrong-issuer": discovery(issuer="https://evil.example.com"),
    "issuer-not-a-string": discovery(issuer=["https://idp.example.com"]),
    "missing-token-endpoint": discovery(token_endpoint=None),
    "missing-jwks-uri": discovery(jwks_uri=None),
    "token-endpoint-a-number": discovery(token_endpoint=443),
    "jwks-uri-a-list": discovery(jwks_uri=[f"{DISCOVERY_ISSUER}/jwks"]),
}
INSECURE_ENDPOINTS = {
    "javascript-authorization-endpoint": discovery(authorization_endpoint="javascript:alert(1)"),
    "file-jwks-uri": discovery(jwks_uri="file:///etc/passwd"),
    "ftp-token-endpoint": discovery(token_endpoint="ftp://idp.example.com/token"),
    "http-token-endpoint-non-loopback": discovery(token_endpoint="http://idp.example.com/token"),
    "http-device-endpoint-non-loopback": discovery(
        device_authorization_endpoint="http://evil.example.com/device"
    ),
    "javascript-revocation-endpoint": discovery(revocation_endpoint="javascript:void(0)"),
}


@pytest.mark.parametrize("name", sorted(DISCOVERY_DOCUMENTS))
def test_a_malformed_discovery_document_is_a_discovery_error(name: str) -> None:
    with pytest.raises(DiscoveryError) as info:
        ProviderMetadata.from_document(DISCOVERY_DOCUMENTS[name], DISCOVERY_ISSUER)
    assert_typed(info.value)


@pytest.mark.parametrize("name", sorted(INSECURE_ENDPOINTS))
def test_an_insecure_discovery_endpoint_is_refused(name: str) -> None:
    with pytest.raises((InsecureEndpointError, DiscoveryError)) as info:
        ProviderMetadata.from_document(INSECURE_ENDPOINTS[name], DISCOVERY_ISSUER)
    assert_typed(info.value)


def test_http_endpoints_on_loopback_are_accepted() -> None:
    issuer = "http://127.0.0.1:8080/realms/x"
    document = {"issuer": issuer, "token_endpoint": f"{issuer}/t", "jwks_uri": f"{issuer}/k"}
    assert ProviderMetadata.from_document(document, issuer).jwks_uri == f"{issuer}/k"


# -- callbacks (RFC 6749 §4.1.2, RFC 9207) -------------------------------------------------------


class FakeClient:
    """What ``_exchange`` touches: metadata, token_request, clock."""

    def __init__(self, iss_supported: bool = False) -> None:
        self.metadata = ProviderMetadata(
            issuer=DISCOVERY_ISSUER,
            token_endpoint=f"{DISCOVERY_ISSUER}/token",
            jwks_uri=f"{DISCOVERY_ISSUER}/jwks",
            authorization_response_iss_parameter_supported=iss_supported,
        )
        self.requests: list[dict[str, Any]] = []
        self.clock = FakeClock()

    def token_request(self, what: str, data: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(data)
        return {"access_token": "at", "token_type": "Bearer", "expires_in": 300}


STATE = "s-" + "x" * 30
CB = "http://127.0.0.1:8765/callback"
CALLBACKS: dict[str, tuple[str, type[AuthError]]] = {
    "wrong-state": (f"{CB}?code=c&state=forged", CallbackValidationError),
    "missing-state": (f"{CB}?code=c", CallbackValidationError),
    "missing-code": (f"{CB}?state={STATE}", CallbackValidationError),
    "empty-code": (f"{CB}?code=&state={STATE}", CallbackValidationError),
    "error-access-denied": (f"{CB}?error=access_denied&state={STATE}", OAuthError),
    "error-server-error": (f"{CB}?error=server_error&state={STATE}", OAuthError),
    "error-with-injected-description": (
        f"{CB}?error=invalid_request&error_description=%3Cscript%3E&state={STATE}",
        OAuthError,
    ),
    "injected-iss": (
        f"{CB}?code=c&state={STATE}&iss=https://evil.example",
        CallbackValidationError,
    ),
    "huge-query": (f"{CB}?code=c&state=" + "A" * 1_000_000, CallbackValidationError),
    "garbage-url": ("::::not a url::::", CallbackValidationError),
}


@pytest.mark.parametrize("name", sorted(CALLBACKS))
def test_a_hostile_callback_is_refused_before_any_code_exchange(name: str) -> None:
    url, expected = CALLBACKS[name]
    client = FakeClient()
    with pytest.raises(expected) as info:
        _exchange(
            client,  # type: ignore[arg-type]
            url,
            state=STATE,
            pkce=PKCE.generate(),
            redirect_uri=CB,
            nonce=NONCE,
            custom_state=None,
            on_tokens=lambda *a: None,
        )
    assert_typed(info.value)
    assert client.requests == []


def test_a_missing_iss_is_refused_when_the_provider_promises_one() -> None:
    client = FakeClient(iss_supported=True)
    with pytest.raises(CallbackValidationError):
        _exchange(
            client,  # type: ignore[arg-type]
            f"{CB}?code=c&state={STATE}",
            state=STATE,
            pkce=PKCE.generate(),
            redirect_uri=CB,
            nonce=NONCE,
            custom_state=None,
            on_tokens=lambda *a: None,
        )
    assert client.requests == []


# -- storage files -------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> FileStorage:
    fs = FileStorage(tmp_path / "store")
    fs.set("k", "v")
    return fs


def only_file(store: FileStorage) -> Path:
    (path,) = [p for p in store.path.iterdir() if p.suffix == ".json"]
    return path


def make_world_writable(store: FileStorage, tmp_path: Path) -> None:
    os.chmod(only_file(store), 0o666)


def make_symlink(store: FileStorage, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.json"
    target.write_text('{"key": "k", "value": "planted"}')
    os.chmod(target, 0o600)
    only_file(store).unlink()
    only_file_path = store._file("k")
    only_file_path.symlink_to(target)


def make_foreign_owned(store: FileStorage, tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("chown to another uid needs root")
    os.chown(only_file(store), 12345, -1)


def make_open_directory(store: FileStorage, tmp_path: Path) -> None:
    os.chmod(store.path, 0o757)


@pytest.mark.parametrize(
    "tamper", [make_world_writable, make_symlink, make_foreign_owned, make_open_directory]
)
def test_an_unsafe_store_file_is_refused_typed_and_reads_as_absent(
    store: FileStorage, tmp_path: Path, tamper: Callable[[FileStorage, Path], None]
) -> None:
    tamper(store, tmp_path)
    with pytest.raises(UnsafeStorageError) as info:
        store.read("k")
    assert_typed(info.value)
    assert store.get("k") is None


@pytest.mark.parametrize(
    "garbage",
    [b"\x00\xff" * 100, b"{" * 200_000, b'{"key": "k", "value": NaN}', b"[]", b"1e400"],
)
def test_a_garbage_session_file_is_no_record(tmp_path: Path, garbage: bytes) -> None:
    fs = FileStorage(tmp_path / "store")
    fs.set(session_storage_key(ISSUER, CLIENT_ID), "{}")
    (path,) = [p for p in fs.path.iterdir() if p.suffix == ".json"]
    path.write_bytes(garbage)
    assert SessionRecord.load(fs, ISSUER, CLIENT_ID) is None
