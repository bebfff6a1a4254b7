"""Fixtures for tests against a real JupyterLab or Notebook 7 (and, for most, a real browser).

* ``jupyter_lab`` (session): ``python -m jupyter lab`` on 127.0.0.1 with a random port and
  token, its config/data/runtime directories in a temp dir, serving a temp copy of
  ``notebooks/``. ``jupyter_notebook`` (session): the same for ``python -m jupyter notebook``
  (Notebook 7). ``jupyter`` (session, parametrised): each, so a test that takes it runs in
  both front-ends; each server starts once per session and is shared. Both start with "Save
  Widget State Automatically" on (``saveState``, a user-settings file) and expose
  ``window.jupyterapp`` (the tests switch the theme with JupyterLab's own command). The
  nbauth server extension is enabled by the repository's own ``jupyter-config/`` directory
  (``$JUPYTER_CONFIG_PATH``) — the same file a wheel installs into ``<prefix>/etc/jupyter``
  (editable installs don't install data files).
* ``browser`` (session): Debian's Chromium (``/usr/bin/chromium``) driven by Playwright; no
  browser download. Playwright gives every launch a fresh temporary profile.
* ``lab_context``: a browser context already signed in to JupyterLab (token cookie);
  ``jupyter_context``: the same for whichever front-end ``jupyter`` is.

Missing Chromium, Playwright or JupyterLab fails these tests when ``CI=true`` (CI must have
them: ``.ci/run`` installs them) and skips them elsewhere with the reason.

On failure, every open tab of the test is saved to ``test-artifacts/<test>[-<n>].png``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.jupyterlab import JupyterLab
from tests.browser.screenshots import ARTIFACTS, save_pages
from tests.support.chromium import chromium
from tests.support.sandbox_fixtures import *  # noqa: F403

ROOT = Path(__file__).resolve().parents[2]
LAB_START_TIMEOUT = 90.0
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def unavailable(what: str) -> None:
    """Fail loudly in CI, skip elsewhere."""
    if IN_CI:
        pytest.fail(f"CI=true and {what}: the browser tests must run in CI.", pytrace=False)
    pytest.skip(f"{what} (install with: apt-get install -y chromium; pip install -e '.[dev]')")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(config_dir: Path, plugin: str, values: dict[str, Any]) -> None:
    """A user-settings file, as the Settings editor writes it (``<config>/lab/user-settings/
    <package>/<plugin>.jupyterlab-settings``); JupyterLab 4 and Notebook 7 both read it."""
    package, name = plugin.split(":")
    path = config_dir / "lab" / "user-settings" / package
    path.mkdir(parents=True, exist_ok=True)
    (path / f"{name}.jupyterlab-settings").write_text(json.dumps(values))


def _lab_settings(config_dir: Path) -> None:
    """No "Would you like to get notified about official Jupyter news?" toast over the page,
    no update checks (the network is closed anyway), and "Save Widget State Automatically" on:
    the setting that writes every synced widget trait into the saved notebook (issue 12: the
    widget must keep its secrets out of it even then)."""
    _write_settings(
        config_dir,
        "@jupyterlab/apputils-extension:notification",
        {"fetchNews": "false", "checkForUpdates": False},
    )
    _write_settings(config_dir, WIDGET_MANAGER, {"saveState": True})


#: The widget manager's plugin, whose ``saveState`` is "Save Widget State Automatically".
WIDGET_MANAGER = "@jupyter-widgets/jupyterlab-manager:plugin"
FRONT_ENDS = ("lab", "notebook")


@contextlib.contextmanager
def _running_jupyter(kind: str, base: Path) -> Iterator[JupyterLab]:
    """``python -m jupyter lab`` or ``python -m jupyter notebook`` (Notebook 7), each with its
    own config/data/runtime directories under ``base`` and a temp copy of ``notebooks/``."""
    dirs = {name: base / name for name in ("config", "data", "runtime", "root")}
    for path in dirs.values():
        path.mkdir(mode=0o700)
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy(notebook, dirs["root"])
    _lab_settings(dirs["config"])
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "JUPYTER", "NBAUTH_", "JPY_"))
    }
    env.update(
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        JUPYTER_CONFIG_PATH=str(ROOT / "jupyter-config"),
        # The kernels inherit this environment: no ambient AWS configuration.
        AWS_CONFIG_FILE=str(base / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(base / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    port, token = _free_port(), secrets.token_urlsafe(24)
    log_path = base / f"jupyter-{kind}.log"
    app = "LabApp" if kind == "lab" else "JupyterNotebookApp"
    command = [
        sys.executable,
        "-m",
        "jupyter",
        kind,
        "--no-browser",
        "--allow-root",  # CI runs as root
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",  # ServerApp.token is its deprecated alias
        f"--ServerApp.root_dir={dirs['root']}",
        "--ServerApp.open_browser=False",
        # window.jupyterapp: the tests switch the theme with JupyterLab's own command.
        f"--{app}.expose_app_in_browser=True",
    ]
    if kind == "lab":
        command.append("--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=dirs["root"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its kernels go with it at teardown
        )
    lab = JupyterLab(
        url=f"http://127.0.0.1:{port}/",
        token=token,
        root_dir=dirs["root"],
        runtime_dir=dirs["runtime"],
        log_path=log_path,
        process=process,
        kind=kind,
        config_dir=dirs["config"],
    )
    deadline = time.monotonic() + LAB_START_TIMEOUT
    while True:
        if process.poll() is not None:
            pytest.fail(f"jupyter {kind} exited with {process.returncode}:\n{lab.log_tail()}")
        try:
            lab.api("api/status", timeout=2)
            break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                _stop(process)
                pytest.fail(f"jupyter {kind} did not start in {LAB_START_TIMEOUT:.0f} s:\n"
                            f"{lab.log_tail()}")  # fmt: skip
            time.sleep(0.25)
    try:
        yield lab
    finally:
        with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError):
            lab.api("api/shutdown", method="POST", timeout=5)  # shuts its kernels down too
        _stop(process)


@pytest.fixture(scope="package")
def jupyter_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        unavailable("JupyterLab is not installed")
    with _running_jupyter("lab", tmp_path_factory.mktemp("jupyter")) as lab:
        yield lab


@pytest.fixture(scope="package")
def jupyter_notebook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    """Notebook 7 (``jupyter notebook``): JupyterLab's components in a one-document shell,
    with its own URLs (``/tree``, ``/notebooks/<path>``)."""
    try:
        import notebook  # noqa: F401
    except ImportError:
        unavailable("Notebook 7 is not installed")
    with _running_jupyter("notebook", tmp_path_factory.mktemp("notebook7")) as server:
        yield server


@pytest.fixture(scope="package", params=FRONT_ENDS)
def jupyter(request: pytest.FixtureRequest) -> JupyterLab:
    """Each test that takes this runs in JupyterLab 4 and in Notebook 7 (one server per
    front-end per session, shared by the tests)."""
    return request.getfixturevalue("jupyter_lab" if request.param == "lab" else "jupyter_notebook")


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        # Only the group this fixture started (JupyterLab and its kernels).
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Chromium for this tier only: while Playwright's sync API is open, its event loop counts as
    running on the main thread, and later tiers (IPython's top-level ``await``) must not see it."""
    with chromium(lambda what, fix: unavailable(what)) as launched:
        yield launched


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@contextlib.contextmanager
def _signed_in_context(
    browser: Any, server: JupyterLab, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """A browser context (its own cookies) holding the server's login cookie; on failure its
    tabs go to ``test-artifacts/``; at the end the notebooks' kernels are stopped (each runs a
    sandbox, and 2 cores are shared)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{server.url}{server.home}?token={server.token}")  # sets the login cookie
    try:
        yield context
    finally:
        report = getattr(request.node, "report_call", None)
        if report is None or report.failed:
            save_pages(context.pages, ARTIFACTS / request.node.name)
        context.close()
        with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError):
            for session in server.api("api/sessions"):
                server.api(f"api/sessions/{session['id']}", method="DELETE")


@pytest.fixture
def lab_context(
    browser: Any, jupyter_lab: JupyterLab, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """A browser context signed in to JupyterLab (token cookie)."""
    with _signed_in_context(browser, jupyter_lab, request) as context:
        yield context


@pytest.fixture
def jupyter_context(
    browser: Any, jupyter: JupyterLab, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """As ``lab_context``, for whichever front-end ``jupyter`` is (JupyterLab or Notebook 7)."""
    with _signed_in_context(browser, jupyter, request) as context:
        yield context
