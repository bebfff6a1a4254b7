"""Jupyter server extension: the OAuth redirect lands on the Jupyter server itself.

``GET <base_url>nbauth/callback?code=…&state=…&iss=…`` is where the identity provider sends the
browser after ``sign_in_with_redirect(mode="jupyter")``. The page is authenticated like any
Jupyter page (the browser carries the Jupyter cookie; without it, Jupyter's login comes first and
returns here). The handler hands the full URL to the kernel waiting for that ``state`` through a
private drop box (:mod:`nbauth.notebook.callback_drop_box`), waits a few seconds for the kernel to
exchange the code, and shows how it ended ("Signed in — return to your notebook").

Enabled on install from a wheel (``jupyter-config/jupyter_server_config.d/nbauth.json``); an
editable install (``pip install -e .``) installs no data files, so there, or by hand::

    nbauth jupyter-setup          # writes the same nbauth.json into this environment

At load it exports ``$NBAUTH_JUPYTER_CALLBACK_DIR`` into the server's environment, which every
kernel started afterwards inherits: that is how a kernel knows the extension is there and where
to wait. Once the server listens it records its own browser-facing address (:func:`server_url`:
``$NBAUTH_JUPYTER_URL``, else ``ServerApp.custom_display_url``, else its ip, port and base URL),
so a kernel can build the redirect URI (rules in :mod:`nbauth.notebook.jupyter_receiver`). That
address comes from configuration only, never from a request's ``Host`` or ``X-Forwarded-*``
header: whoever sends a request chooses those, and would receive the next sign-in's code and
state (DESIGN invariant 11). Behind a port forward, tunnel or proxy, set
``c.ServerApp.custom_display_url`` or ``$NBAUTH_JUPYTER_URL``. Kernels on another machine
(Enterprise Gateway) share no directory with the server and cannot use this mode.

The page checks ``state`` before anything is handed over: a request without exactly one
``state`` or for no waiting sign-in gets HTTP 400, and so does one the kernel finds is not its
sign-in's; the sign-in keeps waiting for the real redirect.

Imports here stay light: jupyter_server and tornado only (no IPython, no boto3).
"""

from __future__ import annotations

import asyncio
import html
import os
import time
from typing import Any

import tornado.web
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join

from .callback_drop_box import CALLBACK_DIR_ENV, CALLBACK_PATH, CallbackDropBox
from .jupyter_receiver import JUPYTER_URL_ENV, REJECTED

__all__ = ["CallbackHandler", "server_url"]

