"""The sandbox IdP's pages on a browser-facing URL (Binder, JupyterHub): which URL, and the IdP
answering under it while the back channel stays on the issuer.

The IdP is started alone (no moto) with a public URL whose path is what jupyter-server-proxy's
``proxy/absolute/<port>/`` forwards unchanged, so a request to the issuer with that path is
exactly what the proxy sends; the real proxy is in ``tests/browser/test_sandbox_through_jupyter``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from nbauth.sandbox.idp import NOTEBOOK_CLIENT_ID, IdentityProvider
from nbauth.sandbox.idp.public_url import (
    PUBLIC_URL_ENV,
    jupyter_browser_url,
    jupyter_callback_uri,
    public_base_url,
    resolve_public_url,
    to_issuer,
)

HUB = "https://hub.example.com"
PROXY = "proxy/absolute/{port}/"


def _yes() -> bool:
    return True


def _no() -> bool:
    return False


# -- which URL ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        (
            {"NBAUTH_JUPYTER_URL": "http://127.0.0.1:8888/user/ada/"},
            "http://127.0.0.1:8888/user/ada/",
        ),
        ({"JUPYTERHUB_SERVICE_PREFIX": "/user/ada/"}, None),  # a hub's own URL is internal
        (
            {"JUPYTERHUB_SERVICE_PREFIX": "/user/ada/", "JUPYTERHUB_PUBLIC_URL": f"{HUB}/"},
            f"{HUB}/user/ada/",
        ),
        (
            {
                "JUPYTERHUB_SERVICE_PREFIX": "/user/ada/",
                "JUPYTERHUB_PUBLIC_URL": f"{HUB}/user/ada/lab-server/",
            },
            f"{HUB}/user/ada/lab-server/",
        ),
        ({"JUPYTERHUB_SERVICE_PREFIX": "/user/ada/", "JUPYTERHUB_HOST": HUB}, f"{HUB}/user/ada/"),
        (
            {"JUPYTERHUB_SERVICE_PREFIX": "/user/ada/", "JUPYTERHUB_PUBLIC_HUB_URL": f"{HUB}/hub/"},
            f"{HUB}/user/ada/",
        ),
        ({"JUPYTERHUB_PUBLIC_URL": f"{HUB}/"}, None),  # not in a hub's server
    ],
)
def test_the_jupyter_url_in_the_browser(env: dict[str, str], expected: str | None) -> None:
    assert jupyter_browser_url(env) == expected


def test_binder_or_hub_with_the_proxy_goes_through_jupyter() -> None:
    env = {"JUPYTERHUB_SERVICE_PREFIX": "/user/ada/", "JUPYTERHUB_HOST": HUB}
    template = resolve_public_url(None, env, proxy_installed=_yes)
    assert template == f"{HUB}/user/ada/{PROXY}"
    assert public_base_url(template, "http://127.0.0.1:5556", 5556) == (
        f"{HUB}/user/ada/proxy/absolute/5556"
    )
    assert jupyter_callback_uri(template) == f"{HUB}/user/ada/nbauth/callback"


def test_without_the_proxy_or_a_known_jupyter_url_the_pages_stay_on_the_issuer() -> None:
    hub = {"JUPYTERHUB_SERVICE_PREFIX": "/user/ada/", "JUPYTERHUB_HOST": HUB}
    assert resolve_public_url(None, hub, proxy_installed=_no) is None
    assert resolve_public_url(None, {}, proxy_installed=_yes) is None  # a local Jupyter
    assert public_base_url(None, "http://127.0.0.1:5556", 5556) == "http://127.0.0.1:5556"


def test_an_explicit_url_wins_then_the_environment() -> None:
    env = {PUBLIC_URL_ENV: "https://env.example.com/{port}/", "NBAUTH_JUPYTER_URL": f"{HUB}/"}
    explicit = "https://ide.example.com/ports/{port}"
    assert resolve_public_url(explicit, env, proxy_installed=_no) == explicit
    assert resolve_public_url(None, env, proxy_installed=_no) == env[PUBLIC_URL_ENV]
    assert jupyter_callback_uri(explicit) is None  # not a Jupyter proxy: no callback to accept


@pytest.mark.parametrize(
    "url",
    [
        "http://hub.example.com/user/ada/proxy/absolute/{port}/",  # plain http off loopback
        "ftp://127.0.0.1/{port}",
        "https://user:pw@hub.example.com/{port}",
        "https://hub.example.com/{port}?next=/",
        "https://hub.example.com/{port}#top",
    ],
)
def test_a_url_no_one_may_be_shown_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="public_url must be https"):
        resolve_public_url(url, {}, proxy_installed=_no)


def test_scripted_sign_in_opens_a_public_url_on_the_issuer() -> None:
    base, issuer = f"{HUB}/user/ada/proxy/absolute/5556", "http://127.0.0.1:5556"
    assert to_issuer(f"{base}/authorize?a=1", base, issuer) == f"{issuer}/authorize?a=1"
    assert to_issuer(f"{issuer}/authorize", base, issuer) == f"{issuer}/authorize"


# -- the IdP under the public URL ---------------------------------------------------------------


@pytest.fixture(scope="module")
def proxied() -> Iterator[IdentityProvider]:
    """An IdP whose pages are at ``http://127.0.0.1:9/user/ada/proxy/absolute/<port>``
    (a Jupyter server that is not running: only the path reaches the IdP)."""
    idp = IdentityProvider(public_url="http://127.0.0.1:9/user/ada/proxy/absolute/{port}/")
    idp.add_user("demo", "demo-password")
    try:
        yield idp
    finally:
        idp.stop()


def _forwarded(idp: IdentityProvider, public: str) -> str:
    """What jupyter-server-proxy requests for ``public``: the same path, on the IdP's port."""
    parts = urlsplit(public)
    return f"{idp.issuer}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def test_discovery_puts_the_pages_on_the_public_url_and_the_back_channel_on_the_issuer(
    proxied: IdentityProvider,
) -> None:
    public = f"http://127.0.0.1:9/user/ada/proxy/absolute/{proxied.port}"
    assert proxied.public_url == public
    meta = requests.get(f"{proxied.issuer}/.well-known/openid-configuration", timeout=10).json()
    assert meta["issuer"] == proxied.issuer
    assert meta["authorization_endpoint"] == f"{public}/authorize"
    assert meta["end_session_endpoint"] == f"{public}/logout"
    for back_channel in ("token_endpoint", "jwks_uri", "device_authorization_endpoint"):
        assert meta[back_channel].startswith(proxied.issuer + "/")


