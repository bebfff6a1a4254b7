"""The IdP starts and stops with its sandbox, quietly, and never logs a secret."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest
import requests
from authlib.common.security import generate_token

import nbauth.sandbox as sandbox


def _idp_threads(port: int) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(f"nbauth-sandbox-idp-{port}")]


def test_idp_runs_and_stops_with_its_sandbox() -> None:
    with sandbox.start(
        access_token_lifetime=120,
        id_token_lifetime=60,
        device_code_lifetime=90,
        device_poll_interval=0,
    ) as sb:
        port = int(sb.issuer.rsplit(":", 1)[1])
        started = requests.post(
            f"{sb.issuer}/device_authorization", data={"client_id": "nbauth-notebook"}, timeout=10
        ).json()
        assert (started["expires_in"], started["interval"]) == (90, 0)
        threads = _idp_threads(port)
        assert threads and all(t.daemon for t in threads)
        sb.approve_device_code(started["user_code"])
        token = requests.post(
            f"{sb.issuer}/token",
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                "device_code": started["device_code"],
                "client_id": "nbauth-notebook",
            },
            timeout=10,
        ).json()
        assert token["expires_in"] == 120
        sb.set_token_lifetimes(access=30)
        sb.reset_token_lifetimes()
        assert sb.idp.lifetimes.access_token == 120  # back to what start() was given
    assert not sb.running
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{sb.issuer}/jwks", timeout=5)
    deadline = time.monotonic() + 5
    while _idp_threads(port) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _idp_threads(port)


def test_invalid_idp_lifetimes_refuse_to_start() -> None:
    with pytest.raises(ValueError):
        sandbox.start(access_token_lifetime=0)
    with pytest.raises(ValueError):
        sandbox.start(device_poll_interval=-1)


def test_no_secret_is_logged_even_at_debug(
    sb: Any, idp: Any, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)  # everything: Authlib logs issued tokens at DEBUG
    secrets: list[str] = [sb.demo_password, sb.confidential_client_secret]

    client = idp.session()
    url, state, verifier = idp.authorization_url(client, nonce=generate_token(12))
    redirect = sb.sign_in_at(url)
    secrets.append(redirect.split("code=", 1)[1].split("&", 1)[0])
    token = client.fetch_token(
        f"{sb.issuer}/token", authorization_response=redirect, code_verifier=verifier, state=state
    )
    refreshed = idp.refresh(token["refresh_token"]).json()
    confidential = idp.tokens(
        client_id=sb.confidential_client_id,
        client_secret=sb.confidential_client_secret,
        token_endpoint_auth_method="client_secret_post",
    )
    started = idp.start_device()
    idp.poll(started["device_code"])
    sb.approve_device_code(started["user_code"])
    device = idp.poll(started["device_code"]).json()
    requests.get(
        f"{sb.issuer}/userinfo",
        headers={"Authorization": f"Bearer {refreshed['access_token']}"},
        timeout=10,
    )
    requests.post(
        f"{sb.issuer}/revoke",
        data={"token": refreshed["refresh_token"], "client_id": sb.oidc_client_id},
        timeout=10,
    )
    for response in (token, refreshed, confidential, device):
        secrets += [response[k] for k in ("access_token", "id_token", "refresh_token")]
    secrets.append(started["device_code"])

    idp_records = [r for r in caplog.records if r.threadName.startswith("nbauth-sandbox-idp")]
    assert idp_records == []  # the IdP's threads log nothing (werkzeug, Flask, Authlib)
    out, err = capfd.readouterr()
    everything = caplog.text + out + err
    for secret in secrets:
        assert secret not in everything
