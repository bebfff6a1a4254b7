"""``%load_ext nbauth``: the kernel extension's entry points, and the ``@nbauth.token_provider``
hook.

Loading the extension

* registers the ``%nbauth`` line magic (:mod:`nbauth.notebook.magics`);
* under JupyterHub (a single-user server whose hub hands it the person's ``auth_state``), signs
  in with the hub's tokens — :class:`~nbauth.integrations.jupyterhub.HubTokenProvider`, no second
  sign-in — and says "Signed in through JupyterHub as <name>"; else says in one line why not;
* uses the default :class:`~nbauth.Auth` — configured from ``$NBAUTH_CONFIG`` or
  ``./amplify_outputs.json`` when one exists, otherwise left unconfigured with a note on how to
  configure (``%nbauth config <path>`` or ``nbauth.configure(...)``);
* makes a call that waits for a pending sign-in say so in its cell
  (``Auth.on_waiting_for_sign_in``), and replaces a sign-in prompt once the sign-in ends
  (invariant 1: device-code prompts are cleared — :mod:`nbauth.notebook.sign_in_prompts`);
* pushes ``nbauth_session`` (a :class:`~nbauth.notebook.live_session.LiveSession`) into the
  user namespace;
* ties background refresh to the kernel: unloading the extension, or the kernel exiting
  (``atexit`` — IPython 8 has no shutdown event), closes every Auth it managed, so no
  ``nbauth-refresh-*`` thread outlives it. ``%reload_ext nbauth`` resumes it.

What one load sets up is a :class:`~nbauth.notebook.notebook_extension.NotebookExtension`;
:data:`extensions` keeps one per shell. Loading twice is harmless: the second load only reports
that the extension is loaded. Loading imports only what its first message needs (see
``benchmarks/bench_load_ext.py``).

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
import threading
from typing import TYPE_CHECKING

from .cell_token_provider import CellTokenProvider, token_provider
from .display import Code, Message, show
from .notebook_extension import SESSION_VARIABLE, NotebookExtension

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

__all__ = [
    "SESSION_VARIABLE",
    "CellTokenProvider",
    "ExtensionRegistry",
    "NotebookExtension",
    "extensions",
    "load_ipython_extension",
    "show_hub_sign_in",
    "token_provider",
    "unload_ipython_extension",
]


class ExtensionRegistry:
    """The :class:`NotebookExtension` of each shell in this process, and the ``atexit`` hook
    that stops their Auths' background refresh when the kernel process ends."""

    def __init__(self) -> None:
        self._by_shell: dict[int, NotebookExtension] = {}
        self._lock = threading.Lock()
        self.atexit_registered = False

    def add(self, shell: InteractiveShell) -> tuple[NotebookExtension, bool]:
        """The extension of ``shell``, made if there is none: ``(extension, made)``."""
        with self._lock:
            extension = self._by_shell.get(id(shell))
            made = extension is None or extension.shell is not shell
            if made:
                extension = NotebookExtension(shell)
                self._by_shell[id(shell)] = extension
            if not self.atexit_registered:
                atexit.register(self.close_all)
                self.atexit_registered = True
        assert extension is not None
        return extension, made

    def get(self, shell: InteractiveShell) -> NotebookExtension | None:
        """The extension loaded into ``shell``, if any."""
        with self._lock:
            extension = self._by_shell.get(id(shell))
        return extension if extension is not None and extension.shell is shell else None

    def pop(self, shell: InteractiveShell) -> NotebookExtension | None:
        with self._lock:
            return self._by_shell.pop(id(shell), None)

    def shell_ids(self) -> list[int]:
        """``id()`` of every shell the extension is loaded into."""
        with self._lock:
            return list(self._by_shell)

    def close_all(self) -> None:
        """At interpreter exit (the kernel shutting down): stop every managed Auth's refresh."""
        with self._lock:
            loaded = list(self._by_shell.values())
        for extension in loaded:
            extension.close_auths()


#: The extensions loaded in this process, one per shell.
extensions = ExtensionRegistry()


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """``%load_ext nbauth``: register ``%nbauth``, hooks and ``nbauth_session`` (idempotent)."""
    extension, made = extensions.add(ipython)
    if not made:
        show(Message("nbauth is already loaded.", lines=[("Run ", Code("%nbauth help"), ".")]))
        return
    show_hub_sign_in()
    extension.start()


def show_hub_sign_in() -> None:
    """Under JupyterHub, sign in with the hub's tokens, or say in one line why not."""
    from .default_auth import hub_sign_in

    outcome = hub_sign_in()
    if outcome is None:
        return
    signed_in, text = outcome
    if signed_in:
        show(Message(text, level="success"))
    else:
        show(Message(text, lines=[("Sign in with ", Code("%nbauth login"), ".")], level="warning"))


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    """``%unload_ext nbauth``: remove everything the load added and stop background refresh."""
    extension = extensions.pop(ipython)
    if extension is not None:
        extension.stop()
