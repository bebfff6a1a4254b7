"""The refresh engine: one small state machine, fresh → stale → expired.

A :class:`Refreshable` holds one value with an expiry (AWS credentials, or
tokens) and a ``fetch`` function that gets a new one.

* **fresh** (before ``refresh_at``): ``get()`` returns the value; no locks,
  one clock read.
* **stale** (between ``refresh_at`` and ``usable_until``): ``get()`` still
  returns the value; one caller (or the background timer) refreshes it while
  the others keep using it; a failed refresh is logged, backs off, and the
  stale value keeps serving.
* **expired** (past ``usable_until``, a few seconds before the real expiry so
  that a signed request never carries dead credentials): ``get()`` blocks for
  a refresh — one network call however many threads ask — and raises if it
  fails. An expired value is never handed out.

Failures back off exponentially with jitter. ``clock`` and ``random`` are
injectable so tests drive time by hand; :meth:`tick` is one step of the
background timer, callable directly from tests.

Refresh times are spread: a value turns stale ``margin`` before its expiry,
minus a random part of its remaining fresh time (up to half of it, drawn per
refresh; at least ``jitter_seconds`` capped at a tenth of its lifetime;
``jitter_seconds=0`` turns the spreading off). A fixed jitter of 30 s left a
thousand sessions that signed in (or resumed after a hub restart) at the same
instant refreshing within the same 30 s every hour; spreading over half the
period costs about a third more refreshes and flattens the load
(``benchmarks/bench_hub_scale.py``).

With ``background=True`` the engine is served by the process's one
:class:`~nbauth.core.refresh_scheduler.RefreshScheduler` (one thread and a few
workers for every engine); a fake clock moves it only through :meth:`poke`.

Example::

    engine = Refreshable(fetch=get_credentials, expires_at=lambda c: c.expires_at)
    creds = engine.get()
"""

from __future__ import annotations

import logging
import random as _random
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from .refresh_policy import RefreshPolicy, RefreshState, RefreshStatus, RefreshTimeoutError
from .refresh_scheduler import RefreshScheduler, shared_scheduler

__all__ = [
    "RefreshPolicy",
    "RefreshState",
    "RefreshStatus",
    "RefreshTimeoutError",
    "Refreshable",
]

log = logging.getLogger("nbauth.refresh")

T = TypeVar("T")

_NEVER = float("inf")
#: The share of a value's fresh time (expiry - margin - now) that the refresh point may move
#: earlier by, drawn per refresh: a burst of sessions spreads over the whole next period.
_SPREAD = 0.5
#: Least real time between two background runs of an engine whose new value is stale at once.
_NO_SPIN_SECONDS = 1.0


