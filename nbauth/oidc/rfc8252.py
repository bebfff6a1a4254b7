"""RFC 8252 §7.3: the loopback redirect receiver of a native app.

:class:`LoopbackReceiver` binds ``127.0.0.1`` (never all interfaces) on a random port (or the
port of a registered loopback redirect URI) as soon as it is made, so that its redirect URI is
known before the authorization URL is built. Once started it checks every request on its path
for the sign-in's ``state`` first (DESIGN invariant 11): one without it (any local process can
reach the port) gets an HTTP 400 page and the listener keeps waiting. The one that carries it is
handed over (the code exchange runs in a thread of its own), its page tells how the sign-in
ended (or that it is still finishing), and the listener closes — also when it times out or the
sign-in ends otherwise. It implements
:class:`~nbauth.oidc.redirect_receivers.RedirectReceiver` for ``mode="loopback"``.

Example::

    receiver = loopback_receiver(redirect_uri=None, registered_uris=(), timeout=300)
    receiver.redirect_uri  # 'http://127.0.0.1:53117/callback'
    receiver.start(state, deliver=finish, on_timeout=handle.time_out)
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlsplit

from ..errors import InvalidParameterError
from .redirect_state import WRONG_STATE_MESSAGE, state_matches

__all__ = ["LoopbackReceiver", "first_loopback_uri", "loopback_receiver", "loopback_target"]

_HOSTS = ("127.0.0.1", "localhost")

#: How long the redirect's page waits for the code exchange before saying "still finishing".
OUTCOME_WAIT_SECONDS = 15.0

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>nbauth</title>
<style>body{{font-family:system-ui,sans-serif;display:grid;place-items:center;height:90vh;
color:#222;background:#fafafa}}main{{text-align:center}}h1{{font-size:1.4rem}}
@media (prefers-color-scheme:dark){{body{{color:#eee;background:#1e1e1e}}}}</style></head>
<body><main><h1>{title}</h1><p>{text}</p></main></body></html>"""


