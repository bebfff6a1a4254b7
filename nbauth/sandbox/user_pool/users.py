"""The user store: moto's user pools, clients and users, read and changed in-process.

moto (5.2.1) keeps ``cognitoidp_backends[account][region].user_pools[pool_id]``
with ``users`` (``CognitoIdpUser``: ``username``, ``id`` = sub, ``password`` in
clear, ``status``, ``enabled``, ``attributes``, ``sms_mfa_enabled``,
``software_token_mfa_enabled``, ``token_verified``, ``preferred_mfa_setting``),
``clients`` (``CognitoIdpUserPoolClient``: ``id``, ``secret``,
``generate_secret``, ``extended_config`` with ``ExplicitAuthFlows``,
``PreventUserExistenceErrors``, ``AuthSessionValidity``, ``ReadAttributes``),
``mfa_config`` (OFF/ON/OPTIONAL), ``sms_mfa_config``, ``token_mfa_config``
and ``extended_config`` (``Policies``, ``AutoVerifiedAttributes``,
``UsernameAttributes``, ``AccountRecoverySetting``, message templates).

What moto has no field for — a user's SRP salt, TOTP secret, email-OTP
factor, and the pool's email-OTP switch — lives in :class:`UserExtras`.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from moto.cognitoidp.models import CognitoIdpUser, UserStatus, cognitoidp_backends

from ..moto_backends import ACCOUNT_ID
from .errors import AwsError
from .mfa import SMS_MFA, SOFTWARE_TOKEN_MFA, PoolMfa, UserMfa
from .srp_server import new_salt_hex

__all__ = [
    "AppClient",
    "ExtraState",
    "UserExtras",
    "attributes",
    "check_password_policy",
    "create_user",
    "event_attributes",
    "find_client",
    "find_pool",
    "find_user",
    "pool_mfa",
    "set_status",
    "status",
    "update_attributes",
    "user_mfa",
]

_SYMBOLS = set("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")


@dataclass(frozen=True)
class AppClient:
    """An app client and its user pool (moto objects)."""

    pool: Any
    client: Any

    @property
    def client_id(self) -> str:
        """The app client id."""
        return str(self.client.id)

    @property
    def secret(self) -> str | None:
        """The client secret, or None for a public client."""
        return str(self.client.secret) if self.client.generate_secret else None

    @property
    def pool_id(self) -> str:
        """``<region>_<id>``."""
        return str(self.pool.id)

    @property
    def region(self) -> str:
        """The pool's region."""
        return str(self.pool.region)

    @property
    def pool_name(self) -> str:
        """The pool id without ``<region>_``: SRP's "pool name"."""
        return self.pool_id.split("_", 1)[1]

    def allows(self, flow: str) -> bool:
        """Whether ``ExplicitAuthFlows`` has ``ALLOW_<flow>`` (or the legacy name)."""
        flows = self.client.extended_config.get("ExplicitAuthFlows") or []
        legacy = {
            "USER_PASSWORD_AUTH": "USER_PASSWORD_AUTH",
            "CUSTOM_AUTH": "CUSTOM_AUTH_FLOW_ONLY",
        }
        return f"ALLOW_{flow}" in flows or legacy.get(flow) in flows

    @property
    def prevents_user_existence_errors(self) -> bool:
        """``PreventUserExistenceErrors`` is ``ENABLED``."""
        return self.client.extended_config.get("PreventUserExistenceErrors") == "ENABLED"

    @property
    def auth_session_seconds(self) -> int:
        """``AuthSessionValidity`` (minutes, 3 to 15; default 3) in seconds."""
        minutes = self.client.extended_config.get("AuthSessionValidity") or 3
        return int(minutes) * 60

    @property
    def read_attributes(self) -> list[str]:
        """``ReadAttributes`` (empty: all attributes are readable)."""
        return list(self.client.extended_config.get("ReadAttributes") or [])

    @property
    def refresh_token_rotation(self) -> bool:
        """``RefreshTokenRotation.Feature`` is ``ENABLED``."""
        rotation = self.client.extended_config.get("RefreshTokenRotation") or {}
        return isinstance(rotation, dict) and rotation.get("Feature") == "ENABLED"


def _backends() -> list[Any]:
    for _ in range(3):  # moto may add a region's backend while we look
        try:
            items = list(cognitoidp_backends[ACCOUNT_ID].items())
        except RuntimeError:
            continue
        return [backend for region, backend in items if region != "global"]
    return []


def find_client(client_id: str) -> AppClient:
    """The app client with this id in any region; ``ResourceNotFoundException`` if none."""
    for backend in _backends():
        for pool in list(backend.user_pools.values()):
            client = pool.clients.get(client_id)
            if client is not None:
                return AppClient(pool, client)
    raise AwsError("ResourceNotFoundException", f"User pool client {client_id} does not exist.")


def find_pool(user_pool_id: str) -> Any:
    """The moto user pool; ``ResourceNotFoundException`` if none."""
    region = user_pool_id.split("_", 1)[0]
    try:
        return cognitoidp_backends[ACCOUNT_ID][region].user_pools[user_pool_id]
    except KeyError:
        raise AwsError(
            "ResourceNotFoundException", f"User pool {user_pool_id} does not exist."
        ) from None


def find_user(pool: Any, username: str) -> CognitoIdpUser | None:
    """A user by username, a ``UsernameAttributes`` value, or a verified alias."""
    user = pool._get_user(username)
    if user is not None:
        return user
    aliases = pool.extended_config.get("AliasAttributes") or []
    for candidate in list(pool.users.values()):
        for alias in aliases:
            lookup = candidate.attribute_lookup
            if lookup.get(alias) == username and lookup.get(f"{alias}_verified") == "true":
                return candidate
    return None


