"""Small messages the notebook layer shows in a cell, as HTML with a plain-text twin.

A :class:`Message` is a title, optional lines and optional ``(label, value)`` rows. Lines are
made of plain strings, :class:`Link` and :class:`Code` segments. Nothing here knows about
tokens or keys: callers pass only what may be shown (invariant 1 — no secret in a saved
notebook).

Example::

    from nbauth.notebook.display import Code, Link, Message, show

    show(Message("Sign in", lines=[("Open ", Link("https://idp/device"), " and enter ",
                                    Code("ABCD-EFGH"))]))
"""

from __future__ import annotations

import datetime as _dt
import html
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from ..errors import AuthError

__all__ = [
    "Code",
    "Link",
    "Message",
    "clock_time",
    "error_message",
    "mm_ss",
    "show",
    "update",
]


class Link(NamedTuple):
    """A link; ``text`` defaults to the URL itself."""

    url: str
    text: str | None = None


class Code(NamedTuple):
    """Something to type or copy: a user code, a magic command."""

    text: str


Segment = str | Link | Code
Line = str | Sequence[Segment]

_COLOURS = {"info": "#2f6fb0", "success": "#2e7d32", "warning": "#b26a00", "error": "#c62828"}
_MARKS = {"info": "", "success": "✓ ", "warning": "! ", "error": "✗ "}


class Message:
    """A message for a cell: renders as HTML in Jupyter and as text elsewhere. Immutable.

    ``level`` is ``"info"``, ``"success"``, ``"warning"`` or ``"error"``.

    (A plain class rather than a frozen dataclass: ``%load_ext nbauth`` shows one first thing,
    and defining a dataclass would cost a tenth of its start-up budget.)

    Example::

        >>> print(Message("Signed out", level="success").to_text())
        ✓ Signed out
    """

    __slots__ = ("footer", "level", "lines", "rows", "title")

    title: str
    lines: Sequence[Line]
    rows: Sequence[tuple[str, str]]
    level: str
    footer: Sequence[Line]

    def __init__(
        self,
        title: str,
        lines: Sequence[Line] = (),
        rows: Sequence[tuple[str, str]] = (),
        level: str = "info",
        footer: Sequence[Line] = (),
    ) -> None:
        fields = {"title": title, "lines": lines, "rows": rows, "level": level, "footer": footer}
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Message is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Message is immutable: cannot delete {name!r}")

    def _fields(self) -> tuple[Any, ...]:
        return (self.title, self.lines, self.rows, self.level, self.footer)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    # -- text ----------------------------------------------------------------------------

    def to_text(self) -> str:
        out = [_MARKS.get(self.level, "") + self.title]
        out.extend("  " + _line_text(line) for line in self.lines)
        if self.rows:
            width = max(len(label) for label, _ in self.rows)
            out.extend(f"  {label.ljust(width)}  {value}" for label, value in self.rows)
        out.extend("  " + _line_text(line) for line in self.footer)
        return "\n".join(out)

    # -- HTML ----------------------------------------------------------------------------

    def to_html(self) -> str:
        colour = _COLOURS.get(self.level, _COLOURS["info"])
        parts = [
            f'<div class="nbauth-message nbauth-{html.escape(self.level)}" '
            f'style="border-left:4px solid {colour};padding:4px 10px;margin:2px 0">',
            f'<div style="font-weight:600;color:{colour}">{html.escape(self.title)}</div>',
        ]
        parts.extend(f"<div>{_line_html(line)}</div>" for line in self.lines)
        if self.rows:
            parts.append('<table style="margin:4px 0;border-collapse:collapse">')
            for label, value in self.rows:
                parts.append(
                    '<tr><td style="padding:1px 12px 1px 0;text-align:left;color:#666">'
                    f"{html.escape(label)}</td>"
                    f'<td style="padding:1px 0;text-align:left">{html.escape(value)}</td></tr>'
                )
            parts.append("</table>")
        parts.extend(
            f'<div style="color:#666;font-size:90%">{_line_html(line)}</div>'
            for line in self.footer
        )
        parts.append("</div>")
        return "".join(parts)

    # -- IPython's display protocol ------------------------------------------------------

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.to_text())

    def __repr__(self) -> str:
        return self.to_text()

    def __str__(self) -> str:
        return self.to_text()


def _segments(line: Line) -> Iterable[Segment]:
    return (line,) if isinstance(line, str) else line


