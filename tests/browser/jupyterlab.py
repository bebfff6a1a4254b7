"""Driving JupyterLab 4 or Notebook 7 as a person does: open a notebook, run a cell with
Shift+Enter, Run All from the Run menu, save with Ctrl+S, switch the theme, read an output.

Selectors are JupyterLab's own CSS classes (``jp-*``), stable across 4.x and shared by Notebook 7
(it is built from JupyterLab's components: a notebook is ``.jp-NotebookPanel .jp-Notebook
.jp-Cell`` in both); only the URLs differ (``/lab/tree/<path>`` vs ``/notebooks/<path>``).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXECUTED = re.compile(r"\[\d+\]")
STDERR = "application/vnd.jupyter.stderr"  # tracebacks are rendered with this type too


@dataclass
class JupyterLab:
    """A running JupyterLab: ``url`` ends with ``/``; ``api()`` calls its REST API."""

    url: str
    token: str
    root_dir: Path
    runtime_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes]
    #: "lab" (JupyterLab 4) or "notebook" (Notebook 7).
    kind: str = "lab"
    config_dir: Path | None = None

    @property
    def home(self) -> str:
        """The front-end's start page, relative to ``url``."""
        return "lab" if self.kind == "lab" else "tree"

    def notebook_url(self, path: str) -> str:
        """Where the front-end opens a notebook: ``/lab/tree/<path>`` or ``/notebooks/<path>``."""
        return f"{self.url}{'lab/tree' if self.kind == 'lab' else 'notebooks'}/{path}"

    def api(self, path: str, method: str = "GET", body: Any = None, timeout: float = 10) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path.lstrip("/"),
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def wait_for_idle_kernel(self, notebook: str, timeout: float = 60.0) -> dict[str, Any]:
        """Poll ``/api/sessions`` until ``notebook``'s kernel reports ``execution_state ==
        "idle"`` (a kernel that is still starting drops the first execute request's output)."""
        deadline = time.monotonic() + timeout
        seen: Any = None
        while time.monotonic() < deadline:
            sessions = self.api("api/sessions")
            seen = [(s["path"], s["kernel"]["execution_state"]) for s in sessions]
            for session in sessions:
                if session["path"] == notebook and session["kernel"]["execution_state"] == "idle":
                    return session
            time.sleep(0.25)
        raise AssertionError(f"{notebook}: no idle kernel within {timeout:.0f} s; sessions: {seen}")


class Notebook:
    """An open notebook tab."""

    def __init__(self, page: Any, lab: JupyterLab, path: str) -> None:
        self.page = page
        self.lab = lab
        self.path = path

    @classmethod
    def open(cls, context: Any, lab: JupyterLab, path: str) -> Notebook:
        """Open ``path`` in the context's first tab and wait for its kernel to be idle."""
        from playwright.sync_api import expect

        page = context.pages[0] if context.pages else context.new_page()
        page.goto(lab.notebook_url(path))
        notebook = cls(page, lab, path)
        expect(notebook.cells.first).to_be_visible(timeout=60_000)
        lab.wait_for_idle_kernel(path)
        return notebook

    @property
    def cells(self) -> Any:
        return self.page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell")

    def output(self, index: int) -> Any:
        return self.cells.nth(index).locator(".jp-Cell-outputArea")

    def run(self, index: int, timeout: float = 90.0) -> Any:
        """Select cell ``index`` (a click on its prompt: command mode), press Shift+Enter, wait
        until its prompt shows an execution count; returns its output area."""
        cell = self.cells.nth(index)
        prompt = cell.locator(".jp-InputArea-prompt")
        before = prompt.inner_text()
        self.page.bring_to_front()
        cell.locator(".jp-InputPrompt").click()
        self.page.keyboard.press("Shift+Enter")
        deadline = time.monotonic() + timeout
        while True:
            text = prompt.inner_text()
            if EXECUTED.search(text) and text != before:
                break
            assert time.monotonic() < deadline, f"cell {index} still shows {text!r}"
            time.sleep(0.1)
        errors = cell.locator(f'.jp-OutputArea-output[data-mime-type="{STDERR}"]')
        if errors.count() and "Traceback" in errors.first.inner_text():
            raise AssertionError(f"cell {index} raised:\n{errors.first.inner_text()}")
        return self.output(index)

    def save(self) -> dict[str, Any]:
        """Ctrl+S, then the saved notebook as the front-end wrote it (contents API).

        Focus first leaves whatever has it (a widget's text box may stop key events from
        reaching JupyterLab's shortcuts, as ipywidgets' do); if Ctrl+S still saves nothing in
        5 s, File → Save (``docmanager:save``) does it."""
        before = self.lab.api(f"api/contents/{self.path}?content=0")["last_modified"]
        self.page.bring_to_front()
        self.page.evaluate("() => document.activeElement && document.activeElement.blur()")
        self.cells.first.locator(".jp-InputPrompt").click()
        self.page.keyboard.press("Control+s")
        deadline, fallback = time.monotonic() + 20, time.monotonic() + 5
        while self.lab.api(f"api/contents/{self.path}?content=0")["last_modified"] == before:
            assert time.monotonic() < deadline, "the notebook was not saved"
            if fallback and time.monotonic() > fallback:
                self.page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
                fallback = 0
            time.sleep(0.2)
        return self.lab.api(f"api/contents/{self.path}")["content"]

    # -- what a person does besides running one cell --------------------------------------------
    def run_all(self) -> None:
        """Run → Run All Cells, from the menu bar (both front-ends have it)."""
        self.page.bring_to_front()
        self.page.locator("#jp-MainMenu, #jp-menu-panel").get_by_role(
            "menuitem", name="Run", exact=True
        ).first.click()
        self.page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

    def wait_executed(self, index: int, timeout: float = 90.0) -> Any:
        """Wait until cell ``index`` shows an execution count (``[n]``); its output area."""
        prompt = self.cells.nth(index).locator(".jp-InputArea-prompt")
        deadline = time.monotonic() + timeout
        while not EXECUTED.search(text := prompt.inner_text()):
            assert time.monotonic() < deadline, f"cell {index} still shows {text!r}"
            time.sleep(0.1)
        return self.output(index)

    def session(self) -> dict[str, Any]:
        for session in self.lab.api("api/sessions"):
            if session["path"] == self.path:
                return session
        raise AssertionError(f"{self.path}: no session")

    def shut_down_kernel(self) -> None:
        """``DELETE /api/kernels/<id>``: the kernel is gone as after Kernel → Shut Down."""
        kernel = self.session()["kernel"]["id"]
        self.lab.api(f"api/kernels/{kernel}", method="DELETE")
        deadline = time.monotonic() + 20
        while any(k["id"] == kernel for k in self.lab.api("api/kernels")):
            assert time.monotonic() < deadline, "the kernel did not shut down"
            time.sleep(0.2)

    def read_saved(self) -> dict[str, Any]:
        """The .ipynb as it is on disk (what git, GitHub and nbviewer would get)."""
        return json.loads((self.lab.root_dir / self.path).read_text())

    def set_theme(self, theme: str) -> None:
        """Settings → Theme (``apputils:change-theme``, JupyterLab's own command; the servers
        expose ``window.jupyterapp``), then wait until the page shows it."""
        self.page.evaluate(
            "theme => window.jupyterapp.commands.execute('apputils:change-theme', {theme})", theme
        )
        self.page.wait_for_function(
            "theme => document.body.dataset.jpThemeName === theme", arg=theme, timeout=20_000
        )
        self.page.wait_for_timeout(300)  # the theme's stylesheet applies after the attribute