def attributes(user: CognitoIdpUser) -> dict[str, str]:
    """The user's attributes (``sub`` included) as a dict."""
    return {a["Name"]: a["Value"] for a in user.attributes}


def status(user: CognitoIdpUser) -> str:
    """``UNCONFIRMED``, ``CONFIRMED``, ``FORCE_CHANGE_PASSWORD`` or ``RESET_REQUIRED``."""
    value = user.status
    return str(value.value if isinstance(value, UserStatus) else value)


def set_status(user: CognitoIdpUser, new_status: str) -> None:
    """Change the user's status."""
    user.status = UserStatus(new_status)


def event_attributes(user: CognitoIdpUser) -> dict[str, str]:
    """``request.userAttributes`` of a trigger event (with ``cognito:user_status``)."""
    return {**attributes(user), "cognito:user_status": status(user)}


def update_attributes(user: CognitoIdpUser, changes: dict[str, str]) -> None:
    """Set attributes (moto normalises the list and the lookup)."""
    if changes:
        user.update_attributes([{"Name": k, "Value": v} for k, v in changes.items()])


def create_user(
    pool: Any, username: str, password: str | None, attrs: dict[str, str], new_status: str
) -> CognitoIdpUser:
    """Add a user to moto's pool (``UsernameAttributes`` pools: the username is an alias)."""
    username_attributes = pool.extended_config.get("UsernameAttributes") or []
    internal: str | None = username
    attrs = dict(attrs)
    if username_attributes:
        kind = "email" if "@" in username else "phone_number"
        if kind not in username_attributes:
            raise AwsError(
                "InvalidParameterException",
                "Username should be either an email or a phone number.",
            )
        attrs[kind] = username
        internal = None  # moto then uses the sub as the username
    user = CognitoIdpUser(
        pool.id,
        internal,
        password,
        UserStatus(new_status),
        [{"Name": k, "Value": v} for k, v in attrs.items()],
    )
    pool.users[user.username] = user
    return user


def check_password_policy(pool: Any, password: str) -> None:
    """``InvalidPasswordException`` with Cognito's reason when the policy refuses."""
    policy = (pool.extended_config.get("Policies") or {}).get("PasswordPolicy") or {}
    problems = [
        (len(password) < int(policy.get("MinimumLength", 8)), "Password not long enough"),
        (
            policy.get("RequireUppercase", True) and not re.search(r"[A-Z]", password),
            "Password must have uppercase characters",
        ),
        (
            policy.get("RequireLowercase", True) and not re.search(r"[a-z]", password),
            "Password must have lowercase characters",
        ),
        (
            policy.get("RequireNumbers", True) and not re.search(r"\d", password),
            "Password must have numeric characters",
        ),
        (
            policy.get("RequireSymbols", True) and not any(c in _SYMBOLS for c in password),
            "Password must have symbol characters",
        ),
    ]
    for failed, reason in problems:
        if failed:
            raise AwsError(
                "InvalidPasswordException", f"Password does not conform to policy: {reason}"
            )


@dataclass
class ExtraState:
    """What the sandbox keeps for a user beyond moto's fields."""

    srp_salt: str
    totp_secret: str | None = None
    pending_totp_secret: str | None = None
    email_mfa: bool = False


class UserExtras:
    """Per-user extras keyed by (pool id, sub), and the pools' email-OTP switches."""

    def __init__(self) -> None:
        self._users: dict[tuple[str, str], ExtraState] = {}
        self._pool_email: dict[str, bool] = {}
        self._lock = threading.Lock()

    def of(self, user: CognitoIdpUser) -> ExtraState:
        """The user's extras (created with a fresh SRP salt on first use)."""
        key = (str(user.user_pool_id), str(user.id))
        with self._lock:
            state = self._users.get(key)
            if state is None:
                state = self._users[key] = ExtraState(srp_salt=new_salt_hex())
            return state

    def set_pool_email(self, user_pool_id: str, enabled: bool) -> None:
        """Turn the pool's EMAIL_OTP factor on or off."""
        with self._lock:
            self._pool_email[user_pool_id] = enabled

    def pool_email(self, user_pool_id: str) -> bool:
        """Whether the pool allows EMAIL_OTP."""
        with self._lock:
            return self._pool_email.get(user_pool_id, False)


def pool_mfa(pool: Any, extras: UserExtras) -> PoolMfa:
    """The pool's MFA mode and factors (SMS: an ``SmsMfaConfiguration`` is set)."""
    token = pool.token_mfa_config or {}
    return PoolMfa(
        mode=str(pool.mfa_config or "OFF"),
        sms=bool(pool.sms_mfa_config),
        totp=bool(token.get("Enabled")),
        email=extras.pool_email(pool.id),
    )


def user_mfa(user: CognitoIdpUser, extras: UserExtras) -> UserMfa:
    """The user's MFA factors and preference."""
    preferred = user.preferred_mfa_setting or None
    return UserMfa(
        sms=bool(user.sms_mfa_enabled),
        totp=bool(user.software_token_mfa_enabled),
        email=extras.of(user).email_mfa,
        preferred=preferred if preferred in (SMS_MFA, SOFTWARE_TOKEN_MFA, "EMAIL_OTP") else None,
        has_phone="phone_number" in user.attribute_lookup,
    )
