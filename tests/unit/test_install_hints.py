"""Install hints say the command that works where nbauth is installed: a release from the
package index, or the source checkout of an editable install (nbauth/core/install_hints.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from nbauth.core import install_hints
from nbauth.core.install_hints import install_hint_for, pip_install_hint, source_checkout

EDITABLE = json.dumps({"url": "file:///home/ada/src/nbauth", "dir_info": {"editable": True}})


def test_a_normal_install_gets_the_package_index_command():
    assert install_hint_for("notebook", None) == "pip install 'nbauth[notebook]'"
    from_index = json.dumps({"url": "https://files.example/nbauth.whl", "archive_info": {}})
    assert install_hint_for("notebook", from_index) == "pip install 'nbauth[notebook]'"


def test_an_editable_install_gets_its_checkout():
    assert (
        install_hint_for("notebook", EDITABLE) == "pip install -e '/home/ada/src/nbauth[notebook]'"
    )
    assert source_checkout(EDITABLE) == "/home/ada/src/nbauth"


@pytest.mark.parametrize(
    "direct_url",
    [
        "",
        "not json",
        "[]",
        json.dumps({"url": "file:///src/nbauth", "dir_info": {}}),  # a local, non-editable install
        json.dumps({"url": "file:///src/nbauth", "dir_info": {"editable": "yes"}}),
        json.dumps({"url": "https://example.com/nbauth", "dir_info": {"editable": True}}),
        json.dumps({"dir_info": {"editable": True}}),
    ],
)
def test_anything_else_is_a_normal_install(direct_url):
    assert source_checkout(direct_url) is None
    assert install_hint_for("sandbox", direct_url) == "pip install 'nbauth[sandbox]'"


def test_paths_are_quoted_for_the_shell():
    url = json.dumps({"url": "file:///home/a%20b/it's", "dir_info": {"editable": True}})
    hint = install_hint_for("notebook", url)
    assert hint == """pip install -e '/home/a b/it'"'"'s[notebook]'"""


def test_the_installed_metadata_decides(monkeypatch):
    monkeypatch.setattr(install_hints, "_direct_url", lambda: EDITABLE)
    assert pip_install_hint("keyring") == "pip install -e '/home/ada/src/nbauth[keyring]'"
    monkeypatch.setattr(install_hints, "_direct_url", lambda: None)
    assert pip_install_hint("keyring") == "pip install 'nbauth[keyring]'"


def test_this_checkout_is_recognised():
    """The test environment installs nbauth editable from this checkout (pip install -e); run
    from the checkout, the build's ``nbauth.egg-info`` there (no ``direct_url.json``) is the
    first distribution found, and must not hide the installed one."""
    from pathlib import Path

    direct_url = install_hints._direct_url()
    checkout = source_checkout(direct_url)
    if checkout is None:
        pytest.skip("nbauth is not installed editable here")
    import nbauth

    assert Path(nbauth.__file__).resolve().is_relative_to(Path(checkout).resolve())
    assert pip_install_hint("notebook") == install_hint_for("notebook", direct_url)


def test_a_missing_notebook_extra_says_how_to_install_it():
    """nbauth.LoginWidget without anywidget: a ModuleNotFoundError carrying the install hint."""
    code = textwrap.dedent(
        """
        import sys
        sys.modules["anywidget"] = None  # as if the notebook extra were not installed
        import nbauth
        from nbauth.core.install_hints import pip_install_hint
        try:
            nbauth.LoginWidget
        except ModuleNotFoundError as exc:
            print(exc.name)
            print(exc)
            print(pip_install_hint("notebook"))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    name, message, hint = result.stdout.strip().splitlines()
    assert name == "anywidget"
    assert message.startswith("nbauth.LoginWidget needs nbauth's notebook extra (anywidget")
    assert message.endswith(hint) and "pip install" in hint and "[notebook]" in hint


def test_other_import_errors_are_left_alone():
    """A missing module of nbauth itself, or outside the notebook layer, is not the extra's."""
    code = textwrap.dedent(
        """
        import sys
        sys.modules["nbauth.notebook.display"] = None
        import nbauth
        try:
            nbauth.load_ipython_extension
        except ModuleNotFoundError as exc:
            print(exc.name, "|", exc)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.startswith("nbauth.notebook.display |")
    assert "notebook extra" not in result.stdout
