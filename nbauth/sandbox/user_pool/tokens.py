"""User-pool tokens: Cognito-shaped ID and access JWTs, opaque refresh tokens, revocation.

JWTs are RS256-signed with moto's user-pool key (``kid`` "dummy", published by
moto at ``<endpoint>/<pool>/.well-known/jwks.json``), with
``iss = https://cognito-idp.<region>.amazonaws.com/<pool>`` — so the strict
identity-pool layer and any JWKS-based verifier accept them. ID tokens carry
``aud`` (the app client), ``token_use`` "id", ``cognito:username``,
``auth_time``, ``origin_jti``, ``event_id``, ``jti`` and the user's readable
attributes (``*_verified`` as booleans); access tokens carry ``client_id``,
``username``, ``scope`` "aws.cognito.signin.user.admin", ``origin_jti`` and
``jti``. Refresh tokens are opaque strings tracked here; they do not rotate
(unless the app client enables ``RefreshTokenRotation`` for
``GetTokensFromRefreshToken``). ``GlobalSignOut``, ``AdminUserGlobalSignOut``
and ``RevokeToken`` revoke refresh tokens and the access tokens minted from
them (by ``origin_jti``). Access tokens are also registered in moto's
``access_tokens`` map so moto-served operations (``ListDevices``…) know
them.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError

from ..idp.keys import SigningKey, moto_user_pool_key
from .clock import Clock
from .errors import AwsError, not_authorized

__all__ = ["ACCESS_SCOPE", "Lifetimes", "RefreshRecord", "TokenService"]

ACCESS_SCOPE = "aws.cognito.signin.user.admin"
_VERIFIED_ATTRIBUTES = ("email_verified", "phone_number_verified")


@dataclass
class Lifetimes:
    """Seconds until tokens issued from now on expire."""

    access: int = 3600
    id: int = 3600
    refresh: int = 30 * 86400


@dataclass(repr=False)
class RefreshRecord:
    """What a refresh token stands for."""

    client_id: str
    pool_id: str
    username: str
    sub: str
    origin_jti: str
    auth_time: int
    expires_at: float
    revoked: bool = False

    def __repr__(self) -> str:
        return f"<RefreshRecord {self.client_id} revoked={self.revoked}>"


def issuer_for(region: str, pool_id: str) -> str:
    """The ``iss`` of a user pool's tokens."""
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


