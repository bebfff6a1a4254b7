"""The authorization endpoint's person-facing side, shared by both realms.

``GET`` validates the request with Authlib (``get_consent_grant``); a request
that cannot be redirected (unknown client, unregistered ``redirect_uri``) gets
an HTML error page, other errors go back to the client (``prompt=none``
without a session: ``login_required``). A valid request shows the sign-in page,
or, with a browser session and no ``prompt=login``/``consent``, answers at once
(single sign-on). ``POST`` (the page's form) signs in and lets Authlib issue
the code; "Deny" sends ``access_denied``. The OpenID realm adds RFC 9207
``iss`` to every redirect, errors included.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import OAuth2Error
from authlib.oidc.core.errors import LoginRequiredError
from flask import Response, request

from . import sessions
from .pages import message_page, sign_in_page
from .servers import RealmAuthorizationServer

__all__ = ["AuthorizationPage", "PageText"]

_INTERACTIVE_PROMPTS = {"login", "consent", "select_account"}


@dataclass(frozen=True)
class PageText:
    """What the sign-in page says."""

    brand: str
    heading: str
    approve_label: str = "Sign in"


def html(body: str, status: int = 200) -> Response:
    """An HTML response that no cache keeps."""
    return Response(
        body,
        status=status,
        mimetype="text/html",
        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"},
    )


class AuthorizationPage:
    """``GET``/``POST`` handler of one realm's authorization endpoint."""

    def __init__(
        self,
        server: RealmAuthorizationServer,
        *,
        session_key: str,
        text: Callable[[], PageText],
        add_issuer: bool,
        identity_provider: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.server = server
        self.realm = server.realm
        self._session_key = session_key
        self._text = text
        self._add_issuer = add_issuer
        self._identity_provider = identity_provider

    def handle(self) -> Response:
        """Answer the current Flask request."""
        provider = self._identity_provider()
        signed_in = sessions.current(self._session_key, self.realm.users)
        if signed_in is not None and signed_in.identity_provider != provider:
            signed_in = None  # signed in through another provider: sign in again
        end_user = self._principal(signed_in, provider) if signed_in else None
        if request.method == "POST":
            return self._submit(signed_in, provider)
        prompts = set(request.args.get("prompt", "").split())
        try:
            grant = self.server.get_consent_grant(end_user=end_user)
            if end_user is None and "none" in prompts:  # Authlib checks this for openid only
                raise LoginRequiredError(
                    redirect_uri=grant.redirect_uri, state=request.args.get("state")
                )
        except OAuth2Error as error:
            return self._error(error)
        if end_user is not None and not prompts & _INTERACTIVE_PROMPTS:
            return self._respond(grant, end_user)
        return self._page(grant, signed_in)

    # -- steps -------------------------------------------------------------------------
    def _principal(self, signed_in: sessions.BrowserSession, provider: str | None) -> Any:
        user = self.realm.users.get(signed_in.username)
        return self.realm.principal(user, signed_in.auth_time, provider) if user else None

    def _submit(self, signed_in: sessions.BrowserSession | None, provider: str | None) -> Response:
        try:
            grant = self.server.get_consent_grant(end_user=None)
        except OAuth2Error as error:
            return self._error(error)
        if request.form.get("action") != "approve":
            return self._respond(grant, None)
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        if signed_in is not None and username == signed_in.username and not password:
            user, auth_time = self.realm.users.get(username), signed_in.auth_time
        else:
            user, auth_time = self.realm.users.authenticate(username, password), int(time.time())
        if user is None:
            return self._page(
                grant, None, username=username, error="Incorrect username or password."
            )
        sessions.remember(
            self._session_key, sessions.BrowserSession(user.username, auth_time, provider)
        )
        return self._respond(grant, self.realm.principal(user, auth_time, provider))

    def _respond(self, grant: Any, principal: Any) -> Response:
        """Authlib issues the code (or ``access_denied`` when ``principal`` is None)."""
        return self.server.authorization_response(grant, principal)

    def _page(
        self,
        grant: Any,
        signed_in: sessions.BrowserSession | None,
        *,
        username: str = "",
        error: str | None = None,
    ) -> Response:
        text = self._text()
        query = request.query_string.decode("latin-1")
        body = sign_in_page(
            action=f"{request.script_root}{request.path}?{query}",
            heading=text.heading,
            brand=text.brand,
            approve_label=text.approve_label,
            client_id=grant.client.get_client_id(),
            scope=grant.request.scope or "",
            username=username,
            error=error,
            signed_in_as=signed_in.username if signed_in else None,
        )
        return html(body, 401 if error else 200)

    def _error(self, error: OAuth2Error) -> Response:
        """Redirect the error to the client when its redirect URI is known, else show it."""
        if error.redirect_uri:
            response = self.server.error_response(error)
            if self._add_issuer and response.location:
                response.location = add_params_to_uri(response.location, {"iss": self.realm.issuer})
            return response
        detail = error.description or error.error
        return html(
            message_page("Sign-in request refused", f"{error.error}: {detail}", ok=False), 400
        )
