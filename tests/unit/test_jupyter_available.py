"""``server_callback_available()``: whether ``mode="jupyter"`` can work for this kernel (the
server extension's drop box, inherited through ``$NBAUTH_JUPYTER_CALLBACK_DIR``)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from nbauth.notebook import jupyter_receiver
from nbauth.notebook.callback_drop_box import CALLBACK_DIR_ENV, CallbackDropBox
from nbauth.notebook.jupyter_receiver import server_callback_available

HUB_VARS = ("JUPYTERHUB_SERVICE_PREFIX", "JUPYTERHUB_PUBLIC_URL", "JUPYTERHUB_HOST")


@pytest.fixture(autouse=True)
def fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(jupyter_receiver, "_available", None)
    monkeypatch.delenv(CALLBACK_DIR_ENV, raising=False)
    monkeypatch.delenv("NBAUTH_JUPYTER_URL", raising=False)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    for name in HUB_VARS:
        monkeypatch.delenv(name, raising=False)


def server_extension_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """What the extension does at load: the 0700 drop box, the variable, ``server.json``."""
    directory = tmp_path / "runtime" / "nbauth-callbacks"
    directory.mkdir(parents=True, mode=0o700)
    monkeypatch.setenv(CALLBACK_DIR_ENV, str(directory))
    CallbackDropBox(directory).note_server_url("http://127.0.0.1:8888/")
    return directory


def test_no_extension_no_variable() -> None:
    assert server_callback_available() is False


def test_extension_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server_extension_loaded(tmp_path, monkeypatch)
    assert server_callback_available() is True


def test_variable_names_a_missing_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CALLBACK_DIR_ENV, str(tmp_path / "gone"))
    monkeypatch.setenv("NBAUTH_JUPYTER_URL", "http://127.0.0.1:8888/")
    assert server_callback_available() is False


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_directory_not_writable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = server_extension_loaded(tmp_path, monkeypatch)
    directory.chmod(0o500)
    try:
        assert server_callback_available() is False
    finally:
        directory.chmod(0o700)


def test_no_redirect_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The extension is there but nothing says where the browser reaches the server."""
    directory = server_extension_loaded(tmp_path, monkeypatch)
    (directory / "server.json").unlink()
    assert server_callback_available() is False
    jupyter_receiver._available = None
    monkeypatch.setenv("NBAUTH_JUPYTER_URL", "https://jupyter.example.com/base/")
    assert server_callback_available() is True


def test_parent_servers_runtime_file_is_enough(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = server_extension_loaded(tmp_path, monkeypatch)
    (directory / "server.json").unlink()
    runtime = tmp_path / "runtime"
    (runtime / f"jpserver-{os.getppid()}.json").write_text('{"url": "http://127.0.0.1:8890/"}')
    assert server_callback_available() is True


def test_a_hub_without_its_public_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = server_extension_loaded(tmp_path, monkeypatch)
    (directory / "server.json").unlink()
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ada/")
    assert server_callback_available() is False


def test_answer_is_cached_briefly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str | None] = []
    real = jupyter_receiver._callback_ready

    def counting(directory: str | None) -> bool:
        calls.append(directory)
        return real(directory)

    monkeypatch.setattr(jupyter_receiver, "_callback_ready", counting)
    assert server_callback_available() is False
    assert server_callback_available() is False
    assert len(calls) == 1
    server_extension_loaded(tmp_path, monkeypatch)  # another variable: asked again
    assert server_callback_available() is True
    assert len(calls) == 2
    clock = time.monotonic() + jupyter_receiver.AVAILABLE_CACHE_SECONDS + 1
    monkeypatch.setattr(jupyter_receiver.time, "monotonic", lambda: clock)
    assert server_callback_available() is True
    assert len(calls) == 3


def test_a_stalled_file_system_answers_false_in_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CALLBACK_DIR_ENV, "/somewhere")

    def stalled(directory: str | None) -> bool:
        time.sleep(1.0)
        return True

    monkeypatch.setattr(jupyter_receiver, "_callback_ready", stalled)
    started = time.monotonic()
    assert server_callback_available(timeout=0.1) is False
    assert time.monotonic() - started < 0.8
