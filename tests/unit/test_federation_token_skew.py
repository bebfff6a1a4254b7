"""Issue 11: a federated token's expiry skew scales with its lifetime (min(30 s, a tenth of
``exp - iat``), as the refresh engine caps its own), so IdPs with short-lived ID tokens (60 s)
can be federated by hand; a long-lived token keeps the 30 s skew."""

from __future__ import annotations

import base64
import json
from typing import Any

from nbauth.auth.token_sources import TOKEN_SKEW_SECONDS, FederationTokenSource, token_skew
from nbauth.core.jwt import decode_jwt
from nbauth.core.logins import LoginsProvider

NOW = 1_800_000_000.0


def jwt(**claims: Any) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'kid': 'k'})}.{part(claims)}.c2ln"


def test_the_skew_is_a_tenth_of_a_short_lifetime_and_30_s_of_a_long_one() -> None:
    assert token_skew(decode_jwt(jwt(iss="i", iat=NOW, exp=NOW + 60))) == 6.0
    assert token_skew(decode_jwt(jwt(iss="i", iat=NOW, exp=NOW + 3600))) == TOKEN_SKEW_SECONDS
    assert token_skew(decode_jwt(jwt(iss="i", exp=NOW + 60))) == TOKEN_SKEW_SECONDS  # no iat


def test_a_60_second_token_is_presented_as_given_until_its_last_seconds() -> None:
    token = jwt(iss="https://idp.example.com", iat=NOW - 20, exp=NOW + 40)  # 40 s left
    clock = [NOW]
    source = FederationTokenSource(
        LoginsProvider("oidc", "idp.example.com"), token, clock=lambda: clock[0]
    )
    assert source.login().token == token  # before: refused as "expired" (within 30 s)
    clock[0] = NOW + 35  # 5 s left, under the 6 s skew
    try:
        source.login()
    except Exception as exc:  # no token provider to renew it: expired for real
        assert "expired" in str(exc)
    else:
        raise AssertionError("a token 5 s from expiry is renewed")
