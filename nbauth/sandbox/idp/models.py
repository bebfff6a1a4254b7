"""The sandbox IdP's records: users, clients, codes, tokens, device requests.

The classes implement Authlib's model mixins (``ClientMixin``,
``AuthorizationCodeMixin``, ``TokenMixin``, ``DeviceCredentialMixin``);
:class:`~nbauth.sandbox.idp.store.GrantStore` keeps codes, tokens and device
requests.

Users live in a :class:`UserDirectory` of their own: seeded with the sandbox's
demo user and fed by ``Sandbox.create_user``, so it mirrors the user pool's
users and passwords without asking moto on every sign-in.
"""

from __future__ import annotations

import hmac
import threading
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, list_to_scope, scope_to_list
from authlib.oauth2.rfc8628 import DeviceCredentialMixin
from authlib.oidc.core import AuthorizationCodeMixin

from .rfc8252 import is_loopback_redirect

__all__ = [
    "AuthorizationCode",
    "Client",
    "DeviceCredential",
    "Principal",
    "TokenRecord",
    "User",
    "UserDirectory",
    "normalize_user_code",
]

_SUB_NAMESPACE = uuid.UUID("8a3c5f0e-2b1d-4c6e-9f7a-0d4b3e2c1a55")


# -- users ------------------------------------------------------------------------
@dataclass(frozen=True)
class User:
    """A person who can sign in. ``sub`` is stable per username."""

    username: str
    password: str = field(repr=False)
    sub: str
    email: str | None = None
    email_verified: bool = False
    name: str | None = None

    def get_user_id(self) -> str:
        """Authlib's user hook: the subject."""
        return self.sub

    def check_password(self, password: str) -> bool:
        """Constant-time password check."""
        return hmac.compare_digest(self.password.encode(), password.encode())


class UserDirectory:
    """The IdP's users by username; thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._users: dict[str, User] = {}
        self._signed_out_before: dict[str, float] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def add(self, username: str, password: str, attributes: dict[str, str] | None = None) -> User:
        """Add (or replace) a user; ``attributes`` as for a Cognito user (email, name, …)."""
        attributes = attributes or {}
        user = User(
            username=username,
            password=password,
            sub=str(uuid.uuid5(_SUB_NAMESPACE, username)),
            email=attributes.get("email"),
            email_verified=attributes.get("email_verified", "true" if "email" in attributes else "")
            == "true",
            name=attributes.get("name") or username,
        )
        with self._lock:
            self._users[username] = user
        return user

    def get(self, username: str) -> User | None:
        """The user, or None."""
        with self._lock:
            return self._users.get(username)

    def authenticate(self, username: str, password: str) -> User | None:
        """The user if the password is right, else None."""
        user = self.get(username)
        if user is None or not user.check_password(password):
            return None
        return user

    def end_sessions(self, username: str) -> None:
        """Browser sessions of ``username`` that started before now stop counting."""
        with self._lock:
            self._signed_out_before[username] = self._clock()

    def session_valid(self, username: str, auth_time: float) -> bool:
        """True if ``username`` exists and was not signed out everywhere since ``auth_time``."""
        with self._lock:
            return username in self._users and auth_time >= self._signed_out_before.get(
                username, 0.0
            )


@dataclass(frozen=True)
class Principal:
    """Who a grant is for: a user, as seen by one realm, and when they signed in.

    ``sub`` and ``username`` are the realm's view (a federated user pool user
    ``Google_…`` has its own ``sub``); ``identity_provider`` is set on the
    Cognito managed-login paths.
    """

    user: User
    sub: str
    username: str
    auth_time: int
    identity_provider: str | None = None

    def get_user_id(self) -> str:
        """Authlib's user hook (RFC 9068 ``sub``)."""
        return self.sub


