"""One OAuth 2.0 / OpenID Connect client: metadata, token endpoint, verification, revocation.

An :class:`OIDCClient` serves both kinds of provider nbauth signs in with:

* a generic OpenID provider from ``nbauth.oidc_providers`` (endpoints from discovery);
* Cognito's managed login (Hosted UI) at ``auth.oauth.domain``, whose tokens are user-pool
  tokens (see :func:`cognito_managed_login`).

Authorization URLs are built with Authlib's ``OAuth2Session``; token-endpoint calls are plain
form POSTs through the provider's bounded session (:mod:`nbauth.oidc.transport`: a total deadline,
a size cap, no redirect followed), and every failure becomes a typed
:class:`~nbauth.errors.AuthError`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests
from authlib.integrations.requests_client import OAuth2Session

from ..core.jwt import JWT
from ..errors import AuthError, MissingIdTokenError, NetworkError, ServiceError
from .discovery import ProviderMetadata, discover
from .token_verification import JWKSCache, TokenVerifier
from .tokens import OIDCTokens
from .transport import json_request, new_session, oauth_error, parse_json_response

__all__ = ["OIDCClient", "ProviderSpec"]


@dataclass(frozen=True)
class ProviderSpec:
    """Everything needed to talk to one provider as one client."""

    name: str
    issuer: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    scopes: tuple[str, ...] = ("openid", "offline_access", "email", "profile")
    logins_key: str | None = None
    #: Set for providers without discovery (Cognito managed login).
    metadata: ProviderMetadata | None = None
    #: Extra authorization-request parameters (e.g. Cognito's identity_provider).
    authorize_params: tuple[tuple[str, str], ...] = ()
    #: Cognito user-pool tokens carry token_use; check it.
    cognito: bool = False
    redirect_uris: tuple[str, ...] = ()
    #: "oidc" (a generic OpenID provider) or "cognito" (managed login).
    kind: str = "oidc"

    @classmethod
    def from_config(cls, config: Any) -> ProviderSpec:
        """The spec of a provider from ``nbauth.oidc_providers`` (an ``OIDCProviderConfig``)."""
        return cls(
            name=config.name,
            issuer=config.issuer,
            client_id=config.client_id,
            client_secret=config.client_secret,
            scopes=config.scopes,
            logins_key=config.logins_key,
        )


class OIDCClient:
    """Talks to one provider's endpoints for one client id."""

    def __init__(
        self,
        spec: ProviderSpec,
        *,
        clock: Callable[[], float] = time.time,
        session: requests.Session | None = None,
    ) -> None:
        self.spec = spec
        self.clock = clock
        self.session = session or new_session()
        self._metadata = spec.metadata
        self._verifier: TokenVerifier | None = None
        self._lock = threading.Lock()

    # -- metadata and verification -------------------------------------------------------

    @property
    def metadata(self) -> ProviderMetadata:
        if self._metadata is None:
            self._metadata = discover(self.spec.issuer, self.session, clock=self.clock)
        return self._metadata

    @property
    def verifier(self) -> TokenVerifier:
        if self._verifier is None:
            with self._lock:
                if self._verifier is None:
                    self._verifier = TokenVerifier(
                        issuer=self.metadata.issuer,
                        client_id=self.spec.client_id,
                        jwks=JWKSCache(self.metadata.jwks_uri, self.session),
                        clock=self.clock,
                    )
        return self._verifier

    def verify_tokens(self, tokens: OIDCTokens, *, nonce: str | None = None) -> JWT | None:
        """Verify the ID token (and a Cognito access token); returns the decoded ID token.

        A sign-in answer without an ID token is refused (:class:`MissingIdTokenError`): it
        names no user and cannot be federated; refreshes may omit it (the previous one stays).
        """
        if not tokens.id_token:
            raise MissingIdTokenError(
                f"{self.spec.name} answered the sign-in without an ID token.",
                name="missing_id_token",
            )
        decoded = self.verifier.verify(
            tokens.id_token, nonce=nonce, token_use="id" if self.spec.cognito else None
        )
        if self.spec.cognito:
            self.verifier.verify(tokens.access_token, token_use="access")
        return decoded

    # -- the token endpoint --------------------------------------------------------------

    def oauth_session(self, **kwargs: Any) -> OAuth2Session:
        """An Authlib session for building authorization URLs (PKCE S256); it sends nothing."""
        session = OAuth2Session(
            client_id=self.spec.client_id,
            client_secret=self.spec.client_secret,
            scope=" ".join(kwargs.pop("scopes", None) or self.spec.scopes),
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic" if self.spec.client_secret else "none",
            **kwargs,
        )
        session.headers["User-Agent"] = "nbauth"
        return session

    def token_request(self, what: str, grant: dict[str, str]) -> dict[str, Any]:
        """POST ``grant`` (``grant_type`` and its parameters) to the token endpoint.

        The client authenticates as RFC 6749 §2.3.1 says (HTTP Basic with the form-encoded id and
        secret; a public client sends ``client_id`` in the body). The call goes through the
        provider's bounded session: a total deadline, a size cap, no redirect followed. The
        answer must be a JSON object; OAuth error bodies become typed errors.
        """
        endpoint = self.metadata.token_endpoint
        return self.post_form(endpoint, grant, what)

    def refresh_response(
        self, refresh_token: str, previous: OIDCTokens | None = None
    ) -> dict[str, Any]:
        """The raw answer to a refresh-token grant (store a rotated token before verifying).

        ``scope`` is omitted (RFC 6749 §6: the grant's scopes are kept): an IdP that granted
        fewer scopes than configured would refuse a refresh asking for them all.
        """
        return self.token_request(
            "Token refresh", {"grant_type": "refresh_token", "refresh_token": refresh_token}
        )

    def tokens_after_refresh(
        self, response: dict[str, Any], previous: OIDCTokens | None
    ) -> OIDCTokens:
        """Build and verify the tokens of a refresh answer; the user must stay the same."""
        fresh = OIDCTokens.from_response(response, now=self.clock(), previous=previous)
        if response.get("id_token"):
            decoded = self.verify_tokens(fresh)
            before = previous.id_claims.get("sub") if previous is not None else None
            if decoded is not None and before and decoded.subject != before:
                raise oauth_error(
                    "invalid_grant", "the refreshed ID token is for another user", "Token refresh"
                )
        elif self.spec.cognito:
            self.verifier.verify(fresh.access_token, token_use="access")
        return fresh

    def revoke(self, token: str, hint: str = "refresh_token") -> bool:
        """RFC 7009 revocation; ``False`` when the provider offers none. Errors are raised."""
        endpoint = self.metadata.revocation_endpoint
        if not endpoint:
            return False
        data = {"token": token, "token_type_hint": hint, "client_id": self.spec.client_id}
        auth = self._basic_auth()
        try:
            response = self.session.post(endpoint, data=data, auth=auth, allow_redirects=False)
        except requests.RequestException as exc:
            raise NetworkError(
                f"Token revocation failed: {type(exc).__name__}.", underlying=exc
            ) from None
        if response.is_redirect:
            parse_json_response(response, "Token revocation")  # raises RedirectRefusedError
        if response.status_code >= 400:
            json_body = _json_or_none(response)
            if isinstance(json_body, dict) and isinstance(json_body.get("error"), str):
                raise oauth_error(
                    json_body["error"], json_body.get("error_description"), "Token revocation"
                )
            raise ServiceError(f"Token revocation failed: HTTP {response.status_code}.")
        return True

    def post_form(self, url: str, data: dict[str, str], what: str) -> dict[str, Any]:
        """POST a form with this client's authentication; the JSON answer or a typed error."""
        auth = self._basic_auth()
        if auth is None:
            data = {**data, "client_id": self.spec.client_id}
        return json_request(self.session, "POST", url, what, data=data, auth=auth)

    def _basic_auth(self) -> tuple[str, str] | None:
        """RFC 6749 §2.3.1: id and secret form-encoded, then HTTP Basic (None: public client)."""
        if not self.spec.client_secret:
            return None
        return (quote(self.spec.client_id, safe=""), quote(self.spec.client_secret, safe=""))

    def close(self) -> None:
        self.session.close()


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, AuthError) and exc.retryable
