"""Run All: a call that needs credentials while a sign-in is pending waits for it.

The cell after the sign-in cell waits for the person to approve — visibly (``on_waiting`` is
told, so the notebook layer can show a message in the cell) and with a timeout — instead of
failing with "nobody is signed in".

The notebook layer may install a :class:`WaitingRoom` as ``on_waiting`` (an object that is also
called like the plain hook). Then it decides two more things this layer cannot know: whether a
person is about to sign in even though no sign-in was started yet (a sign-in widget is on the
page), and how to wait — a notebook must keep processing widget messages while a cell blocks,
or a click on the widget waits for the cell that waits for the click.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Protocol

__all__ = ["PendingSignIn", "SignInWaiter", "WaitingRoom"]


class PendingSignIn(Protocol):
    """What the waiter needs from a sign-in handle (device code or redirect)."""

    @property
    def done(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> object: ...

    def on_done(self, callback: Callable[[PendingSignIn], None]) -> None: ...


class WaitingRoom(Protocol):
    """A waiting hook that also knows about people (installed by the notebook layer)."""

    def __call__(self, handle: PendingSignIn | None, timeout: float) -> None: ...

    def expects_person(self) -> bool:
        """Someone is expected to sign in (a sign-in surface is on screen)."""
        ...

    def wait_until(self, done: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``done()``, up to ``timeout`` seconds; whether it became true."""
        ...


def _room(hook: object) -> WaitingRoom | None:
    if callable(getattr(hook, "expects_person", None)) and callable(
        getattr(hook, "wait_until", None)
    ):
        return hook  # type: ignore[return-value]
    return None


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

    @property
    def may_wait(self) -> bool:
        """A :class:`WaitingRoom` expects a person to sign in (a call would wait)."""
        room = _room(self.on_waiting)
        if room is None:
            return False
        try:
            return bool(room.expects_person())
        except Exception:  # a view's problem must not break credentials
            return False

    def track(self, handle: PendingSignIn) -> None:
        self._pending = handle

        def clear(done: PendingSignIn) -> None:
            if self._pending is done:
                self._pending = None

        handle.on_done(clear)

    def wait(self, signed_out: Callable[[], bool] | None = None) -> None:
        """Wait (up to ``wait_seconds``) for the pending sign-in, if there is one — or, with a
        :class:`WaitingRoom` that expects a person, until ``signed_out()`` turns false.

        Raises the sign-in's own error when it failed, and
        :class:`~nbauth.errors.SignInTimeoutError` when nobody signed in in time.
        """
        handle = self.pending
        hook = self.on_waiting
        room = _room(hook) if signed_out is not None else None
        if handle is None and (room is None or not room.expects_person()):
            return
        timeout = self.wait_seconds
        if hook is not None:
            with contextlib.suppress(Exception):  # a display problem must not break the wait
                hook(handle, timeout)  # type: ignore[arg-type]
        if room is None or signed_out is None:
            assert handle is not None
            handle.wait(timeout)
            return
        is_out = signed_out

        def done() -> bool:
            # Signed in; or nothing left to wait for (no sign-in pending, nobody expected).
            return not is_out() or (self.pending is None and not room.expects_person())

        room.wait_until(done, timeout)
        if not is_out():
            return
        if handle is not None and handle.done and room is not None and not room.expects_person():
            handle.wait(0)  # raises the sign-in's own error (denied, expired, ...)
        if self.pending is not None or room.expects_person():
            from ..errors import SignInTimeoutError

            raise SignInTimeoutError(
                f"Nobody signed in within {timeout:.0f} seconds, so this cell has no AWS "
                "credentials.",
                "Sign in with the sign-in widget above, then run this cell again.",
            )
