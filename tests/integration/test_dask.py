"""Dask workers with the client's credentials, on a real ``distributed.LocalCluster`` (worker
processes) against the sandbox, whose S3 refuses expired credentials.

The client federates a user-pool token and shares its short-lived credentials; tasks read S3
with ``worker_session()`` and with pandas/s3fs through ``worker_storage_options()`` before and
after a refresh, on a worker that joined later, and get the typed lapse error once sharing
stopped (or the client went away) and the credentials expired. No worker file holds a secret.
"""

from __future__ import annotations

import glob
import io
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

distributed = pytest.importorskip("distributed")
pytest.importorskip("s3fs")
pytest.importorskip("pandas")

from nbauth.errors import SharedCredentialsLapsedError  # noqa: E402
from nbauth.integrations.dask import share_credentials  # noqa: E402

CSV = "public/data/example.csv"

pytestmark = pytest.mark.timeout(300)


# -- what tasks run on the workers -------------------------------------------------------------


def read_with_boto3(bucket: str, key: str) -> tuple[str, int]:
    from nbauth.integrations.dask import worker_session

    session = worker_session()
    body = session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    return session.get_credentials().access_key, len(body)


def read_with_pandas(url: str) -> int:
    import pandas as pd

    from nbauth.integrations.dask import worker_storage_options

    return len(pd.read_csv(url, storage_options=worker_storage_options()))


#: On each worker process (tasks import this module there): what its loggers wrote.
WORKER_LOG = io.StringIO()


def log_everything() -> None:
    """On a worker: nbauth's, botocore's and s3fs's DEBUG logs, kept in memory, so the test can
    look for secrets in what a debugging user would switch on."""
    handler = logging.StreamHandler(WORKER_LOG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    for name in ("nbauth", "botocore", "aiobotocore", "s3fs"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        if not any(isinstance(h, logging.StreamHandler) and h.stream is WORKER_LOG
                   for h in logger.handlers):  # fmt: skip
            logger.addHandler(handler)


def worker_logs() -> str:
    return WORKER_LOG.getvalue()


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dask")


@pytest.fixture(scope="module")
def cluster(dask_dir: Path) -> Iterator[Any]:
    # Worker processes inherit the environment: no AWS keys, profiles or endpoint settings, so
    # the only way a task reaches the sandbox is the endpoint and credentials shared with it.
    with pytest.MonkeyPatch.context() as mp:
        for var in [v for v in os.environ if v.startswith(("AWS_", "NBAUTH_"))]:
            mp.delenv(var)
        mp.setenv("AWS_CONFIG_FILE", str(dask_dir / "no-aws-config"))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(dask_dir / "no-aws-credentials"))
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        with distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            local_directory=str(dask_dir),
            silence_logs=False,
        ) as local:
            yield local


@pytest.fixture(autouse=True)
def _no_endpoint_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # The integration tier points botocore at the sandbox through AWS_ENDPOINT_URL; a worker
    # that joins during a test would inherit it.
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture
def signed_in(sb, make_auth, new_user, user_pool_provider):
    def make(lifetime: int) -> Any:
        _, token = new_user()
        sb.set_credentials_lifetime(lifetime)
        auth = make_auth()
        auth.federate_to_identity_pool(token, user_pool_provider)
        return auth

    return make


def on_each_worker(client: Any, function: Any, *args: Any) -> dict[str, Any]:
    addresses = sorted(client.scheduler_info()["workers"])
    futures = {a: client.submit(function, *args, workers=[a], pure=False) for a in addresses}
    return {a: f.result(timeout=60) for a, f in futures.items()}


def wait_until(predicate: Any, timeout: float, pause: float = 2.0) -> None:
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out"
        time.sleep(pause)


def sleep_past(expires_at: float) -> None:
    time.sleep(max(0.0, expires_at - time.time()) + 1.0)


def scan_for_secrets(roots: list[Path], secrets: set[str]) -> list[str]:
    found = []
    for root in roots:
        for path in root.rglob("*"):
            if not path.is_file() or path.is_symlink():
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue
            found += [f"{path}" for s in secrets if s.encode() in data]
    return found


def scratch_dirs(dask_dir: Path) -> list[Path]:
    return [dask_dir] + [
        Path(p) for p in glob.glob(os.path.join(tempfile.gettempdir(), "dask-scratch-space*"))
    ]


# -- tests --------------------------------------------------------------------------------------


