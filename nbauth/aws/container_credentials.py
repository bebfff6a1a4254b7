"""A loopback container-credentials endpoint: the kernel's session for its subprocesses.

AWS SDKs read credentials from an HTTP endpoint named by ``AWS_CONTAINER_CREDENTIALS_FULL_URI``
(the ECS/EKS convention), sending ``AWS_CONTAINER_AUTHORIZATION_TOKEN`` as the ``Authorization``
header, and refresh by themselves before the ``Expiration`` they were given. Serving nbauth's
live credentials there makes ``!aws s3 ls``, pyarrow, polars or any SDK in a child process of
the kernel use — and keep using — the notebook's sign-in::

    endpoint = serve_credentials(auth)
    subprocess.run(["aws", "s3", "ls"], env={**os.environ, **endpoint.env()})

The server listens on 127.0.0.1 only, on a random port, and answers a ``GET`` of its path
with the right token (compared in constant time) with::

    {"AccessKeyId": "...", "SecretAccessKey": "...", "Token": "...",
     "Expiration": "2026-01-01T00:00:00Z"}

Anything else is refused: no token → 401, a wrong token → 403, another path → 404. If nbauth
cannot produce credentials the answer is a 500 with a short JSON message and no secret, which
SDKs treat as retryable. Requests are not logged. Any local process that knows the token can
read the credentials: the token lives only in the environment of the kernel's children.

Note: once these variables are in ``os.environ``, botocore in the kernel itself also finds them
(after explicit keys and environment keys, before shared files and instance metadata), so a
plain ``boto3.client("s3")`` signs with the same credentials, fetched over loopback.
"""

from __future__ import annotations

import datetime as _dt
import hmac
import json
import logging
import os
import secrets
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from ..core.values import AWSCredentials

__all__ = [
    "AUTHORIZATION_TOKEN_VAR",
    "FULL_URI_VAR",
    "HasCurrentCredentials",
    "LocalCredentialsEndpoint",
    "export_credentials_endpoint",
    "exported_credentials_endpoint",
    "serve_credentials",
    "stop_exported_credentials_endpoint",
]

log = logging.getLogger("nbauth.credentials")

FULL_URI_VAR = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
AUTHORIZATION_TOKEN_VAR = "AWS_CONTAINER_AUTHORIZATION_TOKEN"


#: Served for credentials without an expiry, so that SDKs come back for them soon.
UNKNOWN_EXPIRY_SECONDS = 300


class HasCurrentCredentials(Protocol):
    """What :func:`serve_credentials` needs of an :class:`~nbauth.Auth`."""

    def current_credentials(self) -> AWSCredentials: ...


