"""Unit tests for nbauth.core.jwt (decode without verification) and nbauth.core.values."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest

from nbauth.core.jwt import JWT, decode_jwt
from nbauth.core.values import (
    AuthSession,
    AuthTokens,
    AWSCredentials,
    CredentialsAndIdentityId,
    FederateToIdentityPoolResult,
)
from nbauth.errors import AuthError, InvalidParameterError, InvalidTokenError

UTC = dt.timezone.utc
EXP = 1_900_000_000
ISSUER = "https://idp.example.com"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEsessionTOKENvalue0123456789abcdef"
ACCESS_KEY_ID = "ASIAEXAMPLEKEYID1234"


def _b64(obj: Any) -> str:
    raw = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def make_jwt(claims: dict[str, Any] | None = None, **extra: Any) -> str:
    """An unsigned compact JWT: base64url(header).base64url(payload).dummy-signature."""
    payload = {"iss": ISSUER, "sub": "user-123", "aud": "client", "exp": EXP}
    payload.update(claims or {})
    payload.update(extra)
    return f"{_b64({'alg': 'RS256', 'kid': 'k1'})}.{_b64(payload)}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk"


@pytest.fixture
def id_token() -> str:
    return make_jwt(token_use="id", email="ada@example.com", nonce="n-1")


@pytest.fixture
def access_token() -> str:
    return make_jwt(token_use="access", scope="openid email")


@pytest.fixture
def creds() -> AWSCredentials:
    return AWSCredentials(ACCESS_KEY_ID, SECRET_KEY, SESSION_TOKEN, float(EXP))


# --- decode_jwt ---------------------------------------------------------------------------------


def test_decode_jwt_reads_header_and_claims(id_token: str) -> None:
    jwt = decode_jwt(id_token)

    assert isinstance(jwt, JWT)
    assert jwt.header == {"alg": "RS256", "kid": "k1"}
    assert jwt.payload["email"] == "ada@example.com"
    assert jwt.payload["token_use"] == "id"
    assert jwt.issuer == ISSUER
    assert jwt.subject == "user-123"
    assert jwt.expires_at == float(EXP)
    assert isinstance(jwt.expires_at, float)
    assert jwt.to_string() == id_token


def test_decode_jwt_strips_whitespace_and_is_idempotent(id_token: str) -> None:
    jwt = decode_jwt(f"  {id_token}\n")
    assert jwt.to_string() == id_token
    assert decode_jwt(jwt) is jwt
    assert jwt == decode_jwt(id_token)
    assert hash(jwt) == hash(decode_jwt(id_token))
    assert jwt != decode_jwt(make_jwt(sub="someone-else"))


def test_decode_jwt_accepts_padded_segments() -> None:
    header = base64.urlsafe_b64encode(b'{"alg":"none"}').decode()
    payload = base64.urlsafe_b64encode(b'{"sub":"x"}').decode()
    assert decode_jwt(f"{header}.{payload}.").subject == "x"


@pytest.mark.parametrize(
    ("claims", "issuer", "subject", "expires_at"),
    [
        ({"iss": None, "sub": None}, None, None, EXP),
        ({"iss": 1, "sub": ["x"]}, None, None, EXP),
        ({"exp": 12.5}, ISSUER, "user-123", 12.5),
    ],
)
def test_claim_accessors_ignore_wrong_types(
    claims: dict[str, Any], issuer: Any, subject: Any, expires_at: Any
) -> None:
    jwt = decode_jwt(make_jwt(claims))
    assert jwt.issuer == issuer
    assert jwt.subject == subject
    assert jwt.expires_at == expires_at


def _raw_jwt(payload_json: str) -> str:
    return f"{_b64({'alg': 'RS256'})}.{_b64(payload_json.encode())}.sig"


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat", "auth_time"])
@pytest.mark.parametrize(
    "literal",
    [
        pytest.param("NaN", id="nan"),
        pytest.param("Infinity", id="inf"),
        pytest.param("-Infinity", id="-inf"),
        pytest.param("1e400", id="1e400"),
        pytest.param("1" + "0" * 400, id="10**400"),
        pytest.param("-1", id="negative"),
        pytest.param("253402300800", id="after-9999"),
        pytest.param('"1900000000"', id="string"),
        pytest.param("true", id="bool"),
        pytest.param("null", id="null"),
        pytest.param("[1900000000]", id="array"),
        pytest.param('{"v": 1}', id="object"),
    ],
)
def test_a_numeric_date_claim_that_is_not_one_is_refused(claim: str, literal: str) -> None:
    """RFC 7519 §2 NumericDate: before the fix, NaN/Infinity/1e400 read as "never expires",
    strings were ignored and -Infinity or 10**400 raised OverflowError."""
    with pytest.raises(InvalidTokenError) as info:
        decode_jwt(_raw_jwt(f'{{"sub": "x", "{claim}": {literal}}}'))
    assert info.value.recovery_suggestion
    if literal not in ("NaN", "Infinity", "-Infinity"):  # those are not even JSON
        assert claim in info.value.message


@pytest.mark.parametrize("value", [0, 1_900_000_000, 1_900_000_000.5, 253_402_300_799])
def test_expires_at_is_a_finite_float_for_every_valid_numeric_date(value: Any) -> None:
    assert decode_jwt(make_jwt(exp=value)).expires_at == float(value)


def test_expires_at_of_a_payload_changed_after_decoding_is_a_typed_error() -> None:
    jwt = decode_jwt(make_jwt())
    jwt.payload["exp"] = float("nan")
    with pytest.raises(InvalidTokenError):
        jwt.expires_at  # noqa: B018


def test_duplicate_claim_names_are_refused() -> None:
    """RFC 7519 §4: a parser must reject duplicate names or take the last; nbauth rejects."""
    with pytest.raises(InvalidTokenError):
        decode_jwt(_raw_jwt('{"sub": "x", "iss": "https://a.example", "iss": "https://b.example"}'))


def test_deeply_nested_json_is_a_typed_error_not_a_recursion_error() -> None:
    with pytest.raises(InvalidTokenError):
        decode_jwt(_raw_jwt('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"))


def test_claims_missing() -> None:
    token = f"{_b64({'alg': 'RS256'})}.{_b64({})}.sig"
    jwt = decode_jwt(token)
    assert jwt.payload == {}
    assert (jwt.issuer, jwt.subject, jwt.expires_at) == (None, None, None)


_HEADER = _b64({"alg": "RS256"})
_PAYLOAD = _b64({"sub": "x"})
_NON_UTF8 = _b64(b"\xff\xfe\x00")


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(f"{_HEADER}.{_PAYLOAD}", id="two-parts"),
        pytest.param(f"{_HEADER}.{_PAYLOAD}.sig.extra", id="four-parts"),
        pytest.param("", id="empty"),
        pytest.param("not a token", id="plain-text"),
        pytest.param(f".{_PAYLOAD}.sig", id="empty-header"),
        pytest.param(f"{_HEADER}..sig", id="empty-payload"),
        pytest.param(f"{_HEADER}.!!!***.sig", id="non-base64"),
        pytest.param(f"{_HEADER}.{_PAYLOAD}é.sig", id="non-ascii"),
        pytest.param(f"{_HEADER}.{_b64(b'not json at all')}.sig", id="non-json"),
        pytest.param(f"{_HEADER}.{_b64(b'{truncated')}.sig", id="truncated-json"),
        pytest.param(f"{_HEADER}.{_NON_UTF8}.sig", id="non-utf8"),
        pytest.param(f"{_HEADER}.{_b64([1, 2, 3])}.sig", id="array-payload"),
        pytest.param(f"{_b64('just a string')}.{_PAYLOAD}.sig", id="string-header"),
        pytest.param(f"{_HEADER}.{_b64(42)}.sig", id="number-payload"),
    ],
)
def test_malformed_tokens(token: str) -> None:
    with pytest.raises(InvalidTokenError) as info:
        decode_jwt(token)
    err = info.value
    assert isinstance(err, AuthError)
    assert isinstance(err, InvalidParameterError)
    assert err.name == "InvalidTokenError"
    assert err.recovery_suggestion


@pytest.mark.parametrize("value", [None, 42, b"a.b.c", {"token": "a.b.c"}, ["a", "b", "c"]])
def test_non_string_input(value: Any) -> None:
    with pytest.raises(InvalidTokenError) as info:
        decode_jwt(value)
    assert type(value).__name__ in info.value.message


def test_malformed_token_error_does_not_echo_the_token() -> None:
    secret_payload = "eyJzdXBlci1zZWNyZXQtcGF5bG9hZA"
    with pytest.raises(InvalidTokenError) as info:
        decode_jwt(f"{_HEADER}.{secret_payload}")
    assert secret_payload not in str(info.value)
    assert secret_payload not in repr(info.value)


# --- redacting reprs ----------------------------------------------------------------------------


def test_jwt_repr_hides_raw_token(id_token: str) -> None:
    jwt = decode_jwt(id_token)
    signature = id_token.rsplit(".", 1)[1]
    payload_segment = id_token.split(".")[1]
    for text in (repr(jwt), str(jwt), f"{jwt}"):
        assert id_token not in text
        assert payload_segment not in text
        assert signature not in text
        assert "<redacted>" in text
    assert ISSUER in repr(jwt)  # the useful, non-secret claims are shown


def test_aws_credentials_repr_hides_secrets(creds: AWSCredentials) -> None:
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert SECRET_KEY not in text
        assert SESSION_TOKEN not in text
        assert ACCESS_KEY_ID not in text
        assert ACCESS_KEY_ID[-4:] in text  # a short hint is fine
    assert creds.secret_access_key == SECRET_KEY
    assert creds.session_token == SESSION_TOKEN


def test_auth_tokens_repr_hides_tokens(id_token: str, access_token: str) -> None:
    tokens = AuthTokens(access_token=access_token, id_token=id_token)
    for text in (repr(tokens), str(tokens)):
        assert id_token not in text
        assert access_token not in text
        for segment in (*id_token.split("."), *access_token.split(".")):
            assert segment not in text


def test_auth_session_and_results_repr_hide_secrets(
    id_token: str, access_token: str, creds: AWSCredentials
) -> None:
    tokens = AuthTokens(access_token=access_token, id_token=id_token)
    session = AuthSession(tokens, creds, "eu-west-1:identity", "user-123")
    texts = [
        repr(session),
        str(session),
        repr(FederateToIdentityPoolResult("eu-west-1:identity", creds)),
        repr(CredentialsAndIdentityId(creds, "eu-west-1:identity")),
    ]
    for text in texts:
        for secret in (id_token, access_token, SECRET_KEY, SESSION_TOKEN):
            assert secret not in text
    assert "eu-west-1:identity" in repr(session)
    assert "user-123" in repr(session)


# --- AWSCredentials -----------------------------------------------------------------------------


def test_expiration_from_epoch_float() -> None:
    creds = AWSCredentials("AKID", "secret", None, 1_700_000_000.5)
    assert creds.expiration == dt.datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC)
    assert creds.expiration.tzinfo is not None
    assert creds.expiration.utcoffset() == dt.timedelta(0)
    assert creds.expires_at == 1_700_000_000.5


def test_expiration_from_epoch_int() -> None:
    creds = AWSCredentials("AKID", "secret", expiration=1_700_000_000)
    assert creds.expiration == dt.datetime.fromtimestamp(1_700_000_000, tz=UTC)
    assert creds.expires_at == 1_700_000_000.0


def test_naive_expiration_is_taken_as_utc() -> None:
    naive = dt.datetime(2030, 1, 2, 3, 4, 5)
    creds = AWSCredentials("AKID", "secret", "token", naive)
    assert creds.expiration == naive.replace(tzinfo=UTC)
    assert creds.expiration.utcoffset() == dt.timedelta(0)
    assert creds.expires_at == naive.replace(tzinfo=UTC).timestamp()


def test_aware_expiration_is_normalised_to_utc() -> None:
    plus_two = dt.timezone(dt.timedelta(hours=2))
    aware = dt.datetime(2030, 1, 2, 5, 4, 5, tzinfo=plus_two)
    creds = AWSCredentials("AKID", "secret", "token", aware)
    assert creds.expires_at == aware.timestamp()
    assert creds.expiration == aware  # same instant
    assert creds.expiration.utcoffset() == dt.timedelta(0)  # documented: "an aware UTC datetime"
    assert creds.expiration == dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_no_expiration() -> None:
    creds = AWSCredentials("AKID", "secret")
    assert creds.expiration is None
    assert creds.expires_at is None
    assert creds.session_token is None


def test_expiration_of_unsupported_type_is_a_typed_error() -> None:
    # credential_process / JSON sources give ISO-8601 strings; either parse it or say so clearly.
    try:
        creds = AWSCredentials("AKID", "secret", "token", "2030-01-02T03:04:05Z")  # type: ignore[arg-type]
    except AuthError:
        return
    assert creds.expires_at == dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()


def test_credentials_equality(creds: AWSCredentials) -> None:
    same = AWSCredentials(
        ACCESS_KEY_ID, SECRET_KEY, SESSION_TOKEN, dt.datetime.fromtimestamp(EXP, tz=UTC)
    )
    assert creds == same
    assert creds != AWSCredentials(ACCESS_KEY_ID, SECRET_KEY, SESSION_TOKEN, float(EXP + 1))
    assert creds != AWSCredentials(ACCESS_KEY_ID, "other", SESSION_TOKEN, float(EXP))
    with pytest.raises(TypeError):
        hash(creds)


# --- AuthTokens ---------------------------------------------------------------------------------


def test_auth_tokens_decode_strings(id_token: str, access_token: str) -> None:
    tokens = AuthTokens(access_token=access_token, id_token=id_token)
    assert isinstance(tokens.access_token, JWT)
    assert isinstance(tokens.id_token, JWT)
    assert tokens.access_token.to_string() == access_token
    assert tokens.id_token.payload["token_use"] == "id"


def test_auth_tokens_need_at_least_one_token() -> None:
    with pytest.raises(InvalidTokenError):
        AuthTokens()


def test_auth_tokens_reject_malformed_token() -> None:
    with pytest.raises(InvalidTokenError):
        AuthTokens(access_token="not-a-jwt")
    with pytest.raises(InvalidTokenError):
        AuthTokens(id_token=12345)  # type: ignore[arg-type]


def test_coerce_auth_tokens_is_identity(id_token: str) -> None:
    tokens = AuthTokens(id_token=id_token)
    assert AuthTokens.coerce(tokens) is tokens


def test_coerce_none() -> None:
    assert AuthTokens.coerce(None) is None


@pytest.mark.parametrize(
    ("access_key", "id_key"), [("access_token", "id_token"), ("accessToken", "idToken")]
)
def test_coerce_dict(id_token: str, access_token: str, access_key: str, id_key: str) -> None:
    tokens = AuthTokens.coerce({access_key: access_token, id_key: id_token, "expires_in": 3600})
    assert isinstance(tokens, AuthTokens)
    assert tokens.access_token.to_string() == access_token
    assert tokens.id_token.to_string() == id_token
    assert tokens == AuthTokens(access_token=access_token, id_token=id_token)


def test_coerce_dict_with_only_an_id_token(id_token: str) -> None:
    tokens = AuthTokens.coerce({"idToken": decode_jwt(id_token)})
    assert tokens.access_token is None
    assert tokens.id_token == decode_jwt(id_token)


@pytest.mark.parametrize("value", [42, "a.b.c", ["token"], object(), {}, {"refresh_token": "r"}])
def test_coerce_bad_values(value: Any) -> None:
    with pytest.raises(InvalidTokenError) as info:
        AuthTokens.coerce(value)
    assert info.value.recovery_suggestion


def test_federation_token_prefers_id_token(id_token: str, access_token: str) -> None:
    both = AuthTokens(access_token=access_token, id_token=id_token)
    assert both.federation_token.to_string() == id_token
    only_access = AuthTokens(access_token=access_token)
    assert only_access.federation_token.to_string() == access_token
    only_id = AuthTokens(id_token=id_token)
    assert only_id.federation_token.to_string() == id_token
