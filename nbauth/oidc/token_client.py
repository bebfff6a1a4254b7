"""What a signed-in user's token holder needs from the client that issued the tokens.

:class:`~nbauth.oidc.token_provider.OIDCTokenProvider` refreshes, verifies, persists and revokes
through a :class:`TokenClient`; two clients implement it:

* :class:`~nbauth.oidc.client.OIDCClient` — an OpenID provider's token endpoint (refresh-token
  grant, RFC 7009 revocation), including Cognito's managed login;
* :class:`~nbauth.cognito.user_pool_client.UserPoolClient` — a Cognito user pool's API
  (``GetTokensFromRefreshToken`` or ``REFRESH_TOKEN_AUTH``, ``RevokeToken``).

Their ``spec`` (a :class:`ClientSpec`) names the session: ``issuer`` and ``client_id`` key its
:class:`~nbauth.core.session_record.SessionRecord`, ``name`` is the provider's name in events and
status, ``logins_key`` its key in an identity pool's ``Logins`` map (None: derived from the
token's issuer).

Example::

    def refresh(client: TokenClient, refresh_token: str, previous: OIDCTokens | None):
        response = client.refresh_response(refresh_token, previous)
        return client.tokens_after_refresh(response, previous)
"""

from __future__ import annotations

from typing import Any, Protocol

from ..core.jwt import JWT
from .tokens import OIDCTokens

__all__ = ["ClientSpec", "TokenClient"]


class ClientSpec(Protocol):
    """Who a token client is (a frozen value: ``ProviderSpec``, ``UserPoolSpec``)."""

    @property
    def name(self) -> str: ...

    @property
    def issuer(self) -> str: ...

    @property
    def client_id(self) -> str: ...

    @property
    def logins_key(self) -> str | None: ...

    @property
    def cognito(self) -> bool:
        """Cognito tokens: the access token is a verifiable JWT (``token_use`` checked), so a
        refresh answer without an ID token still proves who the user is."""
        ...


class TokenClient(Protocol):
    """Refresh, verification and revocation for one client of one issuer."""

    @property
    def spec(self) -> ClientSpec: ...

    def verify_tokens(self, tokens: OIDCTokens, *, nonce: str | None = None) -> JWT | None:
        """Verify the tokens of a sign-in (signature, claims, ``nonce``); the decoded ID token."""
        ...

    def refresh_response(
        self, refresh_token: str, previous: OIDCTokens | None = None
    ) -> dict[str, Any]:
        """The raw answer to a refresh (OAuth field names), before any verification, so that a
        rotated refresh token can be stored first. Raises ``InvalidGrantError`` when the refresh
        token is refused for good, other ``AuthError`` kinds for transient failures."""
        ...

    def tokens_after_refresh(
        self, response: dict[str, Any], previous: OIDCTokens | None
    ) -> OIDCTokens:
        """The verified tokens of a refresh answer (``previous`` fills what it omits)."""
        ...

    def revoke(self, token: str) -> bool:
        """Revoke a refresh token; ``False`` when the issuer offers no revocation."""
        ...
