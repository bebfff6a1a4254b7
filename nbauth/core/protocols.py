"""The pluggable parts, as Amplify's ``TokenProvider`` and ``CredentialsAndIdentityIdProvider``.

Example — a custom token provider (as in Amplify's "OIDC auth to AppSync" recipe)::

    class MyTokens:
        def get_tokens(self, *, force_refresh=False):
            if force_refresh:
                ...  # obtain new tokens from your IdP
            return {"access_token": access_jwt, "id_token": id_jwt}

    nbauth.configure(config, token_provider=MyTokens())
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from .values import AuthTokens, CredentialsAndIdentityId

__all__ = ["CredentialsProvider", "TokenProvider"]


@runtime_checkable
class TokenProvider(Protocol):
    """Supplies the signed-in user's tokens; ``force_refresh`` asks for new ones.

    Return :class:`~nbauth.AuthTokens`, a dict with ``access_token``/``id_token``
    (or ``accessToken``/``idToken``) strings, or ``None`` when there is no user.
    """

    def get_tokens(self, *, force_refresh: bool = False) -> AuthTokens | dict[str, Any] | None: ...


@runtime_checkable
class CredentialsProvider(Protocol):
    """Supplies AWS credentials and the identity id for the current tokens."""

    def get_credentials_and_identity_id(
        self,
        *,
        tokens: AuthTokens | None,
        authenticated: bool,
        force_refresh: bool = False,
    ) -> CredentialsAndIdentityId | None: ...

    def clear_credentials_and_identity_id(self) -> None: ...
