"""The sign-in flows against the sandbox IdP (Authlib's server grants) over the real wire:
round trips to a ready boto3 session, Cognito managed login, IdP faults while polling and
refreshing, expired device codes, and calling APIs with the tokens."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

import nbauth
from nbauth.errors import ExpiredDeviceCodeError
from nbauth.oidc import discovery

IDP_ENDPOINTS = ("discovery", "jwks", "authorize", "token", "device_authorization")


@pytest.fixture
def fast_idp(sb):
    """The shared sandbox with a 1-second device polling interval (reset after the test)."""
    sb.set_token_lifetimes(device_interval=1)
    return sb


@pytest.fixture(scope="module")
def _identity_pool_knows_the_idp(sb):
    """The identity pool (server side) fetches the IdP's JWKS once and caches it; do that first
    so the counts below are the client's alone."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ENDPOINT_URL", sb.aws_endpoint_url)
        auth = nbauth.Auth(sb.config, storage=nbauth.MemoryStorage(), hub=nbauth.Hub())
        handle = auth.sign_in_with_redirect(mode="paste")
        handle.complete(sb.sign_in_at(handle.url))
        auth.fetch_auth_session()
        auth.sign_out()
        auth.close()


@pytest.fixture(autouse=True)
def _cold_discovery(sb, _identity_pool_knows_the_idp):
    discovery.forget()  # each test measures its own round trips from a cold start
    yield


def _round_trips(sb) -> dict[str, int]:
    counts = {name: sb.idp_calls(name) for name in IDP_ENDPOINTS}
    counts.update(
        GetId=sb.calls("GetId"), GetCredentialsForIdentity=sb.calls("GetCredentialsForIdentity")
    )
    return {k: v for k, v in counts.items() if v}


def _reset_counts(sb) -> None:
    sb.reset_idp_calls()
    sb.reset_calls()


def test_device_code_round_trips_to_a_ready_boto3_session(fast_idp, make_auth, new_user):
    sb = fast_idp
    auth = make_auth()
    _reset_counts(sb)
    handle = auth.sign_in_with_device_code()
    assert handle.interval == 1
    sb.approve_device_code(handle.user_code)
    handle.wait(timeout=30)
    s3 = auth.boto3_session().client("s3")
    assert s3.list_objects_v2(Bucket=sb.bucket, Prefix="public/")["KeyCount"] >= 1
    trips = _round_trips(sb)
    print("device code round trips:", trips)
    # Protocol minimum: discovery, device authorization, one token poll after approval, JWKS,
    # GetId, GetCredentialsForIdentity.
    assert trips == {
        "discovery": 1,
        "device_authorization": 1,
        "token": 1,
        "jwks": 1,
        "GetId": 1,
        "GetCredentialsForIdentity": 1,
    }
    assert handle.polls == 1


def test_code_with_pkce_round_trips_to_a_ready_boto3_session(sb, make_auth):
    auth = make_auth()
    _reset_counts(sb)
    handle = auth.sign_in_with_redirect()
    redirect = sb.sign_in_at(handle.url)
    requests.get(redirect, timeout=10)
    handle.wait(timeout=30)
    assert (
        auth.boto3_session()
        .client("s3")
        .list_objects_v2(Bucket=sb.bucket, Prefix="public/")["KeyCount"]
        >= 1
    )
    trips = _round_trips(sb)
    print("code + PKCE round trips:", trips)
    # discovery, JWKS, token; the authorize requests are the browser's (page + form POST).
    assert trips == {
        "discovery": 1,
        "authorize": 2,
        "token": 1,
        "jwks": 1,
        "GetId": 1,
        "GetCredentialsForIdentity": 1,
    }


def test_cognito_managed_login_with_google(sb, make_auth):
    auth = make_auth()
    events: list[Any] = []
    auth.hub.listen("auth", lambda c: events.append(c["payload"]))
    handle = auth.sign_in_with_redirect(provider="Google", custom_state="state-42")
    assert "identity_provider=Google" in handle.url and "/oauth2/authorize" in handle.url
    assert "prompt=consent" not in handle.url
    requests.get(sb.sign_in_at(handle.url), timeout=10)
    handle.wait(timeout=30)
    session = auth.fetch_auth_session()
    claims = session.tokens.id_token.payload
    assert claims["iss"] == f"https://cognito-idp.{sb.region}.amazonaws.com/{sb.user_pool_id}"
    assert claims["token_use"] == "id" and claims["cognito:username"].startswith("Google_")
    assert (
        auth.boto3_session()
        .client("s3")
        .list_objects_v2(Bucket=sb.bucket, Prefix="public/")["KeyCount"]
        >= 1
    )
    assert {
        "event": "customOAuthState",
        "data": "state-42",
        "message": "Custom OAuth state",
    } in events
    auth.sign_out()
    assert sb.idp_calls("oauth2/revoke") >= 1


