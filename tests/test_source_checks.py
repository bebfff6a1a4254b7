"""The AST checks behind tests/test_repository.py, tried on small examples: each finds what it
should, and nothing in code that keeps the rule."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support.source_checks import (
    import_cycles,
    import_targets,
    imported_names,
    lazy_exports,
    module_name,
    private_uses,
)

ROOT = Path(__file__).resolve().parent.parent


def _src(code: str) -> str:
    return textwrap.dedent(code)


def _codes(code: str) -> list[str]:
    return [use.code for use in private_uses(_src(code))]


# -- private names ------------------------------------------------------------------------------


def test_own_privates_are_fine():
    assert not _codes(
        """
        from dataclasses import dataclass

        _CACHE = {}

        class Engine:
            _shared = None
            __slots__ = ("_slot",)

            def __init__(self):
                self._value = 1
                self.__mangled = 2
                object.__setattr__(self, "_frozen", 3)

            @classmethod
            def make(cls):
                return cls._shared

            def same(self, other):
                # another instance of this module's class: the module owns ``_value``
                return other._value == self._value and getattr(other, "_frozen", None)

            def parent(self):
                return super()._hook()

            def __repr__(self):
                return f"{self.__class__.__name__}({_CACHE!r}, {other.__dict__})"

        @dataclass
        class Token:
            _compact: str

        def check(token: Token, engine: Engine):
            return token._compact, engine._slot, _CACHE
        """
    )


def test_reaching_into_another_objects_privates_is_found():
    assert _codes(
        """
        import argparse
        import nbauth.api as api

        class Magics:
            def __init__(self, auth):
                self._auth = auth

            def run(self, target):
                with target._lock:
                    target._invalidate()
                current = api._default
                signed_in = getattr(self._auth, "_signed_in", None)
                hasattr(target, "_x")
                setattr(target, "_y", 1)
                target._z = 2
                return self._auth._engine, argparse._SubParsersAction
        """
    ) == [
        "target._lock",
        "target._invalidate",
        "api._default",
        "getattr(self._auth, '_signed_in', None)",
        "hasattr(target, '_x')",
        "setattr(target, '_y', 1)",
        "target._z",
        "argparse._SubParsersAction",
        "self._auth._engine",
    ]


def test_importing_a_private_name_is_found_even_if_the_name_is_used_only_here():
    uses = private_uses(_src("from .extension import _config_available\n_config_available()\n"))
    assert [(u.line, u.name, u.code) for u in uses] == [
        (1, "_config_available", "from .extension import _config_available")
    ]


def test_a_private_set_on_self_elsewhere_does_not_excuse_a_different_name():
    assert _codes(
        """
        class A:
            def __init__(self):
                self._mine = 1

            def f(self, other):
                return other._mine, other._theirs
        """
    ) == ["other._theirs"]


def test_dunders_are_not_private():
    assert not _codes("x.__class__\ny.__dict__\ngetattr(z, '__name__')\n")


# -- imports --------------------------------------------------------------------------------------


def _tree(code: str) -> ast.Module:
    return ast.parse(_src(code))


def test_imported_names_resolve_relative_imports():
    code = """
        import os.path
        from . import sibling
        from ..errors import AuthError
        def later():
            from nbauth.notebook import widget
        """
    assert imported_names(_tree(code), "nbauth.oidc.flow", False) == {
        "os.path",
        "nbauth.oidc",
        "nbauth.oidc.sibling",
        "nbauth.errors",
        "nbauth.errors.AuthError",
        "nbauth.notebook",
        "nbauth.notebook.widget",
    }
    # in a package's __init__, "." is the package itself
    assert imported_names(_tree("from .client import X"), "nbauth.oidc", True) == {
        "nbauth.oidc.client",
        "nbauth.oidc.client.X",
    }


def test_module_level_imports_leave_out_functions_and_type_checking():
    code = """
        import typing
        from typing import TYPE_CHECKING
        try:
            import a
        except ImportError:
            import b
        if TYPE_CHECKING:
            import c
        else:
            import d
        if typing.TYPE_CHECKING:
            import e
        class K:
            import f
            def method(self):
                import g
        def function():
            import h
        """
    names = imported_names(_tree(code), "m", False, module_level_only=True)
    assert names == {"typing", "typing.TYPE_CHECKING", "a", "b", "d", "f"}


def test_import_targets_prefer_submodules_and_skip_unknown_modules():
    known = {"p", "p.sub", "p.other", "q"}
    code = "from p import sub, name\nfrom .other import thing\nimport q\nimport os\n"
    assert import_targets(_tree(code), "p.mod", False, known) == {"p.sub", "p", "p.other", "q"}


def test_module_name():
    assert module_name(ROOT / "nbauth" / "core" / "jwt.py", ROOT) == "nbauth.core.jwt"
    assert module_name(ROOT / "nbauth" / "oidc" / "__init__.py", ROOT) == "nbauth.oidc"


# -- cycles ---------------------------------------------------------------------------------------


def test_no_cycles_in_a_tree_of_imports():
    assert import_cycles({"a": ["b", "c"], "b": ["c"], "c": [], "d": ["a"]}) == []


def test_a_self_import_is_not_a_cycle():
    assert import_cycles({"a": ["a", "b"], "b": []}) == []


def test_cycles_are_found_with_a_shortest_path():
    graph = {"a": ["b"], "b": ["c", "a"], "c": ["a"], "x": ["y"], "y": ["z"], "z": ["x"]}
    assert import_cycles(graph) == [["a", "b", "a"], ["x", "y", "z", "x"]]


def test_a_cycle_through_a_package_init_is_found():
    known = {"p", "p.a", "p.b"}
    graph = {
        "p": import_targets(_tree("from .a import A"), "p", True, known),
        "p.a": import_targets(_tree("from . import helper"), "p.a", False, known),
        "p.b": set(),
    }
    assert import_cycles(graph) == [["p", "p.a", "p"]]


# -- lazy exports --------------------------------------------------------------------------------


def test_lazy_exports_are_read_from_the_three_places():
    found = lazy_exports(
        _src(
            """
            from typing import TYPE_CHECKING
            _EXPORTS = {"Auth": "auth", "JWT": "core.jwt", "errors": None}
            __all__ = ["Auth", "JWT", "errors"]
            if TYPE_CHECKING:
                from . import errors
                from .auth import Auth
                from nbauth.core.jwt import JWT
            """
        )
    )
    assert found.exports == {"Auth": "auth", "JWT": "core.jwt", "errors": None}
    assert found.all == ["Auth", "JWT", "errors"]
    assert found.type_checking == {"errors": None, "Auth": "auth", "JWT": "core.jwt"}


# -- the import guard plugin ---------------------------------------------------------------------


def test_the_import_guard_names_the_importing_file(tmp_path: Path):
    (tmp_path / "test_heavy.py").write_text("import moto\n\ndef test_x():\n    pass\n")
    (tmp_path / "test_light.py").write_text("def test_y():\n    pass\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.support.import_guard", "--collect-only",
         "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    guard = [line for line in result.stdout.splitlines() if line.startswith("import-guard:")]
    assert guard == [f"import-guard: moto imported by {tmp_path / 'test_heavy.py'}:1"], (
        result.stdout + result.stderr
    )
