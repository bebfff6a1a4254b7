"""RFC 8252 §7.3: a one-shot loopback listener that receives the authorization redirect.

It binds ``127.0.0.1`` (never all interfaces) on a random port (or the port of a registered
loopback redirect URI), answers exactly one request on its path with a small page, hands the
full redirect URL over, and closes — also when it times out or the sign-in is cancelled.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

__all__ = ["LoopbackListener"]

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>nbauth</title>
<style>body{{font-family:system-ui,sans-serif;display:grid;place-items:center;height:90vh;
color:#222;background:#fafafa}}main{{text-align:center}}h1{{font-size:1.4rem}}
@media (prefers-color-scheme:dark){{body{{color:#eee;background:#1e1e1e}}}}</style></head>
<body><main><h1>{title}</h1><p>{text}</p></main></body></html>"""


class LoopbackListener:
    """Serve one redirect on ``http://127.0.0.1:<port><path>``; see the module docstring."""

    def __init__(
        self,
        on_redirect: Callable[[str], None],
        *,
        path: str = "/callback",
        port: int = 0,
        timeout: float = 300.0,
        on_timeout: Callable[[], None] | None = None,
    ) -> None:
        self.path = path
        self._on_redirect = on_redirect
        self._on_timeout = on_timeout
        listener = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 2  # drop idle (speculative) browser connections; they'd block the callback

            def do_GET(self) -> None:
                listener._handle(self)

            def log_message(self, *args: object) -> None:  # the URL holds the code: never log
                return

        self._server = HTTPServer(("127.0.0.1", port), Handler)
        self.port = self._server.server_address[1]
        self.redirect_uri = f"http://127.0.0.1:{self.port}{path}"
        self._handled = threading.Event()
        self._closed = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, args=(timeout,), name="nbauth-loopback", daemon=True
        )
        self._thread.start()

    def _serve(self, timeout: float) -> None:
        self._server.timeout = 0.25
        import time

        deadline = time.monotonic() + timeout
        try:
            while not self._handled.is_set() and not self._closed.is_set():
                if time.monotonic() >= deadline:
                    if self._on_timeout is not None:
                        self._on_timeout()
                    break
                self._server.handle_request()
        finally:
            self._server.server_close()
            self._closed.set()

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        url = urlsplit(request.path)
        if url.path != self.path or self._handled.is_set():
            request.send_response(404)
            request.end_headers()
            return
        query = parse_qs(url.query)
        error = query.get("error", [None])[0]
        if error:
            title, text = "Sign-in failed", f"The identity provider said: {error}."
        else:
            title, text = "Signed in", "You can close this tab and return to your notebook."
        body = _PAGE.format(title=html.escape(title), text=html.escape(text)).encode()
        request.send_response(200)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        request.send_header("Cache-Control", "no-store")
        request.end_headers()
        request.wfile.write(body)
        self._handled.set()
        self._on_redirect(f"http://127.0.0.1:{self.port}{request.path}")

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self, timeout: float = 2.0) -> None:
        """Stop listening (idempotent)."""
        self._closed.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)
