"""``LoginWidget``: sign in from a notebook with a device code, a browser (code + PKCE) or a
Cognito user-pool form, and see the session stay fresh.

Built on **anywidget**: one ES module (``static/login_widget.js``, no build step) that runs in
JupyterLab, Notebook 7, VS Code and Colab. Invariant 1 by construction: synced traits (written
into a saved notebook's ``metadata.widgets``) carry only the public view — the panel, busy, the
provider list, the public rendering of ``Auth.status()``, the error in words. Passwords, codes,
the TOTP secret and QR, pasted addresses, a pending device code and its link travel only as
custom messages and live in the front-end's memory and DOM until their step ends. With plain
ipywidgets every input's value *is* a synced trait, saved by "Save Widget State Automatically".

**Messages.** Front-end → kernel (``model.send``; from Python, :meth:`LoginWidget.receive`):
``hello {local}``, ``select {provider}``, ``start_device``, ``start_oauth {local, mode?}``,
``paste {url}``, ``sign_in {username, password}``, ``confirm {answer}``, ``cancel``,
``sign_out``. Kernel → front-end: ``ack`` (the answer to ``hello``, then the live ephemeral
data again), ``heartbeat`` (every ``heartbeat_seconds``), ``device``, ``redirect``, ``totp``,
``clear {what}``. The front-end says "Not connected to a running kernel" until an ack arrives
and whenever heartbeats stop, and never shows "Signed in" then.

Modules: this one (traits, messages, lifecycle); the flows :mod:`.widget_device_code`,
:mod:`.widget_redirect`, :mod:`.widget_user_pool` (+ :mod:`.widget_totp`) and the account view
:mod:`.widget_status_panel`, over the shared :mod:`.widget_state`; :mod:`.widget_workers`
(threads); :mod:`.widget_providers` (the picker's entries); :mod:`.run_all_wait` (Run All).

Example::

    import nbauth
    nbauth.configure("amplify_outputs.json")
    w = nbauth.LoginWidget()         # the last expression of a cell: displayed
    ...
    s3 = nbauth.boto3_session().client("s3")   # a later cell: waits for the sign-in

Driven from code (tests, scripts): ``w.receive({"type": "start_device"})``, ``w.wait_idle()``.
"""

from __future__ import annotations

import logging
import pathlib
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from ..auth.status import SessionState
from ..errors import InvalidParameterError
from .widget_device_code import DeviceCodeFlow
from .widget_providers import USER_POOL_LABEL, ProviderOption, provider_options
from .widget_redirect import REDIRECT_MODES, RedirectFlow
from .widget_registry import jupyter_callback_available, live_widgets, login, register
from .widget_state import WidgetState
from .widget_status_panel import AccountView
from .widget_user_pool import UserPoolFlow
from .widget_workers import Ticker

if TYPE_CHECKING:
    from ..auth import Auth

__all__ = [
    "USER_POOL_LABEL",
    "LoginWidget",
    "ProviderOption",
    "live_widgets",
    "login",
    "provider_options",
]

log = logging.getLogger("nbauth.notebook")

STATIC = pathlib.Path(__file__).parent / "static"
#: The one line a static renderer (GitHub, nbviewer) shows instead of the widget.
STATIC_TEXT = "nbauth sign-in widget — run this cell in Jupyter to sign in"


