"""OpenID Connect ID tokens, added by Authlib's ``OpenIDCode``/``OpenIDToken`` extensions.

Authlib computes ``at_hash``, copies ``nonce`` and ``auth_time`` from the code
and signs; these subclasses supply the realm's key (its ``kid`` in the header),
``iss``/``aud``/``exp`` from the realm and its live ID-token lifetime, and the
realm's claims. :class:`IdTokenOnCode` serves the code grant (it also checks
``prompt``); :class:`IdTokenOnGrant` adds ID tokens to device-code and refresh
responses, where ``auth_time`` is the original sign-in and there is no nonce.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from authlib.oidc.core import OpenIDCode, OpenIDToken, UserInfo

if TYPE_CHECKING:
    from joserfc.jwk import KeySet

    from .models import Client, Principal
    from .realm import Realm

__all__ = ["IdTokenOnCode", "IdTokenOnGrant"]


class _RealmIdToken:
    """The hooks both extensions share (they override Authlib's ``LegacyMixin``)."""

    realm: Realm

    def resolve_client_private_key(self, client: Client) -> KeySet:
        """The realm's signing key."""
        return self.realm.key.private

    def get_client_algorithm(self, client: Client) -> str:
        """Always RS256."""
        return "RS256"

    def get_encode_header(self, client: Client) -> dict[str, str]:
        """``alg``, ``kid`` and ``typ``."""
        return {"alg": "RS256", "kid": self.realm.key.kid, "typ": "JWT"}

    def get_compatible_claims(self, request: Any) -> dict[str, Any]:
        """``iss``, ``aud`` (the client id), ``iat``, ``exp`` and the original ``auth_time``."""
        now = int(time.time())
        principal: Principal = request.user
        client: Client = request.client
        return {
            "iss": self.realm.issuer,
            "aud": client.get_client_id(),
            "iat": now,
            "exp": now + self.realm.lifetimes.id_token,
            "auth_time": principal.auth_time,
            **self.realm.id_token_client_claims(client),
        }

    def generate_user_info(self, user: Principal, scope: str) -> UserInfo:
        """The realm's claims about the principal for this scope."""
        return UserInfo(self.realm.id_token_claims(user, scope))


class IdTokenOnCode(_RealmIdToken, OpenIDCode):
    """ID tokens for the authorization code grant; also enforces ``prompt=none``."""

    def __init__(self, realm: Realm) -> None:
        super().__init__(require_nonce=False)
        self.realm = realm

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        """Nonces are not remembered: clients check their own (replay is theirs to spot)."""
        return False


class IdTokenOnGrant(_RealmIdToken, OpenIDToken):
    """ID tokens for the device-code and refresh grants."""

    def __init__(self, realm: Realm) -> None:
        self.realm = realm
