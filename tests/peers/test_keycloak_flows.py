"""nbauth's real flows against Keycloak 26, the third independent IdP (issue 13, item 5):
device code and code + PKCE sign-in, federation into the sandbox identity pool, S3 through
boto3, refresh, sign-out, resume after a restart, narrowed scopes, a disabled user and an IdP
outage - all through nbauth's public API.

Every flow counts its HTTP round trips to Keycloak (nbauth's own, and the person's browser
separately); ``pytest -s`` prints the table, and ``test-artifacts/keycloak-flows.txt`` keeps it
with Keycloak's start times. The outage test restarts Keycloak, so it runs last.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import nbauth
from nbauth.errors import InvalidGrantError, NetworkError
from tests.peers import keycloak_peer
from tests.peers.keycloak_peer import KeycloakPeer, PeerError, RequestCounter

pytestmark = pytest.mark.timeout(180)

ROOT = Path(__file__).resolve().parents[2]
ROUND_TRIPS: dict[str, tuple[int, int, str]] = {}  # flow -> (nbauth, browser, note)


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def trips(counter: RequestCounter, browser: int = 0, note: str = "") -> tuple[int, int, str]:
    """(nbauth's requests, the person's browser's, what nbauth called) for the table."""
    return len(counter) - browser, browser, "; ".join(filter(None, [counter.summary(), note]))


def id_token_of(session: nbauth.AuthSession) -> Any:
    assert session.tokens is not None and session.tokens.id_token is not None
    return session.tokens.id_token


def record_key(peer: KeycloakPeer, client_id: str | None = None) -> str:
    return f"nbauth.oidc.{peer.issuer}.{client_id or peer.client_id}"


def stored(auth: nbauth.Auth, peer: KeycloakPeer, client_id: str | None = None) -> Any:
    raw = auth.storage.get(record_key(peer, client_id))
    return None if raw is None else json.loads(raw)


def events_of(auth: nbauth.Auth) -> list[str]:
    names: list[str] = []
    auth.hub.listen("auth", lambda c: names.append(c["payload"]["event"]))
    return names


def list_public(session: Any, sb: Any) -> int:
    return int(session.client("s3").list_objects_v2(Bucket=sb.bucket, Prefix="public/")["KeyCount"])


@pytest.fixture(scope="module", autouse=True)
def _round_trip_table() -> Iterator[None]:
    yield
    lines = ["", "Keycloak round trips per flow (HTTP requests to Keycloak)", ""]
    lines.append(f"{'flow':58} {'nbauth':>6} {'person':>6}  nbauth's calls; note")
    for flow, (client, browser, note) in ROUND_TRIPS.items():
        lines.append(f"{flow:58} {client:>6} {browser:>6}  {note}")
    text = "\n".join(lines + START_LINES) + "\n"
    print(text)
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "keycloak-flows.txt").write_text(text)


START_LINES: list[str] = []


@pytest.fixture
def count(keycloak: KeycloakPeer) -> Callable[[], Any]:
    """``with count() as c:`` counts requests to Keycloak made inside the block."""
    return lambda: RequestCounter(keycloak.origin).counting()


def test_keycloak_started(keycloak: KeycloakPeer) -> None:
    """Records the start times (cold includes unpack/build when they ran in this session)."""
    doc = requests.get(keycloak.discovery_url, timeout=10).json()
    assert doc["issuer"] == keycloak.issuer
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert "S256" in doc["code_challenge_methods_supported"]
    assert "offline_access" in doc["scopes_supported"]
    prepared = ", ".join(f"{k} {v:.1f} s" for k, v in keycloak.prepare_timings.items())
    START_LINES.append("")
    START_LINES.append(
        f"Keycloak prepare (download/unpack/build, once per cache): {prepared or 'cached'}"
    )
    START_LINES.append(f"Keycloak first start (empty database): {keycloak.start_times[0]:.1f} s")


