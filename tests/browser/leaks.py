"""Scanning a saved notebook for secrets, as issue 12 asks: with "Save Widget State
Automatically" on, the .ipynb on disk (``metadata.widgets`` and every output) must hold none of
the secrets of the step the widget was in — a typed password, a device user code and its
verification link, a TOTP secret, tokens, AWS keys.

Secrets are looked for verbatim and in the shapes a front-end may store them in: JSON-escaped
(``/`` as ``\\/``), URL-encoded, the TOTP key grouped by four, the user code without its dash.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+")
AWS_KEY = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")
#: The widget-state key JupyterLab and Notebook 7 write into ``metadata.widgets``.
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def shapes(secret: str) -> set[str]:
    """``secret`` and the ways it may be written down."""
    found = {secret, quote(secret, safe=""), json.dumps(secret)[1:-1]}
    compact = re.sub(r"[\s-]", "", secret)
    if len(compact) >= 6:
        found.add(compact)
        found.add(" ".join(compact[i : i + 4] for i in range(0, len(compact), 4)))
    return {s for s in found if len(s) >= 6}


def scan(path: Path, secrets: Iterable[str]) -> list[str]:
    """Where (by name, never the value) any of ``secrets`` — or a JWT or AWS key id — shows
    up in the notebook file at ``path``. Empty when the file is clean."""
    text = path.read_text()
    notebook = json.loads(text)
    places = {"file": text}
    places["metadata.widgets"] = json.dumps(notebook.get("metadata", {}).get("widgets", {}))
    for n, cell in enumerate(notebook["cells"]):
        places[f"cell {n} outputs"] = json.dumps(cell.get("outputs", []))
        places[f"cell {n} metadata"] = json.dumps(cell.get("metadata", {}))
    hits = []
    for number, secret in enumerate(s for s in secrets if s):
        for shape in shapes(secret):
            hits += [f"secret #{number} in {where}" for where, t in places.items() if shape in t]
    for name, pattern in (("a JWT", JWT), ("an AWS access key id", AWS_KEY)):
        hits += [f"{name} in {where}" for where, t in places.items() if pattern.search(t)]
    return sorted(set(hits))


def widget_models(notebook: dict[str, Any]) -> dict[str, Any]:
    """The saved widget models (``metadata.widgets``), to show the save did write state."""
    return notebook.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
