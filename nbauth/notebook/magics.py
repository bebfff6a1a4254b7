"""The ``%nbauth`` line magic: sign in, inspect and end a session from a cell.

::

    %nbauth login [--device | --redirect | --paste] [--provider NAME] [--timeout S]
    %nbauth complete [URL]        finish a --paste sign-in (no URL: paste it privately)
    %nbauth cancel                stop the sign-in in progress
    %nbauth status                user, state, identity id, credential expiry, refresh
    %nbauth whoami                username, sub and email from the ID token
    s = %nbauth session           a ready boto3.Session with live credentials
    %nbauth federate VAR PROVIDER federate the token held in variable VAR
    %nbauth logout [--global]     sign out, or clear a federation
    %nbauth config [PATH]         show the configuration, or load amplify_outputs.json
    %nbauth help

Every outcome is a message in the cell: mistakes in the command line list what is allowed,
and :class:`~nbauth.errors.AuthError` s show as ``name: message`` with what to do next — never
a traceback, never a token, key or password (invariant 1).

Example::

    %load_ext nbauth
    %nbauth login                 # shows the link and code, returns at once
    s = %nbauth session           # next cell: waits for the sign-in (Run All), then a Session
    s.client("s3").list_objects_v2(Bucket="team-data")
"""

from __future__ import annotations

import argparse
import shlex
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from IPython.core.magic import Magics, line_magic, magics_class

from ..errors import (
    AuthError,
    ConfigurationError,
    InvalidParameterError,
    InvalidStateError,
    NoCredentialsError,
    OAuthError,
    SignInCancelledError,
    SignInTimeoutError,
    UserAlreadyAuthenticatedError,
)
from .display import Code, Line, Message, clock_time, error_message, mm_ss, show
from .live_session import pending_description, provider_name, signed_in_claims, user_name

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from ..auth import Auth
    from .extension import NotebookExtension

__all__ = ["SUBCOMMANDS", "NBAuthMagics", "build_parser"]

#: Subcommands and what they do (``%nbauth help``).
SUBCOMMANDS: dict[str, str] = {
    "login": "start a sign-in (device code by default); returns at once",
    "complete": "finish a --paste sign-in with the URL the browser ended on",
    "cancel": "stop the sign-in in progress",
    "status": "user, state, identity id, credential expiry, last refresh — no secrets",
    "whoami": "username, sub and email from the ID token",
    "session": "a ready boto3.Session: s = %nbauth session",
    "federate": "federate the token held in a variable: %nbauth federate VAR PROVIDER",
    "logout": "sign out (or clear a federation)",
    "config": "show the configuration, or load one: %nbauth config PATH",
    "help": "this list",
}


# -- the command line ------------------------------------------------------------------------


class _UsageError(Exception):
    def __init__(self, message: str, parser: argparse.ArgumentParser) -> None:
        super().__init__(message)
        self.message = message
        self.parser = parser