# -- device code (RFC 8628), through the module-level API ----------------------------------------
def test_device_code_sign_in_federates_and_reaches_s3(
    sb: Any, keycloak: KeycloakPeer, keycloak_config: Any, no_ambient_aws: None, count: Any
) -> None:
    nbauth.configure(keycloak_config(), storage=nbauth.MemoryStorage())
    try:
        with count() as c:
            handle = nbauth.sign_in_with_device_code()
            assert handle.user_code and handle.verification_uri == keycloak.device_page_url
            assert handle.interval == keycloak.device_polling_interval  # Keycloak sends it
            browser = keycloak.approve_device_code(handle.user_code)
            assert handle.wait(timeout=30).is_signed_in
            session = nbauth.fetch_auth_session()
            assert session.credentials is not None and session.identity_id
            id_claims = claims(id_token_of(session).to_string())
            assert id_claims["typ"] == "ID" and id_claims["azp"] == keycloak.client_id
            assert id_claims["preferred_username"] == keycloak.username
            assert session.user_sub == id_claims["sub"]  # a UUID, not the username
            assert list_public(nbauth.boto3_session(), sb) >= 1
        polls = handle.polls
        ROUND_TRIPS["device code + federation + S3"] = trips(
            c, browser, f"{polls} token polls at interval {handle.interval:g} s"
        )
        nbauth.sign_out()
    finally:
        auth = nbauth.configured_auth()
        if auth is not None:
            auth.close()


def test_device_code_on_a_client_that_enforces_pkce(
    keycloak: KeycloakPeer, keycloak_auth: Any
) -> None:
    """A client with PKCE enforced wants it on the device request too (Keycloak refused nbauth
    with invalid_request 'Missing parameter: code_challenge_method' until the device flow sent
    S256 where discovery offers it)."""
    auth = keycloak_auth(keycloak.pkce_client_id)
    handle = auth.sign_in_with_device_code()
    keycloak.approve_device_code(handle.user_code)
    assert handle.wait(timeout=30).is_signed_in


# -- authorization code + PKCE over a loopback redirect (RFC 7636, RFC 8252, RFC 9207) -----------
def test_code_with_pkce_over_loopback_reaches_s3(
    sb: Any, keycloak: KeycloakPeer, keycloak_auth: Any, count: Any
) -> None:
    auth = keycloak_auth(keycloak.pkce_client_id)
    events = events_of(auth)
    with count() as c:
        handle = auth.sign_in_with_redirect()
        assert "code_challenge_method=S256" in handle.url
        redirect, browser = keycloak.sign_in_at(handle.url)
        # Any loopback port matches the registered http://127.0.0.1/*; iss comes back (RFC 9207).
        assert redirect.startswith(handle.redirect_uri + "?")
        assert "iss=" in redirect and "session_state=" in redirect
        page = requests.get(redirect, timeout=10)  # the browser lands on nbauth's listener
        assert page.status_code == 200
        assert handle.wait(timeout=30).is_signed_in
        assert list_public(auth.boto3_session(), sb) >= 1
    ROUND_TRIPS["code + PKCE (loopback) + federation + S3"] = trips(c, browser)
    assert events[:2] == ["signedIn", "signInWithRedirect"]
    record = stored(auth, keycloak, keycloak.pkce_client_id)
    assert claims(record["refresh_token"])["typ"] == "Offline"  # offline_access granted


