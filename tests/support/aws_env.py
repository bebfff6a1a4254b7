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


def use_sandbox(sb: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``AWS_ENDPOINT_URL`` → the sandbox (botocore's own convention); no keys, profiles,
    shared config files or instance metadata leak in from the machine."""
    for name in AMBIENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", sb.aws_endpoint_url)
