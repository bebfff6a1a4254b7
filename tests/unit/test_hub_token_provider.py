"""HubTokenProvider against a fake JupyterHub API (a real HTTP server on 127.0.0.1).

The fake answers ``GET /hub/api/users/<name>`` the way JupyterHub does: with ``auth_state`` only
for a token holding ``admin:auth_state!user`` (no key at all otherwise), ``null`` when the hub
keeps none, HTTP 403 for a token without read access. The ID tokens are signed by a small test
issuer (discovery + JWKS), so verification runs for real.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from nbauth.errors import NotAuthorizedError, ProviderTokenExpiredError
from nbauth.integrations.jupyterhub import (
    HubAuthStateUnavailable,
    HubEnvironment,
    HubTokenProvider,
    probe,
)
from tests.support.oidc_issuer import OIDC_CLIENT_ID, OidcTestIssuer

HUB_TOKEN = "hub-api-token-for-ada-0123456789"
USER = "ada"


class FakeHub:
    """``/hub/api/users/<name>``: the user model, shaped by ``auth_state`` / ``status``."""

    MISSING = object()

    def __init__(self) -> None:
        self.auth_state: Any = self.MISSING  # MISSING: the token lacks admin:auth_state
        self.status = 200
        self.reads = 0
        self.on_read: Any = None  # called before answering (a test changes state there)
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.api_url = f"http://127.0.0.1:{self._server.server_port}/hub/api"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.headers.get("Authorization") != f"token {HUB_TOKEN}":
            return Response("{}", status=403)(environ, start_response)
        if request.path != f"/hub/api/users/{USER}":
            return Response("{}", status=404)(environ, start_response)
        self.reads += 1
        if self.on_read is not None:
            self.on_read(self.reads)
        if self.status != 200:
            return Response('{"status": 403}', status=self.status)(environ, start_response)
        model: dict[str, Any] = {"kind": "user", "name": USER}
        if self.auth_state is not self.MISSING:
            model["auth_state"] = self.auth_state
        return Response(json.dumps(model), mimetype="application/json")(environ, start_response)

    def env(self) -> HubEnvironment:
        return HubEnvironment(self.api_url, USER, HUB_TOKEN)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def hub():
    fake = FakeHub()
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def issuer():
    test_issuer = OidcTestIssuer()
    yield test_issuer
    test_issuer.close()


def oauthenticator_state(id_token: str | None, access: str = "access-token-abc") -> dict:
    """What oauthenticator >= 16 stores (build_auth_state_dict)."""
    response = {"access_token": access, "refresh_token": "refresh-xyz", "token_type": "Bearer"}
    if id_token:
        response["id_token"] = id_token
    return {
        "access_token": access,
        "refresh_token": "refresh-xyz",
        "id_token": id_token,
        "scope": ["openid", "offline_access"],
        "token_response": response,
        "oauth_user": {"sub": USER, "preferred_username": USER},
    }


def provider(hub: FakeHub, **options: Any) -> HubTokenProvider:
    options.setdefault("client_id", OIDC_CLIENT_ID)
    return HubTokenProvider(hub.env(), **options)


# -- what the hub hands out -------------------------------------------------------------------


def test_missing_scope_falls_back_with_the_reason(hub: FakeHub):
    result = probe(provider(hub))
    assert not result.available
    assert "admin:auth_state!user" in result.reason
    with pytest.raises(HubAuthStateUnavailable, match="admin:auth_state!user"):
        provider(hub).get_tokens()


def test_no_auth_state_kept(hub: FakeHub):
    hub.auth_state = None
    result = probe(provider(hub))
    assert not result.available and "enable_auth_state" in result.reason


def test_forbidden_token(hub: FakeHub):
    hub.status = 403
    result = probe(provider(hub))
    assert not result.available and "HTTP 403" in result.reason


def test_auth_state_without_an_id_token(hub: FakeHub):
    hub.auth_state = oauthenticator_state(None)
    result = probe(provider(hub))
    assert not result.available and "openid" in result.reason


def test_id_token_and_access_token_from_auth_state(hub: FakeHub, issuer: OidcTestIssuer):
    id_token = issuer.token(sub=USER)
    hub.auth_state = oauthenticator_state(id_token)
    assert probe(provider(hub)).available
    tokens = provider(hub).get_tokens()
    assert tokens.id_token.to_string() == id_token
    assert tokens.access_token is not None
    assert tokens.access_token.to_string() == "access-token-abc"


def test_id_token_only_in_token_response(hub: FakeHub, issuer: OidcTestIssuer):
    id_token = issuer.token(sub=USER)
    state = oauthenticator_state(id_token)
    state["id_token"] = None  # older oauthenticator: only the raw token response has it
    hub.auth_state = state
    assert provider(hub).get_tokens().id_token.to_string() == id_token


def test_a_token_signed_by_another_key_is_refused(hub: FakeHub, issuer: OidcTestIssuer):
    other = OidcTestIssuer()
    try:
        forged = other.token(sub=USER, iss=issuer.issuer)  # right iss, wrong key
    finally:
        other.close()
    hub.auth_state = oauthenticator_state(forged)
    with pytest.raises(NotAuthorizedError, match="does not verify"):
        provider(hub).get_tokens()


def test_wrong_audience_is_refused_when_the_client_id_is_known(hub, issuer):
    hub.auth_state = oauthenticator_state(issuer.token(sub=USER, aud="someone-else"))
    with pytest.raises(NotAuthorizedError, match="audience"):
        provider(hub).get_tokens()
    # Without a client id the token's own azp/aud is used; the identity pool checks it.
    assert provider(hub, client_id=None).get_tokens().id_token.subject == USER


# -- freshness comes from the hub -------------------------------------------------------------


def test_valid_tokens_are_served_without_a_request(hub: FakeHub, issuer: OidcTestIssuer):
    hub.auth_state = oauthenticator_state(issuer.token(sub=USER))
    hub_tokens = provider(hub)
    hub_tokens.get_tokens()
    hub_tokens.get_tokens()
    assert hub.reads == 1


def test_force_refresh_reads_auth_state_again(hub: FakeHub, issuer: OidcTestIssuer):
    first = issuer.token(sub=USER)
    hub.auth_state = oauthenticator_state(first)
    hub_tokens = provider(hub)
    assert hub_tokens.get_tokens().id_token.to_string() == first
    second = issuer.token(sub=USER, nonce_free="2")
    hub.auth_state = oauthenticator_state(second)
    assert hub_tokens.get_tokens(force_refresh=True).id_token.to_string() == second
    assert hub.reads == 2


def test_force_refresh_waits_for_the_hub_to_refresh(hub: FakeHub, issuer: OidcTestIssuer):
    expired = issuer.token(sub=USER, exp_in=-5)
    fresh = issuer.token(sub=USER, exp_in=300)
    hub.auth_state = oauthenticator_state(expired)

    def hub_refreshes_on_the_third_read(reads: int) -> None:
        if reads == 3:
            hub.auth_state = oauthenticator_state(fresh)

    hub.on_read = hub_refreshes_on_the_third_read
    slept: list[float] = []
    hub_tokens = provider(hub, poll_seconds=1.5, sleep=slept.append)
    assert hub_tokens.get_tokens(force_refresh=True).id_token.to_string() == fresh
    assert hub.reads == 3 and slept == [1.5, 1.5]


def test_a_hub_that_never_refreshes_gives_a_clear_error(hub: FakeHub, issuer: OidcTestIssuer):
    hub.auth_state = oauthenticator_state(issuer.token(sub=USER, exp_in=-5))
    hub_tokens = provider(hub, refresh_wait_seconds=0)
    with pytest.raises(ProviderTokenExpiredError, match="could not refresh"):
        hub_tokens.get_tokens(force_refresh=True)
    assert hub.reads == 1


# -- secrets ----------------------------------------------------------------------------------


def test_no_secret_in_reprs_errors_or_logs(hub, issuer, caplog):
    id_token = issuer.token(sub=USER)
    hub.auth_state = oauthenticator_state(id_token)
    caplog.set_level(logging.DEBUG)
    hub_tokens = provider(hub)
    tokens = hub_tokens.get_tokens(force_refresh=True)
    secrets = [HUB_TOKEN, id_token, "access-token-abc", "refresh-xyz"]
    shown = [repr(hub_tokens), repr(hub_tokens.hub), str(hub_tokens.hub), repr(tokens)]
    hub.auth_state = FakeHub.MISSING
    shown.append(probe(hub_tokens).reason)
    shown.append(caplog.text)
    for text in shown:
        for secret in secrets:
            assert secret not in text


def test_environment_is_read_from_the_hub_variables():
    env = {
        "JUPYTERHUB_API_URL": "http://hub:8081/hub/api/",
        "JUPYTERHUB_API_TOKEN": HUB_TOKEN,
        "JUPYTERHUB_USER": "ada lovelace",
        "JUPYTERHUB_SERVER_NAME": "gpu",
    }
    hub = HubEnvironment.from_environ(env)
    assert hub is not None
    assert hub.user_url == "http://hub:8081/hub/api/users/ada%20lovelace"
    assert hub.server_name == "gpu"
    assert HubEnvironment.from_environ({"JUPYTERHUB_USER": "ada"}) is None


# -- %load_ext nbauth chooses it --------------------------------------------------------------


@pytest.fixture
def hub_env(hub: FakeHub, tmp_path, monkeypatch):
    config = {
        "version": "1.3",
        "auth": {
            "aws_region": "eu-west-1",
            "identity_pool_id": "eu-west-1:11111111-2222-3333-4444-555555555555",
        },
    }
    path = tmp_path / "amplify_outputs.json"
    path.write_text(json.dumps(config))
    monkeypatch.setenv("NBAUTH_CONFIG", str(path))
    monkeypatch.setenv("JUPYTERHUB_API_URL", hub.api_url)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", HUB_TOKEN)
    monkeypatch.setenv("JUPYTERHUB_USER", USER)
    monkeypatch.setenv("NBAUTH_HUB_CLIENT_ID", OIDC_CLIENT_ID)
    from tests.support.notebook_shell import reset_default_auth

    reset_default_auth()
    yield hub
    reset_default_auth()


def test_load_ext_signs_in_through_the_hub(hub_env: FakeHub, issuer: OidcTestIssuer):
    from nbauth.notebook.default_auth import configured_auth, hub_sign_in

    hub_env.auth_state = oauthenticator_state(issuer.token(sub=USER))
    outcome = hub_sign_in()
    assert outcome == (True, f"Signed in through JupyterHub as {USER}."), outcome
    auth = configured_auth()
    assert auth is not None
    assert "HubTokenProvider" in repr(auth.token_provider)
    assert hub_env.reads == 1  # one request at load


def test_load_ext_falls_back_when_the_scope_is_missing(hub_env: FakeHub, monkeypatch):
    from nbauth.notebook.default_auth import configured_auth, hub_sign_in

    signed_in, text = hub_sign_in() or (None, "")
    assert signed_in is False
    assert text.startswith("JupyterHub sign-in not used:") and "admin:auth_state!user" in text
    assert "\n" not in text
    assert configured_auth() is None
    monkeypatch.setenv("NBAUTH_JUPYTERHUB", "0")
    assert hub_sign_in() is None


# -- per-user callback URLs -------------------------------------------------------------------

GPU = {"JUPYTERHUB_SERVICE_PREFIX": "/jhub/user/ada/gpu/"}
GPU_CALLBACK = "https://hub.example.com/jhub/user/ada/gpu/nbauth/callback"


@pytest.mark.parametrize(
    "env",
    [
        # JupyterHub >= 4.1 with c.JupyterHub.public_url: the named server's own public URL
        {**GPU, "JUPYTERHUB_PUBLIC_URL": "https://hub.example.com/jhub/user/ada/gpu/"},
        # only the hub's public URL (its path is the hub's, the server's prefix replaces it)
        {**GPU, "JUPYTERHUB_PUBLIC_HUB_URL": "https://hub.example.com/jhub/hub/"},
        # JupyterHub sets JUPYTERHUB_PUBLIC_URL empty without a public_url
        {
            **GPU,
            "JUPYTERHUB_PUBLIC_URL": "",
            "JUPYTERHUB_PUBLIC_HUB_URL": "https://hub.example.com/",
        },
    ],
)
def test_named_server_callback_uri(env: dict[str, str]):
    from nbauth.notebook.callback_drop_box import CALLBACK_DIR_ENV
    from nbauth.notebook.jupyter_receiver import jupyter_redirect_uri

    uri, _ = jupyter_redirect_uri(None, {CALLBACK_DIR_ENV: "/nonexistent/nbauth-callbacks", **env})
    assert uri == GPU_CALLBACK
