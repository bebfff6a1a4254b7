"""The ``nbauth`` command as a newcomer meets it: the README's demo (no terminal: approval is
automatic), ``--version`` and the help texts."""

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
    return subprocess.run(
        [sys.executable, "-m", "nbauth", *args],
        env=env,
        text=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


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


def test_version_is_the_installed_distributions():
    from importlib.metadata import version

    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"nbauth {version('nbauth')}"


def test_help_is_plain_text_listing_every_command():
    result = _run("--help")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("usage: nbauth ")
    assert "``" not in text and ":mod:" not in text and "`" not in text
    commands = text.split("commands:", 1)[1]
    for name in (
        "login",
        "status",
        "logout",
        "credential-process",
        "configure-aws-profile",
        "jupyter-setup",
        "demo",
        "sandbox",
    ):
        assert re.search(rf"^\s+{re.escape(name)}\b", commands, re.M), f"{name} missing:\n{text}"
    for word in ("main job", "seed"):
        assert word not in text.lower()


@pytest.mark.parametrize(
    "command",
    [["-m", "nbauth", "sandbox", "--help"], ["-m", "nbauth.sandbox", "--help"]],
    ids=["nbauth sandbox", "python -m nbauth.sandbox"],
)
def test_sandbox_help_names_the_command_that_was_typed(command):
    result = subprocess.run([sys.executable, *command], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    expected = "nbauth sandbox" if command[1] == "nbauth" else "python -m nbauth.sandbox"
    assert result.stdout.startswith(f"usage: {expected} ")
    assert "--write-config PATH" in result.stdout and "--print-config" in result.stdout
