"""The ``%nbauth`` line magic: sign in, inspect and end a session from a cell.

::

    %nbauth login [--device | --redirect | --paste | --jupyter] [--provider NAME] [--timeout S]
    %nbauth login --user-pool [--username NAME]   username, then password and codes (hidden)
    %nbauth complete [URL]        finish a --paste sign-in (no URL: paste it privately)
    %nbauth cancel                stop the sign-in in progress
    %nbauth status                user, state, identity id, credential expiry, refresh
    %nbauth whoami                username, sub and email from the ID token
    s = %nbauth session           a ready boto3.Session with live credentials
    %nbauth federate VAR PROVIDER federate the token held in variable VAR
    %nbauth logout [--global]     sign out, or clear a federation
    %nbauth config [PATH]         show the configuration, or load amplify_outputs.json
    %nbauth serve-credentials [--stop]  serve the session to child processes (!aws, pyarrow)
    %nbauth help

This module reads the command line and hands it to a command: the command line is in
:mod:`~nbauth.notebook.magic_command_line`, the commands in
:mod:`~nbauth.notebook.sign_in_commands` (login, complete, cancel, federate, logout) and
:mod:`~nbauth.notebook.session_commands` (status, whoami, session, config, help).

Every outcome is a message in the cell: mistakes in the command line list what is allowed,
and :class:`~nbauth.errors.AuthError` s show in words (:func:`~nbauth.notebook.error_messages.
describe`: a plain title, the advice that applies, the error's name and message as details) —
never a traceback, never a token, key or password (invariant 1).

Example::

    %load_ext nbauth
    %nbauth login                 # shows the link and code, returns at once
    s = %nbauth session           # next cell: waits for the sign-in (Run All), then a Session
    s.client("s3").list_objects_v2(Bucket="team-data")
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from IPython.core.magic import Magics, line_magic, magics_class

from .default_auth import configured_auth
from .display import Code, Line, Message, error_message, show
from .magic_command_line import (
    SUBCOMMANDS,
    CommandLineParser,
    HelpShown,
    UsageError,
    allowed_line,
    build_parser,
)
from .session_commands import SessionCommands
from .sign_in_commands import SignInCommands

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from ..errors import AuthError
    from .magics_host import MagicsHost

__all__ = ["SUBCOMMANDS", "NBAuthMagics", "build_parser", "hints_for"]

#: ``@line_magic("name")``: IPython 9 types the decorator as ``F | Callable[[F], F]``, which
#: mypy cannot apply; IPython 8 leaves it untyped. One name for both.
named_line_magic: Callable[[str], Callable[[Any], Any]] = line_magic  # type: ignore[assignment,unused-ignore]


@magics_class
class NBAuthMagics(Magics):
    """``%nbauth <subcommand>``; see the module docstring."""

    def __init__(self, shell: InteractiveShell, host: MagicsHost) -> None:
        super().__init__(shell)
        self.host = host
        self._parser: CommandLineParser | None = None  # built on first use (light %load_ext)
        sign_in = SignInCommands(shell, host)
        views = SessionCommands(host)
        self._commands: dict[str, Callable[[argparse.Namespace], Any]] = {
            "login": sign_in.login,
            "complete": sign_in.complete,
            "cancel": sign_in.cancel,
            "status": views.status,
            "whoami": views.whoami,
            "session": views.session,
            "federate": sign_in.federate,
            "logout": sign_in.logout,
            "config": views.config,
            "serve-credentials": views.serve_credentials,
            "help": views.help,
        }

    @property
    def parser(self) -> CommandLineParser:
        if self._parser is None:
            self._parser = build_parser()
        return self._parser

    @named_line_magic("nbauth")
    def nbauth(self, line: str = "") -> Any:
        """Sign in, inspect and end the session: ``%nbauth help`` lists the subcommands."""
        from ..errors import AuthError

        try:
            words = shlex.split(line)
        except ValueError as exc:
            show(
                Message(
                    f"%nbauth: cannot read the command line: {exc}.",
                    lines=[allowed_line()],
                    level="error",
                )
            )
            return None
        if not words:
            words = ["help"]
        try:
            args = self.parser.parse_args(words)
        except HelpShown:
            return None
        except UsageError as exc:
            self._usage_error(exc, words)
            return None
        try:
            return self._commands[args.command](args)
        except AuthError as err:
            show(error_message(err, *hints_for(err)))
        except KeyboardInterrupt:
            auth = configured_auth()
            pending = auth.pending_sign_in if auth is not None else None
            if pending is None:
                raise
            self.host.interrupted(pending)
        return None

    def _usage_error(self, exc: UsageError, words: Sequence[str]) -> None:
        command = words[0]
        if command not in SUBCOMMANDS:
            shown = command if len(command) <= 40 and "." not in command else command[:12] + "…"
            show(
                Message(
                    f"%nbauth: unknown subcommand {shown!r}.",
                    lines=[allowed_line()],
                    level="error",
                )
            )
            return
        parser = self.parser.subcommands.get(command) or exc.parser
        show(
            Message(
                f"%nbauth {command}: {exc.message}.",
                lines=[
                    parser.format_usage().strip().replace("usage: ", "Usage: "),
                    ("Details: ", Code(f"%nbauth {command} -h"), "."),
                ],
                level="error",
            )
        )


def hints_for(error: AuthError) -> list[Line]:
    """Notebook-specific next steps for an error (its own recovery suggestion comes first)."""
    from ..errors import (
        ConfigurationError,
        InvalidStateError,
        NoCredentialsError,
        OAuthError,
        SignInCancelledError,
        SignInTimeoutError,
        UserAlreadyAuthenticatedError,
    )

    if "%nbauth" in error.recovery_suggestion:
        return []  # raised here, already in the notebook's terms
    if isinstance(error, UserAlreadyAuthenticatedError):
        return [("In this notebook: ", Code("%nbauth logout"), ", or ", Code("%nbauth whoami"))]
    if isinstance(error, InvalidStateError) and "federat" in error.message.lower():
        return [("In this notebook: ", Code("%nbauth logout"), " clears the federation.")]
    if isinstance(error, ConfigurationError):
        if "not configured" in error.message or "No configuration" in error.message:
            return [
                ("Run ", Code("%nbauth config path/to/amplify_outputs.json"), " to configure."),
            ]
        return [("Check the configuration: ", Code("%nbauth config"), ".")]
    if isinstance(error, NoCredentialsError):
        return [("Run ", Code("%nbauth login"), " (or ", Code("%nbauth federate"), ") first.")]
    if isinstance(error, (SignInCancelledError, SignInTimeoutError, OAuthError)):
        return [("Run ", Code("%nbauth login"), " to start again.")]
    if error.retryable:
        return ["Nothing was lost: the session, if any, is unchanged."]
    return []
