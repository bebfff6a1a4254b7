"""Test doubles: a hand-driven clock, a fixed random source; threads started at once."""

from __future__ import annotations

import threading


class FakeClock:
    """A clock that only moves when told to (epoch seconds)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def fixed_random(value: float = 0.5):
    """A random() that always returns ``value``."""
    return lambda: value


def run_in_threads(count: int, target, timeout: float = 30.0) -> list:
    """Start ``count`` threads at once (behind a barrier) calling ``target()``; their results."""
    barrier = threading.Barrier(count)
    results: list = []

    def run() -> None:
        barrier.wait()
        results.append(target())

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results
