"""The signed-request layer: every signed request checked as AWS checks it, before moto sees it.

A WSGI middleware in front of everything moto serves. For each request it reads (and puts
back) the body, parses the signature (:mod:`nbauth.sandbox.request_signing`), and checks, in
order: the request time (15 minutes of skew; a presigned URL's expiry), the access key (the
admin key ``testing``/``testing``, or temporary credentials the sandbox issued:
:mod:`nbauth.sandbox.issued_credentials`), the session token (present, the one issued with
the key, its identity not deleted), the credentials' expiry, the signature itself, and for S3
that every ``x-amz-*`` header is signed and the body matches ``x-amz-content-sha256``. Then
it builds a :class:`~nbauth.sandbox.principals.Principal` and a
:class:`~nbauth.sandbox.principals.SignedRequest`, answers ``sts:GetCallerIdentity`` for
temporary credentials (moto answers it for the admin key), and asks ``authorizer`` (if set)
whether the principal may make the request.

Not checked: operations AWS serves unsigned (Cognito ``GetId``, ``InitiateAuth``… and STS
``AssumeRoleWithWebIdentity``, from botocore's service models: they pass even when signed),
moto's ``/moto-api/`` and the sandbox's own pages (``/.well-known/…``, ``/_nbauth/…``). The
credential scope's region is not compared with anything, and aws-chunked bodies' chunk
signatures are not verified.

Refusals come in the service's own shape; per case, S3 · STS/IAM (query XML) · Cognito (JSON):

* unsigned: ``AccessDenied`` 403 · ``MissingAuthenticationToken`` 403 ·
  ``MissingAuthenticationTokenException`` 400
* malformed signature: ``AuthorizationHeaderMalformed`` 400 (presigned:
  ``AuthorizationQueryParametersError`` 400) · ``IncompleteSignature`` 403 ·
  ``IncompleteSignatureException`` 400
* request time more than 15 minutes off: ``RequestTimeTooSkewed`` 403 ·
  ``SignatureDoesNotMatch`` 403 "Signature expired: …" · ``InvalidSignatureException`` 400
* presigned URL past its expiry: ``AccessDenied`` 403 "Request has expired" ·
  ``SignatureDoesNotMatch`` 403 · ``InvalidSignatureException`` 400
* unknown access key, or a temporary key sent without its session token:
  ``InvalidAccessKeyId`` 403 · ``InvalidClientTokenId`` 403 · ``UnrecognizedClientException`` 400
* wrong session token, or credentials of a deleted identity: ``InvalidToken`` 400 ·
  ``InvalidClientTokenId`` 403 · ``UnrecognizedClientException`` 400
* expired credentials: ``ExpiredToken`` 400 · ``ExpiredToken`` 403 · ``ExpiredTokenException`` 400
* wrong signature (secret, body, signed header, path, query): ``SignatureDoesNotMatch`` 403 ·
  ``SignatureDoesNotMatch`` 403 · ``InvalidSignatureException`` 400
* S3 only: body ≠ ``x-amz-content-sha256``: ``XAmzContentSHA256Mismatch`` 400; an unsigned
  ``x-amz-*`` header: ``AccessDenied`` 403

Deleted identities: real AWS leaves credentials already issued valid until they expire; the
sandbox revokes them (as if the session had been revoked) so tests see the refusal.

An authorizer raises :class:`~nbauth.sandbox.aws_errors.AwsError`; it is answered in the
service's shape with the error's code, message and status (``AccessDenied`` with the default
status 400 becomes 403, as AWS answers it).
"""

from __future__ import annotations

import functools
import hmac
import io
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from . import moto_backends
from .aws_errors import (
    AwsError,
    StartResponse,
    json_error_response,
    query_error_response,
    s3_error_response,
    xml_response,
)
from .issued_credentials import IssuedCredentials, IssuedCredentialsRegistry
from .principals import Authorizer, Principal, SignedRequest
from .request_signing import (
    HttpRequest,
    SignatureError,
    SignatureInfo,
    check_time,
    parse_signature,
    verify_signature,
)
from .seed import FAKE_ADMIN_KEY

__all__ = ["ADMIN_KEYS", "SignedRequests"]

_logger = logging.getLogger("nbauth.sandbox")

