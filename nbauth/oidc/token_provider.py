"""The token provider of a signed-in user (OIDC or user pool): it refreshes itself.

Tokens live in a :class:`~nbauth.core.refresh.Refreshable` (the same engine as the AWS
credentials), so they are refreshed with the refresh token ahead of expiry, in the background,
once however many threads ask. Rules (invariant 3, "nothing is lost"):

* a rotated refresh token is stored (memory and storage backend) before anything else, so a
  failure later in the refresh cannot strand the session;
* tokens are cleared only on a definitive refusal (:data:`DEFINITIVE_REFRESH_ERRORS`:
  ``invalid_grant`` — revoked, expired, reused refresh token —, ``invalid_scope``,
  ``invalid_client``, ``unauthorized_client``: asking again can never succeed); network errors,
  5xx and garbage answers keep the current tokens, which serve until they expire;
* on such a refusal the stored record is deleted only if it still holds the refused token
  (another process may have stored a newer one meanwhile), and ``tokenRefresh_failure`` (naming
  the error) comes before the session ends (``signedOut`` from the facade).

With a store other processes share (anything but :class:`~nbauth.core.storage.MemoryStorage`)
a refresh is single-flight across processes: under
:func:`~nbauth.core.storage_lock.storage_lock` the provider re-reads the
:class:`~nbauth.core.session_record.SessionRecord`; if another process already refreshed (the
record holds another refresh token, or newer tokens that are still valid) it adopts those tokens
without calling the IdP; otherwise it refreshes with the record's refresh token and saves the
record (rotated refresh token first, then the new tokens) before releasing the lock. A record
that has disappeared means the user signed out in another process: this one signs out too.
Callbacks run after the lock is released.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from ..core.refresh import Refreshable, RefreshPolicy, RefreshStatus
from ..core.session_record import SessionRecord, session_storage_key
from ..core.storage import KeyValueStorage, MemoryStorage
from ..core.storage_lock import LockTimeoutError, storage_lock
from ..core.values import AuthTokens
from ..errors import (
    AuthError,
    InvalidClientError,
    InvalidGrantError,
    InvalidScopeError,
    UnauthorizedClientError,
)
from .token_client import TokenClient
from .tokens import OIDCTokens

__all__ = ["DEFINITIVE_REFRESH_ERRORS", "OIDCTokenProvider"]

log = logging.getLogger("nbauth.oidc")

_Later = list[Callable[[], None]]

#: Refresh answers that end the session: the IdP will refuse this refresh token (or this client)
#: every time, so keeping the session "signed in" would only fail every AWS call. Anything else
#: (network, 5xx, 429, garbage) is transient and keeps the tokens (invariant 3).
DEFINITIVE_REFRESH_ERRORS: tuple[type[AuthError], ...] = (
    InvalidGrantError,
    InvalidScopeError,
    InvalidClientError,
    UnauthorizedClientError,
)


class OIDCTokenProvider:
    """A :class:`~nbauth.TokenProvider` backed by one sign-in through ``client``.

    ``tokens`` after a sign-in; ``refresh_token`` (tokens ``None``) to restore a session, which
    starts with the tokens of its stored ``record`` (or the one in ``storage``) while valid.
    """

    def __init__(
        self,
        client: TokenClient,
        tokens: OIDCTokens | None,
        *,
        refresh_token: str | None = None,
        record: SessionRecord | None = None,
        storage: KeyValueStorage,
        emit: Callable[[str, Any, str | None], None],
        policy: RefreshPolicy | None = None,
        clock: Callable[[], float] = time.time,
        background: bool = True,
        on_refreshed: Callable[[OIDCTokens], None] | None = None,
        on_invalidated: Callable[[], None] | None = None,
        on_signed_out_elsewhere: Callable[[], None] | None = None,
        lock_timeout: float = 30.0,
    ) -> None:
        self.client = client
        self.storage = storage
        self.logins_key = client.spec.logins_key
        self._emit = emit
        self._clock = clock
        self._on_refreshed = on_refreshed
        self._on_invalidated = on_invalidated
        self._on_signed_out_elsewhere = on_signed_out_elsewhere
        self._lock_timeout = lock_timeout
        #: another process may use the same store: refresh under the store's lock
        self._shared = not isinstance(storage, MemoryStorage)
        self._key = session_storage_key(client.spec.issuer, client.spec.client_id)
        self._refresh_token = tokens.refresh_token if tokens is not None else refresh_token
        self._lock = threading.Lock()
        self._engine: Refreshable[OIDCTokens] = Refreshable(
            self._refresh,
            expires_at=lambda t: t.expires_at,
            policy=policy,
            clock=clock,
            on_refreshed=self._refreshed,
            on_failed=self._failed,
            name="tokens",
            background=background,
        )
        if tokens is not None:
            self._save_new_session(tokens)
            self._engine.set(tokens)
        elif self._refresh_token:
            stored = record if record is not None else self._stored_record()
            if stored is None:
                self._save_new_session(None)  # a refresh token handed over by the caller
            elif stored.refresh_token == self._refresh_token:
                restored = self._tokens_of(stored)
                if restored is not None:
                    self._engine.set(restored)  # valid tokens from the record: no network

    @classmethod
    def stored_refresh_token(
        cls, storage: KeyValueStorage, issuer: str, client_id: str
    ) -> str | None:
        """The refresh token a previous session left in ``storage``, if any."""
        record = SessionRecord.load(storage, issuer, client_id)
        return record.refresh_token if record is not None else None

    @property
    def engine(self) -> Refreshable[OIDCTokens]:
        return self._engine

    @property
    def provider_name(self) -> str:
        """The provider's name (``spec.name``: a configured OIDC provider, or ``userPool``)."""
        return self.client.spec.name

    @property
    def current(self) -> OIDCTokens | None:
        """The tokens held now if still usable (possibly stale), without refreshing."""
        return self._engine.peek()

    def status(self) -> RefreshStatus:
        """The refresh engine's snapshot (state, deadlines, failures); no token in it."""
        return self._engine.status()

    def get_tokens(self, *, force_refresh: bool = False) -> AuthTokens | None:
        """The user's tokens, refreshed first if expired (or ``force_refresh``).

        With a shared store, a record removed by another process signs this one out here.
        """
        if self._shared and self._refresh_token and not self._check_shared_record():
            return None
        tokens = self._engine.get(force=force_refresh)
        return tokens.auth_tokens if tokens is not None else None

    def _check_shared_record(self) -> bool:
        """Look at the shared record: a sign-out mark signs this process out (False); a record
        that vanished (the store was deleted) is written again from what this process holds."""
        spec = self.client.spec
        if SessionRecord.signed_out(self.storage, spec.issuer, spec.client_id):
            later: _Later = []
            self._signed_out_elsewhere(later)
            for call in later:
                call()
            return False
        if self.storage.get(self._key) is None:
            log.info("The shared session record vanished; writing it again")
            self._save_new_session(self._engine.latest())
        return True

    # -- refreshing ----------------------------------------------------------------------

    def _refresh(self) -> OIDCTokens | None:
        later: _Later = []  # callbacks, run once the store's lock is released
        try:
            if not self._shared:
                return self._refresh_at_idp(self._refresh_token, later)
            with storage_lock(self.storage, self._key, timeout=self._lock_timeout):
                return self._refresh_shared(later)
        finally:
            for call in later:
                call()

    def _refresh_shared(self, later: _Later) -> OIDCTokens | None:
        """Re-read, then adopt or refresh and write; the caller holds the store's lock."""
        if not self._refresh_token:
            return None
        stored = self._stored_record()
        if stored is None:
            spec = self.client.spec
            if SessionRecord.signed_out(self.storage, spec.issuer, spec.client_id):
                self._signed_out_elsewhere(later)
                return None
            # The record vanished (store deleted): refresh with our own token and write it anew.
            return self._refresh_at_idp(self._refresh_token, later)
        adopted = self._adoptable(stored)
        if adopted is not None:
            log.debug("Another process refreshed the tokens; using them")
            with self._lock:
                self._refresh_token = stored.refresh_token
            return adopted
        return self._refresh_at_idp(stored.refresh_token, later)

    def _adoptable(self, stored: SessionRecord) -> OIDCTokens | None:
        """The record's tokens if another process stored them after ours (and they are valid)."""
        candidate = self._tokens_of(stored)
        if candidate is None:
            return None
        previous = self._engine.latest()
        if stored.refresh_token != self._refresh_token or previous is None:
            return candidate
        newer = candidate.expires_at >= previous.expires_at
        return candidate if newer and candidate.access_token != previous.access_token else None

    def _tokens_of(self, stored: SessionRecord) -> OIDCTokens | None:
        """The record's tokens, if it holds an ID token valid for a while yet."""
        skew = self._engine.policy.expiry_skew_seconds
        if not stored.id_token or not stored.holds_tokens_until(self._clock() + skew):
            return None
        assert stored.access_token is not None and stored.expires_at is not None
        try:
            return OIDCTokens(
                access_token=stored.access_token,
                id_token=stored.id_token,
                refresh_token=stored.refresh_token,
                expires_at=stored.expires_at,
                scope=stored.scope,
                access_token_expires_at=stored.access_token_expiry,
            )
        except AuthError:
            return None  # not tokens after all: refresh instead

    def _refresh_at_idp(self, refresh_token: str | None, later: _Later) -> OIDCTokens | None:
        previous = self._engine.latest()  # even if expired (None: a restored session)
        if not refresh_token:
            return None
        with self._lock:
            self._refresh_token = refresh_token
        try:
            response = self.client.refresh_response(refresh_token, previous)
        except DEFINITIVE_REFRESH_ERRORS as exc:
            later.append(partial(self._failed, exc, True))  # the engine's reset forgets the failure
            self._invalidate(later, exc)
            raise
        rotated = response.get("refresh_token")
        if isinstance(rotated, str) and rotated and rotated != refresh_token:
            with self._lock:
                self._refresh_token = rotated
            self._save_rotated(rotated)  # before verification: the old token is already dead
        if previous is None and not response.get("id_token") and not self.client.spec.cognito:
            self._invalidate(later)  # a restored session must prove who the user is
            return None
        fresh = self.client.tokens_after_refresh(response, previous)
        fresh.refresh_token = self._refresh_token
        self._save(fresh)
        return fresh

    def _refreshed(self, tokens: OIDCTokens) -> None:
        self._emit("tokenRefresh", None, "Tokens refreshed")
        if self._on_refreshed is not None:
            self._on_refreshed(tokens)

    def _failed(self, error: BaseException, signed_out: bool = False) -> None:
        name = getattr(error, "name", type(error).__name__)
        data = {"error": name, "message": getattr(error, "message", type(error).__name__)}
        if not signed_out:
            self._emit("tokenRefresh_failure", data, "Refreshing tokens failed")
            return
        why = f"The identity provider refused the refresh for good ({name}); signed out"
        self._emit("tokenRefresh_failure", {**data, "signed_out": True}, why)

    def _invalidate(self, later: _Later, error: AuthError | None = None) -> None:
        """The provider refused the refresh token for good: drop everything."""
        log.info(
            "The identity provider refused the refresh for good (%s); signing out locally",
            error.name if error is not None else "no ID token",
        )
        with self._lock:
            refused, self._refresh_token = self._refresh_token, None
        stored = self._stored_record()
        if stored is not None and stored.refresh_token == refused:
            self._end(stored)  # only the record of the refused token (invariant 8)
        self._engine.reset()
        if self._on_invalidated is not None:
            later.append(self._on_invalidated)

    def _signed_out_elsewhere(self, later: _Later) -> None:
        """The record is gone: the user signed out in another process."""
        log.info("The session was signed out in another process; signing out here")
        with self._lock:
            self._refresh_token = None
        self._engine.reset()
        callback = self._on_signed_out_elsewhere or self._on_invalidated
        if callback is not None:
            later.append(callback)

    # -- persistence and sign-out --------------------------------------------------------

    def _record(self, refresh_token: str) -> SessionRecord:
        spec = self.client.spec
        return SessionRecord(spec.issuer, spec.client_id, spec.name, refresh_token)

    def _stored_record(self) -> SessionRecord | None:
        spec = self.client.spec
        return SessionRecord.load(self.storage, spec.issuer, spec.client_id, provider=spec.name)

    def _save(self, tokens: OIDCTokens) -> None:
        """Store the refresh token with the tokens it goes with."""
        token = self._refresh_token
        if token:
            self._record(token).with_tokens(
                access_token=tokens.access_token,
                id_token=tokens.id_token,
                expires_at=tokens.expires_at,
                scope=tokens.scope,
                access_token_expires_at=tokens.access_token_expires_at,
            ).save(self.storage)

    def _save_rotated(self, rotated: str) -> None:
        stored = self._stored_record()
        (stored or self._record(rotated)).with_refresh_token(rotated).save(self.storage)

    def _save_new_session(self, tokens: OIDCTokens | None) -> None:
        if not self._refresh_token:
            return
        try:
            with storage_lock(self.storage, self._key, timeout=self._lock_timeout):
                self._save_session(tokens)  # never in the middle of another process's refresh
        except LockTimeoutError:
            self._save_session(tokens)  # a new sign-in wins anyway

    def _save_session(self, tokens: OIDCTokens | None) -> None:
        if tokens is not None:
            self._save(tokens)
        elif self._refresh_token:
            self._record(self._refresh_token).save(self.storage)

    def sign_out(self, *, revoke: bool = True) -> bool:
        """Forget the tokens; revoke the refresh token at the IdP (RFC 7009) when possible.

        Other processes sharing the store sign out at their next use (the record is gone).
        Returns whether the provider confirmed the revocation. Revocation errors are logged and
        never stop the local sign-out.
        """
        with self._lock:
            token, self._refresh_token = self._refresh_token, None
        try:
            with storage_lock(self.storage, self._key, timeout=self._lock_timeout):
                token = self._remove_record(token)
        except LockTimeoutError:
            token = self._remove_record(token)
        self._engine.close()
        self._engine.reset()
        revoked = False
        if revoke and token:
            try:
                revoked = self.client.revoke(token)
            except Exception as exc:
                log.warning(
                    "Revoking the refresh token failed (%s); signed out locally anyway",
                    type(exc).__name__,
                )
        return revoked

    def _remove_record(self, token: str | None) -> str | None:
        """Mark the record signed out (whatever it held: the user signs out); the token to
        revoke."""
        stored = self._stored_record()
        if stored is not None and self._shared:
            token = stored.refresh_token  # the newest, if another process rotated ours
        self._end(self._record(token or ""))
        return token

    def _end(self, record: SessionRecord) -> None:
        """The session is over: a shared store keeps a sign-out mark for the other processes."""
        if self._shared:
            record.mark_signed_out(self.storage)
        else:
            record.remove(self.storage)

    def close(self) -> None:
        self._engine.close()

    def __repr__(self) -> str:
        return (
            f"OIDCTokenProvider(provider={self.provider_name!r}, "
            f"state={self._engine.state.value!r})"
        )
