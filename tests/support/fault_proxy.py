"""A loopback HTTP fault proxy: put it between nbauth and a server, then break the wire on cue.

::

    with FaultProxy(sb.aws_endpoint_url) as proxy:          # reverse proxy to one upstream
        auth = nbauth.Auth(proxy.routed(sb.config))         # its endpoints through the proxy
        proxy.set("GetCredentialsForIdentity", Fault.stall())
        ...                                                 # nbauth's call stalls
        proxy.set("GetCredentialsForIdentity", Fault.pass_())
        proxy.count("GetCredentialsForIdentity")            # requests that matched

It is also a forward proxy: a request in absolute form (``GET http://127.0.0.1:5001/token``,
what ``requests`` sends to ``HTTP_PROXY``) goes to the loopback host it names. That is how the
sandbox IdP is put behind it: the IdP's issuer is its own ``http://127.0.0.1:<port>`` (the
tokens it signs carry it, discovery must echo it), so no URL can be rewritten; with
``HTTP_PROXY=<proxy.url>`` every IdP request (discovery, JWKS, device, token) passes through
the proxy while every URL stays the one the IdP issued.

Matchers are strings: ``"/token"`` (starts with ``/``) matches the URL path exactly (query
ignored); anything else matches the operation in ``X-Amz-Target`` — ``"GetId"`` matches
``AWSCognitoIdentityService.GetId``, a full target matches only itself. Every request is
counted under its path and, for AWS JSON calls, its operation.

Why not ``http.server``: half the modes are about *how* bytes leave (headers then a reset,
one byte at a time, a short body, 64 MB streamed), which ``BaseHTTPRequestHandler`` hides
behind buffered writers and its own keep-alive loop. Here the request is parsed by hand
(request line, headers, ``Content-Length`` body — all nbauth's clients send) and every response
carries ``Connection: close``: one request per connection, so a fault never leaks into the
next request on a kept-alive socket, and the upstream's answer is simply read to EOF.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

__all__ = ["MODES", "Fault", "FaultProxy"]

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_MAX_HEAD = 64 * 1024
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Fault:
    """What the proxy does with a matching request. Build with the class methods."""

    kind: str = "pass"
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    interval: float = 0.5  # slow drip: seconds between bytes
    size: int = 64 * 1024 * 1024  # oversized: bytes of body
    times: int | None = None  # then back to pass; None = until changed
    limit: float = 60.0  # drip: the proxy hangs up after this many seconds
    forward: bool = True  # reset/drip/truncated: mangle the upstream's answer, or a stand-in

    # -- the modes ------------------------------------------------------------------------
    @classmethod
    def pass_(cls) -> Fault:
        return cls("pass")

    @classmethod
    def refuse(cls) -> Fault:
        """Connection reset before any byte of a reply."""
        return cls("refuse")

    @classmethod
    def reset(cls) -> Fault:
        """The upstream's status line, headers and half its body, then a TCP reset."""
        return cls("reset")

    @classmethod
    def stall(cls) -> Fault:
        """Read the request, never answer (until the fault is changed or the proxy closes)."""
        return cls("stall")

    @classmethod
    def drip(cls, interval: float = 0.5, *, body_only: bool = False, limit: float = 60.0) -> Fault:
        """The upstream's answer, one byte every ``interval`` seconds (from the status line, or
        after headers sent at once with ``body_only``); the proxy hangs up after ``limit``
        seconds (a client without a total deadline would otherwise wait for minutes)."""
        return cls("drip_body" if body_only else "drip", interval=interval, limit=limit)

    @classmethod
    def http(cls, status: int, body: bytes | None = None, content_type: str = "") -> Fault:
        """An HTTP error page (429, 500, 503, ...)."""
        page = b"<html><body><h1>%d</h1></body></html>" % status
        return cls("http", status, page if body is None else body, content_type or "text/html")

    @classmethod
    def throttle(cls, code: str = "ThrottlingException") -> Fault:
        """AWS JSON throttling: HTTP 400 ``{"__type": code, "message": "Rate exceeded"}``."""
        body = json.dumps({"__type": code, "message": "Rate exceeded"}).encode()
        return cls("http", 400, body, "application/x-amz-json-1.1")

    @classmethod
    def truncated(cls) -> Fault:
        """The upstream's headers (``Content-Length`` of the whole body), half the body, close."""
        return cls("truncated")

    @classmethod
    def garbage(cls) -> Fault:
        """HTTP 200 with an HTML page where JSON belongs."""
        return cls("http", 200, b"<html><body>Welcome to nginx!</body></html>", "text/html")

    @classmethod
    def oversized(cls, size: int = 64 * 1024 * 1024) -> Fault:
        """HTTP 200 with ``size`` bytes of valid JSON, streamed."""
        return cls("oversized", size=size)

    def once(self, times: int = 1) -> Fault:
        """This fault for the next ``times`` matching requests, then pass."""
        return replace(self, times=times)

    def standalone(self) -> Fault:
        """Mangle a stand-in answer instead of the upstream's: the request never reaches the
        upstream (for calls that must not happen twice, e.g. a rotating refresh token)."""
        return replace(self, forward=False)


