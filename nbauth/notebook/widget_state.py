"""What every flow of the login widget shares: the lock, the sign-in attempt that is current,
the sign-ins the widget started, the worker threads, and the two ways to reach the front-end.

**Public view state** (synced traits, saved with the notebook): which panel shows, busy, a
progress line, the error in words. **Ephemeral data** (the device code's user code and link,
the authorization URL, the TOTP secret and its QR code) goes to the front-end only as custom
messages (:meth:`WidgetState.send_secret`), is kept here so a re-rendered front-end gets it
again on ``hello``, and is dropped — with a ``clear`` message — when its step ends.

An ``attempt`` number drops the late answers of a sign-in the person has already moved on from:
each new sign-in (and each reset) takes the next number, and an answer for an older one is
ignored.

Example::

    state = WidgetState(auth, widget, clock=time.time)
    attempt = state.next_attempt()
    ...                                   # later, on a worker thread
    with state.lock:
        if state.is_current(attempt):
            state.set_view("device")
            state.send_secret("device", {"user_code": "WDJB-MJHT", ...})
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .error_messages import describe
from .widget_workers import Workers

if TYPE_CHECKING:
    from ..auth import Auth
    from .widget import LoginWidget

__all__ = ["VIEWS", "WidgetState"]

#: The panels the widget can show.
VIEWS = ("sign_in", "device", "browser", "challenge", "signed_in")


class WidgetState:
    """The login widget's shared state; see the module docstring.

    Attributes (read and written under ``lock``): ``attempt``, ``closed``,
    ``device_handle`` / ``redirect_handle`` (the sign-in shown, or shown last; Python
    attributes only), ``next_step`` (the pending user-pool step), ``last_error``, and
    ``ephemeral`` (what the front-end holds in memory only: kind → message).
    """

    def __init__(self, auth: Auth, widget: LoginWidget, *, clock: Callable[[], float]) -> None:
        self.auth = auth
        self.widget = widget
        self.clock = clock
        self.lock = threading.RLock()
        self.attempt = 0
        self.closed = False
        self.device_handle: Any = None
        self.redirect_handle: Any = None
        self.next_step: dict[str, Any] | None = None
        self.last_error: BaseException | None = None
        self.ephemeral: dict[str, dict[str, Any]] = {}
        self._owned: list[Any] = []  # sign-ins this widget started (close() cancels them)
        self.workers = Workers(
            self.lock, on_busy_change=self._on_busy_change, on_error=self.show_error
        )

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
        """No other action is running and the widget is open (buttons are disabled while
        busy; this guards messages sent meanwhile)."""
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
            self.ephemeral.clear()
        self.workers.close()
        return pending

    # -- the public view --------------------------------------------------------------------

    @property
    def view(self) -> str:
        """The panel shown (one of :data:`VIEWS`)."""
        return str(self.widget.view)

    def set_view(self, view: str) -> None:
        """Show ``view`` (a new panel: an old error no longer applies to it)."""
        if view != self.widget.view:
            self.clear_error()
        self.widget.view = view

    def notice(self, text: str, kind: str = "muted") -> None:
        """The progress line (``kind``: muted, info, ok, warn)."""
        self.widget.notice = {"text": text, "kind": kind} if text else {}

    def show_error(self, error: BaseException | None) -> None:
        """Show ``error`` in words (:func:`~nbauth.notebook.error_messages.describe`)."""
        if error is None:
            return
        self.last_error = error
        words = describe(error)
        self.widget.notice = {}
        self.widget.error = {
            "title": words.title,
            "advice": words.advice,
            "details": words.details,
            "seq": self.widget.error.get("seq", 0) + 1,  # the same error twice still refocuses
        }

    def warn(self, title: str, advice: str = "") -> None:
        """A problem with what was typed (no exception behind it)."""
        self.widget.notice = {}
        self.widget.error = {
            "title": title,
            "advice": advice,
            "details": "",
            "seq": self.widget.error.get("seq", 0) + 1,
        }

    def clear_error(self) -> None:
        self.widget.error = {}

    def _on_busy_change(self) -> None:
        if not self.closed:
            self.widget.busy = self.workers.busy

    # -- ephemeral data: messages only ------------------------------------------------------

    def send_secret(self, kind: str, content: dict[str, Any]) -> None:
        """Send ``content`` to the front-end as a custom message (never a trait) and keep it
        for a front-end that renders later (``hello``)."""
        message = {"type": kind, **content}
        self.ephemeral[kind] = message
        self.widget.send_message(message)

    def drop_secret(self, kind: str) -> None:
        """The step that showed ``kind`` ended: the front-end removes it from the DOM."""
        if self.ephemeral.pop(kind, None) is not None:
            self.widget.send_message({"type": "clear", "what": kind})

    def drop_all_secrets(self) -> None:
        for kind in list(self.ephemeral):
            self.drop_secret(kind)

    # -- endings ----------------------------------------------------------------------------

    def show_outcome(self, handle: Any) -> None:
        """A device-code or redirect sign-in ended (call under ``lock``): back to the sign-in
        panel saying why, unless it succeeded (the ``signedIn`` event switches the view)."""
        if handle.status == "cancelled":
            self.set_view("sign_in")
            self.notice("Sign-in cancelled.")
        elif handle.status != "signed_in":
            self.set_view("sign_in")
            self.show_error(handle.error)

    @staticmethod
    def cancel_or_reset(handle: Any, reset: Callable[[str], None]) -> None:
        """Cancel a pending sign-in (its end resets the view), or just reset the view."""
        if handle is not None and not handle.done:
            handle.cancel()  # the on_done callback resets the view
        else:
            reset("Sign-in cancelled.")

    def failed(self, error: BaseException, attempt: int) -> None:
        """A sign-in step failed for good: back to the sign-in panel with the error."""
        with self.lock:
            if not self.is_current(attempt):
                return
            self.next_step = None
            self.widget.step = {}
            self.drop_all_secrets()
            self.set_view("sign_in")
            self.show_error(error)
