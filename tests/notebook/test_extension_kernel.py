"""A real kernel (ipykernel, driven by nbclient) loads the extension, signs in Run-All style,
uses the session, saves no secret and shuts down with no refresh thread left."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from tests.support.notebook_shell import (
    AWS_KEY,
    JWT,
    USER_CODE,
    fast_device_flow,
    sandbox_env,
    write_config,
)


def _text(outputs: list[Any]) -> str:
    parts = []
    for output in outputs:
        if "text" in output:
            parts.append(output["text"])
        parts.extend(str(v) for v in output.get("data", {}).values())
    return "\n".join(parts)


def test_a_kernel_signs_in_with_the_magics_and_shuts_down_cleanly(
    sb: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox_env(sb, monkeypatch, tmp_path)  # the kernel inherits this environment
    monkeypatch.delenv("NBAUTH_CONFIG", raising=False)
    write_config(sb, tmp_path / "amplify_outputs.json")
    report = tmp_path / "threads-at-exit.json"
    cells = [
        # registered before the extension's own atexit handler, so it runs after it
        "import atexit, json, threading\n"
        f"_ = atexit.register(lambda: open({str(report)!r}, 'w').write(json.dumps("
        "[t.name for t in threading.enumerate()])))",
        "%load_ext nbauth",
        "%nbauth login",
        "s = %nbauth session",  # waits until the person approves (Run All)
        f"s.client('s3').list_objects_v2(Bucket={sb.bucket!r}, Prefix='public/')['KeyCount']",
        "%nbauth status",
        "%nbauth whoami",
        "nbauth_session",
        "import threading\nsorted(t.name for t in threading.enumerate() "
        "if t.name.startswith('nbauth-refresh-'))",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    approved: list[str] = []

    def on_cell_executed(cell: Any, cell_index: int, execute_reply: Any) -> None:
        if cell.source == "%nbauth login":  # the person reads the code and approves it
            match = USER_CODE.search(_text(cell.outputs))
            assert match, cell.outputs
            approved.append(match.group(1))
            timer = threading.Timer(0.5, sb.approve_device_code, [match.group(1)])
            timer.daemon = True
            timer.start()

    client = NotebookClient(
        nb,
        timeout=60,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
        on_cell_executed=on_cell_executed,
    )
    with fast_device_flow(sb):
        client.execute()  # starts the kernel, runs every cell, shuts the kernel down
    shutdown_started = time.monotonic()
    # the kernel ran its atexit handlers: it exited by itself, not killed
    while not report.exists() and time.monotonic() - shutdown_started < 10:
        time.sleep(0.05)
    assert report.exists(), "the kernel did not run its atexit handlers"
    threads = json.loads(report.read_text())
    assert not [t for t in threads if t.startswith("nbauth-refresh-")], threads

    outputs = [c.outputs for c in nb.cells]
    errors = [o for out in outputs for o in out if o.get("output_type") == "error"]
    assert not errors, errors
    assert int(_text(outputs[4]).strip()) >= 1  # listed the bucket
    assert "signed_in" in _text(outputs[5]) and "valid" in _text(outputs[5])
    assert "demo" in _text(outputs[6])
    assert "&lt;redacted&gt;" in _text(outputs[7])
    assert "nbauth-refresh-scheduler" in _text(outputs[8])  # refresh ran while loaded

    saved = tmp_path / "saved.ipynb"
    nbformat.write(nb, saved)
    text = saved.read_text()
    assert not JWT.search(text), "a JWT reached the saved notebook"
    assert not AWS_KEY.search(text), "an AWS access key id reached the saved notebook"
    # the device-code prompt was replaced once the sign-in ended (invariant 1)
    assert approved and approved[0] not in text
    assert re.search(r"Signed in as demo", _text(outputs[2]))
