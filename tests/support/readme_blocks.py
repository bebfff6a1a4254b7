"""The README's fenced code blocks, and a stand-in for the person who reads and follows it.

``readme_blocks()`` returns every fenced block (language, code, line, the ``##`` section it is
in). ``Reader`` is what the README assumes of its reader: a directory with an
``amplify_outputs.json`` (here the sandbox's, with the README's example provider name ``corp``
beside ``sandbox``), the reader's bucket ``team-data`` (readable by signed-in users, like the
sandbox's own), ``import nbauth`` done, the values the prose says they have (``id_token`` and
``issuer`` from their IdP, a ``password``, a developer ``token`` and ``identity_id``), and a
person who approves any
device code shown and signs in at any sign-in link opened.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

import nbauth.api as api
from nbauth.sandbox.seed import role_policy
from tests.support.idp_client import IdpTestClient

README = Path(__file__).resolve().parents[2] / "README.md"
FENCE = re.compile(r"^```(\w*)\s*$")
USER_CODE = re.compile(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b")
READER_BUCKET = "team-data"


@dataclass(frozen=True)
class Block:
    """One fenced code block of the README."""

    language: str
    code: str
    line: int  # of the opening fence, 1-based
    section: str  # the ``##`` or ``###`` heading above it

    @property
    def where(self) -> str:
        return f"README.md:{self.line} ({self.section})"


def readme_blocks(path: Path = README) -> list[Block]:
    """Every fenced block of ``path`` in order; an unclosed fence is an error."""
    blocks: list[Block] = []
    section = "(top)"
    language: str | None = None
    start = 0
    body: list[str] = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        fence = FENCE.match(text)
        if language is None:
            if text.startswith(("## ", "### ")):
                section = text.lstrip("#").strip()
            elif fence:
                language, start, body = fence.group(1) or "text", number, []
        elif text.strip() == "```":
            blocks.append(Block(language, "\n".join(body) + "\n", start, section))
            language = None
        else:
            body.append(text)
    if language is not None:
        raise AssertionError(f"README.md:{start}: a code block is never closed")
    return blocks


class Reader:
    """The README's reader on the sandbox ``sb``, working in ``home``."""

    def __init__(self, sb: Any, home: Path) -> None:
        self.sb = sb
        self.home = home
        #: The running section's namespace: a sandbox a README block starts itself is in it.
        self.namespace: dict[str, Any] | None = None
        self._stop = threading.Event()
        self._handled: set[int] = set()
        self._thread: threading.Thread | None = None
        self.password = "Readme-Passw0rd!"
        sb.create_user("ada", self.password, {"email": "ada@example.com", "name": "Ada"})
        self._reader_bucket()

    # -- what the README assumes the reader has ------------------------------------------------

    def _reader_bucket(self) -> None:
        s3 = self.sb.client("s3")
        s3.create_bucket(Bucket=READER_BUCKET)
        s3.put_object(Bucket=READER_BUCKET, Key="public/report.csv", Body=b"a,b\n1,2\n")
        iam = self.sb.client("iam")
        role = self.sb.authenticated_role_arn.rsplit("/", 1)[1]
        iam.put_role_policy(
            RoleName=role,
            PolicyName="team-data",
            PolicyDocument=json.dumps(role_policy(READER_BUCKET, signed_in=True)),
        )

    def write_outputs(self) -> Path:
        """``./amplify_outputs.json``: the sandbox's, its IdP also named ``corp``."""
        config = self.sb.config
        providers = config["nbauth"]["oidc_providers"]
        providers["corp"] = {**providers["sandbox"], "display_name": "Example Corp"}
        path = self.home / "amplify_outputs.json"
        path.write_text(json.dumps(config, indent=2))
        return path

    def givens(self) -> dict[str, Any]:
        """The values the README's prose says its reader holds."""
        identity_id, developer_token = self.sb.developer_identity("readme-reader")
        import nbauth

        return {
            "nbauth": nbauth,  # the README's first block imports it
            "id_token": IdpTestClient(self.sb).tokens(username="ada")["id_token"],
            "issuer": self.sb.issuer,
            "password": self.password,
            "token": developer_token,
            "identity_id": identity_id,
            "sb": self.sb,
        }

    # -- the person at the browser --------------------------------------------------------------

    def __enter__(self) -> Reader:
        self._thread = threading.Thread(target=self._watch, name="readme-person", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _sandboxes(self) -> list[Any]:
        from nbauth.sandbox import Sandbox

        started = list((self.namespace or {}).values())
        return [self.sb, *(v for v in started if isinstance(v, Sandbox) and v is not self.sb)]

    def _watch(self) -> None:
        while not self._stop.wait(0.1):
            auth = api._default
            handle = auth.pending_sign_in if auth is not None else None
            if handle is None or id(handle) in self._handled:
                continue
            if getattr(handle, "status", "pending") != "pending":
                continue
            self._handled.add(id(handle))
            code = getattr(handle, "user_code", None)
            if code:
                self.approve(code)
            elif getattr(handle, "url", None):
                self.sign_in_at(handle.url)

    def approve(self, user_code: str) -> None:
        """Approve ``user_code`` at whichever sandbox issued it."""
        for sb in self._sandboxes():
            try:
                sb.approve_device_code(user_code)
                return
            except LookupError:
                continue

    def sign_in_at(self, url: str) -> None:
        """Sign in at ``url`` and let the browser follow the redirect to the loopback."""
        for sb in self._sandboxes():
            if url.startswith(sb.issuer):
                final = sb.sign_in_at(url)
                requests.get(final, timeout=10)
                return

    def approve_from_output(self, read: Callable[[], str], timeout: float = 30) -> str:
        """Wait until ``read()`` shows a user code, approve it, and return it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = USER_CODE.search(read())
            if match:
                self.approve(match.group(1))
                return match.group(1)
            time.sleep(0.1)
        raise AssertionError(f"no user code shown within {timeout} s:\n{read()}")
