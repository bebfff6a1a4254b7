"""Token sources: where the identity pool's login comes from.

Every session's AWS credentials come from one pipeline
(:mod:`nbauth.auth.credentials_pipeline`), fed by at most one token source:

* :class:`UserTokenSource` — a :class:`~nbauth.TokenProvider`: a user signed in through
  nbauth's flows, or the custom token provider of ``configure(token_provider=...)``. The
  Logins key comes from the token's ``iss`` unless the source fixes it.
* :class:`FederationTokenSource` — ``federate_to_identity_pool``: a token with a fixed Logins
  key, renewed through the configured token provider when it expires.

A source hands out a :class:`Login`: the token decoded once, with its Logins key.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ..core.jwt import JWT, decode_jwt
from ..core.logins import LoginsProvider, logins_key_from_issuer
from ..core.protocols import TokenProvider
from ..core.values import AuthTokens
from ..errors import AuthError, InvalidTokenError, NotAuthorizedError, ProviderTokenExpiredError

__all__ = [
    "FederationTokenSource",
    "Login",
    "TokenSource",
    "UserTokenSource",
    "check_issuer",
    "get_tokens",
    "token_skew",
]

#: A federated token this close to its ``exp`` (capped at a tenth of its lifetime) is renewed
#: before it is presented.
TOKEN_SKEW_SECONDS = 30.0


@dataclass(frozen=True)
class Login:
    """One login for the identity pool. ``token`` never shows in ``repr``."""

    logins_key: str
    token: str = field(repr=False)
    jwt: JWT | None = field(repr=False)  # None for an opaque token (e.g. Facebook's)
    tokens: AuthTokens | None = field(default=None, repr=False)  # a user's tokens
    developer_identity_id: str | None = None
    custom_role_arn: str | None = None

    @property
    def subject(self) -> str | None:
        return self.jwt.subject if self.jwt is not None else None

    @property
    def logins(self) -> dict[str, str]:
        return {self.logins_key: self.token}


class TokenSource(Protocol):
    """What the credentials pipeline needs: the current login, or a new one on demand."""

    def login(self, *, force_refresh: bool = False) -> Login | None: ...


def get_tokens(provider: TokenProvider, force_refresh: bool) -> AuthTokens | None:
    """A token provider's tokens as :class:`AuthTokens`; its own failures become typed errors."""
    try:
        return AuthTokens.coerce(provider.get_tokens(force_refresh=force_refresh))
    except AuthError:
        raise
    except Exception as exc:
        raise NotAuthorizedError(
            f"The token provider failed: {type(exc).__name__}: {exc}",
            "Check your token provider's get_tokens(); nbauth keeps the current credentials.",
            underlying=exc,
        ) from None


class UserTokenSource:
    """Logins from a :class:`~nbauth.TokenProvider` (a signed-in user or a custom provider)."""

    def __init__(self, provider: TokenProvider, logins_key: str | None = None) -> None:
        self.provider = provider
        self.logins_key = logins_key

    def tokens(self, *, force_refresh: bool = False) -> AuthTokens | None:
        return get_tokens(self.provider, force_refresh)

    def login(self, *, force_refresh: bool = False) -> Login | None:
        tokens = self.tokens(force_refresh=force_refresh)
        return None if tokens is None else self.login_for(tokens)

    def login_for(self, tokens: AuthTokens) -> Login:
        jwt = tokens.federation_token
        key = self.logins_key
        if key is None:
            if not jwt.issuer:
                raise InvalidTokenError(
                    "The token has no 'iss' claim, so nbauth cannot tell which provider issued it.",
                    "Return an ID token from your token provider, or federate with an explicit "
                    "provider.",
                )
            key = logins_key_from_issuer(jwt.issuer)
        return Login(key, jwt.to_string(), jwt, tokens)

    def __repr__(self) -> str:
        return f"UserTokenSource({type(self.provider).__name__})"


