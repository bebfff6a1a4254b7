"""The refresh engine: fresh → stale → expired, single flight, backoff, background timer."""

from __future__ import annotations

import threading
import time

import pytest

from nbauth.core.refresh import Refreshable, RefreshPolicy
from nbauth.errors import ServiceError, TooManyRequestsError
from tests.support.fakes import FakeClock, fixed_random


class Source:
    """A fetch function that hands out numbered values expiring ``lifetime`` seconds later."""

    def __init__(self, clock: FakeClock, lifetime: float = 3600.0) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.calls = 0
        self.fail_with: list[BaseException] = []
        self.gate: threading.Event | None = None

    def __call__(self) -> dict:
        self.calls += 1
        if self.gate is not None:
            self.gate.wait(5)
        if self.fail_with:
            raise self.fail_with.pop(0)
        return {"n": self.calls, "exp": self.clock() + self.lifetime}


def make(clock: FakeClock, source: Source, **kw) -> Refreshable[dict]:
    kw.setdefault("policy", RefreshPolicy(margin_seconds=300, jitter_seconds=0))
    return Refreshable(
        source, expires_at=lambda v: v["exp"], clock=clock, random=fixed_random(0.0), **kw
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_first_get_fetches_then_serves_from_cache(clock):
    src = Source(clock)
    engine = make(clock, src)
    assert engine.state == "empty"
    assert engine.get()["n"] == 1
    for _ in range(100):
        assert engine.get()["n"] == 1
    assert src.calls == 1
    assert engine.state == "fresh"


def test_stale_value_is_refreshed_by_the_next_caller(clock):
    src = Source(clock)
    engine = make(clock, src)
    engine.get()
    clock.advance(3600 - 299)  # inside the 300 s margin
    assert engine.state == "stale"
    assert engine.get()["n"] == 2
    assert src.calls == 2 and engine.state == "fresh"


def test_margin_is_capped_at_half_the_lifetime_for_short_lived_values(clock):
    src = Source(clock, lifetime=90)
    engine = make(clock, src)
    engine.get()
    clock.advance(44)
    assert engine.state == "fresh"
    clock.advance(2)
    assert engine.state == "stale"


def test_expired_value_is_never_handed_out(clock):
    src = Source(clock)
    engine = make(clock, src)
    engine.get()
    clock.advance(3600 - 5)  # inside the expiry skew: counts as expired
    assert engine.state == "expired"
    assert engine.peek() is None
    src.fail_with.append(ServiceError("boom"))
    with pytest.raises(ServiceError):
        engine.get()
    assert engine.peek() is None


def test_failed_refresh_keeps_serving_the_stale_value_and_backs_off(clock):
    src = Source(clock)
    failures = []
    engine = make(clock, src, on_failed=failures.append)
    first = engine.get()
    clock.advance(3600 - 200)
    src.fail_with.append(TooManyRequestsError("slow down"))
    assert engine.get() is first  # stale served, error swallowed
    assert engine.failures == 1 and len(failures) == 1
    calls = src.calls
    # During the backoff nobody retries.
    for _ in range(10):
        assert engine.get() is first
    assert src.calls == calls
    # After the backoff the next caller retries and succeeds.
    clock.advance(engine.retry_at - clock())
    assert engine.get()["n"] == calls + 1
    assert engine.failures == 0 and engine.last_error is None


def test_backoff_grows_exponentially_with_jitter_and_is_capped():
    policy = RefreshPolicy(backoff_base_seconds=1, backoff_max_seconds=60)
    assert [policy.backoff(n, 0.0) for n in (1, 2, 3, 4)] == [0.5, 1, 2, 4]
    assert [policy.backoff(n, 0.999999) for n in (1, 2)] == pytest.approx([1, 2], rel=1e-5)
    assert policy.backoff(20, 0.0) == 30  # capped at 60 * 0.5


def test_expired_and_backing_off_raises_the_last_error_without_calling(clock):
    src = Source(clock)
    engine = make(clock, src)
    engine.get()
    clock.advance(3595)
    src.fail_with.append(ServiceError("down"))
    with pytest.raises(ServiceError):
        engine.get()
    calls = src.calls
    with pytest.raises(ServiceError):
        engine.get()
    assert src.calls == calls
    assert engine.get(force=True)["n"] == calls + 1  # an explicit force still tries


def test_single_flight_across_threads_when_expired(clock):
    src = Source(clock)
    engine = make(clock, src)
    engine.get()
    clock.advance(3600)
    src.gate = threading.Event()
    results = []
    threads = [threading.Thread(target=lambda: results.append(engine.get())) for _ in range(32)]
    for t in threads:
        t.start()
    src.gate.set()
    for t in threads:
        t.join(10)
    assert src.calls == 2
    assert len(results) == 32 and {r["n"] for r in results} == {2}


def test_single_flight_shares_a_failure_instead_of_retrying(clock):
    src = Source(clock)
    engine = make(clock, src)
    src.gate = threading.Event()
    src.fail_with.append(ServiceError("down"))
    errors = []

    def call():
        try:
            engine.get()
        except ServiceError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    src.gate.set()
    for t in threads:
        t.join(10)
    assert src.calls == 1
    assert len(errors) == 8


def test_reset_drops_the_value_and_a_fetch_in_flight(clock):
    src = Source(clock)
    engine = make(clock, src)
    engine.get()
    src.gate = threading.Event()
    clock.advance(3600)
    t = threading.Thread(target=lambda: engine.get())
    t.start()
    while src.calls < 2:
        pass
    engine.reset()
    src.gate.set()
    t.join(5)
    assert engine.state == "empty"  # the in-flight result was not stored


def test_set_installs_a_value_and_fires_no_refresh_until_stale(clock):
    src = Source(clock)
    engine = make(clock, src)
    engine.set({"n": 99, "exp": clock() + 1000})
    assert engine.get()["n"] == 99 and src.calls == 0


def test_values_without_expiry_never_refresh(clock):
    engine = Refreshable(lambda: {"v": 1}, expires_at=lambda v: None, clock=clock)
    engine.get()
    clock.advance(10**9)
    assert engine.state == "fresh"


def test_tick_refreshes_only_when_due(clock):
    src = Source(clock)
    refreshed = []
    engine = make(clock, src, on_refreshed=refreshed.append)
    engine.get()
    assert engine.tick() is False
    clock.advance(engine.refresh_at - clock())
    assert engine.tick() is True
    assert src.calls == 2 and [v["n"] for v in refreshed] == [1, 2]


def test_tick_after_failure_waits_for_the_backoff(clock):
    src = Source(clock)
    engine = make(clock, src)
    engine.get()
    clock.advance(engine.refresh_at - clock())
    src.fail_with.append(ServiceError("x"))
    assert engine.tick() is False
    assert engine.next_due() == engine.retry_at
    assert engine.tick() is False and src.calls == 2
    clock.advance(engine.retry_at - clock())
    assert engine.tick() is True


def test_jitter_spreads_refresh_times(clock):
    early = Refreshable(
        lambda: {"exp": clock() + 3600},
        expires_at=lambda v: v["exp"],
        clock=clock,
        random=fixed_random(1.0),
        policy=RefreshPolicy(margin_seconds=300, jitter_seconds=30),
    )
    late = Refreshable(
        lambda: {"exp": clock() + 3600},
        expires_at=lambda v: v["exp"],
        clock=clock,
        random=fixed_random(0.0),
        policy=RefreshPolicy(margin_seconds=300, jitter_seconds=30),
    )
    early.get()
    late.get()
    # up to half the fresh time (3600 - 300 s) earlier, so a burst spreads over the period
    assert late.refresh_at - early.refresh_at == pytest.approx((3600 - 300) / 2)


def test_a_failing_hook_does_not_break_the_engine(clock):
    src = Source(clock)

    def bad_hook(_value):
        raise RuntimeError("listener bug")

    engine = make(clock, src, on_refreshed=bad_hook)
    assert engine.get()["n"] == 1


def test_background_timer_refreshes_ahead_of_expiry(clock):
    src = Source(clock)
    done = threading.Event()
    engine = make(
        clock, src, background=True, on_refreshed=lambda v: done.set() if v["n"] == 2 else None
    )
    try:
        engine.get()
        assert engine.timer_running
        clock.advance(engine.refresh_at - clock() + 1)
        engine.poke()
        assert done.wait(5), "the timer did not refresh"
        assert engine.state == "fresh" and src.calls == 2
    finally:
        engine.close()
    assert not engine.timer_running
    names = [t.name for t in threading.enumerate()]
    assert "nbauth-refresh-value" not in names


def test_close_is_idempotent_and_the_value_stays_readable(clock):
    src = Source(clock)
    engine = make(clock, src, background=True)
    engine.get()
    engine.close()
    engine.close()
    assert engine.get()["n"] == 1


def test_with_a_timer_a_stale_read_never_waits_for_the_network(clock):
    src = Source(clock)
    done = threading.Event()
    engine = make(clock, src, background=True,
                  on_refreshed=lambda v: done.set() if v["n"] == 2 else None)
    try:
        first = engine.get()
        src.gate = threading.Event()  # the next fetch blocks until released
        clock.advance(engine.refresh_at - clock() + 1)
        assert engine.get() is first  # answered at once, the timer does the refresh
        src.gate.set()
        assert done.wait(5)
        assert engine.get()["n"] == 2
    finally:
        engine.close()


def test_resume_restarts_the_timer_after_close(clock):
    src = Source(clock)
    engine = make(clock, src, background=True)
    engine.get()
    engine.close()
    assert not engine.timer_running
    engine.resume()
    try:
        assert engine.timer_running
    finally:
        engine.close()


def test_a_caller_without_a_usable_value_waits_for_a_hung_refresh_only_until_its_bound(clock):
    """Invariant 9: a refresh stuck on the network never holds every other caller forever."""
    from nbauth.core.refresh import RefreshTimeoutError

    source = Source(clock)
    source.gate = threading.Event()
    engine = make(clock, source, policy=RefreshPolicy(wait_seconds=0.2))
    first = threading.Thread(target=engine.get, daemon=True)
    first.start()
    while source.calls == 0:
        time.sleep(0.01)
    started = time.monotonic()
    with pytest.raises(RefreshTimeoutError) as info:
        engine.get()
    assert time.monotonic() - started < 2
    assert info.value.retryable and "taking longer" in info.value.message
    source.gate.set()
    first.join(5)
    assert engine.get() == {"n": 1, "exp": clock() + 3600}  # the finished refresh serves all
