"""``LoginWidget``: sign in from a notebook with a device code, a browser (code + PKCE) or a
Cognito user-pool form, and watch the session stay fresh.

Invariant 1 shapes it: every synced trait is written into the saved notebook's
``metadata.widgets`` (nbclient, JupyterLab's saveState), so no secret ever sits in one. The
password and challenge answers are read on submit and their inputs emptied at once; a pasted
redirect URL (it carries the authorization code) likewise; the device code, tokens and AWS keys
never reach a widget at all; the device-code prompt (user code and link, shown on purpose) is
cleared as soon as the sign-in ends.

Network calls run on worker threads (invariant 6), a ticker thread updates the countdowns once a
second while there is something to count, and Hub events drive the status panel. ``close()``
unsubscribes, stops the threads and cancels a sign-in the widget is still showing.

Modules: this one (views, threads, Hub events, lifecycle), :mod:`.widget_flows` (what the buttons
do), :mod:`.widget_providers` (the provider picker), :mod:`.widget_html` (themed HTML pieces).

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
import html
import logging
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..errors import InvalidParameterError
from . import widget_html as view
from .widget_flows import CODE_STEPS, MFA_SELECTION, SECRET_STEPS, SignInActions
from .widget_providers import USER_POOL_LABEL, ProviderOption, provider_options

if TYPE_CHECKING:
    from ..auth import Auth

__all__ = ["USER_POOL_LABEL", "LoginWidget", "ProviderOption", "login", "provider_options"]

log = logging.getLogger("nbauth.notebook")

_TAGS = re.compile(r"<[^>]+>")


class LoginWidget(SignInActions, widgets.VBox):
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
        super().__init__(**kwargs)
        if auth is None:
            from ..api import current_auth

            auth = current_auth()
        if redirect_mode not in ("loopback", "paste"):
            raise InvalidParameterError(
                f"redirect_mode must be 'loopback' or 'paste', got {redirect_mode!r}.",
                "Use 'paste' on a remote kernel (JupyterHub, Binder), 'loopback' otherwise.",
            )
        self.auth: Auth = auth
        self._options = provider_options(auth.config, providers)
        self._redirect_mode = redirect_mode
        self._open_browser = open_browser
        self._auth_flow = auth_flow
        self._client_metadata = dict(client_metadata) if client_metadata else None
        self._clock = clock
        self._tick_seconds = tick_seconds
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._closed = False
        self._ticker: threading.Thread | None = None
        self._threads: set[threading.Thread] = set()
        self._busy = 0
        self._attempt = 0
        self._mode = "sign_in"  # sign_in | device | browser | challenge | signed_in
        self._username: str | None = None
        self._identity_id: str | None = None
        self._failures: dict[str, str] = {}
        self._js_timer: threading.Timer | None = None
        self._owned: list[Any] = []  # sign-ins this widget started (close() cancels them)
        #: The device-code sign-in this widget shows (or showed last); a Python attribute only.
        self.device_handle: Any = None
        #: The browser sign-in this widget shows (or showed last).
        self.redirect_handle: Any = None
        #: The pending user-pool step (Amplify's ``next_step``), or None.
        self.next_step: dict[str, Any] | None = None
        #: The last error shown.
        self.last_error: BaseException | None = None
        self._build()
        self._unsubscribe = auth.hub.listen("auth", self._on_hub_event)
        _LIVE.add(self)
        self._show_current_state()

    # -- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        w = widgets
        wide = {"description_width": "initial"}
        self.title = w.HTML(view.title_html())
        self.provider_picker = w.Dropdown(
            options=[(o.label, o) for o in self._options], description="Provider", style=wide
        )
        self.device_button = w.Button(
            description="Sign in with device code",
            icon="key",
            button_style="primary",
            tooltip="Get a code to confirm on the identity provider's page",
            layout=w.Layout(width="auto"),
        )
        self.browser_button = w.Button(
            description="Sign in with browser (OAuth)",
            icon="external-link",
            tooltip="Open the identity provider's sign-in page in a new tab",
            layout=w.Layout(width="auto"),
        )
        self.username = w.Text(description="Username", placeholder="username or email")
        self.password = w.Password(description="Password", placeholder="password")
        self.sign_in_button = w.Button(
            description="Sign in", icon="sign-in", button_style="primary"
        )
        self.user_pool_form = w.VBox([self.username, self.password, self.sign_in_button])
        actions = w.HBox([self.device_button, self.browser_button])
        self.sign_in_box = w.VBox([self.provider_picker, actions, self.user_pool_form])

        self.user_code = w.HTML()
        self.countdown = w.HTML()
        self.cancel_button = w.Button(description="Cancel", icon="times")
        waiting = w.HBox(
            [self.countdown, self.cancel_button],
            layout=w.Layout(align_items="center", grid_gap="12px"),
        )
        self.device_box = w.VBox([self.user_code, waiting])

        self.browser_link = w.HTML()
        self.paste_url = w.Text(
            description="Final address",
            placeholder="http://127.0.0.1/callback?code=…&state=…",
            style=wide,
            layout=w.Layout(width="60%"),
        )
        self.complete_button = w.Button(description="Complete", icon="check")
        self.browser_cancel_button = w.Button(description="Cancel", icon="times")
        paste = w.HBox([self.paste_url, self.complete_button, self.browser_cancel_button])
        self.browser_box = w.VBox([self.browser_link, paste])

        self.challenge_prompt = w.HTML()
        self.challenge_code = w.Text(description="Code", placeholder="123456")
        self.challenge_secret = w.Password(description="Answer", style=wide)
        self.mfa_choice = w.ToggleButtons(options=["SMS"], description="Send code by", style=wide)
        self.challenge_button = w.Button(
            description="Continue", icon="arrow-right", button_style="primary"
        )
        self.challenge_cancel_button = w.Button(description="Cancel", icon="times")
        answer = w.HBox([self.challenge_button, self.challenge_cancel_button])
        self.challenge_box = w.VBox(
            [
                self.challenge_prompt,
                self.challenge_code,
                self.challenge_secret,
                self.mfa_choice,
                answer,
            ]
        )

        self.status = w.HTML()
        self.credentials_status = w.HTML()
        self.refresh_status = w.HTML()
        for line in (self.status, self.credentials_status, self.refresh_status):
            self._show(line, False)  # an empty HTML widget still takes a line: hide it
            line.observe(self._on_line_change, names="value")
        self.sign_out_button = w.Button(description="Sign out", icon="sign-out")
        # window.open() goes through an Output widget; it is emptied again right after.
        self._browser_js = w.Output(layout=w.Layout(height="0px", overflow="hidden"))

        self.device_button.on_click(self._start_device_code)
        self.browser_button.on_click(self._start_browser)
        self.sign_in_button.on_click(self._submit_password)
        self.cancel_button.on_click(self._cancel)
        self.browser_cancel_button.on_click(self._cancel)
        self.complete_button.on_click(self._complete_redirect)
        self.challenge_button.on_click(self._submit_challenge)
        self.challenge_cancel_button.on_click(self._cancel_challenge)
        self.sign_out_button.on_click(self._sign_out)
        self.provider_picker.observe(self._on_provider_change, names="index")

        self.children = [
            self.title,
            self.sign_in_box,
            self.device_box,
            self.browser_box,
            self.challenge_box,
            self.status,
            self.credentials_status,
            self.refresh_status,
            self.sign_out_button,
            self._browser_js,
        ]
        self.layout.grid_gap = "6px"
        self.layout.max_width = "760px"

    # -- public helpers ---------------------------------------------------------------------

    @property
    def selected_provider(self) -> ProviderOption:
        """The picker's current entry."""
        return self.provider_picker.value  # type: ignore[no-any-return]

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
    def status_text(self) -> str:
        """The status panel as plain text (status, credentials and refresh lines).

        Example::

            w.status_text          # 'Signed in as demo\\nAWS credentials valid for 59:58 …'
        """
        parts = (self.status.value, self.credentials_status.value, self.refresh_status.value)
        lines = (html.unescape(_TAGS.sub(" ", p)).strip() for p in parts)
        return "\n".join(" ".join(line.split()) for line in lines if line)

    @property
    def mode(self) -> str:
        """What the widget shows: ``sign_in``, ``device``, ``browser``, ``challenge`` or
        ``signed_in``."""
        return self._mode

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until the widget's worker threads (starting a flow, a user-pool step, signing
        out, fetching the session) have finished; False on timeout. A pending device-code or
        browser sign-in is not work: it waits for the person.

        Example::

            w.sign_in_button.click()
            w.wait_idle()
        """
        deadline = time.monotonic() + timeout
        me = threading.current_thread()
        while True:
            with self._lock:
                running = [t for t in self._threads if t.is_alive() and t is not me]
            if not running:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            running[0].join(remaining)

    def close(self) -> None:
        """Unsubscribe from the Hub, stop the threads, cancel a sign-in the widget started and
        still shows (one started in a cell goes on), close every part (idempotent)."""
        with self._lock:
            already = self._closed
            self._closed = True
            self._attempt += 1
            pending = [h for h in self._owned if not h.done]
            self._owned.clear()
        if not already:
            self._unsubscribe()
            self._stop_background()
            for handle in pending:
                handle.cancel()  # its prompt is going away with the widget
            self.password.value = ""
            self.challenge_secret.value = ""
            self.paste_url.value = ""
            for part in self._parts():
                for sub in (getattr(part, "layout", None), getattr(part, "style", None)):
                    if isinstance(sub, widgets.Widget):
                        sub.close()
                part.close()
            self.layout.close()
            _LIVE.discard(self)
        super().close()

    # -- views ------------------------------------------------------------------------------

    def _parts(self) -> list[widgets.Widget]:
        """Every widget this one is made of (depth first, without layouts and styles)."""
        found: list[widgets.Widget] = []

        def walk(widget: widgets.Widget) -> None:
            for child in getattr(widget, "children", ()):
                walk(child)
                found.append(child)

        walk(self)
        return found

    @staticmethod
    def _show(widget: widgets.Widget, visible: bool) -> None:
        widget.layout.display = None if visible else "none"

    def _on_line_change(self, change: Any) -> None:
        self._show(change.owner, bool(change.new))

    def _render(self) -> None:
        """Show what the mode needs; enable what can be used now (under ``_lock``)."""
        mode, option, busy = self._mode, self.selected_provider, self._busy > 0
        self._show(self.sign_in_box, mode == "sign_in")
        self._show(self.device_box, mode == "device")
        self._show(self.browser_box, mode == "browser")
        self._show(self.challenge_box, mode == "challenge")
        self._show(self.sign_out_button, mode == "signed_in")
        self._show(self.user_pool_form, option.kind == "user_pool")
        self._show(self.device_button, option.kind == "oidc")  # managed login has no device flow
        step = (self.next_step or {}).get("sign_in_step")
        self._show(self.challenge_code, step in CODE_STEPS)
        self._show(self.challenge_secret, step in SECRET_STEPS)
        self._show(self.mfa_choice, step == MFA_SELECTION)
        self.provider_picker.disabled = busy
        self.device_button.disabled = busy or option.kind != "oidc"
        self.browser_button.disabled = busy or (
            option.kind == "user_pool" and self.auth.config.oauth is None
        )
        for button in (
            self.sign_in_button,
            self.complete_button,
            self.challenge_button,
            self.sign_out_button,
        ):
            button.disabled = busy
        federated = self.auth.state == "federated"
        self.sign_out_button.description = "Clear federation" if federated else "Sign out"

    def _set_status(self, text: str, kind: str = "info", detail: str | None = None) -> None:
        self.status.value = view.status_html(text, kind, detail)

    def _show_error(self, error: BaseException | None, prefix: str = "") -> None:
        if error is None:
            return
        self.last_error = error
        text, recovery = view.error_text(error)
        self._set_status(prefix + text, "error", recovery)

    def _clear_prompts(self) -> None:
        """Invariant 1: device-code prompt, pasted URL, typed answers and the window.open
        output go away as soon as a sign-in ends."""
        self.user_code.value = ""
        self.countdown.value = ""
        self.browser_link.value = ""
        self.paste_url.value = ""
        self.password.value = ""
        self.challenge_code.value = ""
        self.challenge_secret.value = ""
        self.challenge_prompt.value = ""
        self.next_step = None
        self._clear_js()

    def _show_current_state(self) -> None:
        state = self.auth.state
        if state in ("signed_in", "federated"):
            self._enter_account(None)
            return
        with self._lock:
            pending = getattr(self.auth, "pending_sign_in", None)
            attempt = self._next_attempt()
            if pending is not None and hasattr(pending, "user_code"):
                self._show_device(pending, attempt)  # started elsewhere (a cell, a magic)
            elif pending is not None and hasattr(pending, "url"):
                self._show_browser(pending, attempt, open_tab=False)
            else:
                self._set_status("Choose a provider and sign in.", "muted")
                self._render()

    def _ready(self) -> bool:
        """No other action is running (buttons are disabled meanwhile; this guards clicks
        made from code) and the widget is open."""
        return not self._closed and not self._busy

    def _next_attempt(self) -> int:
        with self._lock:
            self._attempt += 1
            return self._attempt

    def _reset(self, text: str, kind: str = "muted", detail: str | None = None) -> None:
        """Back to the sign-in view (after sign-out, or when the session ended)."""
        with self._lock:
            self._attempt += 1
            self._mode = "sign_in"
            self._username = None
            self._identity_id = None
            self._failures.clear()
            self._clear_prompts()
            self.credentials_status.value = ""
            self.refresh_status.value = ""
            self._set_status(text, kind, detail)
            self._render()

    def _enter_account(self, username: str | None) -> None:
        """Signed in (or federated): clear every prompt, show who, count the credentials."""
        with self._lock:
            if self._closed:
                return
            self._mode = "signed_in"
            self._clear_prompts()
            if username:
                self._username = username
            self._show_account_status()
            self._render()
        self._ensure_ticker()
        self._spawn(self._load_session)

    def _show_account_status(self) -> None:
        if self.auth.state == "federated":
            self._set_status("Federated to the identity pool", "ok")
        elif self._username:
            self._set_status(f"Signed in as {self._username}", "ok")
        else:
            self._set_status("Signed in", "ok")

    def _show_failures(self) -> None:
        self.refresh_status.value = "".join(
            f'<div style="line-height:1.4">{view.message_html(text, "warn")}</div>'
            for text in self._failures.values()
        )

    # -- threads ----------------------------------------------------------------------------

    def _spawn(self, target: Callable[[], None], *, busy: bool = False) -> bool:
        """Run ``target`` on a daemon worker; one busy (user-started) action at a time."""
        with self._lock:
            if self._closed or (busy and self._busy):
                return False
            if busy:
                self._busy += 1
                self._render()
            thread = threading.Thread(
                target=self._work, args=(target, busy), name="nbauth-login-widget", daemon=True
            )
            self._threads.add(thread)
        thread.start()
        return True

    def _work(self, target: Callable[[], None], busy: bool) -> None:
        try:
            target()
        except Exception as exc:  # each action reports its own errors; this is the backstop
            log.warning("Login widget action failed: %s", type(exc).__name__, exc_info=True)
            with self._lock:
                self._show_error(exc)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())
                if busy:
                    self._busy -= 1
                    if not self._closed:
                        self._render()

    def _ensure_ticker(self) -> None:
        with self._lock:
            if self._closed or (self._ticker is not None and self._ticker.is_alive()):
                return
            if not self._tick():
                return
            self._ticker = threading.Thread(
                target=self._run_ticker, name="nbauth-login-widget-ticker", daemon=True
            )
            self._ticker.start()

    def _run_ticker(self) -> None:
        while not self._stop.wait(self._tick_seconds):
            with self._lock:
                try:
                    if self._tick():
                        continue
                except Exception:
                    log.warning("Login widget countdown failed", exc_info=True)
                if self._ticker is threading.current_thread():
                    self._ticker = None
                return

    def _tick(self) -> bool:
        """Update the countdowns (under ``_lock``); False when there is nothing to count."""
        if self._closed:
            return False
        now = self._clock()
        active = False
        handle = self.device_handle
        if self._mode == "device" and handle is not None and not handle.done:
            self.countdown.value = view.countdown_html(handle.seconds_left(now))
            active = True
        if self._mode == "signed_in":
            if self.auth.state == "signed_out":  # e.g. the IdP refused the refresh token
                failure = self._failures.get("tokens")
                self._reset("Your session ended; sign in again.", "warn", failure)
                return False
            fetched = self.auth.credentials_engine.peek()
            credentials = getattr(fetched, "credentials", None)
            expires_at = getattr(credentials, "expires_at", None)
            if expires_at is not None:
                self._identity_id = getattr(fetched, "identity_id", None) or self._identity_id
                self.credentials_status.value = view.credentials_html(
                    expires_at - now, self._identity_id
                )
            elif self._has_identity_pool():
                self.credentials_status.value = view.message_html(
                    "AWS credentials: none at the moment (fetched on first use).", "muted"
                )
            active = True
        return active

    def _stop_background(self) -> None:
        self._stop.set()
        self._clear_js()
        ticker = self._ticker
        if ticker is not None and ticker is not threading.current_thread():
            ticker.join(2.0)

    def _has_identity_pool(self) -> bool:
        return bool(self.auth.config.identity_pool_id) or self.auth.credentials_provider is not None

    def _load_session(self) -> None:
        """After a sign-in: fetch the session (federates now, so problems show at once) and
        the user's name when the event did not carry it."""
        if self._has_identity_pool():
            try:
                session = self.auth.fetch_auth_session()
            except Exception as exc:
                text, recovery = view.error_text(exc)
                with self._lock:
                    self._failures["credentials"] = f"AWS credentials: {text} — {recovery}"
                    self._show_failures()
                return
            self._identity_id = session.identity_id
        if self._username is None and self.auth.state == "signed_in":
            try:
                username = self.auth.get_current_user().get("username")
            except Exception:
                username = None
            with self._lock:
                if username and self._mode == "signed_in":
                    self._username = str(username)
                    self._show_account_status()
        with self._lock:
            if self._mode == "signed_in":
                self._tick()

    # -- Hub events -------------------------------------------------------------------------

    def _on_hub_event(self, capsule: Mapping[str, Any]) -> None:
        """Status from events. The Hub may be shared by several ``Auth`` objects: state
        changes are checked against this widget's ``auth`` before they are shown."""
        if self._closed:
            return
        payload = capsule.get("payload") or {}
        event = payload.get("event")
        data = payload.get("data")
        data = data if isinstance(data, Mapping) else {}
        state = self.auth.state
        if event == "signedIn" and state == "signed_in":
            self._enter_account(str(data["username"]) if data.get("username") else None)
        elif event == "federatedToIdentityPool" and state == "federated":
            self._enter_account(None)
        elif (
            event in ("signedOut", "federationToIdentityPoolCleared")
            and state == "signed_out"
            and self._mode == "signed_in"
        ):
            self._reset("Signed out." if event == "signedOut" else "Federation cleared.")
        elif event in ("credentialsRefresh", "tokenRefresh", "sessionExpired"):
            key = "credentials" if event == "credentialsRefresh" else "tokens"
            with self._lock:
                if event == "sessionExpired":
                    self._failures[key] = "The federated provider's token expired."
                else:
                    self._failures.pop(key, None)
                self._show_failures()
        elif event in ("credentialsRefresh_failure", "tokenRefresh_failure"):
            what = "AWS credentials" if event.startswith("credentials") else "tokens"
            text = f"Refreshing {what} failed: {data.get('error')}: {data.get('message')}"
            retry = data.get("retry_in_seconds")
            if isinstance(retry, (int, float)):
                text += f" — retrying in {retry:.0f} s; the current ones stay in use"
            with self._lock:
                if self._mode == "signed_in":
                    self._failures["credentials" if what == "AWS credentials" else "tokens"] = text
                    self._show_failures()

    def _on_provider_change(self, _change: Any) -> None:
        with self._lock:
            if not self._closed:
                self._render()


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
            widget._stop_background()
        except Exception:
            log.debug("Stopping a login widget at exit failed", exc_info=True)


atexit.register(_stop_all)
