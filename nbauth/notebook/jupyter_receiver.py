"""The ``jupyter`` redirect mode: the authorization redirect lands on the Jupyter server.

On JupyterHub or Binder the kernel's 127.0.0.1 is not the browser's, so a loopback listener
cannot receive the redirect. Instead the redirect URI is the browser-facing Jupyter URL plus
``nbauth/callback``, served by the nbauth server extension
(:mod:`nbauth.notebook.server_extension`), and the server hands the redirect to the kernel
through a private drop box (:mod:`nbauth.notebook.callback_drop_box`). :class:`JupyterReceiver`
is the kernel's side: a :class:`~nbauth.oidc.redirect_receivers.RedirectReceiver` that polls the
drop box off-thread and reports the outcome back to the callback page. nbauth declares it as the
``jupyter`` entry point of the ``nbauth.redirect_receivers`` group, so the OIDC layer finds it
without importing this package.

Redirect URI, first rule that applies:

1. ``redirect_uri=`` passed to ``sign_in_with_redirect``, else a configured redirect URI whose
   path ends in ``/nbauth/callback`` (Cognito's ``auth.oauth.redirect_sign_in_uri``);
2. ``$NBAUTH_JUPYTER_URL`` — the Jupyter server as the browser sees it, base URL included
   (``https://hub.example.com/user/ada/``);
3. JupyterHub: ``$JUPYTERHUB_PUBLIC_URL`` (JupyterHub >= 4.1 sets it when
   ``c.JupyterHub.public_url`` is configured: the server's own public URL,
   ``https://hub.example.com/user/ada/`` or ``…/user/ada/<server>/`` for a named server;
   ``$JUPYTERHUB_SERVICE_PREFIX`` is appended when it has no path), else ``$JUPYTERHUB_HOST``
   (subdomain hubs) + ``$JUPYTERHUB_SERVICE_PREFIX``, else the origin of
   ``$JUPYTERHUB_PUBLIC_HUB_URL`` + ``$JUPYTERHUB_SERVICE_PREFIX``;
4. the address the server extension recorded from the server's own settings (``server.json``:
   ``ServerApp.custom_display_url`` — set it behind port forwards, SSH tunnels, Docker port maps
   and proxies — else the server's ip, port and base URL);
5. the Jupyter server that started this kernel: the ``url`` of its ``jpserver-<pid>.json``
   (what ``jupyter lab`` prints, e.g. ``http://127.0.0.1:8888/``).

``nbauth/callback`` is appended to rules 2 to 5. A JupyterHub server that none of rules 1 to 4
resolves is an error (its own URL is the hub's internal address), as is finding nothing.
No rule reads a request header (``Host``, ``X-Forwarded-*``): the sender of a request chooses
them, and would receive the next sign-in's code and state (DESIGN invariant 11).

The receiver checks the ``state`` of what the server hands over before delivering it: a
redirect that is not this sign-in's is answered ``rejected`` (the page says so, HTTP 400) and
the receiver keeps waiting for the real one.

Imports stay light: no IPython, no Jupyter server (``jupyter_core`` only, when needed).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..core.install_hints import pip_install_hint
from ..errors import CallbackValidationError, InvalidParameterError
from ..oidc.redirect_state import WRONG_STATE_MESSAGE, state_matches
from .callback_drop_box import CALLBACK_DIR_ENV, CALLBACK_PATH, CallbackDropBox, read_json

__all__ = [
    "AVAILABLE_CACHE_SECONDS",
    "JUPYTER_URL_ENV",
    "POLL_SECONDS",
    "REJECTED",
    "JupyterReceiver",
    "first_jupyter_callback_uri",
    "jupyter_receiver",
    "jupyter_redirect_uri",
    "server_callback_available",
]

#: Set by an administrator (or a cell): the browser-facing URL of the Jupyter server.
JUPYTER_URL_ENV = "NBAUTH_JUPYTER_URL"
POLL_SECONDS = 0.5
#: The outcome reported for a redirect that is not this sign-in's (the sign-in keeps waiting).
REJECTED = "rejected"

_NO_EXTENSION = (
    "mode='jupyter' needs the nbauth Jupyter server extension, and the Jupyter server that "
    "started this kernel has not loaded it."
)


def _no_extension_fix() -> str:
    return (
        f"Install nbauth in the Jupyter server's environment ({pip_install_hint('notebook')}), "
        "enable its extension there (nbauth jupyter-setup) and restart Jupyter, or use "
        "mode='paste' on a remote kernel."
    )


class JupyterReceiver:
    """Kernel side: wait (off-thread) for the redirect the server drops for ``state``.

    ``deliver(url)`` once, or ``on_timeout(message)``; :meth:`report` tells the callback page how
    the sign-in ended; :meth:`close` is idempotent and removes this sign-in's files.
    """

    def __init__(
        self,
        box: CallbackDropBox,
        redirect_uri: str,
        *,
        timeout: float = 300.0,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.box = box
        self.redirect_uri = redirect_uri
        self.timeout = timeout
        self._poll = poll_seconds
        self._state: str | None = None
        self._closed = threading.Event()
        self._delivered = False
        self._thread: threading.Thread | None = None

    def start(
        self, state: str, deliver: Callable[[str], None], on_timeout: Callable[[str], None]
    ) -> None:
        """Announce the sign-in in the drop box and poll for its redirect."""
        if self._thread is not None or self._closed.is_set():
            return
        try:
            self.box.expect(state)
        except OSError as exc:
            raise InvalidParameterError(
                f"mode='jupyter' cannot write to its callback directory {self.box.directory} "
                f"({type(exc).__name__}).",
                f"Check ${CALLBACK_DIR_ENV} (set by the server extension) and the Jupyter "
                "runtime directory's permissions, or use mode='paste'.",
                underlying=exc,
            ) from exc
        self._state = state
        self._thread = threading.Thread(
            target=self._run,
            args=(state, deliver, on_timeout),
            name="nbauth-jupyter-callback",
            daemon=True,
        )
        self._thread.start()

    def _run(
        self, state: str, deliver: Callable[[str], None], on_timeout: Callable[[str], None]
    ) -> None:
        deadline = time.monotonic() + self.timeout
        while not self._closed.wait(self._poll):
            url = self.box.take(state)
            if url is not None and self._accept(state, url, deliver):
                return
            if time.monotonic() >= deadline:
                self.box.forget(state)
                on_timeout(f"No redirect reached the Jupyter server within {self.timeout:.0f} s.")
                return

    def _accept(self, state: str, url: str, deliver: Callable[[str], None]) -> bool:
        """Deliver ``url`` if it carries ``state``; otherwise tell the page and keep waiting."""
        if state_matches(url, state):
            self._delivered = True
            try:
                deliver(url)
                return True
            except CallbackValidationError as exc:  # the flow refused it: not done either
                self._delivered = False
                self.box.report(state, REJECTED, exc.message)
                return False
        self.box.report(state, REJECTED, WRONG_STATE_MESSAGE)
        return False

    def report(self, status: str, message: str) -> None:
        """Tell the callback page (if it delivered the redirect) how it ended; stop waiting."""
        if self._delivered and self._state is not None:
            self.box.report(self._state, status, message)
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self, timeout: float = 2.0) -> None:
        """Stop waiting (idempotent)."""
        self._closed.set()
        if self._state is not None:
            self.box.forget(self._state)
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)


def jupyter_receiver(
    *, redirect_uri: str | None, registered_uris: tuple[str, ...], timeout: float
) -> JupyterReceiver:
    """The ``jupyter`` entry point: resolve the redirect URI (module docstring), or fail first."""
    uri, box = jupyter_redirect_uri(redirect_uri or first_jupyter_callback_uri(registered_uris))
    return JupyterReceiver(box, uri, timeout=timeout)


def first_jupyter_callback_uri(uris: tuple[str, ...]) -> str | None:
    """A registered redirect URI served by the nbauth server extension (Cognito's
    ``redirect_sign_in_uri`` must match exactly, so a registered one wins over a guess)."""
    for uri in uris:
        if urlsplit(uri).path.rstrip("/").endswith("/" + CALLBACK_PATH):
            return uri
    return None


# -- is mode="jupyter" available? ---------------------------------------------------------------

#: How long :func:`server_callback_available`'s answer is reused (a widget asks on every render).
AVAILABLE_CACHE_SECONDS = 5.0
_available: tuple[float, str | None, bool] | None = (
    None  # (when, $NBAUTH_JUPYTER_CALLBACK_DIR, answer)
)


def server_callback_available(timeout: float = 1.0) -> bool:
    """Whether ``mode="jupyter"`` can work for this kernel: the Jupyter server that started it
    loaded the nbauth server extension, and a redirect URI can be resolved.

    The check is local and needs no HTTP: the extension, when the server loads it, creates the
    drop box directory and exports ``$NBAUTH_JUPYTER_CALLBACK_DIR``, which only kernels started
    by that server inherit; so the variable naming an existing, writable directory means this
    kernel's own server serves ``nbauth/callback``. The redirect URI's rules (the module's
    docstring: ``$NBAUTH_JUPYTER_URL``, the hub's variables, the ``server.json`` the extension
    wrote, the server's ``jpserver-<pid>.json``) must resolve too. A request to the server would
    prove no more (from a hub's kernel the browser-facing URL is often unreachable) and could
    hang. The files are read in a helper thread given ``timeout`` seconds (a stalled network
    home directory answers ``False``); the answer is kept for :data:`AVAILABLE_CACHE_SECONDS`.

    Example::

        if server_callback_available():
            handle = auth.sign_in_with_redirect(mode="jupyter")
    """
    global _available
    directory = os.environ.get(CALLBACK_DIR_ENV) or None
    now = time.monotonic()
    cached = _available
    if cached is not None and cached[1] == directory and now - cached[0] < AVAILABLE_CACHE_SECONDS:
        return cached[2]
    answer = [False]

    def check() -> None:
        answer[0] = _callback_ready(directory)

    worker = threading.Thread(target=check, name="nbauth-jupyter-check", daemon=True)
    worker.start()
    worker.join(max(0.0, timeout))
    result = answer[0] and not worker.is_alive()
    _available = (now, directory, result)
    return result


def _callback_ready(directory: str | None) -> bool:
    if not directory:
        return False
    path = Path(directory)
    try:
        if not path.is_dir() or not os.access(path, os.W_OK | os.X_OK):
            return False
        jupyter_redirect_uri()
    except (OSError, InvalidParameterError):
        return False
    return True


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
    hub = urlsplit(env.get("JUPYTERHUB_PUBLIC_HUB_URL", ""))  # https://hub.example.com/hub/
    if hub.scheme and hub.netloc and prefix:  # prefix: the server's path, named servers too
        return _join(urlunsplit((hub.scheme, hub.netloc, "", "", "")), prefix)
    return None


def _parent_server_url(env: Mapping[str, str]) -> str | None:
    """The ``url`` of the Jupyter server that started this kernel (``jpserver-<ppid>.json``)."""
    try:
        from jupyter_core.paths import jupyter_runtime_dir
    except ImportError:  # pragma: no cover
        return None
    runtime = Path(env.get("JUPYTER_RUNTIME_DIR") or jupyter_runtime_dir())
    for name in (f"jpserver-{os.getppid()}.json", f"nbserver-{os.getppid()}.json"):
        url = (read_json(runtime / name) or {}).get("url")
        if isinstance(url, str):
            return url
    return None


def jupyter_redirect_uri(
    redirect_uri: str | None = None, env: Mapping[str, str] | None = None
) -> tuple[str, CallbackDropBox]:
    """The redirect URI for ``mode="jupyter"`` and the drop box to wait in (module docstring)."""
    env = os.environ if env is None else env
    directory = env.get(CALLBACK_DIR_ENV)
    if not directory and not redirect_uri:
        raise InvalidParameterError(_NO_EXTENSION, _no_extension_fix())
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
    recorded = box.server_url()
    if recorded is not None:
        return _with_callback(recorded), box
    if on_hub:
        raise InvalidParameterError(
            "mode='jupyter' cannot tell this JupyterHub's public address (neither "
            "$JUPYTERHUB_PUBLIC_URL nor $JUPYTERHUB_HOST is set, and the server has no "
            "ServerApp.custom_display_url).",
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
