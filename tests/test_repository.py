"""Repository invariants: style, light imports, layering, no reach-ins or import cycles, module
size, the lazy exports, a unit tier without the sandbox, clean notebooks, no committed secrets.

The AST checks live in ``tests/support/source_checks.py`` (tried on small examples in
``tests/test_source_checks.py``)."""

from __future__ import annotations

import ast
import importlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.source_checks import (
    import_cycles,
    import_targets,
    imported_names,
    lazy_exports,
    module_name,
    private_uses,
)

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


# -- layering ------------------------------------------------------------------------------------

#: Flows: sign-in protocols, token and credential plumbing. The notebook layer builds on them,
#: never the other way round.
FLOW_PACKAGES = ("oidc", "cognito", "aws", "core")
#: The notebook layer: nbauth's own, and the IPython/Jupyter stack under it (``jupyter_core``
#: too: where Jupyter keeps its runtime files is the notebook layer's business).
NOTEBOOK_STACK = (
    "IPython",
    "ipywidgets",
    "ipykernel",
    "jupyter_server",
    "jupyter_core",
    "jupyter_client",
    "traitlets",
    "tornado",
    "comm",
    "nbformat",
)
MAX_LINES = 400


def _modules(sub: str = "") -> list[Path]:
    return sorted((PACKAGE / sub).rglob("*.py")) if sub else sorted(PACKAGE.rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _is_nbauth(name: str, package: str = "nbauth") -> bool:
    return name == package or name.startswith(package + ".")


def _imports(path: Path, *, module_level_only: bool = False) -> set[str]:
    """Absolute names of everything ``path`` imports (anywhere in it, unless
    ``module_level_only``); see ``tests.support.source_checks.imported_names``."""
    return imported_names(
        ast.parse(path.read_text()),
        module_name(path, ROOT),
        path.name == "__init__.py",
        module_level_only=module_level_only,
    )


def _nbauth_imports(path: Path) -> set[str]:
    return {n for n in _imports(path) if _is_nbauth(n)}


def _offenders(found: dict[str, object]) -> str:
    return "\n".join(f"  {where}: {what}" for where, what in sorted(found.items()))


def test_core_imports_no_other_nbauth_package():
    found = {}
    for path in _modules("core"):
        bad = {
            n
            for n in _nbauth_imports(path)
            if not (_is_nbauth(n, "nbauth.core") or _is_nbauth(n, "nbauth.errors") or n == "nbauth")
        }
        if bad:
            found[_rel(path)] = sorted(bad)
    assert not found, f"core/ may import only nbauth.core and nbauth.errors:\n{_offenders(found)}"


def test_flows_never_import_the_notebook_layer():
    """Not at the top, not in a function: a flow must run without IPython or Jupyter."""
    found = {}
    for sub in FLOW_PACKAGES:
        for path in _modules(sub):
            bad = {
                n
                for n in _imports(path)
                if _is_nbauth(n, "nbauth.notebook") or n.split(".")[0] in NOTEBOOK_STACK
            }
            if bad:
                found[_rel(path)] = sorted(bad)
    assert not found, (
        f"{', '.join(p + '/' for p in FLOW_PACKAGES)} must not import nbauth.notebook or "
        f"{', '.join(NOTEBOOK_STACK)}:\n{_offenders(found)}"
    )


def test_only_the_cli_imports_the_sandbox():
    found = {}
    for path in _modules():
        rel = path.relative_to(ROOT)
        if rel.parts[1] in ("sandbox", "cli.py"):
            continue
        bad = {n for n in _nbauth_imports(path) if _is_nbauth(n, "nbauth.sandbox")}
        if bad:
            found[_rel(path)] = sorted(bad)
    assert not found, f"only nbauth/cli.py may import the sandbox:\n{_offenders(found)}"


def test_sandbox_imports_nothing_else_from_nbauth():
    found = {}
    for path in _modules("sandbox"):
        bad = {n for n in _nbauth_imports(path) if not _is_nbauth(n, "nbauth.sandbox")}
        if bad:
            found[_rel(path)] = sorted(bad)
    assert not found, f"the sandbox stands alone:\n{_offenders(found)}"


def test_no_import_cycles():
    """Among nbauth modules, counting the imports that run on import (not those in functions
    or under ``if TYPE_CHECKING:``); ``from p import x`` imports ``p.x`` if that is a module."""
    paths = {module_name(path, ROOT): path for path in _modules()}
    graph = {
        name: import_targets(ast.parse(path.read_text()), name, path.name == "__init__.py", paths)
        for name, path in paths.items()
    }
    assert sum(map(len, graph.values())) > len(graph) // 2, "the import graph looks empty"
    cycles = import_cycles(graph)
    assert not cycles, f"{len(cycles)} import cycle(s):\n" + "\n".join(
        "  " + " -> ".join(cycle) for cycle in cycles
    )


def test_no_module_outside_the_sandbox_is_over_400_lines():
    found = {}
    for path in _modules():
        lines = len(path.read_text().splitlines())
        if lines > MAX_LINES and path.relative_to(PACKAGE).parts[0] != "sandbox":
            found[_rel(path)] = f"{lines} lines"
    assert not found, f"{len(found)} module(s) over {MAX_LINES} lines:\n{_offenders(found)}"


# -- privates ---------------------------------------------------------------------------------

#: Underscored names that are public by contract, whoever the object belongs to.
PUBLIC_UNDERSCORED = {
    **dict.fromkeys(
        ("_replace", "_asdict", "_fields", "_make", "_field_defaults"),
        "namedtuple's documented API (the underscore only avoids clashing with field names)",
    ),
}
#: Uses of a third party's private names, pinned: (file, code) → why.
THIRD_PARTY_PRIVATES = {
    ("nbauth/sandbox/user_pool/users.py", "pool._get_user"): (
        "moto's CognitoIdpUserPool._get_user: the sandbox's strict user pool is built on moto's "
        "models, and pyproject pins moto to the tested 5.2 range"
    ),
    ("nbauth/net/bounded_http.py", "response._content"): (
        "requests.Response caches a body it has read in _content (its own content property and "
        "requests' adapters set it so); the bounded adapter reads the body itself to cap it"
    ),
    ("nbauth/net/bounded_http.py", "response._content_consumed"): (
        "set with _content, as requests does when it has read the whole body"
    ),
}


def test_no_module_reaches_into_another_modules_private_names():
    """``obj._x``, ``getattr(obj, "_x")`` (and setattr/hasattr/delattr) where ``obj`` is not
    ``self``/``cls``/``super()`` and ``_x`` is not defined in the same module; and every
    ``from m import _x``. The sandbox is checked too: its one reach into moto is listed in
    ``THIRD_PARTY_PRIVATES``."""
    found: list[str] = []
    allowed_seen = set()
    for path in _modules():
        rel = _rel(path)
        for use in private_uses(path.read_text()):
            if use.name in PUBLIC_UNDERSCORED:
                continue
            if (rel, use.code) in THIRD_PARTY_PRIVATES:
                allowed_seen.add((rel, use.code))
                continue
            found.append(f"  {rel}:{use.line}: {use.code}")
    stale = set(THIRD_PARTY_PRIVATES) - allowed_seen
    assert not stale, f"THIRD_PARTY_PRIVATES lists uses that are gone: {sorted(stale)}"
    files = len({line.split(":")[0] for line in found})
    assert not found, (
        f"{len(found)} use(s) of another module's private names in {files} file(s) "
        "(make the name public, or add a public method):\n" + "\n".join(found)
    )


# -- nbauth/__init__.py -------------------------------------------------------------------------


def test_lazy_exports_all_and_type_checking_imports_agree():
    """The same names in ``_EXPORTS``, ``__all__`` and ``if TYPE_CHECKING:``, from the same
    modules (a submodule, ``"errors": None``, is ``from . import errors`` there)."""
    found = lazy_exports((PACKAGE / "__init__.py").read_text())
    exports, names, checking = found.exports, found.all, found.type_checking
    assert exports, "no _EXPORTS dict found in nbauth/__init__.py"
    problems = []
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        problems.append(f"listed twice in __all__: {duplicates}")
    for what, other in (("__all__", set(names)), ("TYPE_CHECKING imports", set(checking))):
        if missing := sorted(set(exports) - other):
            problems.append(f"in _EXPORTS, not in {what}: {missing}")
        if extra := sorted(other - set(exports)):
            problems.append(f"in {what}, not in _EXPORTS: {extra}")
    for name in sorted(set(exports) & set(checking)):
        if exports[name] != checking[name]:
            problems.append(
                f"{name}: _EXPORTS says {exports[name]!r}, TYPE_CHECKING imports it from "
                f"{checking[name]!r}"
            )
    assert not problems, "nbauth/__init__.py:\n" + "\n".join(f"  {p}" for p in problems)


def test_every_lazy_export_resolves():
    import nbauth

    exports = lazy_exports((PACKAGE / "__init__.py").read_text()).exports
    problems = []
    for name, module in sorted(exports.items()):
        target = f"nbauth.{name}" if module is None else f"nbauth.{module}"
        try:
            imported = importlib.import_module(target)
            expected = imported if module is None else getattr(imported, name)
            value = getattr(nbauth, name)
        except Exception as exc:
            problems.append(f"  {name} ({target}): {type(exc).__name__}: {exc}")
            continue
        if value is not expected:
            problems.append(f"  {name}: nbauth.{name} is not {target}.{name}")
    assert not problems, "lazy exports that do not resolve:\n" + "\n".join(problems)


# -- the test tree ------------------------------------------------------------------------------

FORBIDDEN_IN_UNIT = ("moto", "nbauth.sandbox", "tests.support.sandbox_fixtures")


def test_unit_tests_never_import_moto_or_the_sandbox():
    """Anywhere in a unit test module, functions included (collection alone would miss those)."""
    found = {}
    for path in sorted((ROOT / "tests" / "unit").rglob("*.py")):
        bad = {n for n in _imports(path) if any(_is_nbauth(n, f) for f in FORBIDDEN_IN_UNIT)}
        if bad:
            found[_rel(path)] = sorted(bad)
    assert not found, f"tests/unit must not use the sandbox:\n{_offenders(found)}"


def test_collecting_the_unit_tier_imports_neither_moto_nor_the_sandbox():
    """Conftests, support modules and test modules as pytest loads them for ``tests/unit``."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.support.import_guard", "--collect-only",
         "-q", "-p", "no:cacheprovider", "tests/unit"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    guard = [line for line in result.stdout.splitlines() if line.startswith("import-guard:")]
    assert guard, f"the import guard did not report:\n{result.stdout[-3000:]}{result.stderr}"
    assert guard == ["import-guard: clean"], "\n".join(guard)


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


# -- the newcomer's path: README, docs/index.md, LICENSE, .ci/run -------------------------------


def _section(text: str, heading: str) -> str:
    """From ``heading`` to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    start = text.index(heading + "\n") + len(heading) + 1
    ends = [m.start() for m in re.finditer(rf"^#{{1,{len(level)}}} ", text[start:], re.M)]
    return text[start : start + ends[0]] if ends else text[start:]


def _bash_blocks(text: str) -> list[str]:
    return [b.strip() for b in re.findall(r"^```bash\n(.*?)^```", text, re.M | re.S)]


VENV = "python3 -m venv .venv && . .venv/bin/activate && "


def test_quick_start_is_two_commands_that_make_their_own_venv():
    """A fresh machine's system Python may refuse ``pip install`` (PEP 668): each command makes
    and uses ``.venv``. One runs the demo on the sandbox, one the tests; the Jupyter command
    opens the notebook section. (``tests/test_readme_commands.py`` checks that ``.ci/run`` runs
    the test command.)"""
    readme = (ROOT / "README.md").read_text()
    quick = _section(readme, "## Quick start (two commands on a fresh machine)")
    commands = _bash_blocks(quick)
    assert len(commands) == 2, commands
    demo, tests = commands
    for command in commands:
        assert command.startswith(VENV) and "\n" not in command, command
        assert "python -m pip install -e '.[" in command and "sudo" not in command
    assert demo.endswith("python -m nbauth demo") and "'.[sandbox]'" in demo
    assert tests.endswith("python -m pytest") and "'.[dev]'" in tests
    jupyter = _bash_blocks(_section(readme, "## In a notebook"))
    assert len(jupyter) == 1 and jupyter[0].startswith(VENV), jupyter
    assert "[notebook" in jupyter[0] and "nbauth jupyter-setup" in jupyter[0]
    assert "docs/index.md" in readme


def test_a_venv_in_the_checkout_is_ignored():
    """The Quick start makes ``.venv`` here: git, ruff (it reads .gitignore) and pytest (it skips
    dot-directories; testpaths is ``tests``) leave it alone; so is a written configuration."""
    for path in (".venv/lib/x.py", "amplify_outputs.json"):
        one = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, capture_output=True)
        if one.returncode == 128:
            pytest.skip("not a git checkout")
        assert one.returncode == 0, f"{path} is not gitignored"


