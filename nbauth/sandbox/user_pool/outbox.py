"""Codes the user pool "sends": the outbox tests read, and the one-time codes it checks.

Nothing leaves the machine. Every email or SMS Cognito would send (sign-up
confirmation, password reset, attribute verification, MFA codes) is recorded
with its code and the final text (after the custom message trigger), newest
last, and read back with ``sb.sent_messages(username)``. The outbox is for the
person in a test; it is never logged.
"""

from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass
from typing import Any

from .errors import code_mismatch, expired_code
from .mfa import new_code

__all__ = [
    "ATTRIBUTE_CODE_SECONDS",
    "FORGOT_PASSWORD_CODE_SECONDS",
    "SIGN_UP_CODE_SECONDS",
    "CodeBook",
    "Outbox",
    "SentMessage",
]

SIGN_UP_CODE_SECONDS = 24 * 3600  # Cognito: confirmation codes are valid for 24 hours
FORGOT_PASSWORD_CODE_SECONDS = 3600  # password reset codes: 1 hour
ATTRIBUTE_CODE_SECONDS = 24 * 3600


@dataclass(frozen=True, repr=False)
class SentMessage:
    """One email or SMS the pool "sent"."""

    username: str
    channel: str  # "email" | "sms"
    destination: str
    code: str
    message: str
    subject: str | None
    trigger_source: str
    sent_at: float

    def as_dict(self) -> dict[str, Any]:
        """The form ``sb.sent_messages`` returns."""
        return {
            "channel": self.channel,
            "code": self.code,
            "message": self.message,
            "subject": self.subject,
            "destination": self.destination,
            "trigger_source": self.trigger_source,
            "sent_at": self.sent_at,
        }

    def __repr__(self) -> str:
        return f"<SentMessage {self.channel} {self.trigger_source}>"


class Outbox:
    """Sent messages per username; thread-safe."""

    def __init__(self) -> None:
        self._messages: list[SentMessage] = []
        self._lock = threading.Lock()

    def record(self, message: SentMessage) -> None:
        """Keep a sent message."""
        with self._lock:
            self._messages.append(message)

    def for_user(self, username: str) -> list[dict[str, Any]]:
        """Messages to ``username``, oldest first."""
        with self._lock:
            return [m.as_dict() for m in self._messages if m.username == username]

    def clear(self) -> None:
        """Forget every message."""
        with self._lock:
            self._messages.clear()


@dataclass
class _Code:
    value: str
    expires_at: float
    note: str | None = None


class CodeBook:
    """One live code per (pool, user sub, purpose); a new one replaces the old.

    Purposes: ``sign_up``, ``forgot_password``, ``verify:<attribute>``.
    """

    def __init__(self) -> None:
        self._codes: dict[tuple[str, str, str], _Code] = {}
        self._lock = threading.Lock()

    def issue(
        self, key: tuple[str, str, str], lifetime: float, now: float, *, note: str | None = None
    ) -> str:
        """A fresh 6-digit code for ``key`` valid for ``lifetime`` seconds.

        ``note`` is kept with it (e.g. the channel it went by) and returned by
        :meth:`redeem`.
        """
        code = new_code()
        with self._lock:
            self._codes[key] = _Code(code, now + lifetime, note)
        return code

    def redeem(self, key: tuple[str, str, str], code: str, now: float) -> str | None:
        """Accept ``code`` once (returns its note): ``CodeMismatchException`` if wrong,
        ``ExpiredCodeException`` if expired, replaced or never sent."""
        with self._lock:
            entry = self._codes.get(key)
            if entry is None:
                raise expired_code()
            if now >= entry.expires_at:
                del self._codes[key]
                raise expired_code()
            if not isinstance(code, str) or not hmac.compare_digest(entry.value, code):
                raise code_mismatch()
            del self._codes[key]
            return entry.note

    def discard(self, key: tuple[str, str, str]) -> None:
        """Forget a pending code."""
        with self._lock:
            self._codes.pop(key, None)
