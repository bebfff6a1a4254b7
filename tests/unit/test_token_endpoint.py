"""The token endpoint over a real socket: what nbauth sends (RFC 6749 §2.3.1, §4.1.3, §6)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest

from nbauth import errors
from nbauth.oidc.client import OIDCClient, ProviderSpec
from nbauth.oidc.discovery import ProviderMetadata
from tests.support.scripted_http import ScriptedServer, json_answer, redirect


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    s = ScriptedServer()
    yield s
    s.close()


def client_for(server: ScriptedServer, secret: str | None = None) -> OIDCClient:
    metadata = ProviderMetadata(
        issuer=server.base, token_endpoint=server.base + "/token", jwks_uri=server.base + "/jwks"
    )
    spec = ProviderSpec(
        name="corp",
        issuer=server.base,
        client_id="nb:client/1",
        client_secret=secret,
        scopes=("openid", "offline_access", "email", "profile", "api.read"),
        metadata=metadata,
    )
    return OIDCClient(spec)


def form(body: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(body.decode()).items()}


def test_a_refresh_sends_no_scope_so_a_narrowed_grant_still_refreshes(
    server: ScriptedServer,
) -> None:
    """RFC 6749 §6: omitted scope = the scopes of the grant; re-sending all configured scopes
    makes IdPs that granted fewer answer invalid_scope forever."""
    server.routes["/token"] = json_answer({"access_token": "at", "expires_in": 60})
    client_for(server).refresh_response("rt-1")
    ((method, path, body),) = server.seen
    assert (method, path) == ("POST", "/token")
    assert form(body) == {
        "grant_type": "refresh_token",
        "refresh_token": "rt-1",
        "client_id": "nb:client/1",
    }


def test_a_confidential_client_authenticates_with_form_encoded_basic_credentials(
    server: ScriptedServer,
) -> None:
    server.routes["/token"] = json_answer({"access_token": "at", "expires_in": 60})
    client_for(server, secret="s3cr:t/+=").refresh_response("rt-1")
    seen = server.requests_headers[0]
    scheme, _, value = seen["authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(value).decode() == "nb%3Aclient%2F1:s3cr%3At%2F%2B%3D"
    assert "client_id" not in form(server.seen[0][2])


def test_a_redirect_from_the_token_endpoint_is_not_followed(server: ScriptedServer) -> None:
    other = ScriptedServer()
    try:
        server.routes["/token"] = redirect(other.base + "/token")
        with pytest.raises(errors.RedirectRefusedError):
            client_for(server).refresh_response("rt-secret")
        assert other.seen == []
    finally:
        other.close()


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("invalid_scope", errors.InvalidScopeError),
        ("invalid_client", errors.InvalidClientError),
        ("unauthorized_client", errors.UnauthorizedClientError),
        ("invalid_grant", errors.InvalidGrantError),
    ],
)
def test_definitive_refresh_refusals_are_typed(
    server: ScriptedServer, code: str, cls: type[errors.AuthError]
) -> None:
    server.routes["/token"] = json_answer({"error": code}, "400 Bad Request")
    with pytest.raises(cls):
        client_for(server).refresh_response("rt-1")
