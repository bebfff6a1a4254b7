"""The login widgets alive in this kernel (Run All asks them; their heartbeats stop at exit),
:func:`login`, and whether the Jupyter server's callback answers.

Example::

    from nbauth.notebook.widget import login
    w = login()
"""

from __future__ import annotations

import atexit
import logging
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..auth import Auth
    from .widget import LoginWidget

__all__ = ["jupyter_callback_available", "live_widgets", "login", "register"]

log = logging.getLogger("nbauth.notebook")


def jupyter_callback_available() -> bool:
    """The Jupyter server extension answers (``mode="jupyter"`` works); False until the
    receiver module offers the check."""
    try:
        from . import jupyter_receiver

        check = getattr(jupyter_receiver, "server_callback_available", None)
        return bool(check()) if callable(check) else False
    except Exception:
        return False


def login(auth: Auth | None = None, **kwargs: Any) -> LoginWidget:
    """Display a :class:`LoginWidget` and return it (keyword arguments as for the widget).

    Example::

        from nbauth.notebook.widget import login
        w = login()                       # or login(providers=["user_pool"])
    """
    from IPython.display import display

    from .widget import LoginWidget

    widget = LoginWidget(auth, **kwargs)
    display(widget)
    return widget


# Widgets alive in this kernel; their threads stop when the kernel exits.
_LIVE: weakref.WeakSet[LoginWidget] = weakref.WeakSet()


def register(widget: LoginWidget, alive: bool = True) -> None:
    """Track (or forget) an open widget."""
    if alive:
        _LIVE.add(widget)
    else:
        _LIVE.discard(widget)


def live_widgets(auth: Auth) -> list[LoginWidget]:
    """The open widgets of ``auth`` (Run All asks them whether to wait for a person)."""
    return [w for w in list(_LIVE) if w.auth is auth]


def _stop_all() -> None:
    for widget in list(_LIVE):
        try:
            widget.stop_background()
        except Exception:
            log.debug("Stopping a login widget at exit failed", exc_info=True)


atexit.register(_stop_all)
