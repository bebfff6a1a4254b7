"""IdP and managed-login ID tokens federate through the strict identity pool.

Managed-login tokens must pass for the user pool's own: user-pool ``iss``,
``aud`` the app client, ``token_use``, signed with the key moto publishes for
the pool.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

GOOGLE = "Google"


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _logins_key(issuer: str) -> str:
    return issuer.split("://", 1)[1]


def _managed_tokens(
    sb: Any,
    idp: Any,
    provider: str | None = GOOGLE,
    *,
    username: str = "demo",
    scope: str = "openid email profile aws.cognito.signin.user.admin",
) -> dict[str, Any]:
    """Sign in through ``/oauth2/authorize`` (Amplify's way) and exchange the code."""
    client = idp.session(
        client_id=sb.user_pool_client_id, redirect_uri="http://127.0.0.1/callback", scope=scope
    )
    params = {"nonce": "managed-nonce"}
    if provider is not None:
        params["identity_provider"] = provider
    url, state, verifier = idp.authorization_url(
        client, endpoint=f"{sb.issuer}/oauth2/authorize", **params
    )
    redirect = sb.sign_in_at(url, username)
    assert redirect.startswith("http://127.0.0.1/callback?")
    query = _query(redirect)
    assert query["state"] == state and "iss" not in query  # Cognito sends no iss
    token = client.fetch_token(
        f"{sb.issuer}/oauth2/token",
        authorization_response=redirect,
        code_verifier=verifier,
        state=state,
    )
    return dict(token)


@pytest.fixture(scope="module")
def user_pool_keys(sb: Any) -> KeySet:
    url = f"{sb.aws_endpoint_url}/{sb.user_pool_id}/.well-known/jwks.json"
    return KeySet.import_key_set(requests.get(url, timeout=10).json())


def test_idp_id_tokens_federate_with_the_issuer_key(sb: Any, idp: Any, identity: Any) -> None:
    logins = {_logins_key(sb.issuer): idp.tokens()["id_token"]}
    identity_id = identity.get_id(IdentityPoolId=sb.identity_pool_id, Logins=logins)["IdentityId"]
    credentials = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)
    assert credentials["Credentials"]["AccessKeyId"]
    # Same user, new sign-in (through the device flow this time): the same identity.
    started = idp.start_device()
    sb.approve_device_code(started["user_code"])
    again = {_logins_key(sb.issuer): idp.poll(started["device_code"]).json()["id_token"]}
    same = identity.get_id(IdentityPoolId=sb.identity_pool_id, Logins=again)["IdentityId"]
    assert same == identity_id


def test_confidential_client_tokens_federate_too(sb: Any, idp: Any, identity: Any) -> None:
    token = idp.tokens(
        client_id=sb.confidential_client_id,
        client_secret=sb.confidential_client_secret,
        token_endpoint_auth_method="client_secret_basic",
    )
    logins = {_logins_key(sb.issuer): token["id_token"]}
    assert identity.get_id(IdentityPoolId=sb.identity_pool_id, Logins=logins)["IdentityId"]


def test_managed_login_google_tokens_look_like_user_pool_tokens(
    sb: Any, idp: Any, user_pool_keys: KeySet
) -> None:
    token = _managed_tokens(sb, idp, GOOGLE)
    assert token["expires_in"] == 3600 and token["refresh_token"]
    id_token = jwt.decode(token["id_token"], user_pool_keys, algorithms=["RS256"])
    assert id_token.header["kid"] == "dummy"
    claims = id_token.claims
    assert claims["iss"] == f"https://cognito-idp.{sb.region}.amazonaws.com/{sb.user_pool_id}"
    assert claims["aud"] == sb.user_pool_client_id
    assert claims["token_use"] == "id"
    assert claims["nonce"] == "managed-nonce"
    assert claims["cognito:username"].startswith("Google_")
    assert claims["cognito:groups"] == [f"{sb.user_pool_id}_Google"]
    assert claims["email"] == "demo@example.com"
    (linked,) = claims["identities"]
    assert linked["providerName"] == "Google" and linked["providerType"] == "Google"
    assert claims["cognito:username"] == f"Google_{linked['userId']}"
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["at_hash"]

    access = jwt.decode(token["access_token"], user_pool_keys, algorithms=["RS256"]).claims
    assert access["token_use"] == "access"
    assert access["client_id"] == sb.user_pool_client_id
    assert access["username"] == claims["cognito:username"]
    assert access["sub"] == claims["sub"]
    assert "aws.cognito.signin.user.admin" in access["scope"].split()
    assert "aud" not in access

    # Stable per user and provider; another provider is another federated user.
    again = jwt.decode(_managed_tokens(sb, idp, GOOGLE)["id_token"], user_pool_keys)
    assert again.claims["sub"] == claims["sub"]
    facebook = jwt.decode(_managed_tokens(sb, idp, "Facebook")["id_token"], user_pool_keys)
    assert facebook.claims["sub"] != claims["sub"]


