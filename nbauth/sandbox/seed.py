"""Create the sandbox's AWS resources through its own endpoint, with boto3.

A user pool with a public app client, a confidential app client (with a
secret) and a confirmed demo user, IAM roles for signed-in and guest users
(Amplify's storage policies: :func:`role_policy`), an identity pool trusting the
user pool (both app clients), and an S3 bucket with two objects under
``public/``.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.config import Config

__all__ = [
    "BUCKET",
    "DEMO_EMAIL",
    "DEMO_PASSWORD",
    "DEMO_USERNAME",
    "DEVELOPER_PROVIDER_NAME",
    "FAKE_ADMIN_KEY",
    "IDENTITY_SUB",
    "OBJECTS",
    "SeededResources",
    "aws_client",
    "create_confirmed_user",
    "role_policy",
    "seed",
]

FAKE_ADMIN_KEY = "testing"
BUCKET = "nbauth-sandbox-data"
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "Sandbox-Passw0rd!"
DEMO_EMAIL = "demo@example.com"
DEVELOPER_PROVIDER_NAME = "login.nbauth.sandbox"
#: Seeded under ``public/``, which guests and signed-in users may list and read.
OBJECTS = {
    "public/hello.txt": b"Hello from the nbauth sandbox!\n",
    "public/data/example.csv": b"city,country,population\nLisbon,PT,545923\nOslo,NO,709037\n"
    b"Nairobi,KE,4397073\n",
}
EXPLICIT_AUTH_FLOWS = [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_CUSTOM_AUTH",
]
# One attempt: the sandbox's own calls must not silently consume injected faults.
_NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


def aws_client(service: str, endpoint_url: str, region: str, *, signed: bool = True) -> Any:
    """A boto3 client for the sandbox endpoint (fake admin keys, or unsigned)."""
    if signed:
        return boto3.session.Session().client(
            service,
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=FAKE_ADMIN_KEY,
            aws_secret_access_key=FAKE_ADMIN_KEY,
            config=_NO_RETRIES,
        )
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        config=_NO_RETRIES.merge(Config(signature_version=UNSIGNED)),
    )


@dataclass(frozen=True)
class SeededResources:
    """Ids and names of what :func:`seed` created."""

    user_pool_id: str
    user_pool_client_id: str
    secret_client_id: str
    secret_client_secret: str
    identity_pool_id: str
    authenticated_role_arn: str
    unauthenticated_role_arn: str
    bucket: str


def _trust_policy(identity_pool_id: str, amr: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                    "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
                    "Condition": {
                        "StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool_id},
                        "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": amr},
                    },
                }
            ],
        }
    )


IDENTITY_SUB = "${cognito-identity.amazonaws.com:sub}"


def role_policy(bucket: str, *, signed_in: bool) -> dict[str, Any]:
    """The S3 policy of the guest role, or of the signed-in role (``signed_in=True``).

    Amplify's storage access pattern: everyone (guests too) reads and lists ``public/``;
    signed-in identities also read, write and delete under ``private/<their identity id>/``
    and list that prefix, through the ``${cognito-identity.amazonaws.com:sub}`` variable.
    Listing anything else (the bucket's root, another identity's prefix) is refused.
    """
    bucket_arn = f"arn:aws:s3:::{bucket}"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadPublic",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [f"{bucket_arn}/public/*"],
        },
        {
            "Sid": "ListPublic",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [bucket_arn],
            "Condition": {"StringLike": {"s3:prefix": ["public/", "public/*"]}},
        },
    ]
    if signed_in:
        private = f"private/{IDENTITY_SUB}/"
        statements += [
            {
                "Sid": "ReadWriteOwnPrivate",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": [f"{bucket_arn}/{private}*"],
            },
            {
                "Sid": "ListOwnPrivate",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [bucket_arn],
                "Condition": {"StringLike": {"s3:prefix": [private, f"{private}*"]}},
            },
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def seed(client: Callable[[str], Any], region: str, *, allow_guest: bool) -> SeededResources:
    """Create every sandbox resource; names carry a random suffix (moto state is shared).

    ``client(service)`` returns a signed boto3 client for the sandbox endpoint.
    """
    suffix = secrets.token_hex(4)
    idp = client("cognito-idp")
    identity = client("cognito-identity")
    iam = client("iam")
    s3 = client("s3")

    user_pool_id = idp.create_user_pool(
        PoolName=f"nbauth-sandbox-{suffix}",
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 6,
                "RequireUppercase": False,
                "RequireLowercase": False,
                "RequireNumbers": False,
                "RequireSymbols": False,
            }
        },
        AutoVerifiedAttributes=["email"],
    )["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=user_pool_id,
        ClientName="nbauth-sandbox-notebook",
        GenerateSecret=False,
        ExplicitAuthFlows=EXPLICIT_AUTH_FLOWS,
    )["UserPoolClient"]["ClientId"]
    secret_client = idp.create_user_pool_client(
        UserPoolId=user_pool_id,
        ClientName="nbauth-sandbox-confidential",
        GenerateSecret=True,
        ExplicitAuthFlows=EXPLICIT_AUTH_FLOWS,
    )["UserPoolClient"]
    create_confirmed_user(
        idp,
        user_pool_id,
        DEMO_USERNAME,
        DEMO_PASSWORD,
        {"email": DEMO_EMAIL, "email_verified": "true"},
    )

    identity_pool_id = identity.create_identity_pool(
        IdentityPoolName=f"nbauth_sandbox_{suffix}",
        AllowUnauthenticatedIdentities=allow_guest,
        CognitoIdentityProviders=[
            {
                "ProviderName": f"cognito-idp.{region}.amazonaws.com/{user_pool_id}",
                "ClientId": app_client_id,
                "ServerSideTokenCheck": False,
            }
            for app_client_id in (client_id, secret_client["ClientId"])
        ],
        DeveloperProviderName=DEVELOPER_PROVIDER_NAME,
    )["IdentityPoolId"]

    role_arns = {}
    for kind, amr in (("authenticated", "authenticated"), ("unauthenticated", "unauthenticated")):
        role_name = f"nbauth-sandbox-{kind}-{suffix}"
        role_arns[kind] = iam.create_role(
            RoleName=role_name,
            AssumeRolePolicyDocument=_trust_policy(identity_pool_id, amr),
            Description=f"nbauth sandbox: {kind} identities",
        )["Role"]["Arn"]
        iam.put_role_policy(
            RoleName=role_name,
            PolicyName="s3-storage",
            PolicyDocument=json.dumps(role_policy(BUCKET, signed_in=kind == "authenticated")),
        )
    identity.set_identity_pool_roles(IdentityPoolId=identity_pool_id, Roles=role_arns)

    if region == "us-east-1":
        s3.create_bucket(Bucket=BUCKET)  # idempotent for the owner in us-east-1
    else:
        with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
            s3.create_bucket(
                Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": region}
            )
    for key, body in OBJECTS.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)

    return SeededResources(
        user_pool_id=user_pool_id,
        user_pool_client_id=client_id,
        secret_client_id=secret_client["ClientId"],
        secret_client_secret=secret_client["ClientSecret"],
        identity_pool_id=identity_pool_id,
        authenticated_role_arn=role_arns["authenticated"],
        unauthenticated_role_arn=role_arns["unauthenticated"],
        bucket=BUCKET,
    )


def create_confirmed_user(
    idp: Any,
    user_pool_id: str,
    username: str,
    password: str,
    attributes: dict[str, str] | None = None,
) -> None:
    """AdminCreateUser + AdminSetUserPassword(Permanent): a CONFIRMED user."""
    idp.admin_create_user(
        UserPoolId=user_pool_id,
        Username=username,
        TemporaryPassword=f"Tmp-{secrets.token_urlsafe(12)}",
        UserAttributes=[{"Name": k, "Value": v} for k, v in (attributes or {}).items()],
        MessageAction="SUPPRESS",
    )
    idp.admin_set_user_password(
        UserPoolId=user_pool_id, Username=username, Password=password, Permanent=True
    )
