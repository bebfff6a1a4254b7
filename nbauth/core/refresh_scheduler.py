"""One background scheduler per process for every :class:`~nbauth.core.refresh.Refreshable`.

A hub service may hold a thousand sessions, each with a credentials engine and a token engine;
a thread per engine (about 50 KiB each, and a context switch per wake-up) does not scale. So one
daemon thread, ``nbauth-refresh-scheduler``, keeps a heap of due times, and a small pool of
workers (``nbauth-refresh-worker-N``, at most :data:`MAX_WORKERS`, made on demand, gone after
:data:`WORKER_IDLE_SECONDS` idle) runs the refreshes that are due, so one refresh stuck on its
network deadline does not hold up the others.

* Each engine keeps its own clock (tests inject fake ones): the scheduler asks it
  :meth:`Scheduled.seconds_until_due` and waits that long in real (monotonic) time, at most
  :data:`RECHECK_SECONDS` (so a wall clock that jumps, or a laptop that slept, is caught up).
  A fake clock never moves by itself: its engine is woken by :meth:`RefreshScheduler.wake`
  (``Refreshable.poke()``), which re-reads the clock at once.
* Heap entries are invalidated lazily: each (re)arm bumps the engine's sequence number, and a
  popped entry with an old number is dropped. An engine runs in at most one worker at a time.
* When the last engine is removed the scheduler thread ends (workers follow when idle);
  :meth:`RefreshScheduler.remove` of the last one joins them, so nothing named
  ``nbauth-refresh-*`` outlives it. The next :meth:`RefreshScheduler.add` starts them again.
* Errors are contained: an engine whose run raises is logged and re-armed after a second.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

__all__ = ["MAX_WORKERS", "RefreshScheduler", "Scheduled", "shared_scheduler"]

log = logging.getLogger("nbauth.refresh")

MAX_WORKERS = 4
WORKER_IDLE_SECONDS = 2.0
RECHECK_SECONDS = 300.0
_AFTER_ERROR_SECONDS = 1.0


class Scheduled(Protocol):
    """What the scheduler needs from an engine (``Refreshable`` is one)."""

    name: str

    def seconds_until_due(self) -> float | None:
        """How long until it should run, by its own clock; None: nothing to do."""

    def run_due(self) -> float | None:
        """Refresh if due; return how long until it should next run (as above)."""


class RefreshScheduler:
    """A heap of due times served by one thread and at most ``max_workers`` workers."""

    def __init__(
        self,
        *,
        max_workers: int = MAX_WORKERS,
        worker_idle_seconds: float = WORKER_IDLE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_workers = max(1, max_workers)
        self.worker_idle_seconds = worker_idle_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._heap_changed = threading.Condition(self._lock)
        self._work_ready = threading.Condition(self._lock)
        self._job_done = threading.Condition(self._lock)
        self._seq: dict[Scheduled, int] = {}  # the engines served, with their live entry
        self._heap: list[tuple[float, int, int, Scheduled]] = []
        self._tiebreak = itertools.count()
        self._jobs: deque[Scheduled] = deque()
        self._running: dict[Scheduled, threading.Thread | None] = {}  # queued or in a worker
        self._thread: threading.Thread | None = None
        self._workers: set[threading.Thread] = set()
        self._idle = 0
        self._names = itertools.count(1)
        #: Peak number of refreshes running at once (for tests and benchmarks).
        self.peak_workers = 0

    # -- the engines' side ----------------------------------------------------------------

    def add(self, engine: Scheduled) -> None:
        """Serve ``engine`` (again); starts the scheduler thread if needed."""
        with self._lock:
            self._seq.setdefault(engine, 0)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="nbauth-refresh-scheduler", daemon=True
                )
                self._thread.start()
            self._arm(engine, engine.seconds_until_due())

    def wake(self, engine: Scheduled) -> None:
        """Re-read ``engine``'s due time now (its value, deadlines or clock changed)."""
        with self._lock:
            if engine in self._seq and engine not in self._running:
                self._arm(engine, engine.seconds_until_due())

    def remove(self, engine: Scheduled, timeout: float = 5.0) -> None:
        """Stop serving ``engine``: no refresh of it starts after this returns. Waits (up to
        ``timeout``) for one already running; after the last engine, for the threads to end."""
        deadline = self._monotonic() + timeout
        me = threading.current_thread()
        with self._lock:
            if self._seq.pop(engine, None) is None:
                return
            if engine in self._jobs:
                self._jobs.remove(engine)
                self._running.pop(engine, None)
            while self._running.get(engine, me) is not me and engine in self._running:
                left = deadline - self._monotonic()
                if left <= 0 or not self._job_done.wait(left):
                    break
            if self._seq:
                return
            self._heap.clear()
            self._heap_changed.notify_all()
            self._work_ready.notify_all()
            threads = [t for t in (self._thread, *self._workers) if t is not None]
        for thread in threads:
            if thread is not me:
                thread.join(max(0.0, deadline - self._monotonic()))

    def serves(self, engine: Scheduled) -> bool:
        """Whether ``engine`` is served and the scheduler thread is alive."""
        with self._lock:
            thread = self._thread
            return engine in self._seq and thread is not None and thread.is_alive()

    def __len__(self) -> int:
        return len(self._seq)

    def threads(self) -> list[threading.Thread]:
        """The scheduler's live threads (scheduler first, then workers)."""
        with self._lock:
            found = [t for t in (self._thread, *self._workers) if t is not None]
        return [t for t in found if t.is_alive()]

    # -- inside (the lock is held) --------------------------------------------------------

    def _arm(self, engine: Scheduled, delay: float | None) -> None:
        seq = self._seq[engine] + 1
        self._seq[engine] = seq
        if delay is None:
            return  # nothing to do until woken (e.g. no value yet)
        due = self._monotonic() + min(max(0.0, delay), RECHECK_SECONDS)
        heapq.heappush(self._heap, (due, next(self._tiebreak), seq, engine))
        if len(self._heap) > 4 * len(self._seq) + 64:  # many re-arms: drop dead entries
            self._heap = [e for e in self._heap if self._seq.get(e[3]) == e[2]]
            heapq.heapify(self._heap)
        if self._heap[0][3] is engine:
            self._heap_changed.notify()

    def _run(self) -> None:
        with self._lock:
            while self._seq:
                now = self._monotonic()
                while self._heap and self._heap[0][0] <= now:
                    _, _, seq, engine = heapq.heappop(self._heap)
                    if self._seq.get(engine) != seq or engine in self._running:
                        continue  # re-armed since, removed, or already running
                    try:
                        delay = engine.seconds_until_due()
                    except Exception:
                        log.exception("Reading the due time of %s failed", engine.name)
                        delay = _AFTER_ERROR_SECONDS
                    if delay is not None and delay <= 0:
                        self._dispatch(engine)
                    else:
                        self._arm(engine, delay)
                timeout = self._heap[0][0] - now if self._heap else None
                self._heap_changed.wait(timeout)
            self._thread = None
            self._work_ready.notify_all()

    def _dispatch(self, engine: Scheduled) -> None:
        self._running[engine] = None
        self._jobs.append(engine)
        self._work_ready.notify()
        if len(self._jobs) > self._idle and len(self._workers) < self.max_workers:
            worker = threading.Thread(
                target=self._work, name=f"nbauth-refresh-worker-{next(self._names)}", daemon=True
            )
            self._workers.add(worker)
            worker.start()

    def _work(self) -> None:
        me = threading.current_thread()
        with self._lock:
            try:
                while True:
                    idle_until = self._monotonic() + self.worker_idle_seconds
                    while not self._jobs:
                        left = idle_until - self._monotonic()
                        if not self._seq or left <= 0:
                            return  # the scheduler stopped, or idle long enough
                        self._idle += 1
                        self._work_ready.wait(left)
                        self._idle -= 1
                    engine = self._jobs.popleft()
                    self._running[engine] = me
                    busy = sum(1 for t in self._running.values() if t is not None)
                    self.peak_workers = max(self.peak_workers, busy)
                    self._lock.release()
                    try:
                        delay = engine.run_due()
                    except Exception:
                        log.exception("Background refresh of %s crashed", engine.name)
                        delay = _AFTER_ERROR_SECONDS
                    finally:
                        self._lock.acquire()
                    del self._running[engine]
                    self._job_done.notify_all()
                    if engine in self._seq:
                        self._arm(engine, delay)
            finally:
                self._workers.discard(me)


_shared: RefreshScheduler | None = None
_shared_lock = threading.Lock()


def shared_scheduler() -> RefreshScheduler:
    """The process-wide scheduler every ``Refreshable`` uses unless given another."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = RefreshScheduler()
    return _shared
