"""The oidc-provider peer works end to end with an independent client (requests + Authlib).

These tests pin the provider facts nbauth relies on (DESIGN.md, "Known facts"): if an upgrade
of oidc-provider changes one, a test here says which.
"""

from __future__ import annotations

import socket
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.peers import oidc_provider_peer
from tests.peers.oidc_provider_peer import OidcProviderPeer, PeerError

pytestmark = pytest.mark.timeout(60)

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SCOPES = "openid offline_access email profile"


# -- a small independent client ----------------------------------------------------------------
def metadata(peer: OidcProviderPeer) -> dict[str, Any]:
    response = requests.get(peer.discovery_url, timeout=10)
    response.raise_for_status()
    return response.json()


def client(peer: OidcProviderPeer, **kwargs: Any) -> OAuth2Session:
    return OAuth2Session(peer.client_id, token_endpoint_auth_method="none", timeout=10, **kwargs)


def verify_id_token(peer: OidcProviderPeer, token: str, **expected: Any) -> dict[str, Any]:
    """Checks signature, iss, aud and exp as a relying party must; returns the claims."""
    keys = KeySet.import_key_set(requests.get(metadata(peer)["jwks_uri"], timeout=10).json())
    decoded = jwt.decode(token, keys, algorithms=["RS256"])
    claims = decoded.claims
    expected = {"iss": peer.issuer, "aud": peer.client_id, **expected}
    registry = jwt.JWTClaimsRegistry(
        exp={"essential": True},
        **{name: {"essential": True, "value": value} for name, value in expected.items()},
    )
    registry.validate(claims)
    return claims


