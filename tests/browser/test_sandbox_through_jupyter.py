"""The sandbox's sign-in pages through the Jupyter server, as on Binder or a JupyterHub.

A JupyterLab with a hub-like base URL (``/user/ada/``) and jupyter-server-proxy enabled, whose
kernels know the server's browser-facing URL (``$NBAUTH_JUPYTER_URL``, as an administrator or
a hub sets it). A kernel starts the sandbox and shows the LoginWidget; the sign-in links it
shows lead to ``<Jupyter>/user/ada/proxy/absolute/<idp port>/…`` — the Jupyter origin, not the
IdP's own port — and answer only with the Jupyter login cookie; the person (Chromium) signs in
on the proxied pages, by device code and by code + PKCE with ``mode="jupyter"``, and the
kernel's session is signed in.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.browser.jupyterlab import JupyterLab
from tests.browser.login_widget import approve_on_idp_page, open_widget_notebook

ROOT = Path(__file__).resolve().parents[2]
BASE_URL = "/user/ada/"
START_TIMEOUT = 90.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def hub_like_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """``jupyter lab`` on ``http://127.0.0.1:<port>/user/ada/`` with jupyter-server-proxy."""
    for module in ("jupyterlab", "jupyter_server_proxy"):
        try:
            __import__(module)
        except ImportError:
            pytest.fail(f"{module} is not installed: pip install -e '.[dev]' brings it")
    base = tmp_path_factory.mktemp("hub-like")
    dirs = {name: base / name for name in ("config", "data", "runtime", "root")}
    for path in dirs.values():
        path.mkdir(mode=0o700)
    port, token = _free_port(), secrets.token_urlsafe(24)
    url = f"http://127.0.0.1:{port}{BASE_URL}"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "JUPYTER", "NBAUTH_", "JPY_"))
    }
    env.update(
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        JUPYTER_CONFIG_PATH=str(ROOT / "jupyter-config"),  # the nbauth server extension
        AWS_CONFIG_FILE=str(base / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(base / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        # The kernels inherit it: the Jupyter server as the person's browser sees it.
        NBAUTH_JUPYTER_URL=url,
    )
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.base_url={BASE_URL}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={dirs['root']}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    log_path = base / "jupyter-lab.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=dirs["root"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    lab = JupyterLab(
        url=url,
        token=token,
        root_dir=dirs["root"],
        runtime_dir=dirs["runtime"],
        log_path=log_path,
        process=process,
        config_dir=dirs["config"],
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert process.poll() is None, f"jupyter lab exited:\n{lab.log_tail()}"
            try:
                lab.api("api/status", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert time.monotonic() < deadline, f"jupyter lab did not start:\n{lab.log_tail()}"
                time.sleep(0.25)
        yield lab
    finally:
        with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError):
            lab.api("api/shutdown", method="POST", timeout=5)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the group this fixture started
            process.wait(5)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def hub_context(browser: Any, hub_like_lab: JupyterLab) -> Iterator[Any]:
    """A browser context signed in to that JupyterLab (its login cookie)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    context.new_page().goto(f"{hub_like_lab.url}lab?token={hub_like_lab.token}")
    try:
        yield context
    finally:
        context.close()
        with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError):
            for session in hub_like_lab.api("api/sessions"):  # each kernel runs a sandbox
                hub_like_lab.api(f"api/sessions/{session['id']}", method="DELETE")


def _proxied(lab: JupyterLab, page: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(lab.url)}proxy/absolute/(\d+)/{page}\?")


def _only_through_jupyter(lab: JupyterLab, link: str) -> None:
    """The link is on the Jupyter server's origin, not the IdP's own port, and without the
    Jupyter login it does not show the IdP's page."""
    jupyter_port = urlsplit(lab.url).port
    assert urlsplit(link).port == jupyter_port
    idp_port = int(re.findall(r"/proxy/absolute/(\d+)/", link)[0])
    assert idp_port != jupyter_port
    anonymous = requests.get(link, allow_redirects=False, timeout=30)
    assert anonymous.status_code in (302, 403), anonymous.status_code
    assert "nbauth sandbox IdP" not in anonymous.text


def test_device_code_link_goes_through_the_jupyter_server(
    hub_context: Any, hub_like_lab: JupyterLab, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    run, view = open_widget_notebook(hub_context, hub_like_lab, tmp_path, "proxied-device")
    view("device-button").click()
    expect(view("device-code")).to_be_visible(timeout=30_000)
    link = view("device-link").get_attribute("href") or ""
    assert _proxied(hub_like_lab, "device").match(link), link
    assert "user_code=" in link
    _only_through_jupyter(hub_like_lab, link)

    idp = hub_context.new_page()  # the person opens the link, signed in to Jupyter
    idp.goto(link)
    assert idp.url.startswith(hub_like_lab.url), idp.url
    approve_on_idp_page(idp, run.user["username"], run.user["password"])
    run.nb.page.bring_to_front()
    view.expect_signed_in(run.user["username"])
    assert run.issued()


def test_code_and_pkce_through_the_jupyter_server_and_its_callback(
    hub_context: Any, hub_like_lab: JupyterLab, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    run, view = open_widget_notebook(
        hub_context, hub_like_lab, tmp_path, "proxied-pkce", redirect_mode="jupyter"
    )
    view("oauth-button").click()
    expect(view("oauth-open-again")).to_be_visible(timeout=30_000)
    url = view("oauth-open-again").get_attribute("href") or ""
    assert _proxied(hub_like_lab, "authorize").match(url), url
    redirect_uri = parse_qs(urlsplit(url).query)["redirect_uri"][0]
    assert redirect_uri == f"{hub_like_lab.url}nbauth/callback"
    _only_through_jupyter(hub_like_lab, url)

    idp = hub_context.new_page()
    idp.goto(url)
    idp.get_by_label("Username").fill(run.user["username"])
    idp.get_by_label("Password").fill(run.user["password"])
    idp.get_by_role("button", name="Sign in").click()
    idp.wait_for_url(re.compile(re.escape(redirect_uri)), timeout=30_000)
    run.nb.page.bring_to_front()
    view.expect_signed_in(run.user["username"])
    assert run.issued()
