"""One place that points botocore at the sandbox for a test, with no ambient AWS credentials."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

AMBIENT = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
)


def isolate_from_machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No keys, profiles, shared config files, endpoint settings or instance metadata leak in
    from the machine (what a configuration alone must be enough for)."""
    import os

    for name in AMBIENT:
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def use_sandbox(sb: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``AWS_ENDPOINT_URL`` → the sandbox (botocore's own convention), nothing else from the
    machine (:func:`isolate_from_machine`)."""
    isolate_from_machine(monkeypatch, tmp_path)
    monkeypatch.setenv("AWS_ENDPOINT_URL", sb.aws_endpoint_url)
