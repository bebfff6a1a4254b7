"""TOTP setup for the login widget: the QR code (``segno``, an inline SVG) and the key as text.

Both are the secret of the person's authenticator app, so they are built only for a custom
message (front-end memory), never for a trait or an output.

Example::

    message = totp_message(step["totp_setup_details"], issuer="nbauth")
    message["qr_svg"].startswith("<svg")        # True
"""

from __future__ import annotations

import io
from typing import Any

__all__ = ["qr_svg", "totp_message"]


def qr_svg(text: str) -> str:
    """``text`` as a QR code: a standalone ``<svg>``, black on white whatever the theme
    (scanners need that contrast)."""
    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m").save(
        buffer,
        kind="svg",
        scale=4,
        border=4,
        dark="#000",
        light="#fff",
        xmldecl=False,
        svgns=True,
        nl=False,
        omitsize=True,  # a viewBox, no fixed width/height: the CSS size scales the whole code
    )
    return buffer.getvalue().decode("utf-8")


def totp_message(details: Any, *, issuer: str) -> dict[str, Any]:
    """The ``totp`` message: the key (grouped by four for typing) and its ``otpauth://`` QR."""
    secret = str(details.shared_secret)
    uri = details.setup_uri(issuer)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return {"secret": grouped, "qr_svg": qr_svg(uri), "account": str(details.username)}
