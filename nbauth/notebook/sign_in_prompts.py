"""Sign-in prompts in cells: how to complete a sign-in, replaced by how it ended.

A ``%nbauth login`` leaves the link (and a device-code sign-in's user code) in its cell; a cell
that needs credentials while a sign-in is pending says it is waiting. Once the sign-in ends,
every such message is replaced — with no code and no link left in the notebook (invariant 1:
device-code prompts are cleared). The replacement is sent from the flow's thread when the
sign-in ends, and again from the next cell event on the main thread (which nbclient and every
front end route).

Example::

    prompts = SignInPrompts()
    prompts.show(auth, handle, "Sign in with corp", "This cell is done: keep working.")
    ...
    prompts.finish_done()             # from a cell event: replace the finished ones

``%nbauth login --user-pool`` is a conversation in the cell instead
(:class:`UserPoolConversation`): the username with ``input()``, the password and every
challenge's answer with ``getpass`` (never echoed, never kept, never in an output).
"""

from __future__ import annotations

import threading
import time
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

from .display import Code, Line, Link, Message, error_message, mm_ss, show, update
from .status_rows import pending_line

if TYPE_CHECKING:
    from ..auth import Auth

__all__ = ["SignInPrompts", "UserPoolConversation", "sign_in_lines"]


class Prompt(NamedTuple):
    """A sign-in message in some cell (a display handle), replaced once its sign-in ends.

    (A named tuple, not a dataclass: this module loads with ``%load_ext``, and a dataclass
    costs a millisecond to define.)"""

    handle: Any
    display: Any
    auth: Auth | None


class SignInPrompts:
    """The sign-in messages shown in cells of one shell, until their sign-ins end."""

    def __init__(self) -> None:
        self._prompts: list[Prompt] = []
        self._lock = threading.Lock()

    def show(
        self, auth: Auth | None, handle: Any, title: str, *lines: Line, level: str = "info"
    ) -> None:
        """Show how to complete ``handle`` under ``title``, then ``lines``; tracked until the
        sign-in ends."""
        body = sign_in_lines(handle)
        body.extend(lines)
        message = Message(title, lines=body, level=level)
        prompt = Prompt(handle, show(message, display_id=True), auth)
        with self._lock:
            self._prompts.append(prompt)
        handle.on_done(lambda _h: update(prompt.display, outcome(prompt)))

    def finish_done(self) -> None:
        """Replace the messages of every sign-in that has ended."""
        with self._lock:
            done = [p for p in self._prompts if p.handle.done]
            self._prompts = [p for p in self._prompts if not p.handle.done]
        for prompt in done:
            update(prompt.display, outcome(prompt))

    def clear(self) -> None:
        """Stop tracking every message (the extension is unloading)."""
        with self._lock:
            self._prompts = []


def outcome(prompt: Prompt) -> Message:
    """What a finished sign-in's prompt turns into: no code, no link, no secret."""
    handle = prompt.handle
    if handle.status == "signed_in":
        status = prompt.auth.status() if prompt.auth is not None else None
        who = status.username if status is not None else None
        where = status.provider if status is not None else None
        title = "Signed in" + (f" as {who}" if who else "") + (f" ({where})" if where else "")
        return Message(
            title + ".",
            lines=[("AWS credentials follow; ", Code("%nbauth status"), " shows them.")],
            level="success",
        )
    if handle.status == "cancelled":
        return Message(
            "Sign-in cancelled.",
            lines=[("Run ", Code("%nbauth login"), " to start again.")],
            level="warning",
        )
    error = handle.error
    if error is not None:
        return error_message(error, ("Run ", Code("%nbauth login"), " to start again."))
    return Message(f"Sign-in ended: {handle.status}.", level="warning")


