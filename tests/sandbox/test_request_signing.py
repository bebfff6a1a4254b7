"""``nbauth.sandbox.request_signing`` against botocore's own signers, without a server.

Each request is signed by botocore (SigV4 header and query forms, S3's variants, S3's SigV2),
then verified; changing one byte of what the signature covers makes it fail. (Here rather than
in ``tests/unit``: the unit tier never imports ``nbauth.sandbox``.)
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from botocore.auth import (
    HmacV1Auth,
    HmacV1QueryAuth,
    S3SigV4Auth,
    S3SigV4QueryAuth,
    SigV4Auth,
    SigV4QueryAuth,
)
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from nbauth.sandbox.request_signing import (
    HttpRequest,
    SignatureError,
    check_time,
    parse_signature,
    verify_signature,
)

ENDPOINT = "http://127.0.0.1:5000"
CREDS = Credentials("ASIAEXAMPLEKEY000001", "the-secret", "the-session-token")


def _signed(signer, method="GET", url=ENDPOINT + "/", body=b"", headers=None) -> HttpRequest:
    """Signed by botocore, as it reaches a server (a presigned URL: with no headers but Host)."""
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    signer.add_auth(request)
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    sent = {} if "Signature=" in parts.query else prepared.headers
    headers = {"host": parts.netloc, **{k.lower(): v for k, v in sent.items()}}
    return HttpRequest(prepared.method, parts.path, parts.query, headers, prepared.body or b"")


def _verify(request: HttpRequest, secret: str = "the-secret") -> None:
    info = parse_signature(request)
    assert info is not None
    check_time(info, now=time.time())
    verify_signature(request, info, secret)


def _reason(request: HttpRequest, secret: str = "the-secret") -> str:
    with pytest.raises(SignatureError) as err:
        _verify(request, secret)
    return err.value.reason


def _replace(request: HttpRequest, **changes) -> HttpRequest:
    return HttpRequest(**{**request.__dict__, **changes})


STS_BODY = b"Action=GetCallerIdentity&Version=2011-06-15"
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def test_sigv4_header_form_of_a_query_service_verifies_and_tampering_fails():
    request = _signed(SigV4Auth(CREDS, "sts", "us-east-1"), "POST", body=STS_BODY, headers=FORM)
    _verify(request)
    info = parse_signature(request)
    assert (info.access_key_id, info.service, info.session_token) == (
        "ASIAEXAMPLEKEY000001",
        "sts",
        "the-session-token",
    )
    assert _reason(request, "wrong-secret") == "mismatch"
    assert _reason(_replace(request, body=STS_BODY.replace(b"Caller", b"Callex"))) == "mismatch"
    tampered = {**request.headers, "content-type": "application/x-www-form-urlencoded"}
    assert _reason(_replace(request, headers=tampered)) == "mismatch"
    assert _reason(_replace(request, method="PUT")) == "mismatch"


def test_non_s3_paths_are_encoded_twice_and_normalized():
    url = ENDPOINT + "/a%20b/./c/../d~e"
    request = _signed(SigV4Auth(CREDS, "execute-api", "eu-west-1"), url=url)
    _verify(request)
    assert _reason(_replace(request, path="/a%20b/d~f")) == "mismatch"


def test_query_parameters_are_canonicalized_and_covered():
    url = ENDPOINT + "/?b=2&a=%2F%20x&a=1&empty="
    request = _signed(SigV4Auth(CREDS, "iam", "us-east-1"), url=url)
    _verify(request)
    assert _reason(_replace(request, query=request.query.replace("b=2", "b=3"))) == "mismatch"


def test_s3_header_form_with_a_hashed_payload():
    url = ENDPOINT + "/bucket/a%20b/c~d%2Be"
    request = _signed(S3SigV4Auth(CREDS, "s3", "us-east-1"), "PUT", url, body=b"hello")
    assert len(request.headers["x-amz-content-sha256"]) == 64
    _verify(request)
    # the body is checked against its declared hash after the signature
    assert _reason(_replace(request, body=b"hellO")) == "content_sha256_mismatch"
    # S3's path is not encoded twice: a re-encoded path no longer matches
    assert _reason(_replace(request, path="/bucket/a%2520b/c~d%252Be")) == "mismatch"


class _DeclaredPayload(S3SigV4Auth):
    """botocore's S3 signer with a chosen ``x-amz-content-sha256`` (as over https)."""

    def __init__(self, declared: str) -> None:
        super().__init__(CREDS, "s3", "us-east-1")
        self.declared = declared

    def payload(self, request):
        return self.declared


