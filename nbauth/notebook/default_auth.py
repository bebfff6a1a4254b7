"""The default :class:`~nbauth.Auth` as the notebook layer sees it, without paying for it.

``%load_ext nbauth`` runs before anyone configured nbauth, and its event handlers run on every
cell. Importing :mod:`nbauth.api` (and with it the Auth facade, config, storage and the refresh
engine) just to learn that there is no default Auth would cost the extension most of its start
(see ``benchmarks/bench_load_ext.py``). The default Auth lives in :mod:`nbauth.api`, so while
nothing has imported that module there is none: :func:`configured_auth` looks only then.

Example::

    auth = configured_auth()          # None until nbauth.configure() or a first call
    if auth is None and config_available():
        auth = current_auth()         # configures from $NBAUTH_CONFIG / ./amplify_outputs.json
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from ..auth import Auth
    from ..errors import ConfigurationError

__all__ = [
    "HUB_ENV",
    "config_available",
    "configured_auth",
    "current_auth",
    "hub_sign_in",
    "not_configured",
]

#: ``NBAUTH_JUPYTERHUB=0`` keeps ``%load_ext nbauth`` from signing in through JupyterHub.
HUB_ENV = "NBAUTH_JUPYTERHUB"
_HUB_VARIABLES = ("JUPYTERHUB_API_URL", "JUPYTERHUB_API_TOKEN", "JUPYTERHUB_USER")


def configured_auth() -> Auth | None:
    """The default Auth if one was made (``nbauth.configure()`` or a first call); never
    makes one, and never imports :mod:`nbauth.api` to find out."""
    api = sys.modules.get("nbauth.api")
    read = getattr(api, "configured_auth", None)  # None while nbauth.api is still importing
    return cast("Auth | None", read()) if read is not None else None


def current_auth() -> Auth:
    """The default Auth, configured from the environment if there is none yet (raises
    :class:`~nbauth.errors.ConfigurationError` without a configuration)."""
    from ..api import current_auth as default  # the heavy import, only when one is needed

    return default()


def config_available() -> bool:
    """Whether a configuration can be found: ``$NBAUTH_CONFIG`` or ``./amplify_outputs.json``."""
    return bool(os.environ.get("NBAUTH_CONFIG")) or Path("amplify_outputs.json").is_file()


def not_configured() -> ConfigurationError:
    """The error a command that needs a configuration raises when there is none."""
    from ..errors import ConfigurationError

    return ConfigurationError(
        "nbauth is not configured: no nbauth.configure() call, $NBAUTH_CONFIG is unset and "
        "there is no ./amplify_outputs.json.",
        "Run %nbauth config path/to/amplify_outputs.json, or nbauth.configure(...) in a cell.",
    )


def hub_sign_in() -> tuple[bool, str] | None:
    """Under JupyterHub, make the default Auth sign in with the hub's ``auth_state``.

    ``None`` when it does not apply (not a single-user server, ``$NBAUTH_JUPYTERHUB=0``, an Auth
    already configured, or no configuration to make one from: nothing is read then). Otherwise
    one request to the hub's API: ``(True, "Signed in through JupyterHub as <name>.")`` with
    the default Auth configured from the environment and a
    :class:`~nbauth.integrations.jupyterhub.HubTokenProvider`, or ``(False, <why not>)`` and
    nothing changed, so the normal sign-in applies.
    """
    if os.environ.get(HUB_ENV, "").strip().lower() in ("0", "false", "no", "off"):
        return None
    if not all(os.environ.get(name) for name in _HUB_VARIABLES):
        return None
    if configured_auth() is not None or not config_available():
        return None
    from ..errors import AuthError
    from ..integrations.jupyterhub import HubTokenProvider, probe

    try:
        provider = HubTokenProvider()
    except AuthError as err:
        return False, f"JupyterHub sign-in not used: {err.message}"
    found = probe(provider)
    if not found.available:
        return False, f"JupyterHub sign-in not used: {found.reason}"
    from ..api import configure

    try:
        configure(token_provider=provider)
    except AuthError as err:  # a broken configuration: the load reports it in full
        return False, f"JupyterHub sign-in not used: {err.message}"
    return True, f"Signed in through JupyterHub as {found.user}."
