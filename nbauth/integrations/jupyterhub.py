"""Sign in once for the hub: a token provider that reads the person's tokens from JupyterHub.

Inside a JupyterHub single-user server the person already signed in — to the hub, through an
OAuthenticator (``GenericOAuthenticator``, ``AzureAdOAuthenticator``, ``GoogleOAuthenticator``…)
with ``c.Authenticator.enable_auth_state = True``. The hub keeps their OAuth tokens in
``auth_state`` (oauthenticator >= 16: ``access_token``, ``refresh_token``, ``id_token``,
``scope``, ``token_response`` and ``oauth_user``). :class:`HubTokenProvider` reads them with the
server's own API token (``$JUPYTERHUB_API_TOKEN``):

    GET {$JUPYTERHUB_API_URL}/users/{$JUPYTERHUB_USER}     Authorization: token …

(``GET /user`` never carries ``auth_state``). The hub includes ``auth_state`` only when the
token holds ``admin:auth_state!user`` — ``c.Spawner.server_token_scopes`` must ask for it, and
the ``user`` role must hold it, since a server token gets only the requested scopes its owner
has (``docs/jupyterhub.md``). Without it the answer simply has no ``auth_state`` key, which
:func:`probe` reports as the reason to fall back to the normal sign-in.

Freshness is the hub's job, never ours: the refresh token stays in the hub. JupyterHub calls
``Authenticator.refresh_user`` on a request authenticated by the user's token once
``auth_refresh_age`` seconds passed since the last refresh; oauthenticator's ``refresh_user``
tries the stored access token and, when the provider refuses it, uses the refresh token and
stores the new tokens. So ``get_tokens(force_refresh=True)`` reads ``auth_state`` again — that
request is itself what lets the hub refresh — and, while the hub still holds an ID token that is
(nearly) expired, keeps reading for up to ``refresh_wait_seconds``.

The ID token is verified like any token nbauth accepts (signature against the issuer's JWKS,
algorithm allow-list, ``iss``, ``exp``; ``aud`` when the hub's OAuth ``client_id`` is given or in
``$NBAUTH_HUB_CLIENT_ID``), then federated into the identity pool with the Logins key taken from
its ``iss``. No secret — the hub API token, the OAuth tokens — appears in a repr, a log line, an
event or a status.

Example::

    import nbauth
    from nbauth.integrations.jupyterhub import hub_token_provider

    nbauth.configure("amplify_outputs.json", token_provider=hub_token_provider())
    nbauth.fetch_auth_session().identity_id

``%load_ext nbauth`` does this by itself under a hub that hands out ``auth_state``
(:func:`nbauth.notebook.default_auth.hub_sign_in`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..core.jwt import JWT, decode_jwt
from ..core.values import AuthTokens, OpaqueToken
from ..errors import (
    AuthError,
    ConfigurationError,
    InvalidTokenError,
    NetworkError,
    NotAuthorizedError,
    ProviderTokenExpiredError,
    ServiceError,
)

if TYPE_CHECKING:
    import requests

    from ..oidc.token_verification import TokenVerifier

__all__ = [
    "CLIENT_ID_ENV",
    "HubAuthStateUnavailable",
    "HubEnvironment",
    "HubProbe",
    "HubTokenProvider",
    "hub_token_provider",
    "probe",
]

log = logging.getLogger("nbauth.integrations.jupyterhub")

#: The hub's OAuth client id, when the ID token's audience should be checked here too.
CLIENT_ID_ENV = "NBAUTH_HUB_CLIENT_ID"

#: An ID token this close to its ``exp`` (at most a tenth of its lifetime) is due for the hub's
#: refresh.
EXPIRY_SKEW_SECONDS = 30.0


class HubAuthStateUnavailable(ConfigurationError):
    """The hub does not hand this server the person's ``auth_state`` (the message says why)."""


@dataclass(frozen=True)
class HubEnvironment:
    """What JupyterHub tells a single-user server about itself. ``api_token`` never shows."""

    api_url: str
    user: str
    api_token: str = field(repr=False)
    server_name: str = ""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> HubEnvironment | None:
        """The hub's variables, or None outside a single-user server."""
        env = os.environ if environ is None else environ
        api_url = env.get("JUPYTERHUB_API_URL", "")
        token = env.get("JUPYTERHUB_API_TOKEN", "") or env.get("JPY_API_TOKEN", "")
        user = env.get("JUPYTERHUB_USER", "")
        if not (api_url and token and user):
            return None
        return cls(api_url.rstrip("/"), user, token, env.get("JUPYTERHUB_SERVER_NAME", ""))

    @property
    def user_url(self) -> str:
        """``GET`` here returns the user model, with ``auth_state`` given the scope."""
        return f"{self.api_url}/users/{quote(self.user, safe='')}"


@dataclass(frozen=True)
class HubProbe:
    """One read of the hub: whether its ``auth_state`` can sign this person in, and why not."""

    user: str
    available: bool
    reason: str = ""


