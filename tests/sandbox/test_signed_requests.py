"""Signed requests over the wire: boto3 against the running sandbox gets AWS's errors.

Every bad input — a wrong secret, a tampered body or header, an expired or foreign session
token, credentials of a deleted identity, a presigned URL past its expiry, a skewed clock —
is refused with the code AWS uses, in each service's own shape, and botocore raises it as a
``ClientError`` with that ``Error.Code``.
"""

from __future__ import annotations

import datetime
import time
import urllib.error
import urllib.request
from typing import Any

import boto3
import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from werkzeug.test import Client

from nbauth.sandbox.aws_errors import AwsError
from nbauth.sandbox.issued_credentials import IssuedCredentialsRegistry
from nbauth.sandbox.signed_requests import SignedRequests

ONE_ATTEMPT = Config(retries={"mode": "standard", "total_max_attempts": 1})
KEY = "public/hello.txt"


def _client(sb, service: str, creds: dict[str, Any] | None = None, **config: Any) -> Any:
    creds = creds or {}
    return boto3.session.Session().client(
        service,
        endpoint_url=sb.aws_endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=creds.get("AccessKeyId", "AKIANOBODYISSUEDTHIS"),
        aws_secret_access_key=creds.get("SecretKey", "made-up"),
        aws_session_token=creds.get("SessionToken"),
        config=ONE_ATTEMPT.merge(Config(**config)),
    )


def _issued(identity, sb, token: str) -> tuple[str, dict[str, Any]]:
    logins = {sb.user_pool_provider_name: token}
    identity_id = identity.get_id(IdentityPoolId=sb.identity_pool_id, Logins=logins)["IdentityId"]
    result = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)
    return identity_id, result["Credentials"]


@pytest.fixture
def creds(sb, identity, new_user) -> dict[str, Any]:
    """Identity-pool credentials for a fresh user."""
    return _issued(identity, sb, new_user()[1])[1]