# -- refresh past several real token lifetimes ---------------------------------------------------
def test_refresh_across_several_token_lifetimes(
    sb: Any, keycloak: KeycloakPeer, keycloak_auth: Any, count: Any
) -> None:
    """8-second tokens for 20 seconds (the only test that waits for real expiry): the
    background timer refreshes them, rotating the refresh token each time (a reused one would
    kill the session), and S3 calls between keep working on the same identity."""
    auth = keycloak_auth(
        keycloak.short_client_id, refresh={"margin_seconds": 4, "jitter_seconds": 0}
    )
    events = events_of(auth)
    handle = auth.sign_in_with_redirect(mode="paste")
    redirect, _ = keycloak.sign_in_at(handle.url)
    assert handle.complete(redirect).is_signed_in
    refresh_tokens = {stored(auth, keycloak, keycloak.short_client_id)["refresh_token"]}
    s3_session = auth.boto3_session()
    identities, id_tokens = set(), set()
    calls = 0
    with count() as c:
        deadline = time.time() + 20
        while time.time() < deadline:
            assert list_public(s3_session, sb) >= 1
            session = auth.fetch_auth_session()
            assert id_token_of(session).expires_at > time.time()  # never handed out expired
            identities.add(session.identity_id)
            id_tokens.add(id_token_of(session).to_string())
            refresh_tokens.add(stored(auth, keycloak, keycloak.short_client_id)["refresh_token"])
            calls += 1
            time.sleep(0.5)
    refreshes = events.count("tokenRefresh")
    assert calls >= 20
    assert refreshes >= 3, events
    assert "tokenRefresh_failure" not in events
    assert len(refresh_tokens) >= 4  # rotated, and every rotation kept
    assert len(identities) == 1 and len(id_tokens) >= 4
    ROUND_TRIPS[f"refresh x{refreshes} (8 s tokens, 20 s, S3 every 0.5 s)"] = trips(
        c, note=f"{len(c) / max(refreshes, 1):.1f} per refresh"
    )


# -- sign-out -----------------------------------------------------------------------------------
def test_sign_out_revokes_the_refresh_token(
    keycloak: KeycloakPeer, keycloak_auth: Any, count: Any
) -> None:
    auth = keycloak_auth()
    handle = auth.sign_in_with_redirect(mode="paste")
    handle.complete(keycloak.sign_in_at(handle.url)[0])
    refresh_token = stored(auth, keycloak)["refresh_token"]
    events = events_of(auth)
    with count() as c:
        auth.sign_out()
    ROUND_TRIPS["sign-out (revocation)"] = trips(c)
    assert stored(auth, keycloak) is None and auth.state == "signed_out"
    assert events == ["signedOut"]
    answer = requests.post(
        keycloak.token_endpoint,
        timeout=10,
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": keycloak.client_id,
        },
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


# -- a new kernel resumes from the file store ---------------------------------------------------
def test_a_restarted_kernel_resumes_from_the_file_store(
    sb: Any, keycloak: KeycloakPeer, keycloak_auth: Any, tmp_path: Path, count: Any
) -> None:
    store = {"kind": "file", "path": str(tmp_path / "cache")}
    first = keycloak_auth(storage=store)
    handle = first.sign_in_with_redirect(mode="paste")
    handle.complete(keycloak.sign_in_at(handle.url)[0])
    identity = first.fetch_auth_session().identity_id
    first.close()
    with count() as c:
        second = keycloak_auth(storage=store)  # a new kernel: same config, no sign-in
        assert second.state == "signed_in"
        session = second.fetch_auth_session()
        assert session.identity_id == identity
        assert claims(id_token_of(session).to_string())["preferred_username"] == "alice"
        assert list_public(second.boto3_session(), sb) >= 1
    ROUND_TRIPS["resume from file store + S3"] = trips(c)
    with count() as c:
        assert second.fetch_auth_session(force_refresh=True).identity_id == identity
    ROUND_TRIPS["forced refresh"] = trips(c)


# -- narrowed scopes ----------------------------------------------------------------------------
def test_narrowed_scopes(keycloak: KeycloakPeer, keycloak_auth: Any, count: Any) -> None:
    """Asking for just ``openid``: no offline_access (a plain refresh token, bound to the SSO
    session), but profile and email come anyway - they are Keycloak default client scopes."""
    auth = keycloak_auth(scopes=["openid"])
    with count() as c:
        handle = auth.sign_in_with_redirect(mode="paste")
        redirect, browser = keycloak.sign_in_at(handle.url)
        assert handle.complete(redirect).is_signed_in
    ROUND_TRIPS["code + PKCE (paste), scope=openid"] = trips(c, browser)
    assert "scope=openid&" in handle.url or handle.url.endswith("scope=openid")
    record = stored(auth, keycloak)
    refresh = claims(record["refresh_token"])
    assert refresh["typ"] == "Refresh" and "offline_access" not in refresh["scope"].split()
    assert refresh["exp"] - refresh["iat"] == 3600  # the realm's SSO idle timeout
    id_claims = claims(id_token_of(auth.fetch_auth_session()).to_string())
    assert id_claims["email"] == "alice@example.com" and id_claims["name"] == "Alice Tester"
    # The refresh asks for no scope (RFC 6749 section 6) and keeps what was granted.
    auth.fetch_auth_session(force_refresh=True)
    assert "offline_access" not in claims(stored(auth, keycloak)["refresh_token"])["scope"].split()


