"""Where a person's browser opens the IdP's pages, when that is not the issuer.

The IdP listens on the kernel's ``127.0.0.1``. On Binder or a JupyterHub the person's browser
is elsewhere, so the pages a person opens — the device page (``verification_uri``), the
authorization page and RP-initiated logout — are served through the Jupyter server by
`jupyter-server-proxy <https://jupyter-server-proxy.readthedocs.io>`_ as
``<Jupyter URL>proxy/absolute/<idp port>/…``, for the signed-in Jupyter user only. The back
channel (``issuer``, ``token_endpoint``, ``jwks_uri``, device authorization, revocation,
userinfo) stays on ``127.0.0.1``: the kernel reaches it directly.

``proxy/absolute/`` passes the path on unchanged, so the IdP sees ``/user/ada/proxy/absolute/
<port>/device``: :class:`PrefixMount` moves the public URL's path (known from configuration,
never from a request header) into ``SCRIPT_NAME``, and the pages' forms post to
``SCRIPT_NAME + path``. Reached directly, nothing changes.

The public URL, first rule that applies (``{port}`` stands for the IdP's port):

1. ``public_url=`` given to ``nbauth.sandbox.start``;
2. ``$NBAUTH_SANDBOX_PUBLIC_URL``;
3. with ``jupyter_server_proxy`` importable, the Jupyter server's browser-facing URL plus
   ``proxy/absolute/{port}/``, that URL being, as for ``mode="jupyter"``:
   ``$NBAUTH_JUPYTER_URL``; else on JupyterHub (``$JUPYTERHUB_SERVICE_PREFIX`` set)
   ``$JUPYTERHUB_PUBLIC_URL`` (plus the prefix when it has no path), else ``$JUPYTERHUB_HOST``
   + the prefix, else the origin of ``$JUPYTERHUB_PUBLIC_HUB_URL`` + the prefix;
4. none: the pages stay on the issuer (a local Jupyter: the browser reaches ``127.0.0.1``).

Only https URLs, or http to a loopback host, are accepted (nbauth shows no other link).
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "JUPYTER_PROXY_PATH",
    "PUBLIC_URL_ENV",
    "PrefixMount",
    "jupyter_browser_url",
    "jupyter_callback_uri",
    "public_base_url",
    "public_path",
    "resolve_public_url",
    "to_issuer",
]

PUBLIC_URL_ENV = "NBAUTH_SANDBOX_PUBLIC_URL"
#: jupyter-server-proxy's path that keeps the request path whole (the IdP strips the prefix).
JUPYTER_PROXY_PATH = "proxy/absolute/{port}/"


def _join(base: str, path: str) -> str:
    return base.rstrip("/") + "/" + path.lstrip("/")


def jupyter_browser_url(env: Mapping[str, str]) -> str | None:
    """The Jupyter server as the person's browser sees it (base URL included), if known."""
    explicit = env.get("NBAUTH_JUPYTER_URL", "")
    if explicit:
        return explicit
    prefix = env.get("JUPYTERHUB_SERVICE_PREFIX", "")
    if not prefix:
        return None
    public = env.get("JUPYTERHUB_PUBLIC_URL", "")
    if public:
        return public if urlsplit(public).path.strip("/") else _join(public, prefix)
    host = env.get("JUPYTERHUB_HOST", "")
    if host:
        return _join(host, prefix)
    hub = urlsplit(env.get("JUPYTERHUB_PUBLIC_HUB_URL", ""))  # https://hub.example.com/hub/
    return _join(f"{hub.scheme}://{hub.netloc}", prefix) if hub.scheme and hub.netloc else None


def _proxy_installed() -> bool:
    return importlib.util.find_spec("jupyter_server_proxy") is not None


def resolve_public_url(
    public_url: str | None,
    env: Mapping[str, str] | None = None,
    *,
    proxy_installed: Callable[[], bool] = _proxy_installed,
) -> str | None:
    """The public URL template (with ``{port}``) by the module's rules, or None."""
    env = os.environ if env is None else env
    chosen = public_url or env.get(PUBLIC_URL_ENV) or None
    if chosen is None:
        jupyter = jupyter_browser_url(env)
        if jupyter is None or not proxy_installed():
            return None
        chosen = _join(jupyter, JUPYTER_PROXY_PATH)
    _check(chosen)
    return chosen


def public_base_url(template: str | None, issuer: str, port: int) -> str:
    """The IdP's browser-facing base URL (no trailing slash): ``template`` for ``port``,
    or the issuer."""
    if not template:
        return issuer
    return template.replace("{port}", str(port)).rstrip("/")


def _check(url: str) -> None:
    parts = urlsplit(url.replace("{port}", "1"))
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if (
        not (parts.scheme == "https" or (parts.scheme == "http" and loopback))
        or parts.username
        or parts.query
        or parts.fragment
    ):
        raise ValueError(
            f"public_url must be https (or http on 127.0.0.1/localhost) with no user, query or "
            f"fragment, e.g. https://hub.example.com/user/ada/{JUPYTER_PROXY_PATH}; got {url!r}"
        )


class PrefixMount:
    """WSGI middleware: requests under ``prefix`` (a path, from configuration) run with
    ``SCRIPT_NAME=prefix`` and the rest as ``PATH_INFO``; others pass unchanged."""

    def __init__(self, app: Any, prefix: str) -> None:
        self.app = app
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if self.prefix and (path == self.prefix or path.startswith(self.prefix + "/")):
            environ = dict(environ)
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + self.prefix
            environ["PATH_INFO"] = path[len(self.prefix) :] or "/"
        return self.app(environ, start_response)


def public_path(base_url: str) -> str:
    """The path part of a public base URL (``/user/ada/proxy/absolute/5556``)."""
    return urlsplit(base_url).path.rstrip("/")


def to_issuer(url: str, base_url: str, issuer: str) -> str:
    """``url`` under the public base URL, rewritten onto the issuer (for scripted sign-ins)."""
    if base_url == issuer or not url.startswith(base_url + "/"):
        return url
    return issuer + url[len(base_url) :]


def jupyter_callback_uri(template: str | None) -> str | None:
    """The nbauth server extension's ``mode="jupyter"`` redirect URI on the Jupyter server
    whose proxy ``template`` goes through, or None when it is not a Jupyter proxy URL."""
    if not template or not template.rstrip("/").endswith(JUPYTER_PROXY_PATH.rstrip("/")):
        return None
    jupyter = template.rstrip("/")[: -len(JUPYTER_PROXY_PATH.rstrip("/"))]
    return _join(jupyter, "nbauth/callback")