def test_tasks_read_s3_across_a_refresh_and_a_late_worker_gets_credentials(
    sb, cluster, signed_in, dask_dir, nbauth_logs
):
    auth = signed_in(30)
    first = auth.current_credentials()
    bucket, url = sb.bucket, f"s3://{sb.bucket}/{CSV}"
    secrets = {first.secret_access_key, first.session_token}
    with distributed.Client(cluster) as client:
        client.run(log_everything)
        sharing = share_credentials(client, auth)
        try:
            before = on_each_worker(client, read_with_boto3, bucket, CSV)
            assert {key for key, _ in before.values()} == {first.access_key_id}
            assert all(size > 0 for _, size in before.values())
            rows = set(on_each_worker(client, read_with_pandas, url).values())
            assert len(rows) == 1 and rows.pop() > 0

            # The Auth refreshes in the background; the workers see the new keys.
            def refreshed() -> bool:
                keys = {k for k, _ in on_each_worker(client, read_with_boto3, bucket, CSV).values()}
                return first.access_key_id not in keys

            wait_until(refreshed, timeout=90)
            sleep_past(first.expires_at)  # S3 now refuses the first credentials
            current = auth.current_credentials()
            secrets |= {current.secret_access_key, current.session_token}
            after = on_each_worker(client, read_with_boto3, bucket, CSV)
            assert all(size > 0 for _, size in after.values())
            assert {k for k, _ in after.values()} != {first.access_key_id}
            assert all(n > 0 for n in on_each_worker(client, read_with_pandas, url).values())
            assert sharing.broadcasts >= 2

            # A worker that joins now gets the newest credentials from the scheduler.
            old = set(client.scheduler_info()["workers"])
            cluster.scale(3)
            client.wait_for_workers(3, timeout=90)
            (joined,) = set(client.scheduler_info()["workers"]) - old
            client.run(log_everything, workers=[joined])
            late = client.submit(read_with_boto3, bucket, CSV, workers=[joined], pure=False)
            key, size = late.result(timeout=60)
            assert size > 0 and key == auth.current_credentials().access_key_id
            late_rows = client.submit(read_with_pandas, url, workers=[joined], pure=False)
            assert late_rows.result(timeout=60) > 0
            logs = "\n".join(client.run(worker_logs).values())
        finally:
            sharing.stop()
        cluster.scale(2)
    assert list(dask_dir.rglob("worker-*")), "the workers' local directories are not where scanned"
    assert scan_for_secrets(scratch_dirs(dask_dir), secrets) == []
    assert "shared by Dask client" in logs  # the workers' logs were captured...
    assert "x-amz-security-token" in logs.lower()  # ... botocore's DEBUG request lines too
    assert "Shared AWS credentials" in nbauth_logs.text  # and the client's
    for secret in secrets:
        assert secret not in logs
        assert secret not in nbauth_logs.text


def test_after_stop_tasks_work_until_expiry_then_get_the_typed_error(sb, cluster, signed_in):
    auth = signed_in(20)
    with distributed.Client(cluster) as client:
        sharing = share_credentials(client, auth)
        shared = auth.current_credentials()
        sharing.stop()
        assert all(
            s > 0 for _, s in on_each_worker(client, read_with_boto3, sb.bucket, CSV).values()
        )
        sleep_past(shared.expires_at)
        future = client.submit(read_with_boto3, sb.bucket, CSV, pure=False)
        with pytest.raises(SharedCredentialsLapsedError) as caught:
            future.result(timeout=60)
    err = caught.value
    assert shared.expiration.isoformat() in err.message
    assert client.id in err.message and client.id in err.shared_by
    assert "share_credentials(client)" in err.recovery_suggestion


def test_when_the_client_goes_away_workers_keep_working_until_expiry(
    sb, cluster, signed_in, dask_dir
):
    auth = signed_in(20)
    sharer = distributed.Client(cluster)
    sharing = share_credentials(sharer, auth)
    shared = auth.current_credentials()
    sharer_id = sharer.id
    sharer.close()
    with distributed.Client(cluster) as other:
        sizes = on_each_worker(other, read_with_boto3, sb.bucket, CSV)
        assert {k for k, _ in sizes.values()} == {shared.access_key_id}
        sleep_past(shared.expires_at)
        # The Auth refreshed meanwhile; the sharing thread found its client closed and stopped.
        assert not sharing.running
        future = other.submit(read_with_pandas, f"s3://{sb.bucket}/{CSV}", pure=False)
        with pytest.raises(SharedCredentialsLapsedError) as caught:
            future.result(timeout=60)
        assert sharer_id in caught.value.message
    secrets = {shared.secret_access_key, shared.session_token}
    assert scan_for_secrets(scratch_dirs(dask_dir), secrets) == []
