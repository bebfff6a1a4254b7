"""``notebooks/login_widget.ipynb`` runs unattended under nbclient and, saved **with its widget
state** (``store_widget_state=True``, as JupyterLab's saveState does), holds no secret: no
JWT-shaped or AWS-key-shaped string, not the demo password, empty password fields, and no
device-code prompt left in the widget."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from nbauth.sandbox.seed import DEMO_PASSWORD

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "login_widget.ipynb"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.")
AWS_KEY = re.compile(r"(AKIA|ASIA)[A-Z0-9]{16}")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def test_login_widget_notebook_saved_with_widget_state_holds_no_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # the notebook starts its own sandbox
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    saved = tmp_path / NOTEBOOK.name
    nbformat.write(nb, saved)
    text = saved.read_text()

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "Signed in as demo" in printed and "Signed out." in printed
    assert "password field after submit: ''" in printed
    assert any(WIDGET_VIEW in o.get("data", {}) for o in outputs), "the widget was displayed"

    state = nb.metadata.widgets[WIDGET_STATE]["state"]
    models = [m for m in state.values() if m["model_name"]]
    names = {m["model_name"] for m in models}
    assert {"VBoxModel", "DropdownModel", "ButtonModel", "PasswordModel", "HTMLModel"} <= names
    passwords = [m["state"].get("value") for m in models if m["model_name"] == "PasswordModel"]
    assert passwords and all(v == "" for v in passwords)
    html = " ".join(str(m["state"].get("value", "")) for m in models)
    assert "confirm this code" not in html and "code expires in" not in html  # prompt cleared
    assert not re.search(r"\b[A-Z]{4}-[A-Z]{4}\b", html), "a user code was left in the widget"

    assert not JWT.search(text), "a JWT reached the saved notebook"
    assert not AWS_KEY.search(text), "an AWS access key id reached the saved notebook"
    assert DEMO_PASSWORD not in text
    if "<redacted>" not in text:
        pytest.fail("the session's redacted repr was expected in the outputs")
