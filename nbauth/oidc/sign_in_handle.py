"""What a sign-in flow hands back at once: a handle with a status, ``wait()`` and ``cancel()``.

Flows run off the calling thread (invariant 6: nothing blocks the kernel); the handle is how a
cell, a widget or a script follows them. The flow that made a handle ends it with
:meth:`SignInHandle.finish`, and a polling flow sleeps on :attr:`SignInHandle.stop_event` so that
``cancel()`` wakes it at once.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import AuthError, SignInCancelledError, SignInTimeoutError

__all__ = ["FINAL_STATUSES", "SignInHandle"]

log = logging.getLogger("nbauth.oidc")

H = TypeVar("H", bound="SignInHandle")

#: Statuses after which nothing changes any more.
FINAL_STATUSES = frozenset({"signed_in", "denied", "expired", "cancelled", "timed_out", "failed"})


class SignInHandle:
    """A pending sign-in: ``status``, ``error``, ``result``, ``wait()`` (``await
    wait_async()``) and ``cancel()``."""

    def __init__(self) -> None:
        self.status = "pending"
        self.error: AuthError | None = None
        self.result: Any = None
        self._done = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[Any], None]] = []

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def stop_event(self) -> threading.Event:
        """Set once the flow is cancelled or timed out: a polling thread waits on it."""
        return self._stop

    def on_done(self: H, callback: Callable[[H], None]) -> None:
        """Call ``callback(handle)`` once the flow ends (at once if it already has)."""
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(callback)
                return
        callback(self)

    def wait(self, timeout: float | None = None) -> Any:
        """Block until the flow ends; returns its result or raises its typed error.

        A ``timeout`` that elapses raises :class:`SignInTimeoutError`; the flow itself goes on
        (call ``wait`` again, or ``cancel``).
        """
        if not self._done.wait(timeout):
            raise SignInTimeoutError(
                f"The sign-in is still {self.status} after {timeout or 0:.0f} s.",
                "Complete it in the browser and call wait() again, or cancel() it.",
            )
        if self.error is not None:
            raise self.error
        return self.result

    async def wait_async(self, timeout: float | None = None) -> Any:
        """:meth:`wait` for code that awaits: it waits in a worker thread
        (``asyncio.to_thread``), so the event loop keeps running and is never patched.

        Example::

            handle = nbauth.sign_in_with_device_code()
            await handle.wait_async(timeout=300)
        """
        return await asyncio.to_thread(self.wait, timeout)

    def wait_done(self, timeout: float | None = None) -> bool:
        """Block until the flow ends (at most ``timeout`` seconds); whether it has. Never raises."""
        return self._done.wait(timeout)

    def cancel(self) -> None:
        """Stop the flow; ``wait`` then raises :class:`SignInCancelledError`."""
        self._stop.set()
        self.finish("cancelled", SignInCancelledError("The sign-in was cancelled."))

    def time_out(self, message: str) -> None:
        """End the flow as ``timed_out`` (``wait`` raises :class:`SignInTimeoutError`)."""
        self._stop.set()  # stops a polling thread
        self.finish("timed_out", SignInTimeoutError(message))

    def finish(self, status: str, error: AuthError | None = None, result: Any = None) -> bool:
        """For the flow: end with ``status`` and ``error`` or ``result``; ``False`` if it had ended.

        The ``on_done`` callbacks run in the calling thread; one that fails is logged.
        """
        with self._lock:
            if self._done.is_set():
                return False
            self.status, self.error, self.result = status, error, result
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback(self)
            except Exception:  # a UI callback must not break the flow
                log.exception("A sign-in callback failed")
        return True
