"""One refresh scheduler per process: many engines, fake clocks, a bounded worker pool."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest

from nbauth.core.refresh import Refreshable, RefreshPolicy
from nbauth.core.refresh_scheduler import RefreshScheduler, shared_scheduler
from nbauth.errors import ServiceError
from tests.support.fakes import FakeClock, fixed_random


class Source:
    """Numbered values expiring an hour later; may block on ``gate`` or fail."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls = 0
        self.gate: threading.Event | None = None
        self.fail = False
        self.refreshed = threading.Event()

    def __call__(self) -> dict:
        self.calls += 1
        if self.gate is not None:
            self.gate.wait(10)
        if self.fail:
            raise ServiceError("down")
        if self.calls > 1:
            self.refreshed.set()
        return {"n": self.calls, "exp": self.clock() + 3600}


def engine(clock: FakeClock, source: Source, scheduler: RefreshScheduler) -> Refreshable[dict]:
    return Refreshable(
        source,
        expires_at=lambda v: v["exp"],
        clock=clock,
        random=fixed_random(0.0),
        policy=RefreshPolicy(margin_seconds=300, jitter_seconds=0, backoff_base_seconds=10),
        background=True,
        scheduler=scheduler,
        name="value",
    )


def nbauth_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("nbauth-refresh")]


def wait_until(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())


@pytest.fixture
def scheduler() -> Iterator[RefreshScheduler]:
    made = RefreshScheduler(max_workers=3, worker_idle_seconds=0.5)
    yield made
    for thread in made.threads():
        thread.join(5)


def test_a_thousand_engines_share_one_thread_and_a_few_workers(scheduler):
    before = set(nbauth_threads())
    clock = FakeClock()
    sources = [Source(clock) for _ in range(1000)]
    engines = [engine(clock, s, scheduler) for s in sources]
    try:
        for e in engines:
            e.get()
        assert all(e.timer_running for e in engines)
        assert len(scheduler) == 1000
        clock.advance(3600 - 300 + 1)
        for e in engines:
            e.poke()
        assert wait_until(lambda: all(s.calls == 2 for s in sources)), "not all refreshed"
        grown = set(nbauth_threads()) - before
        assert len(grown) <= 1 + scheduler.max_workers, grown
        assert scheduler.peak_workers <= scheduler.max_workers
        assert all(e.state == "fresh" for e in engines)
    finally:
        for e in engines:
            e.close()
    assert wait_until(lambda: not scheduler.threads())
    assert not set(nbauth_threads()) - before


def test_a_fake_clock_moves_an_engine_only_when_poked(scheduler):
    clock = FakeClock()
    source = Source(clock)
    e = engine(clock, source, scheduler)
    try:
        e.get()
        clock.advance(3600 - 300 + 1)
        time.sleep(0.2)
        assert source.calls == 1  # nobody read the fake clock since
        e.poke()
        assert source.refreshed.wait(5)
    finally:
        e.close()


def test_engines_with_different_clocks_coexist(scheduler):
    slow, fast = FakeClock(), FakeClock(start=5.0)
    a, b = Source(slow), Source(fast)
    ea, eb = engine(slow, a, scheduler), engine(fast, b, scheduler)
    try:
        ea.get()
        eb.get()
        fast.advance(4000)
        eb.poke()
        assert b.refreshed.wait(5)
        assert a.calls == 1
    finally:
        ea.close()
        eb.close()


def test_close_stops_one_engine_and_never_the_others(scheduler):
    clock = FakeClock()
    a, b = Source(clock), Source(clock)
    ea, eb = engine(clock, a, scheduler), engine(clock, b, scheduler)
    try:
        ea.get()
        eb.get()
        ea.close()
        assert not ea.timer_running and eb.timer_running
        clock.advance(4000)
        ea.poke()
        eb.poke()
        assert b.refreshed.wait(5)
        time.sleep(0.1)
        assert a.calls == 1, "a closed engine was refreshed"
        ea.resume()
        assert ea.timer_running
        ea.poke()
        assert a.refreshed.wait(5)
    finally:
        ea.close()
        eb.close()


def test_the_scheduler_thread_ends_with_the_last_engine_and_comes_back(scheduler):
    clock = FakeClock()
    e = engine(clock, Source(clock), scheduler)
    e.get()
    assert [t.name for t in scheduler.threads()][:1] == ["nbauth-refresh-scheduler"]
    e.close()
    assert not scheduler.threads()  # close of the last one joins them
    e.resume()
    try:
        assert e.timer_running and scheduler.threads()
    finally:
        e.close()


