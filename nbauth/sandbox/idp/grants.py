"""Authlib grant subclasses: code + PKCE (S256 only), refresh (rotating or not), device.

Authlib implements each grant's protocol; these subclasses fill in the storage
hooks (``save_authorization_code``, ``query_*``, ``authenticate_*``) from the
realm's :class:`~nbauth.sandbox.idp.models.GrantStore`, and tighten a few
defaults:

* token endpoint auth methods include ``none`` (Authlib's code and refresh
  grants default to secrets only, which would lock out public clients);
* codes, refresh tokens and device codes are used once, atomically (Authlib
  deletes a code only after issuing tokens and never retires a device code);
  replaying a code revokes what it issued (RFC 6749 §4.1.2);
* PKCE: S256 only, required for public clients; a missing or wrong
  ``code_verifier`` is ``invalid_grant`` (OAuth 2.1 §4.1.3) — Authlib says
  ``invalid_request`` for a missing one;
* device polling faster than the request's ``interval`` gets ``slow_down``
  (the sandbox checks the gap against ``interval`` itself; it does not demand
  the extra 5 s a client adds after a ``slow_down``); an unknown or used
  device code is ``invalid_grant``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import TokenMixin, grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc8628 import DeviceCodeGrant as _DeviceCodeGrant

from .models import AuthorizationCode, DeviceCredential, Principal, TokenRecord

if TYPE_CHECKING:
    from .realm import Realm

__all__ = [
    "AuthorizationCodeGrant",
    "DeviceCodeGrant",
    "RefreshTokenGrant",
    "S256CodeChallenge",
]

_ALL_CLIENT_AUTH = ["client_secret_basic", "client_secret_post", "none"]


def _realm(grant: Any) -> Realm:
    return grant.server.realm


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    """RFC 6749 §4.1 with in-memory, single-use codes."""

    TOKEN_ENDPOINT_AUTH_METHODS = _ALL_CLIENT_AUTH

    def save_authorization_code(self, code: str, request: Any) -> None:
        """Keep the code with what the token request must match (redirect, PKCE, nonce)."""
        realm = _realm(self)
        data = request.payload.data
        realm.store.save_code(
            AuthorizationCode(
                code=code,
                client_id=request.client.get_client_id(),
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope or "",
                principal=request.user,
                expires_at=time.time() + realm.lifetimes.authorization_code,
                nonce=data.get("nonce") or None,
                code_challenge=data.get("code_challenge") or None,
                code_challenge_method=data.get("code_challenge_method") or None,
            )
        )

    def query_authorization_code(self, code: str, client: Any) -> AuthorizationCode | None:
        """The unexpired code issued to ``client``."""
        return _realm(self).store.find_code(code, client.get_client_id())

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        """Nothing: :meth:`authenticate_user` marked it used (it is kept to spot replays)."""

    def authenticate_user(self, authorization_code: AuthorizationCode) -> Principal:
        """Use the code once; a replay revokes the tokens the code gave (RFC 6749 §4.1.2)."""
        store = _realm(self).store
        if not store.use_code(authorization_code):
            store.revoke_origin(authorization_code.origin)
            raise InvalidGrantError("The authorization code was already used.")
        return authorization_code.principal


class S256CodeChallenge(CodeChallenge):
    """RFC 7636 with S256 only; public clients must use it."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        """At the authorization endpoint: public clients need a challenge, and S256."""
        data = grant.request.payload.data
        challenge = data.get("code_challenge")
        if not challenge and grant.request.client.public:
            raise InvalidRequestError(
                "PKCE is required: send code_challenge with code_challenge_method=S256."
            )
        if challenge and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is supported.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        """At the token endpoint: a code with a challenge needs the right verifier."""
        code = grant.request.authorization_code
        try:
            super().validate_code_verifier(grant, result)
        except InvalidRequestError as error:
            if code is not None and code.code_challenge:
                raise InvalidGrantError(error.description) from None
            raise


class RefreshTokenGrant(grants.RefreshTokenGrant):
    """RFC 6749 §6; rotates refresh tokens unless the realm says otherwise (Cognito)."""

    TOKEN_ENDPOINT_AUTH_METHODS = _ALL_CLIENT_AUTH
    INCLUDE_NEW_REFRESH_TOKEN = True

    # Authlib answers None with invalid_grant; its stubs type the result as never None.
    def authenticate_refresh_token(self, refresh_token: str) -> TokenRecord | None:  # type: ignore[override]
        """The record of an active, unexpired refresh token (None: unknown or expired)."""
        return _realm(self).store.find_refresh(refresh_token)

    def authenticate_user(self, refresh_token: TokenRecord) -> Principal:
        """Retire the old refresh token first (atomically: one winner per token)."""
        realm = _realm(self)
        if realm.ROTATE_REFRESH_TOKENS and not realm.store.rotate_refresh(refresh_token):
            raise InvalidGrantError("The refresh token was already used.")
        return refresh_token.principal

    def issue_token(self, user: Principal, refresh_token: TokenMixin) -> dict[str, Any]:
        """New tokens; a new refresh token only when the realm rotates them."""
        payload = self.request.payload
        scope = (payload.scope if payload is not None else None) or refresh_token.get_scope()
        return self.generate_token(
            user=user,
            scope=scope,
            include_refresh_token=_realm(self).ROTATE_REFRESH_TOKENS,
        )

    def revoke_old_credential(self, refresh_token: TokenMixin) -> None:
        """Nothing left to do: :meth:`authenticate_user` retired it."""


class DeviceCodeGrant(_DeviceCodeGrant):
    """RFC 8628 §3.4-3.5: pending, slow_down, access_denied, expired_token, tokens once."""

    def query_device_credential(self, device_code: str) -> DeviceCredential:
        """The request for ``device_code``; an unknown or used one is ``invalid_grant``
        (Authlib would answer ``invalid_request``)."""
        credential = _realm(self).store.find_device(device_code)
        if credential is None:
            raise InvalidGrantError("Unknown or already used device_code.")
        return credential

    def query_user_grant(self, user_code: str) -> tuple[Principal | None, bool] | None:
        """The person's decision, or None while pending."""
        credential = _realm(self).store.device_by_user_code(user_code)
        if credential is None or credential.approved is None:
            return None
        return credential.principal, credential.approved

    def should_slow_down(self, credential: DeviceCredential) -> bool:
        """Polled sooner than ``interval`` seconds after the previous poll."""
        return _realm(self).store.poll_too_fast(credential)

    def validate_device_credential(self, credential: DeviceCredential) -> Principal:
        """Authlib's checks, then retire the device code (tokens are issued once)."""
        principal = super().validate_device_credential(credential)
        if not _realm(self).store.consume_device(credential):
            raise InvalidGrantError("The device code was already used.")
        return principal
