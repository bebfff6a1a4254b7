"""The token provider of a signed-in user (OIDC or user pool): it refreshes itself.

Tokens live in a :class:`~nbauth.core.refresh.Refreshable` (the same engine as the AWS
credentials), so they are refreshed with the refresh token ahead of expiry, in the background,
once however many threads ask. Rules (invariant 3, "nothing is lost"):

* a rotated refresh token is stored (memory and storage backend) before anything else, so a
  failure later in the refresh cannot strand the session;
* tokens are cleared only on ``invalid_grant`` (revoked, expired, reused refresh token); network
  errors, 5xx and garbage answers keep the current tokens, which serve until they expire;
* the stored record is deleted on ``invalid_grant`` only if it still holds the refused token
  (another process may have stored a newer one meanwhile).

The client is any :class:`~nbauth.oidc.token_client.TokenClient`; what is stored is a
:class:`~nbauth.core.session_record.SessionRecord`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from ..core.refresh import Refreshable, RefreshPolicy, RefreshStatus
from ..core.session_record import SessionRecord
from ..core.storage import KeyValueStorage
from ..core.values import AuthTokens
from ..errors import InvalidGrantError
from .token_client import TokenClient
from .tokens import OIDCTokens

__all__ = ["OIDCTokenProvider"]

log = logging.getLogger("nbauth.oidc")


class OIDCTokenProvider:
    """A :class:`~nbauth.TokenProvider` backed by one sign-in through ``client``."""

    def __init__(
        self,
        client: TokenClient,
        tokens: OIDCTokens | None,
        *,
        refresh_token: str | None = None,
        storage: KeyValueStorage,
        emit: Callable[[str, Any, str | None], None],
        policy: RefreshPolicy | None = None,
        clock: Callable[[], float] = time.time,
        background: bool = True,
        on_refreshed: Callable[[OIDCTokens], None] | None = None,
        on_invalidated: Callable[[], None] | None = None,
    ) -> None:
        self.client = client
        self.storage = storage
        self.logins_key = client.spec.logins_key
        self._emit = emit
        self._on_refreshed = on_refreshed
        self._on_invalidated = on_invalidated
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
        self._persist()
        if tokens is not None:
            self._engine.set(tokens)

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
        """The user's tokens, refreshed first if expired (or ``force_refresh``)."""
        tokens = self._engine.get(force=force_refresh)
        return tokens.auth_tokens if tokens is not None else None

    # -- refreshing ----------------------------------------------------------------------

    def _refresh(self) -> OIDCTokens | None:
        previous = self._engine.latest()  # even if expired (None: a restored session)
        refresh_token = self._refresh_token
        if not refresh_token:
            return None
        try:
            response = self.client.refresh_response(refresh_token, previous)
        except InvalidGrantError as exc:
            self._failed(exc)  # reported here: the reset below makes the engine forget it
            self._invalidate()
            raise
        rotated = response.get("refresh_token")
        if isinstance(rotated, str) and rotated and rotated != refresh_token:
            with self._lock:
                self._refresh_token = rotated
            self._persist()  # before verification: the old token is already dead
        if previous is None and not response.get("id_token") and not self.client.spec.cognito:
            self._invalidate()  # a restored session must prove who the user is
            return None
        fresh = self.client.tokens_after_refresh(response, previous)
        fresh.refresh_token = self._refresh_token
        return fresh

    def _refreshed(self, tokens: OIDCTokens) -> None:
        self._emit("tokenRefresh", None, "Tokens refreshed")
        if self._on_refreshed is not None:
            self._on_refreshed(tokens)

    def _failed(self, error: BaseException) -> None:
        self._emit(
            "tokenRefresh_failure",
            {
                "error": getattr(error, "name", type(error).__name__),
                "message": getattr(error, "message", type(error).__name__),
            },
            "Refreshing tokens failed",
        )

    def _invalidate(self) -> None:
        """The provider refused the refresh token for good: drop everything."""
        log.info("The identity provider rejected the refresh token; signing out locally")
        with self._lock:
            refused, self._refresh_token = self._refresh_token, None
        stored = self._stored_record()
        if stored is not None and stored.refresh_token == refused:
            stored.remove(self.storage)  # only the record of the refused token (invariant 8)
        self._engine.reset()
        if self._on_invalidated is not None:
            self._on_invalidated()

    # -- persistence and sign-out --------------------------------------------------------

    def _record(self, refresh_token: str) -> SessionRecord:
        spec = self.client.spec
        return SessionRecord(spec.issuer, spec.client_id, spec.name, refresh_token)

    def _stored_record(self) -> SessionRecord | None:
        spec = self.client.spec
        return SessionRecord.load(self.storage, spec.issuer, spec.client_id, provider=spec.name)

    def _persist(self) -> None:
        token = self._refresh_token
        if token:
            self._record(token).save(self.storage)

    def sign_out(self, *, revoke: bool = True) -> bool:
        """Forget the tokens; revoke the refresh token at the IdP (RFC 7009) when possible.

        Returns whether the provider confirmed the revocation. Revocation errors are logged and
        never stop the local sign-out.
        """
        revoked = False
        token = self._refresh_token
        if revoke and token:
            try:
                revoked = self.client.revoke(token)
            except Exception as exc:
                log.warning(
                    "Revoking the refresh token failed (%s); signed out locally anyway",
                    type(exc).__name__,
                )
        with self._lock:
            self._refresh_token = None
        self._record(token or "").remove(self.storage)  # whatever it holds: the user signs out
        self._engine.close()
        self._engine.reset()
        return revoked

    def close(self) -> None:
        self._engine.close()

    def __repr__(self) -> str:
        return (
            f"OIDCTokenProvider(provider={self.provider_name!r}, "
            f"state={self._engine.state.value!r})"
        )
