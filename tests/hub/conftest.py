"""Fixtures of the JupyterHub tests: a real hub (oauthenticator against the sandbox IdP), the
proxy from npm, and Debian's Chromium for the person signing in.

Needs ``npm ci --prefix tests/hub/proxy`` (configurable-http-proxy), ``jupyterhub`` and
``oauthenticator`` (the ``jupyterhub`` extra, in ``dev``), Chromium at ``/usr/bin/chromium`` (or
``$NBAUTH_CHROMIUM``) and Playwright. A missing piece fails with the command that brings it;
nothing here is skipped.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.hub.hub_process import CHP, ROOT, Hub, discovery, start_hub
from tests.support.chromium import chromium
from tests.support.sandbox_fixtures import *  # noqa: F403

#: The hub refreshes a user's auth_state on a request once this many seconds have passed.
AUTH_REFRESH_AGE = 5


def missing(what: str, fix: str) -> None:
    pytest.fail(f"{what}: the JupyterHub tests need it ({fix}).", pytrace=False)


@pytest.fixture(scope="module")
def hub_server_config(tmp_path_factory: pytest.TempPathFactory, sb: Any) -> Path:
    """The sandbox config, where the person's server (and its kernels) read it."""
    path = tmp_path_factory.mktemp("hub-config") / "amplify_outputs.json"
    path.write_text(json.dumps(sb.config))
    return path


@pytest.fixture(scope="module")
def hub(
    tmp_path_factory: pytest.TempPathFactory, sb: Any, hub_server_config: Path
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
        "NBAUTH_HUB_CLIENT_ID": sb.confidential_client_id,
        # The nbauth server extension (its callback under /user/<name>/nbauth/callback).
        "JUPYTER_CONFIG_PATH": str(ROOT / "jupyter-config"),
        "AWS_CONFIG_FILE": str(no_aws / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(no_aws / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    running = start_hub(
        base,
        issuer_metadata=discovery(sb.issuer),
        client_id=sb.confidential_client_id,
        client_secret=sb.confidential_client_secret,
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
