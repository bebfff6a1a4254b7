"""The LoginWidget as a person meets it in JupyterLab 4 or Notebook 7: a throwaway notebook
that starts the sandbox in its kernel, a :class:`WidgetView` over the widget's ``data-testid``
hooks, and a person approving a device code on the sandbox IdP's page.

Secrets never pass through a cell's source or output (the saved file is scanned for them):
the kernel makes a fresh user and writes its password to a *side file* outside the server's
root, and after a sign-in writes the run's tokens and AWS keys there too, for the scan.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from tests.browser.jupyterlab import JupyterLab, Notebook
from tests.browser.leaks import scan, widget_models

#: The widget heading and status line once signed in (never shown without a live kernel).
SIGNED_IN = re.compile(r"Signed in")
LOST = "Not connected to a running kernel"


def setup_cell(side: Path, *, totp: bool = False) -> str:
    """Start the sandbox and make a fresh user-pool user (also known to the sandbox IdP);
    with ``totp``, the pool requires TOTP, so the user must set it up on first sign-in."""
    mfa = 'sb.set_mfa("ON", sms=False, totp=True, email=False)\n' if totp else ""
    return (
        "import json, os, secrets\n"
        "import nbauth, nbauth.sandbox\n"
        "sb = nbauth.sandbox.start()\n"
        'os.environ["AWS_ENDPOINT_URL"] = sb.aws_endpoint_url\n'
        "nbauth.configure(sb.config)\n"
        "%load_ext nbauth\n"
        f"{mfa}"
        'user = "u" + secrets.token_hex(4)\n'
        'password = "Pw-" + secrets.token_hex(8) + "!Z9"\n'
        'sb.create_user(user, password, {"email": user + "@example.com"})\n'
        f'json.dump({{"username": user, "password": password}}, open({str(side)!r}, "w"))\n'
        'print("ready", user)'
    )


def widget_cell(**options: Any) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in {"open_browser": False, **options}.items())
    return f"w = nbauth.LoginWidget({args})\nw"


def dump_cell(side: Path) -> str:
    """The signed-in session's tokens and AWS keys, into the side file (never an output)."""
    return (
        "_s = nbauth.fetch_auth_session()\n"
        "_t, _c = _s.tokens, _s.credentials\n"
        "_found = [t.to_string() for t in (_t.access_token, _t.id_token) if t] if _t else []\n"
        "_found += [_c.access_key_id, _c.secret_access_key, _c.session_token] if _c else []\n"
        f'json.dump({{"issued": _found, "identity_id": _s.identity_id}}, open({str(side)!r}, "w"))'
    )


@dataclass
class Run:
    """One widget notebook in one front-end."""

    nb: Notebook
    side: Path
    issued_side: Path

    @property
    def user(self) -> dict[str, str]:
        return json.loads(self.side.read_text())

    def issued(self) -> list[str]:
        """Run the dump cell (index 2): the tokens and keys this sign-in issued."""
        self.nb.run(2)
        found = json.loads(self.issued_side.read_text())["issued"]
        assert found, "the kernel holds no tokens or credentials"
        return found

    def save_and_scan(self, secrets: list[str]) -> dict[str, Any]:
        """Ctrl+S, then the file on disk: it holds widget state (the setting is on) and
        none of ``secrets``."""
        self.nb.save()
        saved = self.nb.read_saved()
        assert widget_models(saved), "no widget state was saved: is saveState on?"
        hits = scan(self.nb.lab.root_dir / self.nb.path, secrets)
        assert not hits, f"secrets in the saved notebook: {hits}"
        return saved


def open_widget_notebook(
    context: Any, lab: JupyterLab, tmp_path: Path, name: str, *, totp: bool = False, **options: Any
) -> tuple[Run, WidgetView]:
    """Write ``<name>.ipynb`` (setup, widget, dump cells), open it, run the first two cells."""
    side, issued = tmp_path / "user.json", tmp_path / "issued.json"
    cells = [setup_cell(side, totp=totp), widget_cell(**options), dump_cell(issued)]
    notebook = new_notebook(cells=[new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path = f"{name}-{lab.kind}.ipynb"
    nbformat.write(notebook, lab.root_dir / path)
    nb = Notebook.open(context, lab, path)
    from playwright.sync_api import expect

    expect(nb.run(0)).to_contain_text("ready", timeout=60_000)
    view = WidgetView(nb.run(1))
    view.wait_connected()
    return Run(nb, side, issued), view


class WidgetView:
    """The widget in a cell's output area, by its ``data-testid`` hooks."""

    def __init__(self, output: Any) -> None:
        self.output = output
        self.root = output.locator('[data-testid="nbauth-login"]')

    def __call__(self, testid: str) -> Any:
        return self.root.locator(f'[data-testid="{testid}"]')

    def wait_connected(self) -> None:
        from playwright.sync_api import expect

        expect(self.root).to_be_visible(timeout=30_000)
        expect(self("heading")).to_be_visible(timeout=30_000)
        expect(self("kernel-lost")).to_be_hidden(timeout=30_000)

    def choose(self, label: str) -> None:
        """Pick a provider by its label in the picker (a ``<select>``)."""
        self("provider-picker").select_option(label=label)

    def expect_signed_in(self, username: str, timeout: float = 45_000) -> None:
        from playwright.sync_api import expect

        expect(self("heading")).to_have_text("Signed in", timeout=timeout)
        expect(self("status")).to_contain_text(f"Signed in as {username}", timeout=timeout)

    def never_signed_in(self, seconds: float = 4.0) -> None:
        """For ``seconds``, the widget shows the kernel is gone and nowhere says "Signed in"."""
        from playwright.sync_api import expect

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            expect(self("kernel-lost")).to_be_visible()
            text = self.root.inner_text()
            assert not SIGNED_IN.search(text), f"a widget without a kernel says: {text!r}"
            time.sleep(0.5)


def approve_on_idp_page(page: Any, username: str, password: str) -> None:
    """The person on the sandbox IdP's device page (already showing the code)."""
    from playwright.sync_api import expect

    page.wait_for_load_state()
    assert "/device" in page.url, page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("h1")).to_have_text(re.compile("approved|connected", re.I))


def submit_with_enter(field: Any) -> None:
    """Press Enter in ``field`` (no click on a submit button). The widget empties a submitted
    field at once (or the step ends and the field goes), so a field still holding its text
    after 5 s means Enter submitted nothing."""
    field.press("Enter")
    deadline = time.monotonic() + 5
    while True:
        try:
            if field.count() == 0 or field.input_value(timeout=1_000) == "":
                return
        except Exception:  # detached between the two calls: the step ended
            if field.count() == 0:
                return
            raise
        if time.monotonic() > deadline:
            raise AssertionError(f"Enter did not submit the form of {field}")
        time.sleep(0.1)
