"""Hub: a tiny publish/subscribe bus, as Amplify's ``Hub``.

Example::

    from nbauth import hub

    def on_auth(capsule):
        print(capsule["payload"]["event"])

    stop = hub.listen("auth", on_auth)
    ...
    stop()   # unsubscribe

Each capsule is ``{"channel": "auth", "payload": {"event", "data", "message"},
"source": "Auth"}``. A listener that raises is logged and skipped; the others
still run. Payloads never carry tokens, keys or passwords.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["AUTH_EVENTS", "Hub", "hub"]

log = logging.getLogger("nbauth.events")

Listener = Callable[[dict[str, Any]], Any]

#: Every event the ``auth`` channel carries.
AUTH_EVENTS = frozenset(
    {
        # Amplify's seven
        "signedIn",
        "signedOut",
        "tokenRefresh",
        "tokenRefresh_failure",
        "signInWithRedirect",
        "signInWithRedirect_failure",
        "customOAuthState",
        # the native SDKs'
        "federatedToIdentityPool",
        "federationToIdentityPoolCleared",
        "sessionExpired",
        # nbauth's
        "credentialsRefresh",
        "credentialsRefresh_failure",
    }
)


class Hub:
    """Channels of listeners; ``listen`` returns the function that unsubscribes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[str, tuple[Listener, ...]] = {}

    def listen(self, channel: str, callback: Listener) -> Callable[[], None]:
        """Call ``callback(capsule)`` for every event on ``channel``; returns an unsubscriber."""
        if not callable(callback):
            from .errors import InvalidParameterError

            raise InvalidParameterError(
                f"hub.listen() needs a callable, got {type(callback).__name__}",
                "Pass a function that takes one argument (the event capsule).",
            )
        with self._lock:
            self._listeners[channel] = (*self._listeners.get(channel, ()), callback)

        def unsubscribe() -> None:
            with self._lock:
                current = self._listeners.get(channel, ())
                if callback in current:
                    listeners = list(current)
                    listeners.remove(callback)
                    self._listeners[channel] = tuple(listeners)

        return unsubscribe

    def dispatch(
        self,
        channel: str,
        event: str,
        data: Any = None,
        message: str | None = None,
        *,
        source: str = "Auth",
    ) -> None:
        """Deliver one event to every listener of ``channel`` in the calling thread."""
        listeners = self._listeners.get(channel, ())
        if not listeners:
            return
        capsule = {
            "channel": channel,
            "payload": {"event": event, "data": data, "message": message},
            "source": source,
        }
        for listener in listeners:
            try:
                listener(capsule)
            except Exception:
                log.exception("Hub listener %r failed on %s/%s", listener, channel, event)


#: The process-wide hub.
hub = Hub()
