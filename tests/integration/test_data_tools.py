"""Data tools in the kernel over the real wire (issue 10, part 5): pandas/s3fs with live
credentials across a refresh, pyarrow through the shared sign-in, and the awaitable API.

The sandbox S3 refuses expired credentials and enforces the identity pool's role policies:
signed-in users read ``public/`` and read/write ``private/<identity id>/``.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

import pytest

import nbauth
from nbauth.aws.container_credentials import AUTHORIZATION_TOKEN_VAR, serve_credentials

pd = pytest.importorskip("pandas")
pytest.importorskip("s3fs")

LIFETIME = 6
CSV = "public/data/example.csv"


@pytest.fixture
def signed_in(sb, make_auth, new_user, user_pool_provider):
    def make(lifetime: int | None = None) -> nbauth.Auth:
        _, token = new_user()
        if lifetime:
            sb.set_credentials_lifetime(lifetime)
        auth = make_auth()
        auth.federate_to_identity_pool(token, user_pool_provider)
        return auth

    return make


@pytest.mark.timeout(120)
def test_pandas_reads_through_s3fs_before_and_after_a_refresh_and_writes_private(sb, signed_in):
    auth = signed_in(LIFETIME)
    first = auth.current_credentials()
    options = nbauth.fsspec_storage_options(auth)
    url = f"s3://{sb.bucket}/{CSV}"
    before = pd.read_csv(url, storage_options=options)
    assert len(before) > 0

    time.sleep(max(0.0, first.expires_at - time.time()) + 1)  # the first credentials expire
    after = pd.read_csv(url, storage_options=nbauth.fsspec_storage_options(auth))
    assert after.equals(before)
    assert auth.current_credentials().access_key_id != first.access_key_id

    identity_id = auth.fetch_auth_session().identity_id
    out = f"s3://{sb.bucket}/private/{identity_id}/out-{uuid.uuid4().hex[:6]}.csv"
    after.to_csv(out, index=False, storage_options=options)
    assert pd.read_csv(out, storage_options=options).equals(before)
    s3 = auth.boto3_session().client("s3")
    assert s3.head_object(Bucket=sb.bucket, Key=out.split("/", 3)[3])["ContentLength"] > 0


def test_writing_outside_ones_own_prefix_is_refused(sb, signed_in):
    auth = signed_in()
    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(PermissionError):
        frame.to_csv(
            f"s3://{sb.bucket}/private/someone-else/out.csv",
            index=False,
            storage_options=nbauth.fsspec_storage_options(auth),
        )


PYARROW = """
import sys, time
from pyarrow import csv, fs
s3 = fs.S3FileSystem(endpoint_override=sys.argv[1], scheme="http", region=sys.argv[3])
for pause in (0, float(sys.argv[4])):
    time.sleep(pause)  # the first credentials expire: the same filesystem reads again
    with s3.open_input_stream(sys.argv[2]) as f:
        print(csv.read_csv(f).num_rows)
"""


def pyarrow_read(sb, env, pause: float) -> subprocess.CompletedProcess[str]:
    endpoint_override = sb.aws_endpoint_url.split("://", 1)[1]
    env = {k: v for k, v in env.items() if k != "AWS_ENDPOINT_URL"}
    args = [endpoint_override, f"{sb.bucket}/{CSV}", sb.region, str(pause)]
    return subprocess.run(
        [sys.executable, "-c", PYARROW, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


@pytest.mark.timeout(180)
def test_pyarrow_in_a_subprocess_reads_through_the_container_endpoint_across_a_refresh(
    sb, signed_in
):
    pytest.importorskip("pyarrow")
    auth = signed_in(LIFETIME)
    options = nbauth.fsspec_storage_options(auth)
    expected = len(pd.read_csv(f"s3://{sb.bucket}/{CSV}", storage_options=options))
    with serve_credentials(auth) as endpoint:
        result = pyarrow_read(sb, {**os.environ, **endpoint.env()}, LIFETIME + 1)
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == [str(expected)] * 2

        # Proof that it was the endpoint: with a wrong token pyarrow finds no credentials.
        wrong = {**os.environ, **endpoint.env(), AUTHORIZATION_TOKEN_VAR: "wrong"}
        result = pyarrow_read(sb, wrong, 0)
        assert result.returncode != 0
        assert str(expected) not in result.stdout
        assert "ACCESS_DENIED" in result.stderr  # it fell back to an unsigned request


@pytest.fixture
def default_auth(sb):
    auth = nbauth.configure(sb.config, storage=nbauth.MemoryStorage())
    yield auth
    nbauth.api._default = None
    auth.close()


def test_fetch_auth_session_async_awaits_without_blocking_the_loop(
    default_auth, new_user, user_pool_provider
):
    _, token = new_user()
    result = nbauth.federate_to_identity_pool(token, user_pool_provider)
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.001)

    async def main() -> tuple[nbauth.AuthSession, nbauth.AuthSession]:
        task = asyncio.create_task(ticker())
        try:
            session = await nbauth.fetch_auth_session_async()
            forced = await nbauth.fetch_auth_session_async(force_refresh=True)
        finally:
            task.cancel()
        return session, forced

    session, forced = run_in_fresh_loop(main)
    assert session.identity_id == result.identity_id == forced.identity_id
    assert session.credentials == result.credentials
    assert forced.credentials is not None
    assert forced.credentials.access_key_id != result.credentials.access_key_id
    assert len(ticks) >= 2  # the loop ran while the forced refresh went over the wire


def test_wait_async_awaits_a_device_code_sign_in(sb, make_auth):
    sb.set_token_lifetimes(device_interval=1)
    auth = make_auth()
    handle = auth.sign_in_with_device_code()

    async def main():
        with pytest.raises(nbauth.errors.SignInTimeoutError):
            await handle.wait_async(timeout=0.2)  # the flow goes on
        asyncio.get_running_loop().call_later(0.3, sb.approve_device_code, handle.user_code)
        return await handle.wait_async(timeout=30)

    result = run_in_fresh_loop(main)
    assert result.is_signed_in
    assert auth.fetch_auth_session().credentials is not None


def test_storage_options_do_not_keep_an_auth_alive(sb):
    import gc
    import weakref

    auth = nbauth.Auth(sb.config, storage=nbauth.MemoryStorage(), hub=nbauth.Hub())
    options = nbauth.fsspec_storage_options(auth)
    assert nbauth.fsspec_storage_options(auth)["session"] is options["session"]  # one per Auth
    ref = weakref.ref(auth)
    auth.close()
    del auth
    gc.collect()
    assert ref() is None


def run_in_fresh_loop(main: Any) -> Any:
    """``asyncio.run(main())`` in a thread of its own, as a notebook's loop would run it: the
    test process may already have a loop set in this thread (Playwright's sync API leaves one)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = asyncio.run(main())
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(60)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
