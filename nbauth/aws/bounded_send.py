"""botocore requests with a total deadline and a size cap (DESIGN invariant 9).

botocore's ``read_timeout`` is per socket read, like ``requests``': a Cognito endpoint (or a
proxy in front of it) that trickles its answer keeps ``GetCredentialsForIdentity`` waiting
forever, and with it every caller waiting for credentials. :func:`bound_client` registers a
``before-send`` handler on one of nbauth's own botocore clients that sends the signed (or
unsigned) request through :class:`~nbauth.net.bounded_http.BoundedAdapter` instead — same
method, URL, headers and body; proxies from the environment and ``AWS_CA_BUNDLE`` honoured — and
hands botocore the answer as an ``AWSResponse``. botocore parses it as usual, so service errors
are its typed exceptions; a deadline or an oversized body raises nbauth's
:class:`~nbauth.errors.DeadlineExceededError` / :class:`~nbauth.errors.ResponseTooLargeError`,
which :func:`~nbauth.aws.error_mapping.map_aws_error` passes through.

Only nbauth's clients (Cognito identity pools and user pools) are bound; the clients of
``nbauth.boto3_session()`` are the user's and keep botocore's own transport.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import requests
from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HTTPHeaders

from ..errors import AuthError, NetworkError, ServiceError
from ..net.bounded_http import mount_bounded

__all__ = ["bound_client"]

_session: requests.Session | None = None
_lock = threading.Lock()


def _shared_session() -> requests.Session:
    global _session
    if _session is None:
        with _lock:
            if _session is None:
                _session = mount_bounded(requests.Session())
    return _session


class _BodyStream:
    """The ``raw`` botocore's ``AWSResponse`` reads the (already bounded) body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        if self._body:
            yield self._body

    def read(self, *args: Any, **kwargs: Any) -> bytes:
        body, self._body = self._body, b""
        return body


def _is_json_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body or b"{}"), dict)
    except ValueError:
        return False


def _send(
    request: AWSPreparedRequest, *, json_protocol: bool = False, **kwargs: Any
) -> AWSResponse:
    prepared = requests.PreparedRequest()
    prepared.method = request.method
    prepared.url = request.url
    prepared.headers = requests.structures.CaseInsensitiveDict(dict(request.headers.items()))
    body: Any = request.body
    prepared.body = body.read() if hasattr(body, "read") else body
    session = _shared_session()
    verify: bool | str = os.environ.get("AWS_CA_BUNDLE") or True
    try:
        response = session.send(prepared, allow_redirects=False, verify=verify)
    except AuthError:
        raise
    except requests.RequestException as exc:
        raise NetworkError(
            f"Could not reach {prepared.url and requests.utils.urlparse(prepared.url).netloc} "
            f"({type(exc).__name__}).",
            underlying=exc,
        ) from None
    if (
        json_protocol
        and 200 <= response.status_code < 300
        and not _is_json_object(response.content)
    ):
        # botocore reads such a body as an empty result: fail here, where it is still clear
        raise ServiceError(
            f"{urlsplit(str(request.url)).netloc} answered HTTP {response.status_code} with a "
            "body that is not the service's JSON (a proxy's or captive portal's page?)."
        )
    raw = _BodyStream(response.content)
    headers = HTTPHeaders()
    for name, value in response.headers.items():
        headers[name] = value
    return AWSResponse(str(request.url), response.status_code, headers, raw)


def bound_client(client: Any) -> Any:
    """Send every request of botocore ``client`` through the bounded transport; returns it.

    For a JSON-protocol service (Cognito's), a 2xx answer that is not a JSON object is a
    :class:`~nbauth.errors.ServiceError` (botocore would parse it as an empty result).
    """
    json_protocol = client.meta.service_model.protocol == "json"
    send = functools.partial(_send, json_protocol=json_protocol)
    client.meta.events.register_first("before-send", send, unique_id="nbauth-bounded-send")
    return client
