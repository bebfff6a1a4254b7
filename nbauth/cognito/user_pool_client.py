"""The Cognito user-pool API for one app client, with typed errors and SECRET_HASH.

The sign-in and self-service operations (``InitiateAuth``, ``RespondToAuthChallenge``,
``SignUp``, ``ForgotPassword``, ``GetUser``, …) are public in AWS, so the client is unsigned, as
Amplify's. For apps whose client has a secret, ``SECRET_HASH`` is added wherever Cognito wants
it (``nbauth.user_pool_client_secret``).

It also speaks the small refresh contract of :class:`~nbauth.oidc.token_provider.OIDCTokenProvider`
(``spec``, ``refresh_response``, ``tokens_after_refresh``, ``verify_tokens``, ``revoke``), so a
user-pool session refreshes with the same engine as an OIDC one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..aws.error_mapping import map_aws_error
from ..aws.unsigned_clients import unsigned_client
from ..config import AuthConfig
from ..core.jwt import JWT
from ..errors import (
    AuthError,
    ConfigurationError,
    InvalidGrantError,
    InvalidParameterError,
    NotAuthorizedError,
    ServiceError,
)
from ..oidc.client import ProviderSpec
from ..oidc.discovery import ProviderMetadata
from ..oidc.token_verification import JWKSCache, TokenVerifier
from ..oidc.tokens import OIDCTokens
from ..oidc.transport import new_session
from .secret_hash import secret_hash

__all__ = ["UserPoolClient", "check_client_metadata"]


def check_client_metadata(metadata: Mapping[str, Any] | None) -> dict[str, str] | None:
    """``ClientMetadata`` must map strings to strings (Cognito's rule); a typed error otherwise."""
    if metadata is None:
        return None
    if not isinstance(metadata, Mapping):
        raise InvalidParameterError(
            f"client_metadata must be a dict of strings, got {type(metadata).__name__}.",
            "Pass e.g. client_metadata={'source': 'notebook'}.",
        )
    bad = [k for k, v in metadata.items() if not isinstance(k, str) or not isinstance(v, str)]
    if bad:
        raise InvalidParameterError(
            f"client_metadata values must be strings; not so for {', '.join(map(str, bad))}.",
            "Convert the values to strings (json.dumps for structured data).",
        )
    return dict(metadata)


class UserPoolClient:
    """Calls of one user pool's app client."""

    def __init__(self, config: AuthConfig, *, clock: Callable[[], float] = time.time) -> None:
        if not (config.region and config.user_pool_id and config.user_pool_client_id):
            raise ConfigurationError(
                "The user-pool flows need auth.aws_region, auth.user_pool_id and "
                "auth.user_pool_client_id.",
                "Add them to amplify_outputs.json (npx ampx generate outputs writes them).",
            )
        self.region = config.region
        self.user_pool_id = config.user_pool_id
        self.client_id = config.user_pool_client_id
        self._client_secret = config.user_pool_client_secret
        self.clock = clock
        issuer = f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"
        self.spec = ProviderSpec(
            name="userPool",
            issuer=issuer,
            client_id=self.client_id,
            logins_key=config.user_pool_logins_key,
            cognito=True,
            kind="cognito",
        )
        self._verifier: TokenVerifier | None = None
        self._refresh_not_offered = False
        self._lock = threading.Lock()

    # -- plumbing -----------------------------------------------------------------------

    @property
    def client(self) -> Any:
        return unsigned_client("cognito-idp", self.region)

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """Call ``operation`` (e.g. ``"InitiateAuth"``) with the non-None ``params``."""
        method = "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")
        kwargs = {k: v for k, v in params.items() if v is not None}
        try:
            return getattr(self.client, method)(**kwargs)  # type: ignore[no-any-return]
        except Exception as exc:
            raise map_aws_error(exc, operation) from None

    def secret_hash(self, username: str) -> str | None:
        """``SECRET_HASH`` for ``username``, when the app client has a secret."""
        if not self._client_secret:
            return None
        return secret_hash(username, self.client_id, self._client_secret)

    def with_secret_hash(self, parameters: dict[str, str], username: str) -> dict[str, str]:
        digest = self.secret_hash(username)
        return {**parameters, "SECRET_HASH": digest} if digest else parameters

    @property
    def verifier(self) -> TokenVerifier:
        if self._verifier is None:
            with self._lock:
                if self._verifier is None:
                    endpoint = str(self.client.meta.endpoint_url).rstrip("/")
                    jwks = JWKSCache(
                        f"{endpoint}/{self.user_pool_id}/.well-known/jwks.json", new_session()
                    )
                    self._verifier = TokenVerifier(
                        issuer=self.spec.issuer,
                        client_id=self.client_id,
                        jwks=jwks,
                        clock=self.clock,
                    )
        return self._verifier

    # -- tokens ---------------------------------------------------------------------------

    def tokens_from_result(
        self, result: Mapping[str, Any], previous: OIDCTokens | None = None
    ) -> OIDCTokens:
        """An ``AuthenticationResult`` as :class:`OIDCTokens` (verified)."""
        response = {
            "access_token": result.get("AccessToken"),
            "id_token": result.get("IdToken"),
            "refresh_token": result.get("RefreshToken"),
            "expires_in": result.get("ExpiresIn"),
        }
        tokens = OIDCTokens.from_response(response, now=self.clock(), previous=previous)
        self.verify_tokens(tokens)
        return tokens

    def verify_tokens(self, tokens: OIDCTokens, *, nonce: str | None = None) -> JWT | None:
        """Signature and claims of the ID and access tokens (``token_use`` checked)."""
        decoded = None
        if tokens.id_token:
            decoded = self.verifier.verify(tokens.id_token, token_use="id")
        self.verifier.verify(tokens.access_token, token_use="access")
        return decoded

    # -- the refresh contract of OIDCTokenProvider ----------------------------------------

    def refresh_response(
        self, refresh_token: str, previous: OIDCTokens | None = None
    ) -> dict[str, Any]:
        """Refresh with ``GetTokensFromRefreshToken`` (rotation-safe), falling back to
        ``InitiateAuth(REFRESH_TOKEN_AUTH)`` where the endpoint doesn't offer it."""
        username = _username(previous)
        try:
            try:
                result = self._get_tokens_from_refresh_token(refresh_token)
            except _NotOffered:
                params = {"REFRESH_TOKEN": refresh_token}
                if username:
                    params = self.with_secret_hash(params, username)
                answer = self.call(
                    "InitiateAuth",
                    AuthFlow="REFRESH_TOKEN_AUTH",
                    ClientId=self.client_id,
                    AuthParameters=params,
                )
                result = answer.get("AuthenticationResult") or {}
        except NotAuthorizedError as exc:  # revoked, expired, signed out everywhere
            raise InvalidGrantError(exc.message, name="invalid_grant", underlying=exc) from None
        return {
            "access_token": result.get("AccessToken"),
            "id_token": result.get("IdToken"),
            "refresh_token": result.get("RefreshToken"),
            "expires_in": result.get("ExpiresIn"),
        }

    def _get_tokens_from_refresh_token(self, refresh_token: str) -> dict[str, Any]:
        client = self.client
        if (
            self._refresh_not_offered
            or "GetTokensFromRefreshToken" not in client.meta.service_model.operation_names
        ):
            raise _NotOffered
        try:
            answer = self.call(
                "GetTokensFromRefreshToken",
                RefreshToken=refresh_token,
                ClientId=self.client_id,
                ClientSecret=self._client_secret,
            )
        except AuthError as exc:
            # Emulators answer an unimplemented operation with a bare 5xx; the fallback is an
            # equivalent call, so a 5xx here also means "use REFRESH_TOKEN_AUTH from now on".
            if _not_offered(exc) or isinstance(exc, ServiceError):
                self._refresh_not_offered = True
                raise _NotOffered from None
            raise
        return answer.get("AuthenticationResult") or {}

    def tokens_after_refresh(
        self, response: dict[str, Any], previous: OIDCTokens | None
    ) -> OIDCTokens:
        tokens = OIDCTokens.from_response(response, now=self.clock(), previous=previous)
        self.verify_tokens(tokens)
        return tokens

    def revoke(self, token: str, hint: str = "refresh_token") -> bool:
        """``RevokeToken`` for a refresh token."""
        self.call(
            "RevokeToken", Token=token, ClientId=self.client_id, ClientSecret=self._client_secret
        )
        return True

    @property
    def metadata(self) -> ProviderMetadata:
        return ProviderMetadata(issuer=self.spec.issuer, token_endpoint="", jwks_uri="")


class _NotOffered(Exception):
    """The endpoint has no GetTokensFromRefreshToken."""


_NOT_OFFERED_CODES = {
    "UnknownOperationException",
    "InvalidAction",
    "NotImplemented",
    "UnsupportedOperation",
}


def _not_offered(exc: AuthError) -> bool:
    """Does this error say the endpoint lacks the operation (older regions, emulators)?"""
    if exc.name in _NOT_OFFERED_CODES:
        return True
    return "not implemented" in exc.message.lower() or "not been implemented" in exc.message


def _username(tokens: OIDCTokens | None) -> str | None:
    if tokens is None:
        return None
    access = tokens.auth_tokens.access_token
    value = access.payload.get("username") if access is not None else None
    return value if isinstance(value, str) else None
