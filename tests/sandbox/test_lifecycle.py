"""Starting, stopping, configuration and the command line."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

import nbauth.sandbox as sandbox
from tests.support.aws_clients import unsigned_client


def _sandbox_threads(port: int) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(f"nbauth-sandbox-{port}")]


def test_context_manager_serves_then_releases_the_port() -> None:
    with sandbox.start(allow_guest=False) as sb:
        port = int(sb.aws_endpoint_url.rsplit(":", 1)[1])
        assert sb.aws_endpoint_url == f"http://127.0.0.1:{port}"
        assert sb.running
        client = unsigned_client("cognito-identity", sb.aws_endpoint_url)
        with pytest.raises(client.exceptions.NotAuthorizedException, match="Unauthenticated"):
            client.get_id(IdentityPoolId=sb.identity_pool_id)  # guests refused here
        assert sb.config["auth"]["unauthenticated_identities_enabled"] is False
        threads = _sandbox_threads(port)
        assert threads and all(t.daemon for t in threads)
    assert not sb.running
    sb.stop()  # idempotent

    # The port is free again (SO_REUSEADDR as servers use it: closed connections may
    # linger in TIME_WAIT, a listener may not), and clients see the server gone.
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
        probe.listen(1)
    with pytest.raises(botocore.exceptions.EndpointConnectionError):
        client.get_id(IdentityPoolId=sb.identity_pool_id)
    deadline = time.monotonic() + 5
    while _sandbox_threads(port) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _sandbox_threads(port)


def test_config_is_amplify_outputs(sb: Any) -> None:
    config = sb.config
    assert config == {
        "version": "1.3",
        "auth": {
            "aws_region": "us-east-1",
            "user_pool_id": sb.user_pool_id,
            "user_pool_client_id": sb.user_pool_client_id,
            "identity_pool_id": sb.identity_pool_id,
            "unauthenticated_identities_enabled": True,
            "user_pool_endpoint": sb.aws_endpoint_url,
            "identity_pool_endpoint": sb.aws_endpoint_url,
            "oauth": config["auth"]["oauth"],
        },
        "storage": {"aws_region": "us-east-1", "bucket_name": "nbauth-sandbox-data"},
        "nbauth": {
            "oidc_providers": {
                "sandbox": {
                    "issuer": sb.issuer,
                    "client_id": "nbauth-notebook",
                    "scopes": ["openid", "offline_access", "email", "profile"],
                }
            },
            "default_provider": "sandbox",
            "aws_endpoint_url": sb.aws_endpoint_url,
            "refresh": {"margin_seconds": 300, "jitter_seconds": 30},
            "storage": {"kind": "memory"},
        },
    }
    config["auth"]["user_pool_id"] = "changed"
    assert sb.config["auth"]["user_pool_id"] == sb.user_pool_id  # a fresh dict each time
    assert sb.identity_pool_id.startswith("us-east-1:")
    assert sb.user_pool_id.startswith("us-east-1_")
    assert sb.region == "us-east-1"
    assert sb.issuer == sb.idp_url
    assert sb.demo_username == "demo"


def test_env_points_boto3_at_the_sandbox(sb: Any) -> None:
    assert sb.env == {
        "AWS_ENDPOINT_URL": sb.aws_endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    code = (
        "import boto3; s3 = boto3.client('s3');"
        "print(s3.get_object(Bucket='nbauth-sandbox-data', Key='public/hello.txt')['Body'].read())"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | sb.env
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.strip() == repr(b"Hello from the nbauth sandbox!\n"), out.stderr


def test_seeded_objects(sb: Any) -> None:
    s3 = sb.client("s3")
    hello = s3.get_object(Bucket=sb.bucket, Key="public/hello.txt")["Body"].read()
    assert hello == b"Hello from the nbauth sandbox!\n"
    csv = s3.get_object(Bucket=sb.bucket, Key="public/data/example.csv")["Body"].read().decode()
    assert csv.splitlines()[0] == "city,country,population"


def test_repr_shows_no_secrets(sb: Any) -> None:
    text = repr(sb)
    assert sb.aws_endpoint_url in text and "running" in text
    assert sb.demo_password not in text


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        sandbox.start(credentials_lifetime=0)


def test_cli_serves_until_interrupted(tmp_path: Path) -> None:
    config_path = tmp_path / "amplify_outputs.json"
    with subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nbauth.sandbox",
            "--write-config",
            str(config_path),
            "--print-config",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        try:
            lines = []
            for line in proc.stdout:
                lines.append(line)
                if "Press Ctrl-C" in line:
                    break
            output = "".join(lines)
            assert "Press Ctrl-C" in output, output
            assert "export AWS_ENDPOINT_URL=http://127.0.0.1:" in output
            config = json.loads(config_path.read_text())
            assert config["version"] == "1.3"
            assert json.loads(output[: output.index("\n}\n") + 2]) == config
            endpoint = output.split("export AWS_ENDPOINT_URL=", 1)[1].split()[0]
            client = unsigned_client("cognito-identity", endpoint)
            assert client.get_id(IdentityPoolId=config["auth"]["identity_pool_id"])["IdentityId"]
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=20) in (130, -signal.SIGINT)
            assert "Stopped." in proc.stdout.read()
            assert not config_path.exists()  # it pointed at ports that died with the sandbox
        finally:
            if proc.poll() is None:
                proc.kill()
