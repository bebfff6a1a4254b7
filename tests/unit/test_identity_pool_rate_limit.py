"""nbauth paces GetId / GetCredentialsForIdentity under Cognito's default quotas."""

from __future__ import annotations

import collections
import threading

import pytest

from nbauth.aws import rate_limit
from nbauth.aws.identity_pool import IdentityPoolClient
from nbauth.aws.rate_limit import RateLimiter, rate_from_env, shared_limiter
from nbauth.errors import TooManyRequestsError


class FakeTime:
    """A monotonic clock whose sleep advances it (no real waiting)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def limiter(rate: float, t: FakeTime, **kw) -> RateLimiter:
    return RateLimiter(rate, clock=t, sleep=t.sleep, **kw)


def test_the_defaults_stay_under_cognitos_quotas(monkeypatch):
    monkeypatch.delenv("NBAUTH_GETID_RPS", raising=False)
    monkeypatch.delenv("NBAUTH_GCFI_RPS", raising=False)
    assert rate_from_env("GetId") == 20 < 25
    assert rate_from_env("GetCredentialsForIdentity") == 150 < 200


@pytest.mark.parametrize(
    ("raw", "expected"), [("5", 5.0), ("12.5", 12.5), ("0", 20.0), ("-3", 20.0), ("x", 20.0)]
)
def test_the_environment_overrides_the_rate(monkeypatch, raw, expected):
    monkeypatch.setenv("NBAUTH_GETID_RPS", raw)
    assert rate_from_env("GetId") == expected


def test_callers_wait_for_a_token_rather_than_fail():
    t = FakeTime()
    bucket = limiter(20, t)
    waits = [bucket.acquire() for _ in range(105)]
    assert waits[:5] == [0.0] * 5  # the burst: a quarter of a second's worth
    assert all(w > 0 for w in waits[5:])
    assert t.now - 100.0 == pytest.approx(100 / 20)  # the rest at 20 a second


def test_no_one_second_window_exceeds_the_quota():
    t = FakeTime()
    bucket = limiter(150, t)
    stamps = []
    for _ in range(2000):
        bucket.acquire()
        stamps.append(t.now)
    per_window = collections.Counter(int(s - 100.0) for s in stamps)
    assert max(per_window.values()) <= 150 + bucket.burst < 200


def test_a_wait_longer_than_the_deadline_raises_a_retryable_error_at_once():
    t = FakeTime()
    bucket = limiter(1, t, burst=1)
    bucket.acquire()
    bucket.acquire(max_wait=5)  # waits 1 s
    with pytest.raises(TooManyRequestsError) as info:
        bucket.acquire(max_wait=0.5)
    assert info.value.retryable and "NBAUTH_" not in info.value.message
    assert t.now == pytest.approx(101.0)  # it did not sleep


def test_the_request_deadline_bounds_the_wait(monkeypatch):
    monkeypatch.setenv("NBAUTH_HTTP_DEADLINE_SECONDS", "2")
    t = FakeTime()
    bucket = RateLimiter(1, burst=1, clock=t, sleep=lambda s: None)  # callers that queue up
    assert [bucket.acquire() for _ in range(3)] == [0.0, 1.0, 2.0]  # within the deadline
    with pytest.raises(TooManyRequestsError):
        bucket.acquire()  # would be 3 s behind


def test_concurrent_callers_are_paced_together():
    t = FakeTime()  # stands still: 30 callers arrive at the same instant
    bucket = RateLimiter(10, burst=1, clock=t, sleep=lambda s: None)
    waits: list[float] = []
    threads = [threading.Thread(target=lambda: waits.append(bucket.acquire())) for _ in range(30)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(5)
    assert bucket.waited_calls == 29
    assert sorted(waits) == pytest.approx([i / 10 for i in range(30)])  # one slot each


class RecordingClient:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def get_id(self, **kw):
        self.calls.append("GetId")
        return {"IdentityId": "eu-west-1:abc"}

    def get_credentials_for_identity(self, **kw):
        self.calls.append("GetCredentialsForIdentity")
        return {
            "IdentityId": kw["IdentityId"],
            "Credentials": {"AccessKeyId": "AKIA", "SecretKey": "s", "SessionToken": "t"},
        }

    def get_open_id_token(self, **kw):
        self.calls.append("GetOpenIdToken")
        return {"IdentityId": kw["IdentityId"], "Token": "tok"}


def test_the_identity_pool_client_paces_getid_and_gcfi_only():
    t = FakeTime()
    limiters = {"GetId": limiter(2, t, burst=1), "GetCredentialsForIdentity": limiter(4, t)}
    client = IdentityPoolClient(
        "eu-west-1:pool", "eu-west-1", client=RecordingClient(), rate_limiter=limiters.get
    )
    logins = {"issuer": "token"}
    for _ in range(3):
        client.get_id(logins)
    assert t.now == pytest.approx(101.0)  # 2nd and 3rd waited half a second each
    client.get_credentials_for_identity("eu-west-1:abc", logins)
    client.get_open_id_token("eu-west-1:abc", logins)
    assert limiters["GetId"].waited_calls == 2
    assert limiters["GetCredentialsForIdentity"].waited_calls == 0


def test_one_limiter_per_operation_per_process(monkeypatch):
    monkeypatch.setattr(rate_limit, "_shared", {})
    monkeypatch.setenv("NBAUTH_GCFI_RPS", "42")
    first = shared_limiter("GetCredentialsForIdentity")
    assert first is shared_limiter("GetCredentialsForIdentity")
    assert first is not None and first.rate == 42
    assert shared_limiter("GetOpenIdToken") is None
    client = IdentityPoolClient("eu-west-1:pool", "eu-west-1", client=RecordingClient())
    client.get_credentials_for_identity("eu-west-1:abc", {"k": "v"})
    assert first.burst - 1 <= first._tokens < first.burst
