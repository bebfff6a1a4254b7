"""AST checks over Python source, behind the repository tests (``tests/test_repository.py``).

Each check takes source text (or a tree) and returns what it found, so that it can be tried on
tiny code strings (``tests/test_source_checks.py``) as well as on ``nbauth/``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ATTRIBUTE_FUNCTIONS = ("getattr", "setattr", "hasattr", "delattr")


def module_name(path: Path, root: Path) -> str:
    """``root/nbauth/core/jwt.py`` → ``nbauth.core.jwt``; a package's ``__init__.py`` → the
    package."""
    parts = path.relative_to(root).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _from_base(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module a ``from … import`` statement imports from."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


# -- which imports run when -------------------------------------------------------------------


def is_type_checking(test: ast.expr) -> bool:
    """``TYPE_CHECKING`` or ``typing.TYPE_CHECKING``."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def module_level_statements(tree: ast.Module) -> Iterator[ast.stmt]:
    """The statements that run when the module is imported: everything but function bodies
    and the body of ``if TYPE_CHECKING:`` (its ``else:`` runs). Class bodies, ``try:`` and
    other ``if`` blocks run."""

    def visit(statements: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
        for stmt in statements:
            yield stmt
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if isinstance(stmt, ast.If) and is_type_checking(stmt.test):
                yield from visit(stmt.orelse)
                continue
            for child in ast.iter_child_nodes(stmt):
                if isinstance(child, ast.stmt):
                    yield from visit([child])
                elif isinstance(child, (ast.excepthandler, ast.match_case)):
                    yield from visit(child.body)

    return visit(tree.body)


def imported_names(
    tree: ast.Module, module: str, is_package: bool, *, module_level_only: bool = False
) -> set[str]:
    """Absolute names a module imports: ``import a.b`` gives ``a.b``; ``from p import x``
    gives ``p`` and ``p.x`` (``x`` may be a submodule or a name). Anywhere in the module (in
    functions too), or only what runs on import (``module_level_only``)."""
    nodes = module_level_statements(tree) if module_level_only else ast.walk(tree)
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _from_base(node, module, is_package)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_targets(
    tree: ast.Module, module: str, is_package: bool, known: Iterable[str]
) -> set[str]:
    """The ``known`` modules this module's import-time statements import: ``import a.b`` →
    ``a.b``; ``from p import x`` → ``p.x`` if that is a module, else ``p``."""
    known = set(known)
    targets: set[str] = set()
    for node in module_level_statements(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = _from_base(node, module, is_package)
            for alias in node.names:
                if f"{base}.{alias.name}" in known:
                    targets.add(f"{base}.{alias.name}")
                elif base in known:
                    targets.add(base)
    targets.discard(module)
    return targets


# -- import cycles ----------------------------------------------------------------------------


def import_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """One shortest cycle (``[a, b, a]``) for each group of mutually importing modules."""
    edges = {node: sorted(set(targets) - {node}) for node, targets in graph.items()}
    for targets in list(edges.values()):
        for target in targets:
            edges.setdefault(target, [])
    cycles = []
    for group in _strongly_connected(edges):
        if len(group) > 1:
            start = min(group)
            cycles.append(_shortest_cycle(edges, start, set(group)))
    return sorted(cycles)


def _strongly_connected(edges: Mapping[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                groups.append(sorted(group))
    return groups


def _shortest_cycle(edges: Mapping[str, list[str]], start: str, group: set[str]) -> list[str]:
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in edges[node]:
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if child in group and child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"{start} is in no cycle")  # pragma: no cover


# -- reaching into another module's private names ---------------------------------------------


def is_private(name: str) -> bool:
    """``_x`` and ``__x``, not ``__x__``."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


@dataclass(frozen=True)
class PrivateUse:
    line: int
    name: str  # the private name, e.g. ``_lock``
    code: str  # e.g. ``target._lock``, ``getattr(auth, '_signed_in', None)``


def _is_self(node: ast.expr) -> bool:
    """``self``, ``cls`` or ``super()``."""
    if isinstance(node, ast.Name):
        return node.id in ("self", "cls")
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"
    )


def _attribute_call(node: ast.AST) -> tuple[ast.expr, str] | None:
    """``(obj, "_x")`` for ``getattr(obj, "_x", ...)``, its kin and ``object.__setattr__``."""
    if not isinstance(node, ast.Call) or len(node.args) < 2:
        return None
    func = node.func
    named = isinstance(func, ast.Name) and func.id in ATTRIBUTE_FUNCTIONS
    dunder = isinstance(func, ast.Attribute) and func.attr in ("__setattr__", "__getattribute__")
    name = node.args[1]
    if (named or dunder) and isinstance(name, ast.Constant) and isinstance(name.value, str):
        return node.args[0], name.value
    return None


def owned_private_names(tree: ast.Module) -> set[str]:
    """Private names this module defines: module-level bindings, names bound in its class bodies
    (methods, fields), attributes it sets on ``self``/``cls``, and its ``__slots__``."""
    owned: set[str] = set()

    def bind(target: ast.expr) -> None:
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                owned.add(node.id)

    def scope(body: Iterable[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                owned.add(stmt.name)
            elif isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    bind(target)
            elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
                bind(stmt.target)
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                owned.update((a.asname or a.name).split(".")[0] for a in stmt.names)

    scope(tree.body)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            scope(node.body)
            for stmt in node.body:
                if isinstance(stmt, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "__slots__" for t in stmt.targets
                ):
                    owned.update(
                        n.value
                        for n in ast.walk(stmt.value)
                        if isinstance(n, ast.Constant) and isinstance(n.value, str)
                    )
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            if _is_self(node.value):
                owned.add(node.attr)
        elif (found := _attribute_call(node)) is not None and _is_self(found[0]):
            owned.add(found[1])
    return {name for name in owned if is_private(name)}


def private_uses(source: str) -> list[PrivateUse]:
    """Uses of private names this module does not own (see :func:`owned_private_names`):
    ``obj._x`` (read or write) and ``getattr(obj, "_x")`` where ``obj`` is not ``self``,
    ``cls`` or ``super()``; and every ``from m import _x``."""
    tree = ast.parse(source)
    owned = owned_private_names(tree)
    found: list[PrivateUse] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            if not _is_self(node.value) and node.attr not in owned:
                found.append(PrivateUse(node.lineno, node.attr, ast.unparse(node)))
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if is_private(alias.name):
                    code = f"from {'.' * node.level}{node.module or ''} import {alias.name}"
                    found.append(PrivateUse(node.lineno, alias.name, code))
        elif (call := _attribute_call(node)) is not None:
            obj, name = call
            if is_private(name) and not _is_self(obj) and name not in owned:
                found.append(PrivateUse(node.lineno, name, ast.unparse(node)))
    return sorted(found, key=lambda use: (use.line, use.code))


# -- nbauth/__init__.py: lazy exports -----------------------------------------------------------


@dataclass(frozen=True)
class LazyExports:
    exports: dict[str, str | None]  # ``_EXPORTS``: name → module relative to the package
    all: list[str]  # ``__all__``
    type_checking: dict[str, str | None]  # names imported under ``if TYPE_CHECKING:``


def lazy_exports(source: str, package: str = "nbauth") -> LazyExports:
    """Read ``_EXPORTS``, ``__all__`` and the ``if TYPE_CHECKING:`` imports of ``package``'s
    ``__init__``. ``from .m import x`` (or ``from package.m import x``) counts as ``x → "m"``,
    ``from . import x`` as ``x → None`` (a submodule), as in ``_EXPORTS``."""
    tree = ast.parse(source)
    exports: dict[str, str | None] = {}
    names: list[str] = []
    checking: dict[str, str | None] = {}
    for stmt in tree.body:
        target, value = _assignment(stmt)
        if target == "_EXPORTS" and isinstance(value, ast.Dict):
            exports = {
                ast.literal_eval(k): ast.literal_eval(v)
                for k, v in zip(value.keys, value.values, strict=True)
                if k is not None
            }
        elif target == "__all__" and value is not None:
            names = list(ast.literal_eval(value))
        elif isinstance(stmt, ast.If) and is_type_checking(stmt.test):
            for node in ast.walk(ast.Module(body=stmt.body, type_ignores=[])):
                if not isinstance(node, ast.ImportFrom):
                    continue
                if node.level == 1:
                    module = node.module
                elif node.level == 0 and (node.module or "").split(".")[0] == package:
                    module = node.module.partition(".")[2] or None  # type: ignore[union-attr]
                else:
                    continue
                for alias in node.names:
                    checking[alias.asname or alias.name] = module
    return LazyExports(exports, names, checking)


def _assignment(stmt: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
        return (target.id if isinstance(target, ast.Name) else None), stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return stmt.target.id, stmt.value
    return None, None