@dataclass(frozen=True)
class _HubTokens:
    id_token: str = field(repr=False)
    access_token: JWT | OpaqueToken | None = field(repr=False)
    jwt: JWT = field(repr=False)


def _auth_state_tokens(model: Mapping[str, Any], user: str) -> _HubTokens:
    """The ID and access tokens in a user model's ``auth_state``, or why there are none."""
    if "auth_state" not in model:
        raise HubAuthStateUnavailable(
            f"JupyterHub does not give this server {user}'s auth_state (its API token lacks "
            "the admin:auth_state!user scope).",
            "Add admin:auth_state!user to c.Spawner.server_token_scopes and to the user role "
            "(docs/jupyterhub.md).",
        )
    state = model["auth_state"]
    if not state:
        raise HubAuthStateUnavailable(
            f"JupyterHub keeps no auth_state for {user} (enable_auth_state off, no "
            "JUPYTERHUB_CRYPT_KEY, or signed in before it was on).",
            "Set c.Authenticator.enable_auth_state = True and JUPYTERHUB_CRYPT_KEY, then sign "
            "in to the hub again.",
        )
    if not isinstance(state, Mapping):
        raise HubAuthStateUnavailable(
            f"JupyterHub's auth_state for {user} is a {type(state).__name__}, not an object."
        )
    id_token = state.get("id_token")
    if not id_token:
        response = state.get("token_response")
        if isinstance(response, Mapping):
            id_token = response.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise HubAuthStateUnavailable(
            f"JupyterHub's auth_state for {user} has no ID token (the hub's OAuthenticator "
            "did not ask for the openid scope, or is not an OpenID Connect one).",
            "Add 'openid' to the authenticator's scope (docs/jupyterhub.md).",
        )
    access = state.get("access_token")
    try:
        jwt = decode_jwt(id_token)
    except InvalidTokenError as exc:
        raise HubAuthStateUnavailable(
            f"The ID token in JupyterHub's auth_state for {user} is not a JWT: {exc.message}"
        ) from None
    return _HubTokens(id_token, _access_token(access), jwt)


