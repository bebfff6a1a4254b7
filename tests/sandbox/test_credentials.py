"""Credentials: roles, lifetime, custom roles, and that they work against S3."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

import nbauth.sandbox as sandbox
from tests.support.aws_clients import unsigned_client


def _signed_in(sb: Any, identity: Any) -> tuple[str, dict[str, str]]:
    logins = {sb.user_pool_provider_name: sb.id_token()}
    return identity.get_id(IdentityPoolId=sb.identity_pool_id, Logins=logins)["IdentityId"], logins


def _session(sb: Any, credentials: dict[str, Any]) -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=sb.region,
    )


def _seconds_left(credentials: dict[str, Any]) -> float:
    expiration: datetime = credentials["Expiration"]
    return (expiration - datetime.now(timezone.utc)).total_seconds()


def test_credentials_list_the_bucket(sb: Any, identity: Any) -> None:
    identity_id, logins = _signed_in(sb, identity)
    answer = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)
    credentials = answer["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    assert credentials["SecretKey"] and credentials["SessionToken"]
    s3 = _session(sb, credentials).client("s3", endpoint_url=sb.aws_endpoint_url)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=sb.bucket, Prefix="public/")["Contents"]]
    assert {"public/hello.txt", "public/data/example.csv"} <= set(keys)
    sts = _session(sb, credentials).client("sts", endpoint_url=sb.aws_endpoint_url)
    role_name = sb.authenticated_role_arn.split("/")[-1]
    assert f"assumed-role/{role_name}/" in sts.get_caller_identity()["Arn"]


def test_guest_credentials_use_the_unauthenticated_role(sb: Any, identity: Any) -> None:
    guest = identity.get_id(IdentityPoolId=sb.identity_pool_id)["IdentityId"]
    credentials = identity.get_credentials_for_identity(IdentityId=guest)["Credentials"]
    sts = _session(sb, credentials).client("sts", endpoint_url=sb.aws_endpoint_url)
    role_name = sb.unauthenticated_role_arn.split("/")[-1]
    assert f"assumed-role/{role_name}/" in sts.get_caller_identity()["Arn"]


def test_default_lifetime_is_an_hour(sb: Any, identity: Any) -> None:
    identity_id, logins = _signed_in(sb, identity)
    credentials = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)
    assert 3590 <= _seconds_left(credentials["Credentials"]) <= 3601


@pytest.mark.parametrize("lifetime", [90, 900, 7200])
def test_lifetime_is_honoured(sb: Any, identity: Any, lifetime: int) -> None:
    sb.set_credentials_lifetime(lifetime)
    identity_id, logins = _signed_in(sb, identity)
    credentials = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)
    assert lifetime - 10 <= _seconds_left(credentials["Credentials"]) <= lifetime + 1


def test_lifetime_at_start() -> None:
    with sandbox.start(credentials_lifetime=120) as short:
        client = unsigned_client("cognito-identity", short.aws_endpoint_url)
        guest = client.get_id(IdentityPoolId=short.identity_pool_id)["IdentityId"]
        answer = client.get_credentials_for_identity(IdentityId=guest)
        assert 110 <= _seconds_left(answer["Credentials"]) <= 121


def test_custom_role(sb: Any, identity: Any) -> None:
    iam = sb.client("iam")
    role_arn = iam.create_role(
        RoleName=f"custom-{uuid.uuid4().hex[:8]}",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    identity_id, logins = _signed_in(sb, identity)
    answer = identity.get_credentials_for_identity(
        IdentityId=identity_id, Logins=logins, CustomRoleArn=role_arn
    )
    sts = _session(sb, answer["Credentials"]).client("sts", endpoint_url=sb.aws_endpoint_url)
    assert f"assumed-role/{role_arn.split('/')[-1]}/" in sts.get_caller_identity()["Arn"]

    missing = "arn:aws:iam::123456789012:role/does-not-exist"
    with pytest.raises(identity.exceptions.NotAuthorizedException, match="forbidden"):
        identity.get_credentials_for_identity(
            IdentityId=identity_id, Logins=logins, CustomRoleArn=missing
        )
    with pytest.raises(identity.exceptions.InvalidParameterException):
        identity.get_credentials_for_identity(
            IdentityId=identity_id,
            Logins=logins,
            CustomRoleArn="arn:aws:iam::123456789012:user/not-a-role",
        )


def test_identity_pool_roles(sb: Any) -> None:
    admin = sb.client("cognito-identity")
    roles = admin.get_identity_pool_roles(IdentityPoolId=sb.identity_pool_id)
    assert roles["IdentityPoolId"] == sb.identity_pool_id
    assert roles["Roles"] == {
        "authenticated": sb.authenticated_role_arn,
        "unauthenticated": sb.unauthenticated_role_arn,
    }
    with pytest.raises(ClientError) as exc_info:
        admin.set_identity_pool_roles(
            IdentityPoolId=sb.identity_pool_id,
            Roles={"authenticated": "arn:aws:iam::123456789012:role/nope"},
        )
    assert exc_info.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_pool_without_roles_cannot_give_credentials(sb: Any, identity: Any) -> None:
    admin = sb.client("cognito-identity")
    bare = admin.create_identity_pool(
        IdentityPoolName="no_roles", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    guest = identity.get_id(IdentityPoolId=bare)["IdentityId"]
    with pytest.raises(identity.exceptions.InvalidIdentityPoolConfigurationException):
        identity.get_credentials_for_identity(IdentityId=guest)
