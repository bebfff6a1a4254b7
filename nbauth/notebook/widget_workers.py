"""The login widget's threads: actions on daemon workers (invariant 6: a click never blocks the
kernel) and the ticker that updates countdowns once a second while there is something to count.

Both share the widget's lock: an action's bookkeeping and a tick run under it, the network
calls an action makes do not.

Example::

    lock = threading.RLock()
    workers = Workers(lock, on_busy_change=render, on_error=show_error)
    workers.spawn(sign_in, busy=True)       # refused while another busy action runs
    workers.wait_idle(30)

    ticker = Ticker(lock, tick, period=1.0)  # tick() -> False when nothing is left to count
    ticker.ensure()
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["Ticker", "Workers"]

log = logging.getLogger("nbauth.notebook")

THREAD_NAME = "nbauth-login-widget"


class Workers:
    """Runs actions on daemon threads; one *busy* (person-started) action at a time.

    ``on_busy_change()`` runs (under ``lock``) when a busy action starts or ends, so the view
    can disable its buttons meanwhile; ``on_error(exc)`` (under ``lock``) is the backstop for
    an exception an action did not report itself.
    """

    def __init__(
        self,
        lock: threading.RLock,
        *,
        on_busy_change: Callable[[], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        self._lock = lock
        self._on_busy_change = on_busy_change
        self._on_error = on_error
        self._threads: set[threading.Thread] = set()
        self._busy = 0
        self._closed = False

    @property
    def busy(self) -> bool:
        """A busy action is running."""
        return self._busy > 0

    def spawn(self, target: Callable[[], None], *, busy: bool = False) -> bool:
        """Run ``target`` on a daemon worker; False (and not run) after :meth:`close`, or
        when ``busy`` and another busy action is running."""
        with self._lock:
            if self._closed or (busy and self._busy):
                return False
            if busy:
                self._busy += 1
                self._on_busy_change()
            thread = threading.Thread(
                target=self._work, args=(target, busy), name=THREAD_NAME, daemon=True
            )
            self._threads.add(thread)
        thread.start()
        return True

    def _work(self, target: Callable[[], None], busy: bool) -> None:
        try:
            target()
        except Exception as exc:  # each action reports its own errors; this is the backstop
            log.warning("Login widget action failed: %s", type(exc).__name__, exc_info=True)
            with self._lock:
                self._on_error(exc)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())
                if busy:
                    self._busy -= 1
                    if not self._closed:
                        self._on_busy_change()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until every running action has finished; False on timeout."""
        deadline = time.monotonic() + timeout
        me = threading.current_thread()
        while True:
            with self._lock:
                running = [t for t in self._threads if t.is_alive() and t is not me]
            if not running:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            running[0].join(remaining)

    def close(self) -> None:
        """Start no more actions (running ones finish)."""
        with self._lock:
            self._closed = True


class Ticker:
    """Calls ``tick()`` (under ``lock``) every ``period`` seconds on a daemon thread, while it
    returns True; :meth:`ensure` starts it again when there is something new to count."""

    def __init__(self, lock: threading.RLock, tick: Callable[[], bool], *, period: float) -> None:
        self._lock = lock
        self._tick = tick
        self._period = period
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def thread(self) -> threading.Thread | None:
        """The ticking thread while it runs (``None`` once it found nothing left to count)."""
        return self._thread

    def ensure(self) -> None:
        """Tick now, and keep ticking on a thread if there is something to count."""
        with self._lock:
            if self._stop.is_set() or (self._thread is not None and self._thread.is_alive()):
                return
            if not self._tick():
                return
            self._thread = threading.Thread(
                target=self._run, name=f"{THREAD_NAME}-ticker", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            with self._lock:
                try:
                    if self._tick():
                        continue
                except Exception:
                    log.warning("Login widget countdown failed", exc_info=True)
                if self._thread is threading.current_thread():
                    self._thread = None
                return

    def stop(self) -> None:
        """Stop ticking for good and wait (briefly) for the thread to end. Not under ``lock``:
        a tick in progress needs it to finish."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(2.0)