def _access_token(value: Any) -> JWT | OpaqueToken | None:
    """A JWT access token as such; any other string is opaque (Google's, Entra's for Graph)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return decode_jwt(value)
    except InvalidTokenError:
        return OpaqueToken(value)


class HubTokenProvider:
    """A :class:`~nbauth.TokenProvider` reading the person's tokens from the hub's ``auth_state``.

    ``client_id``: the hub's OAuth client id; when given (or in ``$NBAUTH_HUB_CLIENT_ID``) the ID
    token's audience is checked here, else the identity pool checks it (it accepts only the
    client ids it trusts). ``verify=False`` skips nbauth's signature check (tests only).
    ``refresh_wait_seconds``: how long a forced refresh keeps reading while the hub still holds
    an expired ID token; ``poll_seconds`` between reads.
    """

    def __init__(
        self,
        hub: HubEnvironment | None = None,
        *,
        client_id: str | None = None,
        verify: bool = True,
        refresh_wait_seconds: float = 30.0,
        poll_seconds: float = 2.0,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if hub is None:
            hub = HubEnvironment.from_environ()
        if hub is None:
            raise ConfigurationError(
                "Not inside a JupyterHub single-user server: $JUPYTERHUB_API_URL, "
                "$JUPYTERHUB_API_TOKEN and $JUPYTERHUB_USER are not all set.",
                "Use it in a server the hub spawned, or pass hub=HubEnvironment(...).",
            )
        self.hub = hub
        self.client_id = client_id or os.environ.get(CLIENT_ID_ENV) or None
        self.verify = verify
        self.refresh_wait_seconds = max(0.0, refresh_wait_seconds)
        self.poll_seconds = max(0.0, poll_seconds)
        self._session = session
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._current: _HubTokens | None = None
        self._verifiers: dict[tuple[str, str], TokenVerifier] = {}
        self.reads = 0  # requests made to the hub (for tests and status)

    @property
    def user(self) -> str:
        """The hub user whose tokens this provider hands out."""
        return self.hub.user

    # -- the TokenProvider protocol ---------------------------------------------------------

    def get_tokens(self, *, force_refresh: bool = False) -> AuthTokens:
        """The person's verified ID token and access token, from the hub.

        Without ``force_refresh`` the tokens read last are returned while the ID token is valid
        (no request); otherwise ``auth_state`` is read again, waiting up to
        ``refresh_wait_seconds`` for the hub to replace a (nearly) expired ID token.
        """
        with self._lock:
            current = self._current
        if not force_refresh and current is not None and not self._due(current.jwt):
            return self._tokens(current)
        fresh = self._read_fresh(previous=current)
        self._verify(fresh.id_token)
        with self._lock:
            self._current = fresh
        return self._tokens(fresh)

    # -- reading the hub --------------------------------------------------------------------

    def read(self) -> dict[str, Any]:
        """One ``GET`` of the user model (with ``auth_state`` when the scope allows it)."""
        session = self._session
        if session is None:
            from ..oidc.transport import new_session  # bounded: deadline and size cap

            session = self._session = new_session()
        self.reads += 1
        headers = {"Authorization": f"token {self.hub.api_token}"}
        try:
            response = session.get(self.hub.user_url, headers=headers, allow_redirects=False)
        except AuthError:
            raise
        except Exception as exc:
            raise NetworkError(
                f"Could not reach JupyterHub's API at {self.hub.api_url} ({type(exc).__name__}).",
                "nbauth keeps the current credentials and tries again.",
                underlying=exc,
            ) from None
        status = response.status_code
        if status in (401, 403, 404):
            raise HubAuthStateUnavailable(
                f"JupyterHub refused to show user {self.hub.user} to this server (HTTP {status}): "
                "its API token needs read:users:name!user and admin:auth_state!user.",
                "Set c.Spawner.server_token_scopes as in docs/jupyterhub.md.",
            )
        if status >= 400:
            raise ServiceError(f"JupyterHub's API answered HTTP {status}.")
        try:
            model = response.json()
        except ValueError:
            model = None
        if not isinstance(model, dict):
            raise ServiceError("JupyterHub's API answered with a body that is not a JSON object.")
        return model

    def _read_tokens(self) -> _HubTokens:
        return _auth_state_tokens(self.read(), self.hub.user)

    def _read_fresh(self, previous: _HubTokens | None) -> _HubTokens:
        tokens = self._read_tokens()
        deadline = self._clock() + self.refresh_wait_seconds
        while self._due(tokens.jwt) and self._clock() < deadline:
            # The hub refreshes on a request once auth_refresh_age passed: read again.
            self._sleep(self.poll_seconds)
            tokens = self._read_tokens()
        if self._expired(tokens.jwt):
            raise ProviderTokenExpiredError(
                f"JupyterHub still holds an expired ID token for {self.hub.user} after "
                f"{self.refresh_wait_seconds:.0f} s: the hub could not refresh it.",
                "Sign in to the hub again (File > Log Out, then log in); check that the hub's "
                "authenticator gets a refresh token (offline_access) and auth_refresh_age.",
            )
        if previous is not None and tokens.id_token != previous.id_token:
            log.info("JupyterHub refreshed %s's ID token.", self.hub.user)
        return tokens

    def _due(self, jwt: JWT) -> bool:
        exp = jwt.expires_at
        if exp is None:
            return False
        iat = jwt.payload.get("iat")
        skew = EXPIRY_SKEW_SECONDS
        if isinstance(iat, (int, float)) and not isinstance(iat, bool) and exp > iat:
            skew = min(skew, (exp - iat) / 10)  # short-lived tokens: a tenth of their life
        return exp - skew <= self._clock()

    def _expired(self, jwt: JWT) -> bool:
        exp = jwt.expires_at
        return exp is not None and exp <= self._clock()

    # -- verification -----------------------------------------------------------------------

    def _verify(self, id_token: str) -> None:
        if not self.verify:
            return
        verifier = self._verifier(decode_jwt(id_token))
        try:
            verifier.verify(id_token, token_use=None)
        except AuthError as exc:
            raise NotAuthorizedError(
                f"The ID token JupyterHub holds for {self.hub.user} does not verify: {exc.message}",
                "Check the hub's authenticator and the issuer configured for the identity pool.",
                underlying=exc,
            ) from None

    def _verifier(self, jwt: JWT) -> TokenVerifier:
        from .hub_verification import single_audience, verifier_for

        issuer = jwt.issuer
        if not issuer:
            raise NotAuthorizedError(
                f"The ID token JupyterHub holds for {self.hub.user} has no issuer (iss)."
            )
        client_id = self.client_id or single_audience(jwt)
        key = (issuer, client_id)
        verifier = self._verifiers.get(key)
        if verifier is None:
            verifier = self._verifiers[key] = verifier_for(issuer, client_id)
        return verifier

    @staticmethod
    def _tokens(tokens: _HubTokens) -> AuthTokens:
        return AuthTokens(access_token=tokens.access_token, id_token=tokens.jwt)

    def __repr__(self) -> str:
        return f"HubTokenProvider(user={self.hub.user!r}, api_url={self.hub.api_url!r})"


def probe(provider: HubTokenProvider) -> HubProbe:
    """Read the hub once: can its ``auth_state`` sign this person in? (Never raises.)"""
    try:
        _auth_state_tokens(provider.read(), provider.user)
    except AuthError as exc:
        return HubProbe(provider.user, False, exc.message)
    except Exception as exc:  # a bug must not break %load_ext: fall back, say so
        return HubProbe(provider.user, False, f"{type(exc).__name__} reading JupyterHub's API")
    return HubProbe(provider.user, True)


def hub_token_provider(**options: Any) -> HubTokenProvider:
    """A :class:`HubTokenProvider` for this single-user server (options as its constructor)."""
    return HubTokenProvider(**options)