def test_idp_5xx_and_garbage_while_polling_are_retried(fast_idp, make_auth):
    sb = fast_idp
    auth = make_auth()
    handle = auth.sign_in_with_device_code()
    sb.idp_fail_next("token", status=503)
    sb.idp_fail_next("token", status=200, body="{not json", content_type="application/json")
    sb.approve_device_code(handle.user_code)
    assert handle.wait(timeout=60).is_signed_in
    assert handle.polls >= 3


def test_failed_refresh_keeps_the_valid_session(sb, make_auth):
    auth = make_auth(refresh={"background": False})
    handle = auth.sign_in_with_redirect(mode="paste")
    handle.complete(sb.sign_in_at(handle.url))
    before = auth.fetch_auth_session()
    events: list[str] = []
    auth.hub.listen("auth", lambda c: events.append(c["payload"]["event"]))
    sb.idp_fail_next("token", status=500)
    with pytest.raises(nbauth.errors.ServiceError):
        auth.fetch_auth_session(force_refresh=True)
    assert events == ["tokenRefresh_failure"]
    after = auth.fetch_auth_session()
    assert after.tokens == before.tokens and auth.state == "signed_in"
    sb.idp_fail_next("token", status=200, body="{garbage", content_type="application/json")
    with pytest.raises(nbauth.errors.ServiceError):
        auth.fetch_auth_session(force_refresh=True)
    assert auth.fetch_auth_session().tokens == before.tokens
    # And once the IdP is back, a refresh goes through with a rotated refresh token.
    refreshed = auth.fetch_auth_session(force_refresh=True)
    assert refreshed.tokens.id_token.to_string() != before.tokens.id_token.to_string()


def test_expired_device_code(sb, make_auth):
    sb.set_token_lifetimes(device_code=2, device_interval=1)
    auth = make_auth()
    handle = auth.sign_in_with_device_code()
    with pytest.raises(ExpiredDeviceCodeError) as err:
        handle.wait(timeout=30)
    assert handle.status == "expired" and err.value.recovery_suggestion
    assert auth.state == "signed_out"


@pytest.mark.slow
def test_slow_down_adds_five_seconds(fast_idp, make_auth):
    sb = fast_idp
    auth = make_auth()
    handle = auth.sign_in_with_device_code()
    sb.idp_fail_next("token", oauth_error="slow_down")
    sb.approve_device_code(handle.user_code)
    handle.wait(timeout=30)
    assert handle.interval == 6


class ProtectedApi:
    """A resource server on 127.0.0.1 that wants the current access token."""

    def __init__(self, sb: Any) -> None:
        self.sb = sb
        self.seen: list[str] = []
        self.reject_next = 0
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/me"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        header = Request(environ).headers.get("Authorization", "")
        self.seen.append(header)
        if self.reject_next or not header.startswith("Bearer ey"):
            self.reject_next = max(0, self.reject_next - 1)
            return Response("no", status=401)(environ, start_response)
        return Response('{"ok": true}', content_type="application/json")(environ, start_response)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def api(sb) -> Iterator[ProtectedApi]:
    server = ProtectedApi(sb)
    yield server
    server.close()


def _signed_in(sb, make_auth, **kwargs):
    auth = make_auth(**kwargs)
    handle = auth.sign_in_with_redirect(mode="paste")
    handle.complete(sb.sign_in_at(handle.url))
    return auth


def test_requests_auth_sends_and_refreshes_the_token(sb, make_auth, api):
    auth = _signed_in(sb, make_auth)
    first = auth.fetch_auth_session().tokens.access_token.to_string()
    assert requests.get(api.url, auth=nbauth.requests_auth(auth=auth), timeout=10).ok
    assert api.seen[-1] == f"Bearer {first}"
    api.reject_next = 1  # the API says the token is no good: refresh once and resend
    answer = requests.get(api.url, auth=nbauth.requests_auth(auth=auth), timeout=10)
    assert answer.ok and api.seen[-1] != f"Bearer {first}"
    id_token = auth.fetch_auth_session().tokens.id_token.to_string()
    requests.get(api.url, auth=nbauth.requests_auth(auth=auth, token="id"), timeout=10)
    assert api.seen[-1] == f"Bearer {id_token}"


