"""Run All: a call that needs credentials while a sign-in is pending waits for it.

The cell after the sign-in cell waits for the person to approve — visibly (``on_waiting`` is
told, so the notebook layer can show a message in the cell) and with a timeout — instead of
failing with "nobody is signed in".
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Protocol

__all__ = ["PendingSignIn", "SignInWaiter"]


class PendingSignIn(Protocol):
    """What the waiter needs from a sign-in handle (device code or redirect)."""

    @property
    def done(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> object: ...

    def on_done(self, callback: Callable[[PendingSignIn], None]) -> None: ...


class SignInWaiter:
    """Tracks the sign-in in progress and lets credential calls wait for it."""

    def __init__(self) -> None:
        self._pending: PendingSignIn | None = None
        #: How long a call needing credentials waits for a pending sign-in (seconds).
        self.wait_seconds = 300.0
        #: Called as ``(handle, timeout)`` when such a call starts waiting.
        self.on_waiting: Callable[[PendingSignIn, float], None] | None = None

    @property
    def pending(self) -> PendingSignIn | None:
        """The sign-in in progress, if any."""
        handle = self._pending
        return handle if handle is not None and not handle.done else None

    def track(self, handle: PendingSignIn) -> None:
        self._pending = handle

        def clear(done: PendingSignIn) -> None:
            if self._pending is done:
                self._pending = None

        handle.on_done(clear)

    def wait(self) -> None:
        """Wait (up to ``wait_seconds``) for the pending sign-in, if there is one."""
        handle = self.pending
        if handle is None:
            return
        timeout = self.wait_seconds
        if self.on_waiting is not None:
            with contextlib.suppress(Exception):  # a display problem must not break the wait
                self.on_waiting(handle, timeout)
        handle.wait(timeout)