def test_s3_unsigned_payload_and_streaming_trailer_forms():
    for declared in ("UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"):
        request = _signed(_DeclaredPayload(declared), "PUT", ENDPOINT + "/bucket/k", body=b"x")
        assert request.headers["x-amz-content-sha256"] == declared
        _verify(_replace(request, body=b"any body: it is not hashed"))
        assert _reason(request, "wrong-secret") == "mismatch"


def test_s3_x_amz_headers_outside_the_signature_are_refused():
    request = _signed(S3SigV4Auth(CREDS, "s3", "us-east-1"), url=ENDPOINT + "/bucket")
    extra = {**request.headers, "x-amz-acl": "public-read"}
    assert _reason(_replace(request, headers=extra)) == "headers_not_signed"


def test_a_wrong_session_token_header_breaks_the_signature():
    request = _signed(S3SigV4Auth(CREDS, "s3", "us-east-1"), url=ENDPOINT + "/bucket")
    other = {**request.headers, "x-amz-security-token": "another-token"}
    assert _reason(_replace(request, headers=other)) == "mismatch"


def test_skew_beyond_15_minutes_in_either_direction():
    request = _signed(SigV4Auth(CREDS, "sts", "us-east-1"), "POST", body=STS_BODY, headers=FORM)
    info = parse_signature(request)
    check_time(info, now=time.time() + 14 * 60)
    for shift in (16 * 60, -16 * 60):
        with pytest.raises(SignatureError) as err:
            check_time(info, now=time.time() + shift)
        assert err.value.reason == "skewed"
    with pytest.raises(SignatureError, match=r"Signature expired: .* - 15 min"):
        check_time(info, now=time.time() + 16 * 60)


def test_s3_presigned_sigv4_url_verifies_and_expires():
    signer = S3SigV4QueryAuth(CREDS, "s3", "us-east-1", expires=60)
    request = _signed(signer, url=ENDPOINT + "/bucket/hello.txt")
    assert "X-Amz-Signature=" in request.query and "X-Amz-Security-Token=" in request.query
    _verify(request)
    info = parse_signature(request)
    assert info.presigned and info.session_token == "the-session-token"
    with pytest.raises(SignatureError) as err:
        check_time(info, now=time.time() + 61)
    assert (err.value.reason, err.value.message) == ("url_expired", "Request has expired")
    longer = request.query.replace("X-Amz-Expires=60", "X-Amz-Expires=600")
    assert _reason(_replace(request, query=longer)) == "mismatch"
    assert _reason(_replace(request, path="/bucket/other.txt")) == "mismatch"


def test_presigned_sigv4_for_another_service():
    request = _signed(SigV4QueryAuth(CREDS, "sts", "us-east-1", expires=60), url=ENDPOINT + "/")
    _verify(request)
    assert _reason(request, "wrong-secret") == "mismatch"


def test_presigned_urls_longer_than_a_week_are_malformed():
    request = _signed(S3SigV4QueryAuth(CREDS, "s3", "us-east-1", expires=604801))
    assert _reason(request) == "malformed"


def test_s3_sigv2_query_and_header_forms():
    presigned = _signed(HmacV1QueryAuth(CREDS, expires=60), url=ENDPOINT + "/bucket/a%20b?acl")
    assert "AWSAccessKeyId=" in presigned.query
    _verify(presigned)
    info = parse_signature(presigned)
    assert info.version == 2 and info.session_token == "the-session-token"
    with pytest.raises(SignatureError) as err:
        check_time(info, now=time.time() + 61)
    assert err.value.reason == "url_expired"
    assert _reason(_replace(presigned, path="/bucket/a%20c")) == "mismatch"

    header = _signed(HmacV1Auth(CREDS), "PUT", ENDPOINT + "/bucket/k", body=b"x")
    _verify(header)
    assert _reason(header, "wrong-secret") == "mismatch"


def test_unsigned_and_malformed_requests():
    assert parse_signature(HttpRequest("GET", "/", "", {"host": "x"})) is None
    for auth in (
        "Bearer abc",
        "AWS4-HMAC-SHA256 Credential=K/20200101/us-east-1/s3/aws4_request",
        "AWS4-HMAC-SHA256 Credential=K/x, SignedHeaders=host, Signature=00",
    ):
        headers = {"host": "x", "authorization": auth, "x-amz-date": "20200101T000000Z"}
        with pytest.raises(SignatureError) as err:
            parse_signature(HttpRequest("GET", "/", "", headers))
        assert err.value.reason == "malformed"
