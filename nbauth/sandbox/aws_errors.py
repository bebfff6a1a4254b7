"""AWS responses for the sandbox's WSGI layers, in each protocol's own shape.

Cognito speaks the ``application/x-amz-json-1.1`` protocol: a success is a JSON
object, an error is ``{"__type": code, "message": text}`` with an HTTP status
(400 for client errors). botocore turns the ``__type`` into a typed exception
(``client.exceptions.NotAuthorizedException``), so the code strings here must be
the exact names from the service model.

S3 answers errors as ``<Error><Code>…</Code><Message>…</Message>…</Error>``
(:func:`s3_error_response`); the query-protocol services (STS, IAM) as
``<ErrorResponse><Error><Type>Sender</Type><Code>…</Code>…`` (:func:`query_error_response`).
botocore reads ``Error.Code`` from both.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from xml.sax.saxutils import escape

__all__ = [
    "AwsError",
    "StartResponse",
    "html_response",
    "json_error_response",
    "json_response",
    "query_error_response",
    "read_json_body",
    "s3_error_response",
    "xml_response",
]

StartResponse = Callable[..., Any]

_JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
_REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class AwsError(Exception):
    """An error to answer in AWS's JSON shape (``__type`` + ``message``)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def _status_line(status: int) -> str:
    return f"{status} {_REASONS.get(status, 'Error')}"


def json_response(
    start_response: StartResponse,
    body: dict[str, Any],
    status: int = 200,
    content_type: str = _JSON_CONTENT_TYPE,
) -> Iterable[bytes]:
    """Answer with a JSON body, as AWS JSON-protocol services do."""
    data = json.dumps(body).encode()
    start_response(
        _status_line(status),
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(data))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ],
    )
    return [data]


def json_error_response(
    start_response: StartResponse, code: str, message: str, status: int = 400
) -> Iterable[bytes]:
    """Answer with AWS's JSON error shape; botocore raises it as ``code``."""
    data = json.dumps({"__type": code, "message": message}).encode()
    start_response(
        _status_line(status),
        [
            ("Content-Type", _JSON_CONTENT_TYPE),
            ("Content-Length", str(len(data))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
            ("x-amzn-ErrorType", code),
        ],
    )
    return [data]


def xml_response(
    start_response: StartResponse,
    document: str,
    status: int = 200,
    *,
    request_id: str | None = None,
    content_type: str = "text/xml",
    body: bool = True,
) -> Iterable[bytes]:
    """Answer with an XML document (``body=False``: headers only, as for ``HEAD``)."""
    data = document.encode()
    request_id = request_id or str(uuid.uuid4())
    start_response(
        _status_line(status),
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(data) if body else 0)),
            ("x-amzn-RequestId", request_id),
            ("x-amz-request-id", request_id),
        ],
    )
    return [data] if body else []


def s3_error_response(
    start_response: StartResponse,
    code: str,
    message: str,
    status: int,
    details: Mapping[str, str] | None = None,
    *,
    body: bool = True,
) -> Iterable[bytes]:
    """S3's error document; ``details`` become extra elements (``<RequestTime>`` …)."""
    request_id = uuid.uuid4().hex[:16].upper()
    extra = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in (details or {}).items())
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>{extra}"
        f"<RequestId>{request_id}</RequestId><HostId>nbauth-sandbox</HostId></Error>"
    )
    return xml_response(
        start_response,
        document,
        status,
        request_id=request_id,
        content_type="application/xml",
        body=body,
    )


def query_error_response(
    start_response: StartResponse, code: str, message: str, status: int = 400
) -> Iterable[bytes]:
    """The query protocol's error document (STS, IAM)."""
    request_id = str(uuid.uuid4())
    document = (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return xml_response(start_response, document, status, request_id=request_id)


def html_response(start_response: StartResponse, status: int, html: str) -> Iterable[bytes]:
    """Answer with an HTML page, like a load balancer in front of a failed service."""
    data = html.encode()
    start_response(
        _status_line(status),
        [("Content-Type", "text/html"), ("Content-Length", str(len(data)))],
    )
    return [data]


def read_json_body(environ: dict[str, Any]) -> dict[str, Any]:
    """The JSON object of an AWS JSON-protocol request, or a ``SerializationException``."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length > 0 else b""
    if not raw.strip():
        return {}
    try:
        params = json.loads(raw)
    except ValueError:
        raise AwsError("SerializationException", "Request body is not valid JSON.") from None
    if not isinstance(params, dict):
        raise AwsError("SerializationException", "Request body must be a JSON object.")
    return params
