"""Fixtures of the JupyterHub tests: a real hub (oauthenticator against an OpenID provider), the
proxy from npm, and Debian's Chromium for the person signing in.

The provider is the ``hub_idp`` parameter: the sandbox IdP, or Keycloak 26 (its ``nbauth-hub``
client, confidential; Keycloak itself is started once per run by ``tests/support/
keycloak_fixtures.py``, and only when a Keycloak test runs). Either way the ID token is federated
into the sandbox identity pool.

Needs ``npm ci --prefix tests/hub/proxy`` (configurable-http-proxy), ``jupyterhub`` and
``oauthenticator`` (the ``jupyterhub`` extra, in ``dev``), Chromium at ``/usr/bin/chromium`` (or
``$NBAUTH_CHROMIUM``) and Playwright. A missing piece fails with the command that brings it;
nothing here is skipped.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.hub.hub_process import CHP, ROOT, Hub, discovery, start_hub
from tests.peers.keycloak_peer import REALM
from tests.support.chromium import chromium
from tests.support.keycloak_fixtures import keycloak, trust_keycloak  # noqa: F401
from tests.support.sandbox_fixtures import *  # noqa: F403

#: The hub refreshes a user's auth_state on a request once this many seconds have passed.
AUTH_REFRESH_AGE = 5


def missing(what: str, fix: str) -> None:
    pytest.fail(f"{what}: the JupyterHub tests need it ({fix}).", pytrace=False)


@dataclass(frozen=True)
class HubIdp:
    """The OpenID provider the hub signs its person in with, and what that person does there."""

    name: str
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    username: str
    password: str = field(repr=False)
    #: ``set_token_lifetime(seconds)``: the ID and access tokens issued from now on.
    set_token_lifetime: Callable[[int], None]
    #: ``sign_in(page, username, password)``: on the provider's page, until it sends the browser
    #: back to the hub.
    sign_in: Callable[[Any, str, str], None]


def sandbox_page_sign_in(page: Any, username: str, password: str) -> None:
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[value=approve]")


def keycloak_page_sign_in(page: Any, username: str, password: str) -> None:
    """Keycloak's login form; then its consent page, should the client ask for consent."""
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#kc-login")
    page.wait_for_url(lambda url: "/login-actions/" in url or "/realms/" not in url)
    accept = page.locator("[name=accept]")
    if "/realms/" in page.url and accept.count():
        accept.first.click()


def keycloak_token_lifetime(peer: Any, client_id: str) -> Callable[[int], None]:
    """Keycloak's ID tokens live as long as its access tokens: the client's own lifespan."""

    def set_lifetime(seconds: int) -> None:
        clients = f"/{REALM}/clients"
        found = peer.admin("GET", clients, params={"clientId": client_id}).json()[0]
        found.setdefault("attributes", {})["access.token.lifespan"] = str(seconds)
        peer.admin("PUT", f"{clients}/{found['id']}", json=found)

    return set_lifetime


@pytest.fixture(scope="module", params=["sandbox", "keycloak"])
def hub_idp(request: pytest.FixtureRequest, sb: Any) -> HubIdp:
    if request.param == "sandbox":
        return HubIdp(
            name="sandbox",
            issuer=sb.issuer,
            client_id=sb.confidential_client_id,
            client_secret=sb.confidential_client_secret,
            username="demo",
            password=sb.idp.password("demo"),
            set_token_lifetime=lambda seconds: sb.set_token_lifetimes(id=seconds, access=seconds),
            sign_in=sandbox_page_sign_in,
        )
    peer = request.getfixturevalue("keycloak")
    trust_keycloak(sb, peer)
    return HubIdp(
        name="keycloak",
        issuer=peer.issuer,
        client_id=peer.hub_client_id,
        client_secret=peer.hub_client_secret,
        username=peer.username,
        password=peer.password,
        set_token_lifetime=keycloak_token_lifetime(peer, peer.hub_client_id),
        sign_in=keycloak_page_sign_in,
    )


@pytest.fixture(scope="module")
def hub_server_config(tmp_path_factory: pytest.TempPathFactory, sb: Any) -> Path:
    """The sandbox config, where the person's server (and its kernels) read it."""
    path = tmp_path_factory.mktemp("hub-config") / "amplify_outputs.json"
    path.write_text(json.dumps(sb.config))
    return path


@pytest.fixture(scope="module")
def hub(
    tmp_path_factory: pytest.TempPathFactory, hub_idp: HubIdp, hub_server_config: Path
) -> Iterator[Hub]:
    if shutil.which("node") is None:
        missing("node is not on PATH", "apt-get install -y nodejs npm")
    if not CHP.exists():
        missing(f"{CHP} is missing", "npm ci --prefix tests/hub/proxy")
    try:
        import jupyterhub  # noqa: F401
        import oauthenticator  # noqa: F401
    except ImportError:
        missing("jupyterhub or oauthenticator is not installed", "pip install -e '.[dev]'")
    base = tmp_path_factory.mktemp("hub")
    base.chmod(0o700)
    no_aws = base / "no-aws"
    server_env = {
        "NBAUTH_CONFIG": str(hub_server_config),
        "NBAUTH_HUB_CLIENT_ID": hub_idp.client_id,
        # The nbauth server extension (its callback under /user/<name>/nbauth/callback).
        "JUPYTER_CONFIG_PATH": str(ROOT / "jupyter-config"),
        "AWS_CONFIG_FILE": str(no_aws / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(no_aws / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    running = start_hub(
        base,
        issuer_metadata=discovery(hub_idp.issuer),
        client_id=hub_idp.client_id,
        client_secret=hub_idp.client_secret,
        server_env=server_env,
        auth_refresh_age=AUTH_REFRESH_AGE,
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium(missing) as launched:
        yield launched
