"""``nbauth jupyter-setup``: enable nbauth's Jupyter server extension, also for editable installs.

A wheel install of nbauth puts ``etc/jupyter/jupyter_server_config.d/nbauth.json`` into the
environment (pyproject's data files), and Jupyter loads the extension from it. An editable
install (``pip install -e .``) installs no data files, and ``jupyter server extension enable``
refuses a module no configuration names yet — so this command writes that same file:

* default: ``<sys.prefix>/etc/jupyter/jupyter_server_config.d/nbauth.json``, the environment
  this ``nbauth`` runs in (the place ``--sys-prefix`` means to Jupyter, and where a wheel puts it);
* ``--user``: the user's Jupyter configuration directory (``$JUPYTER_CONFIG_DIR``, else
  ``~/.jupyter``);
* ``--config-dir DIR``: any Jupyter configuration directory.

``--disable`` writes the file with the extension switched off. ``jupyter server extension list``
shows the result; Jupyter must be restarted to load it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from .common import OK, USAGE, err

__all__ = ["EXTENSION", "add_jupyter_setup", "config_file", "jupyter_setup"]

#: The module Jupyter loads (``_jupyter_server_extension_points`` lives there).
EXTENSION = "nbauth.notebook.server_extension"
FILE_NAME = "nbauth.json"


def _user_config_dir() -> Path:
    configured = os.environ.get("JUPYTER_CONFIG_DIR")
    return Path(configured).expanduser() if configured else Path.home() / ".jupyter"


def config_file(args: argparse.Namespace) -> Path:
    """Where ``args`` asks the extension's configuration file to go."""
    if args.config_dir:
        directory = Path(args.config_dir).expanduser()
    elif args.user:
        directory = _user_config_dir()
    else:
        directory = Path(sys.prefix) / "etc" / "jupyter"
    return directory / "jupyter_server_config.d" / FILE_NAME


def jupyter_setup(args: argparse.Namespace) -> int:
    target = config_file(args)
    enabled = not args.disable
    content = {"ServerApp": {"jpserver_extensions": {EXTENSION: enabled}}}
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:
        err(f"cannot write {target}: {exc.strerror or exc}", "Use --user or --config-dir DIR.")
        return USAGE
    state = "enabled" if enabled else "disabled"
    print(f"nbauth's Jupyter server extension is {state} in {target}")
    print("Restart Jupyter to load it (jupyter server extension list shows it).")
    return OK


def add_jupyter_setup(sub: Any) -> None:
    """Add ``jupyter-setup`` to ``sub`` (the ``add_subparsers()`` of ``nbauth``)."""
    p = sub.add_parser(
        "jupyter-setup",
        help="enable nbauth's Jupyter server extension (also for editable installs)",
        description="Enable the Jupyter server extension behind sign-in through Jupyter "
        "(%nbauth login --jupyter): write jupyter_server_config.d/nbauth.json into this "
        "environment's Jupyter configuration (sys.prefix), as a wheel install does. Restart "
        "Jupyter afterwards.",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--sys-prefix",
        action="store_true",
        help=f"this environment's configuration, {sys.prefix}/etc/jupyter (the default)",
    )
    where.add_argument(
        "--user",
        action="store_true",
        help="the user's configuration ($JUPYTER_CONFIG_DIR, else ~/.jupyter)",
    )
    where.add_argument("--config-dir", metavar="DIR", help="this Jupyter configuration directory")
    p.add_argument("--disable", action="store_true", help="switch the extension off instead")
    p.set_defaults(handler=jupyter_setup)