def test_managed_login_id_tokens_federate_under_the_user_pool_key(
    sb: Any, idp: Any, identity: Any
) -> None:
    logins = {sb.user_pool_provider_name: _managed_tokens(sb, idp, GOOGLE)["id_token"]}
    identity_id = identity.get_id(IdentityPoolId=sb.identity_pool_id, Logins=logins)["IdentityId"]
    credentials = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)
    assert credentials["IdentityId"] == identity_id
    assert credentials["Credentials"]["SessionToken"]


def test_managed_login_cognito_is_the_user_pool_user(
    sb: Any, idp: Any, identity: Any, user_pool_keys: KeySet
) -> None:
    token = _managed_tokens(sb, idp, "COGNITO")
    claims = jwt.decode(token["id_token"], user_pool_keys).claims
    pool_claims = jwt.decode(sb.id_token(), user_pool_keys).claims
    assert claims["sub"] == pool_claims["sub"]
    assert claims["cognito:username"] == "demo"
    assert "identities" not in claims
    key = sb.user_pool_provider_name
    via_managed = identity.get_id(
        IdentityPoolId=sb.identity_pool_id, Logins={key: token["id_token"]}
    )["IdentityId"]
    via_password = identity.get_id(IdentityPoolId=sb.identity_pool_id, Logins={key: sb.id_token()})[
        "IdentityId"
    ]
    assert via_managed == via_password


@pytest.mark.parametrize(
    ("provider", "provider_type"),
    [
        ("LoginWithAmazon", "LoginWithAmazon"),
        ("SignInWithApple", "SignInWithApple"),
        ("CorpOIDC", "OIDC"),
    ],
)
def test_managed_login_other_providers(
    sb: Any, idp: Any, user_pool_keys: KeySet, provider: str, provider_type: str
) -> None:
    claims = jwt.decode(_managed_tokens(sb, idp, provider)["id_token"], user_pool_keys).claims
    assert claims["cognito:username"].startswith(f"{provider}_")
    assert claims["identities"][0]["providerType"] == provider_type


def test_managed_login_page_names_the_provider(sb: Any) -> None:
    params = {
        "identity_provider": "SignInWithApple",
        "client_id": sb.user_pool_client_id,
        "response_type": "code",
        "redirect_uri": "http://127.0.0.1/callback",
        "scope": "openid",
        "state": "x",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }
    page = requests.get(f"{sb.issuer}/oauth2/authorize", params=params, timeout=10)
    assert page.status_code == 200
    assert "Continue with Sign in with Apple (sandbox)" in page.text
    bad = requests.get(
        f"{sb.issuer}/oauth2/authorize",
        params={**params, "identity_provider": "no spaces <allowed>"},
        timeout=10,
    )
    assert bad.status_code == 400
    other_client = requests.get(
        f"{sb.issuer}/oauth2/authorize",
        params={**params, "client_id": "nbauth-notebook"},
        timeout=10,
    )
    assert other_client.status_code == 400  # the IdP's clients are not app clients


def test_managed_refresh_tokens_are_not_rotated(sb: Any, idp: Any) -> None:
    token = _managed_tokens(sb, idp, GOOGLE)
    for _ in range(2):
        response = idp.refresh(
            token["refresh_token"], path="/oauth2/token", client_id=sb.user_pool_client_id
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert {"access_token", "id_token"} <= set(body)
        assert "refresh_token" not in body
    # Refresh tokens of one realm mean nothing to the other.
    assert idp.refresh(token["refresh_token"]).json()["error"] == "invalid_grant"


def test_managed_userinfo_and_revoke(sb: Any, idp: Any) -> None:
    token = _managed_tokens(sb, idp, GOOGLE)
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    info = requests.get(f"{sb.issuer}/oauth2/userInfo", headers=headers, timeout=10)
    assert info.status_code == 200
    body = info.json()
    assert body["username"].startswith("Google_")
    assert body["email_verified"] == "true"
    assert json.loads(body["identities"])[0]["providerName"] == "Google"

    revoked = requests.post(
        f"{sb.issuer}/oauth2/revoke",
        data={"token": token["refresh_token"], "client_id": sb.user_pool_client_id},
        timeout=10,
    )
    assert revoked.status_code == 200
    refresh = idp.refresh(
        token["refresh_token"], path="/oauth2/token", client_id=sb.user_pool_client_id
    )
    assert refresh.json()["error"] == "invalid_grant"
    assert requests.get(
        f"{sb.issuer}/oauth2/userInfo", headers=headers, timeout=10
    ).status_code == (401)


def test_managed_logout_redirects_to_a_registered_uri(sb: Any) -> None:
    ok = requests.get(
        f"{sb.issuer}/logout",
        params={"client_id": sb.user_pool_client_id, "logout_uri": "http://127.0.0.1/signed-out"},
        allow_redirects=False,
        timeout=10,
    )
    assert ok.status_code == 302
    assert ok.headers["Location"] == "http://127.0.0.1/signed-out"
    refused = requests.get(
        f"{sb.issuer}/logout",
        params={"client_id": sb.user_pool_client_id, "logout_uri": "https://evil.example/"},
        allow_redirects=False,
        timeout=10,
    )
    assert refused.status_code == 400
