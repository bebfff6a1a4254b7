"""When a refreshable value turns stale or expired, how failures back off, and the status
snapshot views render: the small, dependency-free parts of :mod:`nbauth.core.refresh`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..errors import DeadlineExceededError

__all__ = ["RefreshPolicy", "RefreshState", "RefreshStatus", "RefreshTimeoutError"]


@dataclass(frozen=True)
class RefreshPolicy:
    """When to refresh, and how to back off.

    ``margin_seconds`` before expiry the value turns stale (capped at half its
    lifetime, so short-lived values still get a useful fresh period), earlier by a
    random share, drawn per refresh, of up to half the time until then (at least up
    to ``jitter_seconds``; 0 turns the spread off), so that sessions that start
    together — a hub restart — don't refresh together for ever.
    ``expiry_skew_seconds`` before expiry it counts as expired (capped at a
    tenth of its lifetime). Failed refreshes wait ``backoff_base_seconds`` *
    2ⁿ (at most ``backoff_max_seconds``), scaled by a random factor in [0.5, 1).
    """

    margin_seconds: float = 300.0
    jitter_seconds: float = 30.0
    expiry_skew_seconds: float = 10.0
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 60.0
    #: The longest a caller without a usable value waits for a refresh another thread runs
    #: (each network call of a refresh has its own total deadline, so this is a backstop).
    wait_seconds: float = 90.0

    def backoff(self, failures: int, rnd: float) -> float:
        delay = min(self.backoff_max_seconds, self.backoff_base_seconds * 2.0 ** (failures - 1))
        return delay * (0.5 + rnd / 2)


class RefreshTimeoutError(DeadlineExceededError):
    """A caller waited :attr:`RefreshPolicy.wait_seconds` for a refresh that did not finish."""

    default_recovery = (
        "The service is slow to answer; the refresh goes on in the background. Try again soon."
    )


class RefreshState(str, Enum):
    """Where a :class:`Refreshable` is in its life (a ``str``, so ``state == "fresh"`` works)."""

    EMPTY = "empty"
    FRESH = "fresh"
    STALE = "stale"
    EXPIRED = "expired"

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True)
class RefreshStatus:
    """A snapshot of a :class:`Refreshable`, for views and tests; holds no value (no secret).

    Times are epoch seconds of the engine's clock; ``last_error`` is the error's name.
    """

    name: str
    state: RefreshState
    refresh_at: float
    usable_until: float
    last_refreshed_at: float | None
    failures: int
    retry_at: float
    last_error: str | None
    timer_running: bool
