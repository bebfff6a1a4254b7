"""``authorize_params`` over the real wire: the sandbox IdP receives them on its authorization
request, acts on them, and the sign-in still completes (issue 13, item 4)."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

import nbauth
from nbauth.errors import AuthError, ConfigurationError


def _config(sb: Any, **provider: Any) -> dict[str, Any]:
    config = copy.deepcopy(sb.config)
    config["nbauth"]["oidc_providers"]["sandbox"].update(provider)
    return config


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_extra_authorize_params_reach_the_idp_and_the_sign_in_completes(sb, make_auth):
    auth = make_auth(
        config=_config(
            sb, authorize_params={"access_type": "offline", "ui_locales": "en", "prompt": "login"}
        )
    )
    handle = auth.sign_in_with_redirect(mode="paste")
    query = _query(handle.url)
    assert query["access_type"] == ["offline"] and query["ui_locales"] == ["en"]
    assert query["prompt"] == ["login"]  # the configuration's, not nbauth's default "consent"
    # nbauth's own parameters are all there, once each
    for own in ("state", "nonce", "code_challenge", "redirect_uri", "client_id", "scope"):
        assert len(query[own]) == 1
    assert urlsplit(handle.url).netloc == urlsplit(sb.issuer).netloc  # the IdP's own endpoint

    handle.complete(sb.sign_in_at(handle.url))
    assert handle.status == "signed_in"
    assert auth.fetch_auth_session().credentials is not None


def test_the_idp_acts_on_a_configured_prompt(sb, make_auth):
    # prompt=none with no browser session: the IdP itself answers login_required, which shows
    # that it read the configured parameter from the request it received.
    auth = make_auth(config=_config(sb, authorize_params={"prompt": "none"}))
    handle = auth.sign_in_with_redirect(mode="paste")
    assert _query(handle.url)["prompt"] == ["none"]
    redirect = sb.sign_in_at(handle.url)
    assert _query(redirect)["error"] == ["login_required"]
    with pytest.raises(AuthError, match="login_required"):
        handle.complete(redirect)
    assert handle.status == "failed"


def test_device_flow_false_sends_nothing_to_the_idp(sb, make_auth):
    auth = make_auth(config=_config(sb, device_flow=False))
    sb.reset_idp_calls()
    with pytest.raises(ConfigurationError, match="no device-code sign-in"):
        auth.sign_in_with_device_code()
    assert sb.idp_calls("device_authorization") == 0 and sb.idp_calls("discovery") == 0
    # the browser sign-in still works for that provider
    handle = auth.sign_in_with_redirect(mode="paste")
    handle.complete(sb.sign_in_at(handle.url))
    assert handle.status == "signed_in"
    assert isinstance(auth, nbauth.Auth)