def test_docs_index_links_every_document_and_notebook():
    index = ROOT / "docs" / "index.md"
    text = index.read_text()
    links = set(re.findall(r"\]\(([^)#]+)\)", text))
    for link in links:
        assert (index.parent / link).exists(), f"docs/index.md: {link} does not exist"
    expected = {p.name for p in (ROOT / "docs").glob("*.md") if p.name != "index.md"}
    expected |= {f"../notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")}
    missing = sorted(expected - links)
    assert not missing, f"docs/index.md does not link: {missing}"
    for line in text.splitlines():  # one line each saying what it is for
        if re.match(r"- \[[^]]+\]\([^)]+\)$", line.strip()):
            pytest.fail(f"docs/index.md: a link without a word on what it is for: {line}")


WORDS_ONLY_INSIDERS_KNOW = re.compile(
    r"\bthe seed\b|\bseed's\b|\bmain job\b|\bissue \d+|\bround \d+|\binvariant \d+", re.I
)


def test_readme_and_docs_speak_to_a_reader_who_saw_no_internal_document():
    found = {}
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if WORDS_ONLY_INSIDERS_KNOW.search(line):
                found[f"{_rel(path)}:{number}"] = line.strip()
    assert not found, f"internal words:\n{_offenders(found)}"


def test_license_is_apache_2_and_pyproject_names_it():
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License\n                           Version 2.0")
    assert "END OF TERMS AND CONDITIONS" in text
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]
