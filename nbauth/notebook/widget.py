"""``LoginWidget``: sign in from a notebook with a device code, a browser (code + PKCE) or a
Cognito user-pool form, and watch the session stay fresh.

Invariant 1 shapes it: every synced trait is written into the saved notebook's
``metadata.widgets`` (nbclient, JupyterLab's saveState), so no secret ever sits in one. The
password and challenge answers are read on submit and their inputs emptied at once; a pasted
redirect URL (it carries the authorization code) likewise; the device code, tokens and AWS keys
never reach a widget at all; the device-code prompt (user code and link, shown on purpose) is
cleared as soon as the sign-in ends.

Network calls run on worker threads (invariant 6), a ticker thread updates the countdowns once a
second while there is something to count, and the status panel renders ``Auth.status()``, with
Hub events as the triggers. ``close()`` unsubscribes, stops the threads and cancels a sign-in the
widget is still showing.

Modules: this one (the widget: composition, public API, lifecycle); the view,
:mod:`.widget_layout` (parts and layout) and :mod:`.widget_html` (themed HTML pieces); the
controllers, :mod:`.widget_state` (shared state), :mod:`.widget_device_code`,
:mod:`.widget_redirect`, :mod:`.widget_user_pool` and :mod:`.widget_status_panel` (one per
panel), :mod:`.widget_workers` (threads); :mod:`.widget_providers` (the provider picker).

Example::

    import nbauth
    from nbauth.notebook.widget import login

    nbauth.configure("amplify_outputs.json")
    w = login()                      # displays the widget; pick a provider and sign in
    ...
    s3 = nbauth.boto3_session().client("s3")

Driven from code (tests, unattended runs)::

    w = LoginWidget(auth)
    w.device_button.click()
    w.wait_idle()
    print(w.device_handle.user_code)     # approve it on the IdP's page
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..auth.status import SessionState
from ..errors import InvalidParameterError
from .widget_device_code import DeviceCodePanel
from .widget_layout import LoginLayout
from .widget_providers import USER_POOL_LABEL, ProviderOption, provider_options
from .widget_redirect import RedirectPanel
from .widget_state import WidgetState
from .widget_status_panel import StatusPanel
from .widget_user_pool import UserPoolPanel

if TYPE_CHECKING:
    from ..auth import Auth

__all__ = ["USER_POOL_LABEL", "LoginWidget", "ProviderOption", "login", "provider_options"]

log = logging.getLogger("nbauth.notebook")


class LoginWidget(LoginLayout):
    """Sign in from a notebook; see the module docstring.

    Parameters:
        auth: the :class:`~nbauth.Auth` to sign in to (default: ``nbauth.current_auth()``).
        providers: which providers the picker offers, in order (default: all configured).
        redirect_mode: ``"loopback"`` (default; a listener on 127.0.0.1 catches the redirect,
            and the paste box is the fallback) or ``"paste"`` (remote kernels).
        open_browser: also try to open the sign-in page with ``window.open`` (the link is
            always shown).
        auth_flow, client_metadata: passed to ``sign_in`` / ``confirm_sign_in``.
        clock, tick_seconds: time source and countdown period (tests inject them).

    Public parts (for tests and scripted use): ``provider_picker``, ``device_button``,
    ``browser_button``, ``username``, ``password``, ``sign_in_button``, ``user_code``,
    ``countdown``, ``cancel_button``, ``browser_link``, ``paste_url``, ``complete_button``,
    ``challenge_prompt``, ``challenge_code``, ``challenge_secret``, ``mfa_choice``,
    ``challenge_button``, ``status``, ``credentials_status``, ``refresh_status``,
    ``sign_out_button``; the pending ``device_handle`` / ``redirect_handle``, the user-pool
    ``next_step`` and the ``last_error``.

    Example::

        w = LoginWidget(auth, providers=["corp", "user_pool"])
        display(w)
    """

    def __init__(
        self,
        auth: Auth | None = None,
        *,
        providers: Iterable[str] | None = None,
        redirect_mode: str = "loopback",
        open_browser: bool = True,
        auth_flow: str = "USER_SRP_AUTH",
        client_metadata: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        tick_seconds: float = 1.0,
        **kwargs: Any,
    ) -> None:
        if auth is None:
            from ..api import current_auth

            auth = current_auth()
        if redirect_mode not in ("loopback", "paste"):
            raise InvalidParameterError(
                f"redirect_mode must be 'loopback' or 'paste', got {redirect_mode!r}.",
                "Use 'paste' on a remote kernel (JupyterHub, Binder), 'loopback' otherwise.",
            )
        options = provider_options(auth.config, providers)
        super().__init__(options, managed_login=auth.config.oauth is not None, **kwargs)
        self.auth: Auth = auth
        self._options = options
        self._state = WidgetState(auth, self, clock=clock, tick_seconds=tick_seconds)
        self._account = StatusPanel(self._state)
        self._device = DeviceCodePanel(self._state, self._account)
        self._redirect = RedirectPanel(
            self._state, self._account, mode=redirect_mode, open_browser=open_browser
        )
        self._user_pool = UserPoolPanel(
            self._state, self._account, auth_flow=auth_flow, client_metadata=client_metadata
        )
        self.device_button.on_click(self._device.start)
        self.cancel_button.on_click(self._device.cancel)
        self.browser_button.on_click(self._redirect.start)
        self.complete_button.on_click(self._redirect.complete)
        self.browser_cancel_button.on_click(self._redirect.cancel)
        self.sign_in_button.on_click(self._user_pool.submit_password)
        self.challenge_button.on_click(self._user_pool.submit_challenge)
        self.challenge_cancel_button.on_click(self._user_pool.cancel)
        self.sign_out_button.on_click(self._account.sign_out)
        self.provider_picker.observe(self._on_provider_change, names="index")
        self._unsubscribe = auth.hub.listen("auth", self._account.on_hub_event)
        _LIVE.add(self)
        self._show_current_state()

    # -- public helpers ---------------------------------------------------------------------

    @property
    def providers(self) -> list[ProviderOption]:
        """The picker's entries."""
        return list(self._options)

    def select_provider(self, name: str) -> ProviderOption:
        """Pick a provider by name or label (``"sandbox"``, ``"user_pool"``, ``"Google"``).

        Example::

            w.select_provider("user_pool")
        """
        for option in self._options:
            if option.matches(name):
                self.provider_picker.value = option
                return option
        raise InvalidParameterError(
            f"The widget offers no provider {name!r}.",
            "Choose one of: " + ", ".join(o.label for o in self._options) + ".",
        )

    @property
    def mode(self) -> str:
        """What the widget shows: ``sign_in``, ``device``, ``browser``, ``challenge`` or
        ``signed_in``."""
        return self._state.mode

    @property
    def device_handle(self) -> Any:
        """The device-code sign-in this widget shows (or showed last); a Python attribute
        only."""
        return self._state.device_handle

    @property
    def redirect_handle(self) -> Any:
        """The browser sign-in this widget shows (or showed last)."""
        return self._state.redirect_handle

    @property
    def next_step(self) -> dict[str, Any] | None:
        """The pending user-pool step (Amplify's ``next_step``), or None."""
        return self._state.next_step

    @property
    def last_error(self) -> BaseException | None:
        """The last error shown."""
        return self._state.last_error

    @property
    def countdown_thread(self) -> threading.Thread | None:
        """The thread updating the countdowns while there is something to count, else None
        (or, after :meth:`close`, the stopped thread)."""
        return self._state.ticker.thread

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until the widget's worker threads (starting a flow, a user-pool step, signing
        out, fetching the session) have finished; False on timeout. A pending device-code or
        browser sign-in is not work: it waits for the person.

        Example::

            w.sign_in_button.click()
            w.wait_idle()
        """
        return self._state.workers.wait_idle(timeout)

    def stop_background(self) -> None:
        """Stop the countdown thread and empty the ``window.open`` output (at kernel exit;
        :meth:`close` does it too)."""
        self._state.ticker.stop()
        self.clear_js()

    def close(self) -> None:
        """Unsubscribe from the Hub, stop the threads, cancel a sign-in the widget started and
        still shows (one started in a cell goes on), close every part (idempotent)."""
        with self._state.lock:
            already = self._state.closed
            pending = self._state.close()
        if not already:
            self._unsubscribe()
            self.stop_background()
            for handle in pending:
                handle.cancel()  # its prompt is going away with the widget
            self.clear_secret_inputs()
            self.close_parts()
            _LIVE.discard(self)
        super().close()

    # -- wiring -----------------------------------------------------------------------------

    def _show_current_state(self) -> None:
        """Show the session as it is: signed in, a sign-in started elsewhere (a cell, a
        magic) that is still pending, or the sign-in view."""
        status = self.auth.status()
        if status.state in (SessionState.SIGNED_IN, SessionState.FEDERATED):
            self._account.enter_account()
            return
        with self._state.lock:
            pending, handle = status.pending_sign_in, self.auth.pending_sign_in
            attempt = self._state.next_attempt()
            if pending is not None and handle is not None and pending.kind == "device_code":
                self._device.show(handle, attempt)
            elif pending is not None and handle is not None:
                self._redirect.show(handle, attempt, open_tab=False)
            else:
                self._state.set_status("Choose a provider and sign in.", "muted")
                self._state.render()

    def _on_provider_change(self, _change: Any) -> None:
        with self._state.lock:
            if not self._state.closed:
                self._state.render()


def login(auth: Auth | None = None, **kwargs: Any) -> LoginWidget:
    """Display a :class:`LoginWidget` and return it (keyword arguments as for the widget).

    Assign the result, so the cell does not display it a second time.

    Example::

        from nbauth.notebook.widget import login
        w = login()                       # or login(providers=["user_pool"])
    """
    from IPython.display import display

    widget = LoginWidget(auth, **kwargs)
    display(widget)
    return widget


# Widgets alive in this kernel; their threads stop when the kernel exits.
_LIVE: weakref.WeakSet[LoginWidget] = weakref.WeakSet()


def _stop_all() -> None:
    for widget in list(_LIVE):
        try:
            widget.stop_background()
        except Exception:
            log.debug("Stopping a login widget at exit failed", exc_info=True)


atexit.register(_stop_all)
