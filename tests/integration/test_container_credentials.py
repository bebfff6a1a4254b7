"""The loopback container-credentials endpoint, over the real wire (issue 10, part 4).

A subprocess of the "kernel" (this test process) — the AWS CLI, a boto3 script, pyarrow — gets
nbauth's live credentials from ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` with
``AWS_CONTAINER_AUTHORIZATION_TOKEN``, and keeps working across real expiries of short
credentials against the sandbox S3, which refuses expired ones.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from nbauth.aws.container_credentials import (
    AUTHORIZATION_TOKEN_VAR,
    LocalCredentialsEndpoint,
    serve_credentials,
)

LIFETIME = 6


def get(url: str, token: str | None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, headers={"Authorization": token} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def child_env(sb: Any, endpoint: LocalCredentialsEndpoint) -> dict[str, str]:
    env = {**os.environ, **endpoint.env(), "AWS_DEFAULT_REGION": sb.region}
    env["AWS_ENDPOINT_URL"] = sb.aws_endpoint_url
    return env


@pytest.fixture
def signed_in(sb, make_auth, new_user, user_pool_provider):
    def make(lifetime: int | None = None):
        _, token = new_user()
        if lifetime:
            sb.set_credentials_lifetime(lifetime)
        auth = make_auth()
        auth.federate_to_identity_pool(token, user_pool_provider)
        return auth

    return make


def test_the_endpoint_refuses_a_missing_or_wrong_token_and_serves_the_right_one(signed_in):
    auth = signed_in()
    with serve_credentials(auth) as endpoint:
        credentials = auth.current_credentials()
        for token, status in ((None, 401), ("wrong", 403), (endpoint.token[:-1], 403)):
            code, body = get(endpoint.url, token)
            assert code == status
            text = json.dumps(body)
            assert credentials.secret_access_key not in text
            assert credentials.access_key_id not in text
        code, _ = get(endpoint.url.replace("/credentials", "/other"), endpoint.token)
        assert code == 404
        code, body = get(endpoint.url, endpoint.token)
        assert code == 200
        assert body["AccessKeyId"] == credentials.access_key_id
        assert body["SecretAccessKey"] == credentials.secret_access_key
        assert body["Token"] == credentials.session_token
        assert body["Expiration"].endswith("Z")
        assert endpoint.url.startswith("http://127.0.0.1:")
        assert endpoint.token not in repr(endpoint)
    assert not endpoint.running


def test_a_failing_source_is_a_500_without_detail():
    def broken():
        raise RuntimeError("secret-value-xyz")

    with LocalCredentialsEndpoint(broken) as endpoint:
        code, body = get(endpoint.url, endpoint.token)
    assert code == 500
    assert "secret-value-xyz" not in json.dumps(body)


def aws_s3_ls(sb: Any, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "awscli", "s3", "ls", f"s3://{sb.bucket}/public/", "--recursive"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.timeout(240)
def test_the_aws_cli_in_a_subprocess_lists_the_bucket_across_a_refresh(sb, signed_in):
    pytest.importorskip("awscli")
    auth = signed_in(LIFETIME)
    first = auth.current_credentials()
    with serve_credentials(auth) as endpoint:
        env = child_env(sb, endpoint)
        result = aws_s3_ls(sb, env)
        assert result.returncode == 0, result.stderr
        assert "public/data/example.csv" in result.stdout
        time.sleep(max(0.0, first.expires_at - time.time()) + 1)  # the first credentials expire
        result = aws_s3_ls(sb, env)
        assert result.returncode == 0, result.stderr
        assert "public/data/example.csv" in result.stdout
        _, body = get(endpoint.url, endpoint.token)
        assert body["AccessKeyId"] != first.access_key_id  # the endpoint served fresh ones

        env[AUTHORIZATION_TOKEN_VAR] = "wrong-token"  # the CLI with a wrong token: refused
        result = aws_s3_ls(sb, env)
        assert result.returncode != 0
        assert "public/data/example.csv" not in result.stdout


LOOP = """
import sys, time, boto3
s3 = boto3.client("s3")
keys, deadline = set(), time.time() + float(sys.argv[2])
while time.time() < deadline:
    s3.list_objects_v2(Bucket=sys.argv[1], Prefix="public/")
    keys.add(s3._request_signer._credentials.get_frozen_credentials().access_key)
    time.sleep(0.5)
print(len(keys))
"""


@pytest.mark.timeout(240)
def test_one_sdk_client_in_a_subprocess_refreshes_by_itself(sb, signed_in):
    auth = signed_in(LIFETIME)
    with serve_credentials(auth) as endpoint:
        result = subprocess.run(
            [sys.executable, "-c", LOOP, sb.bucket, str(2 * LIFETIME + 2)],
            env=child_env(sb, endpoint),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= 2  # at least one refresh through the endpoint
