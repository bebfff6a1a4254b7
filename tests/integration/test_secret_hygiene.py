"""The secret-hygiene suite (issue 11, invariants 1 and 10): DEBUG on for every logger, every
sign-in flow and failure run over the real wire against the sandbox, and every secret value the
run issued — taken from the wire itself (:class:`tests.support.secret_scan.WireTap`) plus what
the person typed — searched for in every log record, warning, repr, Hub payload, exception
message and recovery suggestion: zero hits.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

import nbauth
from nbauth.errors import AuthError
from tests.integration.test_user_pool_sign_in import _math_challenge
from tests.support.amplify_config import with_oidc_provider
from tests.support.secret_scan import Visible, WireTap, secret_values


@pytest.fixture
def seen() -> Iterator[Visible]:
    with Visible() as visible:
        yield visible


@pytest.fixture
def tap(monkeypatch: pytest.MonkeyPatch) -> WireTap:
    return WireTap().install(monkeypatch)


@pytest.fixture
def watched(make_auth: Callable[..., nbauth.Auth], seen: Visible) -> Callable[..., nbauth.Auth]:
    """``make_auth`` whose Hub payloads are seen (as JSON, as a listener would print them)."""

    def make(**kwargs: Any) -> nbauth.Auth:
        auth = make_auth(**kwargs)
        auth.hub.listen("auth", lambda c: seen.texts.append(json.dumps(c, default=repr)))
        return auth

    return make


def _failing(seen: Visible, error: type[BaseException], call: Callable[[], Any]) -> None:
    """``call()`` must raise ``error`` (an AuthError); what it says is seen."""
    with pytest.raises(error) as raised:
        call()
    seen.add(raised.value)


def _session(seen: Visible, auth: nbauth.Auth, **kwargs: Any) -> Any:
    session = auth.fetch_auth_session(**kwargs)
    seen.add(session, session.tokens, session.credentials, auth, auth.status())
    if session.tokens is not None:
        seen.add(session.tokens.id_token, session.tokens.access_token)
    return session


def _report(seen: Visible, tap: WireTap, label: str) -> None:
    hits = seen.hits(tap.secrets)
    print(
        f"secret hygiene [{label}]: {seen.records} log records, {seen.warnings_seen()} warnings, "
        f"{len(seen.texts)} texts scanned; {len(tap.secrets)} secrets from "
        f"{tap.exchanges} bodies checked; {len(hits)} hits"
    )
    assert tap.secrets, "the run must have issued secrets"
    assert seen.records, "the scan must have seen log records"
    assert not hits, f"secrets visible: {hits}"


def test_sandbox_start_logs_no_password_or_client_secret(
    seen: Visible, tap: WireTap, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sandbox started with DEBUG on: the demo password, the seeded users' temporary passwords
    and the confidential client's secret cross the wire but reach no log."""
    from nbauth.sandbox import start

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with start() as fresh:
        tap.add(fresh.demo_password, fresh.confidential_client_secret)
        token = fresh.id_token()
        tap.add(token)
    assert any("TemporaryPassword" in t for t in seen.texts), "seeding is logged, redacted"
    _report(seen, tap, "sandbox start")


