"""Login token verification: what GetId accepts and refuses, and why."""

from __future__ import annotations

import base64
import json
import urllib.request
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from nbauth.sandbox.token_verification import parse_jwt


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _refused(identity: Any, sb: Any, logins: dict[str, str], message: str) -> None:
    with pytest.raises(identity.exceptions.NotAuthorizedException) as exc_info:
        identity.get_id(IdentityPoolId=sb.identity_pool_id, Logins=logins)
    assert message in exc_info.value.response["Error"]["Message"]


def test_user_pool_id_token_is_accepted(sb: Any, identity: Any) -> None:
    token = sb.id_token()
    claims = parse_jwt(token).claims
    assert claims["iss"] == f"https://{sb.user_pool_provider_name}"
    assert claims["aud"] == sb.user_pool_client_id
    assert claims["token_use"] == "id"
    assert claims["cognito:username"] == "demo"
    identity_id = identity.get_id(
        IdentityPoolId=sb.identity_pool_id, Logins={sb.user_pool_provider_name: token}
    )["IdentityId"]
    assert identity_id.startswith("us-east-1:")


def test_user_pool_tokens_and_discovery(sb: Any) -> None:
    tokens = sb.user_pool_tokens()
    assert {"IdToken", "AccessToken", "RefreshToken", "ExpiresIn"} <= set(tokens)
    url = f"{sb.aws_endpoint_url}/{sb.user_pool_id}/.well-known/openid-configuration"
    with urllib.request.urlopen(url) as response:
        discovery = json.load(response)
    assert discovery["issuer"] == f"https://{sb.user_pool_provider_name}"
    with urllib.request.urlopen(discovery["jwks_uri"]) as response:
        assert json.load(response)["keys"][0]["kty"] == "RSA"


def test_tampered_signature_is_refused(sb: Any, identity: Any) -> None:
    header, payload, signature = sb.id_token().split(".")
    flipped = ("A" if signature[10] != "A" else "B").join((signature[:10], signature[11:]))
    _refused(
        identity,
        sb,
        {sb.user_pool_provider_name: f"{header}.{payload}.{flipped}"},
        "Couldn't verify signed token",
    )


def test_tampered_claims_are_refused(sb: Any, identity: Any) -> None:
    header, _payload, signature = sb.id_token().split(".")
    claims = parse_jwt(sb.id_token()).claims | {"sub": "someone-else"}
    _refused(
        identity,
        sb,
        {sb.user_pool_provider_name: f"{header}.{_b64(claims)}.{signature}"},
        "Couldn't verify signed token",
    )


def test_alg_none_is_refused(sb: Any, identity: Any) -> None:
    claims = parse_jwt(sb.id_token()).claims
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    _refused(identity, sb, {sb.user_pool_provider_name: token}, "Not a valid OpenId Connect")


def test_hs256_signed_with_the_public_key_is_refused(sb: Any, identity: Any) -> None:
    with urllib.request.urlopen(
        f"{sb.aws_endpoint_url}/{sb.user_pool_id}/.well-known/jwks.json"
    ) as response:
        public_jwk = json.load(response)["keys"][0]
    secret = OctKey.import_key(json.dumps(public_jwk).encode())
    claims = parse_jwt(sb.id_token()).claims
    token = jwt.encode({"alg": "HS256", "kid": "dummy"}, claims, secret, algorithms=["HS256"])
    _refused(identity, sb, {sb.user_pool_provider_name: token}, "Not a valid OpenId Connect")


def test_expired_token_is_refused(sb: Any, identity: Any, mint_user_pool_token: Any) -> None:
    token = mint_user_pool_token(exp_in=-10)
    _refused(identity, sb, {sb.user_pool_provider_name: token}, "Token expired")


def test_wrong_audience_is_refused(sb: Any, identity: Any, mint_user_pool_token: Any) -> None:
    token = mint_user_pool_token(aud="some-other-client")
    _refused(identity, sb, {sb.user_pool_provider_name: token}, "Incorrect token audience")


def test_access_token_is_refused(sb: Any, identity: Any) -> None:
    access_token = sb.user_pool_tokens()["AccessToken"]
    _refused(identity, sb, {sb.user_pool_provider_name: access_token}, "Not a valid OpenId Connect")


