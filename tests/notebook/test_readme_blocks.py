"""Every code block of the README runs as written.

Each ``##`` section's Python blocks run in order in a fresh IPython shell (as a new kernel
would: the notebook blocks use ``%load_ext`` and top-level ``await``), in a directory holding
the sandbox's ``amplify_outputs.json``, with nothing process-wide pointing at the sandbox: no
``AWS_ENDPOINT_URL``, no AWS keys or profiles. The names the prose says the reader holds
(``id_token``, ``issuer``, ``password``, ``token``, ``identity_id``, ``sb``) are given
(:class:`tests.support.readme_blocks.Reader`), and a person approves every device code and
signs in at every sign-in link while a block waits. JSON blocks are valid configurations; the
shell blocks are run or checked by ``test_readme_commands.py``.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

import nbauth.sandbox
from nbauth.config import load_config
from tests.support.aws_env import isolate_from_machine
from tests.support.notebook_shell import clean_shell, own_shell_instance
from tests.support.readme_blocks import Block, Reader, readme_blocks

BLOCKS = readme_blocks()
SECTIONS: dict[str, list[Block]] = {}
for _block in BLOCKS:
    if _block.language == "python":
        SECTIONS.setdefault(_block.section, []).append(_block)


def test_the_readme_has_the_blocks_this_test_runs() -> None:
    languages = {b.language for b in BLOCKS}
    assert languages <= {"python", "bash", "json"}, languages
    assert len(SECTIONS) >= 5 and sum(map(len, SECTIONS.values())) >= 10


@pytest.fixture(scope="module")
def shell() -> Iterator[InteractiveShell]:
    yield from own_shell_instance()


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reader]:
    home = tmp_path_factory.mktemp("reader")
    with nbauth.sandbox.start(device_poll_interval=1) as sb:
        reader = Reader(sb, home)
        reader.write_outputs()
        with reader:
            yield reader


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch, reader: Reader) -> None:
    """A machine with nothing but the README's directory: no AWS settings at all."""
    isolate_from_machine(monkeypatch, reader.home)
    monkeypatch.setenv("HOME", str(reader.home))
    monkeypatch.setenv("BROWSER", "true")  # webbrowser.open() succeeds; the person signs in


def _promised_result(block: Block) -> Any:
    """What the block's last line says it gives, when its comment is a Python literal
    (``status.state, status.username   # ('signed_in', 'ada')``); ``None`` otherwise."""
    last = block.code.rstrip().splitlines()[-1]
    if "#" not in last:
        return None
    try:
        return ast.literal_eval(last.split("#", 1)[1].strip())
    except (ValueError, SyntaxError):
        return None


def _stop_started_sandboxes(namespace: dict[str, Any], reader: Reader) -> None:
    for value in list(namespace.values()):
        if isinstance(value, nbauth.sandbox.Sandbox) and value is not reader.sb:
            value.stop()


@pytest.mark.parametrize("section", list(SECTIONS))
def test_python_blocks_run_as_written(
    section: str,
    shell: InteractiveShell,
    reader: Reader,
    machine: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with clean_shell(monkeypatch, reader.home) as sh:
        sh.colors = "NoColor"
        sh.user_ns.update(reader.givens())
        reader.namespace = sh.user_ns
        try:
            for block in SECTIONS[section]:
                with capture_output() as shown:
                    result = sh.run_cell(block.code, store_history=False)
                error = result.error_before_exec or result.error_in_exec
                assert error is None, (
                    f"{block.where} does not run as written: {error!r}\n{block.code}\n"
                    f"{shown.stdout}{shown.stderr}"
                )
                promised = _promised_result(block)
                if promised is not None:
                    assert result.result == promised, f"{block.where}: not what its comment says"
        finally:
            reader.namespace = None
            _stop_started_sandboxes(sh.user_ns, reader)
            for name in [n for n in sh.user_ns if not n.startswith("_")]:
                if name not in ("In", "Out", "get_ipython", "exit", "quit"):
                    sh.user_ns.pop(name, None)


@pytest.mark.parametrize(
    "block", [b for b in BLOCKS if b.language == "json"], ids=lambda b: f"line{b.line}"
)
def test_json_blocks_are_valid_configurations(block: Block) -> None:
    config = load_config(json.loads(block.code))
    assert config.region


def test_blocks_do_not_lean_on_the_process_environment(reader: Reader, machine: None) -> None:
    """What the sections above prove: nothing process-wide names the sandbox."""
    import os

    assert not [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]
    assert Path(reader.home, "amplify_outputs.json").is_file()
