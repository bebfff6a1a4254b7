"""Both sign-in flows against panva's oidc-provider 9, an independent certified OpenID provider,
federated into the sandbox identity pool and used through boto3 — over the real wire."""

from __future__ import annotations

import json
import time

import pytest
import requests

import nbauth
from nbauth.errors import AccessDeniedError, InvalidGrantError, UserAlreadyAuthenticatedError


def _events(auth):
    names: list[str] = []
    auth.hub.listen("auth", lambda c: names.append(c["payload"]["event"]))
    return names


def test_device_code_sign_in_reaches_s3(sb, oidc_provider, peer_auth):
    auth = peer_auth(oidc_provider)
    events = _events(auth)
    handle = auth.sign_in_with_device_code()
    assert handle.status == "pending" and handle.user_code
    assert handle.verification_uri.startswith(oidc_provider.issuer)
    assert handle.interval == 5.0  # oidc-provider sends no interval: RFC 8628's default
    oidc_provider.approve_device_code(handle.user_code, username="dora")
    result = handle.wait(timeout=30)
    assert result.is_signed_in and handle.status == "signed_in"
    session = auth.fetch_auth_session()
    assert session.user_sub == "dora"
    assert session.tokens.id_token.issuer == oidc_provider.issuer
    assert session.credentials is not None
    s3 = auth.boto3_session().client("s3")
    assert s3.list_objects_v2(Bucket=sb.bucket, Prefix="public/")["KeyCount"] >= 1
    assert events[:2] == ["signedIn", "credentialsRefresh"]
    with pytest.raises(UserAlreadyAuthenticatedError):
        auth.sign_in_with_device_code()


def test_code_with_pkce_sign_in_over_loopback_reaches_s3(sb, oidc_provider, peer_auth):
    auth = peer_auth(oidc_provider)
    events = _events(auth)
    handle = auth.sign_in_with_redirect(custom_state="/reports/q3")
    assert "code_challenge_method=S256" in handle.url and "prompt=consent" in handle.url
    redirect = oidc_provider.sign_in_at(handle.url, username="erin")
    assert redirect.startswith(handle.redirect_uri)
    page = requests.get(redirect, timeout=10)  # the browser lands on the loopback listener
    assert page.status_code == 200 and "Signed in" in page.text
    assert handle.wait(timeout=30).is_signed_in
    session = auth.fetch_auth_session()
    assert session.user_sub == "erin"
    assert (
        auth.boto3_session()
        .client("s3")
        .list_objects_v2(Bucket=sb.bucket, Prefix="public/")["KeyCount"]
        >= 1
    )
    assert events[:3] == ["signedIn", "signInWithRedirect", "customOAuthState"]
    with pytest.raises(requests.ConnectionError):  # the one-shot listener has closed
        requests.get(redirect, timeout=2)


def test_paste_mode_for_remote_kernels(oidc_provider, peer_auth):
    auth = peer_auth(oidc_provider)
    handle = auth.sign_in_with_redirect(mode="paste")
    redirect = oidc_provider.sign_in_at(handle.url, username="fay")
    assert handle.complete(redirect).is_signed_in
    assert auth.fetch_auth_session().user_sub == "fay"


def test_denied_sign_ins_leave_nothing_behind(oidc_provider, peer_auth):
    auth = peer_auth(oidc_provider)
    events = _events(auth)
    handle = auth.sign_in_with_redirect(mode="paste")
    redirect = oidc_provider.deny_at(handle.url)
    with pytest.raises(AccessDeniedError) as err:
        handle.complete(redirect)
    assert err.value.recovery_suggestion
    assert handle.status == "denied" and auth.state == "signed_out"
    assert events[-1] == "signInWithRedirect_failure"
    device = auth.sign_in_with_device_code()
    oidc_provider.deny_device_code(device.user_code)
    with pytest.raises(AccessDeniedError):
        device.wait(timeout=30)
    assert device.status == "denied" and auth.state == "signed_out"
    assert auth.storage.get(f"nbauth.oidc.{oidc_provider.issuer}.{oidc_provider.client_id}") is None


