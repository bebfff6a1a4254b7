"""What every profile-aware command shares: the options, opening an ``Auth``, errors, exit codes.

Exit codes (the same for every command, so a script can branch on them):

* ``0`` — done (``status``: someone is signed in);
* ``1`` — not signed in, or the sign-in or the AWS call failed (the message says which);
* ``2`` — bad usage or configuration: unknown option, no configuration file, a store directory
  that cannot be used;
* ``130`` — cancelled with Ctrl-C.

Messages go to standard error as ``nbauth: <what happened>`` plus a line saying what to do;
standard output carries only a command's result (``credential-process``'s JSON, ``status``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from ..cli_profiles import DEFAULT_PROFILE, Profile, resolve_profile
from ..core.storage import KeyValueStorage
from ..errors import AuthError, ConfigurationError

__all__ = [
    "CANCELLED",
    "FAILED",
    "NOT_SIGNED_IN",
    "OK",
    "USAGE",
    "add_profile_options",
    "err",
    "open_auth",
    "open_profile",
    "run_guarded",
]

OK, NOT_SIGNED_IN, FAILED, USAGE, CANCELLED = 0, 1, 1, 2, 130


def err(*lines: str) -> None:
    """``nbauth: <first line>`` and the rest, indented, on standard error."""
    if lines:
        print(f"nbauth: {lines[0]}", file=sys.stderr)
        for line in lines[1:]:
            print(f"  {line}", file=sys.stderr)
    sys.stderr.flush()


def add_profile_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        default=None,
        metavar="P",
        help="nbauth profile: a configuration and its shared sign-in "
        f"(default {DEFAULT_PROFILE!r})",
    )
    parser.add_argument(
        "--config",
        default=None,
        metavar="PATH",
        help="amplify_outputs.json to use (default: the one recorded for the profile, else "
        "$NBAUTH_CONFIG, else ./amplify_outputs.json)",
    )


def profile_name(args: argparse.Namespace) -> str:
    return str(args.profile or DEFAULT_PROFILE)


def open_profile(args: argparse.Namespace) -> tuple[Profile, Any]:
    """The profile and an ``Auth`` on its shared store (a stored sign-in comes back)."""
    profile = resolve_profile(args.profile, args.config)
    return profile, open_auth(args, profile, profile.storage())


def open_auth(args: argparse.Namespace, profile: Profile, storage: KeyValueStorage) -> Any:
    """An ``Auth`` for ``profile`` on ``storage`` (imports boto3 and the OIDC stack)."""
    from ..auth import Auth
    from ..events import Hub

    return Auth(profile.config, storage=storage, hub=Hub())


def not_signed_in(name: str) -> int:
    err(
        f"not signed in for profile {name} — run `nbauth login --profile {name}`",
    )
    return NOT_SIGNED_IN


def run_guarded(command: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run ``command``, turning nbauth's typed errors and Ctrl-C into a message and exit code."""
    try:
        return command(args)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        err("cancelled.")
        return CANCELLED
    except ConfigurationError as exc:
        err(exc.message, *([exc.recovery_suggestion] if exc.recovery_suggestion else []))
        return USAGE
    except AuthError as exc:
        name = profile_name(args)
        err(
            exc.message,
            exc.recovery_suggestion or f"Run `nbauth login --profile {name}` to sign in again.",
        )
        return FAILED
