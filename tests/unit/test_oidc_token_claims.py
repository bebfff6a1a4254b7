"""Issue 11 "claims" findings, each a regression test of :mod:`nbauth.oidc.token_verification`.

RFC 7519 NumericDates (NaN, infinities, huge and string values), ``aud`` that is neither a
string nor an array of strings, a header ``typ`` naming another kind of JWT (RFC 8725 §3.11,
RFC 9068 ``at+jwt``), the JWKS re-fetch rate limit, and a foreign issuer named as such before
any key lookup. Fakes and keys come from ``test_oidc_token_verification``.
"""

from __future__ import annotations

import base64
import json
import math
import threading
import time
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from joserfc import jwt
from joserfc.jwk import RSAKey

from nbauth.errors import ServiceError
from nbauth.oidc.token_verification import REFETCH_INTERVAL_SECONDS, JWKSCache, TokenVerifier
from tests.support.fakes import FakeClock, run_in_threads
from tests.unit.test_oidc_token_verification import (
    CLIENT_ID,
    ISSUER,
    JWKS_URI,
    KEY,
    ROTATED_KEY,
    FakeSession,
    claims,
    jwks,
    make_verifier,
    rejected,
    sign,
)

pytestmark = pytest.mark.timeout(60)


def signed(payload: dict[str, Any], **header: Any) -> str:
    """An RS256 token signed by ``KEY``; header and payload may hold anything JSON can say."""
    full = {"alg": "RS256", "kid": KEY.kid, **header}
    if all(isinstance(v, str) for v in header.values()):
        return jwt.encode(full, payload, KEY)
    return raw_sign(json.dumps(full).encode(), json.dumps(payload).encode())


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def raw_sign(header: bytes, payload: bytes, key: RSAKey = KEY) -> str:
    """RS256 over raw header and payload bytes (for what joserfc refuses to produce)."""
    signing_input = f"{b64url(header)}.{b64url(payload)}"
    signature = key.private_key.sign(  # type: ignore[union-attr]
        signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
    )
    return f"{signing_input}.{b64url(signature)}"


# -- NumericDate (RFC 7519 §2) ---------------------------------------------------------------

HOSTILE_DATES = [
    pytest.param(float("nan"), id="nan"),
    pytest.param(float("inf"), id="inf"),
    pytest.param(float("-inf"), id="-inf"),
    pytest.param(10**400, id="10**400"),
    pytest.param(-5, id="negative"),
    pytest.param(2**63, id="2**63"),
    pytest.param("1900000000", id="string"),
    pytest.param(True, id="bool"),
    pytest.param(None, id="null"),
    pytest.param([1_900_000_000], id="array"),
]


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat", "auth_time"])
@pytest.mark.parametrize("value", HOSTILE_DATES)
def test_a_date_claim_that_is_not_a_numeric_date_is_refused_by_name(claim: str, value: Any) -> None:
    """Before: exp NaN/inf passed (never expires), nbf/iat strings were ignored, -inf and
    10**400 raised OverflowError."""
    verifier, session, clock = make_verifier()
    payload = claims(clock())
    payload[claim] = value
    token = signed(payload)
    error = rejected(verifier, token)
    if not isinstance(value, float) or math.isfinite(value):  # NaN/Infinity are not even JSON
        assert claim in error.message
    assert session.fetches == 0  # refused before any key is looked up


def test_a_1e400_expiry_written_as_json_is_refused() -> None:
    verifier, _, clock = make_verifier()
    payload = claims(clock(), exp=1.0)
    body = json.dumps(payload).replace('"exp": 1.0', '"exp": 1e400')
    header = json.dumps({"alg": "RS256", "kid": KEY.kid})
    error = rejected(verifier, raw_sign(header.encode(), body.encode()))
    assert "exp" in error.message


def test_a_float_expiry_in_range_still_verifies() -> None:
    verifier, _, clock = make_verifier()
    assert verifier.verify(signed(claims(clock(), exp=clock() + 30.5, auth_time=clock() - 9)))


