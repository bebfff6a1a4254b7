"""``%nbauth status | whoami | session | config | help``: look at the session and the setup.

``status`` and ``whoami`` render ``Auth.status()`` (:mod:`nbauth.notebook.status_rows`);
``status`` never waits for a pending sign-in. ``config`` shows the configuration without its
secrets (client secrets show as "set").

Example::

    %nbauth status
    s = %nbauth session           # a boto3.Session with live credentials
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from .default_auth import config_available, configured_auth, not_configured
from .display import Code, Line, Message, Segment, show
from .magic_command_line import SUBCOMMANDS
from .status_rows import pending_line, shown_state, status_rows

if TYPE_CHECKING:
    from ..auth import Auth
    from .magics_host import MagicsHost

__all__ = ["SessionCommands", "config_message"]


class SessionCommands:
    """The subcommands that show the session or set nbauth up; one method per subcommand."""

    def __init__(self, host: MagicsHost) -> None:
        self.host = host

    def _auth(self) -> Auth:
        auth = self.host.auth(configure=True)
        assert auth is not None  # configure=True raises instead
        return auth

    def status(self, args: argparse.Namespace) -> None:
        from ..errors import AuthError

        if configured_auth() is None and not config_available():
            raise not_configured()
        auth = self._auth()
        before = auth.status()
        error_line: str | None = None
        # Refresh what can be refreshed now — but never wait for a pending sign-in.
        if before.pending_sign_in is None or before.state in ("signed_in", "federated"):
            try:
                auth.fetch_auth_session()
            except AuthError as err:
                error_line = f"{type(err).__name__}: {err.message}"
        rows = status_rows(auth.status(), self.host.last_sign_in)
        lines: list[Line] = [error_line] if error_line else []
        level = "error" if error_line else "info"
        show(Message("nbauth status", lines=lines, rows=rows, level=level))

    def whoami(self, args: argparse.Namespace) -> None:
        auth = self._auth()
        before = auth.status()
        if shown_state(before) == "signed_out":
            pending = before.pending_sign_in
            lines: list[Line] = [("Run ", Code("%nbauth login"), " to sign in.")]
            if pending is not None:
                lines = [pending_line(pending, before.checked_at)]
            show(Message("Not signed in.", lines=lines, level="warning"))
            return
        session = auth.fetch_auth_session()
        status = auth.status()
        claims = status.claims
        rows = [
            ("username", status.username or "—"),
            ("sub", str(claims.get("sub") or session.user_sub or "—")),
            ("email", str(claims.get("email") or "—")),
            ("issuer", str(claims.get("iss") or "—")),
            ("provider", status.provider or "—"),
            ("identity id", session.identity_id or "—"),
        ]
        show(Message(f"Signed in ({shown_state(status)})", rows=rows))

    def session(self, args: argparse.Namespace) -> Any:
        auth = self._auth()
        auth.current_credentials()  # waits (visibly) for a pending sign-in; typed errors
        return auth.boto3_session(region_name=args.region)

    def config(self, args: argparse.Namespace) -> None:
        if args.path:
            from ..api import configure

            previous = configured_auth()
            state = previous.state if previous is not None else "signed_out"
            auth = configure(args.path)
            self.host.attach(auth)
            footer: list[Line] = []
            if state != "signed_out":
                footer.append(f"The previous session ({state}) was closed.")
            show(config_message(auth, f"Configured from {args.path}.", footer))
            return
        if configured_auth() is None and not config_available():
            raise not_configured()
        show(config_message(self._auth(), "nbauth configuration", []))

    def serve_credentials(self, args: argparse.Namespace) -> None:
        """Serve the session on a loopback container-credentials endpoint for child processes
        (``AWS_CONTAINER_CREDENTIALS_FULL_URI`` + ``AWS_CONTAINER_AUTHORIZATION_TOKEN`` in
        ``os.environ``); ``--stop`` ends it. botocore in the kernel finds them too."""
        from ..aws import container_credentials as served

        if args.stop:
            stopped = served.stop_exported_credentials_endpoint()
            show(Message("Stopped serving credentials." if stopped else "Nothing was served."))
            return
        auth = self._auth()
        auth.current_credentials()  # typed errors (not signed in…) before anything is exported
        endpoint_url = auth.config.aws_endpoint_url
        endpoint = served.export_credentials_endpoint(auth, aws_endpoint_url=endpoint_url)
        names = [served.FULL_URI_VAR, served.AUTHORIZATION_TOKEN_VAR]
        if endpoint_url:  # the configuration's AWS (a local emulator): children use it too
            names.append(served.ENDPOINT_URL_VAR)
        set_line: list[Segment] = ["Set: "]
        for index, name in enumerate(names):
            set_line += [Code(name), " and " if index == len(names) - 2 else ", "]
        set_line[-1] = "."
        lines: list[Line] = [
            ("Child processes (", Code("!aws …"), ", pyarrow, any AWS SDK) now use this session."),
            tuple(set_line),
            "A plain boto3.client() in this kernel finds them too (the same credentials).",
            ("Stop: ", Code("%nbauth serve-credentials --stop"), "."),
        ]
        show(Message(f"Serving credentials on {endpoint.url}", lines=lines))

    def help(self, args: argparse.Namespace) -> None:
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


def config_message(auth: Auth, title: str, footer: list[Line]) -> Message:
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
