"""Session values: AWS credentials, tokens and the session, with redacting reprs.

Secrets live in plain attributes; ``repr()`` shows only hints, so printing a
session in a notebook never leaks it.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping
from typing import Any, NamedTuple

from ..errors import InvalidParameterError, InvalidTokenError
from .jwt import JWT, decode_jwt
from .redaction import REDACTED, hint

__all__ = [
    "AWSCredentials",
    "AuthSession",
    "AuthTokens",
    "CredentialsAndIdentityId",
    "FederateToIdentityPoolResult",
    "OpaqueToken",
    "SignInResult",
]


class AWSCredentials:
    """Temporary AWS credentials with their real expiry.

    Attributes use Amplify's names in snake_case: ``access_key_id``,
    ``secret_access_key``, ``session_token``, ``expiration`` (an aware UTC
    ``datetime``). ``expires_at`` is the same instant as epoch seconds.
    """

    __slots__ = ("access_key_id", "expiration", "expires_at", "secret_access_key", "session_token")

    def __init__(
        self,
        access_key_id: str,
        secret_access_key: str,
        session_token: str | None = None,
        expiration: _dt.datetime | float | None = None,
    ) -> None:
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.session_token = session_token
        if isinstance(expiration, str):
            try:
                expiration = _dt.datetime.fromisoformat(expiration.replace("Z", "+00:00"))
            except ValueError:
                raise InvalidParameterError(
                    f"expiration {expiration!r} is not an ISO-8601 timestamp."
                ) from None
        if isinstance(expiration, (int, float)) and not isinstance(expiration, bool):
            expiration = _dt.datetime.fromtimestamp(float(expiration), tz=_dt.timezone.utc)
        elif isinstance(expiration, _dt.datetime):
            if expiration.tzinfo is None:
                expiration = expiration.replace(tzinfo=_dt.timezone.utc)
            expiration = expiration.astimezone(_dt.timezone.utc)
        elif expiration is not None:
            raise InvalidParameterError(
                "expiration must be a datetime, epoch seconds or an ISO-8601 string, not "
                f"{type(expiration).__name__}."
            )
        self.expiration: _dt.datetime | None = expiration
        self.expires_at: float | None = expiration.timestamp() if expiration else None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AWSCredentials) and (
            self.access_key_id,
            self.secret_access_key,
            self.session_token,
            self.expires_at,
        ) == (other.access_key_id, other.secret_access_key, other.session_token, other.expires_at)

    __hash__ = None  # type: ignore[assignment]  # unhashable: __eq__ compares values

    def __repr__(self) -> str:
        exp = self.expiration.isoformat() if self.expiration else None
        return (
            f"AWSCredentials(access_key_id={hint(self.access_key_id)!r}, "
            f"secret_access_key={REDACTED!r}, session_token={REDACTED!r}, expiration={exp!r})"
        )

    __str__ = __repr__


class CredentialsAndIdentityId(NamedTuple):
    """What a credentials provider returns (Amplify's ``CredentialsAndIdentityId``)."""

    credentials: AWSCredentials
    identity_id: str | None = None


class FederateToIdentityPoolResult(NamedTuple):
    """The result of :func:`nbauth.federate_to_identity_pool`."""

    identity_id: str
    credentials: AWSCredentials


class OpaqueToken:
    """An access token that is not a JWT, as the identity provider issued it.

    Many IdPs (Google, Auth0 without an API audience, oidc-provider by default) issue access
    tokens only the provider itself can read. The client knows the string and how long the
    provider said it lives, nothing more. Its API mirrors :class:`~nbauth.JWT` so code reading
    ``tokens.access_token`` works for either:

    * ``to_string()`` gives the token as issued (send it as the bearer token);
    * ``expires_at`` is epoch seconds, from the token response's ``expires_in`` taken at receipt,
      or ``None`` when the provider did not say;
    * ``payload`` and ``header`` are always empty dicts (there are no claims to read), and
      ``issuer``/``subject`` are ``None``: ask the ID token who the user is.

    ``repr()``/``str()`` never show the token (as a JWT's). Equal when the strings are equal;
    pickles like a JWT (keep it where secrets may live).
    """

    __slots__ = ("_raw", "expires_at")

    def __init__(self, raw: str, expires_at: float | None = None) -> None:
        if not isinstance(raw, str) or not raw.strip():
            raise InvalidTokenError("An opaque token must be a non-empty string.")
        if expires_at is not None and (
            isinstance(expires_at, bool)
            or not isinstance(expires_at, (int, float))
            or not math.isfinite(expires_at)
        ):
            raise InvalidTokenError("An opaque token's expires_at must be finite epoch seconds.")
        self._raw = raw.strip()
        self.expires_at: float | None = None if expires_at is None else float(expires_at)

    def to_string(self) -> str:
        """The token, as issued (what a JWT's ``to_string()`` gives)."""
        return self._raw

    @property
    def payload(self) -> dict[str, Any]:
        """Always ``{}``: an opaque token has no claims the client can read."""
        return {}

    @property
    def header(self) -> dict[str, Any]:
        """Always ``{}``: an opaque token has no JOSE header."""
        return {}

    @property
    def issuer(self) -> None:
        return None

    @property
    def subject(self) -> None:
        return None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OpaqueToken) and other._raw == self._raw

    def __hash__(self) -> int:
        return hash(self._raw)

    def __reduce__(self) -> tuple[Any, ...]:
        return (OpaqueToken, (self._raw, self.expires_at))

    def __repr__(self) -> str:
        exp = None if self.expires_at is None else int(self.expires_at)
        return f"OpaqueToken(expires_at={exp!r}, token={REDACTED})"

    __str__ = __repr__