#: The sandbox's documented admin key (access key → secret): the ``admin`` principal.
ADMIN_KEYS = {FAKE_ADMIN_KEY: FAKE_ADMIN_KEY}
_UNCHECKED_PREFIXES = ("/moto-api/", "/_nbauth/")
_INVALID_TOKEN_ID = "The security token included in the request is invalid."
_EXPIRED_TOKEN = "The security token included in the request is expired"
_QUERY_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)
#: reason → (S3, query, JSON) as (code, status, message); message None: the check's own.
_Answer = tuple[str, int, str | None]
_ANSWERS: dict[str, tuple[_Answer, _Answer, _Answer]] = {
    "unsigned": (
        ("AccessDenied", 403, "Access Denied"),
        ("MissingAuthenticationToken", 403, "Request is missing Authentication Token"),
        ("MissingAuthenticationTokenException", 400, "Missing Authentication Token"),
    ),
    "malformed": (
        ("AuthorizationHeaderMalformed", 400, None),
        ("IncompleteSignature", 403, None),
        ("IncompleteSignatureException", 400, None),
    ),
    "skewed": (
        (
            "RequestTimeTooSkewed",
            403,
            "The difference between the request time and the current time is too large.",
        ),
        ("SignatureDoesNotMatch", 403, None),
        ("InvalidSignatureException", 400, None),
    ),
    "url_expired": (
        ("AccessDenied", 403, None),
        ("SignatureDoesNotMatch", 403, None),
        ("InvalidSignatureException", 400, None),
    ),
    "unknown_key": (
        (
            "InvalidAccessKeyId",
            403,
            "The AWS Access Key Id you provided does not exist in our records.",
        ),
        ("InvalidClientTokenId", 403, _INVALID_TOKEN_ID),
        ("UnrecognizedClientException", 400, _INVALID_TOKEN_ID),
    ),
    "invalid_token": (
        ("InvalidToken", 400, "The provided token is malformed or otherwise invalid."),
        ("InvalidClientTokenId", 403, _INVALID_TOKEN_ID),
        ("UnrecognizedClientException", 400, _INVALID_TOKEN_ID),
    ),
    "expired_token": (
        ("ExpiredToken", 400, "The provided token has expired."),
        ("ExpiredToken", 403, _EXPIRED_TOKEN),
        ("ExpiredTokenException", 400, _EXPIRED_TOKEN),
    ),
    "mismatch": (
        ("SignatureDoesNotMatch", 403, None),
        ("SignatureDoesNotMatch", 403, _QUERY_MISMATCH),
        ("InvalidSignatureException", 400, _QUERY_MISMATCH),
    ),
    "content_sha256_mismatch": (
        ("XAmzContentSHA256Mismatch", 400, None),
        ("SignatureDoesNotMatch", 403, _QUERY_MISMATCH),
        ("InvalidSignatureException", 400, _QUERY_MISMATCH),
    ),
    "headers_not_signed": (
        ("AccessDenied", 403, None),
        ("SignatureDoesNotMatch", 403, _QUERY_MISMATCH),
        ("InvalidSignatureException", 400, _QUERY_MISMATCH),
    ),
}


class _Refused(Exception):
    def __init__(self, reason: str, message: str = "", details: dict[str, str] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.message = message
        self.details = details or {}


@functools.cache
def _unsigned_operations() -> frozenset[tuple[str, str]]:
    """``(X-Amz-Target prefix or service, operation)`` that AWS serves without a signature."""
    import botocore.session

    session = botocore.session.get_session()
    found = set()
    for service in ("cognito-identity", "cognito-idp", "sts"):
        model = session.get_service_model(service)
        prefix = model.metadata.get("targetPrefix") or service
        for name in model.operation_names:
            operation = model.operation_model(name)
            auth = getattr(operation, "auth", None) or []
            if operation.auth_type == "none" or "smithy.api#noAuth" in auth:
                found.add((prefix, name))
    return frozenset(found)


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ["wsgi.input"]
    if length > 0:
        return bytes(stream.read(length))
    if environ.get("wsgi.input_terminated"):
        return bytes(stream.read())
    return b""


def _action(environ: dict[str, Any], body: bytes) -> str | None:
    """The query protocol's ``Action`` (from the query string or a form body), or None."""
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if "Action" in query:
        return query["Action"][0]
    if "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
        form = parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0]
    return None


def _protocol(environ: dict[str, Any], action: str | None) -> str:
    if environ.get("HTTP_X_AMZ_TARGET") or "x-amz-json" in environ.get("CONTENT_TYPE", ""):
        return "json"
    return "query" if action else "s3"


