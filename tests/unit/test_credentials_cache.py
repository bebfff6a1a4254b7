"""The shared credentials cache of the identity-pool provider (issue 10), with a fake pool.

Valid cached credentials cost no call; stale ones one ``GetCredentialsForIdentity`` (the identity
id is cached); a corrupt record is treated as absent; a forced refresh skips the cache but adopts
what another process wrote since; threads and processes sharing a store refresh once; a store
that fails costs the sharing, never the credentials.
"""

from __future__ import annotations

import base64
import json
import logging
import multiprocessing
import os
import stat
import threading
import time
from pathlib import Path

import pytest

from nbauth.auth.credentials_pipeline import CredentialsPipeline
from nbauth.auth.token_sources import Login
from nbauth.aws.credentials_provider import IdentityPoolCredentialsProvider
from nbauth.config import load_config
from nbauth.core.jwt import decode_jwt
from nbauth.core.storage import FileStorage, MemoryStorage
from nbauth.core.values import AWSCredentials
from tests.support.fakes import FakeClock, run_in_threads

POOL = "eu-west-1:00000000-0000-0000-0000-000000000000"
KEY = "idp.example.com"
HOUR = 3600.0


def jwt(sub: str, exp: float = 4_000_000_000) -> str:
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return (
        f"{part({'alg': 'RS256'})}.{part({'sub': sub, 'iss': 'https://' + KEY, 'exp': exp})}.c2ln"
    )


class FakePool:
    """An identity-pool client that counts its calls and mints numbered credentials."""

    identity_pool_id = POOL

    def __init__(self, clock, lifetime: float = HOUR, delay: float = 0.0, log: Path | None = None):
        self.clock = clock
        self.lifetime = lifetime
        self.delay = delay
        self.log = log
        self.calls = {"GetId": 0, "GetCredentialsForIdentity": 0}
        self._lock = threading.Lock()

    def _count(self, name: str) -> int:
        with self._lock:
            self.calls[name] += 1
            n = sum(self.calls.values())
        if self.log is not None:
            with open(self.log, "a") as fh:
                fh.write(name + "\n")
        return n

    def get_id(self, logins):
        self._count("GetId")
        return "eu-west-1:identity-" + (sorted(logins)[0] if logins else "guest")

    def get_credentials_for_identity(self, identity_id, logins, custom_role_arn=None):
        n = self._count("GetCredentialsForIdentity")
        time.sleep(self.delay)
        key = f"ASIA{os.getpid()}X{n}X{time.monotonic_ns()}"
        creds = AWSCredentials(key, "secret-" + key, "token-" + key, self.clock() + self.lifetime)
        return identity_id, creds


def provider(storage, pool, clock, **kwargs) -> IdentityPoolCredentialsProvider:
    return IdentityPoolCredentialsProvider(pool, storage, clock=clock, **kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=time.time())


@pytest.fixture
def logins() -> dict[str, str]:
    return {KEY: jwt("alice")}


def test_valid_cached_credentials_cost_no_call(clock, logins):
    storage = MemoryStorage()
    first = provider(storage, FakePool(clock), clock).credentials_for(logins)
    pool = FakePool(clock)  # a new process: its own client, the same store
    second = provider(storage, pool, clock, min_valid_seconds=330).credentials_for(logins)
    assert pool.calls == {"GetId": 0, "GetCredentialsForIdentity": 0}
    assert second.credentials == first.credentials
    assert second.identity_id == first.identity_id


def test_stale_credentials_cost_one_call_and_no_get_id(clock, logins):
    storage = MemoryStorage()
    first = provider(storage, FakePool(clock), clock).credentials_for(logins)
    clock.advance(HOUR - 300)  # 5 minutes left: inside the engine's margin + jitter
    pool = FakePool(clock)
    second = provider(storage, pool, clock, min_valid_seconds=330).credentials_for(logins)
    assert pool.calls == {"GetId": 0, "GetCredentialsForIdentity": 1}
    assert second.credentials != first.credentials
    # ... and the new record is what the next process adopts.
    third_pool = FakePool(clock)
    third = provider(storage, third_pool, clock, min_valid_seconds=330).credentials_for(logins)
    assert third.credentials == second.credentials and sum(third_pool.calls.values()) == 0


def test_short_lived_credentials_are_shared_up_to_half_their_lifetime(clock, logins):
    storage = MemoryStorage()
    provider(storage, FakePool(clock, lifetime=60), clock).credentials_for(logins)
    clock.advance(20)  # 40 s left of 60: more than half, although less than the margin
    pool = FakePool(clock)
    provider(storage, pool, clock, min_valid_seconds=330).credentials_for(logins)
    assert sum(pool.calls.values()) == 0
    clock.advance(15)  # 25 s left: the engine would already refresh them
    provider(storage, pool, clock, min_valid_seconds=330).credentials_for(logins)
    assert pool.calls["GetCredentialsForIdentity"] == 1


