"""The login widget's Cognito user-pool form: username and password, then the steps Amplify
names in ``next_step`` (SMS, email or TOTP code, TOTP setup, MFA selection, a new password, a
custom challenge).

The password and every answer arrive as custom messages and are used at once; nothing typed is
ever a synced trait. The step's *public* description (which input, its label, a prompt, the
MFA choices) is the ``step`` trait; the TOTP setup secret and its QR code go to the front-end as
a message (:mod:`.widget_totp`) and are cleared when the step ends. A wrong code, a TOTP setup
code that does not match, or a password the policy refuses leaves the step open to answer again
in place; any other error goes back to the sign-in form.

Example::

    w.receive({"type": "sign_in", "username": "ada", "password": password})
    w.wait_idle()
    w.next_step                            # e.g. an SMS code step
    w.receive({"type": "confirm", "answer": "123456"})
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import CodeMismatchError, InvalidParameterError, SignInSessionExpiredError
from .widget_totp import totp_message

if TYPE_CHECKING:
    from .widget_state import WidgetState
    from .widget_status_panel import AccountView

__all__ = ["CODE_STEPS", "MFA_SELECTION", "SECRET_STEPS", "UserPoolFlow", "public_step"]

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
#: Errors that leave the step open (error names, for those without their own class).
_RETRY_NAMES = frozenset({"EnableSoftwareTokenMFAException", "CodeMismatchException"})

_CODE_PROMPTS = {
    "CONFIRM_SIGN_IN_WITH_SMS_CODE": "Enter the code we sent by SMS",
    "CONFIRM_SIGN_IN_WITH_EMAIL_CODE": "Enter the code we sent by email",
    "CONFIRM_SIGN_IN_WITH_TOTP_CODE": "Enter the 6-digit code from your authenticator app.",
    "CONTINUE_SIGN_IN_WITH_TOTP_SETUP": (
        "Scan the QR code with your authenticator app (or enter the key by hand), then type "
        "the 6-digit code it shows."
    ),
}


def public_step(step: Mapping[str, Any]) -> dict[str, Any]:
    """What the front-end may know about a step, for the ``step`` trait: never a secret.

    Example::

        >>> public_step({"sign_in_step": "CONFIRM_SIGN_IN_WITH_SMS_CODE",
        ...              "code_delivery_details": {"destination": "+*******0100"}})["prompt"]
        'Enter the code we sent by SMS to +*******0100.'
    """
    name = str(step.get("sign_in_step"))
    info: dict[str, Any] = {"name": name, "input": "secret", "label": "Answer", "detail": ""}
    if name in CODE_STEPS:
        info.update(input="code", label="Code")
        prompt = _CODE_PROMPTS[name]
        delivery = step.get("code_delivery_details") or {}
        destination = delivery.get("destination") if isinstance(delivery, Mapping) else None
        if destination:
            prompt += f" to {destination}."
        elif not prompt.endswith("."):
            prompt += "."
        info["totp_setup"] = name == "CONTINUE_SIGN_IN_WITH_TOTP_SETUP"
    elif name == MFA_SELECTION:
        allowed = [str(m) for m in step.get("allowed_mfa_types") or ()] or ["SMS"]
        info.update(input="choice", label="Receive the code by", choices=allowed)
        prompt = "Choose how to receive your sign-in code."
    elif name == "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED":
        info["label"] = "New password"
        prompt = "Choose a new password."
        missing = [str(m) for m in step.get("missing_attributes") or []]
        if missing:
            info["detail"] = (
                "The pool also needs: " + ", ".join(missing) + ". Answer with "
                "nbauth.confirm_sign_in(new_password, user_attributes={...}) in a cell."
            )
    elif name == "CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE":
        prompt = "Answer the challenge."
        extra = step.get("additional_info") or {}
        if isinstance(extra, Mapping) and extra:
            info["detail"] = " · ".join(f"{k}: {v}" for k, v in extra.items())
    else:
        prompt = f"Next step: {name}."
    info["prompt"] = prompt
    return info


def is_retryable(error: BaseException) -> bool:
    """A wrong code or a password the policy refuses: the step stays open."""
    if isinstance(error, SignInSessionExpiredError):
        return False
    if isinstance(error, (CodeMismatchError, InvalidParameterError)):
        return True
    return getattr(error, "name", None) in _RETRY_NAMES


class UserPoolFlow:
    """User-pool sign-in for :class:`~nbauth.notebook.widget.LoginWidget`; ``auth_flow`` and
    ``client_metadata`` go to ``sign_in`` / ``confirm_sign_in``."""

    def __init__(
        self,
        state: WidgetState,
        account: AccountView,
        *,
        auth_flow: str,
        client_metadata: Mapping[str, str] | None,
    ) -> None:
        self.state = state
        self.auth = state.auth
        self.account = account
        self.auth_flow = auth_flow
        self.client_metadata = dict(client_metadata) if client_metadata else None

    def sign_in(self, username: str, password: str) -> None:
        """Sign in with a username and password (on a worker thread)."""
        state = self.state
        username = (username or "").strip()
        if not state.ready():
            return
        if not username or not password:
            with state.lock:
                state.warn("Enter your username and password.")
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
            state.clear_error()
            state.notice("Signing in…")
        state.workers.spawn(sign_in, busy=True)

    def _after_step(self, result: Any, attempt: int) -> None:
        state = self.state
        with state.lock:
            if not state.is_current(attempt):
                return
            if result.is_signed_in:
                self._end_step()
                signed_in = state.view != "signed_in"
            else:
                signed_in = False
                step = dict(result.next_step)
                name = step.get("sign_in_step")
                if name in ("CONFIRM_SIGN_UP", "RESET_PASSWORD"):
                    self._end_step()
                    state.set_view("sign_in")
                    hint = (
                        "nbauth.confirm_sign_up(username, code)"
                        if name == "CONFIRM_SIGN_UP"
                        else "nbauth.reset_password(username)"
                    )
                    what = "confirmed" if name == "CONFIRM_SIGN_UP" else "given a new password"
                    state.warn(f"This account must be {what} first.", f"Run {hint} in a cell.")
                else:
                    self._show_step(step)
        if signed_in and self.auth.state == "signed_in":
            self.account.enter_account()

    def _show_step(self, step: dict[str, Any]) -> None:
        state = self.state
        state.drop_secret("totp")
        state.next_step = step
        state.widget.step = public_step(step)
        state.set_view("challenge")
        state.clear_error()
        state.notice("One more step to sign in.")
        details = step.get("totp_setup_details")
        if step.get("sign_in_step") == "CONTINUE_SIGN_IN_WITH_TOTP_SETUP" and details is not None:
            state.send_secret("totp", totp_message(details, issuer=self._issuer()))

    def _issuer(self) -> str:
        return "nbauth"

    def _end_step(self) -> None:
        self.state.next_step = None
        self.state.widget.step = {}
        self.state.drop_secret("totp")

    def confirm(self, answer: str) -> None:
        """Answer the pending step (on a worker thread)."""
        state = self.state
        step = state.next_step
        if step is None or state.view != "challenge" or not state.ready():
            return
        answer = (answer or "").strip() if public_step(step)["input"] != "secret" else answer
        if not answer:
            with state.lock:
                state.warn("Enter the answer first.")
            return
        attempt = state.attempt

        def confirm() -> None:
            try:
                result = self.auth.confirm_sign_in(answer, client_metadata=self.client_metadata)
            except Exception as exc:
                if is_retryable(exc):  # answer again, in place
                    with state.lock:
                        if state.is_current(attempt):
                            state.show_error(exc)
                            state.notice("Try again.")
                    return
                state.failed(exc, attempt)
                return
            self._after_step(result, attempt)

        with state.lock:
            state.clear_error()
            state.notice("Checking…")
        state.workers.spawn(confirm, busy=True)

    def cancel(self) -> None:
        """Leave the pending step: back to the sign-in form."""
        with self.state.lock:
            self._end_step()
        self.account.reset("Sign-in cancelled.")
