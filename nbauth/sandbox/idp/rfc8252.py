"""RFC 8252 §7.3: loopback redirect URIs of native apps match on any port.

A native app (a notebook kernel) listens on an ephemeral port, so the
authorization server accepts ``http://127.0.0.1:<any port>/<path>`` (and, as
many providers do, ``http://localhost:<any port>/<path>`` and ``[::1]``) for a
client registered for loopback redirects. Only plain ``http``, no user info, no
fragment.
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["LOOPBACK_HOSTS", "is_loopback_redirect"]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_loopback_redirect(uri: str) -> bool:
    """True for ``http://<loopback host>[:<port>]/<path>[?query]``."""
    try:
        parts = urlsplit(uri)
        port = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return False
    return (
        parts.scheme == "http"
        and parts.hostname in LOOPBACK_HOSTS
        and parts.username is None
        and parts.password is None
        and not parts.fragment
        and (port is None or 0 < port < 65536)
    )
