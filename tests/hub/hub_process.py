"""A real JupyterHub on 127.0.0.1 for the hub tests: GenericOAuthenticator against an OIDC provider.

The hub (``python -m jupyterhub``) runs with configurable-http-proxy from ``tests/hub/proxy``
(npm), sqlite and a generated ``JUPYTERHUB_CRYPT_KEY`` in a temp dir, ``enable_auth_state``, a
short ``auth_refresh_age`` and the scopes a single-user server needs to read its person's
``auth_state`` — the configuration ``docs/jupyterhub.md`` describes. Servers are spawned by
``SimpleLocalProcessSpawner`` as the current user (root in CI, hence ``--allow-root``).

A service token (``admin``, below) lets the test read ``auth_state`` and reach the single-user
server's REST API, as an admin's tool would; the person only ever uses the browser.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
PROXY_DIR = Path(__file__).resolve().parent / "proxy"
CHP = PROXY_DIR / "node_modules" / ".bin" / "configurable-http-proxy"
SERVICE = "nbauth-test-admin"
START_TIMEOUT = 60.0

CONFIG = """
import sys
c = get_config()  # noqa: F821
settings = {settings!r}
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = settings["proxy_port"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = settings["hub_port"]
c.JupyterHub.public_url = settings["public_url"]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:%d" % settings["proxy_api_port"]
c.ConfigurableHTTPProxy.command = [settings["chp"]]
c.JupyterHub.db_url = "sqlite:///" + settings["dir"] + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = settings["dir"] + "/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = settings["dir"] + "/jupyterhub.pid"
c.JupyterHub.cleanup_servers = True

c.JupyterHub.authenticator_class = "generic-oauth"
c.GenericOAuthenticator.client_id = settings["client_id"]
c.GenericOAuthenticator.client_secret = settings["client_secret"]
c.GenericOAuthenticator.oauth_callback_url = settings["public_url"] + "hub/oauth_callback"
c.GenericOAuthenticator.authorize_url = settings["authorize_url"]
c.GenericOAuthenticator.token_url = settings["token_url"]
c.GenericOAuthenticator.userdata_url = settings["userinfo_url"]
c.GenericOAuthenticator.scope = ["openid", "offline_access", "email", "profile"]
c.GenericOAuthenticator.username_claim = "preferred_username"
c.GenericOAuthenticator.allow_all = True
c.Authenticator.enable_auth_state = True
c.Authenticator.auth_refresh_age = settings["auth_refresh_age"]
c.Authenticator.refresh_pre_spawn = True

# The person's server may read their auth_state: the user role must hold the scope, and the
# server's token must ask for it (it gets the requested scopes its owner holds).
c.JupyterHub.load_roles = [
    {{"name": "user", "scopes": ["self", "admin:auth_state!user"]}},
    {{
        "name": "nbauth-test-admin",
        "services": ["{service}"],
        "scopes": ["admin:users", "admin:auth_state", "admin:servers", "access:servers"],
    }},
]
c.JupyterHub.services = [{{"name": "{service}", "api_token": settings["service_token"]}}]
c.Spawner.server_token_scopes = [
    "users:activity!user",
    "access:servers!server",
    "read:users:name!user",
    "admin:auth_state!user",
]

c.JupyterHub.spawner_class = "simple"
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.args = ["--allow-root"]
c.Spawner.environment = settings["server_env"]
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
c.SimpleLocalProcessSpawner.home_dir_template = settings["dir"] + "/home/{{username}}"
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Hub:
    """A running hub: its public URL, the admin service token and its process."""

    url: str  # public, through the proxy: http://127.0.0.1:<port>/
    api_url: str
    service_token: str = field(repr=False)
    process: subprocess.Popen[bytes]
    log_path: Path

    def api(self, path: str, method: str = "GET", **kwargs: Any) -> Any:
        response = requests.request(
            method,
            f"{self.api_url}{path}",
            headers={"Authorization": f"token {self.service_token}"},
            timeout=30,
            **kwargs,
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def auth_state(self, user: str) -> dict[str, Any]:
        return self.api(f"/users/{user}")["auth_state"]

    def server_api(self, user: str, path: str, method: str = "GET", **kwargs: Any) -> Any:
        """The single-user server's REST API, through the proxy, with the service token."""
        response = requests.request(
            method,
            f"{self.url}user/{user}/api{path}",
            headers={"Authorization": f"token {self.service_token}"},
            timeout=30,
            **kwargs,
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # the hub stops its proxy and the servers it spawned
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=5)


def start_hub(
    directory: Path,
    *,
    issuer_metadata: dict[str, Any],
    client_id: str,
    client_secret: str,
    server_env: dict[str, str],
    auth_refresh_age: int,
) -> Hub:
    """Write the config, start ``jupyterhub`` and wait until its API answers."""
    proxy_port, hub_port, proxy_api_port = free_port(), free_port(), free_port()
    public_url = f"http://127.0.0.1:{proxy_port}/"
    settings = {
        "proxy_port": proxy_port,
        "hub_port": hub_port,
        "proxy_api_port": proxy_api_port,
        "public_url": public_url,
        "chp": str(CHP),
        "dir": str(directory),
        "client_id": client_id,
        "client_secret": client_secret,
        "authorize_url": issuer_metadata["authorization_endpoint"],
        "token_url": issuer_metadata["token_endpoint"],
        "userinfo_url": issuer_metadata["userinfo_endpoint"],
        "auth_refresh_age": auth_refresh_age,
        "service_token": secrets.token_hex(24),
        "server_env": server_env,
    }
    (directory / "home").mkdir(exist_ok=True)
    config = directory / "jupyterhub_config.py"
    config.write_text(CONFIG.format(settings=settings, service=SERVICE))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "NBAUTH_"))}
    env["JUPYTERHUB_CRYPT_KEY"] = secrets.token_hex(32)
    env["PATH"] = f"{CHP.parent}{os.pathsep}{env.get('PATH', '')}"
    log_path = directory / "jupyterhub.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterhub", "-f", str(config), "--debug"],
            cwd=directory,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    hub = Hub(
        url=public_url,
        api_url=f"{public_url}hub/api",
        service_token=settings["service_token"],
        process=process,
        log_path=log_path,
    )
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"jupyterhub exited with {process.returncode}:\n{hub.log_tail()}")
        try:
            if requests.get(f"{hub.api_url}/", timeout=2).ok:
                return hub
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            hub.stop()
            raise RuntimeError(
                f"jupyterhub did not start in {START_TIMEOUT:.0f} s:\n{hub.log_tail()}"
            )
        time.sleep(0.3)


def discovery(issuer: str) -> dict[str, Any]:
    return json.loads(
        requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).content
    )
