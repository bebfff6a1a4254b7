"""Property-based fuzzing (hypothesis) of every parser nbauth feeds outside input to (issue 11).

Property, for each: the parser returns a valid result or raises an :class:`~nbauth.errors.AuthError`
subclass — never another exception, never a hang — and a result it returns is sane (finite
dates, the expected issuer and audience...). Runs are bounded and reproducible: a fixed
number of examples, derandomized, no example database, a per-test timeout.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbauth.config import load_config
from nbauth.core.jwt import JWT, MAX_NUMERIC_DATE, decode_jwt
from nbauth.core.session_record import SessionRecord, session_storage_key
from nbauth.core.storage import MemoryStorage
from nbauth.errors import AuthError
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
    FakeSession,
    claims,
    make_verifier,
)

pytestmark = pytest.mark.timeout(60)

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NOW = FakeClock()()

hostile_numbers = st.sampled_from(
    [math.nan, math.inf, -math.inf, 10**400, -(10**400), 1e308, -1, 2**53, 2**64, 0.5]
)
scalars = (
    hostile_numbers
    | st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.integers(min_value=10**300, max_value=10**310)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
CLAIM_NAMES = ["iss", "aud", "azp", "sub", "exp", "nbf", "iat", "auth_time", "nonce", "typ"]
claim_values = (
    json_values
    | st.sampled_from([ISSUER, CLIENT_ID, [CLIENT_ID], [CLIENT_ID, "other"], "other"])
    | st.floats(min_value=NOW - 1000, max_value=NOW + 1000)
    | st.integers(min_value=int(NOW) - 1000, max_value=int(NOW) + 1000)
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def assert_sane_jwt(decoded: JWT) -> None:
    exp = decoded.expires_at
    assert exp is None or (math.isfinite(exp) and 0 <= exp <= MAX_NUMERIC_DATE)


# -- decode_jwt ----------------------------------------------------------------------------------


@FUZZ
@given(st.text(max_size=300) | st.binary(max_size=100) | json_values)
def test_decode_jwt_of_anything(value: Any) -> None:
    try:
        decoded = decode_jwt(value)
    except AuthError:
        return
    assert_sane_jwt(decoded)


claim_dicts = st.dictionaries(st.sampled_from(CLAIM_NAMES) | st.text(max_size=6), json_values)


@FUZZ
@given(json_values | claim_dicts, json_values | claim_dicts, st.text(max_size=20))
def test_decode_jwt_of_base64_json(header: Any, payload: Any, signature: str) -> None:
    token = ".".join(
        (b64(json.dumps(header).encode()), b64(json.dumps(payload).encode()), signature)
    )
    try:
        decoded = decode_jwt(token)
    except AuthError:
        return
    assert isinstance(decoded.header, dict) and isinstance(decoded.payload, dict)
    assert_sane_jwt(decoded)


# -- TokenVerifier.verify with a local JWKS --------------------------------------------------


@FUZZ
@given(
    st.dictionaries(st.sampled_from(CLAIM_NAMES) | st.text(max_size=6), claim_values, max_size=8),
    st.dictionaries(st.sampled_from(["typ", "kid", "cty", "crit", "jku"]), json_values, max_size=2),
    st.booleans(),
)
def test_verify_random_claims_and_headers(
    overrides: dict[str, Any], header: dict[str, Any], start_from_valid: bool
) -> None:
    payload = {**(claims(NOW) if start_from_valid else {}), **overrides}
    full_header = {"alg": "RS256", "kid": KEY.kid, **header}
    token = raw_sign(json.dumps(full_header).encode(), json.dumps(payload).encode())
    verifier, _, _ = make_verifier(clock=FakeClock())
    try:
        decoded = verifier.verify(token)
    except AuthError:
        return
    # whatever passed is a real ID token for this client
    assert decoded.payload["iss"] == ISSUER
    aud = decoded.payload["aud"]
    assert aud == CLIENT_ID or (isinstance(aud, list) and CLIENT_ID in aud)
    exp = decoded.expires_at
    assert exp is not None and exp >= NOW - verifier.leeway
    assert (
        decoded.header.get("typ") in (None, "JWT", "jwt", "application/jwt")
        or str(decoded.header["typ"]).lower().removeprefix("application/") == "jwt"
    )


# -- JWKS import ---------------------------------------------------------------------------------

jwk_like = st.fixed_dictionaries(
    {"kty": st.sampled_from(["RSA", "EC", "oct", "OKP", "x"]) | json_values},
    optional={
        "kid": st.sampled_from([KEY.kid, "other"]) | json_values,
        "n": st.text(max_size=10) | json_values,
        "e": st.sampled_from(["AQAB"]) | json_values,
        "crv": st.sampled_from(["P-256", "Ed25519"]) | json_values,
        "x": st.text(max_size=10),
        "alg": st.sampled_from(["RS256", "HS256", "none"]) | json_values,
    },
)
jwks_documents = (
    json_values
    | st.fixed_dictionaries({"keys": st.lists(jwk_like | json_values, max_size=4)})
    | st.builds(
        lambda extra: {"keys": [KEY.as_dict(private=False), *extra]}, st.lists(jwk_like, max_size=2)
    )
)


@FUZZ
@given(jwks_documents, st.sampled_from([None, KEY.kid, "other", ""]))
def test_jwks_import_of_random_documents(document: Any, kid: str | None) -> None:
    session = FakeSession((200, document))
    cache = JWKSCache(JWKS_URI, session)  # type: ignore[arg-type]
    with contextlib.suppress(AuthError):
        cache.key_for(kid)
    verifier = TokenVerifier(issuer=ISSUER, client_id=CLIENT_ID, jwks=cache, clock=FakeClock())
    token = raw_sign(
        json.dumps({"alg": "RS256", "kid": KEY.kid}).encode(), json.dumps(claims(NOW)).encode()
    )
    try:
        verifier.verify(token)
    except AuthError:
        return


# -- discovery documents -------------------------------------------------------------------------

URLS = st.sampled_from(
    [
        "https://idp.example.com/token",
        "http://127.0.0.1:1/x",
        "http://idp.example.com/x",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "ftp://x/y",
        "",
        "https://",
        "//idp.example.com/x",
    ]
)
ENDPOINT_KEYS = [
    "issuer",
    "token_endpoint",
    "jwks_uri",
    "authorization_endpoint",
    "device_authorization_endpoint",
    "revocation_endpoint",
    "userinfo_endpoint",
    "end_session_endpoint",
    "code_challenge_methods_supported",
    "authorization_response_iss_parameter_supported",
]


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(ENDPOINT_KEYS) | st.text(max_size=5), URLS | json_values, max_size=10
    )
)
def test_discovery_documents(document: dict[str, Any]) -> None:
    expected = "https://idp.example.com"
    document = {"issuer": expected, **document} if "issuer" not in document else document
    try:
        metadata = ProviderMetadata.from_document(document, expected)
    except AuthError:
        return
    assert metadata.issuer in (expected, expected + "/")
    assert isinstance(metadata.token_endpoint, str) and isinstance(metadata.jwks_uri, str)


# -- callback URLs -------------------------------------------------------------------------------

STATE = "state-0123456789"


class FakeClient:
    def __init__(self) -> None:
        self.metadata = ProviderMetadata(
            issuer="https://idp.example.com",
            token_endpoint="https://idp.example.com/token",
            jwks_uri="https://idp.example.com/jwks",
        )
        self.clock = FakeClock()

    def token_request(self, what: str, data: dict[str, Any]) -> dict[str, Any]:
        return {"access_token": "at", "token_type": "Bearer", "expires_in": 300}


query_values = st.text(max_size=30) | st.sampled_from(
    [STATE, "https://idp.example.com", "access_denied"]
)


@FUZZ
@given(
    st.text(max_size=40),
    st.lists(
        st.tuples(
            st.sampled_from(["code", "state", "iss", "error", "error_description"])
            | st.text(max_size=5),
            query_values,
        ),
        max_size=6,
    ),
)
def test_callback_urls(prefix: str, params: list[tuple[str, str]]) -> None:
    from urllib.parse import urlencode

    url = f"http://127.0.0.1:9/cb{prefix}?{urlencode(params)}"
    try:
        result = _exchange(
            FakeClient(),  # type: ignore[arg-type]
            url,
            state=STATE,
            pkce=PKCE.generate(),
            redirect_uri="http://127.0.0.1:9/cb",
            nonce="n",
            custom_state=None,
            on_tokens=lambda *args: "signed-in",
        )
    except AuthError:
        return
    assert result == "signed-in"


# -- configuration -------------------------------------------------------------------------------

config_values = json_values | st.sampled_from(
    ["eu-west-1", "https://idp.example.com", "file", "memory"]
)
auth_sections = st.dictionaries(
    st.sampled_from(
        [
            "aws_region",
            "user_pool_id",
            "user_pool_client_id",
            "identity_pool_id",
            "oauth",
            "unauthenticated_identities_enabled",
        ]
    ),
    config_values,
    max_size=4,
)
nbauth_sections = st.dictionaries(
    st.sampled_from(["oidc_providers", "default_provider", "refresh", "storage"])
    | st.text(max_size=4),
    config_values
    | st.dictionaries(st.text(max_size=6), config_values, max_size=3)
    | st.fixed_dictionaries(
        {
            "corp": st.dictionaries(
                st.sampled_from(["issuer", "client_id", "scopes", "preset"]), config_values
            )
        }
    ),
    max_size=3,
)


@FUZZ
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "version": config_values,
            "auth": auth_sections | json_values,
            "nbauth": nbauth_sections | json_values,
        },
    )
)
def test_configuration_dicts(config: dict[str, Any]) -> None:
    try:
        load_config(config)
    except AuthError:
        return


# -- stored session records ----------------------------------------------------------------------

record_fields = st.fixed_dictionaries(
    {"refresh_token": st.just("rt") | json_values},
    optional={
        "provider": json_values,
        "access_token": st.just("at") | json_values,
        "id_token": json_values,
        "expires_at": hostile_numbers | json_values,
        "scope": json_values,
        "signed_out": json_values,
    },
)


@FUZZ
@given(
    st.binary(max_size=200).map(lambda b: b.decode("utf-8", "replace"))
    | record_fields.map(json.dumps)
    | st.integers(min_value=1, max_value=5000).map(lambda n: "[" * n + "]" * n)
    | json_values.map(json.dumps)
)
def test_stored_records(raw: str) -> None:
    storage = MemoryStorage()
    storage.set(session_storage_key(ISSUER, CLIENT_ID), raw)
    record = SessionRecord.load(storage, ISSUER, CLIENT_ID)
    SessionRecord.signed_out(storage, ISSUER, CLIENT_ID)
    if record is not None:
        assert isinstance(record.refresh_token, str) and record.refresh_token
        assert record.expires_at is None or math.isfinite(record.expires_at)
        record.holds_tokens_until(NOW)
