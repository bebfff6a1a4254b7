"""CLI profiles: a name for a configuration plus the shared store its sign-in lives in.

``nbauth login --config PATH --profile P`` remembers ``PATH`` for ``P`` in nbauth's own profiles
file, ``$XDG_CONFIG_HOME/nbauth/profiles.json`` (``~/.config/nbauth/profiles.json``; 0600 in a
0700 directory)::

    {"version": 1, "profiles": {"default": {"config": "/home/ada/work/amplify_outputs.json"}}}

Every later command with ``--profile P`` (``default`` when not given) reads that configuration;
``--config`` overrides it for one call. With no recorded profile, nbauth finds the configuration
as ``nbauth.configure()`` does: ``$NBAUTH_CONFIG``, then ``./amplify_outputs.json``.

The store of a profile is where its sign-in is shared between processes (the CLI, the AWS CLI's
``credential_process``, kernels): the configuration's own file store when it names one
(``nbauth.storage`` = ``{"kind": "file", "path": …}``), the OS keyring for ``keyring``, and
otherwise (``memory``, the default, which a terminal sign-in cannot use)
``$XDG_STATE_HOME/nbauth/<profile>/`` (``~/.local/state/nbauth/<profile>/``, 0700).

Example::

    profile = resolve_profile("work")
    auth = nbauth.Auth(profile.config, storage=profile.storage())
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import AuthConfig, load_config
from .core.storage import FileStorage, KeyringStorage, KeyValueStorage
from .errors import ConfigurationError

__all__ = [
    "DEFAULT_PROFILE",
    "Profile",
    "profiles_file",
    "recorded_config",
    "remember_profile",
    "resolve_profile",
    "state_dir",
]

DEFAULT_PROFILE = "default"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}\Z")


def _xdg(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable)
    base = Path(value) if value and os.path.isabs(value) else Path(fallback).expanduser()
    return base / "nbauth"


def profiles_file() -> Path:
    """``$XDG_CONFIG_HOME/nbauth/profiles.json`` (``~/.config/nbauth/profiles.json``)."""
    return _xdg("XDG_CONFIG_HOME", "~/.config") / "profiles.json"


def state_dir() -> Path:
    """``$XDG_STATE_HOME/nbauth`` (``~/.local/state/nbauth``): the profiles' default stores."""
    return _xdg("XDG_STATE_HOME", "~/.local/state")


def check_profile_name(name: str) -> str:
    """``name`` if it is a usable profile name (it becomes a directory name)."""
    if not _NAME.match(name):
        raise ConfigurationError(
            f"{name!r} is not a profile name.",
            "Use letters, digits and . _ - @ + (at most 64, starting with a letter or digit).",
        )
    return name


def _read_profiles() -> dict[str, Any]:
    try:
        data = json.loads(profiles_file().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"cannot read nbauth's profiles file {str(profiles_file())!r} ({exc}).",
            "Fix or delete it, then run `nbauth login --config PATH` again.",
        ) from None
    profiles = data.get("profiles") if isinstance(data, dict) else None
    return profiles if isinstance(profiles, dict) else {}


def recorded_config(name: str) -> str | None:
    """The configuration path remembered for profile ``name``, if any."""
    entry = _read_profiles().get(name)
    path = entry.get("config") if isinstance(entry, dict) else None
    return path if isinstance(path, str) and path else None


def remember_profile(name: str, config_path: str | os.PathLike[str]) -> Path:
    """Record ``config_path`` (made absolute) for profile ``name``; returns the profiles file."""
    check_profile_name(name)
    target = profiles_file()
    profiles = _read_profiles()
    profiles[name] = {"config": str(Path(config_path).expanduser().resolve())}
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".profiles-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"version": 1, "profiles": profiles}, fh, indent=2, sort_keys=True)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise ConfigurationError(
            f"cannot write nbauth's profiles file {str(target)!r} ({exc.strerror}).",
            "Make $XDG_CONFIG_HOME (or ~/.config) writable, or set XDG_CONFIG_HOME.",
        ) from None
    return target


@dataclass(frozen=True)
class Profile:
    """A resolved profile: its name, configuration and shared store."""

    name: str
    config: AuthConfig
    config_path: str | None
    store: Path | None  # None: the OS keyring

    def storage(self) -> KeyValueStorage:
        """The shared store (created 0700 on first use)."""
        if self.store is None:
            return KeyringStorage(f"nbauth:{self.name}")
        return FileStorage(self.store)


def resolve_profile(name: str | None = None, config_path: str | None = None) -> Profile:
    """Profile ``name`` (default ``default``), with ``config_path`` overriding the recorded one."""
    name = check_profile_name(DEFAULT_PROFILE if name is None else name)
    path = config_path or recorded_config(name)
    if path is None and name != DEFAULT_PROFILE:
        raise ConfigurationError(
            f"no configuration is recorded for profile {name!r}.",
            f"Run `nbauth login --config PATH --profile {name}` first.",
        )
    config = load_config(path)
    if config.storage_kind == "file" and config.storage_path:
        store: Path | None = Path(config.storage_path).expanduser()
    elif config.storage_kind == "keyring":
        store = None
    else:
        store = state_dir() / name
    return Profile(name, config, path or config.source, store)
