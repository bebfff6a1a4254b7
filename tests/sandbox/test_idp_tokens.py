"""Refresh rotation, revocation, userinfo and lifetimes at the sandbox IdP."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from joserfc import jwt


def _userinfo(sb: Any, access_token: str) -> Any:
    return requests.get(
        f"{sb.issuer}/userinfo", headers={"Authorization": f"Bearer {access_token}"}, timeout=10
    )


def test_refresh_tokens_rotate(idp: Any) -> None:
    first = idp.tokens(nonce="n-1")
    refreshed = idp.refresh(first["refresh_token"])
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]

    old = idp.refresh(first["refresh_token"])
    assert old.status_code == 400
    assert old.json()["error"] == "invalid_grant"
    third = idp.refresh(second["refresh_token"])
    assert third.status_code == 200

    keys = idp.keys()
    original = jwt.decode(first["id_token"], keys).claims
    renewed = jwt.decode(second["id_token"], keys).claims
    assert renewed["sub"] == original["sub"]
    assert renewed["auth_time"] == original["auth_time"]  # the original sign-in
    assert "nonce" not in renewed
    assert renewed["aud"] == "nbauth-notebook"


def test_concurrent_refreshes_have_one_winner(idp: Any) -> None:
    refresh_token = idp.tokens(scope="openid offline_access")["refresh_token"]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: idp.refresh(refresh_token).status_code, range(8)))
    assert sorted(statuses) == [200] + [400] * 7


def test_refresh_with_a_narrower_scope(idp: Any) -> None:
    token = idp.tokens()
    narrower = idp.refresh(token["refresh_token"], scope="openid offline_access").json()
    assert narrower["scope"] == "openid offline_access"
    wider = idp.refresh(narrower["refresh_token"], scope="openid offline_access email")
    assert wider.json()["error"] == "invalid_scope"


def test_revoking_a_refresh_token_revokes_its_grant(sb: Any, idp: Any) -> None:
    token = idp.tokens()
    assert _userinfo(sb, token["access_token"]).status_code == 200
    revoked = requests.post(
        f"{sb.issuer}/revoke",
        data={
            "token": token["refresh_token"],
            "token_type_hint": "refresh_token",
            "client_id": sb.oidc_client_id,
        },
        timeout=10,
    )
    assert revoked.status_code == 200
    assert idp.refresh(token["refresh_token"]).json()["error"] == "invalid_grant"
    assert _userinfo(sb, token["access_token"]).status_code == 401


def test_revoking_an_access_token(sb: Any, idp: Any) -> None:
    token = idp.tokens()
    response = requests.post(
        f"{sb.issuer}/revoke",
        data={"token": token["access_token"], "client_id": sb.oidc_client_id},
        timeout=10,
    )
    assert response.status_code == 200
    assert _userinfo(sb, token["access_token"]).status_code == 401
    assert idp.refresh(token["refresh_token"]).status_code == 200  # the grant lives on


def test_revocation_of_unknown_tokens_and_by_other_clients(sb: Any, idp: Any) -> None:
    unknown = requests.post(
        f"{sb.issuer}/revoke", data={"token": "nope", "client_id": sb.oidc_client_id}, timeout=10
    )
    assert unknown.status_code == 200  # RFC 7009 §2.2
    token = idp.tokens()
    other = requests.post(
        f"{sb.issuer}/revoke",
        data={"token": token["refresh_token"]},
        auth=(sb.confidential_client_id, sb.confidential_client_secret),
        timeout=10,
    )
    assert other.status_code == 400
    assert idp.refresh(token["refresh_token"]).status_code == 200


def test_userinfo_claims_follow_the_scope(sb: Any, idp: Any) -> None:
    full = _userinfo(sb, idp.tokens()["access_token"])
    assert full.status_code == 200
    info = full.json()
    assert info["email"] == "demo@example.com"
    assert info["email_verified"] is True
    assert info["preferred_username"] == "demo"
    only_openid = _userinfo(sb, idp.tokens(scope="openid")["access_token"]).json()
    assert set(only_openid) == {"sub"}
    assert only_openid["sub"] == info["sub"]
    posted = requests.post(
        f"{sb.issuer}/userinfo",
        headers={"Authorization": f"Bearer {idp.tokens()['access_token']}"},
        timeout=10,
    )
    assert posted.json() == info


def test_userinfo_refuses_missing_or_bad_tokens(sb: Any) -> None:
    assert requests.get(f"{sb.issuer}/userinfo", timeout=10).status_code == 401
    bad = _userinfo(sb, "not-a-token")
    assert bad.status_code == 401
    assert "WWW-Authenticate" in bad.headers


def test_admin_revokes_a_users_sessions(sb: Any, idp: Any, new_user: Any) -> None:
    username, _ = new_user()
    first, second = idp.tokens(username=username), idp.tokens(username=username)
    demo = idp.tokens()
    assert sb.revoke_refresh_tokens(username) == 2
    for token in (first, second):
        assert idp.refresh(token["refresh_token"]).json()["error"] == "invalid_grant"
        assert _userinfo(sb, token["access_token"]).status_code == 401
    assert idp.refresh(demo["refresh_token"]).status_code == 200  # other users unaffected
    assert idp.tokens(username=username)["refresh_token"]  # signing in again works


def test_default_lifetimes(idp: Any) -> None:
    token = idp.tokens()
    keys = idp.keys()
    for name in ("access_token", "id_token"):
        claims = jwt.decode(token[name], keys).claims
        assert claims["exp"] - claims["iat"] == 3600
    assert token["expires_in"] == 3600


def test_lifetimes_change_at_runtime(sb: Any, idp: Any) -> None:
    sb.set_token_lifetimes(access=120, id=60, device_code=30, device_interval=2)
    token = idp.tokens()
    keys = idp.keys()
    access = jwt.decode(token["access_token"], keys).claims
    identity = jwt.decode(token["id_token"], keys).claims
    assert access["exp"] - access["iat"] == 120
    assert identity["exp"] - identity["iat"] == 60
    assert token["expires_in"] == 120
    refreshed = idp.refresh(token["refresh_token"]).json()
    assert refreshed["expires_in"] == 120
    started = idp.start_device()
    assert (started["expires_in"], started["interval"]) == (30, 2)

    sb.reset_token_lifetimes()
    assert idp.tokens()["expires_in"] == 3600


def test_expired_access_tokens_are_refused(sb: Any, idp: Any) -> None:
    sb.set_token_lifetimes(access=1)
    token = idp.tokens()
    assert _userinfo(sb, token["access_token"]).status_code == 200
    time.sleep(1.1)
    assert _userinfo(sb, token["access_token"]).status_code == 401
    assert idp.refresh(token["refresh_token"]).status_code == 200


def test_refresh_tokens_expire(sb: Any, idp: Any) -> None:
    sb.set_token_lifetimes(refresh=1)
    token = idp.tokens()
    time.sleep(1.1)
    assert idp.refresh(token["refresh_token"]).json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "change", [{"access": 0}, {"id": -5}, {"device_code": True}, {"device_interval": 1.5}]
)
def test_bad_lifetimes_are_refused(sb: Any, change: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        sb.set_token_lifetimes(**change)
    assert sb.idp.lifetimes.access_token == 3600  # nothing changed
