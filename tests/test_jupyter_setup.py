"""``nbauth jupyter-setup`` enables the Jupyter server extension where an editable install put no
data files: after it, ``jupyter server extension list`` (run against a fresh configuration
directory) shows ``nbauth.notebook.server_extension`` enabled and valid."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nbauth.cli_commands.jupyter_setup import EXTENSION, config_file

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _nbauth(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nbauth", "jupyter-setup", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _extension_list(env: dict[str, str]) -> str:
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent)) or shutil.which(
        "jupyter"
    )
    if jupyter is None:
        pytest.skip("jupyter is not installed (the notebook extra brings jupyter-server)")
    result = subprocess.run(
        [jupyter, "server", "extension", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return ANSI.sub("", result.stdout + result.stderr)


def _state(listing: str) -> str | None:
    """``enabled``/``disabled`` as the listing shows the extension (the last mention wins)."""
    found = re.findall(rf"^\s*{re.escape(EXTENSION)}\s+(enabled|disabled)\s*$", listing, re.M)
    return found[-1] if found else None


@pytest.fixture
def fresh_jupyter(tmp_path):
    """A fresh user configuration directory (the highest-priority one Jupyter reads)."""
    config_dir = tmp_path / "jupyter-config"
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config_dir), HOME=str(tmp_path))
    return config_dir, env


def test_jupyter_setup_enables_the_server_extension(fresh_jupyter):
    config_dir, env = fresh_jupyter
    result = _nbauth("--user", env=env)
    assert result.returncode == 0, result.stderr
    written = config_dir / "jupyter_server_config.d" / "nbauth.json"
    assert str(written) in result.stdout
    assert json.loads(written.read_text()) == {
        "ServerApp": {"jpserver_extensions": {EXTENSION: True}}
    }
    listing = _extension_list(env)
    assert _state(listing) == "enabled", listing
    assert re.search(rf"{re.escape(EXTENSION)}\s.*OK", listing), listing  # Jupyter can load it

    assert _nbauth("--config-dir", str(config_dir), "--disable", env=env).returncode == 0
    assert _state(_extension_list(env)) == "disabled"


def test_the_default_is_this_environment_like_a_wheel_install():
    """The file a wheel install puts under sys.prefix (pyproject's data files), same content."""
    args = argparse.Namespace(config_dir=None, user=False, sys_prefix=False, disable=False)
    target = config_file(args)
    assert target == Path(sys.prefix) / "etc/jupyter/jupyter_server_config.d/nbauth.json"
    shipped = Path(__file__).resolve().parents[1] / "jupyter-config/jupyter_server_config.d"
    assert json.loads((shipped / "nbauth.json").read_text()) == {
        "ServerApp": {"jpserver_extensions": {EXTENSION: True}}
    }


def test_an_unwritable_place_is_a_usage_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = _nbauth("--config-dir", str(blocker / "sub"), env=dict(os.environ))
    assert result.returncode == 2
    assert result.stderr.startswith("nbauth: cannot write ")
    assert "Traceback" not in result.stderr
