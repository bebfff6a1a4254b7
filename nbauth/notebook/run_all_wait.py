"""Run All with a sign-in widget on the page: a cell that needs credentials waits for the
person, visibly, while the widget keeps working.

The auth layer's :class:`~nbauth.auth.sign_in_waiter.SignInWaiter` calls
``Auth.on_waiting_for_sign_in``; :class:`RunAllWait` is the notebook layer's hook. It adds
what the auth layer cannot know:

* **whether to wait at all** — a call needing credentials while nobody is signed in waits when
  a sign-in is pending *or* an open :class:`~nbauth.notebook.widget.LoginWidget` of that
  ``Auth`` was displayed and a front-end answered it (``allow_guest=True`` on the widget, or no
  widget on the page, keeps the old behaviour: guest credentials when the pool allows them).
  A widget whose front-end has not said hello within 5 s of being displayed (a headless
  nbclient run) is not waited for;
* **how to wait** — a running cell blocks the kernel's message loop, so the widget's clicks
  and typing queue until the cell ends. The waiting cell therefore starts the widget's
  device-code sign-in itself, as the design allows: the widget shows the code and the link
  (kernel → front-end messages and heartbeats flow while a cell runs) and the person only
  approves. (Processing widget messages from inside the cell — ``jupyter_ui_poll`` — needs
  kernel internals that ipykernel 7 changed: it disables the kernel's dispatch lock, and on
  ipykernel 7.4 it silently processes nothing. nbauth does not patch the kernel.) When the
  widget offers no provider with a device flow (a user pool only: a password must be typed),
  the cell says at once how to go on instead of waiting for input that cannot arrive;
* **what the cell shows** — "Waiting for sign-in: …" with a countdown updated every
  second, replaced by the outcome; never a code or a link (those stay in the widget).

Example::

    install(auth)          # LoginWidget() does it; %load_ext nbauth does it for its Auth
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..auth import Auth

__all__ = ["RunAllWait", "install", "waiting_text"]

#: What the cell says when the widget can only take typed input (which waits for the cell).
NO_DEVICE_FLOW = (
    "Sign in with the widget above first: while cells run it cannot take a password. "
    "Then run this cell (or the ones below) again."
)


def waiting_text(seconds_left: float, *, widget: bool) -> str:
    """The waiting line of the cell.

    Example::

        >>> waiting_text(75, widget=True).endswith("(times out in 01:15).")
        True
    """
    left = max(0, int(seconds_left))
    where = "sign in with the widget above" if widget else "finish the sign-in started above"
    return (
        f"Waiting for sign-in: {where}; this cell continues then "
        f"(times out in {left // 60:02d}:{left % 60:02d})."
    )


class RunAllWait:
    """``Auth.on_waiting_for_sign_in`` for notebooks; see the module docstring.

    ``on_start(handle)`` is told when a wait starts (the extension cancels that sign-in if the
    kernel is interrupted meanwhile); ``poll_interval`` is how often the cell looks again.
    """

    def __init__(
        self,
        auth: Auth,
        *,
        on_start: Callable[[Any], None] | None = None,
        poll_interval: float = 0.1,
    ) -> None:
        self.auth = auth
        self.on_start = on_start
        self.poll_interval = poll_interval
        self._display: Any = None
        self._widget_wait = False

    # -- the SignInWaiter's plain hook --------------------------------------------------------

    def __call__(self, handle: Any, timeout: float) -> None:
        """A call started waiting (for ``handle``, or for a person when it is None)."""
        if self.on_start is not None:
            self.on_start(handle)
        self._widget_wait = bool(self._widgets())
        self._display = _show(waiting_text(timeout, widget=self._widget_wait), "warning")

    # -- WaitingRoom --------------------------------------------------------------------------

    def expects_person(self) -> bool:
        """An open, displayed widget of this Auth expects a sign-in (see the module
        docstring). A front-end's hello cannot arrive while a cell runs (Run All queues the
        cells before it), so a displayed widget is enough."""
        return any(w.expects_sign_in(None) for w in self._widgets())

    def _start_for_person(self) -> bool:
        """The widget's clicks would wait for this cell, so the cell starts the widget's
        device-code sign-in itself — the person only opens the link the widget shows. False
        when nothing is pending and no widget can start one (a user pool only)."""
        if self.auth.pending_sign_in is not None:
            return True
        return any(
            widget.expects_sign_in(None) and widget.start_for_waiting_cell()
            for widget in self._widgets()
        )

    def wait_until(self, done: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``done()`` (up to ``timeout`` s), counting down in the cell; whether
        ``done()`` became true."""
        deadline = time.monotonic() + timeout
        if not done() and not self._start_for_person():
            _update(self._display, NO_DEVICE_FLOW, "error")
            self._display = None
            return False
        shown = -1
        finished = False
        while True:
            if done():
                finished = True
                break
            left = deadline - time.monotonic()
            if left <= 0:
                break
            if int(left) != shown:
                shown = int(left)
                _update(self._display, waiting_text(left, widget=self._widget_wait), "warning")
            time.sleep(self.poll_interval)
        self._finish(finished)
        return finished

    def _finish(self, finished: bool) -> None:
        status = self.auth.status()
        if finished and status.state.value in ("signed_in", "federated"):
            who = f" as {status.username}" if status.username else ""
            _update(self._display, f"Signed in{who} — continuing.", "success")
        elif finished:
            _update(self._display, "No sign-in to wait for — continuing.", "info")
        else:
            _update(self._display, "Nobody signed in in time.", "error")
        self._display = None

    def _widgets(self) -> list[Any]:
        from .widget import live_widgets

        return live_widgets(self.auth)


def install(auth: Auth, *, on_start: Callable[[Any], None] | None = None) -> RunAllWait:
    """Make ``auth``'s credential calls wait through a :class:`RunAllWait` (keeps one that is
    there; replaces a plain hook, e.g. the extension's older one)."""
    hook = auth.on_waiting_for_sign_in
    if isinstance(hook, RunAllWait):
        if on_start is not None:
            hook.on_start = on_start
        return hook
    room = RunAllWait(auth, on_start=on_start)
    auth.on_waiting_for_sign_in = room
    return room


def _kernel_shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return shell if getattr(shell, "kernel", None) is not None else None


_COLOURS = {
    "warning": "var(--jp-warn-color1, inherit)",
    "success": "var(--jp-success-color1, inherit)",
    "error": "var(--jp-error-color1, inherit)",
    "info": "var(--jp-ui-font-color1, inherit)",
}


def _bundle(text: str, level: str) -> dict[str, str]:
    import html

    colour = _COLOURS.get(level, _COLOURS["info"])
    return {
        "text/plain": text,
        "text/html": f'<div style="color:{colour};line-height:1.4">{html.escape(text)}</div>',
    }


def _show(text: str, level: str) -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    if get_ipython() is None:
        return None
    from IPython.display import display

    return display(_bundle(text, level), raw=True, display_id=True)


def _update(display: Any, text: str, level: str) -> None:
    if display is not None:
        with contextlib.suppress(Exception):
            display.update(_bundle(text, level), raw=True)