# -- an administrator disables the user ---------------------------------------------------------
def test_a_disabled_user_is_signed_out_cleanly(
    keycloak: KeycloakPeer, keycloak_auth: Any, count: Any
) -> None:
    username = f"dis-{uuid.uuid4().hex[:8]}"
    keycloak.create_user(username)
    auth = keycloak_auth()
    handle = auth.sign_in_with_redirect(mode="paste")
    handle.complete(keycloak.sign_in_at(handle.url, username=username)[0])
    assert auth.fetch_auth_session().credentials is not None
    keycloak.set_user_enabled(username, False)
    events = events_of(auth)
    with count() as c, pytest.raises(InvalidGrantError) as failed:
        auth.fetch_auth_session(force_refresh=True)
    ROUND_TRIPS["refresh of a disabled user"] = trips(c, note="invalid_grant 'User disabled'")
    assert failed.value.recovery_suggestion
    # Amplify's behaviour: one tokenRefresh_failure, then the session is simply gone (no
    # signedOut event: the user did not sign out).
    assert events == ["tokenRefresh_failure"]
    assert stored(auth, keycloak) is None
    assert auth.state == "signed_out"
    assert auth.fetch_auth_session().tokens is None


# -- Keycloak facts on the wire (the module docstring of keycloak_peer) --------------------------
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def token_call(peer: KeycloakPeer, **form: str) -> requests.Response:
    return requests.post(
        peer.token_endpoint, data={"client_id": peer.client_id, **form}, timeout=10
    )


