"""The persisted session of a signed-in user: the one module that reads and writes it.

A user signed in through an OIDC flow or a Cognito user pool leaves one record in the storage
backend, keyed by the issuer and client id, so that a later kernel (or another process) can
resume the session: with the current tokens while they are valid (no network), then with the
refresh token. Processes sharing a store refresh it under
:func:`~nbauth.core.storage_lock.storage_lock` (re-read, refresh, write), so the newest tokens
are always the ones on disk. Everything that persists or restores a session goes through
:class:`SessionRecord`; nobody else parses the stored JSON.

Stored form (JSON; records written before the tokens were kept hold the first two keys only)::

    {"provider": "<provider name>", "refresh_token": "<token>",
     "id_token": "<jwt>", "access_token": "<jwt or opaque>", "expires_at": <epoch s>,
     "access_token_expires_at": <epoch s>, "scope": "<scopes>"}

``expires_at`` is when the first of the tokens lapses (what a refresh is timed by);
``access_token_expires_at`` is an opaque access token's own expiry (the token response's
``expires_in`` counted from receipt; a JWT access token carries its ``exp``, and its record has
no such key). Records written before it was kept lack it: their ``expires_at`` already bounded
the access token, so a reader uses that instead (:attr:`SessionRecord.access_token_expiry`).

A sign-out leaves a mark (``{"signed_out": true}``) instead of the record, so other processes
can tell "signed out elsewhere" from "the store was deleted". An unreadable record is treated
as absent (never a crash at kernel start) and left in place.

Example::

    record = SessionRecord(issuer, client_id, provider="corp", refresh_token=token)
    record.save(storage)
    SessionRecord.load(storage, issuer, client_id)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from .jwt import epoch_or_none
from .storage import KeyValueStorage

__all__ = ["SessionRecord", "session_storage_key"]


def session_storage_key(issuer: str, client_id: str) -> str:
    """Where a signed-in user's session record is kept in the storage backend."""
    return f"nbauth.oidc.{issuer}.{client_id}"


#: Expiries past 9999-12-31 are not nbauth's (and would overflow a ``datetime``).


def _text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) and value else None


def _parse(raw: object) -> dict[str, Any] | None:
    """The stored JSON object, or ``None`` for anything else (never raises)."""
    if not isinstance(raw, str) or not raw:
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


@dataclass(frozen=True)
class SessionRecord:
    """One persisted session. No token ever shows in ``repr``."""

    issuer: str
    client_id: str
    provider: str
    refresh_token: str = field(repr=False)
    id_token: str | None = field(default=None, repr=False)
    access_token: str | None = field(default=None, repr=False)
    #: When the tokens stop being valid (epoch seconds); ``None`` without tokens.
    expires_at: float | None = None
    scope: str | None = None
    #: When an opaque access token lapses (its ``expires_in``); ``None`` for a JWT access token,
    #: when unknown, or in records written before it was kept (see :attr:`access_token_expiry`).
    access_token_expires_at: float | None = None

    @property
    def key(self) -> str:
        """The storage key of this record."""
        return session_storage_key(self.issuer, self.client_id)

    @property
    def access_token_expiry(self) -> float | None:
        """When the access token lapses: ``access_token_expires_at``, else (a record written
        before it was kept) ``expires_at``, which bounded the access token too."""
        if self.access_token_expires_at is not None:
            return self.access_token_expires_at
        return self.expires_at

    def holds_tokens_until(self, now: float) -> bool:
        """Whether the record holds tokens still valid at ``now`` (epoch seconds)."""
        return bool(self.access_token) and self.expires_at is not None and now < self.expires_at

    @classmethod
    def load(
        cls, storage: KeyValueStorage, issuer: str, client_id: str, *, provider: str = ""
    ) -> SessionRecord | None:
        """The record stored for ``issuer`` and ``client_id``; ``None`` if absent or unreadable.

        ``provider`` is the name to use when the record names none. Any stored content that is
        not a record — not JSON, wrong types, an expiry that is NaN, infinite or absurdly large —
        reads as "no record" (or, for a bad expiry, a record without current tokens), never as
        an exception.
        """
        data = _parse(storage.get(session_storage_key(issuer, client_id)))
        if data is None:
            return None
        token = _text(data, "refresh_token")
        if token is None:
            return None
        expires_at = epoch_or_none(data.get("expires_at"))
        return cls(
            issuer,
            client_id,
            _text(data, "provider") or provider,
            token,
            id_token=_text(data, "id_token"),
            access_token=_text(data, "access_token"),
            expires_at=expires_at,
            scope=_text(data, "scope"),
            access_token_expires_at=epoch_or_none(data.get("access_token_expires_at")),
        )

    def with_refresh_token(self, refresh_token: str) -> SessionRecord:
        """The same record holding a rotated refresh token."""
        return replace(self, refresh_token=refresh_token)

    def with_tokens(
        self,
        *,
        access_token: str,
        id_token: str | None,
        expires_at: float,
        scope: str | None = None,
        access_token_expires_at: float | None = None,
    ) -> SessionRecord:
        """The same record holding new current tokens."""
        return replace(
            self,
            access_token=access_token,
            id_token=id_token,
            expires_at=expires_at,
            scope=scope,
            access_token_expires_at=access_token_expires_at,
        )

    def save(self, storage: KeyValueStorage) -> None:
        """Write the record (the storage backend writes atomically)."""
        payload: dict[str, Any] = {"provider": self.provider, "refresh_token": self.refresh_token}
        if self.access_token and self.expires_at is not None:
            payload["access_token"] = self.access_token
            payload["expires_at"] = self.expires_at
            if self.id_token:
                payload["id_token"] = self.id_token
            if self.scope:
                payload["scope"] = self.scope
            if self.access_token_expires_at is not None:
                payload["access_token_expires_at"] = self.access_token_expires_at
        storage.set(self.key, json.dumps(payload))

    def remove(self, storage: KeyValueStorage) -> None:
        """Delete the record."""
        storage.remove(self.key)

    def mark_signed_out(self, storage: KeyValueStorage) -> None:
        """Replace the record by a sign-out mark (no secret in it): other processes sharing the
        store sign out at their next use, while a record that merely *vanished* (the store was
        deleted) is written again by the processes that still hold the session."""
        storage.set(self.key, json.dumps({"signed_out": True}))

    @staticmethod
    def signed_out(storage: KeyValueStorage, issuer: str, client_id: str) -> bool:
        """Whether the stored record is a sign-out mark."""
        data = _parse(storage.get(session_storage_key(issuer, client_id)))
        return data is not None and data.get("signed_out") is True
