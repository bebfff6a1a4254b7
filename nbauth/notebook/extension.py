"""``%load_ext nbauth``: the kernel extension, and the ``@nbauth.token_provider`` hook.

Loading the extension

* registers the ``%nbauth`` line magic (:mod:`nbauth.notebook.magics`);
* uses the default :class:`~nbauth.Auth` — configured from ``$NBAUTH_CONFIG`` or
  ``./amplify_outputs.json`` when one exists, otherwise left unconfigured with a note on how to
  configure (``%nbauth config <path>`` or ``nbauth.configure(...)``);
* makes a call that waits for a pending sign-in say so in its cell
  (``Auth.on_waiting_for_sign_in``), and replaces a sign-in prompt once the sign-in ends
  (invariant 1: device-code prompts are cleared);
* pushes ``nbauth_session`` (a :class:`~nbauth.notebook.live_session.LiveSession`) into the
  user namespace;
* ties background refresh to the kernel: unloading the extension, or the kernel exiting
  (``atexit`` — IPython 8 has no shutdown event), closes every Auth it managed, so no
  ``nbauth-refresh-*`` thread outlives it. ``%reload_ext nbauth`` resumes it.

Loading twice is harmless: the second load only reports that the extension is loaded.

Importing this module does not import IPython (``@nbauth.token_provider`` works in scripts).

Example::

    %load_ext nbauth
    %nbauth login

    @nbauth.token_provider
    def my_tokens(force_refresh=False):
        return {"id_token": get_id_token_from_my_sso(force_refresh)}
"""

from __future__ import annotations

import atexit
import contextlib
import inspect
import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from .display import Code, Link, Message, error_message, mm_ss, show, update
from .live_session import pending_description, provider_name, signed_in_claims, user_name

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from ..auth import Auth
    from .magics import NBAuthMagics

__all__ = [
    "CellTokenProvider",
    "NotebookExtension",
    "load_ipython_extension",
    "token_provider",
    "unload_ipython_extension",
]

log = logging.getLogger("nbauth.notebook")

#: The name ``%load_ext nbauth`` gives the live session in the user namespace.
SESSION_VARIABLE = "nbauth_session"

_extensions: dict[int, NotebookExtension] = {}
_extensions_lock = threading.Lock()
#: Auths whose background refresh an unload stopped; a later load resumes it.
_closed_by_unload: weakref.WeakSet[Any] = weakref.WeakSet()
_atexit_registered = False


# -- IPython's entry points ------------------------------------------------------------------


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """``%load_ext nbauth``: register ``%nbauth``, hooks and ``nbauth_session`` (idempotent)."""
    global _atexit_registered
    with _extensions_lock:
        extension = _extensions.get(id(ipython))
        if extension is not None and extension.shell is ipython:
            already = True
        else:
            already = False
            extension = NotebookExtension(ipython)
            _extensions[id(ipython)] = extension
        if not _atexit_registered:
            atexit.register(_close_all_at_exit)
            _atexit_registered = True
    if already:
        show(Message("nbauth is already loaded.", lines=[("Run ", Code("%nbauth help"), ".")]))
        return
    extension.start()


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    """``%unload_ext nbauth``: remove everything the load added and stop background refresh."""
    with _extensions_lock:
        extension = _extensions.pop(id(ipython), None)
    if extension is not None:
        extension.stop()


def _close_all_at_exit() -> None:
    """At interpreter exit (the kernel shutting down): stop every managed Auth's refresh."""
    with _extensions_lock:
        extensions = list(_extensions.values())
    for extension in extensions:
        extension.close_auths()


# -- the extension ---------------------------------------------------------------------------


@dataclass
class _Prompt:
    """A sign-in message in some cell, replaced once its sign-in ends."""

    handle: Any
    display: Any
    auth: Any


