"""One credentials pipeline for every session.

``token source → credentials provider → refresh engine``:

* the token source is the current state's (a signed-in user, a federation, a custom token
  provider) or none (guest / signed out);
* the credentials provider is the user's own (``configure(credentials_provider=...)``) or the
  built-in identity-pool provider (:class:`~nbauth.aws.credentials_provider.
  IdentityPoolCredentialsProvider`): ``GetId`` (cached) + ``GetCredentialsForIdentity``;
* one :class:`~nbauth.core.refresh.Refreshable` holds the result, so credentials refresh
  ahead of expiry in the background, once however many threads ask, and are never handed
  out expired.

The built-in provider shares its credentials through the store (other kernels and processes
get them with no call). The pipeline tells it what the engine needs: cached credentials must be
good for longer than the engine's margin + jitter (or the engine would refresh them again at
once), and the credentials the engine holds when it fetches — stale, expired, or rejected by
AWS (``engine.get(force=True)``) — are never adopted back from the cache; a record another
process wrote since is.

Example::

    pipeline = CredentialsPipeline(config, storage, source=lambda: None, clock=time.time)
    pipeline.engine.get()      # guest credentials, if the pool allows them
"""

from __future__ import annotations

import random as _random
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from ..config import AuthConfig
from ..core.protocols import CredentialsProvider
from ..core.refresh import Refreshable, RefreshPolicy
from ..core.storage import KeyValueStorage
from ..core.values import AWSCredentials
from ..errors import LoginTokenExpiredError
from .token_sources import Login, TokenSource

if TYPE_CHECKING:
    from ..aws.credentials_provider import IdentityPoolCredentialsProvider

__all__ = ["CredentialsPipeline", "Fetched"]


class Fetched(NamedTuple):
    """One result of the pipeline: credentials, their identity id, and the login they used."""

    credentials: AWSCredentials
    identity_id: str | None
    login: Login | None


def _expires_at(value: Fetched) -> float | None:
    return value.credentials.expires_at


class CredentialsPipeline:
    """Credentials for whatever ``source()`` returns now; see the module docstring."""

    def __init__(
        self,
        config: AuthConfig,
        storage: KeyValueStorage,
        *,
        source: Callable[[], TokenSource | None],
        credentials_provider: CredentialsProvider | None = None,
        clock: Callable[[], float],
        random: Callable[[], float] = _random.random,
        on_refreshed: Callable[[Fetched], None] | None = None,
        on_failed: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.config = config
        self.storage = storage
        self.credentials_provider = credentials_provider
        self._source = source
        self._lock = threading.Lock()
        self._pool: IdentityPoolCredentialsProvider | None = None
        self.engine: Refreshable[Fetched] = Refreshable(
            self.fetch,
            expires_at=_expires_at,
            policy=RefreshPolicy(
                margin_seconds=config.refresh_margin_seconds,
                jitter_seconds=config.refresh_jitter_seconds,
            ),
            clock=clock,
            random=random,
            on_refreshed=on_refreshed,
            on_failed=on_failed,
            name="credentials",
            background=config.background_refresh,
        )

    def fetch(self) -> Fetched | None:
        """The engine's fetch: credentials for the current source's login (or a guest's)."""
        source = self._source()
        login = source.login() if source is not None else None
        # The engine fetches only when what it holds will not do (stale, expired, forced).
        held = self.engine.latest()
        replacing = held.credentials.access_key_id if held is not None else None
        return self.credentials_for(source, login, replacing=replacing)

    def credentials_for(
        self, source: TokenSource | None, login: Login | None, *, replacing: str | None = None
    ) -> Fetched | None:
        """Credentials for ``login`` (``None``: a guest); ``None`` when there can be none.

        When the identity pool says the login token expired, a source that can renew it is
        asked for a new one, once. ``replacing``: the access key id of credentials that must
        not come back from the shared cache (the ones being refreshed).
        """
        if self.credentials_provider is not None:
            result = self.credentials_provider.get_credentials_and_identity_id(
                tokens=login.tokens if login is not None else None,
                authenticated=login is not None,
                force_refresh=True,
            )
            return (
                None if result is None else Fetched(result.credentials, result.identity_id, login)
            )
        if not self.config.identity_pool_id:
            return None
        if login is None:
            if not self.config.allow_guest:
                return None
            result = self.identity_pool().credentials_for({}, replacing=replacing)
            return Fetched(result.credentials, result.identity_id, None)
        try:
            return self._federate(login, replacing)
        except LoginTokenExpiredError:
            if source is None or not getattr(source, "can_renew", False):
                raise
            renewed = source.login(force_refresh=True)
            if renewed is None:
                raise
            return self._federate(renewed, replacing)

    def _federate(self, login: Login, replacing: str | None) -> Fetched:
        result = self.identity_pool().credentials_for(
            login.logins,
            identity_id=login.developer_identity_id,
            custom_role_arn=login.custom_role_arn,
            replacing=replacing,
        )
        return Fetched(result.credentials, result.identity_id, login)

    def forget(self, held: Fetched | None) -> None:
        """Drop the shared cached credentials of a login that signed out (other processes too).

        The identity id stays cached: identity ids are stable per login."""
        login = held.login if held is not None else None
        if (
            login is None
            or self.credentials_provider is not None
            or not self.config.identity_pool_id
        ):
            return
        pool = self.identity_pool()
        key = pool.credentials_key(
            login.logins,
            identity_id=login.developer_identity_id,
            custom_role_arn=login.custom_role_arn,
        )
        self.storage.remove(key)

    @property
    def min_valid_seconds(self) -> float:
        """How long shared credentials must still be good to be adopted: the engine's margin +
        jitter (the provider caps it at half their lifetime, as the engine caps its margin)."""
        policy = self.engine.policy
        return policy.margin_seconds + policy.jitter_seconds

    def identity_pool(self) -> IdentityPoolCredentialsProvider:
        """The built-in identity-pool provider (made on first use: it imports boto3)."""
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    from ..aws.credentials_provider import IdentityPoolCredentialsProvider
                    from ..aws.identity_pool import IdentityPoolClient

                    client = IdentityPoolClient(
                        self.config.require_identity_pool(),
                        self.config.region or "",
                        endpoint_url=self.config.identity_pool_endpoint,
                    )
                    self._pool = IdentityPoolCredentialsProvider(
                        client,
                        self.storage,
                        allow_guest=self.config.allow_guest,
                        clock=self.engine.clock,
                        min_valid_seconds=self.min_valid_seconds,
                    )
        return self._pool
