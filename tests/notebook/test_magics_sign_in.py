"""``%nbauth login --user-pool`` and ``%nbauth login --jupyter`` on the sandbox, in a real
IPython shell: the conversation typed in the cell (input() for the username, getpass for the
password and every code), wrong answers asked again, errors in words — and no password, code or
TOTP secret in any output."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from IPython.core.error import StdinNotImplementedError
from IPython.core.interactiveshell import InteractiveShell

import nbauth
from nbauth.notebook import jupyter_receiver
from nbauth.notebook.callback_drop_box import CALLBACK_DIR_ENV, CallbackDropBox
from tests.support.notebook_shell import (
    SIGN_IN_LINK,
    Shown,
    assert_no_secret,
    configured_shell,
    magic,
    own_shell_instance,
    secrets_of,
    wait_until,
)


@pytest.fixture(scope="module", autouse=True)
def _shell_instance() -> Iterator[InteractiveShell]:
    yield from own_shell_instance()


@pytest.fixture
def shell(sb: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[InteractiveShell]:
    """A shell with the extension loaded and configured (``%nbauth config``) on the sandbox."""
    monkeypatch.delenv(CALLBACK_DIR_ENV, raising=False)
    monkeypatch.delenv("NBAUTH_JUPYTER_URL", raising=False)
    monkeypatch.setattr(jupyter_receiver, "_available", None)
    with configured_shell(sb, monkeypatch, tmp_path) as ip:
        yield ip


class Typist:
    """The person at the keyboard: answers ``input()`` and ``getpass`` in order, and records
    each prompt (a prompt must never carry a secret either)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.typed: list[str] = []
        self.hidden: list[str] = []
        self.prompts: list[tuple[str, str]] = []
        monkeypatch.setattr(builtins, "input", self._input)
        monkeypatch.setattr("getpass.getpass", self._getpass)

    def _input(self, prompt: str = "") -> str:
        self.prompts.append(("input", prompt))
        assert self.typed, f"unexpected question {prompt!r}"
        return self.typed.pop(0)

    def _getpass(self, prompt: str = "Password: ", stream: Any = None) -> str:
        self.prompts.append(("getpass", prompt))
        assert self.hidden, f"unexpected hidden question {prompt!r}"
        answer = self.hidden.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


@pytest.fixture
def typist(monkeypatch: pytest.MonkeyPatch) -> Typist:
    return Typist(monkeypatch)


def _no_secret(shown: Shown, *secrets: str) -> None:
    assert "Traceback" not in shown.text
    for secret in secrets:
        assert secret not in shown.everything


def _wrong(code: str) -> str:
    return str((int(code) + 1) % 1_000_000).zfill(6)


# -- --user-pool --------------------------------------------------------------------------------


def test_user_pool_srp_sign_in_in_the_cell(
    shell: InteractiveShell, sb: Any, pool_user: Any, typist: Typist
) -> None:
    username, password = pool_user()
    typist.typed = [username]
    typist.hidden = [password]
    sb.reset_calls()
    shown = magic(shell, "login --user-pool")
    assert f"Signed in as {username}." in shown, shown.text
    assert (sb.calls("InitiateAuth"), sb.calls("RespondToAuthChallenge")) == (1, 1)  # SRP
    assert typist.prompts == [("input", "Username: "), ("getpass", "Password (hidden): ")]
    auth = nbauth.current_auth()
    assert auth.state == "signed_in" and auth.status().provider
    _no_secret(shown, password)
    assert_no_secret(shown, secrets_of(auth))
    assert password not in repr(shell.user_ns)
    status = magic(shell, "status")
    assert username in status and password not in status.everything


def test_a_wrong_password_is_asked_again_with_the_right_advice(
    shell: InteractiveShell, sb: Any, pool_user: Any, typist: Typist
) -> None:
    username, password = pool_user()
    typist.typed = ["", ""]  # the username comes from --username; Enter keeps it on the retry
    typist.hidden = ["not-the-password", password]
    shown = magic(shell, f"login --user-pool --username {username}")
    assert "Wrong username or password" in shown, shown.text
    assert "trust" not in shown.text and "identity pool" not in shown.text
    assert "NotAuthorizedException" not in shown.text.split("Details:")[0]  # only in details
    assert "Try again (2 left)" in shown
    assert f"Signed in as {username}." in shown
    assert typist.prompts[1] == ("input", f"Username [{username}]: ")
    _no_secret(shown, password, "not-the-password")


def test_three_wrong_passwords_end_in_words(
    shell: InteractiveShell, pool_user: Any, typist: Typist
) -> None:
    username, password = pool_user()
    typist.typed = [username, "", ""]
    typist.hidden = ["wrong-1", "wrong-2", "wrong-3"]
    shown = magic(shell, "login --user-pool")
    assert shown.text.count("Wrong username or password") == 3, shown.text
    assert nbauth.current_auth().state == "signed_out"
    _no_secret(shown, password, "wrong-1", "wrong-2", "wrong-3")