def test_sign_out_revokes_the_refresh_token(oidc_provider, peer_auth):
    storage = nbauth.MemoryStorage()
    auth = peer_auth(oidc_provider, storage=storage)
    handle = auth.sign_in_with_redirect(mode="paste")
    handle.complete(oidc_provider.sign_in_at(handle.url))
    key = f"nbauth.oidc.{oidc_provider.issuer}.{oidc_provider.client_id}"
    refresh_token = json.loads(storage.get(key))["refresh_token"]
    events = _events(auth)
    auth.sign_out()
    assert storage.get(key) is None and auth.state == "signed_out"
    assert events == ["signedOut"]
    answer = requests.post(
        f"{oidc_provider.issuer}/token",
        timeout=10,
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": oidc_provider.client_id,
        },
    )
    assert answer.json()["error"] == "invalid_grant"


def test_rejected_refresh_token_signs_the_user_out(oidc_provider, peer_auth):
    storage = nbauth.MemoryStorage()
    auth = peer_auth(oidc_provider, storage=storage)
    handle = auth.sign_in_with_redirect(mode="paste")
    handle.complete(oidc_provider.sign_in_at(handle.url))
    key = f"nbauth.oidc.{oidc_provider.issuer}.{oidc_provider.client_id}"
    refresh_token = json.loads(storage.get(key))["refresh_token"]
    # An administrator (or another app) revokes the grant behind nbauth's back.
    requests.post(
        f"{oidc_provider.issuer}/token/revocation",
        timeout=10,
        data={"token": refresh_token, "client_id": oidc_provider.client_id},
    )
    events = _events(auth)
    with pytest.raises(InvalidGrantError):
        auth.fetch_auth_session(force_refresh=True)
    assert events[0] == "tokenRefresh_failure"
    assert storage.get(key) is None
    assert auth.state == "signed_out"
    assert auth.fetch_auth_session().tokens is None


@pytest.mark.slow
def test_refreshes_on_their_own_past_several_token_lifetimes(sb, start_oidc_provider, peer_auth):
    """4-second tokens for 14 seconds: the background timer refreshes them (rotating the refresh
    token each time; a reused one would revoke the grant) and AWS calls keep succeeding."""
    peer = start_oidc_provider(access_token_ttl=4, id_token_ttl=4)
    storage = nbauth.MemoryStorage()
    auth = peer_auth(peer, storage=storage)
    events = _events(auth)
    handle = auth.sign_in_with_redirect(mode="paste")
    handle.complete(peer.sign_in_at(handle.url, username="gus"))
    key = f"nbauth.oidc.{peer.issuer}.{peer.client_id}"
    refresh_tokens = {json.loads(storage.get(key))["refresh_token"]}
    first_id_token = auth.fetch_auth_session().tokens.id_token.to_string()
    s3 = auth.boto3_session().client("s3")
    identities = set()
    deadline = time.time() + 14
    calls = 0
    while time.time() < deadline:
        assert s3.list_objects_v2(Bucket=sb.bucket, Prefix="public/")["KeyCount"] >= 1
        session = auth.fetch_auth_session()
        assert session.tokens.id_token.expires_at > time.time()  # never an expired token
        identities.add(session.identity_id)
        refresh_tokens.add(json.loads(storage.get(key))["refresh_token"])
        calls += 1
        time.sleep(0.5)
    assert calls >= 20
    assert events.count("tokenRefresh") >= 3
    assert "tokenRefresh_failure" not in events
    assert len(refresh_tokens) >= 4  # rotated, and each rotation kept
    assert len(identities) == 1  # the same identity throughout
    assert auth.fetch_auth_session().tokens.id_token.to_string() != first_id_token


def test_a_restarted_kernel_resumes_from_the_stored_refresh_token(
    sb, oidc_provider, peer_auth, tmp_path
):
    storage = nbauth.FileStorage(tmp_path / "cache")
    first = peer_auth(oidc_provider, storage=storage)
    handle = first.sign_in_with_redirect(mode="paste")
    handle.complete(oidc_provider.sign_in_at(handle.url, username="hal"))
    identity = first.fetch_auth_session().identity_id
    first.close()
    # A new kernel: a new Auth over the same cache directory, no sign-in.
    second = peer_auth(oidc_provider, storage=nbauth.FileStorage(tmp_path / "cache"))
    assert second.state == "signed_in"
    session = second.fetch_auth_session()
    assert session.user_sub == "hal" and session.identity_id == identity
    assert (
        second.boto3_session()
        .client("s3")
        .list_objects_v2(Bucket=sb.bucket, Prefix="public/")["KeyCount"]
        >= 1
    )
