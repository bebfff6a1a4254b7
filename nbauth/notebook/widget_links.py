"""Which addresses the login widget makes links or opens: http(s) only.

The identity provider supplies ``verification_uri_complete`` and the authorization URL; a
``javascript:``, ``data:`` or ``file:`` one is shown as text and never opened (a link from the
IdP must never run script). The front-end checks again before it sets an ``href`` or calls
``window.open``.

Example::

    >>> is_web_url("https://idp.example.com/device"), is_web_url("javascript:alert(1)")
    (True, False)
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["is_web_url"]


def is_web_url(url: object) -> bool:
    """``url`` is an absolute http(s) address with a host (nothing else becomes a link)."""
    if not isinstance(url, str) or url != url.strip() or any(c in url for c in "\t\r\n"):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and "//" in url[:8]
