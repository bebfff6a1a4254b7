"""The nbauth Jupyter server extension on a real JupyterLab, over plain HTTP (no browser).

The kernel side runs in this test process (``NBAUTH_JUPYTER_CALLBACK_DIR`` and
``NBAUTH_JUPYTER_URL`` set as the extension and an administrator would), the person's browser
is the sandbox IdP's ``sign_in_at`` plus ``requests`` carrying the Jupyter token. The real
kernel-side lookup of the server (``jpserver-<pid>.json``) runs in tests/browser/test_redirect.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import nbauth
from nbauth.core.storage import MemoryStorage
from nbauth.errors import AccessDeniedError
from tests.browser.jupyterlab import JupyterLab
from tests.support.aws_env import use_sandbox

ROOT = Path(__file__).resolve().parents[2]
CONFIG_FILE = "jupyter-config/jupyter_server_config.d/nbauth.json"


@pytest.fixture
def auth(
    sb: Any, jupyter_lab: JupyterLab, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> Iterator[nbauth.Auth]:
    """An Auth on the sandbox whose ``mode="jupyter"`` redirects land on the JupyterLab."""
    use_sandbox(sb, monkeypatch, tmp_path)
    monkeypatch.setenv(
        "NBAUTH_JUPYTER_CALLBACK_DIR", str(jupyter_lab.runtime_dir / "nbauth-callbacks")
    )
    monkeypatch.setenv("NBAUTH_JUPYTER_URL", jupyter_lab.url)
    made = nbauth.Auth(sb.config, hub=nbauth.Hub(), storage=MemoryStorage())
    yield made
    made.close()


def browser_get(
    lab: JupyterLab, url: str, headers: dict[str, str] | None = None
) -> requests.Response:
    """The person's browser, logged in to Jupyter (token instead of the cookie)."""
    sent = {"Authorization": f"token {lab.token}", "Accept": "text/html", **(headers or {})}
    return requests.get(url, headers=sent, timeout=30, allow_redirects=False)


def callback_files(lab: JupyterLab) -> list[str]:
    """What is left in the drop box besides the server's recorded address."""
    drop = lab.runtime_dir / "nbauth-callbacks"
    return sorted(p.name for p in drop.iterdir() if p.name != "server.json")


def test_the_extension_is_enabled_by_the_shipped_config(jupyter_lab: JupyterLab) -> None:
    config = json.loads((ROOT / CONFIG_FILE).read_text())
    assert config["ServerApp"]["jpserver_extensions"] == {"nbauth.notebook.server_extension": True}
    log = jupyter_lab.log_path.read_text()
    assert "nbauth.notebook.server_extension | extension was successfully loaded" in log
    drop = jupyter_lab.runtime_dir / "nbauth-callbacks"
    assert stat.S_IMODE(drop.stat().st_mode) == 0o700


def test_pyproject_installs_the_config_file() -> None:
    import tomllib

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    data_files = pyproject["tool"]["setuptools"]["data-files"]
    assert data_files["etc/jupyter/jupyter_server_config.d"] == [CONFIG_FILE]


def test_the_extension_points_are_the_modern_ones() -> None:
    code = (
        "import sys, nbauth.notebook.server_extension as m; "
        "print(m._jupyter_server_extension_points()); "
        "print(sorted(k for k in sys.modules if k.split('.')[0] in "
        "('IPython', 'ipywidgets', 'boto3', 'authlib', 'moto')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    points, heavy = out.stdout.splitlines()
    assert points == "[{'module': 'nbauth.notebook.server_extension'}]"
    assert heavy == "[]", "the server extension must not import kernel-side libraries"


def test_the_callback_page_needs_a_jupyter_login(jupyter_lab: JupyterLab) -> None:
    url = f"{jupyter_lab.url}nbauth/callback?code=c&state=s"
    response = requests.get(url, timeout=10, allow_redirects=False)
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]
    assert "nbauth%2Fcallback" in response.headers["Location"]