class TokenService:
    """Mints, refreshes, verifies and revokes user-pool tokens; thread-safe."""

    def __init__(self, clock: Clock, key: SigningKey | None = None) -> None:
        self.clock = clock
        self.key = key or moto_user_pool_key()
        self.lifetimes = Lifetimes()
        self._refresh: dict[str, RefreshRecord] = {}
        self._revoked_origins: set[str] = set()
        self._access_by_origin: dict[str, list[tuple[Any, str]]] = {}
        self._lock = threading.Lock()

    # -- claims ----------------------------------------------------------------
    def id_claims(
        self,
        pool: Any,
        client_id: str,
        user: Any,
        *,
        origin_jti: str,
        auth_time: int,
        read_attributes: list[str],
    ) -> dict[str, Any]:
        """The ID token's claims before any pre-token-generation override."""
        now = int(self.clock.now())
        claims: dict[str, Any] = {}
        for attribute in user.attributes:
            name, value = attribute["Name"], attribute["Value"]
            if read_attributes and name not in read_attributes and name != "sub":
                continue
            claims[name] = value == "true" if name in _VERIFIED_ATTRIBUTES else value
        claims.update(
            {
                "sub": str(user.id),
                "iss": issuer_for(pool.region, pool.id),
                "cognito:username": str(user.username),
                "origin_jti": origin_jti,
                "aud": client_id,
                "event_id": str(uuid.uuid4()),
                "token_use": "id",
                "auth_time": auth_time,
                "exp": now + self.lifetimes.id,
                "iat": now,
                "jti": str(uuid.uuid4()),
            }
        )
        groups = sorted(group.group_name for group in user.groups)
        if groups:
            claims["cognito:groups"] = groups
        return claims

    def access_claims(
        self, pool: Any, client_id: str, user: Any, *, origin_jti: str, auth_time: int
    ) -> dict[str, Any]:
        """The access token's claims before any pre-token-generation override."""
        now = int(self.clock.now())
        claims: dict[str, Any] = {
            "sub": str(user.id),
            "iss": issuer_for(pool.region, pool.id),
            "client_id": client_id,
            "origin_jti": origin_jti,
            "event_id": str(uuid.uuid4()),
            "token_use": "access",
            "scope": ACCESS_SCOPE,
            "auth_time": auth_time,
            "exp": now + self.lifetimes.access,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "username": str(user.username),
        }
        groups = sorted(group.group_name for group in user.groups)
        if groups:
            claims["cognito:groups"] = groups
        return claims

    def sign(self, claims: dict[str, Any]) -> str:
        """An RS256 JWT with moto's key (``kid`` "dummy")."""
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key.private)

    # -- refresh tokens ----------------------------------------------------------
    def new_refresh_token(
        self, pool: Any, client_id: str, user: Any, auth_time: int
    ) -> tuple[str, str]:
        """``(refresh token, origin_jti)`` for a fresh authentication."""
        token = secrets.token_urlsafe(96)
        origin_jti = str(uuid.uuid4())
        record = RefreshRecord(
            client_id=client_id,
            pool_id=str(pool.id),
            username=str(user.username),
            sub=str(user.id),
            origin_jti=origin_jti,
            auth_time=auth_time,
            expires_at=self.clock.now() + self.lifetimes.refresh,
        )
        with self._lock:
            self._refresh[token] = record
        return token, origin_jti

    def redeem_refresh(self, token: str, client_id: str) -> RefreshRecord:
        """The live record of ``token`` for ``client_id``, or ``NotAuthorizedException``."""
        with self._lock:
            record = self._refresh.get(token)
        if record is None or record.client_id != client_id:
            raise not_authorized("Invalid Refresh Token")
        if record.revoked:
            raise not_authorized("Refresh Token has been revoked")
        if self.clock.now() >= record.expires_at:
            raise not_authorized("Refresh Token has expired")
        return record

    def rotate_refresh(self, token: str) -> str:
        """Replace a refresh token by a new one for the same authentication (rotation).

        The old token stops working; access tokens already minted keep working.
        """
        new_token = secrets.token_urlsafe(96)
        with self._lock:
            old = self._refresh[token]
            old.revoked = True
            self._refresh[new_token] = RefreshRecord(
                client_id=old.client_id,
                pool_id=old.pool_id,
                username=old.username,
                sub=old.sub,
                origin_jti=old.origin_jti,
                auth_time=old.auth_time,
                expires_at=self.clock.now() + self.lifetimes.refresh,
            )
        return new_token

    def lookup_refresh(self, token: str) -> RefreshRecord | None:
        """The record of ``token`` (live or not), or None."""
        with self._lock:
            return self._refresh.get(token)

    def revoke_refresh(self, token: str) -> None:
        """Revoke one refresh token and the access tokens minted from it."""
        with self._lock:
            record = self._refresh.get(token)
            if record is not None:
                self._revoke(record)

    def revoke_user(self, pool_id: str, sub: str) -> int:
        """Global sign-out: revoke every refresh (and access) token of a user."""
        with self._lock:
            records = [
                r
                for r in self._refresh.values()
                if r.pool_id == pool_id and r.sub == sub and not r.revoked
            ]
            for record in records:
                self._revoke(record)
            return len(records)

    def _revoke(self, record: RefreshRecord) -> None:
        record.revoked = True
        self._revoked_origins.add(record.origin_jti)
        for pool, access_token in self._access_by_origin.pop(record.origin_jti, []):
            pool.access_tokens.pop(access_token, None)

    def remember_access(self, pool: Any, access_token: str, claims: dict[str, Any]) -> None:
        """Let moto's token-based operations know the access token."""
        pool.access_tokens[access_token] = (claims["client_id"], claims["username"])
        with self._lock:
            self._access_by_origin.setdefault(claims["origin_jti"], []).append((pool, access_token))

    # -- access tokens -----------------------------------------------------------
    def verify_access(self, token: Any) -> dict[str, Any]:
        """The claims of a live access token this pool issued; ``NotAuthorizedException``
        "Invalid Access Token", "Access Token has expired" or "Access Token has been revoked"."""
        if not isinstance(token, str) or token.count(".") != 2:
            raise not_authorized("Invalid Access Token")
        try:
            decoded = jwt.decode(token, self.key.private, algorithms=["RS256"])
        except (JoseError, ValueError, TypeError):
            raise not_authorized("Invalid Access Token") from None
        claims = dict(decoded.claims)
        if claims.get("token_use") != "access" or not isinstance(claims.get("username"), str):
            raise not_authorized("Invalid Access Token")
        if self.clock.now() >= float(claims.get("exp", 0)):
            raise not_authorized("Access Token has expired")
        with self._lock:
            revoked = claims.get("origin_jti") in self._revoked_origins
        if revoked:
            raise not_authorized("Access Token has been revoked")
        return claims

    def token_kind(self, token: str) -> str | None:
        """``"access"``/``"id"`` for a JWT this pool signed, else None."""
        try:
            decoded = jwt.decode(token, self.key.private, algorithms=["RS256"])
        except (JoseError, ValueError, TypeError):
            return None
        kind = decoded.claims.get("token_use")
        return kind if isinstance(kind, str) else None


def pool_of_issuer(iss: Any) -> tuple[str, str]:
    """``(region, pool id)`` from a user-pool ``iss``; ``AwsError`` if malformed."""
    prefix = "https://cognito-idp."
    if not isinstance(iss, str) or not iss.startswith(prefix) or "/" not in iss[len(prefix) :]:
        raise AwsError("NotAuthorizedException", "Invalid Access Token")
    host, _, pool_id = iss[len(prefix) :].partition("/")
    return host.split(".", 1)[0], pool_id