class LoginWidget(anywidget.AnyWidget):  # type: ignore[misc]
    """Sign in from a notebook; see the module docstring.

    Parameters:
        auth: the :class:`~nbauth.Auth` to sign in to (default: ``nbauth.current_auth()``).
        providers: which providers the picker offers, in order (default: all configured).
        redirect_mode: ``"auto"`` (default: a loopback listener when the browser's page comes
            from a loopback host, i.e. kernel and browser share a machine; the paste box
            otherwise), ``"loopback"``, ``"paste"`` or ``"jupyter"``.
        open_browser: open the sign-in page in a new tab from the click that started the
            sign-in (device code: only when the browser runs on the kernel's machine).
        allow_guest: Run All does not wait for a sign-in while this widget shows (cells use
            guest credentials when the identity pool allows them).
        auth_flow, client_metadata: passed to ``sign_in`` / ``confirm_sign_in``.
        clock, heartbeat_seconds: time source and heartbeat period (tests inject them).
    """

    _esm = STATIC / "login_widget.js"
    _css = STATIC / "login_widget.css"

    view = traitlets.Unicode("sign_in").tag(sync=True)
    busy = traitlets.Bool(False).tag(sync=True)
    providers_shown = traitlets.List(traitlets.Dict()).tag(sync=True)
    provider = traitlets.Unicode("").tag(sync=True)
    status = traitlets.Dict().tag(sync=True)
    warnings = traitlets.List(traitlets.Unicode()).tag(sync=True)
    notice = traitlets.Dict().tag(sync=True)
    error = traitlets.Dict().tag(sync=True)
    step = traitlets.Dict().tag(sync=True)
    redirect = traitlets.Dict().tag(sync=True)
    settings = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        auth: Auth | None = None,
        *,
        providers: Iterable[str] | None = None,
        redirect_mode: str = "auto",
        open_browser: bool = True,
        allow_guest: bool = False,
        auth_flow: str = "USER_SRP_AUTH",
        client_metadata: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        heartbeat_seconds: float = 3.0,
        **kwargs: Any,
    ) -> None:
        if auth is None:
            from ..api import current_auth

            auth = current_auth()
        if redirect_mode not in REDIRECT_MODES:
            raise InvalidParameterError(
                f"redirect_mode must be one of {', '.join(REDIRECT_MODES)}; got {redirect_mode!r}.",
                "Leave it out ('auto') unless you need one mode.",
            )
        options = provider_options(auth.config, providers)
        super().__init__(**kwargs)
        self.auth: Auth = auth
        self.allow_guest = allow_guest
        self._options = options
        self._frontend_seen_at: float | None = None
        self._displayed_at: float | None = None
        self._state = WidgetState(auth, self, clock=clock)
        self._account = AccountView(self._state)
        self._device = DeviceCodeFlow(self._state, self._account)
        self._redirect = RedirectFlow(self._state, self._account, redirect_mode=redirect_mode)
        self._user_pool = UserPoolFlow(
            self._state, self._account, auth_flow=auth_flow, client_metadata=client_metadata
        )
        self.providers_shown = [{"key": _key(o), "label": o.label, "kind": o.kind} for o in options]
        self.provider = _key(options[0])
        self.settings = {
            "open_browser": bool(open_browser),
            "redirect_mode": redirect_mode,
            "jupyter": jupyter_callback_available(),
            "heartbeat_seconds": heartbeat_seconds,
        }
        self._heartbeat = Ticker(self._state.lock, self._beat, period=heartbeat_seconds)
        self.on_msg(self._on_custom_message)
        self._unsubscribe = auth.hub.listen("auth", self._account.on_hub_event)
        register(self)
        from .run_all_wait import install

        install(auth)
        self._show_current_state()
        self._heartbeat.ensure()

    # -- messages from the front-end ----------------------------------------------------------

    def receive(self, content: Mapping[str, Any]) -> None:
        """Handle one front-end message, as if the front-end had sent it (tests, scripts).

        Example::

            w.receive({"type": "select", "provider": "user_pool"})
            w.receive({"type": "sign_in", "username": "ada", "password": password})
            w.wait_idle()
        """
        kind = content.get("type")
        with self._state.lock:
            if self._state.closed:
                return
            self._frontend_seen_at = self._state.clock()
        option = self.selected_provider
        if kind == "hello":
            self._hello()
        elif kind == "select":
            self.select_provider(str(content.get("provider") or ""))
        elif kind == "start_device":
            self._device.start(option)
        elif kind == "start_oauth":
            mode = content.get("mode")
            self._redirect.start(
                option, local=bool(content.get("local")), requested=str(mode) if mode else None
            )
        elif kind == "paste":
            self._redirect.paste(str(content.get("url") or ""))
        elif kind == "sign_in":
            self._user_pool.sign_in(
                str(content.get("username") or ""), str(content.get("password") or "")
            )
        elif kind == "confirm":
            self._user_pool.confirm(str(content.get("answer") or ""))
        elif kind == "cancel":
            self._cancel()
        elif kind == "sign_out":
            self._account.sign_out()
        else:
            log.debug("Login widget: unknown message %r", kind)

    def _on_custom_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, Mapping) and "type" in content:
            try:
                self.receive(content)
            except Exception:  # a message must never kill the comm
                log.warning("Login widget message failed", exc_info=True)

    def send_message(self, content: Mapping[str, Any]) -> None:
        """Send a custom message to the front-end (nothing happens without one)."""
        self.send(dict(content))

    def _hello(self) -> None:
        """A front-end (re)rendered: say the kernel is alive and send the live ephemeral data
        again (a pending device code, the sign-in URL, the TOTP setup)."""
        with self._state.lock:
            self.settings = {**self.settings, "jupyter": jupyter_callback_available()}
            self.send_message(
                {"type": "ack", "heartbeat_seconds": self.settings["heartbeat_seconds"]}
            )
            for message in list(self._state.ephemeral.values()):
                self.send_message(message)

    def _beat(self) -> bool:
        if self._state.closed:
            return False
        self.send_message({"type": "heartbeat"})
        self._account.heartbeat()
        return True

    def _cancel(self) -> None:
        view = self._state.view
        if view == "device":
            self._device.cancel()
        elif view == "browser":
            self._redirect.cancel()
        elif view == "challenge":
            self._user_pool.cancel()

    # -- public read-only state -----------------------------------------------------------

    @property
    def providers(self) -> list[ProviderOption]:
        """The picker's entries."""
        return list(self._options)

    @property
    def selected_provider(self) -> ProviderOption:
        """The picked entry."""
        return next((o for o in self._options if _key(o) == self.provider), self._options[0])

    def select_provider(self, name: str) -> ProviderOption:
        """Pick a provider by key, name or label (``"sandbox"``, ``"user_pool"``, ``"Google"``);
        an old error goes (it was about the other provider)."""
        for option in self._options:
            if _key(option) == name or option.matches(name):
                with self._state.lock:
                    if _key(option) != self.provider:
                        self._state.clear_error()
                    self.provider = _key(option)
                return option
        raise InvalidParameterError(
            f"The widget offers no provider {name!r}.",
            "Choose one of: " + ", ".join(o.label for o in self._options) + ".",
        )

    @property
    def panel(self) -> str:
        """The panel shown: ``sign_in``, ``device``, ``browser``, ``challenge`` or
        ``signed_in`` (also :attr:`mode`)."""
        return str(self.view)

    mode = panel

    @property
    def device_handle(self) -> Any:
        """The device-code sign-in shown (or shown last); a Python attribute only."""
        return self._state.device_handle

    @property
    def redirect_handle(self) -> Any:
        """The browser sign-in shown (or shown last)."""
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
    def ephemeral(self) -> dict[str, dict[str, Any]]:
        """What the front-end holds in memory only, by kind (a copy; for tests)."""
        with self._state.lock:
            return {k: dict(v) for k, v in self._state.ephemeral.items()}

    @property
    def heartbeat_thread(self) -> Any:
        """The heartbeat thread while the widget is open."""
        return self._heartbeat.thread

    def frontend_connected(self, within: float | None = None) -> bool:
        """A front-end said hello (within the last ``within`` seconds, when given)."""
        seen = self._frontend_seen_at
        if seen is None:
            return False
        return within is None or self._state.clock() - seen <= within

    def start_for_waiting_cell(self) -> bool:
        """Start a device-code sign-in with the picked (else the first) OIDC provider, for a
        cell that waits and cannot process clicks; False when none is offered."""
        options = [self.selected_provider, *self._options]
        option = next((o for o in options if o.kind == "oidc"), None)
        if option is None:
            return False
        self._device.start(option)
        return True

    def expects_sign_in(self, grace: float | None = 5.0) -> bool:
        """Run All should wait for a person here: the widget is open and was displayed,
        guests were not asked for, nobody is signed in, and a front-end said hello (or the
        widget was displayed less than ``grace`` seconds ago: its hello may still be queued;
        ``grace=None``: displayed is enough)."""
        if self._state.closed or self.allow_guest or self._displayed_at is None:
            return False
        if self.auth.state not in ("signed_out", "guest"):
            return False
        if self._frontend_seen_at is not None or grace is None:
            return True
        return self._state.clock() - self._displayed_at < grace

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until the widget's worker threads have finished; False on timeout. A pending
        device-code or browser sign-in is not work: it waits for the person."""
        return self._state.workers.wait_idle(timeout)

    # -- display and lifecycle ------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget view, with a one-line ``text/plain`` for static renderers."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        data["text/plain"] = STATIC_TEXT
        self._displayed_at = self._state.clock()
        return data, metadata

    def __repr__(self) -> str:
        return f"<LoginWidget view={self.view!r}>"

    def stop_background(self) -> None:
        """Stop the heartbeat (at kernel exit; :meth:`close` does it too)."""
        self._heartbeat.stop()

    def close(self) -> None:
        """Unsubscribe from the Hub, stop the heartbeat, cancel a sign-in the widget started
        and still shows (one started in a cell goes on), forget every secret (idempotent)."""
        with self._state.lock:
            already = self._state.closed
            pending = self._state.close()
        if not already:
            self._unsubscribe()
            self.stop_background()
            for handle in pending:
                handle.cancel()
            register(self, alive=False)
        super().close()

    def _show_current_state(self) -> None:
        """Show the session as it is: signed in, a sign-in started elsewhere (a cell, a
        magic) that is still pending, or the sign-in form."""
        status = self.auth.status()
        if status.state in (SessionState.SIGNED_IN, SessionState.FEDERATED):
            self._account.enter_account()
            return
        with self._state.lock:
            self._account.publish(status)
            pending, handle = status.pending_sign_in, self.auth.pending_sign_in
            attempt = self._state.next_attempt()
        if pending is not None and handle is not None and pending.kind == "device_code":
            self._device.show(handle, attempt)
        elif pending is not None and handle is not None:
            self._redirect.show(handle, attempt)


def _key(option: ProviderOption) -> str:
    return option.name if option.name else option.kind