def test_requests_oauthlib_session_uses_nbauth_tokens_and_logs_no_token(
    sb, make_auth, api, caplog, monkeypatch
):
    from nbauth.integrations.requests_oauthlib import oauth2_session

    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # oauthlib refuses http, even loopback
    caplog.set_level(logging.DEBUG)
    auth = _signed_in(sb, make_auth)
    session = oauth2_session(auth)
    assert session.get(api.url, timeout=10).ok
    token = auth.fetch_auth_session().tokens.access_token.to_string()
    assert api.seen[-1] == f"Bearer {token}"
    assert any(r.name.startswith("requests_oauthlib") for r in caplog.records)
    assert token not in caplog.text


def test_no_secret_in_oidc_logs_events_or_reprs(sb, make_auth, caplog):
    import json

    caplog.set_level(logging.DEBUG)
    auth = make_auth()
    payloads: list[str] = []
    auth.hub.listen("auth", lambda c: payloads.append(json.dumps(c, default=repr)))
    handle = auth.sign_in_with_redirect(mode="paste")
    handle.complete(sb.sign_in_at(handle.url))
    session = auth.fetch_auth_session(force_refresh=True)
    provider = auth.signed_in_user
    current = provider.current
    secrets = {
        current.access_token,
        current.id_token,
        current.refresh_token,
        session.credentials.secret_access_key,
        session.credentials.session_token,
    }
    secrets |= {s.rsplit(".", 1)[-1] for s in (current.access_token, current.id_token)}
    visible = "\n".join(
        [
            caplog.text,
            *payloads,
            repr(handle),
            repr(session),
            repr(provider),
            repr(current),
            str(session.tokens),
        ]
    )
    assert [s[:6] for s in secrets if s and s in visible] == []
    auth.sign_out()
    time.sleep(0)  # the revocation is synchronous: nothing left running


def test_run_all_waits_for_a_pending_sign_in(fast_idp, make_auth):
    """The cell after the sign-in cell needs credentials: it waits (visibly) for the approval."""
    sb = fast_idp
    auth = make_auth()
    shown = []

    def waiting(handle, timeout):
        shown.append((handle.user_code, timeout))
        # The person approves while the cell waits.
        threading.Timer(0.5, sb.approve_device_code, args=(handle.user_code,)).start()

    auth.on_waiting_for_sign_in = waiting
    s3 = auth.boto3_session().client("s3")
    handle = auth.sign_in_with_device_code()
    assert auth.pending_sign_in is handle
    # No credentials yet: the next call blocks for the sign-in instead of failing.
    assert s3.list_objects_v2(Bucket=sb.bucket, Prefix="public/")["KeyCount"] >= 1
    assert shown == [(handle.user_code, 300.0)]
    assert auth.pending_sign_in is None and auth.state == "signed_in"


def test_the_wait_has_a_timeout(fast_idp, make_auth):
    from nbauth.errors import SignInTimeoutError

    auth = make_auth()
    auth.sign_in_wait_seconds = 1.0
    handle = auth.sign_in_with_device_code()
    with pytest.raises(SignInTimeoutError):
        auth.fetch_auth_session()
    handle.cancel()
    assert auth.pending_sign_in is None


def test_token_refreshes_alone_do_not_re_federate_while_credentials_are_good(sb, make_auth):
    """4-second tokens refresh several times in 10 s; the hour-long credentials are fetched once."""
    sb.set_token_lifetimes(access=4, id=4)
    auth = make_auth()
    events: list[str] = []
    auth.hub.listen("auth", lambda c: events.append(c["payload"]["event"]))
    handle = auth.sign_in_with_redirect(mode="paste")
    handle.complete(sb.sign_in_at(handle.url))
    first = auth.fetch_auth_session()
    before = sb.calls("GetCredentialsForIdentity")
    deadline = time.time() + 10
    while time.time() < deadline:
        session = auth.fetch_auth_session()
        assert session.credentials == first.credentials
        assert session.identity_id == first.identity_id
        time.sleep(0.25)
    assert events.count("tokenRefresh") >= 3
    assert sb.calls("GetCredentialsForIdentity") == before  # none: the credentials were good
    assert session.tokens.id_token != first.tokens.id_token  # the session shows the new tokens
