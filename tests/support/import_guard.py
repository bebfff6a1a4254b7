"""A pytest plugin: did collecting (and running) these tests import moto or ``nbauth.sandbox``?

``python -m pytest -p tests.support.import_guard --collect-only tests/unit`` prints one line
per forbidden top module that got imported, with the file that first imported it::

    import-guard: moto imported by tests/conftest.py:18
    import-guard: nbauth.sandbox imported by tests/unit/test_x.py:7

or ``import-guard: clean``. Loaded with ``-p``, it is in place before any conftest is.
"""

from __future__ import annotations

import sys
import traceback
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import Any

import pytest

FORBIDDEN = ("moto", "nbauth.sandbox")
_ROOT = Path(__file__).resolve().parents[2]


def _forbidden(name: str) -> str | None:
    for top in FORBIDDEN:
        if name == top or name.startswith(top + "."):
            return top
    return None


def _importer() -> str:
    """Where the import statement is: the innermost frame outside importlib and this file."""
    for frame in reversed(traceback.extract_stack()):
        if frame.filename.startswith("<") or Path(frame.filename) == Path(__file__):
            continue
        path = Path(frame.filename).resolve()
        shown = path.relative_to(_ROOT) if path.is_relative_to(_ROOT) else path
        return f"{shown}:{frame.lineno}"
    return "?"


class _Recorder(MetaPathFinder):
    """Notes who imports a forbidden module first; finds nothing itself."""

    def __init__(self) -> None:
        self.first: dict[str, str] = {}

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        top = _forbidden(name)
        if top is not None and top not in self.first:
            self.first[top] = _importer()
        return None


_recorder = _Recorder()
sys.meta_path.insert(0, _recorder)


def report() -> list[str]:
    """``import-guard:`` lines for every forbidden module in ``sys.modules`` now."""
    loaded = sorted({top for name in sys.modules if (top := _forbidden(name)) is not None})
    if not loaded:
        return ["import-guard: clean"]
    return [
        f"import-guard: {top} imported by {_recorder.first.get(top, 'an earlier plugin')}"
        for top in loaded
    ]


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    for line in report():
        print(line)
