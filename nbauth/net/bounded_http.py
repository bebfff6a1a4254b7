"""HTTP with a total deadline and a size cap: every request nbauth makes goes through here.

``requests`` (and so Authlib) applies its read timeout *per socket read*: a server that trickles
one byte every few seconds keeps a call alive forever, and a 64 MB answer is read whole. A
:class:`BoundedAdapter` mounted on a ``requests`` session closes both gaps for every request of
that session:

* **one deadline** for connect, send, the status line and headers, and the whole body
  (``Limits.total_seconds``): ``http.client`` reads headers line by line with the per-read
  timeout, so while they are read a timer hangs up the socket at the deadline; before each body
  read the socket's timeout is cut to what is left. A stall or a slow drip anywhere ends at the
  deadline with :class:`~nbauth.errors.DeadlineExceededError`;
* **a size cap** on the body (``Limits.max_bytes``, decoded bytes: a gzip bomb is cut too), and
  an announced ``Content-Length`` above it is refused before reading:
  :class:`~nbauth.errors.ResponseTooLargeError`.

The AWS side (:mod:`nbauth.aws.bounded_send`) sends botocore's requests through the same
adapter, so Cognito calls have the same guarantees.

Limits come from :func:`current_limits`: 30 s and 1 MiB unless the environment says otherwise
(``NBAUTH_HTTP_DEADLINE_SECONDS``, ``NBAUTH_HTTP_MAX_BYTES``), read per request so a test or an
operator can tighten them without code.

Example::

    session = requests.Session()
    mount_bounded(session)
    session.get(url)   # raises DeadlineExceededError / ResponseTooLargeError, never hangs
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ..errors import DeadlineExceededError, NetworkError, ResponseTooLargeError

__all__ = ["BoundedAdapter", "Limits", "current_limits", "mount_bounded"]

_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    """How long one request may take in total, and how many body bytes it may return."""

    total_seconds: float = 30.0
    connect_seconds: float = 10.0
    max_bytes: int = 1024 * 1024


def current_limits() -> Limits:
    """The limits in force now: defaults, overridden by ``NBAUTH_HTTP_DEADLINE_SECONDS`` /
    ``NBAUTH_HTTP_MAX_BYTES`` (ignored when not a positive number)."""
    total = _positive(os.environ.get("NBAUTH_HTTP_DEADLINE_SECONDS"), float)
    size = _positive(os.environ.get("NBAUTH_HTTP_MAX_BYTES"), int)
    if total is None and size is None:
        return _DEFAULT
    total = total if total is not None else _DEFAULT.total_seconds
    return Limits(
        total_seconds=total,
        connect_seconds=min(_DEFAULT.connect_seconds, total),
        max_bytes=size if size is not None else _DEFAULT.max_bytes,
    )


_DEFAULT = Limits()


def _positive(raw: str | None, kind: type) -> Any:
    if not raw:
        return None
    try:
        value = kind(raw)
    except ValueError:
        return None
    return value if value > 0 else None


class BoundedAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` that enforces :func:`current_limits` on every request it sends.

    The body is read here (never streamed to the caller), so ``response.content`` is ready
    and the connection is back in the pool when ``send`` returns.
    """

    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        **kwargs: Any,
    ) -> requests.Response:
        limits = current_limits()
        deadline = time.monotonic() + limits.total_seconds
        connect, read = limits.connect_seconds, limits.total_seconds
        if isinstance(timeout, tuple) and len(timeout) == 2:  # a caller may only shorten them
            connect = min(connect, timeout[0] or connect)
            read = min(read, timeout[1] or read)
        elif isinstance(timeout, (int, float)):
            connect, read = min(connect, timeout), min(read, timeout)
        _current.deadline = deadline  # read by _DeadlineConnection in this thread
        try:
            response = super().send(request, stream=True, timeout=(connect, read), **kwargs)
        except (requests.ConnectTimeout, requests.ReadTimeout) as exc:
            raise _deadline_error(request, limits) from exc
        except requests.RequestException as exc:
            if time.monotonic() >= deadline:  # the timer hung up on dripping headers
                raise _deadline_error(request, limits) from exc
            raise
        finally:
            _current.deadline = None
        try:
            body = _read_body(response, deadline, limits, request)
        except BaseException:
            response.close()  # a half-read connection is never reused
            raise
        response.raw.release_conn()  # read to the end: back to the pool (keep-alive, TLS reuse)
        response._content = body  # the documented way requests caches a body it has read
        response._content_consumed = True  # type: ignore[attr-defined]
        return response

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """requests' pool manager, whose connections keep the deadline while reading headers."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        """requests' proxy manager, with the same connections."""
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager


_current = threading.local()


def _hang_up(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _DeadlineConnection(HTTPConnection):
    """Reads the status line and headers under the request's deadline (a timer hangs up)."""

    def getresponse(self) -> Any:
        deadline = getattr(_current, "deadline", None)
        sock = self.sock
        if deadline is None or sock is None:
            return super().getresponse()
        timer = threading.Timer(max(0.0, deadline - time.monotonic()), _hang_up, (sock,))
        timer.daemon = True
        timer.start()
        try:
            return super().getresponse()
        finally:
            timer.cancel()


class _DeadlineHTTPSConnection(_DeadlineConnection, HTTPSConnection):
    """The https twin of :class:`_DeadlineConnection`."""


class _DeadlinePool(HTTPConnectionPool):
    ConnectionCls = _DeadlineConnection


class _DeadlineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


_POOLS = {"http": _DeadlinePool, "https": _DeadlineHTTPSPool}


def _read_body(response: requests.Response, deadline: float, limits: Limits, request: Any) -> bytes:
    announced = response.headers.get("Content-Length")
    if announced is not None and announced.isdigit() and int(announced) > limits.max_bytes:
        raise _too_large(request, limits)
    raw = response.raw
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _deadline_error(request, limits)
        _cut_socket_timeout(raw, remaining)
        try:
            # read1: at most one socket read, so a slow drip meets the deadline check
            chunk = raw.read1(_CHUNK, decode_content=True)
        except TimeoutError as exc:
            raise _deadline_error(request, limits) from exc
        except Exception as exc:  # urllib3's ReadTimeoutError, ProtocolError, IncompleteRead…
            if "timed out" in str(exc).lower() or time.monotonic() >= deadline:
                raise _deadline_error(request, limits) from exc
            raise NetworkError(
                f"The answer of {_host(request)} broke off ({type(exc).__name__}).",
                underlying=exc,
            ) from None
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limits.max_bytes:
            raise _too_large(request, limits)
        chunks.append(chunk)


def _cut_socket_timeout(raw: Any, remaining: float) -> None:
    """Make the next socket read give up when the deadline is reached (urllib3 2's response)."""
    connection = getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.settimeout(max(0.01, remaining))


def _deadline_error(request: Any, limits: Limits) -> DeadlineExceededError:
    return DeadlineExceededError(
        f"{_host(request)} did not answer within {limits.total_seconds:g} s.",
    )


def _too_large(request: Any, limits: Limits) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"{_host(request)} answered with more than {limits.max_bytes:,} bytes.",
    )


def _host(request: Any) -> str:
    from urllib.parse import urlsplit

    url = str(getattr(request, "url", "") or "")
    return urlsplit(url).netloc or "the service"


def mount_bounded(session: requests.Session) -> requests.Session:
    """Mount a :class:`BoundedAdapter` for http and https on ``session``; returns it."""
    adapter = BoundedAdapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