def _iso_z(expiration: _dt.datetime | None) -> str:
    if expiration is None:
        now = _dt.datetime.now(_dt.timezone.utc)
        expiration = now + _dt.timedelta(seconds=UNKNOWN_EXPIRY_SECONDS)
    return expiration.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    endpoint: LocalCredentialsEndpoint


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "nbauth"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # no request logging
        return

    def _answer(self, status: int, body: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # http.server's naming
        status, body = self.server.endpoint.answer(self.path, self.headers.get("Authorization"))
        self._answer(status, body)

    def _refuse(self) -> None:
        self._answer(405, {"message": "Only GET is supported."})

    do_POST = do_PUT = do_DELETE = do_PATCH = _refuse


class LocalCredentialsEndpoint:
    """Serves ``source()`` as container credentials on ``http://127.0.0.1:<port>/<path>``.

    ``start()`` binds and serves from a daemon thread; ``stop()`` closes the socket. ``env()``
    gives the two environment variables an SDK needs; the token is random (32 bytes) per
    endpoint and never appears in a repr.
    """

    def __init__(self, source: Callable[[], AWSCredentials], *, host: str = "127.0.0.1") -> None:
        self._source = source
        self._host = host
        self._token = secrets.token_urlsafe(32)
        self._path = "/nbauth/credentials"
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> LocalCredentialsEndpoint:
        """Start serving (idempotent); returns ``self``."""
        with self._lock:
            if self._server is not None:
                return self
            server = _Server((self._host, 0), _Handler)
            server.endpoint = self
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.2},
                name="nbauth-credentials-endpoint",
                daemon=True,
            )
            thread.start()
            self._server, self._thread = server, thread
        log.info("Serving credentials on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving (idempotent)."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    @property
    def running(self) -> bool:
        return self._server is not None

    def __enter__(self) -> LocalCredentialsEndpoint:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- what clients need -------------------------------------------------------------------

    @property
    def port(self) -> int:
        server = self._server
        if server is None:
            raise RuntimeError("The credentials endpoint is not running; call start().")
        return int(server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}{self._path}"

    @property
    def token(self) -> str:
        """The value clients send as ``Authorization`` (a secret)."""
        return self._token

    def env(self) -> dict[str, str]:
        """``AWS_CONTAINER_CREDENTIALS_FULL_URI`` and ``AWS_CONTAINER_AUTHORIZATION_TOKEN``."""
        return {FULL_URI_VAR: self.url, AUTHORIZATION_TOKEN_VAR: self._token}

    # -- the answer --------------------------------------------------------------------------

    def answer(self, path: str, authorization: str | None) -> tuple[int, dict[str, str]]:
        """Status and JSON body for a ``GET`` of ``path`` with that ``Authorization`` header."""
        if path.split("?", 1)[0] != self._path:
            return 404, {"message": "Not found."}
        if not authorization:
            return 401, {"message": "An Authorization header is required."}
        if not hmac.compare_digest(authorization.encode(), self._token.encode()):
            return 403, {"message": "The authorization token is not valid."}
        try:
            credentials = self._source()
        except Exception as exc:  # the SDK retries a 500; no detail that could carry a secret
            kind = type(exc).__name__
            log.warning("The credentials endpoint could not get credentials (%s)", kind)
            return 500, {"message": f"nbauth has no credentials to serve ({kind})."}
        return 200, {
            "AccessKeyId": credentials.access_key_id,
            "SecretAccessKey": credentials.secret_access_key,
            "Token": credentials.session_token or "",
            "Expiration": _iso_z(credentials.expiration),
        }

    def __repr__(self) -> str:
        where = f"{self._host}:{self.port}" if self.running else "stopped"
        return f"LocalCredentialsEndpoint({where})"


def serve_credentials(auth: HasCurrentCredentials) -> LocalCredentialsEndpoint:
    """Start a :class:`LocalCredentialsEndpoint` serving ``auth``'s live credentials."""
    return LocalCredentialsEndpoint(auth.current_credentials).start()


# -- one endpoint exported to the process environment (the kernel's children) -----------------

_exported_lock = threading.Lock()
#: The exported endpoint, the variables it set and what they held before.
_exported: tuple[LocalCredentialsEndpoint, dict[str, str], dict[str, str | None]] | None = None
ENDPOINT_URL_VAR = "AWS_ENDPOINT_URL"


def export_credentials_endpoint(
    auth: HasCurrentCredentials, *, aws_endpoint_url: str | None = None
) -> LocalCredentialsEndpoint:
    """Serve ``auth``'s credentials and set the two variables in ``os.environ``, so every child
    process started from now on (``!aws …``, ``subprocess``, pyarrow) uses them. Replaces an
    endpoint exported earlier. botocore in this process finds them too (see the module note).

    ``aws_endpoint_url`` (the configuration's ``nbauth.aws_endpoint_url``, e.g. the sandbox's)
    is exported as ``AWS_ENDPOINT_URL`` too, so the children talk to the same AWS as the kernel.
    """
    global _exported
    endpoint = serve_credentials(auth)
    variables = endpoint.env()
    if aws_endpoint_url:
        variables[ENDPOINT_URL_VAR] = aws_endpoint_url
    with _exported_lock:
        previous, _exported = _exported, None
    saved = _unexport(previous) if previous is not None else {}
    with _exported_lock:
        for name in variables:
            if name not in saved:
                saved[name] = os.environ.get(name)
        os.environ.update(variables)
        _exported = (endpoint, variables, saved)
    return endpoint


def exported_credentials_endpoint() -> LocalCredentialsEndpoint | None:
    """The endpoint :func:`export_credentials_endpoint` exported, if it still runs."""
    exported = _exported
    return exported[0] if exported is not None else None


def stop_exported_credentials_endpoint() -> bool:
    """Stop the exported endpoint and restore the variables; whether one was running."""
    global _exported
    with _exported_lock:
        exported, _exported = _exported, None
    if exported is None:
        return False
    _unexport(exported)
    return True


def _unexport(
    exported: tuple[LocalCredentialsEndpoint, dict[str, str], dict[str, str | None]],
) -> dict[str, str | None]:
    """Put back what the variables held before (unless changed since); what was saved."""
    endpoint, variables, saved = exported
    for name, value in variables.items():
        if os.environ.get(name) != value:
            continue  # changed since: not ours any more
        before = saved.get(name)
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before
    endpoint.stop()
    return saved
