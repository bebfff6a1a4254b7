"""The HTML pieces of :class:`~nbauth.notebook.widget.LoginWidget`: pure functions, no widgets.

Colours come from JupyterLab's CSS variables (``--jp-ui-font-color1``, ``--jp-layout-color2``,
``--jp-brand-color1``, …) with neutral fallbacks (``inherit``, ``transparent``), so the widget
follows the light and dark themes and never hard-codes white or black. Every dynamic value is
escaped.

Example::

    >>> clock_text(75.4)
    '01:15'
    >>> clock_text(3725)
    '1:02:05'
    >>> "Signed in as" in status_html("Signed in as ada", "ok")
    True
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

__all__ = [
    "browser_prompt_html",
    "challenge_prompt_html",
    "clock_text",
    "countdown_html",
    "credentials_html",
    "device_prompt_html",
    "error_text",
    "link_html",
    "message_html",
    "status_html",
    "title_html",
]

FONT = "var(--jp-ui-font-color1, inherit)"
MUTED = "var(--jp-ui-font-color2, inherit)"
PANEL = "var(--jp-layout-color2, transparent)"
BORDER = "var(--jp-border-color2, currentColor)"
BRAND = "var(--jp-brand-color1, currentColor)"
MONO = "var(--jp-code-font-family, monospace)"
UI_FONT = "var(--jp-ui-font-family, inherit)"

#: Colour of each status kind.
KIND_COLORS = {
    "info": FONT,
    "muted": MUTED,
    "ok": "var(--jp-success-color1, inherit)",
    "warn": "var(--jp-warn-color1, inherit)",
    "error": "var(--jp-error-color1, inherit)",
}
_ICONS = {"ok": "✓ ", "warn": "⚠ ", "error": "✗ "}


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def clock_text(seconds: float) -> str:
    """``mm:ss`` (``h:mm:ss`` from one hour on); negative values count as zero.

    Example::

        >>> clock_text(59.9), clock_text(-3)
        ('00:59', '00:00')
    """
    total = max(0, math.floor(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def title_html(text: str = "Sign in") -> str:
    """The widget's heading."""
    return (
        f'<div style="font-family:{UI_FONT};color:{FONT};font-weight:600;font-size:1.05em;'
        f'padding-bottom:2px;border-bottom:1px solid {BORDER}">{_esc(text)}'
        f'<span style="color:{MUTED};font-weight:normal"> · nbauth</span></div>'
    )


def is_web_url(url: object) -> bool:
    """Whether ``url`` is an ``http(s)://`` URL with a host: the only kind rendered as a link.

    URLs in prompts come from the identity provider (``verification_uri_complete``, the
    authorization URL); a ``javascript:`` or ``data:`` one must never become a link or be opened.

    Example::

        >>> is_web_url("https://idp.example.com/device"), is_web_url("javascript:alert(1)")
        (True, False)
    """
    if not isinstance(url, str) or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return False
    scheme, sep, rest = url.partition("://")
    return bool(sep) and scheme.lower() in ("http", "https") and rest[:1] not in ("", "/")


def link_html(url: str, text: str) -> str:
    """A link that opens in a new tab (``target="_blank"``, ``rel="noopener"``); a URL that is
    not http(s) is shown as plain text with a warning, never as a link."""
    if not is_web_url(url):
        return (
            f'<code style="word-break:break-all">{_esc(url)}</code> <span style="color:#b45309">'
            "(⚠ not an http(s) address, so not shown as a link: check your identity "
            "provider's configuration)</span>"
        )
    return (
        f'<a href="{_esc(url)}" target="_blank" rel="noopener noreferrer" '
        f'style="color:{BRAND};text-decoration:underline">{_esc(text)}</a>'
    )


def device_prompt_html(user_code: str, url: str) -> str:
    """The device-code prompt: the user code, large and monospace, and the link to approve it.

    Example::

        >>> "WDJB-MJHT" in device_prompt_html("WDJB-MJHT", "https://idp/device")
        True
    """
    return (
        f'<div style="font-family:{UI_FONT};color:{FONT};background:{PANEL};'
        f'border:1px solid {BORDER};border-radius:4px;padding:8px 12px">'
        f'<div style="color:{MUTED}">Open {link_html(url, "the sign-in page")} '
        "and confirm this code:</div>"
        f'<div style="font-family:{MONO};font-size:1.8em;font-weight:600;letter-spacing:0.12em;'
        f'color:{FONT};padding:4px 0;user-select:all">{_esc(user_code)}</div>'
        f'<div style="font-size:0.9em;color:{MUTED};word-break:break-all">{_esc(url)}</div>'
        "</div>"
    )


def countdown_html(seconds_left: float) -> str:
    """``Code expires in mm:ss`` (or that it expired)."""
    if seconds_left <= 0:
        return message_html("The code has expired.", "warn")
    return (
        f'<span style="font-family:{UI_FONT};color:{MUTED}">Waiting for approval · code expires '
        f'in <span style="font-family:{MONO};color:{FONT}">{clock_text(seconds_left)}</span>'
        "</span>"
    )


def credentials_html(seconds_left: float | None, identity_id: str | None = None) -> str:
    """``AWS credentials valid for mm:ss`` (refreshed automatically before they expire); the
    identity id is in the tooltip."""
    if seconds_left is None:
        return message_html("AWS credentials: being fetched…", "muted")
    title = f' title="identity {_esc(identity_id)}"' if identity_id else ""
    return (
        f'<div style="font-family:{UI_FONT};color:{MUTED};line-height:1.4"{title}>'
        f'AWS credentials valid for <span style="font-family:{MONO};color:{FONT}">'
        f"{clock_text(seconds_left)}</span> · refreshed automatically</div>"
    )


