"""Which URLs nbauth will talk to (or show as a link): https, or plain http on loopback only.

Issuers, discovery endpoints and the device flow's verification links come from configuration
or from a server's answer. A ``javascript:`` or ``file:`` URL there is an attack, and plain
``http://`` to another host would send tokens in clear, so every such URL passes
:func:`check_secure_url` first. Loopback (``127.0.0.0/8``, ``::1``, ``localhost``) may use
http: that is where local test servers and RFC 8252 redirect listeners live.

Example::

    >>> check_secure_url("https://id.example.com/token", "the token endpoint")
    'https://id.example.com/token'
    >>> is_secure_url("http://127.0.0.1:8080/cb")
    True
    >>> is_secure_url("javascript:alert(1)")
    False
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from ..errors import AuthError, InsecureEndpointError

__all__ = ["check_secure_url", "is_loopback_host", "is_secure_url"]


def is_loopback_host(host: str | None) -> bool:
    """Whether ``host`` (a hostname or IP literal, no port) is this machine."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_secure_url(url: object) -> bool:
    """``url`` is an absolute https URL, or http to a loopback host; no user info in it."""
    if not isinstance(url, str) or not url or url != url.strip() or any(c < " " for c in url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    if not host or parts.username is not None or parts.password is not None:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and is_loopback_host(host)


def check_secure_url(url: object, what: str, error: type[AuthError] = InsecureEndpointError) -> str:
    """``url`` if :func:`is_secure_url`, else ``error`` naming ``what`` (no query in the text)."""
    if is_secure_url(url):
        assert isinstance(url, str)
        return url
    shown = _shown(url)
    raise error(
        f"{what} must be an https:// URL (http:// only on this machine), not {shown}.",
        InsecureEndpointError.default_recovery,
    )


def _shown(url: object) -> str:
    if not isinstance(url, str):
        return f"a {type(url).__name__}"
    head = url.split("?", 1)[0].split("#", 1)[0]
    return repr(head[:80] + ("…" if len(head) > 80 else ""))
