"""What ``%load_ext nbauth`` sets up in one shell, and takes down again on unload.

:class:`NotebookExtension` registers the ``%nbauth`` magic and the cell event handlers, pushes
``nbauth_session``, attaches its hooks to the default Auth (a call that waits for a pending
sign-in says so in its cell) and ties that Auth's background refresh to the kernel. It is the
:class:`~nbauth.notebook.magics_host.MagicsHost` of the magics.

Loading is light (``benchmarks/bench_load_ext.py``): the first message needs the Auth only when
there is a configuration to make it from, so the Auth facade is imported only then, or when a
magic runs; IPython's magic machinery is imported only by :meth:`NotebookExtension.start`.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import weakref
from typing import TYPE_CHECKING, Any

from .default_auth import config_available, configured_auth, current_auth
from .display import Code, Message, error_message, show
from .live_session import LiveSession
from .sign_in_prompts import SignInPrompts
from .status_rows import shown_state

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from ..auth import Auth
    from .magics import NBAuthMagics

__all__ = ["SESSION_VARIABLE", "NotebookExtension"]

log = logging.getLogger("nbauth.notebook")

#: The name ``%load_ext nbauth`` gives the live session in the user namespace.
SESSION_VARIABLE = "nbauth_session"

#: Auths whose background refresh an unload stopped; a later load resumes it.
_closed_by_unload: weakref.WeakSet[Auth] = weakref.WeakSet()


class NotebookExtension:
    """What ``%load_ext nbauth`` set up in one shell; undone by :meth:`stop`.

    The magics act through it: :meth:`auth` is the default Auth (with the waiting hook
    attached), :meth:`show_sign_in_prompt` the message a ``%nbauth login`` leaves in its cell.
    """

    def __init__(self, shell: InteractiveShell) -> None:
        self.shell = shell
        self.magics: NBAuthMagics | None = None
        self.live_session: LiveSession | None = None
        self.last_sign_in: Any = None  # the handle of the latest sign-in started here
        self.widgets: list[Any] = []  # LoginWidgets shown by %nbauth login --widget
        self.prompts = SignInPrompts()
        self._managed: weakref.WeakSet[Auth] = weakref.WeakSet()
        self._default: Auth | None = None  # the default Auth seen last
        self._waiting: Any = None  # a sign-in a cell of this run is waiting for
        self._started = False

    @property
    def waiting_for(self) -> Any:
        """The sign-in handle a cell of the current run waits for (``None`` if none)."""
        return self._waiting

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Register ``%nbauth``, the cell events and ``nbauth_session``; say how things are."""
        from .magics import NBAuthMagics  # IPython's magic machinery: in a shell only

        self.magics = NBAuthMagics(self.shell, self)
        self.shell.register_magics(self.magics)
        self.shell.events.register("pre_run_cell", self._pre_run_cell)
        self.shell.events.register("post_run_cell", self._post_run_cell)
        self.live_session = LiveSession()
        self.shell.push({SESSION_VARIABLE: self.live_session})
        self._started = True
        self.show_loaded()

    def show_loaded(self) -> None:
        """Attach to the default Auth (configuring it when a config exists) and say so."""
        auth = configured_auth()
        if auth is None and config_available():
            from ..errors import ConfigurationError  # reading a config: it may be broken

            try:
                auth = self.auth(configure=True)
            except ConfigurationError as err:
                show(
                    error_message(
                        err,
                        ("Fix it, then run ", Code("%nbauth config <path>"), "."),
                        title=f"nbauth loaded, but its configuration is invalid: {err.message}",
                    )
                )
                return
        if auth is None:
            show(
                Message(
                    "nbauth loaded — not configured yet.",
                    lines=[
                        (
                            "Run ",
                            Code("%nbauth config path/to/amplify_outputs.json"),
                            " or ",
                            Code("nbauth.configure(...)"),
                            "; or set $NBAUTH_CONFIG before loading.",
                        ),
                        ("Then ", Code("%nbauth login"), ". ", Code("%nbauth help"), " lists all."),
                    ],
                    level="warning",
                )
            )
            return
        self.attach(auth)
        status = auth.status()
        who = f" as {status.username}" if status.username else ""
        show(
            Message(
                f"nbauth loaded ({shown_state(status)}{who}).",
                lines=[
                    (
                        Code("%nbauth login"),
                        " signs in; ",
                        Code("%nbauth help"),
                        " lists all; ",
                        Code(SESSION_VARIABLE),
                        " is the live session.",
                    )
                ],
            )
        )

    def stop(self) -> None:
        """Undo :meth:`start`: magics, event handlers, ``nbauth_session``, hooks, refresh."""
        if not self._started:
            return
        self._started = False
        events = self.shell.events
        for name, callback in (
            ("pre_run_cell", self._pre_run_cell),
            ("post_run_cell", self._post_run_cell),
        ):
            with contextlib.suppress(ValueError):
                events.unregister(name, callback)
        manager = self.shell.magics_manager
        if self.magics is not None and manager is not None:
            line_magics = manager.magics.get("line", {})
            bound = line_magics.get("nbauth")
            if getattr(bound, "__self__", None) is self.magics:
                del line_magics["nbauth"]
            if manager.registry.get(type(self.magics).__name__) is self.magics:
                del manager.registry[type(self.magics).__name__]
        self.magics = None
        if self.shell.user_ns.get(SESSION_VARIABLE) is self.live_session:
            del self.shell.user_ns[SESSION_VARIABLE]
            self.shell.user_ns_hidden.pop(SESSION_VARIABLE, None)
        self.live_session = None
        for widget in self.widgets:
            with contextlib.suppress(Exception):
                widget.close()
        self.widgets = []
        self.prompts.clear()
        served = sys.modules.get("nbauth.aws.container_credentials")  # %nbauth serve-credentials
        if served is not None:
            served.stop_exported_credentials_endpoint()
        self.close_auths(unloading=True)

    def close_auths(self, *, unloading: bool = False) -> None:
        """Stop the background refresh of every Auth this extension managed.

        A pending sign-in is cancelled first (it would start refresh timers when it ends).
        """
        for auth in list(self._managed):
            pending = auth.pending_sign_in
            if pending is not None:
                with contextlib.suppress(Exception):
                    pending.cancel()
            hook = auth.on_waiting_for_sign_in
            if getattr(hook, "on_start", None) == self._on_waiting:
                auth.on_waiting_for_sign_in = None
            try:
                auth.close()
            except Exception:  # shutting down: report, never raise
                log.exception("Closing an Auth failed")
            if unloading:
                _closed_by_unload.add(auth)
        if unloading:
            self._managed = weakref.WeakSet()
            self._default = None

    # -- the Auth the magics use -----------------------------------------------------------

    def auth(self, *, configure: bool = True) -> Auth | None:
        """The default Auth, with this extension's hooks attached.

        ``configure=True`` makes it from the environment when there is none yet (raising
        :class:`~nbauth.errors.ConfigurationError` when there is no configuration);
        ``configure=False`` returns ``None`` instead.
        """
        auth = configured_auth()
        if auth is None:
            if not configure:
                return None
            auth = current_auth()
        self.attach(auth)
        return auth

    def attach(self, auth: Auth) -> None:
        """Manage ``auth``: show waits for its pending sign-ins, stop its refresh on unload."""
        from .run_all_wait import RunAllWait, install

        if auth.on_waiting_for_sign_in is None or isinstance(
            auth.on_waiting_for_sign_in, RunAllWait
        ):
            install(auth, on_start=self._on_waiting)
        if auth not in self._managed:
            self._managed.add(auth)
            if auth in _closed_by_unload:
                _closed_by_unload.discard(auth)
                auth.resume()  # %reload_ext: the unload stopped its background refresh
        self._default = auth

    def auth_waiting_on(self, handle: Any) -> Auth | None:
        """The managed Auth whose pending sign-in is ``handle`` (else the default one)."""
        for auth in list(self._managed):
            if auth.pending_sign_in is handle:
                return auth
        return self._default

    def _follow_default(self) -> None:
        """Follow ``nbauth.configure()`` calls made in cells (cheap: one attribute read)."""
        auth = configured_auth()
        if auth is not None and auth is not self._default:
            self.attach(auth)

    # -- cell events -----------------------------------------------------------------------

    def _pre_run_cell(self, info: Any = None) -> None:
        self._waiting = None
        self._follow_default()
        self.prompts.finish_done()

    def _post_run_cell(self, result: Any = None) -> None:
        self._follow_default()
        error = getattr(result, "error_in_exec", None)
        waiting, self._waiting = self._waiting, None
        if isinstance(error, KeyboardInterrupt) and waiting is not None:
            self.interrupted(waiting)
        self.prompts.finish_done()

    def interrupted(self, handle: Any) -> None:
        """The kernel was interrupted while a cell waited for ``handle``: cancel the sign-in."""
        self._waiting = None
        if handle is None or handle.done:
            return
        with contextlib.suppress(Exception):
            handle.cancel()
        show(
            Message(
                "Interrupted while waiting for the sign-in; the sign-in was cancelled.",
                lines=[("Nothing else changed. Run ", Code("%nbauth login"), " to start again.")],
                level="warning",
            )
        )

    # -- sign-in prompts and waits -----------------------------------------------------------

    def _on_waiting(self, handle: Any) -> None:
        """A call needing credentials started waiting (:mod:`.run_all_wait` shows the message
        and counts down); remembered so an interrupt cancels that sign-in."""
        self._waiting = handle

    def show_sign_in_prompt(self, auth: Auth, handle: Any, *lines: Any) -> None:
        """The message a ``%nbauth login`` leaves in its cell; replaced when the sign-in ends."""
        self.last_sign_in = handle
        provider = getattr(handle, "provider", None) or "the identity provider"
        self.prompts.show(auth, handle, f"Sign in with {provider}", *lines)
