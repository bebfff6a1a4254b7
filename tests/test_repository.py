"""Repository invariants: style, light imports, layering, clean notebooks, no committed secrets."""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "nbauth"


def test_ruff_is_clean():
    ruff = shutil.which("ruff")
    assert ruff, "ruff is part of the dev extra"
    result = subprocess.run(
        [ruff, "check", "--output-format", "concise", "nbauth", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_nbauth_stays_light():
    code = (
        "import sys, nbauth; "
        "heavy = [m for m in sys.modules if m.split('.')[0] in "
        "('boto3', 'botocore', 'ipywidgets', 'authlib', 'moto', 'IPython', 'joserfc')]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _imports(path: Path) -> set[str]:
    """Absolute names of the nbauth modules ``path`` imports."""
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names.add(prefix)
            names.update(f"{prefix}.{a.name}" for a in node.names)
    return {n for n in names if n.startswith("nbauth")}


def _modules(sub: str) -> list[Path]:
    return sorted((PACKAGE / sub).rglob("*.py")) if sub else sorted(PACKAGE.rglob("*.py"))


def test_core_imports_no_other_nbauth_package():
    for path in _modules("core"):
        bad = {n for n in _imports(path) if not n.startswith(("nbauth.core", "nbauth.errors"))}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_only_the_cli_imports_the_sandbox():
    for path in _modules(""):
        rel = path.relative_to(ROOT)
        if rel.parts[1] in ("sandbox", "cli.py"):
            continue
        assert not {n for n in _imports(path) if n.startswith("nbauth.sandbox")}, rel


def test_sandbox_imports_nothing_else_from_nbauth():
    for path in _modules("sandbox"):
        bad = {n for n in _imports(path) if not n.startswith("nbauth.sandbox")}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def _tracked(pattern: str) -> list[Path]:
    out = subprocess.run(["git", "ls-files", pattern], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    return [ROOT / line for line in out.stdout.splitlines() if line]


def test_committed_notebooks_are_clean():
    notebooks = _tracked("*.ipynb")
    for path in notebooks:
        nb = json.loads(path.read_text())
        assert "widgets" not in nb.get("metadata", {}), f"{path.name}: widget state saved"
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell.get("outputs") == [], f"{path.name}: outputs not cleared"
                assert cell.get("execution_count") is None, f"{path.name}: execution counts"


def test_no_token_or_key_shaped_strings_are_committed():
    jwt = re.compile(r"eyJ[A-Za-z0-9_-]{20,}\.eyJ[A-Za-z0-9_-]{20,}\.")
    key = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")
    for path in _tracked("*"):
        rel = path.relative_to(ROOT)
        if not path.is_file() or path.suffix in (".png", ".gz") or rel.parts[0] == "tests":
            continue  # tests build fake, key-shaped values on purpose
        text = path.read_text(errors="replace")
        assert not jwt.search(text), f"JWT-shaped string in {rel}"
        assert not key.search(text), f"AWS key-shaped string in {rel}"
