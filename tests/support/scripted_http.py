"""A scripted HTTP/1.1 server on 127.0.0.1 for transport tests: each path answers with a
handler that may stall, drip, flood, truncate or redirect; requests are recorded."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

Handler = Callable[[socket.socket, bytes], None]


class ScriptedServer:
    """One handler per path; records the requests it received (method, path, body)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.routes: dict[str, Handler] = {}
        self.seen: list[tuple[str, str, bytes]] = []
        self.requests_headers: list[dict[str, str]] = []
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                conn.close()
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            body += conn.recv(65536)
        self.seen.append((method, path, body))
        self.requests_headers.append(headers)
        handler = self.routes.get(path.split("?")[0], json_answer({"ok": True}))
        try:
            handler(conn, body)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


def send_raw(conn: socket.socket, status: str, headers: dict[str, str], body: bytes) -> None:
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    conn.sendall(head.encode() + b"Connection: close\r\n\r\n" + body)


def json_answer(document: Any, status: str = "200 OK") -> Handler:
    def handle(conn: socket.socket, body: bytes) -> None:
        raw = json.dumps(document).encode()
        send_raw(
            conn, status, {"Content-Type": "application/json", "Content-Length": str(len(raw))}, raw
        )

    return handle


def stall(conn: socket.socket, body: bytes) -> None:
    time.sleep(10)


def drip(conn: socket.socket, body: bytes) -> None:
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n"
    )
    for _ in range(200):
        conn.sendall(b" ")
        time.sleep(0.3)


def flood_chunked(conn: socket.socket, body: bytes) -> None:
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b" " * 65536
    for _ in range(64 * 16):  # 64 MB, never announced
        conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))


def gzip_bomb(conn: socket.socket, body: bytes) -> None:
    raw = gzip.compress(b"[" + b" " * (8 * 1024 * 1024) + b"]")
    send_raw(
        conn,
        "200 OK",
        {
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
            "Content-Length": str(len(raw)),
        },
        raw,
    )


def truncated(conn: socket.socket, body: bytes) -> None:
    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{"access_token": ')


def redirect(target: str, status: str = "307 Temporary Redirect") -> Handler:
    def handle(conn: socket.socket, body: bytes) -> None:
        send_raw(conn, status, {"Location": target, "Content-Length": "0"}, b"")

    return handle


def drip_headers(conn: socket.socket, body: bytes) -> None:
    """The status line and headers one byte every 0.3 s (http.client reads them line by line)."""
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 200:
        conn.sendall(bytes([byte]))
        time.sleep(0.3)
