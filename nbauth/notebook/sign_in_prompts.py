"""Sign-in prompts in cells: how to complete a sign-in, replaced by how it ended.

A ``%nbauth login`` leaves the link (and a device-code sign-in's user code) in its cell; a cell
that needs credentials while a sign-in is pending says it is waiting. Once the sign-in ends,
every such message is replaced — with no code and no link left in the notebook (invariant 1:
device-code prompts are cleared). The replacement is sent from the flow's thread when the
sign-in ends, and again from the next cell event on the main thread (which nbclient and every
front end route).

Example::

    prompts = SignInPrompts()
    prompts.show(auth, handle, "Sign in with corp", "This cell is done: keep working.")
    ...
    prompts.finish_done()             # from a cell event: replace the finished ones
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, NamedTuple

from .display import Code, Line, Link, Message, error_message, mm_ss, show, update
from .status_rows import pending_line

if TYPE_CHECKING:
    from ..auth import Auth

__all__ = ["SignInPrompts", "sign_in_lines"]


class Prompt(NamedTuple):
    """A sign-in message in some cell (a display handle), replaced once its sign-in ends.

    (A named tuple, not a dataclass: this module loads with ``%load_ext``, and a dataclass
    costs a millisecond to define.)"""

    handle: Any
    display: Any
    auth: Auth | None


class SignInPrompts:
    """The sign-in messages shown in cells of one shell, until their sign-ins end."""

    def __init__(self) -> None:
        self._prompts: list[Prompt] = []
        self._lock = threading.Lock()

    def show(
        self, auth: Auth | None, handle: Any, title: str, *lines: Line, level: str = "info"
    ) -> None:
        """Show how to complete ``handle`` under ``title``, then ``lines``; tracked until the
        sign-in ends."""
        body = sign_in_lines(handle)
        body.extend(lines)
        message = Message(title, lines=body, level=level)
        prompt = Prompt(handle, show(message, display_id=True), auth)
        with self._lock:
            self._prompts.append(prompt)
        handle.on_done(lambda _h: update(prompt.display, outcome(prompt)))

    def finish_done(self) -> None:
        """Replace the messages of every sign-in that has ended."""
        with self._lock:
            done = [p for p in self._prompts if p.handle.done]
            self._prompts = [p for p in self._prompts if not p.handle.done]
        for prompt in done:
            update(prompt.display, outcome(prompt))

    def clear(self) -> None:
        """Stop tracking every message (the extension is unloading)."""
        with self._lock:
            self._prompts = []


def outcome(prompt: Prompt) -> Message:
    """What a finished sign-in's prompt turns into: no code, no link, no secret."""
    handle = prompt.handle
    if handle.status == "signed_in":
        status = prompt.auth.status() if prompt.auth is not None else None
        who = status.username if status is not None else None
        where = status.provider if status is not None else None
        title = "Signed in" + (f" as {who}" if who else "") + (f" ({where})" if where else "")
        return Message(
            title + ".",
            lines=[("AWS credentials follow; ", Code("%nbauth status"), " shows them.")],
            level="success",
        )
    if handle.status == "cancelled":
        return Message(
            "Sign-in cancelled.",
            lines=[("Run ", Code("%nbauth login"), " to start again.")],
            level="warning",
        )
    error = handle.error
    if error is not None:
        return error_message(error, ("Run ", Code("%nbauth login"), " to start again."))
    return Message(f"Sign-in ended: {handle.status}.", level="warning")


def sign_in_lines(handle: Any) -> list[Line]:
    """How to complete a pending sign-in: the link, and the code for a device-code flow."""
    user_code = getattr(handle, "user_code", None)
    if user_code is not None:
        complete = getattr(handle, "verification_uri_complete", None)
        safe = isinstance(complete, str) and complete.lower().startswith(("https://", "http://"))
        link = str(complete if safe else handle.verification_uri)  # never a javascript: link
        left = mm_ss(handle.seconds_left()) if hasattr(handle, "seconds_left") else "—"
        return [
            ("Open ", Link(link), " and confirm the code ", Code(user_code), "."),
            f"The code expires in {left}.",
        ]
    url = getattr(handle, "url", None)
    if url is None:
        return [pending_line(handle, time.time())]
    lines: list[Line] = [("Open ", Link(url, "this sign-in link"), " and sign in.")]
    if getattr(handle, "mode", None) == "paste":
        lines.append(
            (
                "Then copy the address your browser ends on (it starts with ",
                Code(handle.redirect_uri),
                "; the page itself may not load) and run ",
                Code("%nbauth complete"),
                " to paste it.",
            )
        )
    else:
        lines.append(f"nbauth listens for the answer on {handle.redirect_uri} (this machine).")
    return lines
