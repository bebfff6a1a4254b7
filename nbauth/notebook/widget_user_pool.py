"""The login widget's Cognito user-pool form: username and password, then the challenge steps
Amplify names in ``next_step`` (SMS, email or TOTP code, TOTP setup, MFA selection, a new
password, a custom challenge).

Each submit reads the form and **empties every secret input at once** (the password, a
challenge answer: synced traits end up in the saved notebook), then runs ``sign_in`` /
``confirm_sign_in`` on a worker thread. A wrong code or a password the policy refuses leaves the
step open to answer again; any other error goes back to the sign-in view.

Example::

    w.select_provider("user_pool")
    w.username.value, w.password.value = "ada", password   # what a person types
    w.sign_in_button.click()                               # password field is "" from here on
    w.wait_idle()
    w.next_step                                            # e.g. an SMS code step
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import CodeMismatchError, InvalidParameterError, SignInSessionExpiredError
from . import widget_html as view

if TYPE_CHECKING:
    from .widget_state import WidgetState
    from .widget_status_panel import StatusPanel

__all__ = ["CODE_STEPS", "MFA_SELECTION", "SECRET_STEPS", "UserPoolPanel", "answer_input"]

#: Steps answered with a one-time code.
CODE_STEPS = frozenset(
    {
        "CONFIRM_SIGN_IN_WITH_SMS_CODE",
        "CONFIRM_SIGN_IN_WITH_EMAIL_CODE",
        "CONFIRM_SIGN_IN_WITH_TOTP_CODE",
        "CONTINUE_SIGN_IN_WITH_TOTP_SETUP",
    }
)
#: Steps answered with a secret typed in a password field.
SECRET_STEPS = frozenset(
    {"CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED", "CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE"}
)
#: The step answered by choosing how to receive the code.
MFA_SELECTION = "CONTINUE_SIGN_IN_WITH_MFA_SELECTION"


def answer_input(step: Mapping[str, Any] | None) -> str | None:
    """Which input a step's answer goes in: ``"code"``, ``"secret"``, ``"choice"`` or None.

    Example::

        >>> answer_input({"sign_in_step": "CONFIRM_SIGN_IN_WITH_SMS_CODE"})
        'code'
    """
    name = (step or {}).get("sign_in_step")
    if name in CODE_STEPS:
        return "code"
    if name in SECRET_STEPS:
        return "secret"
    return "choice" if name == MFA_SELECTION else None


class UserPoolPanel:
    """User-pool sign-in for :class:`~nbauth.notebook.widget.LoginWidget`; ``auth_flow`` and
    ``client_metadata`` go to ``sign_in`` / ``confirm_sign_in``."""

    def __init__(
        self,
        state: WidgetState,
        account: StatusPanel,
        *,
        auth_flow: str,
        client_metadata: Mapping[str, str] | None,
    ) -> None:
        self.state = state
        self.auth = state.auth
        self.layout = state.layout
        self.account = account
        self.auth_flow = auth_flow
        self.client_metadata = dict(client_metadata) if client_metadata else None

    def submit_password(self, _button: Any = None) -> None:
        """Sign in with the form's username and password (on a worker thread)."""
        state = self.state
        username = self.layout.username.value.strip()
        password = self.layout.password.value
        self.layout.password.value = ""  # invariant 1: the password never stays in a synced trait
        if not state.ready():
            return
        if not username or not password:
            with state.lock:
                state.set_status("Enter your username and password.", "warn")
            return
        attempt = state.next_attempt()

        def sign_in() -> None:
            try:
                result = self.auth.sign_in(
                    username,
                    password,
                    auth_flow=self.auth_flow,
                    client_metadata=self.client_metadata,
                )
            except Exception as exc:
                state.failed(exc, attempt)
                return
            self._after_step(result, attempt)

        with state.lock:
            state.set_status("Signing in…", "muted")
        state.workers.spawn(sign_in, busy=True)

    def _after_step(self, result: Any, attempt: int) -> None:
        state = self.state
        with state.lock:
            if not state.is_current(attempt):
                return
            if result.is_signed_in:
                state.set_next_step(None)
                signed_in = state.mode != "signed_in"
            else:
                signed_in = False
                step = dict(result.next_step)
                name = step.get("sign_in_step")
                if name in ("CONFIRM_SIGN_UP", "RESET_PASSWORD"):
                    state.mode = "sign_in"
                    state.set_next_step(None)
                    hint = (
                        "nbauth.confirm_sign_up(username, code)"
                        if name == "CONFIRM_SIGN_UP"
                        else "nbauth.reset_password(username)"
                    )
                    state.set_status(f"This account needs {name}.", "warn", f"Use {hint}.")
                else:
                    self._show_challenge(step)
                state.render()
        if signed_in and self.auth.state == "signed_in":
            self.account.enter_account()

    def _show_challenge(self, step: dict[str, Any]) -> None:
        state, layout = self.state, self.layout
        name = step.get("sign_in_step")
        state.set_next_step(step, answer_input(step))
        state.mode = "challenge"
        layout.challenge_code.value = ""
        layout.challenge_secret.value = ""
        layout.challenge_prompt.value = view.challenge_prompt_html(step)
        layout.challenge_secret.description = (
            "New password" if name == "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED" else "Answer"
        )
        if name == MFA_SELECTION:
            allowed = [str(m) for m in step.get("allowed_mfa_types") or ()] or ["SMS"]
            layout.mfa_choice.options = allowed
            layout.mfa_choice.value = allowed[0]
        state.set_status("One more step to sign in.", "muted")

    def submit_challenge(self, _button: Any = None) -> None:
        """Answer the pending step from its input (on a worker thread)."""
        state, layout = self.state, self.layout
        step = state.next_step
        if step is None or state.mode != "challenge":
            return
        kind = answer_input(step)
        if kind == "choice":
            answer = str(layout.mfa_choice.value or "")
        elif kind == "code":
            answer = layout.challenge_code.value.strip()
        else:
            answer = layout.challenge_secret.value
        layout.challenge_code.value = ""  # answers never stay in a synced trait
        layout.challenge_secret.value = ""
        if not state.ready():
            return
        if not answer:
            with state.lock:
                state.set_status("Enter the answer first.", "warn")
            return
        attempt = state.attempt

        def confirm() -> None:
            try:
                result = self.auth.confirm_sign_in(answer, client_metadata=self.client_metadata)
            except Exception as exc:
                retry = isinstance(exc, (CodeMismatchError, InvalidParameterError)) and not (
                    isinstance(exc, SignInSessionExpiredError)
                )
                if retry:  # wrong code or a password the policy refuses: answer again
                    with state.lock:
                        if state.is_current(attempt):
                            state.show_error(exc)
                    return
                state.failed(exc, attempt)
                return
            self._after_step(result, attempt)

        with state.lock:
            state.set_status("Checking…", "muted")
        state.workers.spawn(confirm, busy=True)

    def cancel(self, _button: Any = None) -> None:
        """Leave the pending step: back to the sign-in view."""
        self.account.reset("Sign-in cancelled.")