class SignedRequests:
    """WSGI middleware verifying signed requests (see the module docstring); thread-safe.

    ``issued`` holds the credentials the sandbox issued; ``authorizer`` (settable at any time)
    judges verified requests; ``clock`` gives epoch seconds (request skew, presigned and
    credentials expiry).
    """

    def __init__(
        self,
        app: Any,
        issued: IssuedCredentialsRegistry,
        *,
        authorizer: Authorizer | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._app = app
        self.issued = issued
        self.authorizer = authorizer
        self.clock = clock
        _unsigned_operations()  # load botocore's models now, not on the first request

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(_UNCHECKED_PREFIXES) or "/.well-known/" in path:
            return self._app(environ, start_response)
        body = _read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        action = _action(environ, body)
        protocol = _protocol(environ, action)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        prefix, _, operation = target.partition(".")
        if (prefix, operation) in _unsigned_operations():
            return self._app(environ, start_response)
        request = HttpRequest.from_wsgi(environ, body)
        try:
            info = parse_signature(request)
            if info is None:
                if action and ("sts", action) in _unsigned_operations():
                    return self._app(environ, start_response)
                raise _Refused("unsigned")
            principal = self._verify(request, info)
        except SignatureError as err:
            return self._refuse(environ, start_response, protocol, _Refused(
                err.reason, err.message, err.details))  # fmt: skip
        except _Refused as refused:
            return self._refuse(environ, start_response, protocol, refused)
        environ["nbauth.principal"] = principal
        if info.service == "sts" and action == "GetCallerIdentity" and principal.kind != "admin":
            return _caller_identity(start_response, principal)
        authorizer = self.authorizer
        if authorizer is not None:
            try:
                authorizer(principal, _signed_request(environ, request, info))
            except AwsError as err:
                status = 403 if err.code.startswith("AccessDenied") and err.status == 400 else None
                return _answer(
                    environ, start_response, protocol, err.code, err.message,
                    status or err.status, {},
                )  # fmt: skip
        return self._app(environ, start_response)

    def _verify(self, request: HttpRequest, info: SignatureInfo) -> Principal:
        now = self.clock()
        check_time(info, now=now)
        admin_secret = ADMIN_KEYS.get(info.access_key_id)
        if admin_secret is not None:
            verify_signature(request, info, admin_secret)
            return Principal(info.access_key_id, kind="admin")
        issued = self.issued.lookup(info.access_key_id)
        if issued is None or not info.session_token:
            raise _Refused("unknown_key", details={"AWSAccessKeyId": info.access_key_id})
        self._check_token(issued, info.session_token, now)
        verify_signature(request, info, issued.secret_key)
        return Principal(
            info.access_key_id,
            kind="assumed-role",
            role_arn=issued.role_arn,
            identity_id=issued.identity_id,
            session_name=issued.session_name,
        )

    @staticmethod
    def _check_token(issued: IssuedCredentials, token: str, now: float) -> None:
        if not hmac.compare_digest(issued.session_token.encode(), token.encode()):
            raise _Refused("invalid_token")
        if issued.revoked:
            raise _Refused("invalid_token")
        if now >= issued.expiration:
            raise _Refused("expired_token")

    @staticmethod
    def _refuse(
        environ: dict[str, Any], start_response: StartResponse, protocol: str, refused: _Refused
    ) -> Iterable[bytes]:
        answers = dict(zip(("s3", "query", "json"), _ANSWERS[refused.reason], strict=True))
        code, status, message = answers[protocol]
        if code == "AuthorizationHeaderMalformed" and "HTTP_AUTHORIZATION" not in environ:
            code = "AuthorizationQueryParametersError"
        _logger.debug("sandbox: refused a signed request: %s", code)
        details = refused.details if protocol == "s3" else {}
        return _answer(
            environ, start_response, protocol, code, message or refused.message, status, details
        )


def _answer(
    environ: dict[str, Any],
    start_response: StartResponse,
    protocol: str,
    code: str,
    message: str,
    status: int,
    details: dict[str, str],
) -> Iterable[bytes]:
    if protocol == "json":
        return json_error_response(start_response, code, message, status)
    if protocol == "query":
        return query_error_response(start_response, code, message, status)
    body = environ.get("REQUEST_METHOD") != "HEAD"
    return s3_error_response(start_response, code, message, status, details, body=body)


def _signed_request(
    environ: dict[str, Any], request: HttpRequest, info: SignatureInfo
) -> SignedRequest:
    return SignedRequest(
        service=info.service,
        region=info.region,
        method=request.method,
        path=environ.get("PATH_INFO", "") or "/",
        query=parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True),
        headers=dict(request.headers),
        host=request.headers.get("host", ""),
    )


def _caller_identity(start_response: StartResponse, principal: Principal) -> Iterable[bytes]:
    role_id = moto_backends.role_id(principal.role_arn or "") or "AROA" + "0" * 17
    user_id = f"{role_id}:{principal.session_name or 'session'}"
    document = (
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<GetCallerIdentityResult><Arn>{escape(principal.arn)}</Arn>"
        f"<UserId>{escape(user_id)}</UserId><Account>{principal.account_id}</Account>"
        "</GetCallerIdentityResult><ResponseMetadata><RequestId>nbauth-sandbox</RequestId>"
        "</ResponseMetadata></GetCallerIdentityResponse>"
    )
    return xml_response(start_response, document)