class LoopbackReceiver:
    """Serve one redirect on ``http://127.0.0.1:<port><path>``; see the module docstring."""

    def __init__(self, *, path: str = "/callback", port: int = 0, timeout: float = 300.0) -> None:
        self.path = path
        self.timeout = timeout
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 2  # drop idle (speculative) browser connections; they'd block the callback

            def do_GET(self) -> None:
                receiver.respond(self)

            def log_message(self, format: str, *args: object) -> None:
                return  # the URL holds the code: never log it

        self._server = HTTPServer(("127.0.0.1", port), Handler)
        self.port: int = self._server.server_address[1]
        self.redirect_uri = f"http://127.0.0.1:{self.port}{path}"
        self._deliver: Callable[[str], None] | None = None
        self._on_timeout: Callable[[str], None] | None = None
        self._state: str | None = None
        self._outcome: tuple[str, str] | None = None
        self._reported = threading.Event()
        self._handled = threading.Event()
        self._closed = threading.Event()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) the socket is bound to."""
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(
        self, state: str, deliver: Callable[[str], None], on_timeout: Callable[[str], None]
    ) -> None:
        """Serve until the redirect carrying ``state`` arrived (``deliver(url)``), the time-out,
        or :meth:`close`. Requests without ``state`` get a 400 page and change nothing."""
        with self._start_lock:
            if self._thread is not None or self._closed.is_set():
                return
            self._deliver, self._on_timeout, self._state = deliver, on_timeout, state
            self._thread = threading.Thread(target=self._serve, name="nbauth-loopback", daemon=True)
            self._thread.start()

    def _serve(self) -> None:
        self._server.timeout = 0.25
        deadline = time.monotonic() + self.timeout
        try:
            while not self._handled.is_set() and not self._closed.is_set():
                if time.monotonic() >= deadline:
                    if self._on_timeout is not None:
                        self._on_timeout(
                            f"No redirect reached the loopback listener within "
                            f"{self.timeout:.0f} s."
                        )
                    break
                self._server.handle_request()
        finally:
            self._server.server_close()
            self._closed.set()

    def respond(self, request: BaseHTTPRequestHandler) -> None:
        """Answer one GET: 404 off our path, 400 without this sign-in's ``state`` (the sign-in
        keeps waiting), else hand the redirect over and show how the sign-in ended."""
        url = urlsplit(request.path)
        if url.path != self.path or self._handled.is_set():
            request.send_response(404)
            request.end_headers()
            return
        state = self._state
        if state is None or not state_matches(request.path, state):
            _send_page(request, 400, "Not this sign-in's redirect", WRONG_STATE_MESSAGE)
            return
        self._handled.set()  # the state matches: this is the redirect we wait for
        deliver = self._deliver
        if deliver is not None:
            # The code exchange runs apart; its outcome comes back through report().
            threading.Thread(
                target=deliver,
                args=(f"http://127.0.0.1:{self.port}{request.path}",),
                daemon=True,
                name="nbauth-redirect",
            ).start()
        self._reported.wait(OUTCOME_WAIT_SECONDS)
        status, message = self._outcome or ("pending", "")
        if status == "signed_in":
            title, text = "Signed in", "You can close this tab and return to your notebook."
        elif status == "pending":
            title, text = "Sign-in received", "Your notebook is finishing the sign-in."
        else:
            title, text = "Sign-in failed", message or f"The sign-in ended: {status}."
        _send_page(request, 200, title, text)

    def report(self, status: str, message: str) -> None:
        """The sign-in ended: the waiting page shows it (no secret in it); stop listening."""
        self._outcome = (status, message)
        self._reported.set()
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self, timeout: float = 2.0) -> None:
        """Stop listening and free the port (idempotent)."""
        with self._start_lock:
            self._closed.set()
            self._reported.set()  # a page still waiting answers now
            thread = self._thread
            if thread is None:
                self._server.server_close()  # never started: nobody else will close it
                return
        if thread is not threading.current_thread():
            thread.join(timeout)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the listener to stop; whether it has (port freed)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                return False
        return self._closed.is_set()


def _send_page(request: BaseHTTPRequestHandler, status: int, title: str, text: str) -> None:
    body = _PAGE.format(title=html.escape(title), text=html.escape(text)).encode()
    request.send_response(status)
    request.send_header("Content-Type", "text/html; charset=utf-8")
    request.send_header("Content-Length", str(len(body)))
    request.send_header("Cache-Control", "no-store")
    request.send_header("Referrer-Policy", "no-referrer")  # the URL holds the code
    request.end_headers()
    request.wfile.write(body)


def first_loopback_uri(uris: tuple[str, ...]) -> str | None:
    """The first registered redirect URI on the loopback interface, if any."""
    for uri in uris:
        if urlsplit(uri).hostname in _HOSTS:
            return uri
    return None


def loopback_target(uri: str | None) -> tuple[int, str]:
    """The port (0: any) and path to listen on for a loopback redirect URI (RFC 8252 §7.3)."""
    if not uri:
        return 0, "/callback"
    parts = urlsplit(uri)
    if parts.hostname not in _HOSTS or parts.scheme != "http":
        raise InvalidParameterError(
            f"A loopback redirect URI must be http://127.0.0.1:<port>/<path>, got {uri!r}.",
        )
    return parts.port or 0, parts.path or "/callback"


def loopback_receiver(
    *, redirect_uri: str | None, registered_uris: tuple[str, ...], timeout: float
) -> LoopbackReceiver:
    """``mode="loopback"``: listen where ``redirect_uri`` (or a registered loopback URI) says."""
    port, path = loopback_target(redirect_uri or first_loopback_uri(registered_uris))
    return LoopbackReceiver(path=path, port=port, timeout=timeout)