def sign_in_lines(handle: Any) -> list[Line]:
    """How to complete a pending sign-in: the link, and the code for a device-code flow."""
    user_code = getattr(handle, "user_code", None)
    if user_code is not None:
        complete = getattr(handle, "verification_uri_complete", None)
        safe = isinstance(complete, str) and complete.lower().startswith(("https://", "http://"))
        link = str(complete if safe else handle.verification_uri)  # never a javascript: link
        left = mm_ss(handle.seconds_left()) if hasattr(handle, "seconds_left") else "—"
        return [
            ("Open ", Link(link), " and confirm the code ", Code(user_code), "."),
            f"The code expires in {left}.",
        ]
    url = getattr(handle, "url", None)
    if url is None:
        return [pending_line(handle, time.time())]
    lines: list[Line] = [("Open ", Link(url, "this sign-in link"), " and sign in.")]
    if getattr(handle, "mode", None) == "paste":
        lines.append(
            (
                "Then copy the address your browser ends on (it starts with ",
                Code(handle.redirect_uri),
                "; the page itself may not load) and run ",
                Code("%nbauth complete"),
                " to paste it.",
            )
        )
    elif getattr(handle, "mode", None) == "jupyter":
        lines.append(
            "The page returns to this Jupyter server and the sign-in finishes here; "
            "you can close that tab afterwards."
        )
    else:
        lines.append(f"nbauth listens for the answer on {handle.redirect_uri} (this machine).")
    return lines


# -- %nbauth login --user-pool ---------------------------------------------------------------

#: Tries for a password or a code before the conversation gives up (Cognito counts them too).
ATTEMPTS = 3

_CODE_PROMPTS = {
    "CONFIRM_SIGN_IN_WITH_SMS_CODE": "Code sent by text message{to} (hidden): ",
    "CONFIRM_SIGN_IN_WITH_EMAIL_CODE": "Code sent by email{to} (hidden): ",
    "CONFIRM_SIGN_IN_WITH_TOTP_CODE": "Code from your authenticator app (hidden): ",
    "CONFIRM_SIGN_IN_WITH_PASSWORD": "Password (hidden): ",
    "CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE": "Answer to the sign-in challenge (hidden): ",
}


