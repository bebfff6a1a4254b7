"""``%nbauth`` over the wire, on the sandbox: device code Run-All style, paste and loopback
redirects, federation, cancel, expiry, timeouts, interrupts — and no secret in any output."""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from IPython.core.interactiveshell import InteractiveShell

import nbauth
from nbauth.notebook import extension
from tests.support.notebook_shell import (
    SIGN_IN_LINK,
    USER_CODE,
    Shown,
    approve_later,
    assert_no_secret,
    cell,
    configured_shell,
    fast_device_flow,
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
    with configured_shell(sb, monkeypatch, tmp_path) as ip, fast_device_flow(sb):
        yield ip


def _no_traceback(shown: Shown) -> None:
    assert "Traceback" not in shown.text


# -- the main job -------------------------------------------------------------------------------


def test_device_code_run_all_session_status_whoami_logout(shell: InteractiveShell, sb: Any) -> None:
    shown: list[Shown] = []
    login = magic(shell, "login")
    shown.append(login)
    assert login.value is None  # returned at once
    handle = nbauth.current_auth().pending_sign_in
    assert handle is not None and handle.status == "pending"
    assert handle.verification_uri_complete in login and handle.user_code in login
    assert "%nbauth cancel" in login

    code = approve_later(sb, login)  # the person approves while the next cell waits
    session_cell = cell(
        shell,
        "s = %nbauth session\n"
        f"keys = [o['Key'] for o in s.client('s3').list_objects_v2(Bucket={sb.bucket!r}, "
        "Prefix='public/')['Contents']]",
    )
    shown.append(session_cell)
    assert session_cell.value.error_in_exec is None, session_cell.text
    assert "Waiting for sign-in" in session_cell and "times out in 05:00" in session_cell
    # the waiting message points to the sign-in above and never repeats its code (a pending
    # code is not kept in a cell's output) …
    assert code not in session_cell and "started above" in session_cell
    assert "Signed in as demo (sandbox)" in session_cell  # … and is replaced when done
    assert shell.user_ns["keys"]
    auth = nbauth.current_auth()
    assert auth.state == "signed_in"

    status = magic(shell, "status")
    shown.append(status)
    identity_id = auth.fetch_auth_session().identity_id
    for expected in ("signed_in", "demo", "sandbox", identity_id, "left (until", "last refresh"):
        assert expected in status, status.text
    assert "background timer running" in status

    whoami = magic(shell, "whoami")
    shown.append(whoami)
    assert "demo" in whoami and "demo@example.com" in whoami and sb.issuer in whoami

    again = magic(shell, "login")
    shown.append(again)
    assert "UserAlreadyAuthenticatedError: Already signed in as demo" in again
    assert "%nbauth logout" in again
    _no_traceback(again)

    value = magic(shell, "session")
    assert (
        value.value.client("s3").list_objects_v2(Bucket=sb.bucket, Prefix="public/")["KeyCount"]
        >= 1
    )
    shown.append(cell(shell, "nbauth_session"))
    shown.append(cell(shell, "s"))

    secrets = secrets_of(auth)
    assert len(secrets) >= 6  # three tokens, three credential parts
    for output in shown:
        assert_no_secret(output, secrets)

    logout = magic(shell, "logout")
    assert "Signed out demo" in logout
    assert auth.state == "signed_out"

    # used after sign-out: clear messages, nothing half-done
    after = magic(shell, "session")
    assert after.value is None
    assert "NoCredentialsError" in after and "%nbauth login" in after
    assert "Not signed in" in magic(shell, "whoami")
    status = magic(shell, "status")
    assert "signed_out" in status and re.search(r"AWS credentials\s+none", status.text)
    assert cell(shell, "nbauth_session.credentials").value.result is None
    for output in (after, status):
        assert_no_secret(output, secrets)


def test_paste_mode_login_and_complete(
    shell: InteractiveShell, sb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    login = magic(shell, "login --paste")
    assert "%nbauth complete" in login
    url = SIGN_IN_LINK.search(login.text).group(1)  # type: ignore[union-attr]
    redirect = sb.sign_in_at(url)  # the person signs in; the browser ends on this URL

    bad = magic(shell, "complete not-a-url")
    assert "InvalidParameterError" in bad and nbauth.current_auth().pending_sign_in is not None

    monkeypatch.setattr("getpass.getpass", lambda prompt="": redirect)  # pasted privately
    done = magic(shell, "complete")
    assert "Signed in as demo" in done, done.text
    assert redirect not in done.everything
    auth = nbauth.current_auth()
    assert auth.state == "signed_in"
    assert_no_secret(done, secrets_of(auth))
    assert "No sign-in is waiting" in magic(shell, f"complete {redirect}")


def test_paste_mode_with_the_url_on_the_line_and_a_denied_sign_in(
    shell: InteractiveShell, sb: Any
) -> None:
    login = magic(shell, "login --paste")
    url = SIGN_IN_LINK.search(login.text).group(1)  # type: ignore[union-attr]
    denied = sb.sign_in_at(url, deny=True)
    shown = magic(shell, f"complete {denied}")
    assert "The sign-in was declined" in shown and "%nbauth login" in shown
    assert "Details: access_denied:" in shown
    _no_traceback(shown)

    login = magic(shell, "login --paste")
    url = SIGN_IN_LINK.search(login.text).group(1)  # type: ignore[union-attr]
    shown = magic(shell, f"complete {sb.sign_in_at(url)}")
    assert "Signed in as demo" in shown


def test_redirect_login_through_the_loopback_listener(shell: InteractiveShell, sb: Any) -> None:
    login = magic(shell, "login --redirect --timeout 30")
    assert "listens for the answer on http://127.0.0.1:" in login
    url = SIGN_IN_LINK.search(login.text).group(1)  # type: ignore[union-attr]
    redirect = sb.sign_in_at(url)
    requests.get(redirect, timeout=10)  # the browser follows the redirect to the listener
    auth = nbauth.current_auth()
    wait_until(lambda: auth.state == "signed_in")
    assert "demo" in magic(shell, "whoami")


def test_federate_a_token_held_in_a_variable(shell: InteractiveShell, sb: Any) -> None:
    token = sb.id_token()
    shell.user_ns["id_token"] = token
    provider = nbauth.AuthProvider.user_pool(sb.region, sb.user_pool_id).logins_key
    shown = magic(shell, f"federate id_token {provider}")
    assert "Federated to the identity pool" in shown, shown.text
    auth = nbauth.current_auth()
    assert auth.state == "federated"
    status = magic(shell, "status")
    assert "federated" in status and provider in status
    whoami = magic(shell, "whoami")
    assert "demo" in whoami
    secrets = [token, *secrets_of(auth)]
    for output in (shown, status, whoami):
        assert_no_secret(output, secrets)

    literal = magic(shell, f"federate {token} {provider}")  # the token itself, by mistake
    assert "NAME of a variable" in literal and token not in literal.everything

    refused = magic(shell, "login")
    assert "InvalidStateError" in refused and "%nbauth logout" in refused

    cleared = magic(shell, "logout")
    assert "Federation cleared" in cleared and auth.state == "signed_out"


# -- a sign-in that does not finish ---------------------------------------------------------------


def test_cancel_mid_flow_and_login_while_pending(shell: InteractiveShell, sb: Any) -> None:
    login = magic(shell, "login")
    auth = nbauth.current_auth()
    handle = auth.pending_sign_in
    code = USER_CODE.search(login.text).group(1)  # type: ignore[union-attr]

    again = magic(shell, "login")
    assert "already in progress" in again and code in again
    assert auth.pending_sign_in is handle

    started = time.monotonic()
    status = magic(shell, "status")  # never waits for the sign-in
    assert time.monotonic() - started < 2
    assert f"device code {code}" in status and "pending" in status
    assert "Not signed in" in magic(shell, "whoami")

    cancelled = magic(shell, "cancel")
    assert "Sign-in cancelled" in cancelled
    assert handle.status == "cancelled" and auth.pending_sign_in is None
    sb.approve_device_code(code)  # too late: the kernel stopped polling …
    time.sleep(1.5)
    assert auth.state == "signed_out"
    assert re.search(r"last sign-in\s+cancelled", magic(shell, "status").text)
    assert "NoCredentialsError" in magic(shell, "session")  # … and nothing waits for it

    login = magic(shell, "login")  # nothing lost: start again
    approve_later(sb, login)
    assert magic(shell, "session").value is not None


def test_an_expired_device_code_is_reported_where_the_cell_waits(
    shell: InteractiveShell, sb: Any
) -> None:
    sb.set_token_lifetimes(device_code=2, device_interval=1)
    magic(shell, "login")
    handle = nbauth.current_auth().pending_sign_in
    shown = magic(shell, "session")  # waits, then the code expires
    assert shown.value is None
    assert "The sign-in code expired" in shown and "Details: expired_token:" in shown, shown.text
    assert "%nbauth login" in shown
    assert handle.status == "expired"
    _no_traceback(shown)
    assert re.search(r"last sign-in\s+expired", magic(shell, "status").text)


def test_login_timeout_gives_up_and_says_so(shell: InteractiveShell, sb: Any) -> None:
    magic(shell, "login --timeout 1")
    started = time.monotonic()
    shown = magic(shell, "session")
    assert time.monotonic() - started < 5
    assert "SignInTimeoutError" in shown, shown.text
    assert nbauth.current_auth().state == "signed_out"
    _no_traceback(shown)


def test_interrupting_session_while_it_waits_cancels_the_sign_in(
    shell: InteractiveShell, sb: Any
) -> None:
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is not Python's KeyboardInterrupt here")
    magic(shell, "login")
    auth = nbauth.current_auth()
    handle = auth.pending_sign_in
    ext = extension.extensions.get(shell)
    assert ext is not None
    main = threading.main_thread().ident

    def interrupt_once_waiting() -> None:
        wait_until(lambda: ext.waiting_for is not None)
        time.sleep(0.2)
        signal.pthread_kill(main, signal.SIGINT)  # the kernel's interrupt button

    threading.Thread(target=interrupt_once_waiting, daemon=True).start()
    shown = magic(shell, "session")
    assert shown.value is None
    assert "Interrupted while waiting for the sign-in" in shown
    assert handle.status == "cancelled" and auth.state == "signed_out"
    _no_traceback(shown)
