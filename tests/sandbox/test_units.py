"""Unit tests of the sandbox's building blocks, without a server."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from nbauth.sandbox.aws_errors import AwsError
from nbauth.sandbox.faults import FaultInjector
from nbauth.sandbox.identity_store import IdentityStore
from nbauth.sandbox.logins import logins_key_for_issuer
from nbauth.sandbox.token_verification import JwksCache, TokenError, parse_jwt, verify_signature

POOL = "us-east-1:0f0f0f0f-0000-0000-0000-000000000000"
A = ("provider-a", "alice")
B = ("provider-b", "bob")


# -- identity store -------------------------------------------------------------
def test_store_links_and_keeps_ids_stable() -> None:
    store = IdentityStore()
    first = store.get_or_create(POOL, [A])
    assert store.get_or_create(POOL, [A]) == first
    assert store.get_or_create(POOL, [A, B]) == first  # B gets linked
    assert store.get_or_create(POOL, [B]) == first
    assert store.describe(first).logins_keys() == ["provider-a", "provider-b"]  # type: ignore[union-attr]


def test_store_conflict_forbidden_and_not_found() -> None:
    store = IdentityStore()
    alice = store.get_or_create(POOL, [A])
    bob = store.get_or_create(POOL, [B])
    with pytest.raises(AwsError) as conflict:
        store.get_or_create(POOL, [A, B])
    assert conflict.value.code == "ResourceConflictException"
    with pytest.raises(AwsError) as forbidden:
        store.authorize(POOL, alice, [B])
    assert forbidden.value.code == "NotAuthorizedException"
    assert forbidden.value.message == f"Access to Identity '{alice}' is forbidden."
    with pytest.raises(AwsError) as mixed:
        store.authorize(POOL, alice, [A, B])
    assert mixed.value.code == "ResourceConflictException"
    with pytest.raises(AwsError) as missing:
        store.authorize(POOL, "us-east-1:nope", [A])
    assert missing.value.code == "ResourceNotFoundException"
    assert store.authorize(POOL, bob, [B]).identity_id == bob


def test_store_merge_and_delete() -> None:
    store = IdentityStore()
    alice = store.get_or_create(POOL, [A])
    bob = store.get_or_create(POOL, [B])
    store.merge(bob, alice)
    assert store.get_or_create(POOL, [B]) == alice
    assert store.authorize(POOL, bob, [B]).identity_id == alice
    assert store.describe(bob).identity_id == alice  # type: ignore[union-attr]
    assert store.delete(alice)
    assert store.describe(bob) is None
    assert store.get_or_create(POOL, [A]) != alice


def test_store_guest_upgrade_and_merge() -> None:
    store = IdentityStore()
    guest = store.create_guest(POOL)
    assert not store.describe(guest).authenticated  # type: ignore[union-attr]
    assert store.authorize(POOL, guest, []).identity_id == guest
    assert store.authorize(POOL, guest, [A]).identity_id == guest  # upgraded
    other_guest = store.create_guest(POOL)
    assert store.authorize(POOL, other_guest, [A]).identity_id == guest  # merged into owner


# -- tokens and JWKS ------------------------------------------------------------
@pytest.fixture(scope="module")
def key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256", "use": "sig"})


def test_parse_and_verify(key: RSAKey) -> None:
    token = jwt.encode({"alg": "RS256", "kid": "k1"}, {"sub": "x"}, key)
    parsed = parse_jwt(token)
    assert parsed.claims == {"sub": "x"} and parsed.header["kid"] == "k1"
    verify_signature(parsed, key)
    other = RSAKey.generate_key(2048)
    with pytest.raises(TokenError) as exc_info:
        verify_signature(parsed, other)
    assert exc_info.value.reason == "signature"
    for bad in ("", "a.b", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.W10.c2ln"):  # last: payload is a list
        with pytest.raises(TokenError) as exc_info:
            parse_jwt(bad)
        assert exc_info.value.reason == "malformed"


def test_jwks_cache_refetches_once_on_unknown_kid(key: RSAKey) -> None:
    published: list[dict[str, Any]] = [key.as_dict(private=False)]
    fetched: list[str] = []

    def fetch(url: str) -> dict[str, Any]:
        fetched.append(url)
        return {"keys": list(published)}

    cache = JwksCache(fetch)
    assert cache.key("https://idp/jwks", "k1").kid == "k1"
    assert cache.key("https://idp/jwks", "k1").kid == "k1"
    assert len(fetched) == 1  # cached
    with pytest.raises(TokenError) as exc_info:
        cache.key("https://idp/jwks", "k2")
    assert exc_info.value.reason == "unknown_key"
    assert len(fetched) == 2  # exactly one refetch
    published.append(RSAKey.generate_key(2048, parameters={"kid": "k2"}).as_dict(private=False))
    assert cache.key("https://idp/jwks", "k2").kid == "k2"
    assert len(fetched) == 3


def test_jwks_cache_expires_and_reports_fetch_failures(key: RSAKey) -> None:
    now = [0.0]
    calls = [0]

    def fetch(url: str) -> dict[str, Any]:
        calls[0] += 1
        if url.endswith("openid-configuration"):
            return {"issuer": "https://idp", "jwks_uri": "https://idp/jwks"}
        raise OSError("down")

    cache = JwksCache(fetch, ttl_seconds=10, clock=lambda: now[0])
    assert cache.jwks_uri("https://idp/") == "https://idp/jwks"
    assert cache.jwks_uri("https://idp") == "https://idp/jwks"
    assert calls[0] == 1
    now[0] = 11
    cache.jwks_uri("https://idp")
    assert calls[0] == 2  # stale after the TTL
    with pytest.raises(TokenError) as exc_info:
        cache.key("https://idp/jwks", "k1")
    assert exc_info.value.reason == "keys_unavailable"


def test_logins_key_for_issuer() -> None:
    assert logins_key_for_issuer("https://idp.example.com/") == "idp.example.com"
    assert logins_key_for_issuer("http://127.0.0.1:8080/realms/x") == "127.0.0.1:8080/realms/x"


# -- faults ---------------------------------------------------------------------
def _call(app: Any, target: str) -> tuple[str, bytes]:
    seen: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"] = status

    body = b"".join(
        app(
            {"HTTP_X_AMZ_TARGET": target, "CONTENT_LENGTH": "2", "wsgi.input": io.BytesIO(b"{}")},
            start_response,
        )
    )
    return seen["status"], body


def _ok(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [])
    return [b"{}"]


def test_fault_injector_counts_fails_and_goes_down() -> None:
    faults = FaultInjector(_ok)
    faults.fail_next("GetId", code="TooManyRequestsException")
    status, body = _call(faults, "AWSCognitoIdentityService.GetId")
    assert status.startswith("400")
    assert json.loads(body)["__type"] == "TooManyRequestsException"
    assert _call(faults, "AWSCognitoIdentityService.GetId")[0].startswith("200")
    faults.set_down()
    status, body = _call(faults, "AWSCognitoIdentityService.GetId")
    assert status.startswith("503") and body.startswith(b"<html>")
    assert _call(faults, "AWSCognitoIdentityProviderService.InitiateAuth")[0].startswith("200")
    faults.set_down(down=False)
    assert faults.calls("GetId") == 3
    assert faults.calls("InitiateAuth") == 1
    assert _call(faults, "Other.Thing")[0].startswith("200")
    assert faults.calls("Thing") == 0  # only Cognito targets are counted