def _as_jwt(value: Any, field: str) -> JWT | None:
    if value is None or isinstance(value, JWT):
        return value
    if isinstance(value, str):
        return decode_jwt(value)
    raise InvalidTokenError(
        f"{field} must be a JWT string or nbauth JWT, got {type(value).__name__}."
    )


def _as_access_token(value: Any) -> JWT | OpaqueToken | None:
    # A string is read as a JWT (a malformed one stays an error); an opaque token is only ever
    # an OpaqueToken, made by whoever knows the token response (and so its expiry).
    if isinstance(value, OpaqueToken):
        return value
    if value is not None and not isinstance(value, (JWT, str)):
        raise InvalidTokenError(
            "access_token must be a JWT string, an nbauth JWT or an OpaqueToken, got "
            f"{type(value).__name__}."
        )
    return _as_jwt(value, "access_token")


class AuthTokens:
    """A user's tokens: ``id_token`` a decoded :class:`JWT`; ``access_token`` a :class:`JWT`, or
    an :class:`OpaqueToken` when the IdP's access tokens are not JWTs.

    Either way ``access_token.to_string()`` is the token to send as a bearer token. There must
    be an ID token or a JWT access token (something that names the user and can be federated).
    """

    __slots__ = ("access_token", "id_token")

    def __init__(
        self,
        access_token: JWT | OpaqueToken | str | None = None,
        id_token: JWT | str | None = None,
    ):
        self.access_token = _as_access_token(access_token)
        self.id_token = _as_jwt(id_token, "id_token")
        if self.id_token is None and not isinstance(self.access_token, JWT):
            raise InvalidTokenError(
                "AuthTokens needs an id_token or a JWT access_token."
                if self.access_token is None
                else "AuthTokens with an opaque access_token needs an id_token: the opaque token "
                "names no user and cannot be federated."
            )

    @classmethod
    def coerce(cls, value: Any) -> AuthTokens | None:
        """Accept what a custom token provider may return: AuthTokens, a dict, or None.

        Dict keys may be snake_case (``access_token``, ``id_token``) or
        Amplify's camelCase (``accessToken``, ``idToken``).
        """
        if value is None or isinstance(value, AuthTokens):
            return value
        if isinstance(value, Mapping):
            access = value.get("access_token", value.get("accessToken"))
            ident = value.get("id_token", value.get("idToken"))
            return cls(access_token=access, id_token=ident)
        raise InvalidTokenError(
            f"A token provider must return AuthTokens, a dict or None, not {type(value).__name__}.",
            "Return AuthTokens(access_token=..., id_token=...) from get_tokens().",
        )

    @property
    def federation_token(self) -> JWT:
        """The token an identity pool accepts: the ID token, else a JWT access token."""
        token = self.id_token
        if token is None and isinstance(self.access_token, JWT):
            token = self.access_token
        if token is None:  # __init__ refuses this; only a later assignment could get here
            raise InvalidTokenError("AuthTokens has neither an ID token nor a JWT access token.")
        return token

    @property
    def expires_at(self) -> float | None:
        """The earliest expiry of the tokens held (ID token ``exp``, a JWT access token's
        ``exp``, an opaque access token's ``expires_at``); ``None`` when none says."""
        known = [
            exp
            for exp in (
                self.id_token.expires_at if self.id_token is not None else None,
                self.access_token.expires_at if self.access_token is not None else None,
            )
            if exp is not None
        ]
        return min(known) if known else None

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, AuthTokens)
            and self.access_token == other.access_token
            and self.id_token == other.id_token
        )

    __hash__ = None  # type: ignore[assignment]  # unhashable: __eq__ compares values

    def __repr__(self) -> str:
        return f"AuthTokens(access_token={self.access_token!r}, id_token={self.id_token!r})"


class SignInResult(NamedTuple):
    """The outcome of a sign-in step (Amplify's ``SignInOutput``).

    ``next_step["sign_in_step"]`` is ``"DONE"`` when signed in, otherwise the step to do next.
    """

    is_signed_in: bool
    next_step: dict[str, Any]


class AuthSession(NamedTuple):
    """What :func:`nbauth.fetch_auth_session` returns (Amplify's ``AuthSession``).

    ``tokens`` is ``None`` for federated and guest sessions; ``credentials`` is
    ``None`` when no identity pool credentials can be had (signed out, no guest
    access).
    """

    tokens: AuthTokens | None
    credentials: AWSCredentials | None
    identity_id: str | None
    user_sub: str | None

    def __repr__(self) -> str:
        return (
            f"AuthSession(tokens={self.tokens!r}, credentials={self.credentials!r}, "
            f"identity_id={self.identity_id!r}, user_sub={self.user_sub!r})"
        )
