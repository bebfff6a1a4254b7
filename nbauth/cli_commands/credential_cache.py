"""The fast path of ``nbauth credential-process``: its last answer, kept in the profile's store.

The AWS CLI and the SDKs start ``credential-process`` as a new process whenever they need
credentials, so its start-up is paid on every AWS CLI call. Building an ``Auth`` means importing
boto3 and the OIDC stack (≈ 0.4 s); this module lets a call whose credentials are still good
answer after importing only the configuration and the storage backend.

The record (one per profile store, written with the store's own atomic 0600 writes)::

    {"session": "<sha256 of the session record's key and refresh token>",
     "written_at": <epoch>, "expires_at": <epoch>, "output": "<the Version 1 JSON>"}

It is served only while

* the signed-in user's session record is still in the store and unchanged (a sign-out, a new
  sign-in or a token refresh elsewhere — which rotates the refresh token — changes or removes
  it, and the next call takes the full path), and
* the credentials are still *fresh* as the credentials engine counts it: valid for longer than
  ``refresh.margin_seconds`` (at most half their lifetime).

Anything else — a torn record, another user, stale credentials — takes the full path (restore
the user, refresh under the store's lock, then rewrite this record). Guests never use it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from typing import Any

from ..config import AuthConfig
from ..core.jwt import epoch_or_none
from ..core.session_record import SessionRecord
from ..core.storage import KeyValueStorage

__all__ = ["CACHE_KEY", "cached_output", "forget", "remember"]

CACHE_KEY = "nbauth.cli.credential_process"


def _session_fingerprint(storage: KeyValueStorage, config: AuthConfig) -> str | None:
    """A digest of the stored sign-in the credentials belong to; ``None``: nobody signed in."""
    candidates = [(p.issuer, p.client_id) for p in config.oidc_providers.values()]
    if config.user_pool_id and config.user_pool_client_id and config.region:
        issuer = f"https://cognito-idp.{config.region}.amazonaws.com/{config.user_pool_id}"
        candidates.append((issuer, config.user_pool_client_id))
    for issuer, client_id in candidates:
        record = SessionRecord.load(storage, issuer, client_id)
        if record is not None:
            seen = f"{record.key}\0{record.refresh_token}".encode()
            return hashlib.sha256(seen).hexdigest()
    return None


def cached_output(
    storage: KeyValueStorage, config: AuthConfig, now: float | None = None
) -> str | None:
    """The last answer if it still belongs to the stored sign-in and is fresh, else ``None``."""
    try:
        record = json.loads(storage.get(CACHE_KEY) or "null")
        if not isinstance(record, dict):
            return None
        output = record.get("output")
        written_at = epoch_or_none(record.get("written_at"))
        expires_at = epoch_or_none(record.get("expires_at"))
    except (OSError, ValueError, RecursionError):
        return None
    # NaN would pass every "still fresh?" comparison below; 10**400 would overflow: not usable
    if not isinstance(output, str) or written_at is None or expires_at is None:
        return None
    now = time.time() if now is None else now
    margin = min(config.refresh_margin_seconds, (expires_at - written_at) / 2)
    if expires_at - now <= margin:
        return None
    fingerprint = _session_fingerprint(storage, config)
    if fingerprint is None or record.get("session") != fingerprint:
        return None
    return output


def remember(
    storage: KeyValueStorage,
    config: AuthConfig,
    output: str,
    expires_at: float | None,
    now: float | None = None,
) -> None:
    """Keep ``output`` for the next call (only for a stored sign-in and expiring credentials)."""
    fingerprint = _session_fingerprint(storage, config)
    if fingerprint is None or expires_at is None:
        forget(storage)
        return
    record: dict[str, Any] = {
        "session": fingerprint,
        "written_at": time.time() if now is None else now,
        "expires_at": float(expires_at),
        "output": output,
    }
    with contextlib.suppress(OSError):  # an optimisation only: the next call takes the full path
        storage.set(CACHE_KEY, json.dumps(record))


def forget(storage: KeyValueStorage) -> None:
    """Drop the record (sign-out, a new sign-in, nobody signed in)."""
    with contextlib.suppress(OSError):
        storage.remove(CACHE_KEY)
