"""``%load_ext nbauth``: what loading adds, loading twice, reloading, unloading, light imports,
``nbauth_session``, ``@nbauth.token_provider`` and interrupting a wait."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

import nbauth
import nbauth.api as api
from nbauth.notebook import extension
from nbauth.notebook.live_session import LiveSession
from nbauth.notebook.magics import NBAuthMagics
from tests.support.notebook_shell import (
    assert_no_secret,
    cell,
    clean_shell,
    fast_device_flow,
    line,
    magic,
    own_shell_instance,
    refresh_threads,
    sandbox_env,
    secrets_of,
    sign_in,
    wait_until,
    write_config,
)


@pytest.fixture(scope="module", autouse=True)
def _shell_instance() -> Iterator[InteractiveShell]:
    yield from own_shell_instance()


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[InteractiveShell]:
    with clean_shell(monkeypatch, tmp_path) as ip:
        yield ip


@pytest.fixture
def on_sandbox(sb: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    sandbox_env(sb, monkeypatch, tmp_path)
    with fast_device_flow(sb):
        yield sb


def _ours(shell: InteractiveShell, event: str) -> list[Any]:
    return [
        cb
        for cb in shell.events.callbacks[event]
        if isinstance(getattr(cb, "__self__", None), extension.NotebookExtension)
    ]


def _magics(shell: InteractiveShell) -> list[Any]:
    return [m for m in shell.magics_manager.registry.values() if isinstance(m, NBAuthMagics)]


def _assert_loaded_once(shell: InteractiveShell) -> None:
    assert len(_ours(shell, "pre_run_cell")) == 1
    assert len(_ours(shell, "post_run_cell")) == 1
    assert len(_magics(shell)) == 1
    bound = shell.magics_manager.magics["line"]["nbauth"]
    assert bound.__self__ is _magics(shell)[0]
    assert isinstance(shell.user_ns["nbauth_session"], LiveSession)
    assert extension.extensions.shell_ids() == [id(shell)]


def _assert_unloaded(shell: InteractiveShell) -> None:
    assert not _ours(shell, "pre_run_cell")
    assert not _ours(shell, "post_run_cell")
    assert not _magics(shell)
    assert "nbauth" not in shell.magics_manager.magics["line"]
    assert "nbauth_session" not in shell.user_ns
    assert not extension.extensions.shell_ids()


# -- loading ---------------------------------------------------------------------------------


def test_the_extension_entry_points_are_lazy_exports() -> None:
    assert nbauth.load_ipython_extension is extension.load_ipython_extension
    assert nbauth.unload_ipython_extension is extension.unload_ipython_extension
    assert nbauth.token_provider is extension.token_provider


def test_loading_without_a_config_says_how_to_configure(shell: InteractiveShell) -> None:
    shown = line(shell, "load_ext", "nbauth")
    assert "not configured" in shown
    assert "%nbauth config" in shown and "nbauth.configure(...)" in shown
    assert api._default is None  # stays unconfigured: nothing was guessed
    _assert_loaded_once(shell)
    status = magic(shell, "status")
    assert "ConfigurationError: nbauth is not configured" in status
    assert "%nbauth config" in status and "Traceback" not in status


def test_loading_twice_reloading_and_unloading_leave_no_duplicates(
    shell: InteractiveShell,
) -> None:
    line(shell, "load_ext", "nbauth")
    again = line(shell, "load_ext", "nbauth")  # IPython's own guard
    assert "already loaded" in again
    nbauth.load_ipython_extension(shell)  # our guard, called directly
    nbauth.load_ipython_extension(shell)
    _assert_loaded_once(shell)
    first = shell.user_ns["nbauth_session"]

    line(shell, "reload_ext", "nbauth")
    _assert_loaded_once(shell)
    assert shell.user_ns["nbauth_session"] is not first
    assert "%nbauth login" in magic(shell, "help")  # the magic works after a reload

    line(shell, "unload_ext", "nbauth")
    _assert_unloaded(shell)
    nbauth.unload_ipython_extension(shell)  # twice: harmless
    _assert_unloaded(shell)

    line(shell, "load_ext", "nbauth")
    _assert_loaded_once(shell)


def test_a_user_variable_named_nbauth_session_is_left_alone_on_unload(
    shell: InteractiveShell,
) -> None:
    line(shell, "load_ext", "nbauth")
    shell.user_ns["nbauth_session"] = "mine"
    line(shell, "unload_ext", "nbauth")
    assert shell.user_ns["nbauth_session"] == "mine"


def test_loading_uses_amplify_outputs_json_and_attaches_the_waiting_hook(
    shell: InteractiveShell, sb: Any, tmp_path: Path
) -> None:
    write_config(sb, tmp_path / "amplify_outputs.json")
    shown = line(shell, "load_ext", "nbauth")
    assert "nbauth loaded (signed_out)" in shown
    auth = api._default
    assert auth is not None and auth.config.identity_pool_id == sb.identity_pool_id
    assert auth.on_waiting_for_sign_in is not None

    # a later nbauth.configure() in a cell gets the hook too, from the next cell on
    cell(shell, f"import nbauth\nnbauth.configure({str(tmp_path / 'amplify_outputs.json')!r})")
    assert api._default is not auth
    assert api._default.on_waiting_for_sign_in is not None

    line(shell, "unload_ext", "nbauth")
    assert api._default.on_waiting_for_sign_in is None


def test_a_broken_config_is_reported_at_load_without_a_traceback(
    shell: InteractiveShell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken.json").write_text('{"auth": {"identity_pool_id": "pool-1"}}')
    monkeypatch.setenv("NBAUTH_CONFIG", str(tmp_path / "broken.json"))
    shown = line(shell, "load_ext", "nbauth")
    assert "configuration is invalid" in shown and "auth.identity_pool_id" in shown
    assert "Traceback" not in shown
    _assert_loaded_once(shell)


def test_load_ext_keeps_imports_light(sb: Any, tmp_path: Path) -> None:
    """Invariant 7: %load_ext nbauth (even configured) imports no boto3/ipywidgets/authlib."""
    write_config(sb, tmp_path / "amplify_outputs.json")
    code = (
        "import sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "from IPython.utils.capture import capture_output\n"
        "shell = InteractiveShell.instance()\n"
        "with capture_output() as out:\n"
        "    shell.run_line_magic('load_ext', 'nbauth')\n"
        "    shell.run_line_magic('nbauth', 'help')\n"
        "    shell.run_line_magic('nbauth', 'config')\n"
        "assert 'nbauth loaded (signed_out)' in out.outputs[0].data['text/plain']\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'boto3', 'botocore', "
        "'ipywidgets', 'authlib', 'moto', 'joserfc'})\n"
        "print(heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


# -- the live session ------------------------------------------------------------------------


def test_nbauth_session_is_live_and_redacted(
    shell: InteractiveShell, on_sandbox: Any, tmp_path: Path
) -> None:
    sb = on_sandbox
    write_config(sb, tmp_path / "amplify_outputs.json")
    line(shell, "load_ext", "nbauth")
    live = shell.user_ns["nbauth_session"]
    assert live.state == "signed_out" and live.credentials is None

    sign_in(shell, sb)
    auth = nbauth.current_auth()
    assert live.state == "signed_in"
    assert live.identity_id == auth.fetch_auth_session().identity_id
    assert live.credentials == auth.fetch_auth_session().credentials
    assert live.user_sub and live.tokens is not None

    shown = cell(shell, "nbauth_session")
    assert "<redacted>" in shown and "signed_in" in shown
    data, _ = shell.display_formatter.format(live)  # what Jupyter gets: HTML and text
    assert "&lt;redacted&gt;" in data["text/html"] and "<redacted>" in data["text/plain"]
    assert "<redacted>" in repr(live)
    for shown_text in (shown.everything, repr(live), data["text/html"], data["text/plain"]):
        assert_no_secret(shown_text, secrets_of(auth))

    # never a stale copy: a forced refresh shows through at once
    before = live.credentials
    auth.fetch_auth_session(force_refresh=True)
    assert live.credentials == auth.fetch_auth_session().credentials
    assert live.credentials is not before

    magic(shell, "logout")
    assert live.state == "signed_out" and live.credentials is None and live.identity_id is None


# -- background refresh is bound to the extension ---------------------------------------------


def test_unload_stops_refresh_threads_and_reload_resumes_them(
    shell: InteractiveShell, on_sandbox: Any, tmp_path: Path
) -> None:
    sb = on_sandbox
    already = set(refresh_threads())
    write_config(sb, tmp_path / "amplify_outputs.json")
    line(shell, "load_ext", "nbauth")
    shown = sign_in(shell, sb)
    bucket = shown.value  # the cell's ExecutionResult
    assert bucket.error_in_exec is None
    auth = nbauth.current_auth()
    wait_until(lambda: "nbauth-refresh-scheduler" in refresh_threads())
    assert auth.credentials_engine.timer_running

    line(shell, "reload_ext", "nbauth")  # unload + load: timers stop, then resume
    assert auth.credentials_engine.timer_running
    assert auth.state == "signed_in"  # the session survives a reload
    s3 = cell(
        shell, f"s.client('s3').list_objects_v2(Bucket={sb.bucket!r}, Prefix='public/')['KeyCount']"
    )
    assert s3.value.error_in_exec is None and s3.value.result >= 1

    line(shell, "unload_ext", "nbauth")
    wait_until(lambda: not set(refresh_threads()) - already)
    assert not auth.credentials_engine.timer_running


def test_at_exit_every_managed_auth_is_closed(
    shell: InteractiveShell, on_sandbox: Any, tmp_path: Path
) -> None:
    sb = on_sandbox
    write_config(sb, tmp_path / "amplify_outputs.json")
    line(shell, "load_ext", "nbauth")
    sign_in(shell, sb)
    auth = nbauth.current_auth()
    assert auth.credentials_engine.timer_running
    assert extension.extensions.atexit_registered
    extension.extensions.close_all()  # what atexit runs when the kernel process ends
    assert not auth.credentials_engine.timer_running


# -- @nbauth.token_provider --------------------------------------------------------------------


def test_token_provider_decorator_registers_and_reregisters(
    shell: InteractiveShell, on_sandbox: Any, tmp_path: Path, new_user: Any
) -> None:
    sb = on_sandbox
    write_config(sb, tmp_path / "amplify_outputs.json")
    line(shell, "load_ext", "nbauth")
    _, first_token = new_user()
    _, second_token = new_user()
    shell.user_ns.update(first_token=first_token, second_token=second_token, calls=[])

    shown = cell(
        shell,
        "import nbauth\n"
        "@nbauth.token_provider\n"
        "def my_tokens(force_refresh=False):\n"
        "    calls.append(('first', force_refresh))\n"
        "    return {'id_token': first_token}\n"
        "nbauth_session.identity_id",
    )
    assert shown.value.error_in_exec is None, shown.text
    first_identity = shown.value.result
    assert first_identity and first_identity.startswith(sb.region)
    assert callable(shell.user_ns["my_tokens"])  # the function itself stays usable
    assert ("first", False) in shell.user_ns["calls"]

    shown = cell(
        shell,
        "@nbauth.token_provider\n"
        "def my_tokens():\n"  # no force_refresh parameter: fine too
        "    calls.append(('second', None))\n"
        "    return nbauth.AuthTokens(id_token=second_token)\n"
        "nbauth_session.identity_id",
    )
    assert shown.value.error_in_exec is None, shown.text
    assert shown.value.result not in (None, first_identity)  # cached session dropped
    assert ("second", None) in shell.user_ns["calls"]
    provider = nbauth.current_auth().token_provider
    assert isinstance(provider, extension.CellTokenProvider)
    assert "my_tokens" in repr(provider) and second_token not in repr(provider)

    bad = cell(shell, "nbauth.token_provider(42)")
    assert isinstance(bad.value.error_in_exec, nbauth.errors.InvalidParameterError)


# -- interrupting a wait -------------------------------------------------------------------------


def test_interrupting_a_cell_that_waits_for_sign_in_cancels_the_sign_in(
    shell: InteractiveShell, on_sandbox: Any, tmp_path: Path
) -> None:
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT is not Python's KeyboardInterrupt here")
    sb = on_sandbox
    write_config(sb, tmp_path / "amplify_outputs.json")
    line(shell, "load_ext", "nbauth")
    magic(shell, "login")
    auth = nbauth.current_auth()
    handle = auth.pending_sign_in
    ext = extension.extensions.get(shell)
    assert ext is not None
    main = threading.main_thread().ident

    def interrupt_once_waiting() -> None:  # the kernel's interrupt button
        wait_until(lambda: ext.waiting_for is not None)
        time.sleep(0.2)
        signal.pthread_kill(main, signal.SIGINT)

    threading.Thread(target=interrupt_once_waiting, daemon=True).start()
    shown = cell(shell, "import nbauth\nnbauth.current_credentials()")
    assert isinstance(shown.value.error_in_exec, KeyboardInterrupt)
    assert "Waiting for sign-in" in shown
    assert "the sign-in was cancelled" in shown
    assert handle.status == "cancelled" and auth.pending_sign_in is None
    assert auth.state == "signed_out"
    # nothing lost: the next login works
    assert "confirm the code" in magic(shell, "login")