# -- clients ----------------------------------------------------------------------
@dataclass(frozen=True)
class Client(ClientMixin):
    """A registered OAuth client. ``client_secret`` None means a public client.

    With ``loopback_redirects`` any RFC 8252 loopback URI is accepted besides
    the exact ``redirect_uris``; the same holds for post-logout redirects.
    """

    client_id: str
    grant_types: tuple[str, ...]
    scopes: tuple[str, ...]
    client_secret: str | None = field(default=None, repr=False)
    redirect_uris: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    loopback_redirects: bool = False

    @property
    def public(self) -> bool:
        """No secret: authenticates with ``none`` and must use PKCE."""
        return self.client_secret is None

    @property
    def client_metadata(self) -> dict[str, Any]:
        """RFC 7591 metadata (Authlib's UserInfo and end-session endpoints read it)."""
        return {
            "client_id": self.client_id,
            "grant_types": list(self.grant_types),
            "redirect_uris": list(self.redirect_uris),
            "post_logout_redirect_uris": list(self.post_logout_redirect_uris),
            "token_endpoint_auth_method": "none" if self.public else "client_secret_basic",
            "scope": list_to_scope(list(self.scopes)),
        }

    def get_client_id(self) -> str:
        """The client id."""
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        """None (empty): requests must name their ``redirect_uri`` (OpenID Connect requires it)."""
        return ""

    def get_allowed_scope(self, scope: Collection[str] | str | None) -> str:
        """The requested scopes this client may have, in request order."""
        if not scope:
            return ""
        allowed = [s for s in dict.fromkeys(scope_to_list(scope)) if s in self.scopes]
        return list_to_scope(allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Exact match, or any loopback URI (RFC 8252) for native clients."""
        return redirect_uri in self.redirect_uris or (
            self.loopback_redirects and is_loopback_redirect(redirect_uri)
        )

    def check_post_logout_redirect_uri(self, uri: str) -> bool:
        """Like :meth:`check_redirect_uri`, for sign-out redirects."""
        return uri in self.post_logout_redirect_uris or (
            self.loopback_redirects and is_loopback_redirect(uri)
        )

    def check_client_secret(self, client_secret: str) -> bool:
        """Constant-time secret check (public clients have none)."""
        if self.client_secret is None:
            return False
        return hmac.compare_digest(self.client_secret.encode(), client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """Public clients use ``none``; confidential ones a secret (basic or post)."""
        if self.public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        """Only the code flow."""
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        """Whether this client may use ``grant_type``."""
        return grant_type in self.grant_types


# -- codes, tokens, device requests ---------------------------------------------------
@dataclass
class AuthorizationCode(AuthorizationCodeMixin):
    """An issued authorization code (single use)."""

    code: str = field(repr=False)
    client_id: str
    redirect_uri: str | None
    scope: str
    principal: Principal
    expires_at: float
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    origin: str = field(default_factory=lambda: uuid.uuid4().hex)
    used: bool = False

    def get_redirect_uri(self) -> str:
        """The ``redirect_uri`` of the authorization request ("" when it named none)."""
        return self.redirect_uri or ""

    def get_scope(self) -> str:
        """Granted scope."""
        return self.scope

    def get_nonce(self) -> str | None:
        """The request's ``nonce``, echoed in the ID token."""
        return self.nonce

    def get_auth_time(self) -> int:
        """When the person signed in."""
        return self.principal.auth_time

    def is_expired(self, now: float) -> bool:
        """True once the code's lifetime is over."""
        return now >= self.expires_at


@dataclass
class TokenRecord(TokenMixin):
    """One token response: a JWT access token (by ``jti``) and maybe a refresh token.

    ``origin`` ties together everything issued from one authorization (a code
    or a device approval) and its refreshes, so revoking a refresh token can
    revoke them all (RFC 7009 §2.1).
    """

    client: Client
    principal: Principal
    scope: str
    access_jti: str
    access_expires_at: float
    origin: str
    refresh_token: str | None = field(default=None, repr=False)
    refresh_expires_at: float | None = None
    access_revoked: bool = False
    refresh_state: str = "active"  # "active", "rotated" (used once) or "revoked"
    issued_at: float = field(default_factory=time.time)

    def check_client(self, client: ClientMixin) -> bool:
        """Was this issued to ``client``?"""
        return self.client.client_id == client.get_client_id()

    def get_scope(self) -> str:
        """Granted scope."""
        return self.scope

    def get_expires_in(self) -> int:
        """Lifetime of the access token."""
        return int(self.access_expires_at - self.issued_at)

    def is_expired(self) -> bool:
        """True once the access token expired."""
        return time.time() >= self.access_expires_at

    def is_revoked(self) -> bool:
        """True once the access token was revoked."""
        return self.access_revoked

    def get_user(self) -> Principal:
        """The principal the token is for."""
        return self.principal

    def get_client(self) -> Client:
        """The client the token was issued to."""
        return self.client

    def refresh_usable(self, now: float) -> bool:
        """The refresh token is active and unexpired."""
        return (
            self.refresh_token is not None
            and self.refresh_state == "active"
            and (self.refresh_expires_at is None or now < self.refresh_expires_at)
        )


def normalize_user_code(user_code: str) -> str:
    """``bcdf-ghjk``, ``BCDFGHJK`` and ``BCDF GHJK`` are all ``BCDF-GHJK``."""
    letters = "".join(ch for ch in str(user_code).upper() if ch.isalnum())
    return f"{letters[:4]}-{letters[4:]}" if len(letters) == 8 else letters


@dataclass
class DeviceCredential(DeviceCredentialMixin):
    """An RFC 8628 device authorization request and the person's decision."""

    device_code: str = field(repr=False)
    user_code: str
    client_id: str
    scope: str
    expires_at: float
    interval: int
    last_poll: float | None = None  # time.monotonic() of the last pending poll
    principal: Principal | None = None
    approved: bool | None = None  # None until the person decides
    consumed: bool = False
    origin: str = field(default_factory=lambda: uuid.uuid4().hex)

    def get_client_id(self) -> str:
        """The client that asked."""
        return self.client_id

    def get_scope(self) -> str:
        """Requested (and allowed) scope."""
        return self.scope

    def get_user_code(self) -> str:
        """The code the person types."""
        return self.user_code

    def get_nonce(self) -> None:
        """Device requests carry no nonce."""
        return None

    def get_auth_time(self) -> int | None:
        """When the person approved."""
        return self.principal.auth_time if self.principal else None

    def is_expired(self) -> bool:
        """True once ``expires_in`` has passed."""
        return time.time() >= self.expires_at
