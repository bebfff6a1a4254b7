"""The login widget's browser flow: OAuth 2.0 authorization code + PKCE (RFC 6749 §4.1,
RFC 7636) with a loopback listener (RFC 8252), the Jupyter server's callback, or a pasted final
address.

The front-end opens ONE tab from the click that started the sign-in (a blank tab it then points
at the authorization URL, which arrives as a message), says to finish there, and offers "Open it
again" while the sign-in waits. The paste box shows only in ``paste`` mode (remote kernels); a
wrong paste is refused by the flow, which keeps waiting, so the person can paste again. The URL
(it carries ``state``) and the pasted address (it carries the code) travel as messages only.

Example::

    flow = RedirectFlow(state, account, redirect_mode="auto")
    flow.start(option, local=True)              # {"type": "start_oauth", "local": true}
    flow.paste("http://127.0.0.1:…/?code=…")    # {"type": "paste", "url": …}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .widget_links import is_web_url

if TYPE_CHECKING:
    from .widget_providers import ProviderOption
    from .widget_state import WidgetState
    from .widget_status_panel import AccountView

__all__ = ["REDIRECT_MODES", "RedirectFlow", "choose_mode"]

#: ``redirect_mode`` values of the widget; ``auto`` picks ``loopback`` when the browser runs on
#: the kernel's machine (its page is served from a loopback host) and ``paste`` otherwise.
REDIRECT_MODES = ("auto", "loopback", "paste", "jupyter")


def choose_mode(setting: str, *, local: bool, requested: str | None = None) -> str:
    """The redirect mode for one sign-in: ``"jupyter"`` when the person asked for it, else the
    widget's setting, with ``auto`` decided by where the browser runs.

    Example::

        >>> choose_mode("auto", local=False), choose_mode("auto", local=True)
        ('paste', 'loopback')
    """
    if requested == "jupyter":
        return "jupyter"
    if setting == "auto":
        return "loopback" if local else "paste"
    return setting


class RedirectFlow:
    """Browser sign-in for :class:`~nbauth.notebook.widget.LoginWidget`."""

    def __init__(self, state: WidgetState, account: AccountView, *, redirect_mode: str) -> None:
        self.state = state
        self.auth = state.auth
        self.account = account
        self.redirect_mode = redirect_mode

    def start(self, option: ProviderOption, *, local: bool, requested: str | None = None) -> None:
        """Start a browser sign-in with ``option`` (on a worker thread)."""
        state = self.state
        # The user pool's own page is Cognito managed login with identity_provider=COGNITO.
        provider = "COGNITO" if option.kind == "user_pool" else option.name
        if not state.ready():
            return
        mode = choose_mode(self.redirect_mode, local=local, requested=requested)
        attempt = state.next_attempt()

        def start() -> None:
            try:
                handle = self.auth.sign_in_with_redirect(provider=provider, mode=mode)
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
            state.notice("Preparing the sign-in page…")
        state.workers.spawn(start, busy=True)

    def show(self, handle: Any, attempt: int) -> None:
        """Show ``handle`` (also one started elsewhere) and follow it to its end."""
        state = self.state
        url = str(handle.url)
        with state.lock:
            state.redirect_handle = handle
            state.set_view("browser")
            state.widget.redirect = {"mode": str(handle.mode), "paste": handle.mode == "paste"}
            state.notice("Finish signing in in the sign-in tab.")
            state.send_secret(
                "redirect", {"url": url if is_web_url(url) else None, "url_text": url}
            )
        handle.on_done(lambda h: self._done(h, attempt))

    def paste(self, url: str) -> None:
        """Finish the sign-in with the pasted address (on a worker thread). A wrong one is
        refused and the sign-in keeps waiting: paste again."""
        state = self.state
        url = (url or "").strip()
        handle = state.redirect_handle
        if handle is None or handle.done or state.view != "browser" or not state.ready():
            return
        if not url:
            with state.lock:
                state.warn(
                    "Paste the address first.",
                    "Copy the address your browser ended on (the page may not load) and paste "
                    "it in the box.",
                )
            return

        def complete() -> None:
            try:
                handle.complete(url)
            except Exception as exc:
                with state.lock:
                    if not handle.done:  # a wrong paste: the sign-in still waits
                        state.show_error(exc)
                        state.notice("Still waiting: paste the address again.")
                # otherwise _done shows the flow's error

        with state.lock:
            state.clear_error()
            state.notice("Completing the sign-in…")
        state.workers.spawn(complete, busy=True)

    def _done(self, handle: Any, attempt: int) -> None:
        state = self.state
        with state.lock:
            if state.closed or handle is not state.redirect_handle:
                return
            state.drop_secret("redirect")
            state.widget.redirect = {}
            if attempt != state.attempt or state.view == "signed_in":
                return
            state.show_outcome(handle)
        if handle.status == "signed_in" and self.auth.state == "signed_in":
            self.account.enter_account()

    def cancel(self) -> None:
        """Cancel the pending sign-in (its end resets the view), or just reset the view."""
        with self.state.lock:
            handle = self.state.redirect_handle if self.state.view == "browser" else None
        self.state.cancel_or_reset(handle, self.account.reset)
