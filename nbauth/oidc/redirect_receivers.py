"""Where the authorization redirect comes back: the receiver protocol and the ``mode`` registry.

The code flow (:mod:`nbauth.oidc.authorization_code`) needs four things from whatever receives
the browser's redirect, whatever it is:

* ``redirect_uri`` — known as soon as the receiver is made (it goes into the authorization URL);
* ``start(state, deliver, on_timeout)`` — wait, off the caller's thread, for the redirect
  carrying ``state``, then call ``deliver(url)`` once with the full URL; or call
  ``on_timeout(message)`` when nothing came in time (a receiver without a time-out never does);
* ``report(status, message)`` — the sign-in ended (a status and a message, never a secret): tell
  the browser's page if it waits for that, and stop;
* ``close()`` — stop waiting and free what was held (idempotent).

The URL a receiver delivers is untrusted: the flow checks ``state``, ``iss`` and ``error`` itself.
A receiver checks ``state`` too, before it marks anything done
(:func:`~nbauth.oidc.redirect_state.state_matches`, DESIGN invariant 11): a request without it
gets an error and the receiver keeps waiting. ``deliver(url)`` with another state raises
:class:`~nbauth.errors.CallbackValidationError` and leaves the sign-in pending.

``sign_in_with_redirect(mode=...)`` picks the receiver by name:

* ``"loopback"`` — :class:`~nbauth.oidc.rfc8252.LoopbackReceiver` (RFC 8252, 127.0.0.1);
* ``"paste"`` — :class:`PasteReceiver`: the user pastes the final URL into ``handle.complete()``;
* any other name registered with :func:`register_redirect_receiver`, or declared as an entry
  point in the ``nbauth.redirect_receivers`` group — nbauth declares ``jupyter``
  (:mod:`nbauth.notebook.jupyter_receiver`), so this package never imports Jupyter.

Example — a receiver of your own::

    def my_receiver(*, redirect_uri, registered_uris, timeout):
        return MyReceiver(redirect_uri or "https://app.example.com/cb", timeout)

    register_redirect_receiver("relay", my_receiver)
    auth.sign_in_with_redirect(mode="relay")
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Protocol, cast

from ..core.install_hints import pip_install_hint
from ..errors import ConfigurationError, InvalidParameterError
from .rfc8252 import first_loopback_uri, loopback_receiver

__all__ = [
    "ENTRY_POINT_GROUP",
    "PasteReceiver",
    "RedirectReceiver",
    "RedirectReceiverFactory",
    "paste_receiver",
    "redirect_receiver_factory",
    "redirect_receiver_modes",
    "register_redirect_receiver",
]

#: The entry-point group other packages (and nbauth's notebook layer) declare receivers in.
ENTRY_POINT_GROUP = "nbauth.redirect_receivers"

#: Where paste mode sends the browser when nothing else is configured (the page won't load;
#: the user copies the URL from the address bar).
PASTE_REDIRECT_URI = "http://127.0.0.1/callback"


class RedirectReceiver(Protocol):
    """Receives one authorization redirect; see the module docstring."""

    @property
    def redirect_uri(self) -> str: ...

    def start(
        self, state: str, deliver: Callable[[str], None], on_timeout: Callable[[str], None]
    ) -> None: ...

    def report(self, status: str, message: str) -> None: ...

    def close(self) -> None: ...


class RedirectReceiverFactory(Protocol):
    """Makes the receiver of one sign-in.

    ``redirect_uri`` is the caller's (``sign_in_with_redirect(redirect_uri=...)``), else None;
    ``registered_uris`` are the provider's configured redirect URIs. Raise
    :class:`~nbauth.errors.InvalidParameterError` when the receiver cannot work here.
    """

    def __call__(
        self, *, redirect_uri: str | None, registered_uris: tuple[str, ...], timeout: float
    ) -> RedirectReceiver: ...


class PasteReceiver:
    """``mode="paste"``: nothing listens; the user hands the URL to ``handle.complete()``."""

    def __init__(self, redirect_uri: str) -> None:
        self.redirect_uri = redirect_uri

    def start(
        self, state: str, deliver: Callable[[str], None], on_timeout: Callable[[str], None]
    ) -> None:
        return  # the user delivers; no time-out (the code itself expires at the IdP)

    def report(self, status: str, message: str) -> None:
        return

    def close(self) -> None:
        return


def paste_receiver(
    *, redirect_uri: str | None, registered_uris: tuple[str, ...], timeout: float
) -> PasteReceiver:
    """The caller's redirect URI, a registered loopback one, or ``http://127.0.0.1/callback``."""
    return PasteReceiver(redirect_uri or first_loopback_uri(registered_uris) or PASTE_REDIRECT_URI)


