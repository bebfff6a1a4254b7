"""Cognito managed login (the Hosted UI) on the IdP's port: ``/oauth2/*`` and ``/logout``.

A second Authlib authorization server whose tokens look like the sandbox user
pool's own, so the strict identity-pool layer accepts their ID tokens under
the user-pool Logins key: ``iss`` ``https://cognito-idp.<region>.amazonaws.com/<pool>``,
``aud`` the app client, ``token_use``, ``cognito:username``, signed with moto's
user-pool key (``kid`` "dummy", published by moto at
``<AWS endpoint>/<pool>/.well-known/jwks.json``).

``identity_provider`` picks who the person "signs in with": ``COGNITO`` (the
user pool itself: the ID token's ``sub`` is the user pool user's ``sub``) or a
social/custom provider (``Google``, ``Facebook``, ``LoginWithAmazon``,
``SignInWithApple``, any other name as an OIDC provider), which Cognito
represents as a federated user ``<Provider>_<provider user id>`` with an
``identities`` claim and its own stable ``sub``. Any sandbox user can sign in
with any provider, with their sandbox password.

As in Cognito, refresh tokens are not rotated, the refresh response has new ID
and access tokens only, ``/oauth2/revoke`` takes refresh tokens (revoking the
access tokens issued with them), and ``/logout?client_id=…&logout_uri=…`` ends
the session and redirects to a registered sign-out URL.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request
from joserfc import jwt

from . import sessions
from .authorize import AuthorizationPage, PageText, html
from .endpoints import RevocationEndpoint
from .keys import SigningKey
from .models import Client, Principal, User, UserDirectory
from .pages import message_page
from .realm import Realm
from .servers import RealmAuthorizationServer, build_server
from .settings import Lifetimes
from .tokens import AccessTokenGenerator

__all__ = [
    "MANAGED_SCOPES",
    "SOCIAL_PROVIDERS",
    "ManagedLoginRealm",
    "blueprint",
    "handles_logout",
    "logout",
]

SESSION_KEY = "managed"
#: Cognito's names for the social providers, with their display names
SOCIAL_PROVIDERS = {
    "Google": "Google",
    "Facebook": "Facebook",
    "LoginWithAmazon": "Login with Amazon",
    "SignInWithApple": "Sign in with Apple",
}
MANAGED_SCOPES = ["openid", "email", "profile", "phone", "aws.cognito.signin.user.admin"]
_PROVIDER_NAME = re.compile(r"^[\w.@-]{1,32}$")
_NAMESPACE = uuid.UUID("3f1c9a52-7d0b-4e8f-a6c1-5b2e9d7f0c34")


def _provider_user_id(provider: str, user: User) -> str:
    """A stable, provider-looking user id (Google's are 21 digits)."""
    digits = uuid.uuid5(_NAMESPACE, f"{provider}/{user.username}").int % 10**21
    return f"{digits:021d}"


class ManagedLoginRealm(Realm):
    """Cognito-shaped tokens for the sandbox user pool's app client."""

    REFRESH_NEEDS_OFFLINE_ACCESS = False
    ROTATE_REFRESH_TOKENS = False

    def __init__(
        self,
        *,
        region: str,
        user_pool_id: str,
        user_pool_client_id: str,
        key: SigningKey,
        users: UserDirectory,
        lifetimes: Lifetimes,
        user_pool_sub: Callable[[str], str | None],
    ) -> None:
        client = Client(
            client_id=user_pool_client_id,
            grant_types=("authorization_code", "refresh_token"),
            scopes=tuple(MANAGED_SCOPES),
            redirect_uris=("http://127.0.0.1/callback",),
            post_logout_redirect_uris=("http://127.0.0.1/signed-out",),
            loopback_redirects=True,
        )
        super().__init__(
            issuer=f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}",
            key=key,
            users=users,
            lifetimes=lifetimes,
            clients=[client],
            scopes=MANAGED_SCOPES,
        )
        self.user_pool_id = user_pool_id
        self.user_pool_client_id = user_pool_client_id
        self._user_pool_sub = user_pool_sub
        self._created_ms = str(int(time.time() * 1000))

    @staticmethod
    def provider_name(value: str | None) -> str | None:
        """The identity provider a request names (``COGNITO`` if none); None if invalid."""
        if not value:
            return "COGNITO"
        return value if _PROVIDER_NAME.match(value) else None

    def principal(
        self, user: User, auth_time: int, identity_provider: str | None = None
    ) -> Principal:
        """The user pool's view: the user itself, or a federated ``<Provider>_<id>`` user."""
        provider = identity_provider or "COGNITO"
        if provider == "COGNITO":
            sub = self._user_pool_sub(user.username) or str(
                uuid.uuid5(_NAMESPACE, f"{self.user_pool_id}/{user.username}")
            )
            return Principal(user, sub, user.username, auth_time, provider)
        username = f"{provider}_{_provider_user_id(provider, user)}"
        sub = str(uuid.uuid5(_NAMESPACE, f"{self.user_pool_id}/{username}"))
        return Principal(user, sub, username, auth_time, provider)

    def _federated(self, principal: Principal) -> bool:
        return principal.identity_provider not in (None, "COGNITO")

    def id_token_client_claims(self, client: Client) -> dict[str, Any]:
        """``token_use`` and a fresh ``jti``."""
        return {"token_use": "id", "jti": str(uuid.uuid4()), "event_id": str(uuid.uuid4())}

    def id_token_claims(self, principal: Principal, scope: str) -> dict[str, Any]:
        """``sub``, ``cognito:username``, email; ``identities`` and the provider's group
        for federated users."""
        user = principal.user
        claims: dict[str, Any] = {"sub": principal.sub, "cognito:username": principal.username}
        if user.email:
            claims["email"] = user.email
            claims["email_verified"] = user.email_verified
        if self._federated(principal):
            claims["cognito:groups"] = [f"{self.user_pool_id}_{principal.identity_provider}"]
            claims["identities"] = [self._identity(principal)]
        return claims

    def _identity(self, principal: Principal) -> dict[str, Any]:
        provider = str(principal.identity_provider)
        return {
            "dateCreated": self._created_ms,
            "userId": principal.username.split("_", 1)[1],
            "providerName": provider,
            "providerType": provider if provider in SOCIAL_PROVIDERS else "OIDC",
            "issuer": None,
            "primary": "true",
        }

    def userinfo(self, principal: Principal, scope: str) -> dict[str, Any]:
        """Cognito's ``/oauth2/userInfo`` shape (booleans as strings, identities as JSON)."""
        user = principal.user
        info: dict[str, Any] = {"sub": principal.sub, "username": principal.username}
        if user.email:
            info["email"] = user.email
            info["email_verified"] = "true" if user.email_verified else "false"
        if self._federated(principal):
            info["identities"] = json.dumps([self._identity(principal)])
        return info

    def _is_access_token(self, header: dict[str, Any], claims: dict[str, Any]) -> bool:
        return claims.get("token_use") == "access" and isinstance(claims.get("jti"), str)


