"""The LoginWidget under nbclient, saved **with its widget state** (``store_widget_state=True``,
as JupyterLab's saveState does).

* ``notebooks/login_widget.ipynb`` runs unattended and its saved file holds no secret.
* Run All: a cell displays the widget, the next calls ``fetch_auth_session()`` while nobody is
  signed in. A helper thread plays the browser: a second kernel client sends the widget's
  ``hello`` and ``start_device`` messages *while that cell runs* (they are processed only
  because the wait polls UI events), reads the device code from the kernel's custom message and
  approves it on the sandbox IdP. The cell must end signed in, not as a guest.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

from nbauth.sandbox.seed import DEMO_PASSWORD
from tests.support.aws_env import use_sandbox

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "login_widget.ipynb"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.")
AWS_KEY = re.compile(r"(AKIA|ASIA)[A-Z0-9]{16}")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def outputs_of(nb: Any) -> list[Any]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


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

    outputs = outputs_of(nb)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "signed_in as demo" in printed and "Signed out." in printed
    assert "code left in the widget: False" in printed
    assert "password in the widget state: False" in printed
    assert any(WIDGET_VIEW in o.get("data", {}) for o in outputs), "the widget was displayed"
    shown = [o["data"]["text/plain"] for o in outputs if WIDGET_VIEW in o.get("data", {})]
    assert all(t.startswith("nbauth sign-in widget") for t in shown)  # the static fallback

    state = nb.metadata.widgets[WIDGET_STATE]["state"]
    assert any(m["model_name"] == "AnyModel" for m in state.values())
    assert not re.search(r"\b[A-Z]{4}-[A-Z]{4}\b", json.dumps(state)), "a user code was saved"
    assert not JWT.search(text), "a JWT reached the saved notebook"
    assert not AWS_KEY.search(text), "an AWS access key id reached the saved notebook"
    assert DEMO_PASSWORD not in text
    assert "<redacted>" in text, "the session's redacted repr was expected in the outputs"


RUN_ALL = [
    "import json, nbauth\n"
    "from nbauth.notebook.widget import LoginWidget\n"
    "nbauth.configure(json.loads({config!r}))\n"
    "w = LoginWidget(heartbeat_seconds=1)\n"
    "w",
    "session = nbauth.fetch_auth_session()  # Run All: waits for the person\n"
    "print('RESULT', nbauth.current_auth().state, bool(session.tokens))",
]


class Browser(threading.Thread):
    """Plays the front-end and the person: hello at once, the click once the cell waits."""

    def __init__(self, client: NotebookClient, nb: Any, sb: Any) -> None:
        super().__init__(daemon=True)
        self.client, self.nb, self.sb = client, nb, sb
        self.user_code: str | None = None
        import ipykernel

        self.polls = int(ipykernel.__version__.split(".")[0]) < 7
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # reported by the test
            self.error = exc

    def _wait(self, predicate: Any, what: str, timeout: float = 90) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = predicate()
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

    def _model_id(self) -> str | None:
        for output in self.nb.cells[0].get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view:
                return str(view["model_id"])
        return None

    def _run(self) -> None:
        from jupyter_client import BlockingKernelClient

        self._wait(lambda: getattr(self.client, "km", None) is not None, "the kernel")
        model_id = self._wait(self._model_id, "the widget's display")
        kc = BlockingKernelClient(connection_file=self.client.km.connection_file)
        kc.load_connection_file()
        kc.start_channels()
        try:

            def send(content: dict[str, Any]) -> None:
                data = {"method": "custom", "content": content}
                kc.shell_channel.send(
                    kc.session.msg("comm_msg", {"comm_id": model_id, "data": data})
                )

            send({"type": "hello", "local": True})
            self._wait(
                lambda: "Waiting for sign-in" in json.dumps(self.nb.cells[1].outputs),
                "the waiting message",
            )

            if self.polls:  # the click is processed only because the wait polls UI events
                send({"type": "start_device"})
            # (ipykernel 7: no UI polling; the waiting cell starts the sign-in itself)
            deadline = time.monotonic() + 60
            while self.user_code is None and time.monotonic() < deadline:
                message = kc.get_iopub_msg(timeout=60)
                data = message["content"].get("data") or {}
                content = data.get("content") if isinstance(data, dict) else None
                if isinstance(content, dict) and content.get("type") == "device":
                    self.user_code = content["user_code"]
            assert self.user_code, "the kernel never sent the device code"
            self.sb.approve_device_code(self.user_code)
        finally:
            kc.stop_channels()


def test_run_all_waits_for_the_widget_sign_in(sb, monkeypatch, tmp_path):
    use_sandbox(sb, monkeypatch, tmp_path)  # the kernel inherits the sandbox's AWS settings
    sb.set_token_lifetimes(device_interval=1)
    config = json.dumps(sb.config)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src.format(config=config)) for src in RUN_ALL]
    client = NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=True)
    browser = Browser(client, nb, sb)
    browser.start()
    client.execute()
    browser.join(30)
    assert browser.error is None, browser.error

    printed = "".join(o.get("text", "") for o in outputs_of(nb) if o.get("output_type") == "stream")
    assert "RESULT signed_in True" in printed, json.dumps(nb.cells[1].outputs)
    waiting = json.dumps(nb.cells[1].outputs)
    assert "Signed in as demo" in waiting  # the waiting message was replaced by the outcome

    saved = tmp_path / "run_all.ipynb"
    nbformat.write(nb, saved)
    text = saved.read_text()
    assert browser.user_code and browser.user_code not in text
    assert not JWT.search(text) and not AWS_KEY.search(text)
