"""The Cognito user-pool API for one app client, with typed errors and SECRET_HASH.

The sign-in and self-service operations (``InitiateAuth``, ``RespondToAuthChallenge``,
``SignUp``, ``ForgotPassword``, ``GetUser``, …) are public in AWS, so the client is unsigned, as
Amplify's. For apps whose client has a secret, ``SECRET_HASH`` is added wherever Cognito wants
it (``nbauth.user_pool_client_secret``).

It implements :class:`~nbauth.oidc.token_client.TokenClient` (``spec``, ``verify_tokens``,
``refresh_response``, ``tokens_after_refresh``, ``revoke``), so a user-pool session refreshes,
persists and signs out with the same token provider as an OIDC one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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
from ..oidc.token_verification import JWKSCache, TokenVerifier
from ..oidc.tokens import OIDCTokens
from ..oidc.transport import new_session
from .secret_hash import secret_hash

__all__ = ["USER_POOL_PROVIDER", "UserPoolClient", "UserPoolSpec", "check_client_metadata"]

#: The provider name of a user-pool session (events, status, the stored session record).
USER_POOL_PROVIDER = "userPool"


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


@dataclass(frozen=True)
class UserPoolSpec:
    """Who a user pool's app client is: a :class:`~nbauth.oidc.token_client.ClientSpec`."""

    region: str
    user_pool_id: str
    client_id: str
    logins_key: str | None = None
    name: str = USER_POOL_PROVIDER

    @property
    def issuer(self) -> str:
        """The ``iss`` of the pool's tokens."""
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @property
    def cognito(self) -> bool:
        """User-pool access tokens are JWTs with ``token_use``; they are verified too."""
        return True


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
        self._endpoint_url = config.user_pool_endpoint
        self.clock = clock
        self._spec = UserPoolSpec(
            region=self.region,
            user_pool_id=self.user_pool_id,
            client_id=self.client_id,
            logins_key=config.user_pool_logins_key,
        )
        self._verifier: TokenVerifier | None = None
        self._refresh_not_offered = False
        self._lock = threading.Lock()

    @property
    def spec(self) -> UserPoolSpec:
        return self._spec

    # -- plumbing -----------------------------------------------------------------------

    @property
    def client(self) -> Any:
        return unsigned_client("cognito-idp", self.region, self._endpoint_url)

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

    # -- the rest of TokenClient ----------------------------------------------------------

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
            if _not_offered(exc):
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

    def revoke(self, token: str) -> bool:
        """``RevokeToken`` for a refresh token."""
        self.call(
            "RevokeToken", Token=token, ClientId=self.client_id, ClientSecret=self._client_secret
        )
        return True


class _NotOffered(Exception):
    """The endpoint has no GetTokensFromRefreshToken."""


#: Error codes with which an endpoint says it has no such operation (AWS's JSON protocol answers
#: ``UnknownOperationException``; query-style and emulated endpoints the others).
_NOT_OFFERED_CODES = frozenset(
    {"UnknownOperationException", "InvalidAction", "NotImplemented", "UnsupportedOperation"}
)


def _not_offered(exc: AuthError) -> bool:
    """Does this error say the endpoint lacks the operation (older regions, emulators)?

    By code, or by kind: emulators (moto in server mode) answer an operation they don't
    implement with a bare HTTP 500, which maps to :class:`ServiceError`. The fallback is an
    equivalent call, so a 5xx here also means "use ``REFRESH_TOKEN_AUTH`` from now on".
    """
    return exc.name in _NOT_OFFERED_CODES or isinstance(exc, ServiceError)


def _username(tokens: OIDCTokens | None) -> str | None:
    if tokens is None:
        return None
    access = tokens.auth_tokens.access_token
    value = access.payload.get("username") if access is not None else None
    return value if isinstance(value, str) else None
