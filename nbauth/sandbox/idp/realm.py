"""A realm: what one authorization server issues, for whom, and what its tokens say.

The sandbox runs two Authlib authorization servers on one port: the OpenID
provider (:class:`OidcRealm`, issuer ``http://127.0.0.1:<port>``) and the
Cognito managed-login paths (``ManagedLoginRealm`` in
:mod:`~nbauth.sandbox.idp.managed_login`). Both share the grant classes; a
realm supplies the issuer, the signing key, the clients, the token store and
the claim shapes.
"""

from __future__ import annotations

import time
from typing import Any

from authlib.oauth2.rfc6749 import scope_to_list
from joserfc import jwt
from joserfc.errors import JoseError

from .keys import SigningKey
from .models import Client, Principal, User, UserDirectory
from .settings import Lifetimes
from .store import GrantStore

__all__ = ["OidcRealm", "Realm"]


class Realm:
    """Base: issuer, key, clients, store; subclasses define the claims."""

    #: whether a refresh token needs the ``offline_access`` scope
    REFRESH_NEEDS_OFFLINE_ACCESS = False
    #: whether refresh tokens are rotated on use
    ROTATE_REFRESH_TOKENS = True

    def __init__(
        self,
        *,
        issuer: str,
        key: SigningKey,
        users: UserDirectory,
        lifetimes: Lifetimes,
        clients: list[Client],
        scopes: list[str],
        public_url: str | None = None,
    ) -> None:
        self.issuer = issuer
        #: where a person's browser opens this realm's pages (:mod:`.public_url`)
        self.public_url = public_url or issuer
        self.key = key
        self.users = users
        self.lifetimes = lifetimes
        self.clients = {c.client_id: c for c in clients}
        self.scopes = scopes
        self.store = GrantStore()

    def client(self, client_id: str | None) -> Client | None:
        """A registered client, or None."""
        return self.clients.get(client_id) if client_id else None

    def may_refresh(self, scope: str | None) -> bool:
        """Whether a token response for ``scope`` includes a refresh token."""
        return not self.REFRESH_NEEDS_OFFLINE_ACCESS or "offline_access" in scope_to_list(
            scope or ""
        )

    def principal(
        self, user: User, auth_time: int, identity_provider: str | None = None
    ) -> Principal:
        """The realm's view of ``user`` signed in at ``auth_time``."""
        return Principal(user=user, sub=user.sub, username=user.username, auth_time=auth_time)

    # -- claims --------------------------------------------------------------------------
    def id_token_client_claims(self, client: Client) -> dict[str, Any]:
        """ID-token claims that depend on the client or the token itself (``azp``, ``jti``)."""
        return {}

    def id_token_claims(self, principal: Principal, scope: str) -> dict[str, Any]:
        """ID-token claims about the principal (iss/aud/iat/exp/auth_time/nonce/at_hash
        are added by the OpenID extension)."""
        raise NotImplementedError

    def userinfo(self, principal: Principal, scope: str) -> dict[str, Any]:
        """The userinfo response for a token with ``scope``."""
        raise NotImplementedError

    # -- access tokens ---------------------------------------------------------------------
    def access_token_claims(
        self, token: str, *, check_expiry: bool = True
    ) -> dict[str, Any] | None:
        """The claims of an access token this realm signed, or None if it is not one."""
        try:
            decoded = jwt.decode(token, self.key.private, algorithms=["RS256"])
        except (JoseError, ValueError, TypeError):
            return None
        claims = dict(decoded.claims)
        if claims.get("iss") != self.issuer or not self._is_access_token(decoded.header, claims):
            return None
        if check_expiry and not time.time() < float(claims.get("exp", 0)):
            return None
        return claims

    def _is_access_token(self, header: dict[str, Any], claims: dict[str, Any]) -> bool:
        return header.get("typ") == "at+jwt" and isinstance(claims.get("jti"), str)


class OidcRealm(Realm):
    """The sandbox OpenID provider: RFC 9068 access tokens, standard claims."""

    REFRESH_NEEDS_OFFLINE_ACCESS = True
    ROTATE_REFRESH_TOKENS = True

    def id_token_client_claims(self, client: Client) -> dict[str, Any]:
        """``azp``: the client the token was issued to."""
        return {"azp": client.client_id}

    def id_token_claims(self, principal: Principal, scope: str) -> dict[str, Any]:
        """The scope's standard claims, as at the userinfo endpoint."""
        return self.userinfo(principal, scope)

    def userinfo(self, principal: Principal, scope: str) -> dict[str, Any]:
        """``sub``; ``email``/``email_verified`` with email; ``name``/``preferred_username``
        with profile."""
        scopes = scope_to_list(scope or "")
        user = principal.user
        claims: dict[str, Any] = {"sub": principal.sub}
        if "email" in scopes and user.email:
            claims["email"] = user.email
            claims["email_verified"] = user.email_verified
        if "profile" in scopes:
            claims["name"] = user.name or user.username
            claims["preferred_username"] = user.username
        return claims
