"""Jupyter server extension: the OAuth redirect lands on the Jupyter server itself.

``GET <base_url>nbauth/callback?code=…&state=…&iss=…`` is where the identity provider sends the
browser after ``sign_in_with_redirect(mode="jupyter")``. The page is authenticated like any
Jupyter page (the browser carries the Jupyter cookie; without it, Jupyter's login comes first and
returns here). The handler hands the full URL to the kernel waiting for that ``state`` through a
private drop box (:mod:`nbauth.notebook.callback_drop_box`), waits a few seconds for the kernel to
exchange the code, and shows how it ended ("Signed in — return to your notebook").

Enabled on install (``jupyter-config/jupyter_server_config.d/nbauth.json``), or by hand::

    jupyter server extension enable nbauth.notebook.server_extension

At load it exports ``$NBAUTH_JUPYTER_CALLBACK_DIR`` into the server's environment, which every
kernel started afterwards inherits: that is how a kernel knows the extension is there and where
to wait. It also notes the address the browser opens Jupyter's pages at, so a kernel can build a
redirect URI the browser can reach (rules in :mod:`nbauth.notebook.jupyter_receiver`). Kernels on
another machine (Enterprise Gateway) share no directory with the server and cannot use this mode.

Imports here stay light: jupyter_server and tornado only (no IPython, no boto3).
"""

from __future__ import annotations

import asyncio
import html
import os
import time
from typing import Any

import tornado.httputil
import tornado.web
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join

from .callback_drop_box import CALLBACK_DIR_ENV, CALLBACK_PATH, CallbackDropBox

__all__ = ["CallbackHandler", "browser_address_transform"]

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
        self.finish(
            _PAGE.format(title=html.escape(title), text=html.escape(text), css=css, status=status)
        )

    @tornado.web.authenticated
    async def get(self) -> None:
        state = self.get_query_argument("state", None)
        if not state:
            self._page(
                400,
                "invalid",
                "Not a sign-in redirect",
                "This page receives the identity provider's redirect after a sign-in started "
                "from a notebook; this request carries no state.",
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


def _first(value: str | None) -> str:
    return (value or "").split(",")[0].strip()


def browser_address_transform(
    box: CallbackDropBox, base_url: str, *, trust_forwarded: bool
) -> type[tornado.web.OutputTransform]:
    """A tornado transform noting where the browser opens this server's pages.

    Only successful HTML responses count (pages, not API calls, and not requests Jupyter
    refused for their ``Host``). ``X-Forwarded-Proto``/``-Host`` are read behind a proxy the
    server trusts (``ServerApp.trust_xheaders``, or JupyterHub's own proxy).
    """

    class BrowserAddress(tornado.web.OutputTransform):
        def __init__(self, request: tornado.httputil.HTTPServerRequest) -> None:
            super().__init__(request)
            self.request = request

        def transform_first_chunk(
            self,
            status_code: int,
            headers: tornado.httputil.HTTPHeaders,
            chunk: bytes,
            finishing: bool,
        ) -> tuple[int, tornado.httputil.HTTPHeaders, bytes]:
            if (
                status_code == 200
                and self.request.method == "GET"
                and headers.get("Content-Type", "").startswith("text/html")
            ):
                request_headers = self.request.headers
                scheme, host = self.request.protocol, self.request.host
                if trust_forwarded:
                    scheme = _first(request_headers.get("X-Forwarded-Proto")) or scheme
                    host = _first(request_headers.get("X-Forwarded-Host")) or host
                if scheme in ("http", "https") and host:
                    box.note_browser_url(f"{scheme}://{host}{base_url}")
            return status_code, headers, chunk

    return BrowserAddress


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
    trust_forwarded = bool(serverapp.trust_xheaders or os.environ.get("JUPYTERHUB_SERVICE_PREFIX"))
    serverapp.web_app.add_transform(
        browser_address_transform(box, base_url, trust_forwarded=trust_forwarded)
    )
    serverapp.log.info("nbauth: OAuth redirects for mode='jupyter' land on %s", route)


# The legacy name, for Jupyter servers that look for it.
load_jupyter_server_extension = _load_jupyter_server_extension
