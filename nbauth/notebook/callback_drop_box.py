"""The private drop box where the Jupyter server hands an authorization redirect to a kernel.

Used by both sides of ``mode="jupyter"`` (see :mod:`nbauth.notebook.jupyter_receiver`): the
server extension (:mod:`nbauth.notebook.server_extension`) delivers the redirect and reads the
outcome, the kernel's receiver waits for the redirect and reports the outcome. The box is a
directory both can read, named by the extension in ``$NBAUTH_JUPYTER_CALLBACK_DIR`` (which every
kernel the server starts inherits; by default ``<jupyter runtime dir>/nbauth-callbacks``, 0700).
For a sign-in whose ``state`` is *s*, with ``k = sha256(s)``:

* ``k.pending`` — the kernel is waiting (written by the kernel when the sign-in starts);
* ``k.callback`` — the full redirect URL, written atomically (0600) by the server's handler, only
  if ``k.pending`` exists; the kernel polls for it off-thread and deletes it;
* ``k.outcome`` — how the code exchange ended (a status and a message, never a secret), written
  by the kernel so the handler's page can say "Signed in" or what went wrong.

Besides, ``server.json`` holds the server's browser-facing address as its own settings give it
(written once by the extension when the server starts: ``$NBAUTH_JUPYTER_URL``,
``ServerApp.custom_display_url``, or the server's ip, port and base URL). It is never taken from
a request: a ``Host`` header is chosen by whoever sends the request, and a redirect URI built from
it would send the next sign-in's code to them (DESIGN invariant 11). Earlier versions noted the
``Host`` of page requests in ``browser.json``; that file is removed, never read.

Only a holder of the state can name the files, the state check in the kernel still applies, and
the code in ``k.callback`` is useless without the PKCE verifier, which never leaves the kernel.

Imports stay light (standard library; ``jupyter_core`` only to find the runtime directory).

Example::

    box = CallbackDropBox(directory)
    box.expect(state)                  # kernel
    box.deliver(state, redirect_url)   # server: "delivered" | "duplicate" | "unknown"
    box.take(state)                    # kernel: the URL, once
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from ..errors import InvalidParameterError

__all__ = [
    "CALLBACK_DIR_ENV",
    "CALLBACK_PATH",
    "SERVER_FILE",
    "STALE_SECONDS",
    "CallbackDropBox",
    "default_callback_dir",
    "read_json",
]

#: Relative to the Jupyter server's base URL.
CALLBACK_PATH = "nbauth/callback"
#: Set by the server extension in the server's environment; kernels inherit it.
CALLBACK_DIR_ENV = "NBAUTH_JUPYTER_CALLBACK_DIR"
#: In the drop box: the server's browser-facing address, from its own settings.
SERVER_FILE = "server.json"
#: Written by earlier versions from request headers: removed, never read.
_LEGACY_BROWSER_FILE = "browser.json"
#: Files older than this are left-overs (a closed tab, a killed kernel) and are removed.
STALE_SECONDS = 3600.0


def default_callback_dir() -> Path:
    """``<jupyter runtime dir>/nbauth-callbacks`` (the runtime dir honours $JUPYTER_RUNTIME_DIR)."""
    try:
        from jupyter_core.paths import jupyter_runtime_dir
    except ImportError as exc:  # pragma: no cover - jupyter_core ships with every kernel
        raise InvalidParameterError(
            "mode='jupyter' runs inside Jupyter; jupyter_core is not installed here.",
            "Use mode='loopback' on your own machine or mode='paste' elsewhere.",
        ) from exc
    return Path(jupyter_runtime_dir()) / "nbauth-callbacks"


def _key(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def _write_atomic(path: Path, data: dict[str, Any]) -> None:
    """Temp file + fsync + rename, 0600 (invariant 3)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w") as f:
            os.fchmod(f.fileno(), 0o600)
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


class CallbackDropBox:
    """The directory shared by the server extension and the kernels (see the module docstring)."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_callback_dir()

    def _path(self, state: str, kind: str) -> Path:
        return self.directory / f"{_key(state)}.{kind}"

    # -- kernel side ---------------------------------------------------------------------------

    def expect(self, state: str) -> None:
        """Announce that this kernel waits for the redirect carrying ``state``."""
        _private_dir(self.directory)
        _write_atomic(self._path(state, "pending"), {"pid": os.getpid(), "since": time.time()})

    def take(self, state: str) -> str | None:
        """The redirect URL for ``state``, once (the file is deleted), or None."""
        path = self._path(state, "callback")
        record = read_json(path)
        if record is None:
            return None
        _unlink(path)
        url = record.get("url")
        return url if isinstance(url, str) else None

    def report(self, state: str, status: str, message: str) -> None:
        """Tell the waiting handler how the sign-in ended (no secret: status and message)."""
        with contextlib.suppress(OSError):
            _write_atomic(self._path(state, "outcome"), {"status": status, "message": message})

    def forget(self, state: str) -> None:
        """The kernel no longer waits (done, timed out, cancelled)."""
        _unlink(self._path(state, "pending"))
        _unlink(self._path(state, "callback"))

    # -- server side ---------------------------------------------------------------------------

    def deliver(self, state: str, url: str) -> str:
        """Hand ``url`` to the kernel waiting for ``state``.

        Returns ``"delivered"``, ``"duplicate"`` (already delivered or finished) or
        ``"unknown"`` (no kernel waits for it: finished long ago, cancelled, or forged).
        """
        pending = self._path(state, "pending")
        if self._path(state, "callback").exists() or self._path(state, "outcome").exists():
            return "duplicate"
        if not pending.exists():
            return "unknown"
        _write_atomic(self._path(state, "callback"), {"url": url, "since": time.time()})
        return "delivered"

    def outcome(self, state: str) -> dict[str, Any] | None:
        """The kernel's report for ``state`` (deleted once read), or None yet."""
        path = self._path(state, "outcome")
        record = read_json(path)
        if record is not None:
            _unlink(path)
        return record

    def sweep(self, older_than: float = STALE_SECONDS) -> None:
        """Remove files left behind by closed tabs or killed kernels."""
        cutoff = time.time() - older_than
        with contextlib.suppress(OSError):
            for entry in self.directory.iterdir():
                if entry.name == SERVER_FILE:
                    continue
                with contextlib.suppress(OSError):
                    if entry.stat().st_mtime < cutoff:
                        entry.unlink()

    def note_server_url(self, url: str | None) -> None:
        """Server side: record the server's browser-facing address (origin + base URL) from its
        own settings, or remove the record (``None``: the settings do not tell)."""
        with contextlib.suppress(OSError):
            _private_dir(self.directory)
            _unlink(self.directory / _LEGACY_BROWSER_FILE)
            if url is None:
                _unlink(self.directory / SERVER_FILE)
            else:
                _write_atomic(self.directory / SERVER_FILE, {"url": url})

    def server_url(self) -> str | None:
        """Kernel side: the server's browser-facing address its extension recorded, if any."""
        record = read_json(self.directory / SERVER_FILE)
        url = record.get("url") if record else None
        return url if isinstance(url, str) else None
