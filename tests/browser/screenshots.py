"""Screenshots from the browser tests.

* On failure: every tab of the test's browser context goes to ``test-artifacts/`` (git-ignored).
* On success, :func:`save_docs_screenshot` keeps one picture for the README in
  ``docs/screenshots/``; it is rewritten only when missing or when ``NBAUTH_UPDATE_SCREENSHOTS=1``
  (its pixels change with every run — a countdown, an identity id — and a test run should not
  leave the work tree modified). A copy always goes to ``test-artifacts/`` to look at.
* The widget gallery (docs/widget.md): :func:`save_widget_state` takes each state of the
  LoginWidget in the light and the dark theme under the same rule (once per run, by the first
  front-end that reaches the state).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DOCS = ROOT / "docs" / "screenshots"


def save_pages(pages: Sequence[Any], stem: Path) -> list[Path]:
    """``<stem>.png`` for the first page, ``<stem>-<n>.png`` for the others; best effort."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    saved = []
    for n, page in enumerate(pages):
        path = stem.with_name(f"{stem.name}{'' if n == 0 else f'-{n}'}.png")
        with contextlib.suppress(Exception):  # a crashed page must not hide the real failure
            page.screenshot(path=str(path), full_page=True, timeout=10_000)
            saved.append(path)
    return saved


def save_docs_screenshot(locator: Any, name: str) -> Path:
    """Screenshot one element (small: only what the README shows) into ``test-artifacts/``,
    and into ``docs/screenshots/<name>`` when that is missing or updates are asked for."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    artifact = ARTIFACTS / name
    locator.screenshot(path=str(artifact), animations="disabled", caret="hide")
    target = DOCS / name
    if not target.exists() or os.environ.get("NBAUTH_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(artifact, target)
    return artifact


#: The widget's states in the gallery (docs/widget.md), in its order.
WIDGET_STATES = (
    "signed-out",
    "device-code",
    "oauth-waiting",
    "user-pool-form",
    "totp-setup",
    "error-details",
    "signed-in",
    "kernel-lost",
)
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}


#: Gallery pictures taken in this run: the first front-end to reach a state takes it
#: (JupyterLab's tests run first; Notebook 7 fills in a state JupyterLab did not reach).
_TAKEN: set[str] = set()


def widget_screenshots_wanted(state: str) -> bool:
    """Pictures are taken when ``NBAUTH_UPDATE_SCREENSHOTS=1`` or one is missing, once per
    run — so an ordinary run (CI) spends no time switching themes."""
    if state in _TAKEN:
        return False
    if os.environ.get("NBAUTH_UPDATE_SCREENSHOTS") == "1":
        return True
    return any(not (DOCS / f"widget-{state}-{theme}.png").exists() for theme in THEMES)


def save_widget_state(notebook: Any, widget: Any, state: str) -> list[Path]:
    """``docs/screenshots/widget-<state>-light.png`` and ``-dark.png``: element screenshots of
    the widget, the dark one after Settings → Theme → JupyterLab Dark (and back)."""
    assert state in WIDGET_STATES, state
    if not widget_screenshots_wanted(state):
        return []
    _TAKEN.add(state)
    notebook.page.mouse.move(0, 0)  # no hover styles
    saved = []
    for theme, name in THEMES.items():
        notebook.set_theme(name)
        saved.append(save_docs_screenshot_always(widget, f"widget-{state}-{theme}.png"))
    notebook.set_theme(THEMES["light"])
    return saved


def save_docs_screenshot_always(locator: Any, name: str) -> Path:
    """As :func:`save_docs_screenshot`, written to ``docs/screenshots/`` every time."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    DOCS.mkdir(parents=True, exist_ok=True)
    artifact = ARTIFACTS / name
    locator.screenshot(path=str(artifact), animations="disabled", caret="hide")
    shutil.copyfile(artifact, DOCS / name)
    return DOCS / name