def start_device_flow(peer: OidcProviderPeer, scope: str = SCOPES) -> dict[str, Any]:
    endpoint = metadata(peer)["device_authorization_endpoint"]
    response = requests.post(
        endpoint, data={"client_id": peer.client_id, "scope": scope}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()


def poll_device_token(peer: OidcProviderPeer, device_code: str) -> dict[str, Any]:
    """One poll of the token endpoint (no waiting: the provider enforces no slow_down)."""
    session = client(peer)
    return dict(
        session.fetch_token(
            metadata(peer)["token_endpoint"], grant_type=DEVICE_GRANT, device_code=device_code
        )
    )


def device_tokens(
    peer: OidcProviderPeer, username: str = "alice", scope: str = SCOPES
) -> dict[str, Any]:
    grant = start_device_flow(peer, scope)
    peer.approve_device_code(grant["user_code"], username=username)
    return poll_device_token(peer, grant["device_code"])


def token_error(peer: OidcProviderPeer, **form: str) -> dict[str, Any]:
    response = requests.post(
        metadata(peer)["token_endpoint"], data={"client_id": peer.client_id, **form}, timeout=10
    )
    assert response.status_code == 400, response.text
    return response.json()


def introspect(peer: OidcProviderPeer, token: str) -> dict[str, Any]:
    response = requests.post(
        metadata(peer)["introspection_endpoint"],
        data={"client_id": peer.client_id, "token": token},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def authorization_request(
    peer: OidcProviderPeer, *, scope: str = SCOPES, **params: str
) -> tuple[OAuth2Session, str, str, str, str]:
    """A code + PKCE request for a loopback redirect on a random port.

    Returns (session, url, state, code_verifier, nonce).
    """
    redirect_uri = f"http://127.0.0.1:{free_loopback_port()}/callback"
    session = client(peer, redirect_uri=redirect_uri, scope=scope, code_challenge_method="S256")
    verifier, nonce = generate_token(64), generate_token(24)
    url, state = session.create_authorization_url(
        metadata(peer)["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **params
    )
    return session, url, state, verifier, nonce


# -- the peer itself ---------------------------------------------------------------------------
def test_discovery_document(oidc_provider: OidcProviderPeer) -> None:
    doc = metadata(oidc_provider)
    issuer = oidc_provider.issuer
    assert issuer.startswith("http://127.0.0.1:")
    assert doc["issuer"] == issuer
    assert doc["device_authorization_endpoint"] == f"{issuer}/device/auth"
    assert doc["revocation_endpoint"] == f"{issuer}/token/revocation"
    assert doc["introspection_endpoint"] == f"{issuer}/token/introspection"
    assert doc["end_session_endpoint"] == f"{issuer}/session/end"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert {"authorization_code", "refresh_token", DEVICE_GRANT} <= set(
        doc["grant_types_supported"]
    )
    assert set(SCOPES.split()) <= set(doc["scopes_supported"])
    keys = requests.get(doc["jwks_uri"], timeout=10).json()["keys"]
    assert [(k["kty"], k["alg"], k["use"]) for k in keys] == [("RSA", "RS256", "sig")]
    assert "d" not in keys[0]


def test_start_installs_node_modules_or_fails_loudly(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(oidc_provider_peer, "SERVER_DIR", tmp_path)  # no package.json there
    with pytest.raises(
        PeerError, match=r"npm ci failed .*npm ci --prefix tests/peers/oidc_provider"
    ):
        OidcProviderPeer.start()


def test_start_fails_loudly_without_node(monkeypatch) -> None:
    monkeypatch.setattr(oidc_provider_peer.shutil, "which", lambda name: None)
    with pytest.raises(PeerError, match="node is not on PATH"):
        OidcProviderPeer.start()


def test_start_reports_the_server_log_when_it_fails() -> None:
    with pytest.raises(PeerError, match="ACCESS_TOKEN_TTL must be a positive whole number"):
        OidcProviderPeer.start(access_token_ttl=0)


def test_stop_is_idempotent_and_frees_the_port(start_oidc_provider) -> None:
    peer = start_oidc_provider()
    assert peer.running and requests.get(peer.discovery_url, timeout=10).ok
    peer.stop()
    peer.stop()
    assert not peer.running
    with pytest.raises(requests.ConnectionError):
        requests.get(peer.discovery_url, timeout=2)


# -- device flow (RFC 8628) --------------------------------------------------------------------
def test_device_flow_pending_then_approved(oidc_provider: OidcProviderPeer) -> None:
    grant = start_device_flow(oidc_provider)
    issuer = oidc_provider.issuer
    assert grant["verification_uri"] == f"{issuer}/device"
    assert grant["verification_uri_complete"] == f"{issuer}/device?user_code={grant['user_code']}"
    assert grant["expires_in"] == 600
    # Fact: no interval in the response; clients fall back to RFC 8628's 5 seconds.
    assert "interval" not in grant

    with pytest.raises(OAuthError) as pending:
        poll_device_token(oidc_provider, grant["device_code"])
    assert pending.value.error == "authorization_pending"

    oidc_provider.approve_device_code(grant["user_code"], username="bob")
    tokens = poll_device_token(oidc_provider, grant["device_code"])
    assert tokens["token_type"] == "Bearer"
    assert set(tokens["scope"].split()) == set(SCOPES.split())
    assert tokens["expires_in"] == 3600
    assert tokens["refresh_token"]  # the device flow issues one with offline_access
    claims = verify_id_token(oidc_provider, tokens["id_token"], sub="bob")
    assert claims["email"] == "bob@example.com"
    assert claims["email_verified"] is True
    assert claims["preferred_username"] == "bob"
    assert claims["exp"] - claims["iat"] == 3600

    # A device code is good for one token response only.
    assert (
        token_error(oidc_provider, grant_type=DEVICE_GRANT, device_code=grant["device_code"])[
            "error"
        ]
        == "invalid_grant"
    )


def test_device_flow_without_offline_access_has_no_refresh_token(oidc_provider) -> None:
    tokens = device_tokens(oidc_provider, scope="openid email")
    assert "refresh_token" not in tokens
    assert tokens["id_token"]


def test_device_flow_denied(oidc_provider: OidcProviderPeer) -> None:
    grant = start_device_flow(oidc_provider)
    oidc_provider.deny_device_code(grant["user_code"])
    error = token_error(oidc_provider, grant_type=DEVICE_GRANT, device_code=grant["device_code"])
    assert error["error"] == "access_denied"


def test_device_flow_rejects_an_unknown_user_code(oidc_provider: OidcProviderPeer) -> None:
    with pytest.raises(PeerError, match="was not accepted"):
        oidc_provider.approve_device_code("BCDF-GHJK")


def test_confidential_client_device_flow(oidc_provider: OidcProviderPeer) -> None:
    doc = metadata(oidc_provider)
    auth = (oidc_provider.confidential_client_id, oidc_provider.confidential_client_secret)
    grant = requests.post(
        doc["device_authorization_endpoint"], auth=auth, timeout=10, data={"scope": SCOPES}
    ).json()
    oidc_provider.approve_device_code(grant["user_code"], username="frank")
    response = requests.post(
        doc["token_endpoint"],
        auth=auth,
        timeout=10,
        data={"grant_type": DEVICE_GRANT, "device_code": grant["device_code"]},
    )
    assert response.status_code == 200, response.text
    tokens = response.json()
    claims = verify_id_token(
        oidc_provider, tokens["id_token"], sub="frank", aud=oidc_provider.confidential_client_id
    )
    assert claims["email"] == "frank@example.com"
    assert tokens["refresh_token"]


def test_short_ttls_are_honoured(start_oidc_provider) -> None:
    peer = start_oidc_provider(
        access_token_ttl=20, id_token_ttl=20, refresh_token_ttl=30, device_code_ttl=20
    )
    grant = start_device_flow(peer)
    assert grant["expires_in"] == 20
    peer.approve_device_code(grant["user_code"])
    tokens = poll_device_token(peer, grant["device_code"])
    assert tokens["expires_in"] == 20
    claims = verify_id_token(peer, tokens["id_token"], sub="alice")
    assert claims["exp"] - claims["iat"] == 20
    refresh = introspect(peer, tokens["refresh_token"])
    assert refresh["active"] is True
    assert refresh["exp"] - refresh["iat"] == 30

    refreshed = client(peer).refresh_token(
        metadata(peer)["token_endpoint"], refresh_token=tokens["refresh_token"]
    )
    assert refreshed["expires_in"] == 20


def test_tokens_and_device_codes_expire_on_time(start_oidc_provider) -> None:
    peer = start_oidc_provider(
        access_token_ttl=1, id_token_ttl=1, refresh_token_ttl=2, device_code_ttl=2
    )
    tokens = device_tokens(peer)
    unused = start_device_flow(peer)
    time.sleep(3.2)  # past every TTL, whole seconds included

    assert introspect(peer, tokens["access_token"]) == {"active": False}
    assert introspect(peer, tokens["refresh_token"]) == {"active": False}
    refresh = token_error(peer, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refresh == {"error": "invalid_grant", "error_description": "grant request is invalid"}
    device = token_error(peer, grant_type=DEVICE_GRANT, device_code=unused["device_code"])
    assert device["error"] == "expired_token"
    # Fact: userinfo (a resource server) still takes the access token within clockTolerance
    # (15 s) after its exp; introspection and the token endpoint are strict.
    userinfo = requests.get(
        metadata(peer)["userinfo_endpoint"],
        timeout=10,
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert userinfo.status_code == 200


# -- authorization code + PKCE (RFC 7636, RFC 8252 loopback) -----------------------------------
def test_code_flow_with_pkce_on_a_loopback_port(oidc_provider: OidcProviderPeer) -> None:
    session, url, state, verifier, nonce = authorization_request(oidc_provider, prompt="consent")
    redirect = oidc_provider.sign_in_at(url, username="carol")

    assert redirect.startswith(session.redirect_uri + "?")
    params = {k: v[0] for k, v in parse_qs(urlsplit(redirect).query).items()}
    assert set(params) == {"code", "state", "iss"}
    assert params["state"] == state
    assert params["iss"] == oidc_provider.issuer  # RFC 9207

    tokens = session.fetch_token(
        metadata(oidc_provider)["token_endpoint"],
        authorization_response=redirect,
        state=state,
        code_verifier=verifier,
    )
    assert set(tokens["scope"].split()) == set(SCOPES.split())
    assert tokens["refresh_token"]
    claims = verify_id_token(oidc_provider, tokens["id_token"], sub="carol", nonce=nonce)
    assert claims["name"] == "Carol"

    # The code is single-use.
    reuse = token_error(
        oidc_provider,
        grant_type="authorization_code",
        code=params["code"],
        redirect_uri=session.redirect_uri,
        code_verifier=verifier,
    )
    assert reuse["error"] == "invalid_grant"


def test_code_flow_without_prompt_consent_drops_offline_access(oidc_provider) -> None:
    session, url, state, verifier, _ = authorization_request(oidc_provider)
    redirect = oidc_provider.sign_in_at(url)
    tokens = session.fetch_token(
        metadata(oidc_provider)["token_endpoint"],
        authorization_response=redirect,
        state=state,
        code_verifier=verifier,
    )
    assert "offline_access" not in tokens["scope"].split()
    assert "refresh_token" not in tokens


def test_code_flow_wrong_verifier_is_invalid_grant(oidc_provider: OidcProviderPeer) -> None:
    session, url, state, _, _ = authorization_request(oidc_provider, prompt="consent")
    redirect = oidc_provider.sign_in_at(url)
    with pytest.raises(OAuthError) as failed:
        session.fetch_token(
            metadata(oidc_provider)["token_endpoint"],
            authorization_response=redirect,
            state=state,
            code_verifier=generate_token(64),
        )
    assert failed.value.error == "invalid_grant"


def test_code_flow_requires_pkce(oidc_provider: OidcProviderPeer) -> None:
    redirect_uri = f"http://127.0.0.1:{free_loopback_port()}/callback"
    session = client(oidc_provider, redirect_uri=redirect_uri, scope="openid")
    url, state = session.create_authorization_url(metadata(oidc_provider)["authorization_endpoint"])
    redirect = oidc_provider.sign_in_at(url)
    params = {k: v[0] for k, v in parse_qs(urlsplit(redirect).query).items()}
    assert params["error"] == "invalid_request"
    assert "PKCE" in params["error_description"]
    assert params["state"] == state


def test_code_flow_cancelled_by_the_user(oidc_provider: OidcProviderPeer) -> None:
    _, url, state, _, _ = authorization_request(oidc_provider, prompt="consent")
    redirect = oidc_provider.deny_at(url)
    params = {k: v[0] for k, v in parse_qs(urlsplit(redirect).query).items()}
    assert params["error"] == "access_denied"
    assert params["state"] == state
    assert params["iss"] == oidc_provider.issuer


# -- refresh tokens and revocation -------------------------------------------------------------
def test_refresh_rotates_and_reuse_revokes_the_whole_grant(oidc_provider) -> None:
    token_endpoint = metadata(oidc_provider)["token_endpoint"]
    first = device_tokens(oidc_provider, username="dave")

    second = client(oidc_provider).refresh_token(
        token_endpoint, refresh_token=first["refresh_token"]
    )
    assert second["refresh_token"] != first["refresh_token"]  # rotated
    verify_id_token(oidc_provider, second["id_token"], sub="dave")
    assert introspect(oidc_provider, second["access_token"])["active"] is True

    # Replaying the rotated-out token fails...
    reuse = token_error(
        oidc_provider, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert reuse == {"error": "invalid_grant", "error_description": "grant request is invalid"}
    # ...and revokes the grant: the newest refresh token and the access tokens die with it.
    after = token_error(
        oidc_provider, grant_type="refresh_token", refresh_token=second["refresh_token"]
    )
    assert after["error"] == "invalid_grant"
    assert introspect(oidc_provider, second["access_token"]) == {"active": False}
    assert introspect(oidc_provider, first["access_token"]) == {"active": False}


def test_revoking_the_refresh_token(oidc_provider: OidcProviderPeer) -> None:
    doc = metadata(oidc_provider)
    tokens = device_tokens(oidc_provider)
    response = client(oidc_provider).revoke_token(
        doc["revocation_endpoint"], token=tokens["refresh_token"], token_type_hint="refresh_token"
    )
    assert response.status_code == 200
    assert (
        token_error(
            oidc_provider, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
        )["error"]
        == "invalid_grant"
    )
    # Revoking a refresh token revokes its grant, access tokens included.
    assert introspect(oidc_provider, tokens["access_token"]) == {"active": False}


def test_revoking_an_access_token_revokes_its_refresh_token_too(oidc_provider) -> None:
    # Fact: oidc-provider revokes every token of the grant when one access token is revoked.
    doc = metadata(oidc_provider)
    tokens = device_tokens(oidc_provider)
    response = client(oidc_provider).revoke_token(
        doc["revocation_endpoint"], token=tokens["access_token"], token_type_hint="access_token"
    )
    assert response.status_code == 200
    assert introspect(oidc_provider, tokens["access_token"]) == {"active": False}
    assert introspect(oidc_provider, tokens["refresh_token"]) == {"active": False}
    assert (
        token_error(
            oidc_provider, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
        )["error"]
        == "invalid_grant"
    )


def test_revoking_an_unknown_token_is_fine(oidc_provider: OidcProviderPeer) -> None:
    response = client(oidc_provider).revoke_token(
        metadata(oidc_provider)["revocation_endpoint"], token="not-a-token"
    )
    assert response.status_code == 200  # RFC 7009 section 2.2


def test_access_token_works_at_userinfo(oidc_provider: OidcProviderPeer) -> None:
    doc = metadata(oidc_provider)
    tokens = device_tokens(oidc_provider, username="erin")
    response = requests.get(
        doc["userinfo_endpoint"],
        timeout=10,
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["sub"] == "erin"
