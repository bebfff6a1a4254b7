"""The identity pool's role policies, enforced on S3 over the real wire (issue 9).

Credentials come from nbauth (a guest, a federated user-pool user, a second user); the sandbox
verifies their signature, maps them to the identity and role, and judges each S3 request by
the role's IAM policies (``nbauth.sandbox.s3_policies``). The seeded policies are Amplify's:
guests read and list ``public/``; signed-in users also read, write, delete and list
``private/<their identity id>/``. Every refusal is S3's ``AccessDenied`` (HTTP 403), and the
nbauth session that made the call is intact afterwards.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

import nbauth

HELLO = "public/hello.txt"


def s3_of(auth: nbauth.Auth) -> Any:
    return auth.boto3_session().client("s3")


def denied(auth: nbauth.Auth, call: Callable[[], Any]) -> ClientError:
    """``call`` fails with S3's AccessDenied, and ``auth``'s session is intact after it."""
    before = auth.fetch_auth_session()
    with pytest.raises(ClientError) as err:
        call()
    assert err.value.response["Error"]["Code"] == "AccessDenied", err.value.response
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    after = auth.fetch_auth_session()
    assert before.credentials is not None and after.credentials is not None
    assert after.identity_id == before.identity_id
    assert after.credentials.access_key_id == before.credentials.access_key_id
    return err.value


@pytest.fixture
def guest(make_auth: Callable[..., nbauth.Auth]) -> nbauth.Auth:
    auth = make_auth()
    session = auth.fetch_auth_session()
    assert session.credentials is not None and session.tokens is None  # a guest
    return auth


@pytest.fixture
def signed_in(
    make_auth: Callable[..., nbauth.Auth],
    new_user: Callable[[], tuple[str, str]],
    user_pool_provider: nbauth.LoginsProvider,
) -> Callable[[], nbauth.Auth]:
    def make() -> nbauth.Auth:
        _, token = new_user()
        auth = make_auth()
        auth.federate_to_identity_pool(token, user_pool_provider)
        return auth

    return make


def private(auth: nbauth.Auth, name: str = "") -> str:
    return f"private/{auth.fetch_auth_session().identity_id}/{name}"


# -- guests -----------------------------------------------------------------------------------


def test_guest_reads_and_lists_public(sb: Any, guest: nbauth.Auth) -> None:
    s3 = s3_of(guest)
    assert s3.get_object(Bucket=sb.bucket, Key=HELLO)["Body"].read().startswith(b"Hello")
    assert s3.head_object(Bucket=sb.bucket, Key=HELLO)["ContentLength"] > 0
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=sb.bucket, Prefix="public/")["Contents"]]
    assert {HELLO, "public/data/example.csv"} <= set(keys)


def test_guest_may_not_write_or_list_beyond_public(sb: Any, guest: nbauth.Auth) -> None:
    s3 = s3_of(guest)
    err = denied(guest, lambda: s3.put_object(Bucket=sb.bucket, Key="private/x", Body=b"1"))
    assert "s3:PutObject" in str(err)
    own = private(guest, "x")  # a guest has an identity id, but no private storage
    denied(guest, lambda: s3.put_object(Bucket=sb.bucket, Key=own, Body=b"1"))
    denied(guest, lambda: s3.put_object(Bucket=sb.bucket, Key="public/new", Body=b"1"))
    denied(guest, lambda: s3.delete_object(Bucket=sb.bucket, Key=HELLO))
    denied(guest, lambda: s3.list_objects_v2(Bucket=sb.bucket))  # the bucket's root
    denied(guest, lambda: s3.list_objects_v2(Bucket=sb.bucket, Prefix="private/"))
    # ... and the guest carries on
    assert s3.get_object(Bucket=sb.bucket, Key=HELLO)["Body"].read()


# -- signed-in users --------------------------------------------------------------------------


def test_user_reads_public_and_owns_their_private_prefix(
    sb: Any, signed_in: Callable[[], nbauth.Auth]
) -> None:
    user = signed_in()
    s3 = s3_of(user)
    assert s3.get_object(Bucket=sb.bucket, Key=HELLO)["Body"].read().startswith(b"Hello")
    key = private(user, f"notes-{uuid.uuid4().hex[:6]}.txt")
    s3.put_object(Bucket=sb.bucket, Key=key, Body=b"only mine")
    assert s3.get_object(Bucket=sb.bucket, Key=key)["Body"].read() == b"only mine"
    listed = s3.list_objects_v2(Bucket=sb.bucket, Prefix=private(user))
    assert [o["Key"] for o in listed["Contents"]] == [key]
    copy = private(user, "copy-of-hello.txt")  # GetObject on public/ + PutObject on own prefix
    s3.copy_object(Bucket=sb.bucket, Key=copy, CopySource={"Bucket": sb.bucket, "Key": HELLO})
    s3.upload_fileobj(io.BytesIO(b"x" * 10), sb.bucket, private(user, "up.bin"))
    for name in (key, copy, private(user, "up.bin")):
        s3.delete_object(Bucket=sb.bucket, Key=name)
    assert s3.list_objects_v2(Bucket=sb.bucket, Prefix=private(user))["KeyCount"] == 0


def test_user_may_not_touch_another_identitys_prefix(
    sb: Any, signed_in: Callable[[], nbauth.Auth]
) -> None:
    alice, bob = signed_in(), signed_in()
    a3, b3 = s3_of(alice), s3_of(bob)
    assert private(alice) != private(bob)
    secret = private(alice, "secret.txt")
    a3.put_object(Bucket=sb.bucket, Key=secret, Body=b"alice's")

    err = denied(bob, lambda: b3.put_object(Bucket=sb.bucket, Key=private(alice, "x"), Body=b"1"))
    assert private(alice, "x") in str(err)
    denied(bob, lambda: b3.get_object(Bucket=sb.bucket, Key=secret))
    denied(bob, lambda: b3.delete_object(Bucket=sb.bucket, Key=secret))
    denied(bob, lambda: b3.list_objects_v2(Bucket=sb.bucket, Prefix=private(alice)))
    denied(bob, lambda: b3.list_objects_v2(Bucket=sb.bucket))
    denied(
        bob,  # copying it out into bob's own prefix needs GetObject on alice's key
        lambda: b3.copy_object(
            Bucket=sb.bucket, Key=private(bob, "stolen"), CopySource=f"{sb.bucket}/{secret}"
        ),
    )
    denied(bob, lambda: b3.put_object(Bucket=sb.bucket, Key="public/defaced", Body=b"1"))
    # both carry on, and alice's object is untouched
    assert b3.list_objects_v2(Bucket=sb.bucket, Prefix=private(bob))["KeyCount"] == 0
    assert a3.get_object(Bucket=sb.bucket, Key=secret)["Body"].read() == b"alice's"
    a3.delete_object(Bucket=sb.bucket, Key=secret)


# -- the policies live in IAM -----------------------------------------------------------------


@pytest.fixture
def extra_user_policy(sb: Any) -> Iterator[Callable[[dict[str, Any]], None]]:
    """Put an extra inline policy on the signed-in role; removed afterwards."""
    iam = sb.client("iam")
    role = sb.authenticated_role_arn.rsplit("/", 1)[-1]

    def add(document: dict[str, Any]) -> None:
        iam.put_role_policy(
            RoleName=role, PolicyName="test-extra", PolicyDocument=json.dumps(document)
        )

    yield add
    if "test-extra" in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        iam.delete_role_policy(RoleName=role, PolicyName="test-extra")


def test_seeded_policies_are_the_roles_iam_policies(sb: Any) -> None:
    iam = sb.client("iam")
    for arn, private_too in (
        (sb.authenticated_role_arn, True),
        (sb.unauthenticated_role_arn, False),
    ):
        role = arn.rsplit("/", 1)[-1]
        (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        text = json.dumps(document)
        assert "public/*" in text
        assert ("${cognito-identity.amazonaws.com:sub}" in text) is private_too


def test_a_deny_added_with_the_iam_api_applies_at_once(
    sb: Any, signed_in: Callable[[], nbauth.Auth], extra_user_policy: Callable[..., None]
) -> None:
    user = signed_in()
    s3 = s3_of(user)
    assert s3.get_object(Bucket=sb.bucket, Key=HELLO)["Body"].read()
    extra_user_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{sb.bucket}/public/*",
                }
            ],
        }
    )
    err = denied(user, lambda: s3.get_object(Bucket=sb.bucket, Key=HELLO))
    assert "explicit deny" in str(err)
