"""The ``%nbauth`` command line: its subcommands, their options, and argparse made kernel-safe.

argparse prints to stderr and exits the process on a mistake or ``-h``; in a kernel that would
be a traceback or a dead kernel. :class:`CommandLineParser` raises :class:`UsageError` (the
magic shows it as a message listing what is allowed) and :class:`HelpShown` instead.

Example::

    >>> build_parser().parse_args(["login", "--paste", "--provider", "corp"]).mode
    'paste'
"""

from __future__ import annotations

import argparse
from typing import NoReturn

from .display import Code, Line

__all__ = [
    "SUBCOMMANDS",
    "CommandLineParser",
    "HelpShown",
    "UsageError",
    "allowed_line",
    "build_parser",
]

#: Subcommands and what they do (``%nbauth help``).
SUBCOMMANDS: dict[str, str] = {
    "login": "start a sign-in (device code by default; --jupyter, --user-pool, …)",
    "complete": "finish a --paste sign-in with the URL the browser ended on",
    "cancel": "stop the sign-in in progress",
    "status": "user, state, identity id, credential expiry, last refresh — no secrets",
    "whoami": "username, sub and email from the ID token",
    "session": "a ready boto3.Session: s = %nbauth session",
    "federate": "federate the token held in a variable: %nbauth federate VAR PROVIDER",
    "logout": "sign out (or clear a federation)",
    "config": "show the configuration, or load one: %nbauth config PATH",
    "serve-credentials": "serve the session to child processes (!aws, pyarrow); --stop ends it",
    "help": "this list",
}


class UsageError(Exception):
    """A mistake in the command line; ``parser`` is the (sub)parser that found it."""

    def __init__(self, message: str, parser: argparse.ArgumentParser) -> None:
        super().__init__(message)
        self.message = message
        self.parser = parser


class HelpShown(Exception):
    """``-h`` printed its help: nothing more to do."""


class CommandLineParser(argparse.ArgumentParser):
    """argparse that raises instead of printing to stderr and exiting the kernel.

    ``subcommands`` maps each subcommand to its own parser (for its usage line).
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.subcommands: dict[str, argparse.ArgumentParser] = {}

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, self)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            print(message)
        raise HelpShown()


def build_parser() -> CommandLineParser:
    """The ``%nbauth`` command line (``prog="%nbauth"``).

    Example::

        >>> build_parser().parse_args(["logout", "--global"]).global_sign_out
        True
    """
    parser = CommandLineParser(
        prog="%nbauth",
        description="Sign in from a notebook and keep AWS credentials fresh.",
        add_help=False,
    )
    sub = parser.add_subparsers(
        dest="command", metavar="SUBCOMMAND", parser_class=CommandLineParser
    )

    def add(command: str) -> argparse.ArgumentParser:
        parser.subcommands[command] = sub.add_parser(command, help=_help(command))
        return parser.subcommands[command]

    login = add("login")
    mode = login.add_mutually_exclusive_group()
    mode.add_argument(
        "--device",
        dest="mode",
        action="store_const",
        const="device",
        help="device code (RFC 8628): open a link, confirm a code (default)",
    )
    mode.add_argument(
        "--redirect",
        dest="mode",
        action="store_const",
        const="loopback",
        help="code + PKCE with a listener on 127.0.0.1 (browser on this machine)",
    )
    mode.add_argument(
        "--paste",
        dest="mode",
        action="store_const",
        const="paste",
        help="code + PKCE for remote kernels: paste the final URL with %%nbauth complete",
    )
    mode.add_argument(
        "--jupyter",
        dest="mode",
        action="store_const",
        const="jupyter",
        help="code + PKCE returning to this Jupyter server (JupyterHub, Binder; needs nbauth's "
        "server extension)",
    )
    mode.add_argument(
        "--user-pool",
        dest="mode",
        action="store_const",
        const="user_pool",
        help="the Cognito user pool: username, then password and codes typed privately",
    )
    login.add_argument("--provider", metavar="NAME", help="a provider from the configuration")
    login.add_argument(
        "--username", metavar="NAME", help="with --user-pool: the username (else asked for)"
    )
    login.add_argument(
        "--timeout",
        metavar="S",
        type=_positive_seconds,
        help="give up the sign-in after S seconds; cells that need credentials wait up to S",
    )
    login.add_argument(
        "--widget", action="store_true", help="show the LoginWidget instead (if installed)"
    )

    complete = add("complete")
    complete.add_argument("url", nargs="?", help="the URL (omit it to paste it privately)")
    add("cancel")
    add("status")
    add("whoami")
    session = add("session")
    session.add_argument("--region", help="region of the boto3 session (default: the config's)")
    federate = add("federate")
    federate.add_argument("variable", help="name of the variable holding the token")
    federate.add_argument(
        "provider", help="GOOGLE, FACEBOOK, AMAZON, APPLE, TWITTER, DEVELOPER, an issuer URL, …"
    )
    federate.add_argument(
        "--identity-id", help="a developer-provided identity id (skips GetId)", default=None
    )
    logout = add("logout")
    logout.add_argument(
        "--global", dest="global_sign_out", action="store_true", help="sign out everywhere"
    )
    config = add("config")
    config.add_argument("path", nargs="?", help="path of amplify_outputs.json")
    serve = add("serve-credentials")
    serve.add_argument("--stop", action="store_true", help="stop serving; unset the variables")
    add("help")
    return parser


def _help(command: str) -> str:
    return SUBCOMMANDS[command].replace("%", "%%")  # argparse %-formats help strings


def _positive_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {value!r}") from None
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {value}")
    return seconds


def allowed_line() -> Line:
    """What a mistake's message lists: every subcommand, and where help is."""
    return ("Subcommands: ", Code(", ".join(SUBCOMMANDS)), ". ", Code("%nbauth help"), ".")