def test_a_hostile_host_header_never_becomes_the_redirect_uri(
    sb: Any, jupyter_lab: JupyterLab, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """Issue 11: the extension noted the ``Host`` of any page request (even an unauthenticated
    ``GET /login``) and the next ``mode="jupyter"`` sign-in sent its code there. The redirect
    base now comes from the server's own settings only (DESIGN invariant 11)."""
    from urllib.parse import parse_qs, urlsplit

    from nbauth.notebook.callback_drop_box import CallbackDropBox
    from nbauth.notebook.jupyter_receiver import jupyter_redirect_uri

    drop = jupyter_lab.runtime_dir / "nbauth-callbacks"
    own = f"{jupyter_lab.url}nbauth/callback"
    assert CallbackDropBox(drop).server_url() == jupyter_lab.url  # recorded at start-up
    hostile = [
        {"Host": "localhost:4444"},  # passes Jupyter's local-host check: a port the sender owns
        {"Host": "evil.example:4444"},
        {"X-Forwarded-Host": "evil.example:4444", "X-Forwarded-Proto": "https"},
    ]
    for headers in hostile:
        anonymous = requests.get(
            f"{jupyter_lab.url}login", headers={"Accept": "text/html", **headers}, timeout=10
        )
        assert anonymous.status_code in (200, 403)
        browser_get(jupyter_lab, f"{jupyter_lab.url}lab", headers=headers)
        browser_get(jupyter_lab, f"{jupyter_lab.url}nbauth/callback?state=x", headers=headers)
    assert CallbackDropBox(drop).server_url() == jupyter_lab.url
    assert not (drop / "browser.json").exists()
    assert jupyter_redirect_uri(None, {"NBAUTH_JUPYTER_CALLBACK_DIR": str(drop)})[0] == own

    # A kernel of this server (no $NBAUTH_JUPYTER_URL): the authorization URL's redirect_uri.
    use_sandbox(sb, monkeypatch, tmp_path)
    monkeypatch.setenv("NBAUTH_JUPYTER_CALLBACK_DIR", str(drop))
    monkeypatch.delenv("NBAUTH_JUPYTER_URL", raising=False)
    made = nbauth.Auth(sb.config, hub=nbauth.Hub(), storage=MemoryStorage())
    try:
        handle = made.sign_in_with_redirect(mode="jupyter", timeout=60)
        assert handle.redirect_uri == own
        assert parse_qs(urlsplit(handle.url).query)["redirect_uri"] == [own]
        handle.cancel()
    finally:
        made.close()


def test_a_redirect_for_no_waiting_kernel_is_refused(jupyter_lab: JupyterLab) -> None:
    response = browser_get(jupyter_lab, f"{jupyter_lab.url}nbauth/callback?code=c&state=forged")
    assert response.status_code == 400
    assert "No notebook is waiting for this sign-in" in response.text
    response = browser_get(jupyter_lab, f"{jupyter_lab.url}nbauth/callback")
    assert response.status_code == 400
    assert "no state" in response.text
    # Two states: the server and the kernel could each read a different one.
    response = browser_get(jupyter_lab, f"{jupyter_lab.url}nbauth/callback?state=a&state=b")
    assert response.status_code == 400
    assert list((jupyter_lab.runtime_dir / "nbauth-callbacks").glob("*.callback")) == []


def test_a_sign_in_completes_through_the_jupyter_server(
    sb: Any, auth: nbauth.Auth, jupyter_lab: JupyterLab
) -> None:
    handle = auth.sign_in_with_redirect(mode="jupyter", custom_state="/reports", timeout=60)
    assert handle.redirect_uri == f"{jupyter_lab.url}nbauth/callback"

    landing = sb.sign_in_at(handle.url)  # the person signs in; the IdP redirects the browser
    assert landing.startswith(handle.redirect_uri + "?")
    page = browser_get(jupyter_lab, landing)

    assert page.status_code == 200, page.text
    assert 'data-nbauth-status="signed_in"' in page.text
    assert "Signed in — return to your notebook." in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert handle.wait(10).is_signed_in
    assert auth.fetch_auth_session().identity_id
    assert callback_files(jupyter_lab) == []  # consumed and cleaned up

    again = browser_get(jupyter_lab, landing)  # a reload of the tab
    assert again.status_code == 400
    assert "No notebook is waiting" in again.text
    auth.sign_out()


def test_a_denied_sign_in_says_so_on_the_page_and_in_the_kernel(
    sb: Any, auth: nbauth.Auth, jupyter_lab: JupyterLab
) -> None:
    handle = auth.sign_in_with_redirect(mode="jupyter", timeout=60)
    page = browser_get(jupyter_lab, sb.sign_in_at(handle.url, deny=True))
    assert page.status_code == 200
    assert 'data-nbauth-status="denied"' in page.text
    assert "Sign-in failed" in page.text
    with pytest.raises(AccessDeniedError):
        handle.wait(10)