@pytest.mark.parametrize(
    "raw",
    [
        "{",
        '{"version": 1, "IdentityId": "x", "Credentials": {"AccessKeyId": "A"',
        "[]",
        '{"version": 1, "IdentityId": "x", "Credentials": {"AccessKeyId": "A", '
        '"SecretAccessKey": "S", "Expiration": "not a date"}}',
        '{"version": 1, "IdentityId": 7, "Credentials": {"AccessKeyId": "A", '
        '"SecretAccessKey": "S", "Expiration": "2999-01-01T00:00:00Z"}}',
        '{"version": 99, "IdentityId": "x", "Credentials": {}}',
        "",
    ],
)
def test_corrupt_record_is_treated_as_absent_and_overwritten(clock, logins, raw):
    storage = MemoryStorage()
    pool = FakePool(clock)
    p = provider(storage, pool, clock)
    key = p.credentials_key(logins)
    storage.set(key, raw)
    result = p.credentials_for(logins)
    assert pool.calls["GetCredentialsForIdentity"] == 1
    record = json.loads(storage.get(key))
    assert record["Credentials"]["AccessKeyId"] == result.credentials.access_key_id


def test_record_format_and_file_mode(clock, logins, tmp_path):
    storage = FileStorage(tmp_path / "store")
    p = provider(storage, FakePool(clock), clock)
    result = p.credentials_for(logins)
    record = json.loads(storage.get(p.credentials_key(logins)))
    assert record["version"] == 1 and record["IdentityId"] == result.identity_id
    assert set(record["Credentials"]) == {
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    }
    assert record["Credentials"]["Expiration"].endswith("Z")
    for path in (tmp_path / "store").glob("*.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_forced_refresh_skips_the_cache(clock, logins):
    storage = MemoryStorage()
    pool = FakePool(clock)
    p = provider(storage, pool, clock)
    first = p.credentials_for(logins)
    second = p.credentials_for(logins, force_refresh=True)
    assert pool.calls == {"GetId": 1, "GetCredentialsForIdentity": 2}
    assert second.credentials != first.credentials


def test_rejected_credentials_are_not_adopted_but_a_newer_record_is(clock, logins):
    storage = MemoryStorage()
    mine = FakePool(clock)
    rejected = provider(storage, mine, clock).credentials_for(logins).credentials
    # Another process refreshed after AWS refused them: adopt its record, no call.
    other = provider(storage, FakePool(clock), clock).credentials_for(logins, force_refresh=True)
    before = dict(mine.calls)
    adopted = provider(storage, mine, clock).credentials_for(
        logins, force_refresh=True, replacing=rejected.access_key_id
    )
    assert adopted.credentials == other.credentials and mine.calls == before
    # The record holds the refused ones themselves: refresh.
    again = provider(storage, mine, clock).credentials_for(
        logins, force_refresh=True, replacing=other.credentials.access_key_id
    )
    assert mine.calls["GetCredentialsForIdentity"] == before["GetCredentialsForIdentity"] + 1
    assert again.credentials not in (rejected, other.credentials)


def test_keys_separate_logins_roles_developer_ids_and_opaque_tokens(clock):
    p = provider(MemoryStorage(), FakePool(clock), clock)
    alice, bob = {KEY: jwt("alice")}, {KEY: jwt("bob")}
    keys = {
        p.credentials_key(alice),
        p.credentials_key(bob),
        p.credentials_key(alice, custom_role_arn="arn:aws:iam::1:role/x"),
        p.credentials_key(alice, identity_id="eu-west-1:dev"),
        p.credentials_key({}),
        p.credentials_key({"graph.facebook.com": "opaque-1"}),
        p.credentials_key({"graph.facebook.com": "opaque-2"}),
    }
    assert len(keys) == 7
    assert all("opaque" not in k for k in keys)  # the token itself is never in a key
    assert p.credentials_key({}).endswith(".guest")


def test_guest_credentials_are_cached(clock):
    storage = MemoryStorage()
    provider(storage, FakePool(clock), clock, allow_guest=True).credentials_for({})
    pool = FakePool(clock)
    provider(storage, pool, clock, allow_guest=True).credentials_for({})
    assert sum(pool.calls.values()) == 0


def test_threads_sharing_a_store_refresh_once(clock, logins):
    storage = MemoryStorage()
    pool = FakePool(clock, delay=0.2)
    providers = [provider(storage, pool, clock) for _ in range(8)]  # eight kernels' providers
    results = run_in_threads(8, lambda: providers.pop().credentials_for(logins))
    assert pool.calls == {"GetId": 1, "GetCredentialsForIdentity": 1}
    assert len({r.credentials.access_key_id for r in results}) == 1


def _process(path: str, log: str, token: str, out: str) -> None:
    pool = FakePool(time.time, delay=0.3, log=Path(log))
    result = IdentityPoolCredentialsProvider(pool, FileStorage(path)).credentials_for({KEY: token})
    Path(out).write_text(result.credentials.access_key_id)


def test_processes_sharing_a_file_store_refresh_once(logins, tmp_path):
    ctx = multiprocessing.get_context("fork")
    calls, store = tmp_path / "calls.log", tmp_path / "store"
    FileStorage(store)
    procs = [
        ctx.Process(
            target=_process, args=(str(store), str(calls), logins[KEY], str(tmp_path / f"{i}"))
        )
        for i in range(4)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(30)
        assert proc.exitcode == 0
    assert calls.read_text().splitlines() == ["GetId", "GetCredentialsForIdentity"]
    assert len({(tmp_path / f"{i}").read_text() for i in range(4)}) == 1


class FailingStorage(MemoryStorage):
    """A store whose directory became unwritable (as root, chmod would not show it)."""

    def set(self, key, value):
        raise PermissionError(13, "Permission denied")


def test_failing_store_costs_the_sharing_not_the_credentials(clock, logins, caplog):
    caplog.set_level(logging.DEBUG, logger="nbauth")
    pool = FakePool(clock)
    p = provider(FailingStorage(), pool, clock)
    first = p.credentials_for(logins)
    second = p.credentials_for(logins)
    assert first.credentials.access_key_id and second.credentials.access_key_id
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # once, not per refresh
    text = caplog.text
    for creds in (first.credentials, second.credentials):
        assert creds.secret_access_key not in text and creds.session_token not in text
        assert creds.access_key_id not in text


def test_store_deleted_under_a_running_kernel(clock, logins, tmp_path):
    path = tmp_path / "store"
    storage = FileStorage(path)
    pool = FakePool(clock)
    p = provider(storage, pool, clock)
    p.credentials_for(logins)
    for child in path.iterdir():
        child.unlink()
    path.rmdir()
    result = p.credentials_for(logins, force_refresh=True)  # no lock file, no dir: still works
    assert result.credentials.access_key_id
    assert pool.calls["GetCredentialsForIdentity"] == 2


# -- the pipeline passes the engine's margin and what it is replacing ----------------------


class Source:
    def __init__(self, token: str) -> None:
        self.token = token

    def login(self, *, force_refresh: bool = False) -> Login:
        return Login(KEY, self.token, decode_jwt(self.token))


def pipeline(storage, clock, monkeypatch, pool: FakePool, token: str) -> CredentialsPipeline:
    monkeypatch.setattr("nbauth.aws.identity_pool.IdentityPoolClient", lambda *a, **k: pool)
    config = load_config(
        {
            "version": "1.3",
            "auth": {"aws_region": "eu-west-1", "identity_pool_id": POOL},
            "nbauth": {
                "refresh": {"margin_seconds": 300, "jitter_seconds": 30, "background": False}
            },
        }
    )
    return CredentialsPipeline(config, storage, source=lambda: Source(token), clock=clock)


def test_pipeline_adopts_only_credentials_fresh_for_its_engine(clock, logins, monkeypatch):
    storage = MemoryStorage()
    first_pool, pool = FakePool(clock), FakePool(clock)
    first = pipeline(storage, clock, monkeypatch, first_pool, logins[KEY])
    assert first.min_valid_seconds == 330
    held = first.engine.get()
    second = pipeline(storage, clock, monkeypatch, pool, logins[KEY])
    assert second.engine.get().credentials == held.credentials  # a new kernel: no call
    assert sum(pool.calls.values()) == 0
    assert second.engine.state == "fresh"
    clock.advance(HOUR - 320)  # 320 s left: stale for the engine, so not adoptable either
    third = pipeline(storage, clock, monkeypatch, pool, logins[KEY])
    assert third.engine.get().credentials != held.credentials
    assert pool.calls["GetCredentialsForIdentity"] == 1


def test_pipeline_refresh_never_adopts_what_it_replaces(clock, logins, monkeypatch):
    storage = MemoryStorage()
    pool = FakePool(clock)
    p = pipeline(storage, clock, monkeypatch, pool, logins[KEY])
    held = p.engine.get()
    forced = p.engine.get(force=True)  # e.g. AWS answered ExpiredToken
    assert forced.credentials != held.credentials
    assert pool.calls["GetCredentialsForIdentity"] == 2
    # A second kernel holding the refused credentials adopts the new record: no call.
    other_pool = FakePool(clock)
    other = pipeline(storage, clock, monkeypatch, other_pool, logins[KEY])
    other.engine.set(held)
    assert other.engine.get(force=True).credentials == forced.credentials
    assert sum(other_pool.calls.values()) == 0