def raw_device_tokens(peer: KeycloakPeer, scope: str = "openid offline_access") -> dict[str, Any]:
    doc = requests.get(peer.discovery_url, timeout=10).json()
    grant = requests.post(
        doc["device_authorization_endpoint"],
        data={"client_id": peer.client_id, "scope": scope},
        timeout=10,
    ).json()
    assert set(grant) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    assert grant["expires_in"] == 600 and grant["interval"] == peer.device_polling_interval
    pending = token_call(peer, grant_type=DEVICE_GRANT, device_code=grant["device_code"])
    assert pending.json()["error"] == "authorization_pending"
    peer.approve_device_code(grant["user_code"])
    # Keycloak enforces the interval: a poll sooner than that after the last is slow_down.
    time.sleep(peer.device_polling_interval + 0.1)
    answer = token_call(peer, grant_type=DEVICE_GRANT, device_code=grant["device_code"])
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_refresh_rotation_and_reuse_on_the_wire(keycloak: KeycloakPeer) -> None:
    first = raw_device_tokens(keycloak)
    assert first["refresh_expires_in"] == 0 and claims(first["refresh_token"])["typ"] == "Offline"
    assert claims(first["access_token"])["typ"] == "Bearer"
    second = token_call(keycloak, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"] and rotated["id_token"]
    reuse = token_call(keycloak, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reuse.json() == {
        "error": "invalid_grant",
        "error_description": "Maximum allowed refresh token reuse exceeded",
    }
    # The reuse cost the session its client: the newest refresh token is refused as well.
    newest = token_call(
        keycloak, grant_type="refresh_token", refresh_token=rotated["refresh_token"]
    )
    assert newest.json()["error"] == "invalid_grant"


def test_revocation_on_the_wire(keycloak: KeycloakPeer) -> None:
    tokens = raw_device_tokens(keycloak)
    revoked = requests.post(
        keycloak.revocation_endpoint,
        data={"client_id": keycloak.client_id, "token": tokens["refresh_token"]},
        timeout=10,
    )
    assert revoked.status_code == 200
    after = token_call(keycloak, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert after.json() == {
        "error": "invalid_grant",
        "error_description": "Offline user session not found",
    }
    unknown = requests.post(
        keycloak.revocation_endpoint,
        data={"client_id": keycloak.client_id, "token": "not-a-token"},
        timeout=10,
    )
    assert unknown.status_code == 200  # RFC 7009 section 2.2 (the body says invalid_token)


def test_start_fails_loudly_without_java(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NBAUTH_KEYCLOAK_JAVA_HOME", raising=False)
    monkeypatch.setattr(keycloak_peer, "JVM_ROOT", tmp_path)
    monkeypatch.setattr(keycloak_peer.shutil, "which", lambda name: None)
    with pytest.raises(PeerError, match="needs Java 21 or newer"):
        KeycloakPeer.start()
    monkeypatch.setenv("NBAUTH_KEYCLOAK_JAVA_HOME", str(tmp_path))
    with pytest.raises(PeerError, match="is not a Java 21"):
        KeycloakPeer.start()


# -- Keycloak goes away and comes back (last: it restarts the shared Keycloak) -------------------
def test_keycloak_outage_serves_stale_credentials_then_recovers(
    sb: Any, keycloak: KeycloakPeer, keycloak_auth: Any, count: Any
) -> None:
    """8-second tokens: while Keycloak is down its ID token goes stale and expires, the AWS
    credentials got with it (valid for the sandbox's hour) keep serving S3, refreshes fail
    with a retryable NetworkError and nothing is dropped; back up, the session refreshes."""
    client_id = keycloak.short_client_id
    auth = keycloak_auth(client_id, refresh={"margin_seconds": 4, "jitter_seconds": 0})
    handle = auth.sign_in_with_redirect(mode="paste")
    handle.complete(keycloak.sign_in_at(handle.url)[0])
    session = auth.fetch_auth_session()
    identity, id_expires = session.identity_id, id_token_of(session).expires_at
    s3 = auth.boto3_session()
    assert list_public(s3, sb) >= 1
    events = events_of(auth)

    keycloak.stop()
    try:
        calls = 0
        while time.time() < id_expires + 1 or calls < 3:
            assert list_public(s3, sb) >= 1
            calls += 1
            time.sleep(0.5)
        with pytest.raises(NetworkError) as failed:
            auth.fetch_auth_session(force_refresh=True)
        assert failed.value.retryable and failed.value.recovery_suggestion
        assert "tokenRefresh_failure" in events and "signedOut" not in events
        # Nothing is lost on a network error: still signed in, the refresh token kept.
        assert auth.state == "signed_in"
        held = stored(auth, keycloak, client_id)["refresh_token"]
        assert list_public(s3, sb) >= 1
    finally:
        warm = keycloak.restart()
    START_LINES.append(f"Keycloak restart (same database): {warm:.1f} s")
    # The token engine is backing off: until its retry_at, callers get the last (retryable)
    # error at once and the timer retries by itself; force_refresh goes to the network now.
    status = auth.status().tokens
    assert status is not None and status.failures >= 1 and status.last_error == "NetworkError"
    backoff_left = max(0.0, status.retry_at - time.time())
    with count() as c:
        session = auth.fetch_auth_session(force_refresh=True)
        assert id_token_of(session).expires_at > time.time()
        assert session.identity_id == identity
        assert list_public(s3, sb) >= 1
    ROUND_TRIPS["recovery after Keycloak restart (forced refresh + S3)"] = trips(
        c, note=f"the timer's own retry was {backoff_left:.0f} s away"
    )
    assert stored(auth, keycloak, client_id)["refresh_token"] != held  # a real refresh
    assert auth.state == "signed_in" and "tokenRefresh" in events
    tokens = auth.status().tokens
    assert tokens is not None and tokens.failures == 0
