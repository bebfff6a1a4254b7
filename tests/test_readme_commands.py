"""The README's shell blocks, as a newcomer types them.

* The Quick start's two commands (their form: ``tests/test_repository.py``): the test command
  is the one ``.ci/run`` runs (so every CI run is that command on a fresh machine), every extra
  the README installs exists, and the demo is the command ``tests/test_cli.py`` runs end to end.
* ``python3 -m nbauth sandbox --write-config …``: serves, writes a configuration a notebook can
  use, and on Ctrl-C stops cleanly and removes what it wrote.
* The terminal session (``nbauth login`` … ``aws --profile nb s3 ls`` … ``nbauth logout``)
  runs line by line in a directory holding the sandbox's ``amplify_outputs.json``, with a
  person approving the device code the login prints, and nothing from the machine's AWS set-up.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomllib

import nbauth.sandbox
from nbauth.config import load_config
from tests.support.aws_env import isolate_from_machine
from tests.support.readme_blocks import Block, Reader, readme_blocks

ROOT = Path(__file__).resolve().parents[1]
SHELL_BLOCKS = [b for b in readme_blocks() if b.language == "bash"]


COMMENT = re.compile(r"(^|\s+)#.*$")


def _commands(block: Block) -> list[str]:
    """The block's command lines as typed, without comments (continuation lines joined)."""
    text = block.code.replace("\\\n", " ")
    commands = [COMMENT.sub("", line).strip() for line in text.splitlines()]
    return [c for c in commands if c]


def _find(text: str, section: str = "") -> list[str]:
    return [
        c for b in SHELL_BLOCKS if b.section.startswith(section) for c in _commands(b) if text in c
    ]


def test_the_readme_test_command_is_what_ci_runs() -> None:
    tests = _find("pip install", "Quick start")[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci_lines = [COMMENT.sub("", x).strip() for x in ci.splitlines()]
    assert tests in ci_lines, f"{tests!r} is not a line of .ci/run"


def test_every_extra_the_readme_installs_exists() -> None:
    extras = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    )
    named = set()
    for command in (c for b in SHELL_BLOCKS for c in _commands(b)):
        for match in re.finditer(r"\.\[([\w,-]+)\]", command):
            named.update(match.group(1).split(","))
    assert named and named <= extras, named - extras


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A process environment with nothing from the machine's AWS set-up and a fresh HOME; the
    Python running the tests first on PATH (``python3``, ``nbauth``, ``aws``)."""
    isolate_from_machine(monkeypatch, tmp_path)
    env = dict(os.environ)
    env["HOME"] = str(tmp_path)
    env.pop("NBAUTH_CONFIG", None)
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env.pop(name, None)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["AWS_CONFIG_FILE"] = str(tmp_path / ".aws" / "config")
    env["BROWSER"] = "true"
    return env


def test_the_sandbox_command_serves_until_ctrl_c_and_cleans_up(
    machine: dict[str, str], tmp_path: Path
) -> None:
    (command,) = _find("nbauth sandbox")
    written = tmp_path / shlex.split(command)[shlex.split(command).index("--write-config") + 1]
    process = subprocess.Popen(
        command,
        shell=True,
        cwd=tmp_path,
        env=machine,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not written.is_file() and time.monotonic() < deadline:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            time.sleep(0.1)
        assert written.is_file(), "the sandbox never wrote its configuration"
        time.sleep(0.5)
        config = load_config(written)
        assert config.identity_pool_endpoint and config.aws_endpoint_url
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    # 130, or killed by the SIGINT it re-raised after cleaning up (the shell shows 130 too)
    assert process.returncode in (130, -signal.SIGINT), output
    assert "Traceback" not in output, output
    assert not written.exists(), "the configuration pointing at dead ports was left behind"


@pytest.fixture
def reader(tmp_path: Path) -> Iterator[Reader]:
    with nbauth.sandbox.start(device_poll_interval=1) as sb:
        reader = Reader(sb, tmp_path)
        reader.write_outputs()
        yield reader


def test_the_terminal_session_runs_line_by_line(
    reader: Reader, machine: dict[str, str], tmp_path: Path
) -> None:
    (block,) = [b for b in SHELL_BLOCKS if any("nbauth login" in c for c in _commands(b))]
    commands = _commands(block)
    assert any(c.startswith("aws ") for c in commands), commands
    for command in commands:
        process = subprocess.Popen(
            command,
            shell=True,
            cwd=tmp_path,
            env=machine,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        output: list[str] = []
        pump = threading.Thread(target=output.extend, args=(process.stdout or (),), daemon=True)
        pump.start()
        if command.startswith("nbauth login"):
            reader.approve_from_output(lambda seen=output: "".join(seen))
        process.wait(timeout=120)
        pump.join(10)
        text = "".join(output)
        assert process.returncode == 0, f"{command!r} failed ({process.returncode}):\n{text}"
        assert "Traceback" not in text, text
        if command.startswith("aws "):
            assert "report.csv" in text, text