def message_html(text: str, kind: str = "info") -> str:
    """One line of text in the colour of ``kind`` (``info``, ``muted``, ``ok``, ``warn``,
    ``error``)."""
    color = KIND_COLORS.get(kind, FONT)
    return (
        f'<span style="font-family:{UI_FONT};color:{color}">{_ICONS.get(kind, "")}'
        f"{_esc(text)}</span>"
    )


def status_html(text: str, kind: str = "info", detail: str | None = None) -> str:
    """The status line, with an optional smaller second line (e.g. a recovery suggestion)."""
    second = (
        f'<div style="font-family:{UI_FONT};color:{MUTED};font-size:0.92em">{_esc(detail)}</div>'
        if detail
        else ""
    )
    return f'<div style="line-height:1.4">{message_html(text, kind)}{second}</div>'


def error_text(error: BaseException) -> tuple[str, str]:
    """``("name: message", recovery suggestion)`` for an error.

    nbauth's errors carry a ``name``, a secret-free ``message`` and a ``recovery_suggestion``;
    for anything else only the type is shown (its text could hold anything).

    Example::

        >>> from nbauth.errors import AccessDeniedError
        >>> error_text(AccessDeniedError("The user denied the request.", "Try again."))
        ('AccessDeniedError: The user denied the request.', 'Try again.')
    """
    name = getattr(error, "name", None)
    message = getattr(error, "message", None)
    if isinstance(name, str) and isinstance(message, str):
        recovery = getattr(error, "recovery_suggestion", None) or "See the message for details."
        return f"{name}: {message}", str(recovery)
    return (
        f"{type(error).__name__}: unexpected error",
        "See the kernel log for details, then try again.",
    )


def browser_prompt_html(url: str, mode: str) -> str:
    """What to do for a browser (code + PKCE) sign-in: the link, and when to paste.

    Example::

        >>> 'target="_blank"' in browser_prompt_html("https://idp/authorize?x=1", "paste")
        True
    """
    if mode == "loopback":
        after = (
            "The notebook continues by itself when the browser comes back. On a remote kernel "
            "the browser ends on a page that does not load: copy that page's address and paste "
            "it below."
        )
    else:
        after = (
            "The browser then ends on a page that does not load: copy that page's address and "
            "paste it below."
        )
    return (
        f'<div style="font-family:{UI_FONT};color:{FONT};background:{PANEL};'
        f'border:1px solid {BORDER};border-radius:4px;padding:8px 12px">'
        f"Open {link_html(url, 'the sign-in page')} (a new tab) and sign in."
        f'<div style="color:{MUTED};font-size:0.92em;padding-top:4px">{_esc(after)}</div></div>'
    )


_CODE_PROMPTS = {
    "CONFIRM_SIGN_IN_WITH_SMS_CODE": "Enter the code sent by SMS",
    "CONFIRM_SIGN_IN_WITH_EMAIL_CODE": "Enter the code sent by email",
    "CONFIRM_SIGN_IN_WITH_TOTP_CODE": "Enter the code from your authenticator app.",
}


def challenge_prompt_html(step: Mapping[str, Any]) -> str:
    """The prompt of a user-pool sign-in step (Amplify's ``next_step``).

    Secrets in a step (the TOTP setup key) are never put in the prompt: the prompt says how to
    get them from Python instead, because widget HTML is saved with the notebook.

    Example::

        >>> step = {"sign_in_step": "CONFIRM_SIGN_IN_WITH_SMS_CODE",
        ...         "code_delivery_details": {"destination": "+*******0100"}}
        >>> "+*******0100" in challenge_prompt_html(step)
        True
    """
    name = str(step.get("sign_in_step"))
    detail = ""
    if name in _CODE_PROMPTS:
        text = _CODE_PROMPTS[name]
        delivery = step.get("code_delivery_details") or {}
        destination = delivery.get("destination") if isinstance(delivery, Mapping) else None
        if destination:
            text += f" to {destination}."
        elif not text.endswith("."):
            text += "."
    elif name == "CONTINUE_SIGN_IN_WITH_MFA_SELECTION":
        text = "Choose how to receive your sign-in code."
    elif name == "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED":
        text = "Choose a new password."
        missing = step.get("missing_attributes") or []
        if missing:
            detail = (
                "The pool also needs: " + ", ".join(map(str, missing)) + ". Answer with "
                "nbauth.confirm_sign_in(new_password, user_attributes={...}) in a cell."
            )
    elif name == "CONTINUE_SIGN_IN_WITH_TOTP_SETUP":
        text = "Set up your authenticator app, then enter its first code."
        detail = (
            "The setup key is a secret, so it is not shown here (widgets are saved with the "
            "notebook). In a cell, run w.next_step['totp_setup_details'].setup_uri('MyApp'), "
            "add it to your app, then clear that cell's output."
        )
    elif name == "CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE":
        text = "Answer the challenge."
        info = step.get("additional_info") or {}
        if isinstance(info, Mapping) and info:
            detail = " · ".join(f"{k}: {v}" for k, v in info.items())
    else:
        text = f"Next step: {name}."
    second = (
        f'<div style="color:{MUTED};font-size:0.92em;padding-top:2px">{_esc(detail)}</div>'
        if detail
        else ""
    )
    return f'<div style="font-family:{UI_FONT};color:{FONT}">{_esc(text)}{second}</div>'
