"""Debian's Chromium, driven by Playwright, for the tiers that need a person's browser
(``tests/browser``, ``tests/hub``). No browser is downloaded: the pip package ships only the
driver, and the tests launch ``/usr/bin/chromium`` (``$NBAUTH_CHROMIUM``)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

CHROMIUM = os.environ.get("NBAUTH_CHROMIUM", "/usr/bin/chromium")
#: As known to work on this machine kind; the background-networking flags keep Chromium from
#: dialling Google's hosts, which a closed network refuses many times over.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextlib.contextmanager
def chromium(missing: Callable[[str, str], None]) -> Iterator[Any]:
    """A launched headless Chromium; ``missing(what, fix)`` is called (and must fail or skip
    the test) when Chromium or Playwright is not there."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        missing(f"Chromium is not at {CHROMIUM}", "apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright Python package is not installed", "pip install -e '.[dev]'")
        raise
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()