# -- aud (RFC 7519 §4.1.3) -------------------------------------------------------------------


@pytest.mark.parametrize(
    "aud",
    [
        pytest.param({CLIENT_ID: True}, id="object-keyed-by-client"),
        pytest.param([CLIENT_ID, 7], id="array-with-a-number"),
        pytest.param([[CLIENT_ID]], id="nested-array"),
        pytest.param([CLIENT_ID, {"x": 1}], id="array-with-object"),
        pytest.param(42, id="number"),
        pytest.param(True, id="bool"),
    ],
)
def test_an_audience_that_is_not_a_string_or_array_of_strings_is_refused(aud: Any) -> None:
    """Before: an object audience was read by its keys and passed."""
    verifier, _, clock = make_verifier()
    error = rejected(verifier, signed(claims(clock(), aud=aud, azp=CLIENT_ID)))
    assert "aud" in error.message


# -- typ (RFC 8725 §3.11) --------------------------------------------------------------------


@pytest.mark.parametrize(
    "typ",
    [
        "at+jwt",
        "application/at+jwt",
        "AT+JWT",
        "logout+jwt",
        "secevent+jwt",
        "dpop+jwt",
        "JOSE",
        "",
        1,
        ["JWT"],
    ],
)
def test_an_id_token_whose_typ_names_another_kind_of_jwt_is_refused(typ: Any) -> None:
    """Before: an RFC 9068 access token with the right aud passed as an ID token."""
    verifier, session, clock = make_verifier()
    error = rejected(verifier, signed(claims(clock()), typ=typ))
    assert "typ" in error.message
    assert session.fetches == 0


@pytest.mark.parametrize("typ", [None, "JWT", "jwt", "application/jwt", "Application/JWT"])
def test_an_id_token_typed_jwt_or_untyped_verifies(typ: Any) -> None:
    verifier, _, clock = make_verifier()
    header = {} if typ is None else {"typ": typ}
    assert verifier.verify(signed(claims(clock()), **header))


def test_keycloaks_payload_typ_id_still_verifies() -> None:
    verifier, _, clock = make_verifier()
    assert verifier.verify(signed(claims(clock(), typ="ID"), typ="JWT"))


@pytest.mark.parametrize("typ", ["at+jwt", "application/at+jwt", "JWT", None])
def test_an_access_token_may_say_at_jwt(typ: Any) -> None:
    verifier, _, clock = make_verifier()
    header = {} if typ is None else {"typ": typ}
    payload = claims(clock(), token_use="access", client_id=CLIENT_ID, aud=None, nonce=None)
    assert verifier.verify(signed(payload, **header), token_use="access")
    rejected(verifier, signed(payload, typ="logout+jwt"), token_use="access")


# -- JWKS re-fetch rate limit ----------------------------------------------------------------


def random_kid_token(now: float) -> str:
    return sign(claims(now), key=ROTATED_KEY, kid=uuid.uuid4().hex)


def test_twenty_random_kids_cost_one_refetch_not_twenty() -> None:
    """Before: every unknown kid fetched the JWKS again (20 tokens, 20 fetches)."""
    verifier, session, clock = make_verifier()
    verifier.verify(sign(claims(clock())))
    for _ in range(20):
        error = rejected(verifier, random_kid_token(clock()))
        assert "kid" in error.message
    assert session.fetches == 2


def test_the_rate_limit_lets_one_refetch_through_per_interval() -> None:
    session = FakeSession(jwks(KEY))
    monotonic = FakeClock(1000.0)
    cache = JWKSCache(JWKS_URI, session, clock=monotonic)  # type: ignore[arg-type]
    verifier = TokenVerifier(issuer=ISSUER, client_id=CLIENT_ID, jwks=cache, clock=FakeClock())
    rejected(verifier, random_kid_token(verifier.clock()))
    rejected(verifier, random_kid_token(verifier.clock()))
    assert session.fetches == 2  # the first fetch, then one re-fetch
    monotonic.advance(REFETCH_INTERVAL_SECONDS - 1)
    rejected(verifier, random_kid_token(verifier.clock()))
    assert session.fetches == 2  # within the limit: refused without the network
    monotonic.advance(1)
    rejected(verifier, random_kid_token(verifier.clock()))
    assert session.fetches == 3


