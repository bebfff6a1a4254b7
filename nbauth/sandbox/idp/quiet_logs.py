"""Keep Authlib's debug logging of issued tokens out of the logs.

Authlib's grants log ``"Issue token %r to %r"`` — the whole token response,
access and refresh tokens included — at DEBUG. The filter installed here
drops every record those loggers emit from the IdP's server threads (named
``nbauth-sandbox-idp-*``), so turning on DEBUG logging never leaks a sandbox
token; Authlib used elsewhere in the process logs as before.
"""

from __future__ import annotations

import logging
import threading

__all__ = ["THREAD_PREFIX", "install"]

THREAD_PREFIX = "nbauth-sandbox-idp"
_AUTHLIB_LOGGERS = (
    "authlib.oauth2.rfc6749.grants.authorization_code",
    "authlib.oauth2.rfc6749.grants.refresh_token",
    "authlib.oauth2.rfc6749.authenticate_client",
    "authlib.oauth2.rfc8628.device_code",
    "authlib.oidc.core.grants.code",
)


class _DropIdpThreadRecords(logging.Filter):
    """Rejects records logged on an IdP server thread."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not threading.current_thread().name.startswith(THREAD_PREFIX)


_FILTER = _DropIdpThreadRecords()
_lock = threading.Lock()


def install() -> None:
    """Add the filter to Authlib's server loggers (idempotent)."""
    with _lock:
        for name in _AUTHLIB_LOGGERS:
            logger = logging.getLogger(name)
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)
