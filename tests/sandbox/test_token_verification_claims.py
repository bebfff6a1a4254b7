"""The sandbox's login verifier says no where AWS says no (issue 11, NumericDate findings).

Before the fix an ``exp`` of NaN, Infinity or 1e400 (and, the sandbox comparing numbers only,
10**400) made a token that never expires; here each is refused as AWS refuses it: "Not a valid
OpenId Connect identity token". No server: the verifier runs in-process with a fake JWKS fetch.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from joserfc.jwk import RSAKey

from nbauth.sandbox.aws_errors import AwsError
from nbauth.sandbox.identity_tokens import IdentityTokenIssuer
from nbauth.sandbox.logins import MSG_NOT_OIDC, LoginVerifier
from nbauth.sandbox.moto_backends import IdentityPoolConfig, UserPoolProvider
from nbauth.sandbox.token_verification import JwksCache, TokenError, parse_jwt

pytestmark = pytest.mark.timeout(60)

POOL_ID = "us-east-1_Sandbox01"
PROVIDER = f"cognito-idp.us-east-1.amazonaws.com/{POOL_ID}"
CLIENT = "sandbox-client"
ENDPOINT = "http://127.0.0.1:1"
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256", "use": "sig"})
POOL = IdentityPoolConfig(
    identity_pool_id="us-east-1:0f0f0f0f-0000-0000-0000-000000000000",
    region="us-east-1",
    allow_unauthenticated=False,
    developer_provider_name=None,
    user_pool_providers=(UserPoolProvider(PROVIDER, CLIENT),),
    oidc_provider_arns=(),
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def token(payload_json: str) -> str:
    header = json.dumps({"alg": "RS256", "kid": "k1"}).encode()
    signing_input = f"{b64url(header)}.{b64url(payload_json.encode())}"
    signature = KEY.private_key.sign(  # type: ignore[union-attr]
        signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    return f"{signing_input}.{b64url(signature)}"


def payload(**dates: str) -> str:
    now = int(time.time())
    fields = {"iat": str(now), "exp": str(now + 300), **dates}
    body = ", ".join(f'"{name}": {value}' for name, value in fields.items())
    return (
        f'{{"iss": "https://{PROVIDER}", "sub": "alice", "aud": "{CLIENT}", '
        f'"token_use": "id", {body}}}'
    )


@pytest.fixture
def verifier() -> LoginVerifier:
    jwks = JwksCache(lambda url: {"keys": [KEY.as_dict(private=False)]})
    return LoginVerifier(jwks, IdentityTokenIssuer())


def test_a_valid_token_is_accepted(verifier: LoginVerifier) -> None:
    assert verifier.verify_one(POOL, PROVIDER, token(payload()), ENDPOINT).subject == "alice"


HOSTILE = ["NaN", "Infinity", "-Infinity", "1e400", "1" + "0" * 400, "-1", '"1900000000"', "true"]


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf", "auth_time"])
@pytest.mark.parametrize("literal", HOSTILE)
def test_a_date_that_is_not_a_numeric_date_is_refused(
    verifier: LoginVerifier, claim: str, literal: str
) -> None:
    with pytest.raises(AwsError) as info:
        verifier.verify_one(POOL, PROVIDER, token(payload(**{claim: literal})), ENDPOINT)
    assert info.value.code == "NotAuthorizedException"
    assert info.value.message == MSG_NOT_OIDC


@pytest.mark.parametrize("literal", HOSTILE)
def test_parse_jwt_calls_such_a_token_malformed(literal: str) -> None:
    with pytest.raises(TokenError) as info:
        parse_jwt(token(payload(exp=literal)))
    assert info.value.reason == "malformed"


@pytest.mark.parametrize(
    "body", ['{"a": ' + "[" * 50_000 + "]" * 50_000 + "}", "[1, 2]", '"text"', "{", "null"]
)
def test_garbage_payloads_are_malformed_not_a_crash(body: str) -> None:
    with pytest.raises(TokenError) as info:
        parse_jwt(token(body))
    assert info.value.reason == "malformed"


def test_a_token_that_never_expires_is_not_accepted(verifier: LoginVerifier) -> None:
    forever: Any = payload(exp="1e308")
    with pytest.raises(AwsError):
        verifier.verify_one(POOL, PROVIDER, token(forever), ENDPOINT)