class CognitoAccessTokenGenerator(AccessTokenGenerator):
    """Cognito access tokens: ``token_use`` "access", ``client_id``, ``username``, no ``aud``."""

    realm: ManagedLoginRealm

    # Authlib's own stubs override this the same way: a method where BearerTokenGenerator
    # declares a callable attribute.
    def access_token_generator(  # type: ignore[override]
        self, client: Client, grant_type: str, user: Principal, scope: str
    ) -> str:
        """A user-pool access token signed with moto's key."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": user.sub,
            "iss": self.realm.issuer,
            "version": 2,
            "client_id": client.get_client_id(),
            "event_id": str(uuid.uuid4()),
            "token_use": "access",
            "scope": scope,
            "auth_time": user.auth_time,
            "iat": now,
            "exp": now + self.realm.lifetimes.access_token,
            "jti": str(uuid.uuid4()),
            "username": user.username,
        }
        if user.identity_provider not in (None, "COGNITO"):
            claims["cognito:groups"] = [f"{self.realm.user_pool_id}_{user.identity_provider}"]
        header = {"alg": "RS256", "kid": self.realm.key.kid}
        return jwt.encode(header, claims, self.realm.key.private)


class CognitoRevocationEndpoint(RevocationEndpoint):
    """``/oauth2/revoke``: refresh tokens only."""

    REVOKES_ACCESS_TOKENS = False


def build_managed_server(realm: ManagedLoginRealm) -> RealmAuthorizationServer:
    """Authlib's server for the managed-login paths (no device flow, no ``iss`` parameter)."""
    return build_server(
        realm,
        token_generator=CognitoAccessTokenGenerator(realm),
        issuer_parameter=False,
        revocation_endpoint=CognitoRevocationEndpoint,
    )


def blueprint(realm: ManagedLoginRealm) -> Blueprint:
    """The ``/oauth2/*`` routes."""
    server = build_managed_server(realm)
    routes = Blueprint("managed_login", __name__)

    def requested_provider() -> str | None:
        return realm.provider_name(request.values.get("identity_provider"))

    def text() -> PageText:
        provider = requested_provider() or "COGNITO"
        if provider == "COGNITO":
            return PageText("Cognito managed login (sandbox)", "Sign in", "Sign in")
        label = SOCIAL_PROVIDERS.get(provider, provider)
        return PageText(
            "Cognito managed login (sandbox)", f"Continue with {label} (sandbox)", "Continue"
        )

    page = AuthorizationPage(
        server,
        session_key=SESSION_KEY,
        text=text,
        add_issuer=False,
        identity_provider=requested_provider,
    )

    @routes.route("/oauth2/authorize", methods=["GET", "POST"])
    def authorize() -> Response:
        if requested_provider() is None:
            return html(
                message_page(
                    "Sign-in request refused", "identity_provider is not a valid name.", ok=False
                ),
                400,
            )
        return page.handle()

    @routes.route("/oauth2/token", methods=["POST"])
    def token() -> Response:
        return server.token_response()

    @routes.route("/oauth2/revoke", methods=["POST"])
    def revoke() -> Response:
        return server.create_endpoint_response("revocation")

    @routes.route("/oauth2/userInfo", methods=["GET", "POST"])
    @routes.route("/oauth2/userinfo", methods=["GET", "POST"])
    def userinfo() -> Response:
        return server.create_endpoint_response("userinfo")

    return routes


def handles_logout(realm: ManagedLoginRealm) -> bool:
    """A Cognito-style ``/logout`` (``logout_uri``, or the app client's ``client_id``)."""
    return "logout_uri" in request.values or (
        request.values.get("client_id") == realm.user_pool_client_id
    )


def logout(realm: ManagedLoginRealm) -> Response:
    """End the managed-login session; redirect to a registered ``logout_uri``."""
    client = realm.client(request.values.get("client_id"))
    logout_uri = request.values.get("logout_uri", "")
    if client is None or not client.check_post_logout_redirect_uri(logout_uri):
        return html(
            message_page(
                "Sign-out refused", "client_id or logout_uri is not registered.", ok=False
            ),
            400,
        )
    sessions.forget(SESSION_KEY)
    return Response(status=302, headers={"Location": logout_uri})
