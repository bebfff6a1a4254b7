"""ID-token verification (invariant 5): signature against a cached JWKS, algorithm allow-list,
``iss``/``aud``/``azp``, ``exp``/``iat``/``nbf`` with a bounded leeway, ``nonce``, ``token_use``.

The JWKS is served by a fake ``requests`` session that counts fetches; keys are real RSA/EC keys
made with joserfc, and the forged tokens (``alg: none``, HS256 keyed with the public PEM) are
built by hand.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from nbauth.core.jwt import JWT
from nbauth.errors import (
    AuthError,
    NetworkError,
    ServiceError,
    TokenVerificationError,
)
from nbauth.oidc.token_verification import MAX_LEEWAY_SECONDS, JWKSCache, TokenVerifier
from tests.support.fakes import FakeClock

ISSUER = "https://idp.example.com/realms/team"
JWKS_URI = f"{ISSUER}/protocol/openid-connect/certs"
CLIENT_ID = "nbauth-notebook"
NONCE = "n-0S6_WzA2Mj"

KEY = RSAKey.generate_key(2048, parameters={"kid": "key-1"})
ROTATED_KEY = RSAKey.generate_key(2048, parameters={"kid": "key-2"})
EC_KEY = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})


# -- fakes -------------------------------------------------------------------------------


class FakeResponse:
    def __init__(self, status_code: int, body: Any, url: str) -> None:
        self.status_code = status_code
        self._body = body
        self.url = url
        self.is_redirect = False

    def json(self) -> Any:
        if isinstance(self._body, str):
            raise ValueError("not JSON")  # what requests raises (JSONDecodeError is a ValueError)
        return self._body


class FakeSession:
    """Answers each GET with the next scripted (status, body); the last one repeats."""

    def __init__(self, *answers: tuple[int, Any] | BaseException) -> None:
        self.answers = list(answers)
        self.fetches = 0
        self.urls: list[str] = []

    def request(self, method: str, url: str, **kwargs: Any) -> FakeResponse:
        assert method == "GET"
        # the deadline and size cap belong to the session (nbauth.oidc.transport.new_session)
        self.fetches += 1
        self.urls.append(url)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, BaseException):
            raise answer
        status, body = answer
        return FakeResponse(status, body, url)


def jwks(*keys: Any) -> tuple[int, dict[str, Any]]:
    return 200, {"keys": [key.as_dict(private=False) for key in keys]}


def make_verifier(
    *answers: tuple[int, Any] | BaseException,
    clock: FakeClock | None = None,
    leeway: float = 60.0,
) -> tuple[TokenVerifier, FakeSession, FakeClock]:
    clock = clock or FakeClock()
    session = FakeSession(*(answers or (jwks(KEY),)))
    verifier = TokenVerifier(
        issuer=ISSUER,
        client_id=CLIENT_ID,
        jwks=JWKSCache(JWKS_URI, session),  # type: ignore[arg-type]
        clock=clock,
        leeway_seconds=leeway,
    )
    return verifier, session, clock


def claims(now: float, **overrides: Any) -> dict[str, Any]:
    base = {
        "iss": ISSUER,
        "sub": "user-123",
        "aud": CLIENT_ID,
        "iat": int(now),
        "exp": int(now) + 300,
        "nonce": NONCE,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(payload: dict[str, Any], key: Any = KEY, alg: str = "RS256", kid: Any = "") -> str:
    header = {"alg": alg, "kid": key.kid if kid == "" else kid}
    if header["kid"] is None:
        del header["kid"]
    return jwt.encode(header, payload, key)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64json(value: Any) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def rejected(verifier: TokenVerifier, token: str, **kwargs: Any) -> TokenVerificationError:
    """Verify ``token``, expecting a clean TokenVerificationError; returns it."""
    with pytest.raises(TokenVerificationError) as info:
        verifier.verify(token, **kwargs)
    assert_clean(info.value, token)
    return info.value


def assert_clean(error: BaseException, token: str) -> None:
    """A typed AuthError with a recovery suggestion, whose text never carries the token."""
    assert isinstance(error, AuthError)
    assert error.recovery_suggestion
    assert error.message
    for text in (str(error), repr(error), error.message, error.recovery_suggestion):
        assert token not in text
        for segment in token.split("."):
            if len(segment) > 12:
                assert segment not in text


# -- the happy path ------------------------------------------------------------------------


def test_a_valid_id_token_verifies_and_comes_back_decoded() -> None:
    verifier, session, clock = make_verifier()
    token = sign(claims(clock()))

    decoded = verifier.verify(token, nonce=NONCE)

    assert isinstance(decoded, JWT)
    assert decoded.to_string() == token
    assert decoded.payload["sub"] == "user-123"
    assert decoded.header["kid"] == "key-1"
    assert session.urls == [JWKS_URI]


def test_the_jwks_is_cached_between_verifications() -> None:
    verifier, session, clock = make_verifier()
    for _ in range(3):
        verifier.verify(sign(claims(clock())))
    assert session.fetches == 1


def test_a_token_without_kid_uses_the_only_key_of_the_set() -> None:
    verifier, _, clock = make_verifier()
    token = sign(claims(clock()), kid=None)
    assert "kid" not in verifier.verify(token).header


# -- signatures and algorithms ----------------------------------------------------------------


def test_a_tampered_payload_is_rejected() -> None:
    verifier, _, clock = make_verifier()
    header, _, signature = sign(claims(clock())).split(".")
    forged = ".".join([header, b64json(claims(clock(), sub="admin")), signature])
    error = rejected(verifier, forged)
    assert "signature" in error.message


def test_a_tampered_signature_is_rejected() -> None:
    verifier, _, clock = make_verifier()
    header, payload, signature = sign(claims(clock())).split(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    forged = ".".join([header, payload, signature[:middle] + flipped + signature[middle + 1 :]])
    rejected(verifier, forged)


def test_a_token_signed_by_another_key_with_the_same_kid_is_rejected() -> None:
    impostor = RSAKey.generate_key(2048, parameters={"kid": "key-1"})
    verifier, _, clock = make_verifier()
    rejected(verifier, sign(claims(clock()), key=impostor))


@pytest.mark.parametrize("signature", ["", "c2ln"])
def test_alg_none_is_rejected(signature: str) -> None:
    verifier, _, clock = make_verifier()
    header = b64json({"alg": "none", "kid": "key-1"})
    token = ".".join([header, b64json(claims(clock())), signature])
    error = rejected(verifier, token)
    assert "'none'" in error.message


def test_hs256_keyed_with_the_public_key_pem_is_rejected() -> None:
    """The classic key-confusion forgery: HMAC over the token with the RSA public key as secret."""
    verifier, _, clock = make_verifier()
    signing_input = f"{b64json({'alg': 'HS256', 'kid': 'key-1', 'typ': 'JWT'})}." + b64json(
        claims(clock(), sub="admin")
    )
    for secret in (KEY.as_pem(private=False), json.dumps(KEY.as_dict(private=False)).encode()):
        mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
        token = f"{signing_input}.{b64url(mac)}"
        error = rejected(verifier, token)
        assert "HS256" in error.message


@pytest.mark.parametrize("alg", ["HS384", "HS512", "RSA1_5", "A128KW", "", None])
def test_algorithms_outside_the_allow_list_are_rejected(alg: Any) -> None:
    verifier, _, clock = make_verifier()
    token = ".".join([b64json({"alg": alg, "kid": "key-1"}), b64json(claims(clock())), "c2ln"])
    rejected(verifier, token)


def test_an_alg_header_that_is_not_a_string_is_a_verification_error() -> None:
    """A JSON array as ``alg`` must be refused cleanly, not crash on hashing (invariant 4)."""
    verifier, _, clock = make_verifier()
    token = ".".join(
        [b64json({"alg": ["RS256"], "kid": "key-1"}), b64json(claims(clock())), "c2ln"]
    )
    rejected(verifier, token)


def test_an_es256_token_whose_kid_names_the_rsa_key_is_rejected() -> None:
    verifier, _, clock = make_verifier()
    token = sign(claims(clock()), key=EC_KEY, alg="ES256", kid="key-1")
    rejected(verifier, token)


def test_an_es256_token_verifies_against_its_own_ec_key() -> None:
    verifier, _, clock = make_verifier(jwks(KEY, EC_KEY))
    token = sign(claims(clock()), key=EC_KEY, alg="ES256")
    assert verifier.verify(token).header["alg"] == "ES256"


@pytest.mark.parametrize("garbage", ["not-a-jwt", "a.b", "x.y.z", "", "...."])
def test_something_that_is_not_a_jwt_is_a_verification_error(garbage: str) -> None:
    verifier, session, _ = make_verifier()
    with pytest.raises(TokenVerificationError) as info:
        verifier.verify(garbage)
    assert info.value.recovery_suggestion
    assert session.fetches == 0


# -- key rotation ------------------------------------------------------------------------------


def test_an_unknown_kid_refetches_the_jwks_once_and_finds_the_rotated_key() -> None:
    verifier, session, clock = make_verifier(jwks(KEY), jwks(KEY, ROTATED_KEY))
    verifier.verify(sign(claims(clock())))  # primes the cache
    assert session.fetches == 1

    decoded = verifier.verify(sign(claims(clock()), key=ROTATED_KEY))

    assert decoded.header["kid"] == "key-2"
    assert session.fetches == 2
    verifier.verify(sign(claims(clock()), key=ROTATED_KEY))
    verifier.verify(sign(claims(clock())))
    assert session.fetches == 2  # both keys are cached now


def test_an_unknown_kid_that_stays_unknown_fails_after_exactly_one_more_fetch() -> None:
    verifier, session, clock = make_verifier(jwks(KEY))
    verifier.verify(sign(claims(clock())))
    assert session.fetches == 1

    error = rejected(verifier, sign(claims(clock()), key=ROTATED_KEY))

    assert session.fetches == 2
    assert "key-2" in error.message


def test_an_unknown_kid_on_a_cold_cache_fetches_once() -> None:
    """The document was fetched for this very token: fetching it again at once finds nothing."""
    verifier, session, clock = make_verifier(jwks(KEY))
    rejected(verifier, sign(claims(clock()), key=ROTATED_KEY))
    assert session.fetches == 1


# -- claims ------------------------------------------------------------------------------------


def test_a_wrong_issuer_is_rejected() -> None:
    verifier, _, clock = make_verifier()
    error = rejected(verifier, sign(claims(clock(), iss="https://evil.example.com")))
    assert "issuer" in error.message


def test_a_missing_issuer_is_rejected() -> None:
    verifier, _, clock = make_verifier()
    rejected(verifier, sign(claims(clock(), iss=None)))


def test_a_wrong_audience_is_rejected() -> None:
    verifier, _, clock = make_verifier()
    error = rejected(verifier, sign(claims(clock(), aud="someone-else")))
    assert "audience" in error.message


def test_a_missing_audience_is_rejected() -> None:
    verifier, _, clock = make_verifier()
    rejected(verifier, sign(claims(clock(), aud=None)))


def test_an_audience_list_containing_the_client_with_a_matching_azp_verifies() -> None:
    verifier, _, clock = make_verifier()
    token = sign(claims(clock(), aud=[CLIENT_ID, "api"], azp=CLIENT_ID))
    assert verifier.verify(token).payload["azp"] == CLIENT_ID


def test_multiple_audiences_without_azp_are_rejected() -> None:
    verifier, _, clock = make_verifier()
    error = rejected(verifier, sign(claims(clock(), aud=[CLIENT_ID, "api"])))
    assert "azp" in error.message


def test_multiple_audiences_with_another_clients_azp_are_rejected() -> None:
    verifier, _, clock = make_verifier()
    rejected(verifier, sign(claims(clock(), aud=[CLIENT_ID, "api"], azp="api")))


def test_a_single_audience_with_another_clients_azp_is_rejected() -> None:
    verifier, _, clock = make_verifier()
    rejected(verifier, sign(claims(clock(), azp="other-client")))


def test_an_audience_list_without_the_client_is_rejected() -> None:
    verifier, _, clock = make_verifier()
    rejected(verifier, sign(claims(clock(), aud=["api", "other"], azp=CLIENT_ID)))


def test_expiry_beyond_the_leeway_is_rejected_and_within_it_accepted() -> None:
    verifier, _, clock = make_verifier(leeway=60)
    now = int(clock())
    assert verifier.verify(sign(claims(now, iat=now - 400, exp=now - 59)))
    error = rejected(verifier, sign(claims(now, iat=now - 400, exp=now - 61)))
    assert "expired" in error.message


def test_the_leeway_is_capped_at_120_seconds_whatever_is_asked() -> None:
    verifier, _, clock = make_verifier(leeway=3600)
    assert verifier.leeway == MAX_LEEWAY_SECONDS == 120
    now = int(clock())
    assert verifier.verify(sign(claims(now, iat=now - 900, exp=now - 119)))
    rejected(verifier, sign(claims(now, iat=now - 900, exp=now - 121)))
    rejected(verifier, sign(claims(now, iat=now + 121)))


def test_a_negative_leeway_counts_as_zero() -> None:
    verifier, _, clock = make_verifier(leeway=-30)
    assert verifier.leeway == 0
    now = int(clock())
    rejected(verifier, sign(claims(now, iat=now - 400, exp=now - 1)))


def test_a_token_issued_in_the_future_is_rejected() -> None:
    verifier, _, clock = make_verifier(leeway=60)
    now = int(clock())
    assert verifier.verify(sign(claims(now, iat=now + 30)))
    error = rejected(verifier, sign(claims(now, iat=now + 3600, exp=now + 7200)))
    assert "future" in error.message


def test_a_token_not_valid_yet_is_rejected() -> None:
    verifier, _, clock = make_verifier(leeway=60)
    now = int(clock())
    assert verifier.verify(sign(claims(now, nbf=now + 30)))
    error = rejected(verifier, sign(claims(now, nbf=now + 600)))
    assert "nbf" in error.message


@pytest.mark.parametrize("exp", [None, "1900000000", True])
def test_a_token_without_a_numeric_expiry_is_rejected(exp: Any) -> None:
    verifier, _, clock = make_verifier()
    error = rejected(verifier, sign(claims(clock(), exp=exp)))
    assert "exp" in error.message


def test_a_nonce_mismatch_is_rejected() -> None:
    verifier, _, clock = make_verifier()
    error = rejected(verifier, sign(claims(clock(), nonce="another-sign-in")), nonce=NONCE)
    assert "nonce" in error.message


def test_a_missing_nonce_is_rejected_when_one_is_expected() -> None:
    verifier, _, clock = make_verifier()
    rejected(verifier, sign(claims(clock(), nonce=None)), nonce=NONCE)


def test_the_nonce_is_not_required_when_none_is_expected() -> None:
    """A refreshed ID token carries no new nonce; the verifier is then called without one."""
    verifier, _, clock = make_verifier()
    assert verifier.verify(sign(claims(clock(), nonce=None)))


# -- Cognito token_use -------------------------------------------------------------------------


def test_cognito_id_token_use_is_checked() -> None:
    verifier, _, clock = make_verifier()
    assert verifier.verify(sign(claims(clock(), token_use="id")), token_use="id")
    error = rejected(verifier, sign(claims(clock(), token_use="access")), token_use="id")
    assert "use" in error.message
    rejected(verifier, sign(claims(clock())), token_use="id")


def test_cognito_access_tokens_are_checked_by_client_id_not_aud() -> None:
    verifier, _, clock = make_verifier()
    access = claims(clock(), aud=None, nonce=None, token_use="access", client_id=CLIENT_ID)
    assert verifier.verify(sign(access), token_use="access").payload["client_id"] == CLIENT_ID

    other = claims(clock(), aud=None, nonce=None, token_use="access", client_id="another-app")
    rejected(verifier, sign(other), token_use="access")

    aud_only = claims(clock(), aud=CLIENT_ID, nonce=None, token_use="access")
    rejected(verifier, sign(aud_only), token_use="access")

    id_as_access = claims(clock(), token_use="id", client_id=CLIENT_ID)
    rejected(verifier, sign(id_as_access), token_use="access")


# -- the JWKS endpoint misbehaving ---------------------------------------------------------------


def test_a_jwks_endpoint_answering_500_is_a_retryable_service_error() -> None:
    verifier, _, clock = make_verifier((500, "<html>Internal Server Error</html>"))
    token = sign(claims(clock()))
    with pytest.raises(ServiceError) as info:
        verifier.verify(token)
    assert info.value.retryable is True
    assert_clean(info.value, token)


def test_a_jwks_endpoint_answering_garbage_is_a_retryable_service_error() -> None:
    verifier, _, clock = make_verifier((200, "<html>login page</html>"))
    token = sign(claims(clock()))
    with pytest.raises(ServiceError) as info:
        verifier.verify(token)
    assert info.value.retryable is True
    assert_clean(info.value, token)


def test_an_unreachable_jwks_endpoint_is_a_retryable_network_error() -> None:
    import requests

    verifier, _, clock = make_verifier(requests.ConnectionError("connection refused"))
    token = sign(claims(clock()))
    with pytest.raises(NetworkError) as info:
        verifier.verify(token)
    assert info.value.retryable is True
    assert_clean(info.value, token)


def test_a_failed_jwks_fetch_is_not_cached() -> None:
    verifier, session, clock = make_verifier((503, "busy"), jwks(KEY))
    token = sign(claims(clock()))
    with pytest.raises(ServiceError):
        verifier.verify(token)
    assert verifier.verify(token).payload["sub"] == "user-123"
    assert session.fetches == 2


@pytest.mark.parametrize(
    "document",
    [{"not": "a key set"}, {"keys": []}, {"keys": None}, {"keys": "x"}, {"keys": [{"kty": "?"}]}],
)
def test_a_jwks_that_is_not_a_key_set_is_a_verification_error(document: Any) -> None:
    verifier, _, clock = make_verifier((200, document))
    token = sign(claims(clock()))
    error = rejected(verifier, token)
    assert not error.retryable