#: How long the page waits for the kernel to finish the code exchange before answering.
OUTCOME_WAIT_SECONDS = 20.0

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>nbauth: {title}</title>
<style>body{{font-family:system-ui,sans-serif;display:grid;place-items:center;min-height:90vh;
margin:0;color:#222;background:#fafafa}}main{{text-align:center;max-width:36rem;padding:1rem}}
h1{{font-size:1.4rem}}.failed h1{{color:#a11}}
@media (prefers-color-scheme:dark){{body{{color:#eee;background:#1e1e1e}}}}</style></head>
<body><main class="{css}" data-nbauth-status="{status}"><h1>{title}</h1><p>{text}</p></main>
</body></html>"""


class CallbackHandler(JupyterHandler):
    """``GET nbauth/callback``: deliver the redirect to the waiting kernel, show the outcome."""

    box: CallbackDropBox

    def initialize(self, box: CallbackDropBox) -> None:
        self.box = box

    def check_xsrf_cookie(self) -> None:  # GET only; nothing to check
        return

    def _page(self, status_code: int, status: str, title: str, text: str) -> None:
        self.set_status(status_code)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")  # the URL holds the code
        css = "failed" if status not in ("signed_in", "received") else "ok"
        status = status if status.replace("_", "").isalnum() else "failed"
        self.finish(
            _PAGE.format(title=html.escape(title), text=html.escape(text), css=css, status=status)
        )

    @tornado.web.authenticated
    async def get(self) -> None:
        states = self.get_query_arguments("state")
        state = states[0] if len(states) == 1 else None
        if not state:
            self._page(
                400,
                "invalid",
                "Not a sign-in redirect",
                "This page receives the identity provider's redirect after a sign-in started "
                "from a notebook; this request carries no state (or more than one).",
            )
            return
        self.box.sweep()
        # The kernel parses only the query; the URL is rebuilt from what the server received.
        delivered = self.box.deliver(state, self.request.full_url())
        if delivered == "unknown":
            self._page(
                400,
                "unknown",
                "No notebook is waiting for this sign-in",
                "It finished, timed out or was cancelled, or the kernel restarted. Start the "
                "sign-in again from your notebook.",
            )
            return
        if delivered == "duplicate":
            self._page(
                200,
                "received",
                "Sign-in already received",
                "This redirect was already handed to your notebook. Return to your notebook.",
            )
            return
        outcome = await self._wait_for_outcome(state)
        if outcome is None:
            self._page(
                200,
                "received",
                "Sign-in received",
                "Your notebook is finishing the sign-in. Return to your notebook.",
            )
        elif outcome.get("status") == "signed_in":
            self._page(200, "signed_in", "Signed in", "Signed in — return to your notebook.")
        elif outcome.get("status") == REJECTED:
            self._page(
                400, REJECTED, "Not this sign-in's redirect", str(outcome.get("message") or "")
            )
        else:
            self._page(
                200,
                str(outcome.get("status") or "failed"),
                "Sign-in failed",
                str(outcome.get("message") or "The notebook could not finish the sign-in."),
            )

    async def _wait_for_outcome(self, state: str) -> dict[str, Any] | None:
        deadline = time.monotonic() + OUTCOME_WAIT_SECONDS
        while time.monotonic() < deadline:
            outcome = self.box.outcome(state)
            if outcome is not None:
                return outcome
            await asyncio.sleep(0.2)
        return None


def server_url(serverapp: Any, env: Any = None) -> str | None:
    """This server's browser-facing address (origin + base URL), from configuration only.

    ``$NBAUTH_JUPYTER_URL``, else ``ServerApp.custom_display_url`` (what Jupyter prints for
    proxied or containerized servers), else the server's own ip, port and base URL
    (``ServerApp.connection_url``). ``None`` on JupyterHub without either setting (the server's
    own address is the hub's internal one) and on a Unix socket. Never a request header.
    """
    env = os.environ if env is None else env
    explicit = env.get(JUPYTER_URL_ENV) or getattr(serverapp, "custom_display_url", "")
    if explicit:
        return str(explicit)
    if env.get("JUPYTERHUB_SERVICE_PREFIX") or getattr(serverapp, "sock", ""):
        return None
    url = getattr(serverapp, "connection_url", None)
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "nbauth.notebook.server_extension"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Route ``<base_url>nbauth/callback`` and tell future kernels where to wait."""
    directory = os.path.join(serverapp.runtime_dir, "nbauth-callbacks")
    os.makedirs(directory, mode=0o700, exist_ok=True)
    os.chmod(directory, 0o700)
    box = CallbackDropBox(directory)
    box.sweep()
    # Kernels inherit the server's environment when they start (not kernels already running).
    os.environ[CALLBACK_DIR_ENV] = directory
    base_url = serverapp.web_app.settings["base_url"]
    route = url_path_join(base_url, CALLBACK_PATH)
    serverapp.web_app.add_handlers(".*$", [(route, CallbackHandler, {"box": box})])

    def record_server_url() -> None:
        url = server_url(serverapp)
        box.note_server_url(url)
        if url is not None:
            serverapp.log.info("nbauth: mode='jupyter' redirect base %s", url)

    io_loop = getattr(serverapp, "io_loop", None)
    if io_loop is not None:
        io_loop.add_callback(record_server_url)  # runs once the port is final
    else:  # pragma: no cover - a server without an event loop yet
        record_server_url()
    serverapp.log.info("nbauth: OAuth redirects for mode='jupyter' land on %s", route)


# The legacy name, for Jupyter servers that look for it.
load_jupyter_server_extension = _load_jupyter_server_extension