def test_a_rotated_key_is_found_once_the_interval_has_passed() -> None:
    session = FakeSession(jwks(KEY), jwks(KEY), jwks(KEY, ROTATED_KEY))
    monotonic = FakeClock(0.0)
    cache = JWKSCache(JWKS_URI, session, clock=monotonic)  # type: ignore[arg-type]
    verifier = TokenVerifier(issuer=ISSUER, client_id=CLIENT_ID, jwks=cache, clock=FakeClock())
    now = verifier.clock()
    rejected(verifier, sign(claims(now), key=ROTATED_KEY))
    rejected(verifier, sign(claims(now), key=ROTATED_KEY))  # re-fetched: not published yet
    monotonic.advance(REFETCH_INTERVAL_SECONDS)
    assert verifier.verify(sign(claims(now), key=ROTATED_KEY))
    assert session.fetches == 3


class SlowSession(FakeSession):
    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        time.sleep(0.2)
        return super().request(method, url, **kwargs)


def test_concurrent_callers_share_one_fetch() -> None:
    session = SlowSession(jwks(KEY))
    cache = JWKSCache(JWKS_URI, session)  # type: ignore[arg-type]
    verifier = TokenVerifier(issuer=ISSUER, client_id=CLIENT_ID, jwks=cache, clock=FakeClock())
    token = sign(claims(verifier.clock()))
    results = run_in_threads(8, lambda: verifier.verify(token))
    assert len(results) == 8
    assert session.fetches == 1


def test_concurrent_unknown_kids_share_one_refetch_and_hold_no_lock_meanwhile() -> None:
    session = SlowSession(jwks(KEY))
    cache = JWKSCache(JWKS_URI, session)  # type: ignore[arg-type]
    verifier = TokenVerifier(issuer=ISSUER, client_id=CLIENT_ID, jwks=cache, clock=FakeClock())
    verifier.verify(sign(claims(verifier.clock())))
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            verifier.verify(random_kid_token(verifier.clock()))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    started = time.monotonic()
    verifier.verify(sign(claims(verifier.clock())))  # a known kid never waits on the fetch
    assert time.monotonic() - started < 0.15
    for thread in threads:
        thread.join(10)
    assert len(errors) == 8
    assert session.fetches == 2


def test_the_first_fetch_always_happens_even_after_failures() -> None:
    session = FakeSession((500, {}), (500, {}), jwks(KEY))
    cache = JWKSCache(JWKS_URI, session)  # type: ignore[arg-type]
    verifier = TokenVerifier(issuer=ISSUER, client_id=CLIENT_ID, jwks=cache, clock=FakeClock())
    token = sign(claims(verifier.clock()))
    for _ in range(2):
        with pytest.raises(ServiceError):
            verifier.verify(token)
    assert verifier.verify(token)


# -- issuer before key lookup ----------------------------------------------------------------


@pytest.mark.parametrize("iss", ["https://evil.example.com", None, 7, {"a": 1}, "x" * 10_000])
def test_a_foreign_issuer_is_named_and_costs_no_fetch(iss: Any) -> None:
    """Before: a token from another issuer was reported as "no key with kid"."""
    verifier, session, clock = make_verifier()
    other = RSAKey.generate_key(2048, parameters={"kid": "evil-key"})
    error = rejected(verifier, sign(claims(clock(), iss=iss), key=other))
    assert "issuer" in error.message
    assert "kid" not in error.message
    assert session.fetches == 0
    assert len(error.message) < 400
