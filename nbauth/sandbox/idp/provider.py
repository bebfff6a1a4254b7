"""The running sandbox IdP: its server thread, realms, users and the person's helpers."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc8628 import DEVICE_CODE_GRANT_TYPE

from ..server import LocalServer
from . import browser, quiet_logs
from .app import create_app
from .faults import IdpFaults
from .keys import moto_user_pool_key, new_signing_key
from .managed_login import ManagedLoginRealm
from .models import Client, UserDirectory
from .public_url import PrefixMount, jupyter_callback_uri, public_base_url, public_path, to_issuer
from .realm import OidcRealm
from .settings import Lifetimes

__all__ = [
    "CONFIDENTIAL_CLIENT_ID",
    "NOTEBOOK_CLIENT_ID",
    "OIDC_SCOPES",
    "IdentityProvider",
    "UserPool",
]

NOTEBOOK_CLIENT_ID = "nbauth-notebook"
CONFIDENTIAL_CLIENT_ID = "nbauth-confidential"
OIDC_SCOPES = ["openid", "offline_access", "email", "profile"]
_CALLBACK = "http://127.0.0.1/callback"
_SIGNED_OUT = "http://127.0.0.1/signed-out"


@dataclass(frozen=True)
class UserPool:
    """The sandbox user pool the managed-login paths speak for."""

    region: str
    user_pool_id: str
    user_pool_client_id: str
    user_sub: Callable[[str], str | None]  # username -> the pool user's sub


class IdentityProvider:
    """An OpenID provider (and Cognito managed login) on ``http://127.0.0.1:<port>``.

    Clients: ``nbauth-notebook`` (public, native: any loopback redirect, PKCE
    S256, code/refresh/device) and ``nbauth-confidential`` (secret in
    :attr:`confidential_client_secret`; basic or post; code/refresh/device).
    Users: add them with :meth:`add_user`. Stop with :meth:`stop`.

    ``public_url`` (a URL template with ``{port}``, see :mod:`.public_url`): where a person's
    browser opens the pages (:attr:`public_url`); through a Jupyter server's proxy, the
    clients also accept that server's ``nbauth/callback`` redirect (``mode="jupyter"``).
    """

    def __init__(
        self,
        *,
        lifetimes: Lifetimes | None = None,
        user_pool: UserPool | None = None,
        port: int = 0,
        public_url: str | None = None,
    ) -> None:
        quiet_logs.install()
        self.lifetimes = lifetimes or Lifetimes()
        self.users = UserDirectory()
        self.confidential_client_secret = secrets.token_urlsafe(24)
        self.faults = IdpFaults(self._dispatch)
        self._app: Any = None
        self._server = LocalServer(self.faults, port, name="idp")
        self.issuer: str = self._server.url
        #: the pages' base URL in the person's browser (the issuer unless proxied)
        self.public_url = public_base_url(public_url, self.issuer, self._server.port)
        jupyter_callback = jupyter_callback_uri(public_url)
        self._redirect_uris = (_CALLBACK, *([jupyter_callback] if jupyter_callback else []))
        try:
            self.oidc = OidcRealm(
                issuer=self.issuer,
                key=new_signing_key(),
                users=self.users,
                lifetimes=self.lifetimes,
                clients=self._clients(),
                scopes=OIDC_SCOPES,
                public_url=self.public_url,
            )
            self.managed = (
                ManagedLoginRealm(
                    region=user_pool.region,
                    user_pool_id=user_pool.user_pool_id,
                    user_pool_client_id=user_pool.user_pool_client_id,
                    key=moto_user_pool_key(),
                    users=self.users,
                    lifetimes=self.lifetimes,
                    user_pool_sub=user_pool.user_sub,
                )
                if user_pool is not None
                else None
            )
            app = create_app(self.oidc, self.managed, cookie_name=f"nbauth_idp_{self._server.port}")
            proxied = self.public_url != self.issuer
            self._app = PrefixMount(app, public_path(self.public_url)) if proxied else app
        except BaseException:
            self._server.stop()
            raise

    def _clients(self) -> list[Client]:
        grant_types = ("authorization_code", "refresh_token", DEVICE_CODE_GRANT_TYPE)
        return [
            Client(
                client_id=NOTEBOOK_CLIENT_ID,
                grant_types=grant_types,
                scopes=tuple(OIDC_SCOPES),
                redirect_uris=self._redirect_uris,
                post_logout_redirect_uris=(_SIGNED_OUT,),
                loopback_redirects=True,
            ),
            Client(
                client_id=CONFIDENTIAL_CLIENT_ID,
                client_secret=self.confidential_client_secret,
                grant_types=grant_types,
                scopes=tuple(OIDC_SCOPES),
                redirect_uris=self._redirect_uris,
                post_logout_redirect_uris=(_SIGNED_OUT,),
                loopback_redirects=True,
            ),
        ]

    def _dispatch(self, environ: dict[str, Any], start_response: Any) -> Any:
        app = self._app
        if app is None:  # only while starting up
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"starting"]
        return app(environ, start_response)

    @property
    def port(self) -> int:
        """The TCP port on 127.0.0.1."""
        return self._server.port

    # -- users -----------------------------------------------------------------------
    def add_user(
        self, username: str, password: str, attributes: dict[str, str] | None = None
    ) -> None:
        """Let ``username`` sign in with ``password``."""
        self.users.add(username, password, attributes)

    def password(self, username: str) -> str | None:
        """A known user's password (for the scripted sign-in)."""
        user = self.users.get(username)
        return user.password if user else None

    def revoke_refresh_tokens(self, username: str) -> int:
        """Revoke every token of ``username`` and end their browser sessions; a count."""
        self.users.end_sessions(username)
        count = self.oidc.store.revoke_user(username)
        if self.managed is not None:
            count += self.managed.store.revoke_user(username)
        return count

    # -- the person's side ---------------------------------------------------------------
    def decide_device_code(self, user_code: str, username: str | None, approve: bool) -> None:
        """Approve (as ``username``) or deny a pending device request; ``LookupError`` if
        the code is unknown, expired or used, or the user is unknown."""
        principal = None
        if approve:
            user = self.users.get(username or "")
            if user is None:
                raise LookupError(f"unknown user {username!r}")
            principal = self.oidc.principal(user, int(time.time()))
        self.oidc.store.decide_device(user_code, principal, approved=approve)

    def sign_in_at(
        self, authorization_url: str, username: str, password: str | None, *, deny: bool
    ) -> str:
        """Sign in on the page over HTTP; the redirect URL the browser would follow
        (a public URL is opened on the issuer: the script has no Jupyter cookie)."""
        if password is None:
            password = self.password(username) or ""
        url = to_issuer(authorization_url, self.public_url, self.issuer)
        return browser.sign_in_at(url, username, password, deny=deny)

    # -- lifecycle -----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True until :meth:`stop`."""
        return self._server.running

    def stop(self) -> None:
        """Stop serving and release the port; idempotent."""
        self._server.stop()

    def __repr__(self) -> str:
        return f"<IdentityProvider {self.issuer} {'running' if self.running else 'stopped'}>"