_BUILT_IN: dict[str, RedirectReceiverFactory] = {
    "loopback": loopback_receiver,
    "paste": paste_receiver,
}
_registered: dict[str, RedirectReceiverFactory] = {}
_lock = threading.Lock()


def register_redirect_receiver(mode: str, factory: RedirectReceiverFactory) -> None:
    """Make ``sign_in_with_redirect(mode=mode)`` use ``factory`` (replaces an earlier one)."""
    if not isinstance(mode, str) or not mode:
        raise InvalidParameterError(f"A redirect mode is a non-empty string, got {mode!r}.")
    if mode in _BUILT_IN:
        raise InvalidParameterError(f"mode={mode!r} is built in and cannot be replaced.")
    if not callable(factory):
        raise InvalidParameterError(f"The receiver factory for {mode!r} is not callable.")
    with _lock:
        _registered[mode] = factory


def _entry_points() -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(point.name, point)  # the first installed one wins
    return found


def redirect_receiver_modes() -> tuple[str, ...]:
    """Every mode that resolves now: built-in, registered, then declared as entry points."""
    with _lock:
        registered = list(_registered)
    names = [*_BUILT_IN, *registered]
    return tuple(names + sorted(set(_entry_points()) - set(names)))


def redirect_receiver_factory(mode: object) -> RedirectReceiverFactory:
    """The factory for ``mode``; a typed error naming the known modes when there is none."""
    if isinstance(mode, str) and mode:
        if mode in _BUILT_IN:
            return _BUILT_IN[mode]
        with _lock:
            factory = _registered.get(mode)
        if factory is not None:
            return factory
        point = _entry_points().get(mode)
        if point is not None:
            return _load(mode, point)
        if mode == "jupyter":
            raise ConfigurationError(
                "mode='jupyter' needs nbauth's Jupyter receiver, and no "
                f"{ENTRY_POINT_GROUP!r} entry point named 'jupyter' is installed.",
                "Reinstall nbauth so its entry points are registered "
                f"({pip_install_hint('notebook')}), or use mode='paste'.",
            )
    raise InvalidParameterError(
        f"mode must be one of {', '.join(redirect_receiver_modes())}, got {mode!r}.",
        "Use 'loopback' on your own machine, 'jupyter' on a remote kernel in Jupyter "
        "(JupyterHub, Binder), 'paste' anywhere else.",
    )


def _load(mode: str, point: EntryPoint) -> RedirectReceiverFactory:
    try:
        loaded = point.load()
    except Exception as exc:
        raise ConfigurationError(
            f"The redirect receiver for mode={mode!r} ({point.value}) failed to load: "
            f"{type(exc).__name__}.",
            "Reinstall the package that provides it, or use mode='paste'.",
            underlying=exc,
        ) from exc
    if not callable(loaded):
        raise ConfigurationError(
            f"The redirect receiver for mode={mode!r} ({point.value}) is not callable."
        )
    factory = cast(RedirectReceiverFactory, loaded)
    with _lock:
        _registered.setdefault(mode, factory)
        return _registered[mode]