def _code(call, *args: Any, **kwargs: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as err:
        call(*args, **kwargs)
    response = err.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def _list(s3, sb) -> Any:
    return s3.list_objects_v2(Bucket=sb.bucket, Prefix="public/")


# -- what works -----------------------------------------------------------------------------------
def test_the_admin_key_works_everywhere(sb):
    assert sb.client("s3").get_object(Bucket=sb.bucket, Key=KEY)["Body"].read()
    assert sb.client("sts").get_caller_identity()["Account"] == "123456789012"
    assert sb.client("iam").list_roles()["Roles"]


def test_issued_credentials_work_for_s3_and_report_the_assumed_role(sb, creds):
    s3 = _client(sb, "s3", creds)
    assert _list(s3, sb)["KeyCount"] >= 1
    assert s3.get_object(Bucket=sb.bucket, Key=KEY)["Body"].read().startswith(b"Hello")
    caller = _client(sb, "sts", creds).get_caller_identity()
    role_name = sb.authenticated_role_arn.rsplit("/", 1)[1]
    assert caller["Arn"] == (
        f"arn:aws:sts::123456789012:assumed-role/{role_name}/CognitoIdentityCredentials"
    )
    assert caller["UserId"].startswith("AROA")
    assert caller["UserId"].endswith(":CognitoIdentityCredentials")
    assert caller["Account"] == "123456789012"


def test_credentials_from_sts_assume_role_work_too(sb):
    assumed = sb.client("sts").assume_role(
        RoleArn=sb.authenticated_role_arn, RoleSessionName="analyst"
    )["Credentials"]
    creds = {"AccessKeyId": assumed["AccessKeyId"], "SecretKey": assumed["SecretAccessKey"],
             "SessionToken": assumed["SessionToken"]}  # fmt: skip
    caller = _client(sb, "sts", creds).get_caller_identity()
    assert caller["Arn"].endswith("/analyst")
    assert _list(_client(sb, "s3", creds), sb)["KeyCount"] >= 1


# -- unknown keys, wrong secrets, tampering -------------------------------------------------------
def test_a_key_nobody_issued_is_refused_by_each_service(sb):
    assert _code(_list, _client(sb, "s3"), sb) == ("InvalidAccessKeyId", 403)
    assert _code(_client(sb, "sts").get_caller_identity) == ("InvalidClientTokenId", 403)
    idp = _client(sb, "cognito-idp")
    assert _code(idp.list_users, UserPoolId=sb.user_pool_id) == (
        "UnrecognizedClientException",
        400,
    )


def test_a_wrong_secret_does_not_match(sb, creds):
    for key, secret in (("testing", "not-the-secret"), (creds["AccessKeyId"], "x" * 40)):
        wrong = {**creds, "AccessKeyId": key, "SecretKey": secret}
        assert _code(_list, _client(sb, "s3", wrong), sb) == ("SignatureDoesNotMatch", 403)
        sts = _client(sb, "sts", wrong)
        assert _code(sts.get_caller_identity) == ("SignatureDoesNotMatch", 403)
    wrong = {"AccessKeyId": "testing", "SecretKey": "nope"}
    idp = _client(sb, "cognito-idp", wrong)
    assert _code(idp.list_users, UserPoolId=sb.user_pool_id) == ("InvalidSignatureException", 400)


def _tamper(client, event: str, change) -> None:
    client.meta.events.register(f"before-send.{event}", lambda request, **_: change(request))


def _one_second_later(request) -> None:
    value = request.headers["X-Amz-Date"]
    signed = datetime.datetime.strptime(
        value.decode() if isinstance(value, bytes) else value, "%Y%m%dT%H%M%SZ"
    )
    later = signed + datetime.timedelta(seconds=1)
    request.headers["X-Amz-Date"] = later.strftime("%Y%m%dT%H%M%SZ")


def test_a_tampered_body_or_header_is_refused(sb, creds):
    sts = _client(sb, "sts", creds)
    _tamper(sts, "sts.GetCallerIdentity", lambda r: setattr(  # same length, one byte off
        r, "body", r.body.replace("2011-06-15", "2011-06-16")))  # fmt: skip
    assert _code(sts.get_caller_identity) == ("SignatureDoesNotMatch", 403)

    sts = _client(sb, "sts", creds)
    _tamper(sts, "sts.GetCallerIdentity", lambda r: r.headers.__setitem__(
        "Content-Type", "application/x-www-form-urlencoded"))  # fmt: skip
    assert _code(sts.get_caller_identity) == ("SignatureDoesNotMatch", 403)

    s3 = sb.client("s3")
    put = dict(Bucket=sb.bucket, Key="public/tampered.txt", Body=b"original")
    _tamper(s3, "s3.PutObject", lambda r: setattr(r, "body", b"tampered"))
    try:
        assert _code(s3.put_object, **put) == ("XAmzContentSHA256Mismatch", 400)
    finally:
        s3.meta.events.unregister("before-send.s3.PutObject")

    s3 = _client(sb, "s3", creds)
    _tamper(s3, "s3.ListObjectsV2", _one_second_later)
    assert _code(_list, s3, sb)[0] == "SignatureDoesNotMatch"
    s3 = _client(sb, "s3", creds)
    _tamper(s3, "s3.ListObjectsV2", lambda r: r.headers.__setitem__("x-amz-acl", "public"))
    assert _code(_list, s3, sb) == ("AccessDenied", 403)


# -- session tokens -------------------------------------------------------------------------------
def test_a_missing_or_foreign_session_token_is_refused(sb, identity, new_user, creds):
    other = _issued(identity, sb, new_user()[1])[1]
    foreign = {**creds, "SessionToken": other["SessionToken"]}
    assert _code(_list, _client(sb, "s3", foreign), sb) == ("InvalidToken", 400)
    assert _code(_client(sb, "sts", foreign).get_caller_identity) == ("InvalidClientTokenId", 403)
    missing = {**creds, "SessionToken": None}
    assert _code(_list, _client(sb, "s3", missing), sb) == ("InvalidAccessKeyId", 403)
    assert _code(_client(sb, "sts", missing).get_caller_identity) == ("InvalidClientTokenId", 403)


def test_credentials_of_a_deleted_identity_are_refused(sb, identity, new_user):
    identity_id, creds = _issued(identity, sb, new_user()[1])
    s3 = _client(sb, "s3", creds)
    assert _list(s3, sb)["KeyCount"] >= 1
    sb.delete_identity(identity_id)
    assert _code(_list, s3, sb) == ("InvalidToken", 400)
    assert _code(_client(sb, "sts", creds).get_caller_identity) == ("InvalidClientTokenId", 403)


def test_frozen_credentials_fail_with_expired_token_after_their_expiry(
    sb, creds, identity, new_user
):
    sb.set_credentials_lifetime(2)
    _, short = _issued(identity, sb, new_user()[1])
    s3, sts = _client(sb, "s3", short), _client(sb, "sts", short)
    assert _list(s3, sb)["KeyCount"] >= 1
    time.sleep(max(0.0, short["Expiration"].timestamp() - time.time()) + 0.2)
    assert _code(_list, s3, sb) == ("ExpiredToken", 400)
    assert _code(sts.get_caller_identity) == ("ExpiredToken", 403)
    assert _list(_client(sb, "s3", creds), sb)["KeyCount"] >= 1  # longer-lived ones still work


# -- time -----------------------------------------------------------------------------------------
def test_a_clock_skewed_beyond_15_minutes_is_refused(sb, creds, monkeypatch):
    skewed = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=16)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: skewed)
    assert _code(_list, _client(sb, "s3", creds), sb) == ("RequestTimeTooSkewed", 403)
    with pytest.raises(ClientError, match="Signature expired") as err:
        _client(sb, "sts", creds).get_caller_identity()
    assert err.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    idp = sb.client("cognito-idp")
    fresh = _client(sb, "cognito-idp", {"AccessKeyId": "testing", "SecretKey": "testing"})
    assert _code(fresh.list_users, UserPoolId=sb.user_pool_id)[0] == "InvalidSignatureException"
    monkeypatch.setattr(
        botocore.auth, "get_current_datetime", lambda: skewed + datetime.timedelta(minutes=2)
    )
    assert idp.list_users(UserPoolId=sb.user_pool_id)["Users"]  # 14 minutes off: fine


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@pytest.mark.parametrize("signature_version", [None, "s3v4"])
def test_presigned_urls_work_then_expire(sb, creds, signature_version):
    s3 = _client(sb, "s3", creds, signature_version=signature_version)
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": sb.bucket, "Key": KEY}, ExpiresIn=1
    )
    assert ("X-Amz-Signature=" in url) == (signature_version == "s3v4")
    status, body = _fetch(url)
    assert (status, body[:5]) == (200, b"Hello")
    assert _fetch(url.replace("hello.txt", "hello.csv"))[0] == 403
    time.sleep(2.1)
    status, body = _fetch(url)
    assert status == 403
    assert b"<Code>AccessDenied</Code>" in body and b"Request has expired" in body