class Refreshable(Generic[T]):
    """A value that refreshes itself ahead of expiry; see the module docstring."""

    def __init__(
        self,
        fetch: Callable[[], T | None],
        *,
        expires_at: Callable[[T], float | None],
        policy: RefreshPolicy | None = None,
        clock: Callable[[], float] = time.time,
        random: Callable[[], float] = _random.random,
        on_refreshed: Callable[[T], None] | None = None,
        on_failed: Callable[[BaseException], None] | None = None,
        name: str = "value",
        background: bool = False,
        scheduler: RefreshScheduler | None = None,
    ) -> None:
        self._fetch = fetch
        self._expires_at = expires_at
        self.policy = policy or RefreshPolicy()
        self.clock = clock
        self._random = random
        self._on_refreshed = on_refreshed
        self._on_failed = on_failed
        self.name = name
        self._background = background

        self._value: T | None = None
        self.refresh_at = 0.0  # read without a lock on the fast path; 0 = must fetch
        self.usable_until = 0.0
        self.last_refreshed_at: float | None = None
        self.failures = 0
        self.retry_at = 0.0
        self.last_error: BaseException | None = None

        self._state_lock = threading.Lock()
        self._flight = threading.Lock()  # single flight: one fetch at a time
        self._completed = 0  # finished fetches (success or failure), for single flight
        self._generation = 0
        self._stopped = False
        self._timer_lock = threading.Lock()  # orders close() with a refresh that re-arms
        self._scheduler = scheduler if scheduler is not None else shared_scheduler()

    # -- reading -------------------------------------------------------------------------

    def get(self, *, force: bool = False) -> T | None:
        """The current value, refreshing first if it is expired (or ``force``)."""
        if not force and self.clock() < self.refresh_at:
            return self._value
        return self._get_slow(force)

    def peek(self) -> T | None:
        """The current value if it is still usable, without any refresh."""
        value = self._value
        if value is not None and self.clock() < self.usable_until:
            return value
        return None

    def latest(self) -> T | None:
        """The value held now, even if expired (e.g. the previous tokens a refresh builds on)."""
        return self._value

    @property
    def state(self) -> RefreshState:
        """:class:`RefreshState`: empty, fresh, stale or expired."""
        if self._value is None:
            return RefreshState.EMPTY
        now = self.clock()
        if now < self.refresh_at:
            return RefreshState.FRESH
        return RefreshState.STALE if now < self.usable_until else RefreshState.EXPIRED

    def status(self) -> RefreshStatus:
        """A frozen snapshot of the engine (state, deadlines, failures); no value in it."""
        with self._state_lock:
            error = self.last_error
            return RefreshStatus(
                name=self.name,
                state=self.state,
                refresh_at=self.refresh_at,
                usable_until=self.usable_until,
                last_refreshed_at=self.last_refreshed_at,
                failures=self.failures,
                retry_at=self.retry_at,
                last_error=None if error is None else getattr(error, "name", type(error).__name__),
                timer_running=self.timer_running,
            )

    def _get_slow(self, force: bool) -> T | None:
        now = self.clock()
        value = self._value
        if not force and value is not None and now < self.usable_until:
            # Stale: with a background timer, hand it the refresh and answer at once;
            # without one, refresh here if nobody else is and we're not backing off.
            if self.timer_running:
                self._scheduler.wake(self)
                return value
            generation = self._generation
            if now >= self.retry_at and self._flight.acquire(blocking=False):
                try:
                    self._refresh_in_flight(raise_errors=False)
                finally:
                    self._flight.release()
            if self._generation != generation:
                return self._value  # reset while refreshing (e.g. revoked): hand out nothing old
            current = self._value
            return current if current is not None and self.clock() < self.usable_until else value
        # Empty, expired or forced: everyone waits for one refresh.
        if not force and now < self.retry_at and self.last_error is not None:
            raise self.last_error  # backing off: don't hammer a failing service
        seen = self._completed
        if not self._flight.acquire(timeout=self.policy.wait_seconds):
            raise RefreshTimeoutError(
                f"Refreshing {self.name} is taking longer than {self.policy.wait_seconds:g} s.",
            )
        try:
            current = self._value
            usable = current is not None and self.clock() < self.usable_until
            if self._completed != seen:
                # A refresh finished while we waited: share its outcome.
                if usable:
                    return current
                if self.last_error is not None:
                    raise self.last_error
            elif usable and not force:
                return current
            self._refresh_in_flight(raise_errors=True)
            return self._value
        finally:
            self._flight.release()

    # -- refreshing ----------------------------------------------------------------------

    def _refresh_in_flight(self, *, raise_errors: bool) -> None:
        """Fetch once; the caller holds ``_flight``."""
        generation = self._generation
        try:
            value = self._fetch()
        except BaseException as exc:
            self._completed += 1
            with self._state_lock:
                if generation == self._generation:
                    self.failures += 1
                    self.last_error = exc
                    self.retry_at = self.clock() + self.policy.backoff(
                        self.failures, self._random()
                    )
            log.warning(
                "Refreshing %s failed (%s); attempt %d",
                self.name,
                type(exc).__name__,
                self.failures,
            )
            if self._on_failed is not None and generation == self._generation:
                self._call_hook(self._on_failed, exc)
            if raise_errors:
                raise
            return
        self._completed += 1
        if self._store(value, generation) and value is not None and self._on_refreshed:
            self._call_hook(self._on_refreshed, value)

    def _store(self, value: T | None, generation: int) -> bool:
        now = self.clock()
        with self._state_lock:
            if generation != self._generation:
                return False  # reset() happened while we fetched: drop the result
            self.failures = 0
            self.retry_at = 0.0
            self.last_error = None
            self.last_refreshed_at = now
            self._value = value
            if value is None:
                self.refresh_at, self.usable_until = _NEVER, _NEVER
            else:
                self.refresh_at, self.usable_until = self._deadlines(value, now)
        if value is not None:
            self._ensure_timer()
        return True

    def _deadlines(self, value: T, now: float) -> tuple[float, float]:
        expiry = self._expires_at(value)
        if expiry is None:
            return _NEVER, _NEVER
        lifetime = max(0.0, expiry - now)
        p = self.policy
        usable_until = expiry - min(p.expiry_skew_seconds, lifetime * 0.1)
        margin = min(p.margin_seconds, lifetime * 0.5)
        latest = expiry - margin
        spread = 0.0
        if p.jitter_seconds > 0:
            spread = max(min(p.jitter_seconds, lifetime * 0.1), (latest - now) * _SPREAD)
        return max(now, latest - spread * self._random()), usable_until

    def set(self, value: T | None) -> None:
        """Install a value obtained elsewhere (e.g. by an explicit federation call)."""
        with self._flight:
            self._completed += 1
            self._store(value, self._generation)

    def mark_stale(self) -> None:
        """Refresh soon, keeping the value usable meanwhile (e.g. its inputs changed)."""
        with self._state_lock:
            if self._value is not None:
                self.refresh_at = 0.0
        self._scheduler.wake(self)

    def reset(self) -> None:
        """Forget the value; a fetch in flight will not store its result."""
        with self._state_lock:
            self._generation += 1
            self._value = None
            self.refresh_at = 0.0
            self.usable_until = 0.0
            self.failures = 0
            self.retry_at = 0.0
            self.last_error = None
        self._scheduler.wake(self)

    def _call_hook(self, hook: Callable[..., None], arg: object) -> None:
        try:
            hook(arg)
        except Exception:
            log.exception("A %s refresh hook failed", self.name)

    # -- background timer ----------------------------------------------------------------

    def next_due(self) -> float | None:
        """When the timer should next act: the refresh time, or the retry time after failures."""
        if self._value is None:
            return None
        if self.failures:
            return max(self.refresh_at, self.retry_at)
        return self.refresh_at

    def tick(self) -> bool:
        """One step of the background timer: refresh if due. Returns whether it refreshed."""
        due = self.next_due()
        if due is None or self.clock() < due:
            return False
        if not self._flight.acquire(blocking=False):
            return False
        try:
            before = self.last_refreshed_at
            self._refresh_in_flight(raise_errors=False)
            return self.last_refreshed_at != before
        finally:
            self._flight.release()

    def seconds_until_due(self) -> float | None:
        """How long until :meth:`next_due`, by this engine's clock (for the scheduler)."""
        due = self.next_due()
        return None if due is None else due - self.clock()

    def run_due(self) -> float | None:
        """One background run (the scheduler calls it): :meth:`tick`, then how long until the
        next one."""
        if self._stopped:
            return None
        self.tick()
        delay = self.seconds_until_due()
        if delay is not None and delay <= 0 and self.failures == 0:
            # Fetched a value that is immediately stale (or another caller holds the
            # refresh): don't spin.
            return _NO_SPIN_SECONDS
        return delay

    def poke(self) -> None:
        """Wake the timer so it re-reads the clock (tests with a fake clock call this)."""
        self._scheduler.wake(self)

    def _ensure_timer(self) -> None:
        with self._timer_lock:
            if self._background and not self._stopped:
                self._scheduler.add(self)

    def resume(self) -> None:
        """Undo :meth:`close`: the background timer runs again (if there is a value)."""
        with self._timer_lock:
            self._stopped = False
        if self._value is not None:
            self._ensure_timer()

    @property
    def timer_running(self) -> bool:
        """Whether the process's refresh scheduler serves this engine."""
        return self._scheduler.serves(self)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the background refresh of this engine (the value stays readable; the other
        engines go on). A refresh already running is waited for, up to ``timeout``."""
        with self._timer_lock:
            self._stopped = True
        self._scheduler.remove(self, timeout)
