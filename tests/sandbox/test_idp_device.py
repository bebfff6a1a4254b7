"""RFC 8628 device authorization at the sandbox IdP: the client polls, the person approves."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import quote

import pytest
import requests
from joserfc import jwt


def _error(response: Any) -> str:
    assert response.status_code == 400, response.text
    return response.json()["error"]


def test_device_authorization_response(sb: Any, idp: Any) -> None:
    started = idp.start_device()
    assert re.fullmatch(r"[B-Z]{4}-[B-Z]{4}", started["user_code"])
    assert started["verification_uri"] == f"{sb.issuer}/device"
    assert started["verification_uri_complete"] == (
        f"{sb.issuer}/device?user_code={quote(started['user_code'])}"
    )
    assert started["expires_in"] == 600
    assert started["interval"] == 5
    assert len(started["device_code"]) >= 40


def test_pending_then_slow_down_then_approved(sb: Any, idp: Any) -> None:
    sb.set_token_lifetimes(device_interval=1)
    started = idp.start_device()
    assert started["interval"] == 1

    assert _error(idp.poll(started["device_code"])) == "authorization_pending"
    assert _error(idp.poll(started["device_code"])) == "slow_down"  # polled at once
    time.sleep(1.05)
    assert _error(idp.poll(started["device_code"])) == "authorization_pending"  # on time

    sb.approve_device_code(started["user_code"])
    response = idp.poll(started["device_code"])  # approval answers at once
    assert response.status_code == 200, response.text
    token = response.json()
    assert {"access_token", "id_token", "refresh_token", "expires_in"} <= set(token)
    claims = jwt.decode(token["id_token"], idp.keys()).claims
    assert claims["aud"] == "nbauth-notebook"
    assert claims["iss"] == sb.issuer
    assert claims["preferred_username"] == "demo"
    assert "nonce" not in claims

    # Tokens are issued once per device code, and the refresh token works.
    assert _error(idp.poll(started["device_code"])) == "invalid_grant"
    assert idp.refresh(token["refresh_token"]).status_code == 200


def test_approved_codes_answer_even_when_polled_fast(sb: Any, idp: Any) -> None:
    started = idp.start_device(scope="openid")
    sb.approve_device_code(started["user_code"].lower().replace("-", ""))  # as a person types it
    response = idp.poll(started["device_code"])
    assert response.status_code == 200
    assert "refresh_token" not in response.json()  # no offline_access


def test_denied_is_access_denied(sb: Any, idp: Any) -> None:
    started = idp.start_device()
    sb.deny_device_code(started["user_code"])
    assert _error(idp.poll(started["device_code"])) == "access_denied"
    with pytest.raises(LookupError):
        sb.approve_device_code(started["user_code"])  # already decided


def test_expired_is_expired_token(sb: Any, idp: Any) -> None:
    sb.set_token_lifetimes(device_code=1)
    started = idp.start_device()
    assert started["expires_in"] == 1
    time.sleep(1.05)
    assert _error(idp.poll(started["device_code"])) == "expired_token"
    with pytest.raises(LookupError, match="expired"):
        sb.approve_device_code(started["user_code"])


def test_unknown_codes(sb: Any, idp: Any) -> None:
    with pytest.raises(LookupError):
        sb.approve_device_code("BCDF-GHJK")
    with pytest.raises(LookupError):
        sb.deny_device_code("nonsense")
    started = idp.start_device()
    with pytest.raises(LookupError, match="unknown user"):
        sb.approve_device_code(started["user_code"], username="nobody-here")
    assert _error(idp.poll("not-a-device-code")) == "invalid_grant"


def test_created_user_approves(sb: Any, idp: Any, new_user: Any) -> None:
    username, _ = new_user()
    started = idp.start_device()
    sb.approve_device_code(started["user_code"], username=username)
    token = idp.poll(started["device_code"]).json()
    assert jwt.decode(token["id_token"], idp.keys()).claims["preferred_username"] == username


def test_device_page_flow(sb: Any, idp: Any) -> None:
    started = idp.start_device()
    browser = requests.Session()
    page = browser.get(started["verification_uri_complete"], timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert f'value="{started["user_code"]}"' in page.text  # prefilled
    assert "nbauth-notebook" in page.text
    assert '<form id="device" method="post" action="/device"' in page.text

    wrong = browser.post(
        f"{sb.issuer}/device",
        data={
            "user_code": started["user_code"],
            "username": "demo",
            "password": "wrong",
            "action": "approve",
        },
        timeout=10,
    )
    assert wrong.status_code == 400 and "Incorrect username or password" in wrong.text
    assert _error(idp.poll(started["device_code"])) == "authorization_pending"

    approved = browser.post(
        f"{sb.issuer}/device",
        data={
            "user_code": started["user_code"].lower(),
            "username": "demo",
            "password": sb.demo_password,
            "action": "approve",
        },
        timeout=10,
    )
    assert approved.status_code == 200 and "Device connected" in approved.text
    assert idp.poll(started["device_code"]).status_code == 200

    # Signed in now: the next code needs no password; "Deny" denies.
    second = idp.start_device()
    page = browser.get(started["verification_uri"], timeout=10)
    assert "Signed in as" in page.text and 'name="password"' not in page.text
    denied = browser.post(
        f"{sb.issuer}/device",
        data={"user_code": second["user_code"], "action": "deny"},
        timeout=10,
    )
    assert "Access denied" in denied.text
    assert _error(idp.poll(second["device_code"])) == "access_denied"

    used = browser.post(
        f"{sb.issuer}/device",
        data={"user_code": second["user_code"], "username": "demo", "action": "approve"},
        timeout=10,
    )
    assert used.status_code == 400 and "unknown, expired or already used" in used.text