def _line_text(line: Line) -> str:
    out = []
    for seg in _segments(line):
        if isinstance(seg, Link):
            out.append(
                seg.url if not seg.text or seg.text == seg.url else f"{seg.text} <{seg.url}>"
            )
        elif isinstance(seg, Code):
            out.append(seg.text)
        else:
            out.append(seg)
    return "".join(out)


def _line_html(line: Line) -> str:
    out = []
    for seg in _segments(line):
        if isinstance(seg, Link) and seg.url.lower().startswith(("https://", "http://")):
            out.append(
                f'<a href="{html.escape(seg.url, quote=True)}" target="_blank" '
                f'rel="noopener noreferrer">{html.escape(seg.text or seg.url)}</a>'
            )
        elif isinstance(seg, Link):  # e.g. javascript: from a hostile IdP: text, not a link
            out.append(
                f"<code>{html.escape(seg.url)}</code> (⚠ not an http(s) address, so not a link)"
            )
        elif isinstance(seg, Code):
            out.append(
                '<code style="font-weight:600;padding:0 3px;background:rgba(127,127,127,.15)">'
                f"{html.escape(seg.text)}</code>"
            )
        else:
            out.append(html.escape(seg))
    return "".join(out)


# -- common renderings -------------------------------------------------------------------


def error_message(error: AuthError, *hints: Line, title: str | None = None) -> Message:
    """An :class:`~nbauth.errors.AuthError` in words (:func:`~nbauth.notebook.error_messages.
    describe`): a plain title, the advice that applies, ``hints`` (notebook-specific next
    steps), and the details (the error's name and message) in small print.

    The error's ``message`` and ``recovery_suggestion`` never carry a secret (see
    :mod:`nbauth.errors`). Advice an error raised by the magics gives in the notebook's own
    terms (it names ``%nbauth``) is kept as it is.

    Example::

        >>> from nbauth.errors import ExpiredDeviceCodeError
        >>> error = ExpiredDeviceCodeError("The device code expired.", name="expired_token")
        >>> print(error_message(error, "Run %nbauth login."))
        ✗ The sign-in code expired
          → Start the sign-in again and enter the new code before it expires.
          → Run %nbauth login.
          Details: expired_token: The device code expired.
    """
    from .error_messages import describe

    words = describe(error)
    advice = error.recovery_suggestion if "%nbauth" in error.recovery_suggestion else words.advice
    lines: list[Line] = ["→ " + advice] if advice else []
    lines.extend(("→ ", *_segments(h)) for h in hints)
    footer: list[Line] = ["Details: " + words.details]
    return Message(title or words.title, lines=lines, level="error", footer=footer)


def mm_ss(seconds: float | None) -> str:
    """``seconds`` as ``mm:ss`` (``h:mm:ss`` past an hour); ``"expired"`` at or below zero.

    Example::

        >>> mm_ss(125), mm_ss(3725), mm_ss(-1)
        ('02:05', '1:02:05', 'expired')
    """
    if seconds is None:
        return "—"
    if seconds <= 0:
        return "expired"
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def clock_time(epoch: float | None, now: float | None = None) -> str:
    """A local wall-clock time with how long ago it was, e.g. ``"14:03:12 (42 s ago)"``."""
    if epoch is None:
        return "never"
    now = time.time() if now is None else now
    stamp = _dt.datetime.fromtimestamp(epoch).strftime("%H:%M:%S")
    ago = now - epoch
    if ago < 0:
        return f"{stamp} (in {mm_ss(-ago)})"
    return f"{stamp} ({int(ago)} s ago)" if ago < 120 else f"{stamp} ({mm_ss(ago)} ago)"


# -- showing -----------------------------------------------------------------------------


def show(message: Message, *, display_id: bool | str | None = None) -> Any:
    """Display ``message`` in the current cell; returns a display handle when ``display_id``.

    Outside IPython (no display publisher) the text is printed instead.
    """
    from IPython.core.getipython import get_ipython
    from IPython.display import display

    if get_ipython() is None:
        print(message.to_text())
        return None
    if display_id:
        return display(message, display_id=display_id)
    display(message)
    return None


def update(handle: Any, message: Message) -> None:
    """Replace a message shown with :func:`show` (``display_id=True``); never raises."""
    if handle is None:
        return
    try:
        handle.update(message)
    except Exception:  # a display that went away must not break a sign-in callback
        import logging

        logging.getLogger("nbauth.notebook").debug("Updating a message failed", exc_info=True)