class _HelpShown(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing to stderr and exiting the kernel."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(message, self)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            print(message)
        raise _HelpShown()


def build_parser() -> argparse.ArgumentParser:
    """The ``%nbauth`` command line (``prog="%nbauth"``).

    Example::

        >>> build_parser().parse_args(["login", "--paste", "--provider", "corp"]).mode
        'paste'
    """
    parser = _Parser(
        prog="%nbauth",
        description="Sign in from a notebook and keep AWS credentials fresh.",
        add_help=False,
    )
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", parser_class=_Parser)

    login = sub.add_parser("login", help=_help("login"))
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
    login.add_argument("--provider", metavar="NAME", help="a provider from the configuration")
    login.add_argument(
        "--timeout",
        metavar="S",
        type=_positive_seconds,
        help="give up the sign-in after S seconds; cells that need credentials wait up to S",
    )
    login.add_argument(
        "--widget", action="store_true", help="show the LoginWidget instead (if installed)"
    )

    complete = sub.add_parser("complete", help=_help("complete"))
    complete.add_argument("url", nargs="?", help="the URL (omit it to paste it privately)")
    sub.add_parser("cancel", help=_help("cancel"))
    sub.add_parser("status", help=_help("status"))
    sub.add_parser("whoami", help=_help("whoami"))
    session = sub.add_parser("session", help=_help("session"))
    session.add_argument("--region", help="region of the boto3 session (default: the config's)")
    federate = sub.add_parser("federate", help=_help("federate"))
    federate.add_argument("variable", help="name of the variable holding the token")
    federate.add_argument(
        "provider", help="GOOGLE, FACEBOOK, AMAZON, APPLE, TWITTER, DEVELOPER, an issuer URL, …"
    )
    federate.add_argument(
        "--identity-id", help="a developer-provided identity id (skips GetId)", default=None
    )
    logout = sub.add_parser("logout", help=_help("logout"))
    logout.add_argument(
        "--global", dest="global_sign_out", action="store_true", help="sign out everywhere"
    )
    config = sub.add_parser("config", help=_help("config"))
    config.add_argument("path", nargs="?", help="path of amplify_outputs.json")
    sub.add_parser("help", help=_help("help"))
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


def _allowed() -> Line:
    return ("Subcommands: ", Code(", ".join(SUBCOMMANDS)), ". ", Code("%nbauth help"), ".")


# -- the magic -------------------------------------------------------------------------------


@magics_class
class NBAuthMagics(Magics):
    """``%nbauth <subcommand>``; see the module docstring."""

    def __init__(self, shell: InteractiveShell, extension: NotebookExtension) -> None:
        super().__init__(shell)
        self._extension = extension
        self._parser = build_parser()

    @line_magic("nbauth")
    def nbauth(self, line: str = "") -> Any:
        """Sign in, inspect and end the session: ``%nbauth help`` lists the subcommands."""
        try:
            words = shlex.split(line)
        except ValueError as exc:
            show(
                Message(
                    f"%nbauth: cannot read the command line: {exc}.",
                    lines=[_allowed()],
                    level="error",
                )
            )
            return None
        if not words:
            words = ["help"]
        try:
            args = self._parser.parse_args(words)
        except _HelpShown:
            return None
        except _UsageError as exc:
            self._usage_error(exc, words)
            return None
        handler: Callable[[argparse.Namespace], Any] = getattr(self, f"_cmd_{args.command}")
        try:
            return handler(args)
        except AuthError as err:
            show(error_message(err, *_hints_for(err)))
        except KeyboardInterrupt:
            pending = self._pending()
            if pending is None:
                raise
            self._extension.interrupted(pending)
        return None

    def _usage_error(self, exc: _UsageError, words: Sequence[str]) -> None:
        command = words[0]
        if command not in SUBCOMMANDS:
            shown = command if len(command) <= 40 and "." not in command else command[:12] + "…"
            show(
                Message(
                    f"%nbauth: unknown subcommand {shown!r}.",
                    lines=[_allowed()],
                    level="error",
                )
            )
            return
        parser = self._subparser(command) or exc.parser
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

    def _subparser(self, command: str) -> argparse.ArgumentParser | None:
        for action in self._parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                return action.choices.get(command)  # type: ignore[no-any-return]
        return None

    # -- helpers ---------------------------------------------------------------------------

    def _auth(self) -> Auth:
        auth = self._extension.auth(configure=True)
        assert auth is not None
        return auth

    def _pending(self) -> Any:
        from .. import api

        auth = api._default
        return auth.pending_sign_in if auth is not None else None

    # -- login / complete / cancel ---------------------------------------------------------

    def _cmd_login(self, args: argparse.Namespace) -> None:
        auth = self._auth()
        pending = auth.pending_sign_in
        if pending is not None:
            show(
                Message(
                    "A sign-in is already in progress.",
                    lines=[
                        pending_description(pending),
                        ("Finish it, or run ", Code("%nbauth cancel"), " to start over."),
                    ],
                    level="warning",
                )
            )
            self._extension.show_sign_in_prompt(auth, pending)
            return
        if auth.state == "signed_in":
            who = user_name(signed_in_claims(auth)) or "a user"
            raise UserAlreadyAuthenticatedError(
                f"Already signed in as {who} ({provider_name(auth)}).",
                "Keep using the current session (%nbauth whoami), or run %nbauth logout first.",
            )
        if args.widget and self._show_widget(auth, args.mode):
            return
        mode = args.mode or "device"
        if mode == "device":
            handle = auth.sign_in_with_device_code(provider=args.provider)
            if args.timeout is not None:
                _give_up_after(handle, args.timeout)
        else:
            handle = auth.sign_in_with_redirect(
                provider=args.provider, mode=mode, timeout=args.timeout or 300.0
            )
        if args.timeout is not None:
            auth.sign_in_wait_seconds = args.timeout
        self._extension.show_sign_in_prompt(
            auth,
            handle,
            (
                "This cell is done: keep working. Cells that need AWS credentials wait for the "
                "sign-in; ",
                Code("%nbauth cancel"),
                " stops it.",
            ),
        )

    def _show_widget(self, auth: Auth, mode: str | None) -> bool:
        """``--widget``: the LoginWidget (built alongside, optional) instead of the link."""
        try:
            from .widget import LoginWidget
        except ImportError:
            show(
                Message(
                    "The login widget is not available; showing the sign-in link instead.",
                    level="warning",
                )
            )
            return False
        from IPython.display import display

        widget = LoginWidget(auth, redirect_mode="paste" if mode == "paste" else "loopback")
        self._extension.widgets.append(widget)
        display(widget)
        return True

    def _cmd_complete(self, args: argparse.Namespace) -> None:
        auth = self._auth()
        handle = auth.pending_sign_in
        if handle is None or not callable(getattr(handle, "complete", None)):
            show(
                Message(
                    "No sign-in is waiting for a pasted URL.",
                    lines=[("Start one with ", Code("%nbauth login --paste"), ".")],
                    level="warning",
                )
            )
            return
        url = args.url
        if not url:
            from getpass import getpass

            url = getpass("Paste the URL your browser ended on (hidden): ")
        handle.complete(url)
        self._show_signed_in(auth)

    def _cmd_cancel(self, args: argparse.Namespace) -> None:
        auth = self._auth()
        handle = auth.pending_sign_in
        if handle is None:
            show(Message("No sign-in is in progress.", lines=[f"State: {auth.state}."]))
            return
        handle.cancel()
        show(
            Message(
                "Sign-in cancelled.",
                lines=[("Nothing else changed. Run ", Code("%nbauth login"), " to start again.")],
                level="success",
            )
        )

    def _show_signed_in(self, auth: Auth) -> None:
        who = user_name(signed_in_claims(auth))
        show(
            Message(
                "Signed in" + (f" as {who}" if who else "") + ".",
                lines=[("AWS credentials follow; ", Code("%nbauth status"), " shows them.")],
                level="success",
            )
        )

    # -- status / whoami / session ----------------------------------------------------------

    def _cmd_status(self, args: argparse.Namespace) -> None:
        from .. import api

        auth = api._default
        if auth is None and not _config_available():
            raise _not_configured()
        auth = self._auth()
        rows: list[tuple[str, str]] = [("state", auth.state)]
        pending = auth.pending_sign_in
        error_line: str | None = None
        session = None
        if pending is None or auth.state != "signed_out":  # never wait for a pending sign-in
            try:
                session = auth.fetch_auth_session()
            except AuthError as err:
                error_line = f"{type(err).__name__}: {err.message}"
        now = time.time()
        who = user_name(signed_in_claims(auth, session))
        if who:
            rows.append(("user", who))
        where = provider_name(auth)
        if where:
            rows.append(("provider", where))
        engine = auth.credentials_engine
        fetched = engine.peek()
        identity_id = session.identity_id if session is not None else None
        credentials = session.credentials if session is not None else None
        if fetched is not None:
            identity_id = identity_id or fetched.identity_id
            credentials = credentials or fetched.credentials
        rows.append(("identity id", identity_id or "—"))
        if credentials is not None and credentials.expires_at is not None:
            rows.append(
                (
                    "AWS credentials",
                    f"valid, {mm_ss(credentials.expires_at - now)} left "
                    f"(until {clock_time(credentials.expires_at, now).split(' ')[0]})",
                )
            )
        elif credentials is not None:
            rows.append(("AWS credentials", "valid, no expiry"))
        else:
            rows.append(("AWS credentials", "none"))
        if credentials is not None:
            rows.append(("last refresh", clock_time(engine.last_refreshed_at, now)))
        if credentials is not None and engine.refresh_at not in (0.0, float("inf")):
            timer = "background timer running" if engine.timer_running else "on demand"
            rows.append(("next refresh", f"in {mm_ss(engine.refresh_at - now)} ({timer})"))
        if engine.failures:
            rows.append(("refresh failures", f"{engine.failures} (retrying with backoff)"))
        if pending is not None:
            rows.append(("sign-in", pending_description(pending, now)))
        else:
            last = self._extension.last_sign_in
            if last is not None and last.status != "signed_in":
                detail = f": {last.error.message}" if last.error is not None else ""
                rows.append(("last sign-in", f"{last.status}{detail}"))
        lines: list[Line] = []
        if error_line:
            lines.append(error_line)
        level = "error" if error_line else "info"
        show(Message("nbauth status", lines=lines, rows=rows, level=level))

    def _cmd_whoami(self, args: argparse.Namespace) -> None:
        auth = self._auth()
        if auth.state == "signed_out":
            pending = auth.pending_sign_in
            lines: list[Line] = [("Run ", Code("%nbauth login"), " to sign in.")]
            if pending is not None:
                lines = [pending_description(pending)]
            show(Message("Not signed in.", lines=lines, level="warning"))
            return
        session = auth.fetch_auth_session()
        claims = signed_in_claims(auth, session)
        rows = [
            ("username", user_name(claims) or "—"),
            ("sub", str(claims.get("sub") or session.user_sub or "—")),
            ("email", str(claims.get("email") or "—")),
            ("issuer", str(claims.get("iss") or "—")),
            ("provider", provider_name(auth) or "—"),
            ("identity id", session.identity_id or "—"),
        ]
        show(Message(f"Signed in ({auth.state})", rows=rows))

    def _cmd_session(self, args: argparse.Namespace) -> Any:
        auth = self._auth()
        auth.current_credentials()  # waits (visibly) for a pending sign-in; typed errors
        return auth.boto3_session(region_name=args.region)

    # -- federate / logout --------------------------------------------------------------------

    def _cmd_federate(self, args: argparse.Namespace) -> None:
        from ..core.jwt import JWT
        from ..core.values import AuthTokens

        name = args.variable
        if not name.isidentifier():
            raise InvalidParameterError(
                "%nbauth federate takes the NAME of a variable holding the token, not the token.",
                "Assign the token to a variable (token = ...) and run %nbauth federate token "
                "PROVIDER, so the token never lands in the notebook's source.",
            )
        if name not in self.shell.user_ns:
            raise InvalidParameterError(
                f"There is no variable named {name!r} in the notebook.",
                f"Assign the provider's token to {name} first.",
            )
        value = self.shell.user_ns[name]
        if isinstance(value, AuthTokens):
            value = value.federation_token
        if isinstance(value, JWT):
            value = value.to_string()
        if not isinstance(value, str):
            raise InvalidParameterError(
                f"{name} holds a {type(value).__name__}, not a token string.",
                "Assign the provider's ID token (a string) to the variable.",
            )
        auth = self._auth()
        result = auth.federate_to_identity_pool(
            value, args.provider, developer_provided_identity_id=args.identity_id
        )
        expires = result.credentials.expires_at
        left = f"; credentials expire in {mm_ss(expires - time.time())}" if expires else ""
        show(
            Message(
                f"Federated to the identity pool with {provider_name(auth) or args.provider}.",
                lines=[
                    f"Identity id {result.identity_id}{left} (refreshed automatically).",
                    ("End it with ", Code("%nbauth logout"), "."),
                ],
                level="success",
            )
        )

    def _cmd_logout(self, args: argparse.Namespace) -> None:
        auth = self._auth()
        pending = auth.pending_sign_in
        if pending is not None:
            pending.cancel()
        state = auth.state
        if state == "federated":
            auth.clear_federation_to_identity_pool()
            title = "Federation cleared; its AWS credentials were dropped."
        elif state == "signed_in":
            who = user_name(signed_in_claims(auth))
            auth.sign_out(global_sign_out=args.global_sign_out)
            title = "Signed out" + (f" {who}" if who else "") + "; AWS credentials were dropped."
        elif pending is not None:
            title = "The sign-in in progress was cancelled."
        else:
            show(Message("Nobody is signed in.", lines=[("State: ", auth.state, ".")]))
            return
        show(
            Message(
                title, lines=[("Sign in again with ", Code("%nbauth login"), ".")], level="success"
            )
        )

    # -- config / help ------------------------------------------------------------------------

    def _cmd_config(self, args: argparse.Namespace) -> None:
        from .. import api

        if args.path:
            previous = api._default
            state = previous.state if previous is not None else "signed_out"
            auth = api.configure(args.path)
            self._extension.attach(auth)
            footer: list[Line] = []
            if state != "signed_out":
                footer.append(f"The previous session ({state}) was closed.")
            show(_config_message(auth, f"Configured from {args.path}.", footer))
            return
        if api._default is None and not _config_available():
            raise _not_configured()
        auth = self._auth()
        show(_config_message(auth, "nbauth configuration", []))

    def _cmd_help(self, args: argparse.Namespace) -> None:
        width = max(len(name) for name in SUBCOMMANDS)
        rows = [(f"%nbauth {name.ljust(width)}", text) for name, text in SUBCOMMANDS.items()]
        show(
            Message(
                "%nbauth SUBCOMMAND [options]",
                lines=[
                    (
                        "login options: ",
                        Code("--device"),
                        " (default) | ",
                        Code("--redirect"),
                        " | ",
                        Code("--paste"),
                        ", ",
                        Code("--provider NAME"),
                        ", ",
                        Code("--timeout S"),
                        ", ",
                        Code("--widget"),
                    ),
                ],
                rows=rows,
                footer=[
                    (
                        Code("%nbauth SUBCOMMAND -h"),
                        " shows a subcommand's options; ",
                        Code("nbauth_session"),
                        " is the live session.",
                    )
                ],
            )
        )


# -- messages ----------------------------------------------------------------------------------


def _config_available() -> bool:
    from .extension import _config_available as available

    return available()


def _not_configured() -> ConfigurationError:
    return ConfigurationError(
        "nbauth is not configured: no nbauth.configure() call, $NBAUTH_CONFIG is unset and "
        "there is no ./amplify_outputs.json.",
        "Run %nbauth config path/to/amplify_outputs.json, or nbauth.configure(...) in a cell.",
    )


def _config_message(auth: Auth, title: str, footer: list[Line]) -> Message:
    """The configuration without secrets (client secrets show as "set")."""
    config = auth.config
    rows: list[tuple[str, str]] = [
        ("source", config.source),
        ("region", config.region or "—"),
        ("user pool", config.user_pool_id or "—"),
        ("user pool client", config.user_pool_client_id or "—"),
        ("identity pool", config.identity_pool_id or "—"),
        ("guest access", "yes" if config.allow_guest else "no"),
    ]
    if config.user_pool_client_secret:
        rows.append(("user pool client secret", "set (hidden)"))
    if config.oauth is not None:
        rows.append(("managed login", config.oauth.domain))
    for name, provider in config.oidc_providers.items():
        secret = ", client secret set (hidden)" if provider.client_secret else ""
        default = " (default)" if name == config.default_provider else ""
        rows.append(
            (
                f"OIDC provider {name}{default}",
                f"{provider.issuer}, client {provider.client_id}{secret}",
            )
        )
    rows.append(
        (
            "storage",
            config.storage_kind + (f" ({config.storage_path})" if config.storage_path else ""),
        )
    )
    rows.append(
        (
            "refresh",
            f"{config.refresh_margin_seconds:.0f} s before expiry"
            + (", in the background" if config.background_refresh else ", on demand"),
        )
    )
    rows.append(("state", auth.state))
    return Message(title, rows=rows, footer=footer, level="info")


def _hints_for(error: AuthError) -> list[Line]:
    """Notebook-specific next steps for an error (its own recovery suggestion comes first)."""
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


def _give_up_after(handle: Any, seconds: float) -> None:
    """``--timeout`` for a device-code sign-in: end it as timed out after ``seconds``."""

    def give_up() -> None:
        if handle.done:
            return
        handle.time_out(f"The sign-in was not completed within {seconds:.0f} s.")

    timer = threading.Timer(seconds, give_up)
    timer.name = "nbauth-login-timeout"
    timer.daemon = True
    handle.on_done(lambda _h: timer.cancel())
    timer.start()
