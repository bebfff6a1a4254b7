"""Driving IPython from the notebook tests: ``%load_ext nbauth``, magics and cells, and what
they showed; a clean shell per test; the sandbox as the notebook's AWS.

Shared by ``tests/notebook/test_extension*.py`` and ``test_magics*.py`` (each module defines its
own thin fixtures on top of these).
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import nbauth
import nbauth.api as api
from tests.support.aws_env import use_sandbox

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+")
AWS_KEY = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")
USER_CODE = re.compile(r"confirm the code ([A-Z0-9-]+)")
SIGN_IN_LINK = re.compile(r"this sign-in link <([^>\s]+)>")


class Shown:
    """What a cell showed: stdout, stderr, and every display (text and HTML)."""

    def __init__(self, captured: Any, value: Any = None) -> None:
        self.value = value
        self.stdout = captured.stdout
        self.stderr = captured.stderr
        self.texts = [o.data.get("text/plain", "") for o in captured.outputs]
        self.htmls = [o.data.get("text/html", "") for o in captured.outputs]

    @property
    def text(self) -> str:
        return "\n".join([self.stdout, self.stderr, *self.texts])

    @property
    def everything(self) -> str:
        return "\n".join([self.text, *self.htmls])

    def __contains__(self, needle: str) -> bool:
        return needle in self.text

    def __repr__(self) -> str:
        return f"Shown({self.text!r})"


def magic(shell: InteractiveShell, line: str) -> Shown:
    """``%nbauth <line>``; what it showed, and its value in ``.value``."""
    with capture_output() as captured:
        value = shell.run_line_magic("nbauth", line)
    return Shown(captured, value)


def cell(shell: InteractiveShell, code: str) -> Shown:
    """Run a whole cell as a front end would (events, transforms); the result in ``.value``."""
    with capture_output() as captured:
        result = shell.run_cell(code, store_history=False)
    return Shown(captured, result)


def line(shell: InteractiveShell, name: str, arg: str = "") -> Shown:
    """Any line magic, e.g. ``line(shell, "load_ext", "nbauth")``."""
    with capture_output() as captured:
        value = shell.run_line_magic(name, arg)
    return Shown(captured, value)


def refresh_threads() -> list[str]:
    """nbauth's background refresh threads: the process's one scheduler
    (``nbauth-refresh-scheduler``) and its few workers, however many sessions there are."""
    return [t.name for t in threading.enumerate() if t.name.startswith("nbauth-refresh-")]


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")


def approve_later(sb: Any, shown: Shown, delay: float = 0.3) -> str:
    """Read the user code the login cell showed and approve it ``delay`` s later, as the person
    on the IdP's page would while the next cell waits."""
    match = USER_CODE.search(shown.text)
    assert match, shown.text
    code = match.group(1)
    timer = threading.Timer(delay, sb.approve_device_code, [code])
    timer.daemon = True
    timer.start()
    return code


def secrets_of(auth: nbauth.Auth) -> list[str]:
    """Every token and key the Auth holds now (to scan outputs for)."""
    found: list[str] = []
    user = auth.signed_in_user
    current = user.current if user is not None else None
    for name in ("access_token", "id_token", "refresh_token"):
        value = getattr(current, name, None)
        if value:
            found.append(value)
    fetched = auth.credentials_engine.peek()
    if fetched is not None:
        creds = fetched.credentials
        found += [creds.access_key_id, creds.secret_access_key, creds.session_token or ""]
    fetched = auth.credentials_engine.latest()  # the login the credentials were got with
    if fetched is not None and fetched.login is not None:
        found.append(fetched.login.token)
    return [s for s in found if s]


def assert_no_secret(shown: Shown | str, secrets: list[str]) -> None:
    text = shown if isinstance(shown, str) else shown.everything
    for secret in secrets:
        assert secret not in text
        # no recognisable piece of it either (a JWT's signature, a key's tail)
        assert secret[-16:] not in text
    assert not JWT.search(text), "a JWT was shown"
    assert not AWS_KEY.search(text), "an AWS access key id was shown"


# -- fixtures' bodies -----------------------------------------------------------------------


def reset_default_auth() -> None:
    auth = api._default
    if auth is not None:
        pending = auth.pending_sign_in
        if pending is not None:
            pending.cancel()
        auth.close()
    api._default = None


def own_shell_instance() -> Iterator[InteractiveShell]:
    """A module's InteractiveShell (history in memory), removed again after the module — with
    the ``__main__`` module it installs — unless another module made it first."""
    from traitlets.config import Config

    main = sys.modules.get("__main__")
    made = not InteractiveShell.initialized()
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    try:
        yield shell
    finally:
        if made:
            InteractiveShell.clear_instance()
            if main is not None:
                sys.modules["__main__"] = main


@contextlib.contextmanager
def clean_shell(monkeypatch: pytest.MonkeyPatch, cwd: Path) -> Iterator[InteractiveShell]:
    """The process's InteractiveShell, with no nbauth extension, default Auth or config."""
    monkeypatch.delenv("NBAUTH_CONFIG", raising=False)
    monkeypatch.chdir(cwd)
    shell = InteractiveShell.instance()
    _unload(shell)
    reset_default_auth()
    try:
        yield shell
    finally:
        _unload(shell)
        reset_default_auth()
        shell.user_ns.pop("nbauth_session", None)


@contextlib.contextmanager
def configured_shell(
    sb: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[InteractiveShell]:
    """:func:`clean_shell` with ``%load_ext nbauth`` done and ``%nbauth config`` pointed at the
    sandbox's ``amplify_outputs.json`` (no ambient AWS settings: :func:`sandbox_env`)."""
    sandbox_env(sb, monkeypatch, tmp_path)
    with clean_shell(monkeypatch, tmp_path) as ip:
        line(ip, "load_ext", "nbauth")
        shown = magic(ip, f"config {write_config(sb, tmp_path / 'amplify_outputs.json')}")
        assert "Configured from" in shown, shown
        yield ip


def _unload(shell: InteractiveShell) -> None:
    with capture_output():
        if "nbauth" in shell.extension_manager.loaded:
            shell.run_line_magic("unload_ext", "nbauth")
        nbauth.unload_ipython_extension(shell)


def sandbox_env(sb: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """botocore talks to the sandbox, with no ambient AWS credentials (as in integration)."""
    use_sandbox(sb, monkeypatch, tmp_path)


def write_config(sb: Any, path: Path, *, guest: bool = False, **nbauth_section: Any) -> Path:
    """``amplify_outputs.json`` for the sandbox (guests off by default: signed out = no creds)."""
    config = sb.config
    config["auth"]["unauthenticated_identities_enabled"] = guest
    config["nbauth"].update(nbauth_section)
    path.write_text(json.dumps(config))
    return path


@contextlib.contextmanager
def fast_device_flow(sb: Any, **lifetimes: int) -> Iterator[None]:
    """The sandbox IdP asks for 1 s device polling (5 s by default); restored afterwards."""
    sb.set_token_lifetimes(device_interval=1, **lifetimes)
    try:
        yield
    finally:
        sb.reset_token_lifetimes()


def sign_in(shell: InteractiveShell, sb: Any) -> Shown:
    """``%nbauth login`` then, Run-All style, ``s = %nbauth session`` (approved meanwhile)."""
    login = magic(shell, "login")
    approve_later(sb, login)
    shown = cell(shell, "s = %nbauth session")
    assert shown.value.error_in_exec is None, shown.text
    assert nbauth.current_auth().state == "signed_in", shown.text
    return shown