def test_a_stuck_refresh_does_not_delay_the_others(scheduler):
    clock = FakeClock()
    stuck = Source(clock)
    others = [Source(clock) for _ in range(20)]
    es = engine(clock, stuck, scheduler)
    eo = [engine(clock, s, scheduler) for s in others]
    try:
        for e in [es, *eo]:
            e.get()
        stuck.gate = threading.Event()
        clock.advance(4000)
        es.poke()
        assert wait_until(lambda: stuck.calls == 2)
        for e in eo:
            e.poke()
        assert wait_until(lambda: all(s.calls == 2 for s in others), 5)
    finally:
        stuck.gate.set()
        for e in [es, *eo]:
            e.close()


def test_workers_are_bounded_even_when_all_are_stuck(scheduler):
    clock = FakeClock()
    gate = threading.Event()
    sources = [Source(clock) for _ in range(10)]
    es = [engine(clock, s, scheduler) for s in sources]
    try:
        for e in es:
            e.get()
        for s in sources:
            s.gate = gate
        clock.advance(4000)
        for e in es:
            e.poke()
        assert wait_until(lambda: sum(s.calls == 2 for s in sources) == scheduler.max_workers)
        time.sleep(0.2)
        assert sum(s.calls == 2 for s in sources) == scheduler.max_workers
        assert len(scheduler.threads()) == 1 + scheduler.max_workers
        gate.set()
        assert wait_until(lambda: all(s.calls == 2 for s in sources))
        assert wait_until(lambda: len(scheduler.threads()) == 1), "idle workers did not exit"
    finally:
        gate.set()
        for e in es:
            e.close()


def test_a_failing_refresh_backs_off_through_next_due(scheduler):
    clock = FakeClock()
    source = Source(clock)
    e = engine(clock, source, scheduler)
    try:
        e.get()
        source.fail = True
        clock.advance(4000 - 3600 + 3600 - 300 + 1)
        e.poke()
        assert wait_until(lambda: e.failures == 1)
        e.poke()
        time.sleep(0.2)
        assert source.calls == 2  # backing off: the fake clock has not reached retry_at
        assert e.next_due() == e.retry_at
        source.fail = False
        clock.advance(e.retry_at - clock())
        e.poke()
        assert source.refreshed.wait(5)
        assert wait_until(lambda: e.failures == 0)
    finally:
        e.close()


class Exploding:
    """An engine whose run raises: the scheduler logs it and goes on."""

    name = "exploding"

    def __init__(self) -> None:
        self.runs = 0

    def seconds_until_due(self) -> float | None:
        return 0.0

    def run_due(self) -> float | None:
        self.runs += 1
        raise RuntimeError("bug")


def test_errors_are_contained(scheduler):
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("nbauth.refresh").addHandler(handler)
    clock = FakeClock()
    source = Source(clock)
    good = engine(clock, source, scheduler)
    bad = Exploding()
    try:
        good.get()
        scheduler.add(bad)
        clock.advance(4000)
        good.poke()
        assert source.refreshed.wait(5)
        assert wait_until(lambda: bad.runs >= 1)
        assert wait_until(lambda: any("crashed" in m for m in seen))
        assert scheduler.serves(good)
    finally:
        logging.getLogger("nbauth.refresh").removeHandler(handler)
        scheduler.remove(bad)
        good.close()


def test_an_immediately_stale_value_does_not_spin(scheduler):
    clock = FakeClock()
    calls = []

    def fetch():
        calls.append(1)
        return {"exp": clock() + 1}  # stale as soon as fetched

    e = Refreshable(
        fetch, expires_at=lambda v: v["exp"], clock=clock, background=True, scheduler=scheduler
    )
    try:
        e.get()
        time.sleep(0.5)
        assert len(calls) <= 2
    finally:
        e.close()


def test_every_engine_uses_the_process_scheduler_by_default():
    clock = FakeClock()
    source = Source(clock)
    e = Refreshable(source, expires_at=lambda v: v["exp"], clock=clock, background=True)
    try:
        e.get()
        assert shared_scheduler().serves(e)
        assert "nbauth-refresh-scheduler" in nbauth_threads()
    finally:
        e.close()
    assert not shared_scheduler().serves(e)
