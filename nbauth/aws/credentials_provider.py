"""The built-in credentials provider: identity-pool credentials with cached identity ids.

It implements Amplify's ``CredentialsAndIdentityIdProvider`` against a
Cognito identity pool (enhanced flow: ``GetId`` then
``GetCredentialsForIdentity``):

* the identity id is cached per pool and login in the storage backend, so a
  warm start costs one call;
* whatever ``IdentityId`` the service answers with is adopted (identities
  merge when a user links a second login);
* a cached id the service no longer accepts ("Access to Identity … is
  forbidden", or not found) is dropped and a new one fetched, once;
* transient failures (network, 5xx, throttling) never touch the cache.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from ..core.jwt import decode_jwt
from ..core.logins import logins_key_from_issuer
from ..core.storage import KeyValueStorage
from ..core.values import AuthTokens, CredentialsAndIdentityId
from ..errors import IdentityForbiddenError, IdentityNotFoundError, InvalidTokenError
from .identity_pool import IdentityPoolClient

__all__ = ["IdentityPoolCredentialsProvider", "logins_for_tokens"]

log = logging.getLogger("nbauth.identity_pool")

_GUEST = "guest"


def logins_for_tokens(tokens: AuthTokens, logins_key: str | None = None) -> dict[str, str]:
    """The Logins map for a signed-in user's tokens: key from ``iss`` unless given."""
    token = tokens.federation_token
    if logins_key is None:
        issuer = token.issuer
        if not issuer:
            raise InvalidTokenError(
                "The token has no 'iss' claim, so nbauth cannot tell which provider issued it.",
                "Return an ID token from your token provider, or federate with an explicit "
                "provider.",
            )
        logins_key = logins_key_from_issuer(issuer)
    return {logins_key: token.to_string()}


class IdentityPoolCredentialsProvider:
    """Credentials and identity ids from one Cognito identity pool."""

    def __init__(
        self,
        client: IdentityPoolClient,
        storage: KeyValueStorage,
        *,
        allow_guest: bool = False,
    ) -> None:
        self.client = client
        self.storage = storage
        self.allow_guest = allow_guest

    # -- Amplify's CredentialsAndIdentityIdProvider ----------------------------------------

    def get_credentials_and_identity_id(
        self,
        *,
        tokens: AuthTokens | None,
        authenticated: bool,
        force_refresh: bool = False,
    ) -> CredentialsAndIdentityId | None:
        """Credentials for ``tokens`` (authenticated) or guest credentials (if the pool allows)."""
        if authenticated and tokens is not None:
            return self.credentials_for(logins_for_tokens(tokens))
        if not self.allow_guest:
            return None
        return self.credentials_for({})

    def clear_credentials_and_identity_id(self) -> None:
        """Nothing to drop but cached state; identity ids are kept on purpose (they are stable)."""

    # -- the enhanced flow -----------------------------------------------------------------

    def cache_key(self, logins: Mapping[str, str]) -> str:
        """Storage key of the identity id for this pool and login (provider + subject)."""
        pool = self.client.identity_pool_id
        if not logins:
            return f"nbauth.identityId.{pool}.{_GUEST}"
        key = sorted(logins)[0]
        try:
            subject = decode_jwt(logins[key]).subject or ""
        except InvalidTokenError:
            subject = ""  # an opaque token (e.g. Facebook's): one cached id per provider
        return f"nbauth.identityId.{pool}.{key}.{subject}"

    def cached_identity_id(self, logins: Mapping[str, str]) -> str | None:
        return self.storage.get(self.cache_key(logins))

    def credentials_for(
        self,
        logins: Mapping[str, str],
        *,
        identity_id: str | None = None,
        custom_role_arn: str | None = None,
    ) -> CredentialsAndIdentityId:
        """``GetId`` (unless cached or given) then ``GetCredentialsForIdentity``.

        ``identity_id`` is a developer-provided identity id: it is used as is
        and never cached or replaced.
        """
        if identity_id is not None:
            actual, credentials = self.client.get_credentials_for_identity(
                identity_id, logins, custom_role_arn
            )
            return CredentialsAndIdentityId(credentials, actual)

        key = self.cache_key(logins)
        cached = self.storage.get(key)
        current = cached or self._new_identity_id(key, logins)
        try:
            actual, credentials = self.client.get_credentials_for_identity(
                current, logins, custom_role_arn
            )
        except (IdentityForbiddenError, IdentityNotFoundError) as exc:
            if cached is None:
                raise
            log.info(
                "Cached identity id is no longer valid (%s); getting a new one", type(exc).__name__
            )
            self.storage.remove(key)
            current = self._new_identity_id(key, logins)
            actual, credentials = self.client.get_credentials_for_identity(
                current, logins, custom_role_arn
            )
        if actual != current:
            log.info("The identity pool answered with another identity id (merged identities)")
            self.storage.set(key, actual)
        return CredentialsAndIdentityId(credentials, actual)

    def _new_identity_id(self, key: str, logins: Mapping[str, str]) -> str:
        identity_id = self.client.get_id(logins)
        self.storage.set(key, identity_id)
        return identity_id
