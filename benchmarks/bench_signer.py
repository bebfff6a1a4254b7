"""[2] The credential lookup boto3's signer makes on every signed request.

botocore's ``RequestSigner.get_auth_instance`` calls
``credentials.get_frozen_credentials()`` for every request it signs. We time
that call on

* (a) nbauth's ``LiveCredentials``, from ``nbauth.boto3_session().get_credentials()``
  with fresh sandbox credentials (1-hour lifetime);
* (b) the baseline: botocore's own ``RefreshableCredentials`` made with
  ``create_from_metadata`` for the *same* keys and expiry and a refresh function;
* (c) both through a real S3 client's ``_request_signer.get_auth_instance(...)``,
  the clients made from sessions whose credential chains answer with (a) / (b).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import boto3
import botocore.session
from botocore.credentials import CredentialProvider, RefreshableCredentials
from fixtures import Federated
from harness import Row, Stats, format_ratio, measure_calls

import nbauth
from nbauth.aws.boto3_credentials import LiveCredentials

SECTION = "2 per-request credential lookup (boto3 signer)"
TARGET_RATIO = 5.0
SIGNER_STMT = "get_auth(signing_name='s3', region_name=region, signature_version='s3v4')"


class _FixedProvider(CredentialProvider):
    """The first link of a botocore credential chain: always the given credentials."""

    METHOD = "benchmark"
    CANONICAL_NAME = "custom-benchmark"

    def __init__(self, credentials: Any) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> Any:
        return self._credentials


class _Refresher:
    """botocore's refresh function: new metadata valid for an hour; counts its calls."""

    def __init__(self, metadata: dict[str, str]) -> None:
        self.metadata = metadata
        self.calls = 0

    def __call__(self) -> dict[str, str]:
        self.calls += 1
        expiry = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
        return {**self.metadata, "expiry_time": expiry.isoformat()}


def botocore_refreshable(current: nbauth.AWSCredentials) -> tuple[RefreshableCredentials, Any]:
    """botocore's ``RefreshableCredentials`` for the same keys and expiry, and its refresher."""
    assert current.expiration is not None
    metadata = {
        "access_key": current.access_key_id,
        "secret_key": current.secret_access_key,
        "token": current.session_token or "",
        "expiry_time": current.expiration.isoformat(),
    }
    refresher = _Refresher(metadata)
    credentials = RefreshableCredentials.create_from_metadata(
        metadata, refresh_using=refresher, method="benchmark"
    )
    return credentials, refresher


def s3_client_with(credentials: Any, region: str) -> Any:
    """An S3 client whose session's credential chain starts with ``credentials``."""
    core = botocore.session.get_session()
    core.get_component("credential_provider").insert_before("env", _FixedProvider(credentials))
    client = boto3.Session(botocore_session=core, region_name=region).client("s3")
    assert client._request_signer._credentials is credentials
    return client


def _speedup(baseline: Stats, stats: Stats) -> str:
    return f"{format_ratio(baseline.median_ns / stats.median_ns)} faster"


def _signer_rows(live: LiveCredentials, refreshable: Any, region: str) -> list[Row]:
    """(c): ``get_auth_instance`` on S3 clients signing with each kind of credentials."""
    nb_client = nbauth.boto3_session().client("s3")
    assert nb_client._request_signer._credentials is live
    bc_client = s3_client_with(refreshable, region)

    def namespace(client: Any) -> dict[str, Any]:
        return {"get_auth": client._request_signer.get_auth_instance, "region": region}

    cases = {"botocore": namespace(bc_client), "nbauth": namespace(nb_client)}
    measured = measure_calls({name: (SIGNER_STMT, ns) for name, ns in cases.items()})
    baseline, ours = measured["botocore"], measured["nbauth"]
    saved = baseline.median_ns - ours.median_ns
    return [
        Row(SECTION, "(c) get_auth_instance, botocore creds [baseline]", baseline),
        Row(
            SECTION,
            "(c) get_auth_instance, nbauth creds",
            ours,
            ratio=_speedup(baseline, ours),
            extra={"saved_ns_per_request": saved},
        ),
    ]


def run(ctx: Federated) -> list[Row]:
    """Time (a), (b) and (c); the ratios are baseline / nbauth."""
    live = nbauth.boto3_session().get_credentials()
    assert isinstance(live, LiveCredentials), type(live)
    current = ctx.auth.current_credentials()
    refreshable, refresher = botocore_refreshable(current)
    assert live.get_frozen_credentials() == refreshable.get_frozen_credentials()

    stmt = "creds.get_frozen_credentials()"
    measured = measure_calls(
        {"botocore": (stmt, {"creds": refreshable}), "nbauth": (stmt, {"creds": live})}
    )
    baseline, ours = measured["botocore"], measured["nbauth"]
    ratio = baseline.median_ns / ours.median_ns
    remaining = (current.expires_at or 0) - ctx.auth.credentials_engine.clock()
    rows = [
        Row(
            SECTION,
            "(b) botocore RefreshableCredentials [baseline]",
            baseline,
            extra={"refresh_calls": refresher.calls, "seconds_to_expiry": remaining},
        ),
        Row(
            SECTION,
            "(a) nbauth LiveCredentials",
            ours,
            ratio=_speedup(baseline, ours),
            target=f"≥ {TARGET_RATIO:g}x",
            ok=ratio >= TARGET_RATIO,
            extra={"speedup": ratio},
        ),
    ]
    rows += _signer_rows(live, refreshable, ctx.sb.region)
    assert refresher.calls == 0, "botocore refreshed fresh credentials while timing"
    return rows
