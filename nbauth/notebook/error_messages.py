"""Errors in words a person reads: a short title, the advice that applies, and the details.

Views (the LoginWidget, the ``%nbauth`` magics) show :func:`describe`'s ``title`` and
``advice`` and keep ``details`` (the error's name and message, never a secret) behind a
"Details" toggle. ``title`` says what happened in plain words ("Wrong username or password"),
never a service's exception name; ``advice`` is the one thing to do next.

Example::

    try:
        auth.sign_in(username="demo", password="nope")
    except AuthError as error:
        words = describe(error)
        print(words.title, "—", words.advice)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import AuthError

__all__ = ["HumanMessage", "describe"]


@dataclass(frozen=True)
class HumanMessage:
    """What a person is told about one error."""

    title: str
    advice: str
    details: str


def describe(error: BaseException) -> HumanMessage:
    """The words for ``error`` (any exception; nbauth's errors carry no secret)."""
    if isinstance(error, AuthError):
        return HumanMessage(
            title=error.message,
            advice=error.recovery_suggestion,
            details=f"{error.name}: {error.message}",
        )
    return HumanMessage(
        title="Something went wrong.",
        advice="Try again; if it keeps failing, see the details.",
        details=type(error).__name__,
    )
