"""Credentials that keep working, against a sandbox S3 that refuses expired credentials.

Real time, short credentials (6 s): one S3 client from ``boto3_session()`` lists the bucket
across three expiries, while the same calls signed with the first (frozen) credentials fail
with ``ExpiredToken`` once they expire — so the check is real and the refresh was needed.
"""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

LIFETIME = 6


def test_a_client_keeps_working_across_three_real_expiries(
    sb, make_auth, new_user, user_pool_provider
):
    _, token = new_user()
    sb.set_credentials_lifetime(LIFETIME)
    auth = make_auth()
    first = auth.federate_to_identity_pool(token, user_pool_provider).credentials
    s3 = auth.boto3_session().client("s3")
    frozen = boto3.session.Session(
        aws_access_key_id=first.access_key_id,
        aws_secret_access_key=first.secret_access_key,
        aws_session_token=first.session_token,
        region_name="us-east-1",
    ).client("s3", endpoint_url=sb.aws_endpoint_url, config=Config(retries={"max_attempts": 1}))
    assert frozen.list_objects_v2(Bucket=sb.bucket, Prefix="public/")["KeyCount"] >= 1

    used: list[str] = []
    s3.meta.events.register(
        "before-sign.s3.*",
        lambda **_: used.append(auth.current_credentials().access_key_id),
    )
    deadline = first.expires_at + 3 * LIFETIME + 1
    calls = 0
    while time.time() < deadline:
        assert s3.list_objects_v2(Bucket=sb.bucket, Prefix="public/")["KeyCount"] >= 1
        calls += 1
        time.sleep(0.25)
    assert len(set(used)) >= 4, "three expiries mean at least four sets of credentials"
    assert calls >= 3 * LIFETIME * 2  # the client was used throughout

    with pytest.raises(ClientError) as err:
        frozen.list_objects_v2(Bucket=sb.bucket, Prefix="public/")
    assert err.value.response["Error"]["Code"] == "ExpiredToken"
    assert auth.fetch_auth_session().credentials.expires_at > time.time()  # session intact


def test_credentials_revoked_early_are_refreshed_once_and_the_call_goes_through(
    sb, make_auth, new_user, user_pool_provider
):
    _, token = new_user()
    auth = make_auth()
    first = auth.federate_to_identity_pool(token, user_pool_provider)
    s3 = auth.boto3_session().client("s3")
    assert s3.list_objects_v2(Bucket=sb.bucket, Prefix="public/")["KeyCount"] >= 1
    sb.delete_identity(first.identity_id)  # its credentials are refused from now on
    before = sb.calls("GetCredentialsForIdentity")
    assert s3.list_objects_v2(Bucket=sb.bucket, Prefix="public/")["KeyCount"] >= 1
    current = auth.current_credentials()
    assert current.access_key_id != first.credentials.access_key_id
    assert sb.calls("GetCredentialsForIdentity") - before == 2  # deleted id refused, then new
