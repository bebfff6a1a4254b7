"""The IdP's Flask app: OpenID provider routes, the device page, managed login, logout.

Routes (issuer ``http://127.0.0.1:<port>``)::

    GET       /.well-known/openid-configuration   discovery (RFC 8414 / OIDC Discovery)
    GET       /jwks                               the signing key
    GET/POST  /authorize                          sign-in page; code + state + iss (RFC 9207)
    POST      /token                              code (+PKCE), refresh (rotating), device code
    POST      /device_authorization               RFC 8628 §3.1
    GET/POST  /device                             where a person enters the user code
    POST      /revoke                             RFC 7009
    GET/POST  /userinfo                           OpenID Connect userinfo
    GET/POST  /logout                             RP-initiated logout, or Cognito's /logout
    /oauth2/* (see managed_login)                 Cognito managed login

Every protocol response is Authlib's; this module only routes and renders.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc8628 import DEVICE_CODE_GRANT_TYPE
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from . import managed_login, sessions
from .authorize import AuthorizationPage, PageText, html
from .managed_login import ManagedLoginRealm
from .models import Principal
from .pages import device_page, message_page
from .realm import OidcRealm
from .servers import RealmAuthorizationServer, build_server

__all__ = ["SESSION_KEY", "create_app", "discovery_document"]

_logger = logging.getLogger("nbauth.sandbox")

SESSION_KEY = "idp"
_ENDPOINT_AUTH_METHODS = ["none", "client_secret_basic", "client_secret_post"]


def discovery_document(realm: OidcRealm) -> dict[str, Any]:
    """OpenID Provider Metadata for the sandbox IdP: the pages a browser opens on the realm's
    public URL, the back channel on the issuer."""
    issuer, public = realm.issuer, realm.public_url
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{public}/authorize",
        "token_endpoint": f"{issuer}/token",
        "device_authorization_endpoint": f"{issuer}/device_authorization",
        "revocation_endpoint": f"{issuer}/revoke",
        "jwks_uri": f"{issuer}/jwks",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "end_session_endpoint": f"{public}/logout",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", DEVICE_CODE_GRANT_TYPE],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": list(realm.scopes),
        "token_endpoint_auth_methods_supported": _ENDPOINT_AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": _ENDPOINT_AUTH_METHODS,
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "azp",
            "at_hash",
            "email",
            "email_verified",
            "name",
            "preferred_username",
        ],
        "prompt_values_supported": ["none", "login", "consent"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
    }


def create_app(oidc: OidcRealm, managed: ManagedLoginRealm | None, *, cookie_name: str) -> Flask:
    """The WSGI app serving ``oidc`` (and ``managed`` on ``/oauth2/*``, if given)."""
    app = Flask("nbauth.sandbox.idp")
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),
        SESSION_COOKIE_NAME=cookie_name,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=1_000_000,
        PROPAGATE_EXCEPTIONS=False,
    )
    server = build_server(
        oidc, device_flow=True, end_browser_session=lambda: sessions.forget(SESSION_KEY)
    )
    _add_oidc_routes(app, oidc, server)
    _add_device_routes(app, oidc)
    if managed is not None:
        app.register_blueprint(managed_login.blueprint(managed))

    @app.route("/logout", methods=["GET", "POST"])
    def logout() -> Response:
        if managed is not None and managed_login.handles_logout(managed):
            return managed_login.logout(managed)
        try:
            end_session = server.validate_endpoint_request("end_session")
        except OAuth2Error as error:
            return html(
                message_page("Sign-out refused", error.description or str(error.error), ok=False),
                400,
            )
        response = server.create_endpoint_response("end_session", end_session)
        return response or html(
            message_page("Signed out", "You are signed out of the sandbox IdP.")
        )

    @app.errorhandler(Exception)
    def internal_error(error: Exception) -> Any:
        if isinstance(error, HTTPException):
            return error
        # Path only: query strings and bodies may carry codes or tokens.
        _logger.error("sandbox IdP: %s on %s", type(error).__name__, request.path)
        return jsonify(
            error="server_error", error_description="Internal error in the sandbox IdP."
        ), 500

    return app


def _add_oidc_routes(app: Flask, realm: OidcRealm, server: RealmAuthorizationServer) -> None:
    page = AuthorizationPage(
        server,
        session_key=SESSION_KEY,
        text=lambda: PageText("nbauth sandbox IdP", "Sign in"),
        add_issuer=True,
    )
    document = discovery_document(realm)
    app.add_url_rule("/.well-known/openid-configuration", "discovery", lambda: jsonify(document))
    app.add_url_rule("/jwks", "jwks", lambda: jsonify(realm.key.public_jwks))
    app.add_url_rule("/authorize", "authorize", page.handle, methods=["GET", "POST"])
    app.add_url_rule("/token", "token", server.token_response, methods=["POST"])
    app.add_url_rule(
        "/device_authorization",
        "device_authorization",
        lambda: server.create_endpoint_response("device_authorization"),
        methods=["POST"],
    )
    app.add_url_rule(
        "/revoke", "revoke", lambda: server.create_endpoint_response("revocation"), methods=["POST"]
    )
    app.add_url_rule(
        "/userinfo",
        "userinfo",
        lambda: server.create_endpoint_response("userinfo"),
        methods=["GET", "POST"],
    )


def _add_device_routes(app: Flask, realm: OidcRealm) -> None:
    """RFC 8628 §3.3: the person enters the user code, signs in, approves or denies."""

    def show(user_code: str = "", *, error: str | None = None, username: str = "") -> Response:
        signed_in = sessions.current(SESSION_KEY, realm.users)
        credential = realm.store.device_by_user_code(user_code) if user_code else None
        body = device_page(
            action=f"{request.script_root}/device",  # script_root: public_url.PrefixMount
            user_code=user_code,
            username=username,
            error=error,
            signed_in_as=signed_in.username if signed_in else None,
            client_id=credential.client_id if credential and not error else None,
        )
        return html(body, 400 if error else 200)

    @app.route("/device", methods=["GET"])
    def device() -> Response:
        return show(request.args.get("user_code", "").strip())

    @app.route("/device", methods=["POST"])
    def device_decision() -> Response:
        user_code = request.form.get("user_code", "").strip()
        try:
            realm.store.pending_device(user_code)
        except LookupError:
            return show(user_code, error="That code is unknown, expired or already used.")
        if request.form.get("action") != "approve":
            realm.store.decide_device(user_code, None, approved=False)
            return html(message_page("Access denied", "The device was not connected.", ok=False))
        principal = _device_principal(realm)
        if principal is None:
            return show(
                user_code,
                error="Incorrect username or password.",
                username=request.form.get("username", ""),
            )
        try:
            realm.store.decide_device(user_code, principal, approved=True)
        except LookupError:
            return show(user_code, error="That code is unknown, expired or already used.")
        sessions.remember(
            SESSION_KEY, sessions.BrowserSession(principal.username, principal.auth_time)
        )
        return html(message_page("Device connected", "You can return to your notebook now."))


def _device_principal(realm: OidcRealm) -> Principal | None:
    """The person approving: the signed-in session, or the submitted credentials."""
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    signed_in = sessions.current(SESSION_KEY, realm.users)
    if signed_in is not None and username == signed_in.username and not password:
        user = realm.users.get(username)
        return realm.principal(user, signed_in.auth_time) if user else None
    user = realm.users.authenticate(username, password)
    return realm.principal(user, int(time.time())) if user else None
