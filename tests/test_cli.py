"""The README's main-job command, as a newcomer runs it (no terminal: approval is automatic)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.")
AWS_KEY = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run([sys.executable, "-m", "nbauth", *args], env=env, text=True,
                          capture_output=True, stdin=subprocess.DEVNULL, timeout=120)


@pytest.mark.parametrize("flow", ["device", "federation"])
def test_demo_runs_end_to_end_and_prints_no_secret(flow):
    result = _run("demo", "--flow", flow)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "public/hello.txt" in out and "Done: sandbox stopped." in out
    assert "identity id us-east-1:" in out
    if flow == "device":
        assert "signed in as demo" in out and "signedIn" in out
    assert not JWT.search(out + result.stderr)
    assert not AWS_KEY.search(out + result.stderr)


def test_unknown_arguments_are_refused_with_usage():
    result = _run("demo", "--nope")
    assert result.returncode == 2 and "unrecognized arguments" in result.stderr
