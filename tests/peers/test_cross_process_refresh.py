"""Issue 10 over the real wire: six processes share one ``FileStorage`` session against panva's
oidc-provider, which rotates refresh tokens and revokes the whole grant when a used one comes
back. Each process (``cross_process_worker.py``) forces a refresh at the same moment, round after
round: exactly one of them may call the IdP per round, the others adopt what it stored, and
nobody ever sends a rotated-away refresh token (that would be ``invalid_grant`` for everyone).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from nbauth.core.session_record import SessionRecord
from nbauth.core.storage import FileStorage
from nbauth.oidc.client import OIDCClient, ProviderSpec
from nbauth.oidc.token_provider import OIDCTokenProvider
from nbauth.oidc.tokens import OIDCTokens
from tests.peers.oidc_provider_peer import OidcProviderPeer

pytestmark = pytest.mark.timeout(120)

WORKERS = 6
ROUNDS = 20
ROOT = Path(__file__).resolve().parents[2]


def sign_in(peer: OidcProviderPeer, store: Path) -> None:
    """One code + PKCE sign-in at the peer; the session record lands in ``store``."""
    meta = requests.get(peer.discovery_url, timeout=10).json()
    session = OAuth2Session(
        peer.client_id,
        token_endpoint_auth_method="none",
        redirect_uri="http://127.0.0.1:9/callback",
        scope="openid offline_access email profile",
        code_challenge_method="S256",
        timeout=10,
    )
    verifier = generate_token(64)
    url, state = session.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, prompt="consent"
    )
    redirect = peer.sign_in_at(url, username="gus")
    response = session.fetch_token(
        meta["token_endpoint"], authorization_response=redirect, state=state, code_verifier=verifier
    )
    tokens = OIDCTokens.from_response(dict(response))
    assert tokens.refresh_token
    provider = OIDCTokenProvider(
        OIDCClient(spec(peer)), tokens, storage=FileStorage(store), emit=lambda *a: None
    )
    provider.close()


def spec(peer: OidcProviderPeer) -> ProviderSpec:
    return ProviderSpec(name="panva", issuer=peer.issuer, client_id=peer.client_id)


class Workers:
    def __init__(self, peer: OidcProviderPeer, tmp: Path, rounds: int, **env: str) -> None:
        self.store, self.control = tmp / "store", tmp / "control"
        self.control.mkdir()
        self.processes = [
            subprocess.Popen(
                [
                    *(sys.executable, "-m", "tests.peers.cross_process_worker", str(self.store)),
                    *(str(self.control), peer.issuer, peer.client_id, str(i), str(rounds)),
                ],
                cwd=ROOT,
                env={**os.environ, **env},
            )
            for i in range(WORKERS)
        ]
        self.wait_for([self.control / f"ready-{i}" for i in range(WORKERS)], timeout=60)

    def wait_for(self, paths: list[Path], timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while not all(p.exists() for p in paths):
            for process in self.processes:
                assert process.poll() in (None, 0, -signal.SIGKILL), "a worker crashed"
            assert time.monotonic() < deadline, f"timed out waiting for {paths}"
            time.sleep(0.005)
        return time.monotonic()

    def results(self, round_: int, indices: range | list[int]) -> list[dict[str, Any]]:
        return [json.loads((self.control / f"done-{round_}-{i}").read_text()) for i in indices]

    def ready(self) -> list[dict[str, Any]]:
        return [json.loads((self.control / f"ready-{i}").read_text()) for i in range(WORKERS)]

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)


def assert_one_refresh(results: list[dict[str, Any]]) -> None:
    assert [r["error"] for r in results] == [None] * len(results)
    assert sum(r["failures"] for r in results) == 0
    assert sum(r["idp_calls"] for r in results) == 1  # one IdP refresh for everyone
    assert all(r["session"] and not r["lost"] for r in results)
    assert len({r["access_token"] for r in results}) == 1  # everyone holds the same new tokens


def assert_the_stored_session_still_refreshes(peer: OidcProviderPeer, store: Path) -> None:
    """The grant was never revoked by a reused refresh token: the newest one still works."""
    record = SessionRecord.load(FileStorage(store), peer.issuer, peer.client_id)
    assert record is not None
    answer = OIDCClient(spec(peer)).refresh_response(record.refresh_token)
    assert answer["refresh_token"] != record.refresh_token


def test_six_processes_refreshing_at_once_refresh_once_per_round(
    oidc_provider: OidcProviderPeer, tmp_path: Path
) -> None:
    started = time.monotonic()
    sign_in(oidc_provider, tmp_path / "store")
    workers = Workers(oidc_provider, tmp_path, ROUNDS)
    try:
        assert all(r["restored_without_network"] for r in workers.ready())
        seen: set[str] = set()
        for round_ in range(ROUNDS):
            (workers.control / f"go-{round_}").touch()  # the barrier: everyone goes at once
            workers.wait_for(
                [workers.control / f"done-{round_}-{i}" for i in range(WORKERS)], timeout=30
            )
            results = workers.results(round_, range(WORKERS))
            assert_one_refresh(results)
            assert results[0]["access_token"] not in seen  # a real refresh every round
            seen.add(results[0]["access_token"])
        for process in workers.processes:
            assert process.wait(timeout=30) == 0
    finally:
        workers.stop()
    assert_the_stored_session_still_refreshes(oidc_provider, workers.store)
    elapsed = time.monotonic() - started
    print(f"\n{WORKERS} processes x {ROUNDS} rounds: 1 IdP refresh per round, {elapsed:.1f} s")
    assert elapsed < 60


def test_a_process_killed_while_holding_the_lock_does_not_block_the_others(
    oidc_provider: OidcProviderPeer, tmp_path: Path
) -> None:
    sign_in(oidc_provider, tmp_path / "store")
    workers = Workers(oidc_provider, tmp_path, 1, NBAUTH_TEST_STALL_IN_IDP="0")
    try:
        (workers.control / "go-0-0").touch()  # worker 0 takes the lock first ...
        workers.wait_for([workers.control / "in-idp-0"], timeout=30)  # ... and hangs in it
        (workers.control / "go-0").touch()
        time.sleep(0.5)  # the others are now waiting for the lock
        survivors = range(1, WORKERS)
        assert not any((workers.control / f"done-0-{i}").exists() for i in survivors)
        workers.processes[0].send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        done_at = workers.wait_for([workers.control / f"done-0-{i}" for i in survivors], timeout=30)
        results = workers.results(0, survivors)
        assert_one_refresh(results)
        recovery = done_at - killed_at
        print(f"\nkill -9 of the lock holder: the others refreshed {recovery:.2f} s later")
        assert recovery < 5
    finally:
        workers.stop()
    assert_the_stored_session_still_refreshes(oidc_provider, workers.store)