def test_oidc_flows_log_no_secret(
    sb: Any,
    watched: Callable[..., nbauth.Auth],
    seen: Visible,
    tap: WireTap,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sb.set_token_lifetimes(device_interval=1)
    # device code
    auth = watched()
    handle = auth.sign_in_with_device_code()
    seen.add(handle)
    sb.approve_device_code(handle.user_code)
    seen.add(handle.wait(timeout=30), handle)
    _session(seen, auth)
    s3 = auth.boto3_session().client("s3")
    s3.list_objects_v2(Bucket=sb.bucket, Prefix="public/")
    seen.add(auth.boto3_session().get_credentials())
    _session(seen, auth, force_refresh=True)  # token and credential refresh
    auth.sign_out()
    # denied device code
    handle = auth.sign_in_with_device_code()
    sb.deny_device_code(handle.user_code)
    _failing(seen, AuthError, lambda: handle.wait(timeout=30))
    seen.add(handle)
    # code + PKCE on the loopback listener
    loopback = watched()
    handle = loopback.sign_in_with_redirect()
    seen.add(handle)
    requests.get(sb.sign_in_at(handle.url), timeout=10)
    seen.add(handle.wait(timeout=30))
    _session(seen, loopback, force_refresh=True)
    # paste mode, then the IdP revokes the grant: the refresh fails
    paste = watched(refresh={"background": False})
    handle = paste.sign_in_with_redirect(mode="paste")
    redirect = sb.sign_in_at(handle.url)
    seen.add(handle, handle.complete(redirect))
    _session(seen, paste)
    sb.revoke_refresh_tokens("demo")
    _failing(seen, AuthError, lambda: paste.fetch_auth_session(force_refresh=True))
    # jupyter mode: the server extension's part is the drop box delivery
    from nbauth.notebook.callback_drop_box import CALLBACK_DIR_ENV, CallbackDropBox

    monkeypatch.setenv(CALLBACK_DIR_ENV, str(tmp_path / "callbacks"))
    monkeypatch.setenv("NBAUTH_JUPYTER_URL", "http://127.0.0.1:8888/")
    jupyter = watched()
    handle = jupyter.sign_in_with_redirect(mode="jupyter")
    redirect = sb.sign_in_at(handle.url)
    state = parse_qs(urlsplit(redirect).query)["state"][0]
    assert CallbackDropBox(tmp_path / "callbacks").deliver(state, redirect) == "delivered"
    seen.add(handle.wait(timeout=30))
    _session(seen, jupyter)
    jupyter.sign_out()
    _report(seen, tap, "oidc")


def _store(tap: WireTap, auth: nbauth.Auth) -> None:
    """The secrets in what the Auth stored (rotated refresh tokens included)."""
    storage = auth.storage if hasattr(auth, "storage") else None
    data = getattr(storage, "_data", {})
    for value in data.values():
        tap.secrets |= secret_values(value)


def test_user_pool_flows_log_no_secret(
    sb: Any,
    watched: Callable[..., nbauth.Auth],
    seen: Visible,
    tap: WireTap,
    pool_user: Callable[..., tuple[str, str]],
    new_user: Callable[[], tuple[str, str]],
    user_pool_provider: Any,
) -> None:
    username, password = pool_user()
    tap.add(password)
    # SRP, then a refresh and a global sign-out
    auth = watched(refresh={"background": False})
    seen.add(auth.sign_in(username, password))
    _session(seen, auth, force_refresh=True)
    auth.sign_out(global_sign_out=True)
    # USER_PASSWORD_AUTH (the password itself on the wire), wrong passwords both ways
    seen.add(auth.sign_in(username, password, auth_flow="USER_PASSWORD_AUTH"))
    _session(seen, auth)
    auth.sign_out()
    wrong = f"Wrong-{uuid.uuid4().hex[:10]}!"
    tap.add(wrong)
    for flow in ("USER_SRP_AUTH", "USER_PASSWORD_AUTH"):
        _failing(seen, AuthError, lambda f=flow: auth.sign_in(username, wrong, auth_flow=f))
    # the confidential client: SECRET_HASH on every request
    secret_config = {
        **sb.config,
        "auth": {**sb.config["auth"], "user_pool_client_id": sb.secret_client_id},
        "nbauth": {**sb.config["nbauth"], "user_pool_client_secret": sb.secret_client_secret},
    }
    tap.add(sb.secret_client_secret)
    confidential = watched(config=secret_config, refresh={"background": False})
    seen.add(confidential.sign_in(username, password, auth_flow="USER_PASSWORD_AUTH"))
    _session(seen, confidential, force_refresh=True)
    confidential.sign_out()
    # NEW_PASSWORD_REQUIRED
    name = f"temp-{uuid.uuid4().hex[:6]}"
    temporary, new = f"Temp-{uuid.uuid4().hex[:10]}!", f"New-{uuid.uuid4().hex[:10]}!"
    tap.add(temporary, new)
    sb.create_user(name, attributes={"email": f"{name}@example.com"}, temporary_password=temporary)
    fresh = watched()
    seen.add(fresh.sign_in(name, temporary, auth_flow="USER_PASSWORD_AUTH"))
    seen.add(fresh.confirm_sign_in(new))
    fresh.sign_out()
    # TOTP setup (AssociateSoftwareToken / VerifySoftwareToken), a wrong code, TOTP sign-in
    sb.set_mfa("ON", sms=False, totp=True, email=False)
    totp_user, totp_password = pool_user()
    tap.add(totp_password)
    mfa = watched()
    result = mfa.sign_in(totp_user, totp_password)
    setup = result.next_step["totp_setup_details"]
    tap.add(setup.shared_secret)
    seen.add(result, setup)  # not setup.setup_uri(): the QR code's URI carries the seed, by design
    _failing(seen, AuthError, lambda: mfa.confirm_sign_in("000000"))
    seen.add(mfa.confirm_sign_in(sb.totp_code(setup.shared_secret)))
    mfa.sign_out()
    seen.add(mfa.sign_in(totp_user, totp_password))
    seen.add(mfa.confirm_sign_in(sb.totp_code(setup.shared_secret, at=time.time() + 30)))
    _store(tap, mfa)
    mfa.sign_out()
    sb.set_mfa("OFF", sms=False, totp=False, email=False)
    # custom auth (with SRP)
    _math_challenge(sb)
    custom = watched()
    seen.add(custom.sign_in(username, password, auth_flow="CUSTOM_WITH_SRP"))
    seen.add(custom.confirm_sign_in("42"))
    custom.sign_out()
    # federation with a user-pool ID token, then credential refresh and clearing it
    _, id_token = new_user()
    tap.add(id_token)
    federated = watched()
    seen.add(federated.federate_to_identity_pool(id_token, user_pool_provider))
    _session(seen, federated, force_refresh=True)
    federated.clear_federation_to_identity_pool()
    for each in (auth, confidential, fresh, custom, federated):
        _store(tap, each)
    _report(seen, tap, "user pool")


def test_opaque_access_tokens_reach_no_log_repr_event_or_widget(
    sb: Any,
    oidc_provider: Any,
    watched: Callable[..., nbauth.Auth],
    seen: Visible,
    tap: WireTap,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """panva's oidc-provider issues opaque access tokens (issue 13, item 6): every one the run
    issued — at sign-in, at each refresh, and sent as a bearer token by the requests and
    requests-oauthlib integrations — is scanned for in logs, reprs, Hub payloads, the status
    snapshot and a LoginWidget's synced state."""
    sb.add_oidc_provider(oidc_provider.issuer, [oidc_provider.client_id])
    config = with_oidc_provider(sb.config, "panva", oidc_provider.issuer, oidc_provider.client_id)
    userinfo = requests.get(oidc_provider.discovery_url, timeout=10).json()["userinfo_endpoint"]
    auth = watched(config=config)
    handle = auth.sign_in_with_redirect(mode="paste")
    seen.add(handle, handle.complete(oidc_provider.sign_in_at(handle.url, username="uma")))
    session = _session(seen, auth)
    assert isinstance(session.tokens.access_token, nbauth.OpaqueToken)
    held = {session.tokens.access_token.to_string()}
    refreshed = _session(seen, auth, force_refresh=True)  # token and credential refresh
    held.add(refreshed.tokens.access_token.to_string())
    # sent as the bearer token by both integrations
    answer = requests.get(userinfo, auth=nbauth.requests_auth(auth=auth), timeout=10)
    assert answer.status_code == 200
    assert answer.request.headers["Authorization"].startswith("Bearer ")
    seen.add(nbauth.requests_auth(auth=auth))
    from nbauth.integrations.requests_oauthlib import oauth2_session

    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the peer is http on 127.0.0.1
    oauth = oauth2_session(auth)
    assert oauth.get(userinfo, timeout=10).status_code == 200
    seen.add(oauth)
    # a LoginWidget showing the signed-in session: its synced traits
    from nbauth.notebook.widget import LoginWidget

    widget = LoginWidget(auth, open_browser=False)
    try:
        seen.texts.append(json.dumps(widget.get_state(), default=repr))
        seen.add(widget)
    finally:
        widget.close()
    _store(tap, auth)
    auth.sign_out()
    assert len(held) == 2 and held <= tap.opaque_access_tokens <= tap.secrets
    print(f"opaque access tokens scanned for: {len(tap.opaque_access_tokens)}")
    _report(seen, tap, "opaque access tokens")
