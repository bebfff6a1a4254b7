"""The signed-in user's session: a self-refreshing token holder, made or restored here.

Both sign-in services (OIDC and user pools) end in the same place: an
:class:`~nbauth.oidc.token_provider.OIDCTokenProvider` over their token client, which refreshes
the tokens ahead of expiry and persists them with the refresh token through
:class:`~nbauth.core.session_record.SessionRecord`. :class:`UserSessions` makes one after a
sign-in, and restores one at start-up from the record an earlier kernel left.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from ..config import AuthConfig
from ..core.refresh import Refreshable, RefreshPolicy
from ..core.session_record import SessionRecord
from ..core.storage import KeyValueStorage
from ..core.values import AuthTokens

if TYPE_CHECKING:
    from ..oidc.token_client import TokenClient
    from ..oidc.token_provider import OIDCTokenProvider
    from ..oidc.tokens import OIDCTokens

__all__ = ["UserSession", "UserSessions"]


class UserSession(Protocol):
    """What the facade needs from a signed-in user's token holder."""

    logins_key: str | None

    def get_tokens(self, *, force_refresh: bool = False) -> AuthTokens | None: ...

    @property
    def current(self) -> OIDCTokens | None: ...

    @property
    def engine(self) -> Refreshable[Any]: ...

    def sign_out(self, *, revoke: bool = True) -> bool: ...

    def close(self) -> None: ...


class UserSessions:
    """Makes (and restores) :class:`UserSession` objects wired to the facade's callbacks."""

    def __init__(
        self,
        config: AuthConfig,
        storage: KeyValueStorage,
        *,
        emit: Callable[[str, Any, str | None], None],
        policy: RefreshPolicy,
        clock: Callable[[], float],
        on_refreshed: Callable[[UserSession], None],
        on_invalidated: Callable[[UserSession], None],
        on_signed_out_elsewhere: Callable[[UserSession], None],
    ) -> None:
        self.config = config
        self.storage = storage
        self._emit = emit
        self._policy = policy
        self._clock = clock
        self._on_refreshed = on_refreshed
        self._on_invalidated = on_invalidated
        self._on_signed_out_elsewhere = on_signed_out_elsewhere

    def create(
        self,
        client: TokenClient,
        tokens: OIDCTokens | None,
        *,
        refresh_token: str | None = None,
        record: SessionRecord | None = None,
    ) -> OIDCTokenProvider:
        """The token holder of a user who just signed in (or whose ``record`` was found: it
        starts with the record's tokens while they are valid)."""
        from ..oidc.token_provider import OIDCTokenProvider

        user: OIDCTokenProvider = OIDCTokenProvider(
            client,
            tokens,
            refresh_token=refresh_token,
            record=record,
            storage=self.storage,
            emit=self._emit,
            policy=self._policy,
            clock=self._clock,
            background=self.config.background_refresh,
            on_refreshed=lambda _tokens: self._on_refreshed(user),
            on_invalidated=lambda: self._on_invalidated(user),
            on_signed_out_elsewhere=lambda: self._on_signed_out_elsewhere(user),
        )
        return user

    def restore(self, client_for: Callable[[str], TokenClient | None]) -> OIDCTokenProvider | None:
        """A refresh token left in storage by an earlier kernel signs the user back in.

        Only storage is read here: while the record's tokens are valid they are used as they
        are (no network); after that the first call that needs tokens refreshes them (and a
        refresh token the IdP no longer accepts signs the user out, as usual). ``client_for``
        maps a stored provider name to the client that refreshes it.
        """
        for name, issuer, client_id in self._candidates():
            record = SessionRecord.load(self.storage, issuer, client_id, provider=name)
            if record is None:
                continue  # absent or unreadable: never crash a kernel start on it
            client = client_for(record.provider)
            if client is not None:
                return self.create(client, None, refresh_token=record.refresh_token, record=record)
        return None

    def _candidates(self) -> list[tuple[str, str, str]]:
        config = self.config
        found = [(name, p.issuer, p.client_id) for name, p in config.oidc_providers.items()]
        if config.user_pool_id and config.user_pool_client_id and config.region:
            issuer = f"https://cognito-idp.{config.region}.amazonaws.com/{config.user_pool_id}"
            found.append(("", issuer, config.user_pool_client_id))
        return found