def test_unsigned_requests_get_each_service_s_refusal(sb):
    assert _fetch(f"{sb.aws_endpoint_url}/{sb.bucket}/{KEY}")[0] == 403
    status, body = _fetch(f"{sb.aws_endpoint_url}/?Action=GetCallerIdentity&Version=2011-06-15")
    assert status == 403 and b"<Code>MissingAuthenticationToken</Code>" in body


# -- the authorizer hook --------------------------------------------------------------------------
def test_the_authorizer_sees_the_principal_and_its_refusal_is_answered_in_shape():
    seen = []

    def deny(principal, request):
        seen.append((principal.kind, request.service, request.method, request.path))
        raise AwsError("AccessDenied", "Access Denied")

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"moto"]

    layer = SignedRequests(app, IssuedCredentialsRegistry(), authorizer=deny)
    request = AWSRequest(method="GET", url="http://localhost/bucket/a%20b", headers={})
    botocore.auth.S3SigV4Auth(Credentials("testing", "testing"), "s3", "us-east-1").add_auth(
        request
    )
    response = Client(layer).get(
        "/bucket/a%20b", headers={"Host": "localhost", **dict(request.headers.items())}
    )
    assert response.status_code == 403 and b"<Code>AccessDenied</Code>" in response.data
    assert seen == [("admin", "s3", "GET", "/bucket/a b")]
    layer.authorizer = None
    response = Client(layer).get(
        "/bucket/a%20b", headers={"Host": "localhost", **dict(request.headers.items())}
    )
    assert response.data == b"moto"