def test_issuer_must_match_the_logins_key(
    sb: Any, identity: Any, mint_user_pool_token: Any
) -> None:
    other_pool = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"
    token = mint_user_pool_token(iss=other_pool)
    _refused(identity, sb, {sb.user_pool_provider_name: token}, "Issuer doesn't match")


def test_unknown_provider_is_refused(sb: Any, identity: Any) -> None:
    token = sb.id_token()
    for key in ("accounts.google.com", "cognito-idp.us-east-1.amazonaws.com/us-east-1_nope"):
        _refused(identity, sb, {key: token}, "not from a supported provider")


def test_developer_provider_name_is_not_a_client_login(sb: Any, identity: Any) -> None:
    _refused(identity, sb, {sb.developer_provider_name: "alice"}, "not from a supported provider")


def test_garbage_token_is_refused(sb: Any, identity: Any) -> None:
    for garbage in ("not-a-jwt", "a.b.c", "..", "x" * 50):
        _refused(identity, sb, {sb.user_pool_provider_name: garbage}, "Invalid login token")


# -- an OpenID Connect issuer trusted through IAM ------------------------------
def test_oidc_token_is_accepted(sb: Any, identity: Any, oidc_issuer: Any, oidc_key: str) -> None:
    assert oidc_key == oidc_issuer.issuer.removeprefix("http://")
    first = identity.get_id(
        IdentityPoolId=sb.identity_pool_id, Logins={oidc_key: oidc_issuer.token(sub="carol")}
    )["IdentityId"]
    again = identity.get_id(
        IdentityPoolId=sb.identity_pool_id, Logins={oidc_key: oidc_issuer.token(sub="carol")}
    )["IdentityId"]
    assert first == again
    pool = sb.client("cognito-identity").describe_identity_pool(IdentityPoolId=sb.identity_pool_id)
    assert any(
        arn.endswith(f"oidc-provider/{oidc_key}") for arn in pool["OpenIdConnectProviderARNs"]
    )


def test_oidc_refusals(sb: Any, identity: Any, oidc_issuer: Any, oidc_key: str) -> None:
    _refused(identity, sb, {oidc_key: oidc_issuer.token(exp_in=-5)}, "Token expired")
    _refused(identity, sb, {oidc_key: oidc_issuer.token(aud="other")}, "Incorrect token audience")
    _refused(
        identity,
        sb,
        {oidc_key: oidc_issuer.token(iss="http://127.0.0.1:1/elsewhere")},
        "Issuer doesn't match",
    )
    stranger = RSAKey.generate_key(
        2048, parameters={"kid": oidc_issuer.keys[0].kid, "alg": "RS256"}
    )
    _refused(identity, sb, {oidc_key: oidc_issuer.token(key=stranger)}, "Couldn't verify")
    # A user-pool token under the OIDC key: issuer mismatch.
    _refused(identity, sb, {oidc_key: sb.id_token()}, "Issuer doesn't match")


def test_oidc_audience_list_and_key_rotation(
    sb: Any, identity: Any, oidc_issuer: Any, oidc_key: str
) -> None:
    token = oidc_issuer.token(sub="dave", aud=["someone-else", "nbauth-test-client"])
    dave = identity.get_id(IdentityPoolId=sb.identity_pool_id, Logins={oidc_key: token})
    fetches = oidc_issuer.jwks_fetches
    new_key = oidc_issuer.rotate()
    rotated = oidc_issuer.token(sub="dave", key=new_key)
    again = identity.get_id(IdentityPoolId=sb.identity_pool_id, Logins={oidc_key: rotated})
    assert again["IdentityId"] == dave["IdentityId"]
    assert oidc_issuer.jwks_fetches == fetches + 1  # refetched once for the unknown kid
    identity.get_id(IdentityPoolId=sb.identity_pool_id, Logins={oidc_key: rotated})
    assert oidc_issuer.jwks_fetches == fetches + 1  # then cached
    unknown = RSAKey.generate_key(2048, parameters={"kid": "never-published", "alg": "RS256"})
    _refused(identity, sb, {oidc_key: oidc_issuer.token(key=unknown)}, "Couldn't verify")
    assert oidc_issuer.jwks_fetches == fetches + 2  # one refetch, not more