#: Name → fault, the columns of a fault matrix.
MODES: dict[str, Fault] = {
    "refuse": Fault.refuse(),
    "reset": Fault.reset(),
    "stall": Fault.stall(),
    "drip": Fault.drip(),
    "drip body": Fault.drip(body_only=True),
    "429": Fault.http(429),
    "500": Fault.http(500),
    "503": Fault.http(503),
    "throttle": Fault.throttle(),
    "truncated": Fault.truncated(),
    "garbage": Fault.garbage(),
    "oversized": Fault.oversized(),
}


class _Request:
    def __init__(
        self, method: str, target: str, version: str, headers: list[tuple[str, str]], body: bytes
    ) -> None:
        self.method, self.target, self.version = method, target, version
        self.headers, self.body = headers, body

    def header(self, name: str) -> str:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), "")

    @property
    def path(self) -> str:
        return urlsplit(self.target).path or "/"

    @property
    def operation(self) -> str:
        return self.header("X-Amz-Target")


class FaultProxy:
    """The proxy: 127.0.0.1, an ephemeral port, one daemon thread per connection."""

    def __init__(self, upstream: str | None = None, *, stall_limit: float = 120.0) -> None:
        self.upstream = urlsplit(upstream) if upstream else None
        self.stall_limit = stall_limit
        self._faults: dict[str, Fault] = {}
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._fired: Counter[str] = Counter()
        self._done: Counter[str] = Counter()
        self._durations: dict[str, float] = {}
        self._release = threading.Event()  # wakes stalled requests
        self._open: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._closed = False
        self._thread = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)
        self._thread.start()

    # -- control --------------------------------------------------------------------------

    def routed(self, config: dict[str, Any]) -> dict[str, Any]:
        """A sandbox's ``config`` with its AWS endpoints (identity pool, user pool, the
        clients of ``boto3_session()``) through this proxy."""
        config["auth"]["identity_pool_endpoint"] = self.url
        config["auth"]["user_pool_endpoint"] = self.url
        config["nbauth"]["aws_endpoint_url"] = self.url
        return config

    def set(self, match: str, fault: Fault) -> None:
        """Requests matching ``match`` get ``fault`` from now on (``Fault.pass_()`` clears)."""
        with self._lock:
            if fault.kind == "pass":
                self._faults.pop(match, None)
            else:
                self._faults[match] = fault
            self._fired[match] = 0
            self._done[match] = 0
            self._wake_stalled()

    def clear(self) -> None:
        """Every matcher back to pass; stalled requests are let go (their connections close)."""
        with self._lock:
            self._faults.clear()
            self._fired.clear()
            self._done.clear()
            self._wake_stalled()

    def count(self, match: str) -> int:
        """Requests seen whose path or operation ``match`` names (faulted or not)."""
        with self._lock:
            return sum(n for key, n in self._counts.items() if _matches(match, *key))

    def fired(self, match: str) -> int:
        """How many requests the fault set on ``match`` has hit since it was set."""
        with self._lock:
            return self._fired[match]

    def wait_fired(self, match: str, times: int = 1, timeout: float = 30.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.fired(match) >= times:
                return True
            time.sleep(0.02)
        return False

    def wait_done(self, match: str, times: int = 1, timeout: float = 30.0) -> bool:
        """Wait until ``times`` faulted requests on ``match`` have ended (answered or dropped)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                if self._done[match] >= times:
                    return True
            time.sleep(0.02)
        return False

    def last_duration(self, match: str) -> float | None:
        """Seconds the last faulted request on ``match`` held its connection (accept to close:
        for a stall or a drip, how long the client waited before giving up)."""
        with self._lock:
            return self._durations.get(match)

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()

    def close(self) -> None:
        self._closed = True
        self.clear()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            conns = list(self._open)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _wake_stalled(self) -> None:
        self._release.set()
        self._release = threading.Event()

    # -- serving --------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._open.add(conn)
            threading.Thread(
                target=self._serve, args=(conn,), daemon=True, name="fault-proxy-conn"
            ).start()

    def _serve(self, conn: socket.socket) -> None:
        started = time.monotonic()
        matched: str | None = None
        try:
            request = _read_request(conn)
            if request is None:
                return
            matched, fault, release = self._decide(request)
            self._answer(conn, request, fault, release)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()
            with self._lock:
                self._open.discard(conn)
                if matched is not None:
                    self._done[matched] += 1
                    self._durations[matched] = time.monotonic() - started

    def _decide(self, request: _Request) -> tuple[str | None, Fault, threading.Event]:
        with self._lock:
            self._counts[(request.path, request.operation)] += 1
            for match, fault in self._faults.items():
                if _matches(match, request.path, request.operation):
                    self._fired[match] += 1
                    if fault.times is not None and self._fired[match] >= fault.times:
                        del self._faults[match]
                    return match, fault, self._release
            return None, Fault.pass_(), self._release

    def _answer(
        self, conn: socket.socket, request: _Request, fault: Fault, release: threading.Event
    ) -> None:
        kind = fault.kind
        if kind == "refuse":
            _rst(conn)
        elif kind == "stall":
            _stall(conn, release, self.stall_limit)
        elif kind == "http":
            conn.sendall(_head(fault.status, fault.content_type, len(fault.body)) + fault.body)
        elif kind == "oversized":
            _send_oversized(conn, fault.size)
        else:
            response = self._forward(request) if fault.forward else _STAND_IN
            if kind == "pass":
                conn.sendall(response)
                return
            head, _, body = response.partition(b"\r\n\r\n")
            if kind in ("drip", "drip_body"):
                start = 0
                if kind == "drip_body":
                    start = len(head) + 4
                    conn.sendall(response[:start])
                give_up = time.monotonic() + fault.limit
                for i in range(start, len(response)):
                    if time.monotonic() > give_up:
                        return
                    conn.sendall(response[i : i + 1])
                    if release.wait(fault.interval):
                        conn.sendall(response[i + 1 :])
                        return
            elif kind == "reset":
                conn.sendall(head + b"\r\n\r\n" + body[: max(1, len(body) // 2)])
                time.sleep(0.05)
                _rst(conn)
            elif kind == "truncated":
                conn.sendall(head + b"\r\n\r\n" + body[: len(body) // 2])
                conn.shutdown(socket.SHUT_WR)

    def _forward(self, request: _Request) -> bytes:
        """Send the request upstream (``Connection: close``) and read the answer to EOF."""
        parts = urlsplit(request.target)
        if parts.scheme and parts.port == self.port and parts.hostname in _LOOPBACK:
            parts = urlsplit(parts.path + (f"?{parts.query}" if parts.query else ""))
            request.target = parts.geturl() or "/"  # sent to this proxy by name: one hop
        if parts.scheme:  # absolute form: a forward-proxy request
            host, port = parts.hostname or "", parts.port or 80
            if host not in _LOOPBACK:
                return _head(502, "text/plain", 0)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
        elif self.upstream is not None:
            host, port = self.upstream.hostname or "", self.upstream.port or 80
            target = request.target
        else:
            return _head(502, "text/plain", 0)
        lines = [f"{request.method} {target or '/'} HTTP/1.1"]
        for name, value in request.headers:
            if name.lower() not in ("connection", "proxy-connection", "keep-alive"):
                lines.append(f"{name}: {value}")
        lines.append("Connection: close")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + request.body
        with socket.create_connection((host, port), timeout=60) as up:
            up.sendall(data)
            chunks = []
            while chunk := up.recv(_CHUNK):
                chunks.append(chunk)
        return _force_close(b"".join(chunks))


_STAND_IN_BODY = json.dumps({"note": "a stand-in answer from the fault proxy", "pad": "x" * 200})
_STAND_IN = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
    % (len(_STAND_IN_BODY), _STAND_IN_BODY.encode())
)


def _stall(conn: socket.socket, release: threading.Event, limit: float) -> None:
    """Hold the connection without a word until released, the limit, or the client hangs up."""
    end = time.monotonic() + limit
    while time.monotonic() < end and not release.is_set():
        readable, _, _ = select.select([conn], [], [], 0.05)
        if readable and not conn.recv(_CHUNK):
            return  # the client gave up


def _matches(match: str, path: str, operation: str) -> bool:
    if match.startswith("/"):
        return path == match
    return bool(operation) and (operation == match or operation.endswith("." + match))


def _read_request(conn: socket.socket) -> _Request | None:
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(_CHUNK)
        if not chunk:
            return None
        buf += chunk
        if len(buf) > _MAX_HEAD:
            return None
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ", 2)
    headers = [tuple(x.strip() for x in line.split(":", 1)) for line in lines[1:] if ":" in line]
    request = _Request(method, target, version, headers, b"")  # type: ignore[arg-type]
    length = int(request.header("Content-Length") or 0)
    while len(body) < length:
        chunk = conn.recv(_CHUNK)
        if not chunk:
            break
        body += chunk
    request.body = body[:length]
    return request


def _head(status: int, content_type: str, length: int) -> bytes:
    return (
        f"HTTP/1.1 {status} Fault\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ).encode()


def _force_close(response: bytes) -> bytes:
    """The upstream answered ``Connection: close`` already (asked to); make sure it says so."""
    head, sep, body = response.partition(b"\r\n\r\n")
    lines = [ln for ln in head.split(b"\r\n") if not ln.lower().startswith(b"connection:")]
    return b"\r\n".join([*lines, b"Connection: close"]) + sep + body


def _rst(conn: socket.socket) -> None:
    """Close with a TCP reset (SO_LINGER on, timeout 0)."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def _send_oversized(conn: socket.socket, size: int) -> None:
    """``{"padding": "aaa…"}`` of exactly ``size`` bytes, streamed in 64 KiB writes."""
    prefix, suffix = b'{"padding": "', b'"}'
    conn.sendall(_head(200, "application/json", size) + prefix)
    left = size - len(prefix) - len(suffix)
    block = b"a" * _CHUNK
    while left > 0:
        n = min(left, _CHUNK)
        conn.sendall(block[:n])
        left -= n
    conn.sendall(suffix)