def test_the_device_page_works_under_the_public_path(proxied: IdentityProvider) -> None:
    started = requests.post(
        f"{proxied.issuer}/device_authorization",
        data={"client_id": NOTEBOOK_CLIENT_ID, "scope": "openid offline_access"},
        timeout=10,
    ).json()
    assert started["verification_uri"] == f"{proxied.public_url}/device"
    assert started["verification_uri_complete"].startswith(f"{proxied.public_url}/device?")
    browser = requests.Session()
    page = browser.get(_forwarded(proxied, started["verification_uri_complete"]), timeout=10)
    assert page.status_code == 200
    action = re.search(r'<form id="device" method="post" action="([^"]+)"', page.text)
    assert action and action.group(1) == urlsplit(proxied.public_url).path + "/device"
    done = browser.post(
        f"{proxied.issuer}{action.group(1)}",
        data={
            "user_code": started["user_code"],
            "username": "demo",
            "password": "demo-password",
            "action": "approve",
        },
        timeout=10,
    )
    assert done.status_code == 200 and "Device connected" in done.text
    # Reached directly, the page is as before.
    direct = requests.get(f"{proxied.issuer}/device", timeout=10)
    assert '<form id="device" method="post" action="/device"' in direct.text


def _authorization_url(idp: IdentityProvider, redirect_uri: str) -> tuple[str, str]:
    verifier = generate_token(48)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": NOTEBOOK_CLIENT_ID,
            "redirect_uri": redirect_uri,
            "scope": "openid",
            "state": "st-1",
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    return f"{idp.public_url}/authorize?{query}", verifier


def test_the_jupyter_callback_of_the_proxying_server_is_a_registered_redirect() -> None:
    hub = "https://hub.example.com/user/ada/"
    idp = IdentityProvider(public_url=hub + PROXY)
    idp.add_user("demo", "demo-password")
    try:
        url, _ = _authorization_url(idp, hub + "nbauth/callback")
        page = requests.get(_forwarded(idp, url), timeout=10)
        assert page.status_code == 200, page.text
        action = re.search(r'<form id="sign-in" method="post" action="([^"]+)"', page.text)
        assert action and action.group(1).startswith(
            f"/user/ada/proxy/absolute/{idp.port}/authorize?"
        )
        redirect = idp.sign_in_at(url, "demo", None, deny=False)  # the public URL, scripted
        assert redirect.startswith(hub + "nbauth/callback?")
        assert parse_qs(urlsplit(redirect).query)["state"] == ["st-1"]
        # Another site's callback is still refused.
        other, _ = _authorization_url(idp, "https://evil.example.com/user/ada/nbauth/callback")
        assert requests.get(_forwarded(idp, other), timeout=10).status_code == 400
    finally:
        idp.stop()


def test_the_sandbox_shows_its_pages_on_the_public_url() -> None:
    """``start(public_url=...)``: the device page and the config; the issuer is unchanged."""
    import nbauth.sandbox

    with nbauth.sandbox.start(public_url="https://hub.example.com/user/ada/" + PROXY) as sb:
        public = f"https://hub.example.com/user/ada/proxy/absolute/{sb.idp.port}"
        assert sb.public_url == public
        assert sb.device_page_url == f"{public}/device"
        assert sb.issuer == sb.idp_url and sb.issuer.startswith("http://127.0.0.1:")
        assert sb.config["nbauth"]["oidc_providers"]["sandbox"]["issuer"] == sb.issuer
