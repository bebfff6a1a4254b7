"""Authorization code + PKCE at the sandbox IdP, from an independent client (Authlib's).

The person's part goes through ``sb.sign_in_at`` (GET the page, POST its form)
or, in the browser-like tests, through ``requests`` directly.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core.util import create_half_hash
from joserfc import jwt

from nbauth.sandbox.idp import SignInError

REDIRECT = "http://127.0.0.1:8765/callback"


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _authorize_url(sb: Any, **params: Any) -> str:
    base = {
        "response_type": "code",
        "client_id": sb.oidc_client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid email",
        "state": "st-1",
    }
    base.update(params)
    return f"{sb.issuer}/authorize?{urlencode({k: v for k, v in base.items() if v is not None})}"


def _pkce() -> tuple[str, str]:
    verifier = generate_token(48)
    return verifier, create_s256_code_challenge(verifier)


def _code(sb: Any, **params: Any) -> tuple[str, str]:
    """Sign in; ``(code, code_verifier)``."""
    verifier, challenge = _pkce()
    redirect = sb.sign_in_at(
        _authorize_url(sb, code_challenge=challenge, code_challenge_method="S256", **params)
    )
    return _query(redirect)["code"], verifier


def test_code_flow_with_pkce_end_to_end(sb: Any, idp: Any) -> None:
    client = idp.session(redirect_uri="http://127.0.0.1:54321/callback")
    nonce = generate_token(16)
    url, state, verifier = idp.authorization_url(client, nonce=nonce)

    redirect = sb.sign_in_at(url)

    assert redirect.startswith("http://127.0.0.1:54321/callback?")
    params = _query(redirect)
    assert params["state"] == state
    assert params["iss"] == sb.issuer  # RFC 9207
    token = client.fetch_token(
        f"{sb.issuer}/token", authorization_response=redirect, code_verifier=verifier, state=state
    )
    assert token["token_type"].lower() == "bearer"
    assert token["expires_in"] == 3600
    assert token["scope"] == "openid offline_access email profile"

    keys = idp.keys()
    id_token = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
    assert id_token.header["kid"] == keys.keys[0].kid
    claims = id_token.claims
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": sb.issuer},
        aud={"essential": True, "value": "nbauth-notebook"},
        nonce={"essential": True, "value": nonce},
        sub={"essential": True},
    ).validate(claims)
    assert claims["azp"] == "nbauth-notebook"
    assert claims["at_hash"] == create_half_hash(token["access_token"], "RS256").decode()
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["auth_time"] <= claims["iat"]
    assert claims["email"] == "demo@example.com"
    assert claims["email_verified"] is True
    assert claims["preferred_username"] == "demo"
    assert claims["name"]

    access = jwt.decode(token["access_token"], keys, algorithms=["RS256"])
    assert access.header["typ"] == "at+jwt"
    assert access.claims["iss"] == sb.issuer
    assert access.claims["sub"] == claims["sub"]
    assert access.claims["aud"] == "nbauth-notebook"
    assert access.claims["client_id"] == "nbauth-notebook"
    assert access.claims["scope"] == "openid offline_access email profile"
    assert access.claims["exp"] - access.claims["iat"] == 3600
    assert access.claims["jti"]
    assert token["refresh_token"].count(".") != 2  # opaque, not a JWT

    # The subject is stable per user.
    assert jwt.decode(idp.tokens()["id_token"], keys).claims["sub"] == claims["sub"]


def test_pkce_missing_or_wrong_verifier_is_invalid_grant(sb: Any, idp: Any) -> None:
    code, _ = _code(sb)
    missing = idp.token_request(grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_grant"

    code, _ = _code(sb)
    wrong = idp.token_request(
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        code_verifier=generate_token(48),
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"


def test_public_client_must_send_an_s256_challenge(sb: Any) -> None:
    without = _query(sb.sign_in_at(_authorize_url(sb)))
    assert without["error"] == "invalid_request"
    assert without["state"] == "st-1"
    assert without["iss"] == sb.issuer
    _, challenge = _pkce()
    plain = _query(
        sb.sign_in_at(_authorize_url(sb, code_challenge=challenge, code_challenge_method="plain"))
    )
    assert plain["error"] == "invalid_request"
    implicit_plain = _query(sb.sign_in_at(_authorize_url(sb, code_challenge=challenge)))
    assert implicit_plain["error"] == "invalid_request"


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        "http://127.0.0.1.evil.example/callback",
        "http://192.168.1.10:8765/callback",
        "https://127.0.0.1:8765/callback",
    ],
)
def test_non_loopback_redirect_is_refused_without_redirecting(sb: Any, redirect_uri: str) -> None:
    _, challenge = _pkce()
    url = _authorize_url(
        sb, redirect_uri=redirect_uri, code_challenge=challenge, code_challenge_method="S256"
    )
    page = requests.get(url, allow_redirects=False, timeout=10)
    assert page.status_code == 400
    assert "Location" not in page.headers
    assert "not supported by client" in page.text
    with pytest.raises(SignInError) as refused:
        sb.sign_in_at(url)
    assert refused.value.status == 400


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1:49152/callback",
        "http://127.0.0.1:1/x",
        "http://localhost:8080/auth/done",
        "http://[::1]:3000/cb",
        "http://127.0.0.1/callback",
    ],
)
def test_any_loopback_redirect_is_accepted(sb: Any, idp: Any, redirect_uri: str) -> None:
    code, verifier = _code(sb, redirect_uri=redirect_uri)
    token = idp.token_request(
        grant_type="authorization_code",
        code=code,
        redirect_uri=redirect_uri,
        code_verifier=verifier,
    )
    assert token.status_code == 200, token.text


def test_redirect_uri_must_match_and_codes_are_single_use(sb: Any, idp: Any) -> None:
    code, verifier = _code(sb, scope="openid offline_access")
    other_port = idp.token_request(
        grant_type="authorization_code",
        code=code,
        redirect_uri="http://127.0.0.1:9999/callback",
        code_verifier=verifier,
    )
    assert other_port.json()["error"] == "invalid_grant"

    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    first = idp.token_request(**data)
    assert first.status_code == 200
    replay = idp.token_request(**data)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    # RFC 6749 §4.1.2: a replayed code revokes what it gave.
    assert idp.refresh(first.json()["refresh_token"]).json()["error"] == "invalid_grant"


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_confidential_client(sb: Any, idp: Any, auth_method: str) -> None:
    token = idp.tokens(
        client_id=sb.confidential_client_id,
        client_secret=sb.confidential_client_secret,
        token_endpoint_auth_method=auth_method,
    )
    claims = jwt.decode(token["id_token"], idp.keys()).claims
    assert claims["aud"] == "nbauth-confidential"

    wrong = idp.session(
        client_id=sb.confidential_client_id,
        client_secret="not-the-secret",
        token_endpoint_auth_method=auth_method,
    )
    url, state, verifier = idp.authorization_url(wrong)
    redirect = sb.sign_in_at(url)
    with pytest.raises(OAuthError) as refused:
        wrong.fetch_token(
            f"{sb.issuer}/token",
            authorization_response=redirect,
            code_verifier=verifier,
            state=state,
        )
    assert refused.value.error == "invalid_client"


def test_refresh_token_only_with_offline_access(idp: Any) -> None:
    token = idp.tokens(scope="openid email")
    assert "refresh_token" not in token
    assert "id_token" in token
    assert "refresh_token" in idp.tokens(scope="openid offline_access")


def test_prompt_none_without_a_session_is_login_required(sb: Any) -> None:
    _, challenge = _pkce()
    url = _authorize_url(sb, prompt="none", code_challenge=challenge, code_challenge_method="S256")
    page = requests.get(url, allow_redirects=False, timeout=10)
    assert page.status_code == 302
    params = _query(page.headers["Location"])
    assert params == {"error": "login_required", "state": "st-1", "iss": sb.issuer}


def test_deny_is_access_denied(sb: Any) -> None:
    _, challenge = _pkce()
    url = _authorize_url(sb, code_challenge=challenge, code_challenge_method="S256")
    params = _query(sb.sign_in_at(url, deny=True))
    assert params["error"] == "access_denied"
    assert params["state"] == "st-1"
    assert params["iss"] == sb.issuer
    assert "code" not in params


def test_wrong_password_is_a_sign_in_error(sb: Any) -> None:
    _, challenge = _pkce()
    url = _authorize_url(sb, code_challenge=challenge, code_challenge_method="S256")
    with pytest.raises(SignInError, match="Incorrect username or password"):
        sb.sign_in_at(url, password="wrong-password")
    with pytest.raises(SignInError):
        sb.sign_in_at(url, username="nobody-here")


def test_created_users_can_sign_in(sb: Any, idp: Any, new_user: Any) -> None:
    username, _ = new_user()
    claims = jwt.decode(idp.tokens(username=username)["id_token"], idp.keys()).claims
    assert claims["preferred_username"] == username
    assert claims["email"] == f"{username}@example.com"


def test_browser_like_page_flow_with_a_session(sb: Any) -> None:
    browser = requests.Session()
    _, challenge = _pkce()
    url = _authorize_url(
        sb, code_challenge=challenge, code_challenge_method="S256", scope="openid profile"
    )
    page = browser.get(url, timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    html = page.text
    assert '<form id="sign-in" method="post"' in html
    assert 'name="username"' in html and 'type="password"' in html
    assert 'value="deny"' in html and 'value="approve"' in html
    assert "nbauth-notebook" in html
    action = re.search(r'<form id="sign-in" method="post" action="([^"]+)"', html)
    assert action is not None
    post = browser.post(
        sb.issuer + action.group(1).replace("&amp;", "&"),
        data={"username": "demo", "password": sb.demo_password, "action": "approve"},
        allow_redirects=False,
        timeout=10,
    )
    assert post.status_code == 302
    assert _query(post.headers["Location"])["code"]

    # Signed in now: prompt=none answers at once; prompt=login shows the page again.
    again = browser.get(url + "&prompt=none", allow_redirects=False, timeout=10)
    assert again.status_code == 302 and "code" in _query(again.headers["Location"])
    login = browser.get(url + "&prompt=login", allow_redirects=False, timeout=10)
    assert login.status_code == 200 and "Signed in as" in login.text

    # RP-initiated logout ends the session.
    out = browser.get(f"{sb.issuer}/logout", allow_redirects=False, timeout=10)
    assert out.status_code == 200 and "Signed out" in out.text
    after = browser.get(url + "&prompt=none", allow_redirects=False, timeout=10)
    assert _query(after.headers["Location"])["error"] == "login_required"


def test_logout_with_id_token_hint_redirects(sb: Any, idp: Any) -> None:
    id_token = idp.tokens(scope="openid")["id_token"]
    response = requests.get(
        f"{sb.issuer}/logout",
        params={
            "id_token_hint": id_token,
            "post_logout_redirect_uri": "http://127.0.0.1:8765/bye",
            "state": "s2",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "http://127.0.0.1:8765/bye?state=s2"
    bad = requests.get(f"{sb.issuer}/logout", params={"id_token_hint": "not.a.jwt"}, timeout=10)
    assert bad.status_code == 400
