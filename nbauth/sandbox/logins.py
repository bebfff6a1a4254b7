"""Cognito's rules for the tokens in a ``Logins`` map.

Each key names a provider the identity pool trusts; its value is that
provider's ID token. A login is accepted when the key is one of the pool's
providers, the token is RS256-signed by that provider's key, ``iss`` matches
the key, ``aud`` is one of the provider's client ids, it has not expired and
(for user pools) it is an ID token. Refusals are ``NotAuthorizedException``
with Cognito's wording.

Supported keys:

* ``cognito-idp.<region>.amazonaws.com/<user pool id>`` — user pools in the
  pool's ``CognitoIdentityProviders`` (JWKS from moto at
  ``<endpoint>/<user pool id>/.well-known/jwks.json``);
* ``<issuer without scheme>`` — IAM OIDC providers in
  ``OpenIdConnectProviderARNs`` (JWKS via the issuer's discovery document);
* ``cognito-identity.amazonaws.com`` — tokens from ``GetOpenIdToken*``,
  signed by the sandbox itself.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from . import moto_backends
from .aws_errors import AwsError
from .identity_store import LoginRef
from .identity_tokens import (
    COGNITO_IDENTITY_ISSUER,
    COGNITO_IDENTITY_LOGINS_KEY,
    IdentityTokenIssuer,
)
from .moto_backends import IdentityPoolConfig
from .token_verification import JwksCache, TokenError, UnverifiedJwt, parse_jwt, verify_signature

__all__ = ["LoginVerifier", "VerifiedLogin", "logins_key_for_issuer"]

MSG_UNSUPPORTED = "Token is not from a supported provider of this identity pool."
MSG_NOT_OIDC = "Invalid login token. Not a valid OpenId Connect identity token."
MSG_ISSUER = "Invalid login token. Issuer doesn't match providerName"
MSG_AUDIENCE = "Invalid login token. Incorrect token audience."
MSG_SIGNATURE = "Invalid login token. Couldn't verify signed token."

_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def logins_key_for_issuer(issuer: str) -> str:
    """The Logins key Cognito uses for an OIDC issuer: no scheme, no trailing slash."""
    parts = urlsplit(issuer)
    return (parts.netloc + parts.path).rstrip("/")


@dataclass(frozen=True)
class VerifiedLogin:
    """A login that passed every check.

    ``kind`` is ``"user_pool"``, ``"oidc"`` or ``"identity"`` (a
    ``cognito-identity.amazonaws.com`` token: ``subject`` is an identity id).
    """

    key: str
    subject: str
    kind: str
    client_id: str | None = None

    @property
    def ref(self) -> LoginRef:
        """The ``(key, subject)`` pair the identity store links."""
        return (self.key, self.subject)


def _refuse(message: str) -> AwsError:
    return AwsError("NotAuthorizedException", message)


@dataclass(frozen=True)
class _Provider:
    key: str
    kind: str
    issuer: str  # expected ``iss``
    client_ids: tuple[str, ...]
    jwks_uri: Callable[[], str]


class LoginVerifier:
    """Verifies ``Logins`` maps against an identity pool's providers."""

    def __init__(
        self,
        jwks: JwksCache,
        identity_tokens: IdentityTokenIssuer,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._jwks = jwks
        self._identity_tokens = identity_tokens
        self._clock = clock
        self._issuer_urls: dict[str, str] = {}

    def register_issuer(self, issuer: str) -> str:
        """Remember an OIDC issuer's exact URL (scheme included); return its Logins key.

        IAM stores provider URLs without a scheme; without a registration the
        sandbox assumes ``http`` for loopback hosts and ``https`` otherwise.
        """
        key = logins_key_for_issuer(issuer)
        self._issuer_urls[key] = issuer.rstrip("/")
        return key

    def _issuer_url(self, key: str) -> str:
        if key in self._issuer_urls:
            return self._issuer_urls[key]
        scheme = "http" if urlsplit(f"//{key}").hostname in _LOOPBACK_HOSTS else "https"
        return f"{scheme}://{key}"

    def _provider(self, pool: IdentityPoolConfig, key: str, endpoint_url: str) -> _Provider:
        user_pool_clients = tuple(
            p.client_id for p in pool.user_pool_providers if p.provider_name == key
        )
        if user_pool_clients:
            user_pool_id = key.rsplit("/", 1)[-1]
            return _Provider(
                key=key,
                kind="user_pool",
                issuer=f"https://{key}",
                client_ids=user_pool_clients,
                jwks_uri=lambda: f"{endpoint_url}/{user_pool_id}/.well-known/jwks.json",
            )
        for arn in pool.oidc_provider_arns:
            provider = moto_backends.oidc_provider(arn)
            if provider is not None and provider.url.rstrip("/") == key:
                issuer = self._issuer_url(key)
                return _Provider(
                    key=key,
                    kind="oidc",
                    issuer=issuer,
                    client_ids=provider.client_ids,
                    jwks_uri=functools.partial(self._jwks.jwks_uri, issuer),
                )
        raise _refuse(MSG_UNSUPPORTED)

    def verify(
        self, pool: IdentityPoolConfig, logins: Mapping[str, Any], endpoint_url: str
    ) -> list[VerifiedLogin]:
        """Verify every entry of ``logins``; raise ``AwsError`` on the first refusal."""
        return [self.verify_one(pool, key, token, endpoint_url) for key, token in logins.items()]

    def verify_one(
        self, pool: IdentityPoolConfig, key: str, token: Any, endpoint_url: str
    ) -> VerifiedLogin:
        """Verify one ``Logins`` entry."""
        if not isinstance(token, str) or not isinstance(key, str):
            raise _refuse(MSG_NOT_OIDC)
        if key == COGNITO_IDENTITY_LOGINS_KEY:
            return self._verify_identity_token(pool, token)
        provider = self._provider(pool, key, endpoint_url)
        jwt = _parse(token)
        iss = jwt.claims.get("iss")
        if provider.kind == "user_pool":
            issuer_ok = iss == provider.issuer
        else:  # Cognito compares an OIDC issuer to its key without the scheme
            issuer_ok = isinstance(iss, str) and logins_key_for_issuer(iss) == key
        if not issuer_ok:
            raise _refuse(MSG_ISSUER)
        try:
            key_for_token = self._jwks.key(provider.jwks_uri(), jwt.header.get("kid"))
            verify_signature(jwt, key_for_token)
        except TokenError as exc:
            raise _refuse(MSG_NOT_OIDC if exc.reason == "algorithm" else MSG_SIGNATURE) from None
        self._check_expiry(jwt)
        if provider.kind == "user_pool" and jwt.claims.get("token_use") != "id":
            raise _refuse(MSG_NOT_OIDC)
        client_id = _matching_audience(jwt, provider.client_ids)
        return VerifiedLogin(
            key=key, subject=_subject(jwt), kind=provider.kind, client_id=client_id
        )

    def _verify_identity_token(self, pool: IdentityPoolConfig, token: str) -> VerifiedLogin:
        jwt = _parse(token)
        if jwt.claims.get("iss") != COGNITO_IDENTITY_ISSUER:
            raise _refuse(MSG_ISSUER)
        try:
            self._identity_tokens.verify_signature(jwt)
        except TokenError as exc:
            raise _refuse(MSG_NOT_OIDC if exc.reason == "algorithm" else MSG_SIGNATURE) from None
        self._check_expiry(jwt)
        _matching_audience(jwt, (pool.identity_pool_id,))
        return VerifiedLogin(
            key=COGNITO_IDENTITY_LOGINS_KEY, subject=_subject(jwt), kind="identity"
        )

    def _check_expiry(self, jwt: UnverifiedJwt) -> None:
        exp = jwt.claims.get("exp")
        if isinstance(exp, bool) or not isinstance(exp, (int, float)):
            raise _refuse(MSG_NOT_OIDC)
        now = int(self._clock())
        if now >= exp:
            raise _refuse(f"Invalid login token. Token expired: {now} >= {int(exp)}")


def _parse(token: str) -> UnverifiedJwt:
    try:
        jwt = parse_jwt(token)
    except TokenError:
        raise _refuse(MSG_NOT_OIDC) from None
    if jwt.header.get("alg") != "RS256":
        raise _refuse(MSG_NOT_OIDC)
    return jwt


def _matching_audience(jwt: UnverifiedJwt, client_ids: tuple[str, ...]) -> str:
    aud = jwt.claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    for audience in audiences:
        if isinstance(audience, str) and audience in client_ids:
            return audience
    raise _refuse(MSG_AUDIENCE)


def _subject(jwt: UnverifiedJwt) -> str:
    sub = jwt.claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise _refuse(MSG_NOT_OIDC)
    return sub