class _Stopped(Exception):
    """The person interrupted a question, or the front end cannot ask one."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.title)
        self.message = message


class UserPoolConversation:
    """A Cognito user-pool sign-in typed in the cell (``%nbauth login --user-pool``).

    The username is read with ``input()``; the password, new passwords and codes with
    ``getpass`` (masked in Jupyter, and its answer is never shown nor kept). A wrong password or
    code is asked again (up to :data:`ATTEMPTS`); errors are shown in words
    (:func:`~nbauth.notebook.display.error_message`). TOTP setup is left to the LoginWidget: its
    QR code and key are a lasting secret, and whatever a cell shows is saved with the notebook
    (autosave, Ctrl+S) while the cell waits for the code — even a display cleared afterwards.

    Example::

        UserPoolConversation(auth).run(username=None)
    """

    def __init__(self, auth: Auth) -> None:
        self.auth = auth

    # -- asking ------------------------------------------------------------------------

    def _ask(self, prompt: str) -> str:
        return self._input(prompt, secret=False)

    def _secret(self, prompt: str) -> str:
        return self._input(prompt, secret=True)

    @staticmethod
    def _input(prompt: str, *, secret: bool) -> str:
        import getpass

        try:
            answer = getpass.getpass(prompt) if secret else input(prompt)
        except KeyboardInterrupt:
            raise _Stopped(
                Message(
                    "Sign-in cancelled.",
                    lines=[("Run ", Code("%nbauth login --user-pool"), " to start again.")],
                    level="warning",
                )
            ) from None
        except (EOFError, NotImplementedError):  # IPython's StdinNotImplementedError
            raise _Stopped(
                Message(
                    "This notebook can't ask for a password here (it runs without a person to "
                    "type, or the front end doesn't support input).",
                    lines=["Sign in with the login widget, or with auth.sign_in() in code."],
                    level="warning",
                )
            ) from None
        return answer.strip() if not secret else answer

    # -- the conversation --------------------------------------------------------------

    def run(self, username: str | None = None) -> None:
        """Ask, sign in, answer each step; show how it ended."""
        try:
            name = (username or "").strip() or self._ask("Username: ")
            result = self._first_factor(name)
            if result is not None:
                self._steps(name, result)
        except _Stopped as stop:
            show(stop.message)

    def _first_factor(self, name: str) -> Any:
        from ..aws.error_mapping import aws_situation
        from ..errors import NotAuthorizedError, SignInSessionExpiredError

        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self.auth.sign_in(name, self._secret("Password (hidden): "))
            except NotAuthorizedError as error:
                wrong = not isinstance(error, SignInSessionExpiredError) and (
                    error.name == "NotAuthorizedException" and aws_situation(error) is None
                )
                if not wrong or attempt == ATTEMPTS:
                    raise
                show(error_message(error, f"Try again ({ATTEMPTS - attempt} left)."))
                name = self._ask(f"Username [{name}]: ") or name
        return None  # pragma: no cover - the loop returns or raises

    def _steps(self, name: str, result: Any) -> None:
        from ..errors import PasswordResetRequiredError, UserNotConfirmedError

        while True:
            step = result.next_step.get("sign_in_step")
            if step == "DONE":
                self._signed_in()
                return
            if step == "CONFIRM_SIGN_UP":
                show(error_message(UserNotConfirmedError(f"{name} has not confirmed the account.")))
                return
            if step == "RESET_PASSWORD":
                show(error_message(PasswordResetRequiredError(f"{name} must reset the password.")))
                return
            if step == "CONTINUE_SIGN_IN_WITH_TOTP_SETUP":
                show(_totp_setup_in_the_widget())
                return
            if step == "CONTINUE_SIGN_IN_WITH_MFA_SELECTION":
                result = self.auth.confirm_sign_in(self._choose(result.next_step))
            elif step == "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED":
                result = self._retrying(partial(self._new_password, result.next_step))
            elif step in _CODE_PROMPTS:
                prompt = _CODE_PROMPTS[step].format(to=_destination(result.next_step))
                result = self._retrying(partial(self._answer, prompt))
            else:
                show(
                    Message(
                        "This sign-in needs a step the cell can't ask for.",
                        lines=["Sign in with the login widget instead.", f"Step: {step}."],
                        level="warning",
                    )
                )
                return

    def _retrying(self, answer: Any) -> Any:
        """``answer()`` again after a wrong code or a password the policy refuses."""
        from ..errors import AuthError, CodeMismatchError, InvalidPasswordError

        for attempt in range(1, ATTEMPTS + 1):
            try:
                return answer()
            except AuthError as error:
                again = isinstance(error, (CodeMismatchError, InvalidPasswordError)) or (
                    error.name == "EnableSoftwareTokenMFAException"
                )
                if not again or attempt == ATTEMPTS:
                    raise
                show(error_message(error, f"Try again ({ATTEMPTS - attempt} left)."))
        return None  # pragma: no cover - the loop returns or raises

    def _answer(self, prompt: str) -> Any:
        return self.auth.confirm_sign_in(self._secret(prompt))

    def _new_password(self, next_step: dict[str, Any]) -> Any:
        while True:
            new = self._secret("New password (hidden): ")
            if new and new == self._secret("The new password again (hidden): "):
                break
            show(
                Message(
                    "The two passwords differ (or are empty); type them again.", level="warning"
                )
            )
        attributes = {a: self._ask(f"{a}: ") for a in next_step.get("missing_attributes") or ()}
        return self.auth.confirm_sign_in(new, user_attributes=attributes or None)

    def _choose(self, next_step: dict[str, Any]) -> str:
        allowed = [str(m) for m in next_step.get("allowed_mfa_types") or ()]
        while True:
            choice = self._ask(f"Second step, one of {' / '.join(allowed)}: ").upper()
            if choice in allowed:
                return choice
            show(Message(f"Type one of: {', '.join(allowed)}.", level="warning"))

    def _signed_in(self) -> None:
        status = self.auth.status()
        who = f" as {status.username}" if status.username else ""
        show(
            Message(
                f"Signed in{who}.",
                lines=[("AWS credentials follow; ", Code("%nbauth status"), " shows them.")],
                level="success",
            )
        )


def _destination(next_step: dict[str, Any]) -> str:
    details = next_step.get("code_delivery_details") or {}
    where = details.get("destination") if isinstance(details, dict) else None
    return f" to {where}" if where else ""


def _totp_setup_in_the_widget() -> Message:
    return Message(
        "This account must set up an authenticator app first.",
        lines=[
            "Its QR code and key are secret, and what a cell shows is saved with the notebook, "
            "so this cell does not show them.",
            (
                "Set it up in the login widget, which never saves them: run ",
                Code("%nbauth login --widget"),
                " and choose Username and password.",
            ),
        ],
        level="warning",
    )
