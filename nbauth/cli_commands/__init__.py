"""The profile-aware commands of ``nbauth``: ``login``, ``status``, ``logout``,
``credential-process`` and ``configure-aws-profile`` (``nbauth/cli.py`` dispatches to them), and
``jupyter-setup``, which enables the Jupyter server extension.

Each command is a function ``(args) -> exit code`` set as the parser's ``handler``; errors and
exit codes are shared (:mod:`nbauth.cli_commands.common`).
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from .common import add_profile_options

__all__ = ["add_commands"]

_AWS_PROFILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}\Z")


def _aws_profile_name(value: str) -> str:
    if not _AWS_PROFILE.match(value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an AWS profile name (letters, digits and . _ - @ +)"
        )
    return value


def add_commands(sub: Any) -> None:
    """Add the commands to ``sub`` (the ``add_subparsers()`` of ``nbauth``)."""
    from . import aws_commands, jupyter_setup, session_commands

    p = sub.add_parser(
        "login",
        help="sign in (device code by default) and share the sign-in with this profile",
        description="Sign in and keep the session in the profile's shared store, for "
        "credential-process, other terminals and kernels on the same profile. --config PATH "
        "is remembered for the profile. Exit 0 signed in, 1 failed or refused, 2 bad "
        "configuration, 130 cancelled.",
    )
    add_profile_options(p)
    flow = p.add_mutually_exclusive_group()
    flow.add_argument(
        "--device", dest="redirect", action="store_false", help="device code (the default)"
    )
    flow.add_argument(
        "--redirect",
        dest="redirect",
        action="store_true",
        help="authorization code + PKCE through a loopback redirect (a browser on this machine)",
    )
    p.add_argument("--provider", default=None, help="OIDC provider name from the configuration")
    p.add_argument("--no-browser", dest="browser", action="store_false", help="only print the link")
    p.set_defaults(handler=session_commands.login, redirect=False)

    p = sub.add_parser(
        "status",
        help="who is signed in on this profile (exit 0 signed in, 1 not)",
        description="Show the profile's session: user, provider, identity id, credentials "
        "expiry. Exit 0 when signed in, 1 when not, 2 on a configuration error.",
    )
    add_profile_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=session_commands.status)

    p = sub.add_parser(
        "logout",
        help="sign out (revoking the refresh token) and forget the stored sign-in",
        description="Sign out of the profile: the refresh token is revoked and the stored "
        "sign-in removed. Exit 0 (also when nobody was signed in).",
    )
    add_profile_options(p)
    p.set_defaults(handler=session_commands.logout)

    p = sub.add_parser(
        "credential-process",
        help="print AWS credential_process JSON from the profile's sign-in (never prompts)",
        description="Print the AWS credential_process JSON (Version 1, with Expiration) for "
        "the profile's shared sign-in, refreshing the credentials when needed. Never prompts: "
        "exit 1 with a message on stderr when nobody is signed in.",
    )
    add_profile_options(p)
    p.add_argument(
        "--allow-guest",
        action="store_true",
        help="hand out guest credentials when nobody is signed in and the pool allows guests",
    )
    p.set_defaults(handler=aws_commands.credential_process)

    p = sub.add_parser(
        "configure-aws-profile",
        help="write [profile NAME] with credential_process into the AWS config file",
        description="Add or replace [profile NAME] in $AWS_CONFIG_FILE (default ~/.aws/config) "
        "with credential_process running this nbauth for --profile, and the region; other "
        "profiles and comments are left untouched.",
    )
    p.add_argument("name", metavar="NAME", type=_aws_profile_name, help="AWS profile name")
    add_profile_options(p)
    p.add_argument("--region", default=None, help="region (default: the configuration's)")
    p.add_argument("--aws-config", default=None, metavar="PATH", help="AWS config file to edit")
    p.add_argument(
        "--allow-guest", action="store_true", help="pass --allow-guest to credential-process"
    )
    p.set_defaults(handler=aws_commands.configure_aws_profile)

    jupyter_setup.add_jupyter_setup(sub)
