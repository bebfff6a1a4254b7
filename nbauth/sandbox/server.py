"""A WSGI app served on 127.0.0.1 from daemon threads, quietly.

werkzeug's threaded server, with three changes for an embedded test server:
request logging is off (no request lines, which could carry presigned query
strings, in anyone's logs), every thread is a daemon named ``nbauth-sandbox-*``
(``nbauth-sandbox-<name>-<port>*`` when the server has a name, e.g. ``idp``),
and ``stop()`` also closes kept-alive client connections, so a client that
pooled a connection sees the server gone instead of talking to a stopped one.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

__all__ = ["LocalServer"]

_logger = logging.getLogger("nbauth.sandbox")
_HOST = "127.0.0.1"


class _QuietHandler(WSGIRequestHandler):
    """werkzeug's handler without per-request log lines."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Request lines are not logged."""

    def log_message(self, format: str, *args: Any) -> None:
        """Informational messages are not logged."""

    def log_error(self, format: str, *args: Any) -> None:
        _logger.debug("sandbox connection: " + format, *args)


class _Server(ThreadedWSGIServer):
    """Threaded WSGI server that tracks its connections and names its threads."""

    block_on_close = False  # stop() must not wait for idle keep-alive connections
    daemon_threads = True

    def __init__(self, *args: Any, thread_prefix: str, **kwargs: Any) -> None:
        self._thread_prefix = thread_prefix
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def log(self, type: str, message: str, *args: Any) -> None:
        level = logging.ERROR if type == "error" else logging.DEBUG
        _logger.log(level, message, *args)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        threading.current_thread().name = f"{self._thread_prefix}-conn"
        super().process_request_thread(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Shut every open client connection so its handler thread ends."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class LocalServer:
    """Serve ``app`` on ``http://127.0.0.1:<port>`` from a daemon thread.

    ``port=0`` picks a free port. Binding errors raise ``OSError`` (werkzeug's
    own bind path would call ``sys.exit``). ``name`` goes into the thread names:
    ``nbauth-sandbox-<name>-<port>``.
    """

    def __init__(self, app: Any, port: int = 0, *, name: str = "") -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((_HOST, port))
            listener.listen(128)
            bound_port = listener.getsockname()[1]
            prefix = (
                f"nbauth-sandbox-{name}-{bound_port}" if name else f"nbauth-sandbox-{bound_port}"
            )
            self._server = _Server(
                _HOST,
                bound_port,
                app,
                handler=_QuietHandler,
                fd=listener.fileno(),
                thread_prefix=prefix,
            )
        finally:
            listener.close()  # the server holds its own duplicate of the socket
        self.port: int = bound_port
        self.url = f"http://{_HOST}:{bound_port}"
        self._stopped = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=prefix,
            daemon=True,
        )
        self._thread.start()

    @property
    def running(self) -> bool:
        """True until ``stop()``."""
        return not self._stopped

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, close the port and all client connections; idempotent."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        self._thread.join(timeout)
