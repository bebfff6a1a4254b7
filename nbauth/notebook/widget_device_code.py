"""The login widget's device-code flow (RFC 8628): start the sign-in, hand the user code and the
verification link to the front-end **as a message** (it shows them with a Copy button, an "Open
sign-in page" button and a countdown it runs itself from ``expires_at``), and clear them the
moment the sign-in ends. Neither reaches a synced trait or a saved output (invariant 1); the
device code itself stays in the handle, a Python object.

Example::

    flow = DeviceCodeFlow(state, account)
    flow.start()                        # the front-end's {"type": "start_device"}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .widget_links import is_web_url

if TYPE_CHECKING:
    from .widget_providers import ProviderOption
    from .widget_state import WidgetState
    from .widget_status_panel import AccountView

__all__ = ["DeviceCodeFlow", "device_link", "device_message"]


class DeviceCodeFlow:
    """Device-code sign-in for :class:`~nbauth.notebook.widget.LoginWidget`."""

    def __init__(self, state: WidgetState, account: AccountView) -> None:
        self.state = state
        self.auth = state.auth
        self.account = account

    def start(self, option: ProviderOption) -> None:
        """Start a device-code sign-in with ``option`` (on a worker thread)."""
        state = self.state
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
            state.clear_error()
            state.notice("Starting the device-code sign-in…")
        state.workers.spawn(start, busy=True)

    def show(self, handle: Any, attempt: int) -> None:
        """Show ``handle``'s code and link (also one started elsewhere: a cell, a magic) and
        follow it to its end."""
        state = self.state
        with state.lock:
            state.device_handle = handle
            state.set_view("device")
            state.notice("Waiting for you to approve the sign-in…")
            state.send_secret("device", device_message(handle))
        handle.on_done(lambda h: self._done(h, attempt))

    def _done(self, handle: Any, attempt: int) -> None:
        state = self.state
        with state.lock:
            if state.closed or handle is not state.device_handle:
                return
            state.drop_secret("device")  # invariant 1: the prompt goes when the sign-in ends
            if attempt != state.attempt or state.view == "signed_in":
                return
            state.show_outcome(handle)
        if handle.status == "signed_in" and self.auth.state == "signed_in":
            self.account.enter_account()

    def cancel(self) -> None:
        """Cancel the pending sign-in (its end resets the view), or just reset the view."""
        with self.state.lock:
            handle = self.state.device_handle if self.state.view == "device" else None
        self.state.cancel_or_reset(handle, self.account.reset)


def device_link(handle: Any) -> str:
    """The page to approve a device code at: ``verification_uri_complete`` when it is an
    http(s) URL, else ``verification_uri`` (both come from the IdP; a ``javascript:`` one is
    never made a link)."""
    complete = getattr(handle, "verification_uri_complete", None)
    if is_web_url(complete):
        return str(complete)
    return str(getattr(handle, "verification_uri", None) or complete or "")


def device_message(handle: Any) -> dict[str, Any]:
    """The custom message that shows a pending device code (``link`` is None when the IdP's
    address is not http(s): then it is shown as text, never as a link)."""
    link = device_link(handle)
    return {
        "user_code": str(handle.user_code),
        "link": link if is_web_url(link) else None,
        "link_text": link,
        "expires_at": float(handle.expires_at),
    }
