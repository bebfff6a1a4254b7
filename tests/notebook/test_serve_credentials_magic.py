"""``%nbauth serve-credentials``: the kernel's session served to its child processes over the
real wire — ``!aws s3 ls`` style, from a subprocess — and withdrawn on ``--stop`` and unload."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

import nbauth
from nbauth.aws.container_credentials import (
    AUTHORIZATION_TOKEN_VAR,
    FULL_URI_VAR,
    exported_credentials_endpoint,
)
from tests.support.notebook_shell import (
    assert_no_secret,
    clean_shell,
    configured_shell,
    line,
    magic,
    own_shell_instance,
    secrets_of,
    write_config,
)


@pytest.fixture(scope="module", autouse=True)
def _shell_instance() -> Iterator[InteractiveShell]:
    yield from own_shell_instance()


@pytest.fixture
def shell(sb: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[InteractiveShell]:
    monkeypatch.delenv(FULL_URI_VAR, raising=False)
    monkeypatch.delenv(AUTHORIZATION_TOKEN_VAR, raising=False)
    with configured_shell(sb, monkeypatch, tmp_path) as ip:
        yield ip


def aws_s3_ls(sb: Any) -> subprocess.CompletedProcess[str]:
    """What ``!aws s3 ls`` does in a cell: a child process with the kernel's environment."""
    return subprocess.run(
        [sys.executable, "-m", "awscli", "s3", "ls", f"s3://{sb.bucket}/public/", "--recursive"],
        env={**os.environ, "AWS_DEFAULT_REGION": sb.region},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_serve_credentials_exports_the_session_to_child_processes(
    shell: InteractiveShell, sb: Any
) -> None:
    pytest.importorskip("awscli")
    shell.user_ns["id_token"] = sb.id_token()
    provider = nbauth.AuthProvider.user_pool(sb.region, sb.user_pool_id).logins_key
    magic(shell, f"federate id_token {provider}")

    shown = magic(shell, "serve-credentials")
    endpoint = exported_credentials_endpoint()
    assert endpoint is not None and endpoint.running
    assert os.environ[FULL_URI_VAR] == endpoint.url
    assert os.environ[AUTHORIZATION_TOKEN_VAR] == endpoint.token
    assert endpoint.url in shown.text
    assert_no_secret(shown, [endpoint.token, *secrets_of(nbauth.current_auth())])

    result = aws_s3_ls(sb)
    assert result.returncode == 0, result.stderr
    assert "public/data/example.csv" in result.stdout

    stopped = magic(shell, "serve-credentials --stop")
    assert "Stopped" in stopped.text
    assert FULL_URI_VAR not in os.environ and AUTHORIZATION_TOKEN_VAR not in os.environ
    assert not endpoint.running and exported_credentials_endpoint() is None


def test_unload_stops_serving(shell: InteractiveShell, sb: Any) -> None:
    shell.user_ns["id_token"] = sb.id_token()
    provider = nbauth.AuthProvider.user_pool(sb.region, sb.user_pool_id).logins_key
    magic(shell, f"federate id_token {provider}")
    magic(shell, "serve-credentials")
    endpoint = exported_credentials_endpoint()
    assert endpoint is not None
    line(shell, "unload_ext", "nbauth")
    assert not endpoint.running
    assert FULL_URI_VAR not in os.environ


def test_serve_credentials_signed_out_exports_nothing(shell: InteractiveShell) -> None:
    shown = magic(shell, "serve-credentials")
    assert "Traceback" not in shown.text
    assert exported_credentials_endpoint() is None
    assert FULL_URI_VAR not in os.environ


def test_serve_credentials_exports_the_configured_aws_endpoint(
    sb: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With no AWS_ENDPOINT_URL anywhere, the configuration's ``nbauth.aws_endpoint_url`` (the
    sandbox's) reaches the children with the credentials, and ``--stop`` takes it back."""
    pytest.importorskip("awscli")
    from tests.support.aws_env import isolate_from_machine

    isolate_from_machine(monkeypatch, tmp_path)
    monkeypatch.delenv(FULL_URI_VAR, raising=False)
    monkeypatch.delenv(AUTHORIZATION_TOKEN_VAR, raising=False)
    with clean_shell(monkeypatch, tmp_path) as ip:
        line(ip, "load_ext", "nbauth")
        magic(ip, f"config {write_config(sb, tmp_path / 'amplify_outputs.json')}")
        ip.user_ns["id_token"] = sb.id_token()
        provider = nbauth.AuthProvider.user_pool(sb.region, sb.user_pool_id).logins_key
        magic(ip, f"federate id_token {provider}")

        shown = magic(ip, "serve-credentials")
        assert os.environ["AWS_ENDPOINT_URL"] == sb.aws_endpoint_url
        assert "AWS_ENDPOINT_URL" in shown.text
        result = aws_s3_ls(sb)
        assert result.returncode == 0, result.stderr
        assert "public/data/example.csv" in result.stdout

        magic(ip, "serve-credentials --stop")
        assert "AWS_ENDPOINT_URL" not in os.environ
