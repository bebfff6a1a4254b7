"""Over the wire: AWS credentials shared through the store by kernels in separate processes.

Each "kernel" is a new Python process with the same ``FileStorage`` directory and the sandbox
config (the ``_aws_env`` fixture's ``AWS_ENDPOINT_URL`` is inherited); the counts are the
sandbox's own, server side (issue 10).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nbauth

KERNEL = """
import hashlib, json, sys
import nbauth

args = json.load(open(sys.argv[1]))
auth = nbauth.Auth(args["config"], storage=nbauth.FileStorage(args["store"]))
provider = nbauth.AuthProvider.user_pool(args["region"], args["user_pool_id"])
result = auth.federate_to_identity_pool(args["token"], provider)
frozen = auth.boto3_session().get_credentials().get_frozen_credentials()
print(json.dumps({
    "identity_id": result.identity_id,
    "key": hashlib.sha256(frozen.access_key.encode()).hexdigest(),
}))
auth.close()
"""


def kernels(sb: Any, tmp_path: Path, token: str, count: int = 1) -> list[dict[str, str]]:
    """Start ``count`` new processes at once, each federating ``token``; their results."""
    script, args = tmp_path / "kernel.py", tmp_path / "kernel.json"
    script.write_text(KERNEL)
    args.write_text(
        json.dumps(
            {
                "config": sb.config,
                "store": str(tmp_path / "store"),
                "region": sb.region,
                "user_pool_id": sb.user_pool_id,
                "token": token,
            }
        )
    )
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def first_kernel(sb: Any, make_auth: Any, tmp_path: Path, token: str, provider: Any) -> Any:
    auth = make_auth(storage=nbauth.FileStorage(tmp_path / "store"))
    result = auth.federate_to_identity_pool(token, provider)
    auth.close()
    return result


def counts(sb: Any) -> tuple[int, int]:
    return sb.calls("GetId"), sb.calls("GetCredentialsForIdentity")


def test_new_process_with_valid_cached_credentials_makes_no_call(
    sb, make_auth, new_user, user_pool_provider, tmp_path
):
    _, token = new_user()
    first = first_kernel(sb, make_auth, tmp_path, token, user_pool_provider)
    sb.reset_calls()
    [second] = kernels(sb, tmp_path, token)
    assert counts(sb) == (0, 0)
    assert second["identity_id"] == first.identity_id


def test_new_process_after_expiry_makes_one_call(
    sb, make_auth, new_user, user_pool_provider, tmp_path
):
    _, token = new_user()  # valid for an hour
    sb.set_credentials_lifetime(3)
    first = first_kernel(sb, make_auth, tmp_path, token, user_pool_provider)
    sb.set_credentials_lifetime(900)
    time.sleep(max(0.0, first.credentials.expires_at - time.time()) + 0.5)
    sb.reset_calls()
    [second] = kernels(sb, tmp_path, token)
    assert counts(sb) == (0, 1)  # the identity id is cached; the credentials are refreshed
    assert second["identity_id"] == first.identity_id
    sb.reset_calls()
    kernels(sb, tmp_path, token)  # ... and the refreshed ones are shared
    assert counts(sb) == (0, 0)


def test_many_processes_after_expiry_refresh_once(
    sb, make_auth, new_user, user_pool_provider, tmp_path
):
    _, token = new_user()
    sb.set_credentials_lifetime(3)
    first = first_kernel(sb, make_auth, tmp_path, token, user_pool_provider)
    sb.set_credentials_lifetime(900)
    time.sleep(max(0.0, first.credentials.expires_at - time.time()) + 0.5)
    sb.reset_calls()
    results = kernels(sb, tmp_path, token, count=4)
    assert counts(sb) == (0, 1)
    assert len({r["key"] for r in results}) == 1
    assert {r["identity_id"] for r in results} == {first.identity_id}
