"""The persisted session of a signed-in user: the one module that reads and writes it.

A user signed in through an OIDC flow or a Cognito user pool leaves one record in the storage
backend, keyed by the issuer and client id, so that a later kernel (or another process) can
resume the session from its refresh token. Everything that persists or restores a session goes
through :class:`SessionRecord`; nobody else parses the stored JSON.

Stored form (JSON)::

    {"provider": "<provider name>", "refresh_token": "<token>"}

An unreadable record is treated as absent (never a crash at kernel start) and left in place.

Example::

    record = SessionRecord(issuer, client_id, provider="corp", refresh_token=token)
    record.save(storage)
    SessionRecord.load(storage, issuer, client_id)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

from .storage import KeyValueStorage

__all__ = ["SessionRecord", "session_storage_key"]


def session_storage_key(issuer: str, client_id: str) -> str:
    """Where a signed-in user's session record is kept in the storage backend."""
    return f"nbauth.oidc.{issuer}.{client_id}"


@dataclass(frozen=True)
class SessionRecord:
    """One persisted session. ``refresh_token`` never shows in ``repr``."""

    issuer: str
    client_id: str
    provider: str
    refresh_token: str = field(repr=False)

    @property
    def key(self) -> str:
        """The storage key of this record."""
        return session_storage_key(self.issuer, self.client_id)

    @classmethod
    def load(
        cls, storage: KeyValueStorage, issuer: str, client_id: str, *, provider: str = ""
    ) -> SessionRecord | None:
        """The record stored for ``issuer`` and ``client_id``; ``None`` if absent or unreadable.

        ``provider`` is the name to use when the record names none.
        """
        raw = storage.get(session_storage_key(issuer, client_id))
        if not raw:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        token = data.get("refresh_token")
        if not isinstance(token, str) or not token:
            return None
        name = data.get("provider")
        return cls(issuer, client_id, name if isinstance(name, str) and name else provider, token)

    def with_refresh_token(self, refresh_token: str) -> SessionRecord:
        """The same record holding a rotated refresh token."""
        return replace(self, refresh_token=refresh_token)

    def save(self, storage: KeyValueStorage) -> None:
        """Write the record (the storage backend writes atomically)."""
        payload = {"provider": self.provider, "refresh_token": self.refresh_token}
        storage.set(self.key, json.dumps(payload))

    def remove(self, storage: KeyValueStorage) -> None:
        """Delete the record."""
        storage.remove(self.key)
