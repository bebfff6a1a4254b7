"""Authlib endpoint subclasses: device authorization, revocation, userinfo, end session.

* :class:`DeviceAuthorizationEndpoint` (RFC 8628 §3.1-3.2): ``expires_in`` and
  ``interval`` come from the realm's live lifetimes; only clients registered
  for the device grant may start one.
* :class:`RevocationEndpoint` (RFC 7009): public clients may revoke (Authlib's
  default is ``client_secret_basic`` only); revoking a refresh token revokes
  every token of its grant, revoking an access token revokes that token.
* :class:`UserInfoEndpoint` (OpenID Connect Core §5.3) behind an
  :class:`AccessTokenValidator` that checks the JWT and then its record, so
  revoked tokens are refused.
* :class:`EndSessionEndpoint` (RP-Initiated Logout): ends the browser session;
  native clients may return to any loopback ``post_logout_redirect_uri``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749.errors import UnauthorizedClientError
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint as _RevocationEndpoint
from authlib.oauth2.rfc8628 import DEVICE_CODE_GRANT_TYPE
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint as _DeviceAuthorizationEndpoint
from authlib.oidc.core import UserInfo
from authlib.oidc.core import UserInfoEndpoint as _UserInfoEndpoint
from authlib.oidc.rpinitiated import EndSessionEndpoint as _EndSessionEndpoint

from .models import Client, DeviceCredential, Principal, TokenRecord

if TYPE_CHECKING:
    from authlib.oidc.rpinitiated import EndSessionRequest
    from joserfc.jwk import KeySet

    from .realm import Realm

__all__ = [
    "AccessTokenValidator",
    "DeviceAuthorizationEndpoint",
    "EndSessionEndpoint",
    "RevocationEndpoint",
    "UserInfoEndpoint",
]

_ALL_CLIENT_AUTH = ["client_secret_basic", "client_secret_post", "none"]


class DeviceAuthorizationEndpoint(_DeviceAuthorizationEndpoint):
    """RFC 8628 device authorization; ``verification_uri`` is ``<public URL>/device`` (the
    issuer unless the pages are served through Jupyter, :mod:`.public_url`)."""

    CLIENT_AUTH_METHODS = _ALL_CLIENT_AUTH

    @property
    def realm(self) -> Realm:
        """The server's realm."""
        return self.server.realm

    # Authlib's class constants, read live from the realm instead (never assigned).
    @property
    def EXPIRES_IN(self) -> int:  # type: ignore[override]  # read-only, see above
        """Device-code lifetime, read live."""
        return self.realm.lifetimes.device_code

    @property
    def INTERVAL(self) -> int:  # type: ignore[override]  # read-only, see above
        """Polling interval, read live."""
        return self.realm.lifetimes.device_poll_interval

    def get_verification_uri(self) -> str:
        """Where the person enters the user code."""
        return f"{self.realm.public_url}/device"

    def save_device_credential(self, client_id: str, scope: str | None, data: dict) -> None:
        """Keep the request (only for clients allowed the device grant)."""
        client = self.realm.client(client_id)
        if client is None or not client.check_grant_type(DEVICE_CODE_GRANT_TYPE):
            raise UnauthorizedClientError("The client may not use the device authorization grant.")
        self.realm.store.save_device(
            DeviceCredential(
                device_code=data["device_code"],
                user_code=data["user_code"],
                client_id=client_id,
                scope=client.get_allowed_scope(scope),
                expires_at=time.time() + data["expires_in"],
                interval=data["interval"],
            )
        )


@dataclass(frozen=True)
class _Presented:
    """A token presented for revocation, and which kind it turned out to be."""

    record: TokenRecord
    kind: str  # "refresh_token" or "access_token"

    def check_client(self, client: Any) -> bool:
        return self.record.check_client(client)


class RevocationEndpoint(_RevocationEndpoint):
    """RFC 7009 token revocation, for public and confidential clients."""

    CLIENT_AUTH_METHODS = _ALL_CLIENT_AUTH
    #: whether access tokens can be revoked here (Cognito's endpoint takes refresh tokens only)
    REVOKES_ACCESS_TOKENS = True

    @property
    def realm(self) -> Realm:
        """The server's realm."""
        return self.server.realm

    def query_token(self, token_string: str, token_type_hint: str | None) -> _Presented | None:
        """A refresh token (any state) or, where allowed, one of our access tokens."""
        record = self.realm.store.find_refresh_any_state(token_string)
        if record is not None:
            return _Presented(record, "refresh_token")
        if not self.REVOKES_ACCESS_TOKENS:
            return None
        claims = self.realm.access_token_claims(token_string, check_expiry=False)
        record = self.realm.store.find_access(claims["jti"]) if claims else None
        return _Presented(record, "access_token") if record is not None else None

    def revoke_token(self, token: _Presented, request: Any) -> None:
        """Refresh token: the whole grant. Access token: that token."""
        if token.kind == "refresh_token":
            self.realm.store.revoke_origin(token.record.origin)
        else:
            self.realm.store.revoke_access(token.record)


class AccessTokenValidator(BearerTokenValidator):
    """Bearer tokens for the userinfo endpoint: our JWT, then its (unrevoked) record."""

    def __init__(self, realm: Realm) -> None:
        super().__init__()
        self.realm = realm

    def authenticate_token(self, token_string: str) -> TokenRecord | None:
        """The record of a valid access token of this realm, or None."""
        claims = self.realm.access_token_claims(token_string)
        return self.realm.store.find_access(claims["jti"]) if claims else None


class UserInfoEndpoint(_UserInfoEndpoint):
    """OpenID Connect userinfo: the realm's claims for the token's scope (JSON)."""

    def __init__(self, realm: Realm, resource_protector: Any) -> None:
        super().__init__(resource_protector=resource_protector)
        self.realm = realm

    def generate_user_info(self, user: Principal, scope: str) -> UserInfo:
        """The realm's userinfo for this principal."""
        return UserInfo(self.realm.userinfo(user, scope))

    def get_issuer(self) -> str:
        """The realm's issuer."""
        return self.realm.issuer


class EndSessionEndpoint(_EndSessionEndpoint):
    """RP-initiated logout: validates ``id_token_hint`` against our key, ends the session."""

    def __init__(self, realm: Realm, end_browser_session: Callable[[], None]) -> None:
        super().__init__()
        self.realm = realm
        self._end_browser_session = end_browser_session

    def get_server_jwks(self) -> KeySet:
        """Our signing key (public half is what matters for verification)."""
        return self.realm.key.private

    def get_algorithms(self) -> list[str]:
        """RS256 only."""
        return ["RS256"]

    def end_session(self, end_session_request: EndSessionRequest) -> None:
        """Forget the browser session."""
        self._end_browser_session()

    def _is_valid_post_logout_redirect_uri(self, client: Client, uri: str) -> bool:
        """Registered URIs, and any loopback URI for native clients (RFC 8252)."""
        return client.check_post_logout_redirect_uri(uri)
