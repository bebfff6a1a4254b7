"""Run code in a kernel of a single-user server through Jupyter's REST + websocket API.

The test drives the kernel as JupyterLab does (``POST /api/kernels``, then execute requests on
``/api/kernels/<id>/channels``), without a browser tab: what is under test is the token path
hub → server → kernel, not JupyterLab's UI (the browser does the one thing only a person
does — signing in to the hub). ``websocket-client`` comes with jupyter_server.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import websocket


@dataclass
class Executed:
    """What a cell printed and showed, and its error (``ename: evalue``) if any."""

    stdout: str = ""
    shown: list[str] = field(default_factory=list)  # text/plain of display_data
    error: str | None = None

    @property
    def text(self) -> str:
        return self.stdout + "\n".join(self.shown)

    def value(self, label: str) -> str:
        """The rest of the printed line that starts with ``label``."""
        for line in self.stdout.splitlines():
            if line.startswith(label + " "):
                return line[len(label) + 1 :]
        raise AssertionError(f"no {label!r} line in:\n{self.text}\n{self.error or ''}")


class KernelClient:
    def __init__(self, ws_url: str, token: str) -> None:
        self._ws = websocket.create_connection(
            ws_url, header=[f"Authorization: token {token}"], timeout=120
        )
        self._session = uuid.uuid4().hex

    def execute(self, code: str, timeout: float = 120.0) -> Executed:
        msg_id = uuid.uuid4().hex
        self._ws.send(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "username": "test",
                        "session": self._session,
                        "msg_type": "execute_request",
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": {"code": code, "silent": False, "store_history": True},
                    "channel": "shell",
                    "buffers": [],
                }
            )
        )
        result = Executed()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message: dict[str, Any] = json.loads(self._ws.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                result.stdout += content["text"]
            elif kind in ("display_data", "execute_result"):
                result.shown.append(content["data"].get("text/plain", ""))
            elif kind == "error":
                result.error = f"{content['ename']}: {content['evalue']}"
            elif kind == "status" and content["execution_state"] == "idle":
                return result
        raise TimeoutError(f"the cell did not finish in {timeout:.0f} s: {code[:80]!r}")

    def close(self) -> None:
        self._ws.close()
