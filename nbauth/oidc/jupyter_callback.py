"""The ``jupyter`` redirect mode: the authorization redirect lands on the Jupyter server.

On JupyterHub or Binder the kernel's 127.0.0.1 is not the browser's, so a loopback listener
cannot receive the redirect. Instead the redirect URI is the browser-facing Jupyter URL plus
``nbauth/callback``, served by the nbauth server extension
(:mod:`nbauth.notebook.server_extension`), and the two processes meet in a private drop box: a
directory both can read, named by the extension in ``$NBAUTH_JUPYTER_CALLBACK_DIR`` (which every
kernel the server starts inherits; by default ``<jupyter runtime dir>/nbauth-callbacks``, 0700).
For a sign-in whose ``state`` is *s*, with ``k = sha256(s)``:

* ``k.pending`` — the kernel is waiting (written by the kernel when the sign-in starts);
* ``k.callback`` — the full redirect URL, written atomically (0600) by the server's handler, only
  if ``k.pending`` exists; the kernel polls for it every 0.5 s off-thread and deletes it;
* ``k.outcome`` — how the code exchange ended (a status and a message, never a secret), written
  by the kernel so the handler's page can say "Signed in" or what went wrong.

Besides, ``browser.json`` holds the address the browser last opened a Jupyter page at (the
extension notes it from page responses: scheme, host and port as the browser sent them, and the
server's base URL), the best guess of where the redirect can reach the server.

Only a holder of the state can name the files, the state check in the kernel still applies, and
the code in ``k.callback`` is useless without the PKCE verifier, which never leaves the kernel.

Redirect URI, first rule that applies:

1. ``redirect_uri=`` passed to ``sign_in_with_redirect``, else a configured redirect URI whose
   path ends in ``/nbauth/callback`` (Cognito's ``auth.oauth.redirect_sign_in_uri``);
2. ``$NBAUTH_JUPYTER_URL`` — the Jupyter server as the browser sees it, base URL included
   (``https://hub.example.com/user/ada/``);
3. JupyterHub: ``$JUPYTERHUB_PUBLIC_URL`` (JupyterHub >= 4.1 sets it when
   ``c.JupyterHub.public_url`` is configured; ``$JUPYTERHUB_SERVICE_PREFIX`` is appended when it
   has no path), else ``$JUPYTERHUB_HOST`` (subdomain hubs) + ``$JUPYTERHUB_SERVICE_PREFIX``;
4. the address the browser last opened a page of this Jupyter server at (``browser.json``:
   right behind port forwards, SSH tunnels, Docker port maps and proxies that keep ``Host``);
5. the Jupyter server that started this kernel: the ``url`` of its ``jpserver-<pid>.json``
   (what ``jupyter lab`` prints, e.g. ``http://127.0.0.1:8888/``).

``nbauth/callback`` is appended to rules 2 to 5. A JupyterHub server that none of rules 1 to 4
resolves is an error (its own URL is the hub's internal address), as is finding nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import InvalidParameterError

__all__ = [
    "CALLBACK_DIR_ENV",
    "CALLBACK_PATH",
    "JUPYTER_URL_ENV",
    "CallbackDropBox",
    "CallbackInbox",
    "jupyter_redirect_uri",
]

#: Relative to the Jupyter server's base URL.
CALLBACK_PATH = "nbauth/callback"
#: Set by the server extension in the server's environment; kernels inherit it.
CALLBACK_DIR_ENV = "NBAUTH_JUPYTER_CALLBACK_DIR"
#: Set by an administrator (or a cell): the browser-facing URL of the Jupyter server.
JUPYTER_URL_ENV = "NBAUTH_JUPYTER_URL"
#: In the drop box: the address the browser last opened a Jupyter page at.
BROWSER_FILE = "browser.json"
POLL_SECONDS = 0.5
#: Files older than this are left-overs (a closed tab, a killed kernel) and are removed.
STALE_SECONDS = 3600.0

_NO_EXTENSION = (
    "mode='jupyter' needs the nbauth Jupyter server extension, and the Jupyter server that "
    "started this kernel has not loaded it."
)
_NO_EXTENSION_FIX = (
    "Install nbauth in the Jupyter server's environment (pip install 'nbauth[notebook]' enables "
    "the extension) and restart Jupyter, or use mode='paste' on a remote kernel."
)


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


def _read(path: Path) -> dict[str, Any] | None:
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
        self._noted: str | None = None

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
        record = _read(path)
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
        record = _read(path)
        if record is not None:
            _unlink(path)
        return record

    def sweep(self, older_than: float = STALE_SECONDS) -> None:
        """Remove files left behind by closed tabs or killed kernels."""
        cutoff = time.time() - older_than
        with contextlib.suppress(OSError):
            for entry in self.directory.iterdir():
                if entry.name == BROWSER_FILE:
                    continue
                with contextlib.suppress(OSError):
                    if entry.stat().st_mtime < cutoff:
                        entry.unlink()

    def note_browser_url(self, url: str) -> None:
        """Server side: the browser opened a Jupyter page at ``url`` (origin + base URL)."""
        if url != self._noted:
            with contextlib.suppress(OSError):
                _private_dir(self.directory)
                _write_atomic(self.directory / BROWSER_FILE, {"url": url})
                self._noted = url

    def browser_url(self) -> str | None:
        """Kernel side: where the browser last opened the Jupyter server, if known."""
        record = _read(self.directory / BROWSER_FILE)
        url = record.get("url") if record else None
        return url if isinstance(url, str) else None


class CallbackInbox:
    """Kernel side: wait (off-thread) for the redirect carrying ``state``, then hand it over.

    Mirrors :class:`~nbauth.oidc.rfc8252.LoopbackListener`: ``on_redirect(url)`` once, or
    ``on_timeout()``; :meth:`close` is idempotent.
    """

    def __init__(
        self,
        box: CallbackDropBox,
        state: str,
        on_redirect: Callable[[str], None],
        *,
        timeout: float = 300.0,
        on_timeout: Callable[[], None] | None = None,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._box = box
        self._state = state
        self._on_redirect = on_redirect
        self._on_timeout = on_timeout
        self._poll = poll_seconds
        self._closed = threading.Event()
        self._delivered = False
        try:
            box.expect(state)
        except OSError as exc:
            raise InvalidParameterError(
                f"mode='jupyter' cannot write to its callback directory {box.directory} "
                f"({type(exc).__name__}).",
                f"Check ${CALLBACK_DIR_ENV} (set by the server extension) and the Jupyter "
                "runtime directory's permissions, or use mode='paste'.",
                underlying=exc,
            ) from exc
        self._thread = threading.Thread(
            target=self._run, args=(timeout,), name="nbauth-jupyter-callback", daemon=True
        )
        self._thread.start()

    def _run(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self._closed.wait(self._poll):
            url = self._box.take(self._state)
            if url is not None:
                self._delivered = True
                self._on_redirect(url)
                return
            if time.monotonic() >= deadline:
                self._box.forget(self._state)
                if self._on_timeout is not None:
                    self._on_timeout()
                return

    def report(self, status: str, message: str) -> None:
        """Tell the callback page (if it delivered the redirect) how it ended; stop waiting."""
        if self._delivered:
            self._box.report(self._state, status, message)
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self, timeout: float = 2.0) -> None:
        """Stop waiting (idempotent)."""
        self._closed.set()
        self._box.forget(self._state)
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)


# -- the redirect URI ----------------------------------------------------------------------------


def _join(base: str, path: str) -> str:
    return base.rstrip("/") + "/" + path.lstrip("/")


def _with_callback(server_url: str) -> str:
    parts = urlsplit(server_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidParameterError(
            f"Not a Jupyter server URL: {server_url!r} (expected http(s)://host[:port]/base/).",
            f"Set ${JUPYTER_URL_ENV} to the address of Jupyter in your browser's address bar, "
            "up to and including the base URL (e.g. https://hub.example.com/user/ada/).",
        )
    path = _join(parts.path or "/", CALLBACK_PATH)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _hub_url(env: Mapping[str, str]) -> str | None:
    prefix = env.get("JUPYTERHUB_SERVICE_PREFIX", "")
    public = env.get("JUPYTERHUB_PUBLIC_URL", "")
    if public:
        if urlsplit(public).path.strip("/"):
            return public
        return _join(public, prefix or "/")
    host = env.get("JUPYTERHUB_HOST", "")
    if host and prefix:
        return _join(host, prefix)
    return None


def _parent_server_url(env: Mapping[str, str]) -> str | None:
    """The ``url`` of the Jupyter server that started this kernel (``jpserver-<ppid>.json``)."""
    try:
        from jupyter_core.paths import jupyter_runtime_dir
    except ImportError:  # pragma: no cover
        return None
    runtime = Path(env.get("JUPYTER_RUNTIME_DIR") or jupyter_runtime_dir())
    for name in (f"jpserver-{os.getppid()}.json", f"nbserver-{os.getppid()}.json"):
        info = _read(runtime / name)
        if info and isinstance(info.get("url"), str):
            return info["url"]
    return None


def jupyter_redirect_uri(
    redirect_uri: str | None = None, env: Mapping[str, str] | None = None
) -> tuple[str, CallbackDropBox]:
    """The redirect URI for ``mode="jupyter"`` and the drop box to wait in (module docstring)."""
    env = os.environ if env is None else env
    directory = env.get(CALLBACK_DIR_ENV)
    if not directory and not redirect_uri:
        raise InvalidParameterError(_NO_EXTENSION, _NO_EXTENSION_FIX)
    box = CallbackDropBox(directory or None)
    if redirect_uri:
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidParameterError(
                f"redirect_uri must be an http(s) URL, got {redirect_uri!r}.",
                f"Pass the Jupyter address in your browser followed by {CALLBACK_PATH}.",
            )
        return redirect_uri, box
    explicit = env.get(JUPYTER_URL_ENV)
    if explicit:
        return _with_callback(explicit), box
    on_hub = bool(env.get("JUPYTERHUB_SERVICE_PREFIX"))
    hub = _hub_url(env) if on_hub else None
    if hub is not None:
        return _with_callback(hub), box
    seen = box.browser_url()
    if seen is not None:
        return _with_callback(seen), box
    if on_hub:
        raise InvalidParameterError(
            "mode='jupyter' cannot tell this JupyterHub's public address (neither "
            "$JUPYTERHUB_PUBLIC_URL nor $JUPYTERHUB_HOST is set, and no page of this server "
            "was opened since it started).",
            f"Set ${JUPYTER_URL_ENV} to the address in your browser's address bar up to and "
            "including /user/<name>/ (os.environ in a cell, or c.Spawner.environment), or "
            "pass redirect_uri=..., or ask your admin to set c.JupyterHub.public_url.",
        )
    server = _parent_server_url(env)
    if server is None:
        raise InvalidParameterError(
            "mode='jupyter' cannot find the Jupyter server that started this kernel.",
            f"Set ${JUPYTER_URL_ENV} to the Jupyter address in your browser (base URL "
            "included), or pass redirect_uri=..., or use mode='paste'.",
        )
    return _with_callback(server), box
