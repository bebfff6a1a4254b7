"""Test doubles shared by the unit tests: a hand-driven clock, a fixed random source."""

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
