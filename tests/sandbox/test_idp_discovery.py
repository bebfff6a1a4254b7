"""The sandbox IdP: discovery, JWKS, configuration, trust by the identity pool, CLI output."""

from __future__ import annotations

import io
from typing import Any

import requests
from authlib.oauth2 import rfc9207
from authlib.oidc.discovery import OpenIDProviderMetadata

from nbauth.sandbox.command import _describe


def test_issuer_and_client_names(sb: Any) -> None:
    assert sb.issuer == sb.idp_url
    assert sb.issuer.startswith("http://127.0.0.1:")
    assert sb.issuer != sb.aws_endpoint_url
    assert sb.oidc_client_id == "nbauth-notebook"
    assert sb.confidential_client_id == "nbauth-confidential"
    assert sb.confidential_client_secret not in repr(sb)


def test_discovery_document(sb: Any) -> None:
    response = requests.get(f"{sb.issuer}/.well-known/openid-configuration", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    doc = response.json()
    issuer = sb.issuer
    assert doc["issuer"] == issuer
    assert doc["authorization_endpoint"] == f"{issuer}/authorize"
    assert doc["token_endpoint"] == f"{issuer}/token"
    assert doc["device_authorization_endpoint"] == f"{issuer}/device_authorization"
    assert doc["revocation_endpoint"] == f"{issuer}/revoke"
    assert doc["jwks_uri"] == f"{issuer}/jwks"
    assert doc["userinfo_endpoint"] == f"{issuer}/userinfo"
    assert doc["end_session_endpoint"] == f"{issuer}/logout"
    assert doc["response_types_supported"] == ["code"]
    assert set(doc["grant_types_supported"]) == {
        "authorization_code",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:device_code",
    }
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert set(doc["scopes_supported"]) == {"openid", "offline_access", "email", "profile"}
    assert doc["authorization_response_iss_parameter_supported"] is True
    # Authlib's own metadata validators accept it (http is fine for a loopback issuer).
    OpenIDProviderMetadata(doc).validate(metadata_classes=[rfc9207.AuthorizationServerMetadata])


def test_jwks_publishes_one_public_rs256_key(sb: Any) -> None:
    keys = requests.get(f"{sb.issuer}/jwks", timeout=10).json()["keys"]
    assert len(keys) == 1
    key = keys[0]
    assert key["kty"] == "RSA"
    assert key["alg"] == "RS256"
    assert key["use"] == "sig"
    assert key["kid"]
    assert {"n", "e"} <= set(key)
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)  # public half only


def test_config_names_the_idp_and_managed_login(sb: Any) -> None:
    config = sb.config
    port = sb.issuer.rsplit(":", 1)[1]
    assert config["nbauth"]["oidc_providers"] == {
        "sandbox": {
            "issuer": sb.issuer,
            "client_id": "nbauth-notebook",
            "scopes": ["openid", "offline_access", "email", "profile"],
        }
    }
    assert config["nbauth"]["default_provider"] == "sandbox"
    assert config["nbauth"]["refresh"] == {"margin_seconds": 300, "jitter_seconds": 30}
    assert config["nbauth"]["storage"] == {"kind": "memory"}
    assert config["auth"]["oauth"] == {
        "domain": f"127.0.0.1:{port}",
        "scopes": ["openid", "email", "profile", "aws.cognito.signin.user.admin"],
        "redirect_sign_in_uri": ["http://127.0.0.1/callback"],
        "redirect_sign_out_uri": ["http://127.0.0.1/signed-out"],
        "response_type": "code",
        "identity_providers": ["GOOGLE", "FACEBOOK", "LOGIN_WITH_AMAZON", "SIGN_IN_WITH_APPLE"],
    }
    assert config["auth"]["user_pool_client_id"] == sb.user_pool_client_id


def test_identity_pool_trusts_the_issuer(sb: Any) -> None:
    pool = sb.client("cognito-identity").describe_identity_pool(IdentityPoolId=sb.identity_pool_id)
    key = sb.issuer.split("://", 1)[1]
    arn = next(a for a in pool["OpenIdConnectProviderARNs"] if a.endswith(f"oidc-provider/{key}"))
    provider = sb.client("iam").get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert set(provider["ClientIDList"]) >= {"nbauth-notebook", "nbauth-confidential"}


def test_cli_output_names_the_idp_pages(sb: Any) -> None:
    out = io.StringIO()
    _describe(sb, None, out)
    text = out.getvalue()
    assert f"OpenID provider (issuer): {sb.issuer}" in text
    assert f"{sb.issuer}/device" in text
    assert f"{sb.issuer}/authorize" in text
    assert f"{sb.issuer}/oauth2/authorize" in text
    assert sb.confidential_client_secret not in text
