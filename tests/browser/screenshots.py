"""Screenshots from the browser tests.

* On failure: every tab of the test's browser context goes to ``test-artifacts/`` (git-ignored).
* On success, :func:`save_docs_screenshot` keeps one picture for the README in
  ``docs/screenshots/``; it is rewritten only when missing or when ``NBAUTH_UPDATE_SCREENSHOTS=1``
  (its pixels change with every run — a countdown, an identity id — and a test run should not
  leave the work tree modified). A copy always goes to ``test-artifacts/`` to look at.
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