class FederationTokenSource:
    """The token given to ``federate_to_identity_pool``, renewed by a token provider.

    While the token is valid it is presented as is; once it expires (or the identity pool says
    so, ``force_refresh``) the configured token provider is asked for a new one. Without one,
    ``on_expired`` is told and :class:`~nbauth.errors.ProviderTokenExpiredError` raised.
    """

    def __init__(
        self,
        provider: LoginsProvider,
        token: str,
        *,
        developer_identity_id: str | None = None,
        custom_role_arn: str | None = None,
        renew: TokenProvider | None = None,
        clock: Callable[[], float],
        on_expired: Callable[[str], None] | None = None,
    ) -> None:
        self.provider = provider
        self.developer_identity_id = developer_identity_id
        self.custom_role_arn = custom_role_arn
        self._renew = renew
        self._clock = clock
        self._on_expired = on_expired
        self._current = self._login(token)

    @property
    def current(self) -> Login:
        """The login presented now (no renewal, no network)."""
        return self._current

    @property
    def can_renew(self) -> bool:
        return self._renew is not None

    def _login(self, token: str) -> Login:
        try:
            jwt: JWT | None = decode_jwt(token)
        except InvalidTokenError:
            jwt = None  # opaque: the identity pool judges it
        if jwt is not None:
            check_issuer(jwt, self.provider.logins_key)  # before expiry: the real reason first
        return Login(
            self.provider.logins_key,
            token,
            jwt,
            None,
            self.developer_identity_id,
            self.custom_role_arn,
        )

    def login(self, *, force_refresh: bool = False) -> Login:
        current = self._current
        if force_refresh or _expired(current.jwt, self._clock()):
            current = self._current = self._login(self._new_token())
        return current

    def _new_token(self) -> str:
        tokens = get_tokens(self._renew, True) if self._renew is not None else None
        if tokens is None:
            key = self.provider.logins_key
            if self._on_expired is not None:
                self._on_expired(key)
            raise ProviderTokenExpiredError(
                f"The token from {key} has expired and no token provider supplied a new one.",
            )
        return tokens.federation_token.to_string()

    def __repr__(self) -> str:
        return f"FederationTokenSource(provider={self.provider.logins_key!r})"


def check_issuer(jwt: JWT, logins_key: str) -> None:
    """Refuse a JWT whose ``iss`` is not the provider it is federated as.

    An identity pool accepts an OpenID Connect token only under the Logins key that is its
    issuer without ``https://``, so a mismatch would be refused anyway; saying so here names the
    real problem (rather than, say, "expired" for a foreign token that is also old).
    """
    issuer = jwt.issuer
    if issuer is None:
        return  # not an OpenID Connect token: the identity pool judges it
    try:
        key = logins_key_from_issuer(issuer)
    except AuthError:
        key = issuer
    if key != logins_key:
        raise NotAuthorizedError(
            f"The token was issued by {issuer!r}, but it is federated as {logins_key!r}: the "
            "identity pool accepts a token only under its own issuer.",
            f"Pass the provider that issued it (AuthProvider.oidc({issuer!r})), or a token "
            f"issued by {logins_key}.",
            name="IssuerMismatch",
        )


def token_skew(jwt: JWT) -> float:
    """How long before ``exp`` a federated token counts as expired: ``TOKEN_SKEW_SECONDS``,
    capped at a tenth of the token's lifetime (``exp - iat``), as the refresh engine caps its
    expiry skew (:class:`~nbauth.core.refresh.RefreshPolicy`). A 60 s ID token is usable until
    6 s before it expires, not refused for half its life."""
    exp, iat = jwt.expires_at, jwt.payload.get("iat")
    if exp is None or isinstance(iat, bool) or not isinstance(iat, (int, float)):
        return TOKEN_SKEW_SECONDS
    if not math.isfinite(iat) or exp <= iat:
        return TOKEN_SKEW_SECONDS
    return min(TOKEN_SKEW_SECONDS, (exp - iat) * 0.1)


def _expired(jwt: JWT | None, now: float) -> bool:
    exp = jwt.expires_at if jwt is not None else None
    return exp is not None and jwt is not None and now >= exp - token_skew(jwt)
