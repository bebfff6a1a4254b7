"""Authlib's Flask ``AuthorizationServer`` for a realm, with its grants and endpoints.

:func:`build_server` registers, for one realm: the code grant with PKCE (S256)
and OpenID ID tokens, the refresh grant (with ID tokens), optionally the
device grant and its endpoint, revocation, userinfo and end session, and the
RFC 9207 ``iss`` authorization-response parameter. ``save_token`` records each
token response so refresh, revocation and userinfo can find it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc9207 import IssuerParameter
from flask import Response, request
from joserfc import jws

from .endpoints import (
    AccessTokenValidator,
    DeviceAuthorizationEndpoint,
    EndSessionEndpoint,
    RevocationEndpoint,
    UserInfoEndpoint,
)
from .grants import AuthorizationCodeGrant, DeviceCodeGrant, RefreshTokenGrant, S256CodeChallenge
from .models import Client, TokenRecord
from .openid import IdTokenOnCode, IdTokenOnGrant
from .realm import Realm
from .tokens import AccessTokenGenerator

__all__ = ["RealmAuthorizationServer", "build_server"]


class RealmAuthorizationServer(AuthorizationServer):
    """Authlib's Flask authorization server bound to a :class:`Realm` (no Flask config)."""

    def __init__(self, realm: Realm) -> None:
        super().__init__()
        self.realm = realm
        self.scopes_supported = list(realm.scopes)

    # Authlib answers None with invalid_client; its stubs type the result as never None.
    def query_client(self, client_id: str) -> Client | None:  # type: ignore[override]
        """The realm's client, or None."""
        return self.realm.client(client_id)

    # Authlib's answers are typed ``object`` (each framework builds its own); Flask's are
    # ``flask.Response``.

    def token_response(self) -> Response:
        """The token endpoint's answer to the current request."""
        return _flask_response(self.create_token_response())

    def authorization_response(self, grant: Any, principal: Any) -> Response:
        """The code (or ``access_denied`` when ``principal`` is None) for ``grant``."""
        return _flask_response(
            self.create_authorization_response(
                request=grant.request, grant_user=principal, grant=grant
            )
        )

    def error_response(self, error: OAuth2Error) -> Response:
        """``error`` sent back to the client (a redirect when its redirect URI is known)."""
        return _flask_response(
            self.handle_error_response(self.create_oauth2_request(request), error)
        )

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        """Record a token response; it belongs to the grant it came from (``origin``)."""
        now = time.time()
        # Our own, just-signed JWT: reading its claims needs no verification.
        payload = json.loads(jws.extract_compact(token["access_token"].encode()).payload)
        if request.refresh_token is not None:
            origin = request.refresh_token.origin
        elif request.authorization_code is not None:
            origin = request.authorization_code.origin
        elif request.credential is not None:
            origin = request.credential.origin
        else:  # pragma: no cover - every registered grant sets one of the above
            origin = payload["jti"]
        refresh_token = token.get("refresh_token")
        self.realm.store.save_token(
            TokenRecord(
                client=request.client,
                principal=request.user,
                scope=token.get("scope", ""),
                access_jti=payload["jti"],
                access_expires_at=float(payload["exp"]),
                origin=origin,
                refresh_token=refresh_token,
                refresh_expires_at=now + self.realm.lifetimes.refresh_token
                if refresh_token
                else None,
                issued_at=now,
            )
        )


class _Issuer(IssuerParameter):
    """RFC 9207: ``iss`` on every authorization response."""

    def __init__(self, issuer: str) -> None:
        self._issuer = issuer

    def get_issuer(self) -> str:
        """The realm's issuer."""
        return self._issuer


def build_server(
    realm: Realm,
    *,
    token_generator: AccessTokenGenerator | None = None,
    device_flow: bool = False,
    issuer_parameter: bool = True,
    end_browser_session: Callable[[], None] | None = None,
    revocation_endpoint: type[RevocationEndpoint] = RevocationEndpoint,
) -> RealmAuthorizationServer:
    """An authorization server for ``realm`` with every grant and endpoint registered."""
    server = RealmAuthorizationServer(realm)
    server.register_token_generator("default", token_generator or AccessTokenGenerator(realm))
    server.register_grant(
        AuthorizationCodeGrant, [S256CodeChallenge(required=True), IdTokenOnCode(realm)]
    )
    server.register_grant(RefreshTokenGrant, [IdTokenOnGrant(realm)])
    if device_flow:
        server.register_grant(DeviceCodeGrant, [IdTokenOnGrant(realm)])
        # Authlib's own way to add it, though its stubs type the argument as an Endpoint
        # (which its DeviceAuthorizationEndpoint doesn't subclass).
        server.register_endpoint(DeviceAuthorizationEndpoint)  # type: ignore[arg-type]
    server.register_endpoint(revocation_endpoint)
    protector = ResourceProtector()
    protector.register_token_validator(AccessTokenValidator(realm))
    server.register_endpoint(UserInfoEndpoint(realm, protector))  # type: ignore[arg-type]  # as above
    if end_browser_session is not None:
        server.register_endpoint(EndSessionEndpoint(realm, end_browser_session))
    if issuer_parameter:
        server.register_extension(_Issuer(realm.issuer))
    return server


def _flask_response(value: object) -> Response:
    if not isinstance(value, Response):  # pragma: no cover - Authlib's Flask server builds them
        raise TypeError(f"Authlib answered with a {type(value).__name__}, not a Flask response")
    return value
