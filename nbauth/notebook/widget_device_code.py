"""The login widget's device-code panel (RFC 8628): start the sign-in, show the user code and
the link to approve it with a live countdown, and clear that prompt the moment the sign-in ends
(invariant 1: the user code is shown on purpose, but never left in a saved notebook). The
device code itself stays in the handle, a Python object; it never reaches a widget.

Example::

    panel = DeviceCodePanel(state, status_panel)
    layout.device_button.on_click(panel.start)
    layout.cancel_button.on_click(panel.cancel)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import widget_html as view

if TYPE_CHECKING:
    from .widget_state import WidgetState
    from .widget_status_panel import StatusPanel

__all__ = ["DeviceCodePanel"]


class DeviceCodePanel:
    """Device-code sign-in for :class:`~nbauth.notebook.widget.LoginWidget`; registers its
    countdown with ``state``."""

    def __init__(self, state: WidgetState, account: StatusPanel) -> None:
        self.state = state
        self.auth = state.auth
        self.layout = state.layout
        self.account = account
        state.countdowns.append(self.tick)

    def start(self, _button: Any = None) -> None:
        """Start a device-code sign-in with the picked provider (on a worker thread)."""
        state = self.state
        option = self.layout.selected_provider
        if option.kind != "oidc" or not state.ready():
            return
        attempt = state.next_attempt()

        def start() -> None:
            try:
                handle = self.auth.sign_in_with_device_code(provider=option.name)
            except Exception as exc:
                state.failed(exc, attempt)
                return
            with state.lock:
                if not state.is_current(attempt):
                    handle.cancel()
                    return
                state.own(handle)
                self.show(handle, attempt)

        with state.lock:
            state.set_status("Starting the device-code sign-in…", "muted")
        state.workers.spawn(start, busy=True)

    def show(self, handle: Any, attempt: int) -> None:
        """Show ``handle``'s user code and link (also one started elsewhere: a cell, a
        magic) and follow it to its end."""
        state = self.state
        with state.lock:
            state.device_handle = handle
            state.mode = "device"
            self.layout.user_code.value = view.device_prompt_html(
                handle.user_code, device_link(handle)
            )
            self.layout.status.value = ""  # the countdown line says what is going on
            state.render()
        handle.on_done(lambda h: self._done(h, attempt))
        state.ticker.ensure()

    def tick(self, now: float) -> bool:
        """The code's countdown (under ``lock``); False when no code is pending."""
        handle = self.state.device_handle
        if self.state.mode != "device" or handle is None or handle.done:
            return False
        self.layout.countdown.value = view.countdown_html(handle.seconds_left(now))
        return True

    def _done(self, handle: Any, attempt: int) -> None:
        state = self.state
        with state.lock:
            if state.closed or handle is not state.device_handle:
                return
            self.layout.user_code.value = ""  # invariant 1: the prompt goes when the sign-in ends
            self.layout.countdown.value = ""
            if attempt != state.attempt or state.mode == "signed_in":
                return
            state.show_outcome(handle)
        if handle.status == "signed_in" and self.auth.state == "signed_in":
            self.account.enter_account()

    def cancel(self, _button: Any = None) -> None:
        """Cancel the pending sign-in (its end resets the view), or just reset the view."""
        with self.state.lock:
            handle = self.state.device_handle if self.state.mode == "device" else None
        self.state.cancel_or_reset(handle, self.account.reset)


def device_link(handle: Any) -> str:
    """The page to approve a device code at: ``verification_uri_complete`` when it is an
    http(s) URL, else ``verification_uri`` (both come from the IdP; a ``javascript:`` one is
    never made a link, see :func:`~nbauth.notebook.widget_html.link_html`)."""
    complete = getattr(handle, "verification_uri_complete", None)
    if view.is_web_url(complete):
        return str(complete)
    return str(getattr(handle, "verification_uri", None) or complete or "")