class NotebookExtension:
    """What ``%load_ext nbauth`` set up in one shell; undone by :meth:`stop`.

    The magics act through it: :meth:`auth` is the default Auth (with the waiting hook
    attached), :meth:`show_sign_in_prompt` the message a ``%nbauth login`` leaves in its cell.
    """

    def __init__(self, shell: InteractiveShell) -> None:
        self.shell = shell
        self.magics: NBAuthMagics | None = None
        self.live_session: Any = None
        self.last_sign_in: Any = None  # the handle of the latest sign-in started here
        self._managed: weakref.WeakSet[Any] = weakref.WeakSet()
        self._seen_default: Any = None
        self._prompts: list[_Prompt] = []
        self._prompts_lock = threading.Lock()
        self._waiting: Any = None  # a sign-in a cell of this run is waiting for
        self.widgets: list[Any] = []  # LoginWidgets shown by %nbauth login --widget
        self._started = False

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        from .live_session import LiveSession
        from .magics import NBAuthMagics

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
        from ..errors import ConfigurationError

        try:
            auth = self.auth(configure=_config_available())
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
        who = user_name(signed_in_claims(auth))
        state = auth.state + (f" as {who}" if who else "")
        show(
            Message(
                f"nbauth loaded ({state}).",
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
        if self.magics is not None:
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
        with self._prompts_lock:
            self._prompts = []
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
            if auth.on_waiting_for_sign_in == self._on_waiting:
                auth.on_waiting_for_sign_in = None
            try:
                auth.close()
            except Exception:  # shutting down: report, never raise
                log.exception("Closing an Auth failed")
            if unloading:
                _closed_by_unload.add(auth)
        if unloading:
            self._managed = weakref.WeakSet()
            self._seen_default = None

    # -- the Auth the magics use ----------------------------------------------------------

    def auth(self, *, configure: bool = True) -> Auth | None:
        """The default Auth, with this extension's hooks attached.

        ``configure=True`` makes it from the environment when there is none yet (raising
        :class:`~nbauth.errors.ConfigurationError` when there is no configuration);
        ``configure=False`` returns ``None`` instead.
        """
        from .. import api

        auth = api._default
        if auth is None:
            if not configure:
                return None
            auth = api.current_auth()
        self.attach(auth)
        return auth

    def attach(self, auth: Auth) -> None:
        """Manage ``auth``: show waits for its pending sign-ins, stop its refresh on unload."""
        if auth.on_waiting_for_sign_in is None:
            auth.on_waiting_for_sign_in = self._on_waiting
        if auth not in self._managed:
            self._managed.add(auth)
            if auth in _closed_by_unload:
                _closed_by_unload.discard(auth)
                _resume_background_refresh(auth)
        self._seen_default = auth

    def _sync_default(self) -> None:
        """Follow ``nbauth.configure()`` calls made in cells (cheap: one attribute read)."""
        from .. import api

        auth = api._default
        if auth is not None and auth is not self._seen_default:
            self.attach(auth)

    # -- cell events -----------------------------------------------------------------------

    def _pre_run_cell(self, info: Any = None) -> None:
        self._waiting = None
        self._sync_default()
        self._finish_prompts()

    def _post_run_cell(self, result: Any = None) -> None:
        self._sync_default()
        error = getattr(result, "error_in_exec", None)
        waiting, self._waiting = self._waiting, None
        if isinstance(error, KeyboardInterrupt) and waiting is not None:
            self.interrupted(waiting)
        self._finish_prompts()

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

    def _on_waiting(self, handle: Any, timeout: float) -> None:
        """``Auth.on_waiting_for_sign_in``: a call needs credentials while a sign-in is pending."""
        self._waiting = handle
        lines = _sign_in_lines(handle)
        lines.append(
            (
                f"This cell continues once you have signed in (times out in {timeout:.0f} s). ",
                "Interrupt the kernel or run ",
                Code("%nbauth cancel"),
                " to stop.",
            )
        )
        message = Message("Waiting for sign-in…", lines=lines, level="warning")
        self.track_prompt(handle, show(message, display_id=True), _auth_of(handle, self))

    def show_sign_in_prompt(self, auth: Auth, handle: Any, *lines: Any) -> None:
        """The message a ``%nbauth login`` leaves in its cell; replaced when the sign-in ends."""
        self.last_sign_in = handle
        body = _sign_in_lines(handle)
        body.extend(lines)
        provider = getattr(handle, "provider", None) or "the identity provider"
        message = Message(f"Sign in with {provider}", lines=body)
        self.track_prompt(handle, show(message, display_id=True), auth)

    def track_prompt(self, handle: Any, display: Any, auth: Any) -> None:
        prompt = _Prompt(handle, display, auth)
        with self._prompts_lock:
            self._prompts.append(prompt)
        # From the flow's thread (the front end may or may not route it), and again from the
        # next cell event on the main thread (which nbclient and every front end route).
        handle.on_done(lambda _h: update(prompt.display, self._outcome(prompt)))

    def _finish_prompts(self) -> None:
        with self._prompts_lock:
            done = [p for p in self._prompts if p.handle.done]
            self._prompts = [p for p in self._prompts if not p.handle.done]
        for prompt in done:
            update(prompt.display, self._outcome(prompt))

    def _outcome(self, prompt: _Prompt) -> Message:
        """What a finished sign-in's prompt turns into: no code, no link, no secret."""
        handle = prompt.handle
        if handle.status == "signed_in":
            who = user_name(signed_in_claims(prompt.auth)) if prompt.auth is not None else None
            where = provider_name(prompt.auth) if prompt.auth is not None else None
            title = "Signed in" + (f" as {who}" if who else "") + (f" ({where})" if where else "")
            return Message(
                title + ".",
                lines=[("AWS credentials follow; ", Code("%nbauth status"), " shows them.")],
                level="success",
            )
        if handle.status == "cancelled":
            return Message(
                "Sign-in cancelled.",
                lines=[("Run ", Code("%nbauth login"), " to start again.")],
                level="warning",
            )
        error = handle.error
        if error is not None:
            return error_message(error, ("Run ", Code("%nbauth login"), " to start again."))
        return Message(f"Sign-in ended: {handle.status}.", level="warning")


def _sign_in_lines(handle: Any) -> list[Any]:
    """How to complete a pending sign-in: the link, and the code for a device-code flow."""
    user_code = getattr(handle, "user_code", None)
    if user_code is not None:
        link = getattr(handle, "verification_uri_complete", None) or handle.verification_uri
        left = mm_ss(handle.seconds_left()) if hasattr(handle, "seconds_left") else "—"
        return [
            ("Open ", Link(link), " and confirm the code ", Code(user_code), "."),
            f"The code expires in {left}.",
        ]
    url = getattr(handle, "url", None)
    if url is None:
        return [pending_description(handle)]
    lines: list[Any] = [("Open ", Link(url, "this sign-in link"), " and sign in.")]
    if getattr(handle, "mode", None) == "paste":
        lines.append(
            (
                "Then copy the address your browser ends on (it starts with ",
                Code(handle.redirect_uri),
                "; the page itself may not load) and run ",
                Code("%nbauth complete"),
                " to paste it.",
            )
        )
    else:
        lines.append(f"nbauth listens for the answer on {handle.redirect_uri} (this machine).")
    return lines


def _auth_of(handle: Any, extension: NotebookExtension) -> Any:
    for auth in list(extension._managed):
        if auth.pending_sign_in is handle:
            return auth
    return extension._seen_default


def _config_available() -> bool:
    import os
    from pathlib import Path

    return bool(os.environ.get("NBAUTH_CONFIG")) or Path("amplify_outputs.json").is_file()


def _resume_background_refresh(auth: Auth) -> None:
    """Undo ``auth.close()`` for the refresh engines (after ``%unload_ext`` + ``%load_ext``)."""
    engines = [auth.credentials_engine]
    user_engine = getattr(getattr(auth, "_signed_in", None), "engine", None)
    if user_engine is not None:
        engines.append(user_engine)
    for engine in engines:
        engine.resume()


# -- @nbauth.token_provider ------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


class CellTokenProvider:
    """A :class:`~nbauth.TokenProvider` made from a function defined in a cell.

    The function takes ``force_refresh`` (or nothing) and returns a dict, an
    :class:`~nbauth.AuthTokens` or ``None``.
    """

    def __init__(self, function: Callable[..., Any]) -> None:
        if not callable(function):
            from ..errors import InvalidParameterError

            raise InvalidParameterError(
                f"@nbauth.token_provider decorates a function, not {type(function).__name__}.",
                "Decorate def my_tokens(force_refresh=False): return {'id_token': ...}.",
            )
        self.function = function
        self._takes_flag = _accepts_force_refresh(function)

    def get_tokens(self, *, force_refresh: bool = False) -> Any:
        if self._takes_flag:
            return self.function(force_refresh=force_refresh)
        return self.function()

    def __repr__(self) -> str:
        name = getattr(self.function, "__qualname__", type(self.function).__name__)
        return f"CellTokenProvider({name})"


def _accepts_force_refresh(function: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return True
    return "force_refresh" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


def token_provider(function: F | None = None, *, auth: Auth | None = None) -> Any:
    """Register a function as the :class:`~nbauth.TokenProvider` of the default Auth.

    The function is called as ``function(force_refresh=...)`` whenever nbauth needs tokens and
    returns ``{"id_token": ..., "access_token": ...}``, an :class:`~nbauth.AuthTokens`, or
    ``None`` (nobody signed in). Decorating again — e.g. re-running the cell — replaces the
    previous one; the cached session is dropped so the next call uses the new function.
    Returns the function unchanged. ``auth=`` registers on another :class:`~nbauth.Auth`.

    Example::

        @nbauth.token_provider
        def my_tokens(force_refresh=False):
            return {"id_token": corp_sso.id_token(refresh=force_refresh)}

        nbauth.boto3_session().client("s3")   # credentials for that token
    """

    def register(fn: F) -> F:
        provider = CellTokenProvider(fn)
        target = auth
        if target is None:
            from ..api import current_auth

            target = current_auth()
        with target._lock:
            target.token_provider = provider
            target._invalidate_session()
            target.credentials_engine.reset()
        return fn

    if function is None:
        return register
    return register(function)