def test_totp_mfa_with_a_wrong_code_retried(
    shell: InteractiveShell, sb: Any, pool_user: Any, typist: Typist
) -> None:
    sb.set_mfa("OPTIONAL", sms=False, totp=True, email=False)
    username, password = pool_user()
    secret = sb.set_user_mfa(username, totp=True, preferred="totp")
    code = sb.totp_code(secret)
    typist.typed = [username]
    typist.hidden = [password, _wrong(code), code]
    shown = magic(shell, "login --user-pool")
    assert ("getpass", "Code from your authenticator app (hidden): ") in typist.prompts
    assert "Wrong code" in shown and f"Signed in as {username}." in shown, shown.text
    _no_secret(shown, password, code, _wrong(code), secret)


def test_choosing_the_second_factor(
    shell: InteractiveShell, sb: Any, pool_user: Any, typist: Typist
) -> None:
    sb.set_mfa("OPTIONAL", sms=True, totp=True, email=False)
    username, password = pool_user(phone_number="+15555550100")
    secret = sb.set_user_mfa(username, sms=True, totp=True)
    typist.typed = [username, "fax", "totp"]
    typist.hidden = [password, sb.totp_code(secret)]
    shown = magic(shell, "login --user-pool")
    assert "Type one of" in shown and f"Signed in as {username}." in shown, shown.text
    _no_secret(shown, password, secret)


def test_new_password_required(shell: InteractiveShell, sb: Any, typist: Typist) -> None:
    name = f"temp-{uuid.uuid4().hex[:6]}"
    sb.create_user(
        name, attributes={"email": f"{name}@example.com"}, temporary_password="Temp-Passw0rd!"
    )
    new = f"New-{uuid.uuid4().hex[:8]}-Passw0rd!"
    typist.typed = [name]
    typist.hidden = ["Temp-Passw0rd!", new, "typo", "short", "short", new, new]
    shown = magic(shell, "login --user-pool")
    assert "The two passwords differ" in shown, shown.text
    assert "password rules" in shown  # "short" broke the policy: asked again
    assert f"Signed in as {name}." in shown
    _no_secret(shown, "Temp-Passw0rd!", new, "short")


def test_totp_setup_is_left_to_the_widget(
    shell: InteractiveShell, sb: Any, pool_user: Any, typist: Typist
) -> None:
    sb.set_mfa("ON", sms=False, totp=True, email=False)
    username, password = pool_user()
    typist.typed = [username]
    typist.hidden = [password]
    shown = magic(shell, "login --user-pool")
    assert "set up an authenticator app" in shown and "%nbauth login --widget" in shown
    assert "otpauth" not in shown.everything.lower() and "<svg" not in shown.everything
    assert nbauth.current_auth().state == "signed_out"
    _no_secret(shown, password)


def test_interrupted_and_no_input_end_in_words(
    shell: InteractiveShell, pool_user: Any, typist: Typist
) -> None:
    username, _ = pool_user()
    typist.typed = [username, username]
    typist.hidden = [KeyboardInterrupt(), StdinNotImplementedError("no stdin")]
    cancelled = magic(shell, "login --user-pool")
    assert "Sign-in cancelled." in cancelled and "Traceback" not in cancelled.text
    headless = magic(shell, "login --user-pool")
    assert "can't ask for a password here" in headless, headless.text
    assert nbauth.current_auth().state == "signed_out"


def test_provider_does_not_go_with_user_pool(shell: InteractiveShell, typist: Typist) -> None:
    shown = magic(shell, "login --user-pool --provider sandbox")
    assert "--provider" in shown and "Traceback" not in shown.text
    assert typist.prompts == []
    refused = magic(shell, "login --user-pool --paste")
    assert "not allowed with argument" in refused


# -- --jupyter ----------------------------------------------------------------------------------


def test_jupyter_mode_without_the_server_extension_says_how_to_enable_it(
    shell: InteractiveShell,
) -> None:
    shown = magic(shell, "login --jupyter")
    assert "needs nbauth's server extension" in shown, shown.text
    assert "nbauth jupyter-setup" in shown
    assert "Traceback" not in shown.text
    assert nbauth.current_auth().pending_sign_in is None


def test_jupyter_mode_with_the_server_extension(
    shell: InteractiveShell, sb: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    directory = tmp_path / "runtime" / "nbauth-callbacks"  # what the extension makes at load
    directory.mkdir(parents=True, mode=0o700)
    monkeypatch.setenv(CALLBACK_DIR_ENV, str(directory))
    CallbackDropBox(directory).note_server_url("http://127.0.0.1:8888/lab/")
    shown = magic(shell, "login --jupyter --timeout 60")
    assert "returns to this Jupyter server" in shown, shown.text
    auth = nbauth.current_auth()
    handle = auth.pending_sign_in
    assert handle is not None and handle.mode == "jupyter"
    assert handle.redirect_uri == "http://127.0.0.1:8888/lab/nbauth/callback"
    url = SIGN_IN_LINK.search(shown.text).group(1)  # type: ignore[union-attr]
    redirect = sb.sign_in_at(url)  # the browser ends on the server's nbauth/callback …
    state = parse_qs(urlsplit(redirect).query)["state"][0]
    assert CallbackDropBox(directory).deliver(state, redirect) == "delivered"  # … its handler
    wait_until(lambda: auth.state == "signed_in", timeout=15)
    assert_no_secret(magic(shell, "status"), secrets_of(auth))
