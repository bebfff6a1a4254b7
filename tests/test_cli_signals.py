"""Ctrl-C stops ``nbauth demo`` and ``nbauth sandbox`` cleanly, for real: the command runs in a
subprocess, gets SIGINT once it is serving, and must print one "Stopped." line (no traceback),
exit with 130, close the sandbox's ports and remove the configuration file it wrote."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

PORT = re.compile(r"http://127\.0\.0\.1:(\d+)")


def _start(*args: str, cwd: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONUNBUFFERED"] = "1"
    return subprocess.Popen(
        [sys.executable, "-m", "nbauth", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _read_until(proc: subprocess.Popen[str], marker: str, timeout: float = 120) -> str:
    """Output up to the line containing ``marker`` (fails after ``timeout`` seconds)."""
    assert proc.stdout is not None
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            lines.append(line)
            if marker in line:
                found.set()
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not found.wait(timeout):
        proc.kill()
        pytest.fail(f"no {marker!r} within {timeout} s:\n{''.join(lines)}")
    reader.join(5)
    return "".join(lines)


def _interrupt(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("still running 30 s after Ctrl-C")
    assert proc.stdout is not None
    return code, proc.stdout.read()


def _closed(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) != 0


def _assert_stopped_cleanly(before: str, code: int, after: str) -> None:
    ports = {int(p) for p in PORT.findall(before)}
    assert len(ports) >= 2, before  # the AWS endpoint and the OpenID provider
    assert "Traceback" not in before + after, before + after
    assert code == 130, before + after
    assert [line for line in after.splitlines() if line.strip()] == ["Stopped."], after
    still_open = sorted(p for p in ports if not _closed(p))
    assert not still_open, f"ports still open after Ctrl-C: {still_open}"


def test_ctrl_c_stops_the_demo_while_it_waits_for_the_sign_in(tmp_path):
    proc = _start("demo", "--approve", "browser", cwd=tmp_path)
    try:
        before = _read_until(proc, "and confirm the code")
        code, after = _interrupt(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    _assert_stopped_cleanly(before, code, after)
    assert list(tmp_path.iterdir()) == []  # the demo writes nothing where it runs


def test_ctrl_c_stops_the_sandbox_and_removes_its_configuration(tmp_path):
    config = tmp_path / "amplify_outputs.json"
    proc = _start("sandbox", "--write-config", config.name, cwd=tmp_path)
    try:
        before = _read_until(proc, "Ctrl-C to stop")
        assert config.is_file()
        code, after = _interrupt(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    _assert_stopped_cleanly(before, code, after)
    assert not config.exists()
    assert list(tmp_path.iterdir()) == []


def test_the_sandbox_banner_comes_first_and_is_short(tmp_path):
    proc = _start("sandbox", cwd=tmp_path)
    try:
        banner = _read_until(proc, "Ctrl-C to stop")
        _interrupt(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    lines = banner.splitlines()
    assert lines[0].startswith("nbauth sandbox: ")
    assert len(lines) <= 25, banner
    assert '"version"' not in banner  # no configuration dump: --print-config asks for it
    assert "--write-config PATH" in banner and "Demo user" in banner
