"""The token provider of a user signed in through an OIDC flow: it refreshes itself.

Tokens live in a :class:`~nbauth.core.refresh.Refreshable` (the same engine as the AWS
credentials), so they are refreshed with the refresh token ahead of expiry, in the background,
once however many threads ask. Rules (invariant 3, "nothing is lost"):

* a rotated refresh token is stored (memory and storage backend) before anything else, so a
  failure later in the refresh cannot strand the session;
* tokens are cleared only on ``invalid_grant`` (revoked, expired, reused refresh token); network
  errors, 5xx and garbage answers keep the current tokens, which serve until they expire.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from ..core.refresh import Refreshable, RefreshPolicy
from ..core.storage import KeyValueStorage
from ..core.values import AuthTokens
from ..errors import InvalidGrantError
from . import session_storage_key
from .client import OIDCClient
from .tokens import OIDCTokens

__all__ = ["OIDCTokenProvider"]

log = logging.getLogger("nbauth.oidc")


class OIDCTokenProvider:
    """A :class:`~nbauth.TokenProvider` backed by one OIDC sign-in."""

    def __init__(
        self,
        client: OIDCClient,
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
        self.storage_key = session_storage_key(client.spec.issuer, client.spec.client_id)
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
        raw = storage.get(session_storage_key(issuer, client_id))
        if not raw:
            return None
        try:
            token = json.loads(raw).get("refresh_token")
        except (ValueError, AttributeError):
            return None
        return token if isinstance(token, str) and token else None

    @property
    def engine(self) -> Refreshable[OIDCTokens]:
        return self._engine

    @property
    def current(self) -> OIDCTokens | None:
        """The tokens held now (possibly stale), without refreshing."""
        return self._engine.peek()

    def get_tokens(self, *, force_refresh: bool = False) -> AuthTokens | None:
        """The user's tokens, refreshed first if expired (or ``force_refresh``)."""
        tokens = self._engine.get(force=force_refresh)
        return tokens.auth_tokens if tokens is not None else None

    # -- refreshing ----------------------------------------------------------------------

    def _refresh(self) -> OIDCTokens | None:
        previous = self._engine._value  # the engine's own, even if expired (None: restored)
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
            self._refresh_token = None
        self.storage.remove(self.storage_key)
        self._engine.reset()
        if self._on_invalidated is not None:
            self._on_invalidated()

    # -- persistence and sign-out --------------------------------------------------------

    def _persist(self) -> None:
        if self._refresh_token:
            record = {"provider": self.client.spec.name, "refresh_token": self._refresh_token}
            self.storage.set(self.storage_key, json.dumps(record))

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
        self.storage.remove(self.storage_key)
        self._engine.close()
        self._engine.reset()
        return revoked

    def close(self) -> None:
        self._engine.close()

    def __repr__(self) -> str:
        return (
            f"OIDCTokenProvider(provider={self.client.spec.name!r}, state={self._engine.state!r})"
        )
