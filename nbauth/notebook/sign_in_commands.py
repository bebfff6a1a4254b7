"""``%nbauth login | complete | cancel | federate | logout``: start, finish and end a session.

Every command acts on the default Auth through the extension (:class:`MagicsHost`), reads what
it shows from ``Auth.status()``, and leaves a message in its cell; errors are raised as
:class:`~nbauth.errors.AuthError` for the magic to show. (This module loads with ``%load_ext``;
:mod:`nbauth.errors` and the Auth's modules load when a command runs.)

Example::

    %nbauth login --paste --provider corp
    %nbauth login --jupyter       # JupyterHub, Binder: the page returns to this Jupyter
    %nbauth login --user-pool     # username, then password and codes typed privately
    %nbauth complete              # paste the URL privately
    %nbauth logout
"""

from __future__ import annotations

import argparse
import threading
import time
from typing import TYPE_CHECKING, Any

from .display import Code, Message, mm_ss, show
from .status_rows import pending_line

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from ..auth import Auth
    from .magics_host import MagicsHost

__all__ = ["SignInCommands", "check_jupyter_mode", "give_up_after"]


class SignInCommands:
    """The subcommands that change the session; one method per subcommand."""

    def __init__(self, shell: InteractiveShell, host: MagicsHost) -> None:
        self.shell = shell
        self.host = host

    def _auth(self) -> Auth:
        auth = self.host.auth(configure=True)
        assert auth is not None  # configure=True raises instead
        return auth

    # -- login / complete / cancel -------------------------------------------------------

    def login(self, args: argparse.Namespace) -> None:
        auth = self._auth()
        status = auth.status()
        pending = auth.pending_sign_in
        if pending is not None:
            shown = status.pending_sign_in or pending
            show(
                Message(
                    "A sign-in is already in progress.",
                    lines=[
                        pending_line(shown, status.checked_at),
                        ("Finish it, or run ", Code("%nbauth cancel"), " to start over."),
                    ],
                    level="warning",
                )
            )
            self.host.show_sign_in_prompt(auth, pending)
            return
        if status.state == "signed_in":
            from ..errors import UserAlreadyAuthenticatedError

            raise UserAlreadyAuthenticatedError(
                f"Already signed in as {status.username or 'a user'} ({status.provider}).",
                "Keep using the current session (%nbauth whoami), or run %nbauth logout first.",
            )
        if args.widget and self._show_widget(auth, args.mode):
            return
        mode = args.mode or "device"
        if mode == "user_pool":
            self._user_pool(auth, args)
            return
        if mode == "jupyter":
            check_jupyter_mode()
        if mode == "device":
            handle: Any = auth.sign_in_with_device_code(provider=args.provider)
            if args.timeout is not None:
                give_up_after(handle, args.timeout)
        else:
            handle = auth.sign_in_with_redirect(
                provider=args.provider, mode=mode, timeout=args.timeout or 300.0
            )
        if args.timeout is not None:
            auth.sign_in_wait_seconds = args.timeout
        self.host.show_sign_in_prompt(
            auth,
            handle,
            (
                "This cell is done: keep working. Cells that need AWS credentials wait for the "
                "sign-in; ",
                Code("%nbauth cancel"),
                " stops it.",
            ),
        )

    def _user_pool(self, auth: Auth, args: argparse.Namespace) -> None:
        """``--user-pool``: the sign-in typed in this cell (:class:`UserPoolConversation`)."""
        from ..errors import InvalidParameterError

        if args.provider:
            raise InvalidParameterError(
                "--provider names an OpenID Connect provider; --user-pool signs in to the "
                "configured Cognito user pool.",
                "Leave out --provider, or leave out --user-pool (%nbauth login --provider NAME).",
            )
        from .sign_in_prompts import UserPoolConversation

        UserPoolConversation(auth).run(args.username)

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
        self.host.widgets.append(widget)
        display(widget)
        return True

    def complete(self, args: argparse.Namespace) -> None:
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
        who = auth.status().username
        show(
            Message(
                "Signed in" + (f" as {who}" if who else "") + ".",
                lines=[("AWS credentials follow; ", Code("%nbauth status"), " shows them.")],
                level="success",
            )
        )

    def cancel(self, args: argparse.Namespace) -> None:
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

    # -- federate / logout ---------------------------------------------------------------

    def federate(self, args: argparse.Namespace) -> None:
        from ..core.jwt import JWT
        from ..core.values import AuthTokens
        from ..errors import InvalidParameterError

        name = args.variable
        if not name.isidentifier():
            raise InvalidParameterError(
                "%nbauth federate takes the NAME of a variable holding the token, not the token.",
                "Assign the token to a variable (token = ...) and run %nbauth federate token "
                "PROVIDER, so the token never lands in the notebook's source.",
            )
        user_ns = self.shell.user_ns
        if name not in user_ns:
            raise InvalidParameterError(
                f"There is no variable named {name!r} in the notebook.",
                f"Assign the provider's token to {name} first.",
            )
        value = user_ns[name]
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
                f"Federated to the identity pool with {auth.status().provider or args.provider}.",
                lines=[
                    f"Identity id {result.identity_id}{left} (refreshed automatically).",
                    ("End it with ", Code("%nbauth logout"), "."),
                ],
                level="success",
            )
        )

    def logout(self, args: argparse.Namespace) -> None:
        auth = self._auth()
        pending = auth.pending_sign_in
        if pending is not None:
            pending.cancel()
        status = auth.status()
        state = status.state
        if state == "federated":
            auth.clear_federation_to_identity_pool()
            title = "Federation cleared; its AWS credentials were dropped."
        elif state == "signed_in":
            who = status.username
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


def check_jupyter_mode() -> None:
    """``--jupyter`` needs the Jupyter server that started this kernel to have loaded nbauth's
    server extension; say how to enable it when it has not."""
    import os

    from .callback_drop_box import CALLBACK_DIR_ENV
    from .jupyter_receiver import server_callback_available

    if server_callback_available():
        return
    directory = os.environ.get(CALLBACK_DIR_ENV)
    if directory and os.path.isdir(directory):
        return  # the extension is there: the redirect URI's own error says what is missing
    from ..errors import ConfigurationError

    raise ConfigurationError(
        "Signing in through this Jupyter needs nbauth's Jupyter server extension, and the server "
        "that started this kernel has not loaded it.",
        "Enable it where Jupyter runs (nbauth jupyter-setup), restart Jupyter, then restart "
        "this kernel; or sign in with %nbauth login (a code) or %nbauth login --paste.",
        name="ServerExtensionMissing",
    )


def give_up_after(handle: Any, seconds: float) -> None:
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
