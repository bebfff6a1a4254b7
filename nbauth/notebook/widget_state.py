"""What every panel of the login widget shares: which panel shows (the ``mode``), the sign-in
attempt that is current, the sign-ins the widget started, the lock, the worker threads and the
countdown ticker.

The panels (:mod:`.widget_device_code`, :mod:`.widget_redirect`, :mod:`.widget_user_pool`,
:mod:`.widget_status_panel`) receive one :class:`WidgetState` and change the view through it.
An ``attempt`` number drops the late answers of a sign-in the person has already moved on from:
each new sign-in (and each reset) takes the next number, and an answer for an older one is
ignored.

Example::

    state = WidgetState(auth, layout, clock=time.time, tick_seconds=1.0)
    attempt = state.next_attempt()        # a new sign-in
    ...                                   # later, on a worker thread
    with state.lock:
        if state.is_current(attempt):     # not cancelled, nor replaced by another one
            state.mode = "device"
            state.render()
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import widget_html as view
from .widget_workers import Ticker, Workers

if TYPE_CHECKING:
    from ..auth import Auth
    from .widget_layout import LoginLayout

__all__ = ["MODES", "WidgetState"]

#: What the widget can show.
MODES = ("sign_in", "device", "browser", "challenge", "signed_in")


class WidgetState:
    """The login widget's shared state; see the module docstring.

    Attributes (read and written under ``lock``):
        mode: one of :data:`MODES`.
        attempt: the current sign-in attempt's number.
        closed: the widget was closed.
        device_handle, redirect_handle: the device-code / browser sign-in shown (or shown
            last); Python attributes only, never a widget trait.
        next_step: the pending user-pool step (Amplify's ``next_step``), or None.
        last_error: the last error shown.
        answer_input: which input the pending user-pool step needs (``"code"``, ``"secret"``,
            ``"choice"`` or None).
        countdowns: ``tick(now) -> bool`` functions the ticker calls; each says whether it
            still has something to count.
    """

    def __init__(
        self,
        auth: Auth,
        layout: LoginLayout,
        *,
        clock: Callable[[], float],
        tick_seconds: float,
    ) -> None:
        self.auth = auth
        self.layout = layout
        self.clock = clock
        self.lock = threading.RLock()
        self.mode = "sign_in"
        self.attempt = 0
        self.closed = False
        self.device_handle: Any = None
        self.redirect_handle: Any = None
        self.next_step: dict[str, Any] | None = None
        self.last_error: BaseException | None = None
        self.answer_input: str | None = None
        self.countdowns: list[Callable[[float], bool]] = []
        self._owned: list[Any] = []  # sign-ins this widget started (close() cancels them)
        self.workers = Workers(
            self.lock, on_busy_change=self._on_busy_change, on_error=self.show_error
        )
        self.ticker = Ticker(self.lock, self.tick, period=tick_seconds)

    # -- attempts ---------------------------------------------------------------------------

    def next_attempt(self) -> int:
        """Start a new attempt; answers for the older ones are ignored from now on."""
        with self.lock:
            self.attempt += 1
            return self.attempt

    def is_current(self, attempt: int) -> bool:
        """``attempt`` is still the one shown, and the widget is open."""
        return attempt == self.attempt and not self.closed

    def ready(self) -> bool:
        """No other action is running (buttons are disabled meanwhile; this guards clicks
        made from code) and the widget is open."""
        return not self.closed and not self.workers.busy

    def own(self, handle: Any) -> None:
        """Remember a sign-in this widget started (close() cancels it if still pending)."""
        with self.lock:
            self._owned = [h for h in self._owned if not h.done] + [handle]

    def close(self) -> list[Any]:
        """Mark the widget closed; returns the sign-ins it started that are still pending."""
        with self.lock:
            self.closed = True
            self.attempt += 1
            pending = [h for h in self._owned if not h.done]
            self._owned.clear()
        self.workers.close()
        return pending

    # -- the view ---------------------------------------------------------------------------

    def render(self) -> None:
        """Show what the mode needs; enable what can be used now (under ``lock``)."""
        self.layout.render(
            self.mode,
            self.layout.selected_provider,
            busy=self.workers.busy,
            answer_input=self.answer_input,
            federated=self.auth.state == "federated",
        )

    def _on_busy_change(self) -> None:
        if not self.closed:
            self.render()

    def set_status(self, text: str, kind: str = "info", detail: str | None = None) -> None:
        self.layout.set_status(text, kind, detail)

    def show_error(self, error: BaseException | None, prefix: str = "") -> None:
        """Show ``error`` (its name, message and recovery suggestion) on the status line."""
        if error is None:
            return
        self.last_error = error
        text, recovery = view.error_text(error)
        self.set_status(prefix + text, "error", recovery)

    def show_outcome(self, handle: Any) -> None:
        """A device-code or redirect sign-in ended (call under ``lock``): back to the sign-in
        form saying why, unless it succeeded (then the ``signedIn`` event switches the view)."""
        if handle.status == "cancelled":
            self.mode = "sign_in"
            self.set_status("Sign-in cancelled.", "muted")
        elif handle.status != "signed_in":
            self.mode = "sign_in"
            self.show_error(handle.error)
        self.render()

    @staticmethod
    def cancel_or_reset(handle: Any, reset: Callable[[str], None]) -> None:
        """Cancel a pending sign-in (its end resets the view), or just reset the view."""
        if handle is not None and not handle.done:
            handle.cancel()  # the on_done callback resets the view
        else:
            reset("Sign-in cancelled.")

    def set_next_step(self, step: dict[str, Any] | None, answer_input: str | None = None) -> None:
        """The pending user-pool step and the input its answer goes in (None: no step)."""
        self.next_step = step
        self.answer_input = answer_input if step is not None else None

    def clear_prompts(self) -> None:
        """Invariant 1: every prompt and typed answer goes as soon as a sign-in ends."""
        self.layout.clear_prompts()
        self.set_next_step(None)

    def failed(self, error: BaseException, attempt: int) -> None:
        """A sign-in step failed: back to the sign-in view with the error."""
        with self.lock:
            if not self.is_current(attempt):
                return
            self.mode = "sign_in"
            self.set_next_step(None)
            self.layout.challenge_prompt.value = ""
            self.show_error(error)
            self.render()

    # -- countdowns -------------------------------------------------------------------------

    def tick(self) -> bool:
        """Update the countdowns (under ``lock``); False when there is nothing to count."""
        if self.closed:
            return False
        now = self.clock()
        active = False
        for countdown in self.countdowns:
            active = countdown(now) or active
        return active
