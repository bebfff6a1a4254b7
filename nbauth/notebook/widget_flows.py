"""What the login widget's buttons do: device code, browser (code + PKCE), the user-pool form
with its challenge steps, and sign-out — a mixin of :class:`~nbauth.notebook.widget.LoginWidget`.

Each action reads what it needs from the form, **empties every secret input at once** (the
password, a challenge answer, the pasted redirect URL: synced traits end up in the saved
notebook), then runs its network calls on a worker thread (``_spawn``). Results come back as
handle callbacks and Hub events; an ``attempt`` number drops the late answers of a sign-in the
user has already moved on from.

Example::

    w.select_provider("user_pool")
    w.username.value, w.password.value = "ada", password   # what a person types
    w.sign_in_button.click()                               # password field is "" from here on
    w.wait_idle()
    w.next_step                                            # e.g. an SMS code step
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import CodeMismatchError, InvalidParameterError, SignInSessionExpiredError
from . import widget_html as view

if TYPE_CHECKING:
    import ipywidgets

    from ..auth import Auth
    from .widget_providers import ProviderOption

__all__ = ["CODE_STEPS", "MFA_SELECTION", "SECRET_STEPS", "SignInActions"]

log = logging.getLogger("nbauth.notebook")

CODE_STEPS = frozenset(
    {
        "CONFIRM_SIGN_IN_WITH_SMS_CODE",
        "CONFIRM_SIGN_IN_WITH_EMAIL_CODE",
        "CONFIRM_SIGN_IN_WITH_TOTP_CODE",
        "CONTINUE_SIGN_IN_WITH_TOTP_SETUP",
    }
)
SECRET_STEPS = frozenset(
    {"CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED", "CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE"}
)
MFA_SELECTION = "CONTINUE_SIGN_IN_WITH_MFA_SELECTION"


class SignInActions:
    """The button handlers of :class:`~nbauth.notebook.widget.LoginWidget`."""

    # provided by LoginWidget
    auth: Auth
    device_handle: Any
    redirect_handle: Any
    next_step: dict[str, Any] | None
    last_error: BaseException | None
    _lock: threading.RLock
    _attempt: int
    _mode: str
    _closed: bool
    _owned: list[Any]
    _redirect_mode: str
    _open_browser: bool
    _auth_flow: str
    _client_metadata: dict[str, str] | None
    _js_timer: threading.Timer | None
    _browser_js: ipywidgets.Output
    user_code: ipywidgets.HTML
    countdown: ipywidgets.HTML
    browser_link: ipywidgets.HTML
    challenge_prompt: ipywidgets.HTML
    paste_url: ipywidgets.Text
    username: ipywidgets.Text
    password: ipywidgets.Password
    challenge_code: ipywidgets.Text
    challenge_secret: ipywidgets.Password
    mfa_choice: ipywidgets.ToggleButtons
    status: ipywidgets.HTML
    selected_provider: ProviderOption
    _ready: Callable[[], bool]
    _next_attempt: Callable[[], int]
    _set_status: Callable[..., None]
    _show_error: Callable[..., None]
    _render: Callable[[], None]
    _spawn: Callable[..., bool]
    _ensure_ticker: Callable[[], None]
    _enter_account: Callable[[str | None], None]
    _reset: Callable[..., None]

    # -- device code ------------------------------------------------------------------------

    def _start_device_code(self, _button: Any = None) -> None:
        option = self.selected_provider
        if option.kind != "oidc" or not self._ready():
            return
        attempt = self._next_attempt()

        def start() -> None:
            try:
                handle = self.auth.sign_in_with_device_code(provider=option.name)
            except Exception as exc:
                self._failed(exc, attempt)
                return
            with self._lock:
                if attempt != self._attempt or self._closed:
                    handle.cancel()
                    return
                self._owned = [h for h in self._owned if not h.done] + [handle]
                self._show_device(handle, attempt)

        with self._lock:
            self._set_status("Starting the device-code sign-in…", "muted")
        self._spawn(start, busy=True)

    def _show_device(self, handle: Any, attempt: int) -> None:
        with self._lock:
            self.device_handle = handle
            self._mode = "device"
            self.user_code.value = view.device_prompt_html(
                handle.user_code, handle.verification_uri_complete
            )
            self.status.value = ""  # the countdown line says what is going on
            self._render()
        handle.on_done(lambda h: self._device_done(h, attempt))
        self._ensure_ticker()

    def _device_done(self, handle: Any, attempt: int) -> None:
        with self._lock:
            if self._closed or handle is not self.device_handle:
                return
            self.user_code.value = ""  # invariant 1: the prompt goes when the sign-in ends
            self.countdown.value = ""
            if attempt != self._attempt or self._mode == "signed_in":
                return
            if handle.status == "signed_in":
                pass  # the signedIn event switches the view; see below if it didn't
            elif handle.status == "cancelled":
                self._mode = "sign_in"
                self._set_status("Sign-in cancelled.", "muted")
            else:
                self._mode = "sign_in"
                self._show_error(handle.error)
            self._render()
        if handle.status == "signed_in" and self.auth.state == "signed_in":
            self._enter_account(None)

    def _cancel(self, _button: Any = None) -> None:
        with self._lock:
            handle = {"device": self.device_handle, "browser": self.redirect_handle}.get(self._mode)
        if handle is not None and not handle.done:
            handle.cancel()  # the on_done callback resets the view
        else:
            self._reset("Sign-in cancelled.")

    # -- browser (code + PKCE) --------------------------------------------------------------

    def _start_browser(self, _button: Any = None) -> None:
        option = self.selected_provider
        # The user pool's own page is Cognito managed login with identity_provider=COGNITO.
        provider = "COGNITO" if option.kind == "user_pool" else option.name
        if not self._ready():
            return
        attempt = self._next_attempt()

        def start() -> None:
            try:
                handle = self.auth.sign_in_with_redirect(
                    provider=provider, mode=self._redirect_mode
                )
            except Exception as exc:
                self._failed(exc, attempt)
                return
            with self._lock:
                if attempt != self._attempt or self._closed:
                    handle.cancel()
                    return
                self._owned = [h for h in self._owned if not h.done] + [handle]
                self._show_browser(handle, attempt, open_tab=True)

        with self._lock:
            self._set_status("Preparing the sign-in page…", "muted")
        self._spawn(start, busy=True)

    def _show_browser(self, handle: Any, attempt: int, *, open_tab: bool) -> None:
        with self._lock:
            self.redirect_handle = handle
            self._mode = "browser"
            self.browser_link.value = view.browser_prompt_html(handle.url, handle.mode)
            self._set_status("Waiting for the identity provider…", "muted")
            self._render()
        if open_tab:
            self._open_in_browser(handle.url)
        handle.on_done(lambda h: self._redirect_done(h, attempt))

    def _open_in_browser(self, url: str) -> None:
        """Best effort: ``window.open`` through a hidden Output widget (browsers may block
        it; the link is there anyway). Emptied after a few seconds so a saved notebook never
        reopens the page."""
        if not self._open_browser:
            return
        try:
            from IPython import get_ipython
            from IPython.display import Javascript

            if get_ipython() is None:  # no kernel (a script, a test): nobody to open a tab for
                return

            target = json.dumps(url).replace("</", "<\\/")
            code = f'window.open({target}, "_blank", "noopener");'
            with self._lock:
                self._browser_js.outputs = ()
                self._browser_js.append_display_data(Javascript(code))
                timer = threading.Timer(3.0, self._clear_js)
                timer.daemon = True
                self._js_timer = timer
            timer.start()
        except Exception:
            log.debug("Could not open the browser from the kernel", exc_info=True)

    def _clear_js(self) -> None:
        timer, self._js_timer = self._js_timer, None
        if timer is not None and timer is not threading.current_thread():
            timer.cancel()
        if self._browser_js.outputs:
            self._browser_js.outputs = ()

    def _complete_redirect(self, _button: Any = None) -> None:
        url = self.paste_url.value.strip()
        self.paste_url.value = ""  # it carries the authorization code: not kept in a trait
        handle = self.redirect_handle
        if handle is None or handle.done or self._mode != "browser" or not self._ready():
            return
        if not url:
            with self._lock:
                self._set_status("Paste the address the browser ended on first.", "warn")
            return

        def complete() -> None:
            try:
                handle.complete(url)
            except Exception as exc:
                with self._lock:
                    if not handle.done:  # a bad paste: the sign-in still waits
                        self._show_error(exc)
                # otherwise _redirect_done has shown the flow's error

        with self._lock:
            self._set_status("Completing the sign-in…", "muted")
        self._spawn(complete, busy=True)

    def _redirect_done(self, handle: Any, attempt: int) -> None:
        with self._lock:
            if self._closed or handle is not self.redirect_handle:
                return
            self.browser_link.value = ""
            self.paste_url.value = ""
            self._clear_js()
            if attempt != self._attempt or self._mode == "signed_in":
                return
            if handle.status == "cancelled":
                self._mode = "sign_in"
                self._set_status("Sign-in cancelled.", "muted")
            elif handle.status != "signed_in":
                self._mode = "sign_in"
                self._show_error(handle.error)
            self._render()
        if handle.status == "signed_in" and self.auth.state == "signed_in":
            self._enter_account(None)

    # -- user pool --------------------------------------------------------------------------

    def _submit_password(self, _button: Any = None) -> None:
        username = self.username.value.strip()
        password = self.password.value
        self.password.value = ""  # invariant 1: the password never stays in a synced trait
        if not self._ready():
            return
        if not username or not password:
            with self._lock:
                self._set_status("Enter your username and password.", "warn")
            return
        attempt = self._next_attempt()

        def sign_in() -> None:
            try:
                result = self.auth.sign_in(
                    username,
                    password,
                    auth_flow=self._auth_flow,
                    client_metadata=self._client_metadata,
                )
            except Exception as exc:
                self._failed(exc, attempt)
                return
            self._after_step(result, attempt)

        with self._lock:
            self._set_status("Signing in…", "muted")
        self._spawn(sign_in, busy=True)

    def _after_step(self, result: Any, attempt: int) -> None:
        with self._lock:
            if self._closed or attempt != self._attempt:
                return
            if result.is_signed_in:
                self.next_step = None
                signed_in = self._mode != "signed_in"
            else:
                signed_in = False
                step = dict(result.next_step)
                name = step.get("sign_in_step")
                if name in ("CONFIRM_SIGN_UP", "RESET_PASSWORD"):
                    self._mode = "sign_in"
                    self.next_step = None
                    hint = (
                        "nbauth.confirm_sign_up(username, code)"
                        if name == "CONFIRM_SIGN_UP"
                        else "nbauth.reset_password(username)"
                    )
                    self._set_status(f"This account needs {name}.", "warn", f"Use {hint}.")
                else:
                    self._show_challenge(step)
                self._render()
        if signed_in and self.auth.state == "signed_in":
            self._enter_account(None)

    def _show_challenge(self, step: dict[str, Any]) -> None:
        name = step.get("sign_in_step")
        self.next_step = step
        self._mode = "challenge"
        self.challenge_code.value = ""
        self.challenge_secret.value = ""
        self.challenge_prompt.value = view.challenge_prompt_html(step)
        self.challenge_secret.description = (
            "New password" if name == "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED" else "Answer"
        )
        if name == MFA_SELECTION:
            allowed = [str(m) for m in step.get("allowed_mfa_types") or ()] or ["SMS"]
            self.mfa_choice.options = allowed
            self.mfa_choice.value = allowed[0]
        self._set_status("One more step to sign in.", "muted")

    def _submit_challenge(self, _button: Any = None) -> None:
        step = self.next_step
        if step is None or self._mode != "challenge":
            return
        name = step.get("sign_in_step")
        if name == MFA_SELECTION:
            answer = str(self.mfa_choice.value or "")
        elif name in CODE_STEPS:
            answer = self.challenge_code.value.strip()
        else:
            answer = self.challenge_secret.value
        self.challenge_code.value = ""  # answers never stay in a synced trait
        self.challenge_secret.value = ""
        if not self._ready():
            return
        if not answer:
            with self._lock:
                self._set_status("Enter the answer first.", "warn")
            return
        attempt = self._attempt

        def confirm() -> None:
            try:
                result = self.auth.confirm_sign_in(answer, client_metadata=self._client_metadata)
            except Exception as exc:
                retry = isinstance(exc, (CodeMismatchError, InvalidParameterError)) and not (
                    isinstance(exc, SignInSessionExpiredError)
                )
                if retry:  # wrong code or a password the policy refuses: answer again
                    with self._lock:
                        if attempt == self._attempt and not self._closed:
                            self._show_error(exc)
                    return
                self._failed(exc, attempt)
                return
            self._after_step(result, attempt)

        with self._lock:
            self._set_status("Checking…", "muted")
        self._spawn(confirm, busy=True)

    def _cancel_challenge(self, _button: Any = None) -> None:
        self._reset("Sign-in cancelled.")

    def _failed(self, error: BaseException, attempt: int) -> None:
        """A sign-in step failed: back to the sign-in view with the error."""
        with self._lock:
            if self._closed or attempt != self._attempt:
                return
            self._mode = "sign_in"
            self.next_step = None
            self.challenge_prompt.value = ""
            self._show_error(error)
            self._render()

    # -- sign-out and picker ----------------------------------------------------------------

    def _sign_out(self, _button: Any = None) -> None:
        if not self._ready():
            return

        def sign_out() -> None:
            try:
                if self.auth.state == "federated":
                    self.auth.clear_federation_to_identity_pool()
                    self._reset("Federation cleared.")
                else:
                    self.auth.sign_out()
                    self._reset("Signed out.")
            except Exception as exc:
                with self._lock:
                    self._show_error(exc)

        with self._lock:
            self._set_status("Signing out…", "muted")
        self._spawn(sign_out, busy=True)
