"""The login widget's browser panel: OAuth 2.0 authorization code + PKCE (RFC 6749 §4.1,
RFC 7636) with a loopback redirect (RFC 8252) or a pasted final address.

It shows the link (and tries ``window.open``), waits for the browser to come back to the
loopback listener, or takes the address the browser ended on from the paste box. That address
carries the authorization code, so the box is emptied the moment it is read (invariant 1).

Example::

    panel = RedirectPanel(state, status_panel, mode="paste", open_browser=True)
    layout.browser_button.on_click(panel.start)
    layout.complete_button.on_click(panel.complete)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import widget_html as view

if TYPE_CHECKING:
    from .widget_state import WidgetState
    from .widget_status_panel import StatusPanel

__all__ = ["RedirectPanel"]


class RedirectPanel:
    """Browser sign-in for :class:`~nbauth.notebook.widget.LoginWidget`.

    ``mode`` is ``"loopback"`` or ``"paste"`` (as ``Auth.sign_in_with_redirect``);
    ``open_browser`` also tries ``window.open`` (the link is always shown).
    """

    def __init__(
        self, state: WidgetState, account: StatusPanel, *, mode: str, open_browser: bool
    ) -> None:
        self.state = state
        self.auth = state.auth
        self.layout = state.layout
        self.account = account
        self.mode = mode
        self.open_browser = open_browser

    def start(self, _button: Any = None) -> None:
        """Start a browser sign-in with the picked provider (on a worker thread)."""
        state = self.state
        option = self.layout.selected_provider
        # The user pool's own page is Cognito managed login with identity_provider=COGNITO.
        provider = "COGNITO" if option.kind == "user_pool" else option.name
        if not state.ready():
            return
        attempt = state.next_attempt()

        def start() -> None:
            try:
                handle = self.auth.sign_in_with_redirect(provider=provider, mode=self.mode)
            except Exception as exc:
                state.failed(exc, attempt)
                return
            with state.lock:
                if not state.is_current(attempt):
                    handle.cancel()
                    return
                state.own(handle)
                self.show(handle, attempt, open_tab=True)

        with state.lock:
            state.set_status("Preparing the sign-in page…", "muted")
        state.workers.spawn(start, busy=True)

    def show(self, handle: Any, attempt: int, *, open_tab: bool) -> None:
        """Show ``handle``'s link (also one started elsewhere) and follow it to its end."""
        state = self.state
        with state.lock:
            state.redirect_handle = handle
            state.mode = "browser"
            self.layout.browser_link.value = view.browser_prompt_html(handle.url, handle.mode)
            state.set_status("Waiting for the identity provider…", "muted")
            state.render()
        if open_tab and self.open_browser:
            self.layout.open_in_new_tab(handle.url)
        handle.on_done(lambda h: self._done(h, attempt))

    def complete(self, _button: Any = None) -> None:
        """Finish the sign-in with the pasted address (on a worker thread)."""
        state = self.state
        url = self.layout.paste_url.value.strip()
        self.layout.paste_url.value = ""  # it carries the authorization code: not kept in a trait
        handle = state.redirect_handle
        if handle is None or handle.done or state.mode != "browser" or not state.ready():
            return
        if not url:
            with state.lock:
                state.set_status("Paste the address the browser ended on first.", "warn")
            return

        def complete() -> None:
            try:
                handle.complete(url)
            except Exception as exc:
                with state.lock:
                    if not handle.done:  # a bad paste: the sign-in still waits
                        state.show_error(exc)
                # otherwise _done has shown the flow's error

        with state.lock:
            state.set_status("Completing the sign-in…", "muted")
        state.workers.spawn(complete, busy=True)

    def _done(self, handle: Any, attempt: int) -> None:
        state = self.state
        with state.lock:
            if state.closed or handle is not state.redirect_handle:
                return
            self.layout.browser_link.value = ""
            self.layout.paste_url.value = ""
            self.layout.clear_js()
            if attempt != state.attempt or state.mode == "signed_in":
                return
            state.show_outcome(handle)
        if handle.status == "signed_in" and self.auth.state == "signed_in":
            self.account.enter_account()

    def cancel(self, _button: Any = None) -> None:
        """Cancel the pending sign-in (its end resets the view), or just reset the view."""
        with self.state.lock:
            handle = self.state.redirect_handle if self.state.mode == "browser" else None
        self.state.cancel_or_reset(handle, self.account.reset)
