"""Read-only views of moto's in-process state, and STS credential minting.

moto's backends are process-global: every sandbox (and any ``mock_aws`` in the
same process) shares them. The strict identity-pool layer reads pool and IAM
configuration from here so that changes made through the API
(``UpdateIdentityPool``, ``CreateOpenIDConnectProvider``) apply at once.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from moto.cognitoidentity.models import cognitoidentity_backends
from moto.cognitoidp.models import cognitoidp_backends
from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import iam_backends
from moto.sts.models import sts_backends
from moto.utilities.utils import get_partition

from .issued_credentials import IssuedCredentials

__all__ = [
    "ACCOUNT_ID",
    "IdentityPoolConfig",
    "MintedCredentials",
    "OidcProviderConfig",
    "UserPoolProvider",
    "assume_role_with_web_identity",
    "assumed_role_credentials",
    "identity_pool_config",
    "oidc_provider",
    "role_exists",
    "role_id",
    "user_pool_exists",
    "user_pool_user_sub",
]

ACCOUNT_ID: str = DEFAULT_ACCOUNT_ID
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


@dataclass(frozen=True)
class UserPoolProvider:
    """One ``CognitoIdentityProviders`` entry: a user pool + app client."""

    provider_name: str  # cognito-idp.<region>.amazonaws.com/<pool id>
    client_id: str


@dataclass(frozen=True)
class IdentityPoolConfig:
    """What the strict layer needs to know about an identity pool."""

    identity_pool_id: str
    region: str
    allow_unauthenticated: bool
    developer_provider_name: str | None
    user_pool_providers: tuple[UserPoolProvider, ...]
    oidc_provider_arns: tuple[str, ...]


@dataclass(frozen=True)
class OidcProviderConfig:
    """An IAM OpenID Connect provider (``url`` is stored without scheme, as IAM does)."""

    arn: str
    url: str
    client_ids: tuple[str, ...]


@dataclass(frozen=True)
class MintedCredentials:
    """Temporary credentials from STS."""

    access_key_id: str
    secret_key: str
    session_token: str
    expiration: float  # epoch seconds


def _region_of(identity_pool_id: str) -> str:
    return identity_pool_id.split(":", 1)[0]


def identity_pool_config(identity_pool_id: str) -> IdentityPoolConfig | None:
    """The pool's configuration from moto, or None if moto has no such pool."""
    region = _region_of(identity_pool_id)
    if not _REGION_RE.match(region):
        return None
    try:
        backend = cognitoidentity_backends[ACCOUNT_ID][region]
    except KeyError:
        return None
    pool = backend.identity_pools.get(identity_pool_id)
    if pool is None:
        return None
    providers = tuple(
        UserPoolProvider(provider_name=p.get("ProviderName", ""), client_id=p.get("ClientId", ""))
        for p in (pool.cognito_identity_providers or [])
        if isinstance(p, dict)
    )
    return IdentityPoolConfig(
        identity_pool_id=identity_pool_id,
        region=region,
        allow_unauthenticated=bool(pool.allow_unauthenticated_identities),
        developer_provider_name=pool.developer_provider_name or None,
        user_pool_providers=providers,
        oidc_provider_arns=tuple(pool.open_id_connect_provider_arns or ()),
    )


def user_pool_exists(user_pool_id: str) -> bool:
    """True if moto has a user pool with this id (``<region>_<id>``)."""
    region = user_pool_id.rsplit("_", 1)[0]
    if not _REGION_RE.match(region):
        return False
    try:
        backend = cognitoidp_backends[ACCOUNT_ID][region]
    except KeyError:
        return False
    return user_pool_id in backend.user_pools


def user_pool_user_sub(user_pool_id: str, username: str) -> str | None:
    """The ``sub`` of a user pool user (the managed-login paths sign in as them), or None."""
    region = user_pool_id.rsplit("_", 1)[0]
    try:
        pool = cognitoidp_backends[ACCOUNT_ID][region].user_pools[user_pool_id]
    except KeyError:
        return None
    user = pool.users.get(username)
    return str(user.id) if user is not None else None


def _iam() -> Any:
    return iam_backends[ACCOUNT_ID]["aws"]


def oidc_provider(arn: str) -> OidcProviderConfig | None:
    """The IAM OIDC provider with this ARN, or None."""
    provider = _iam().open_id_providers.get(arn)
    if provider is None:
        return None
    return OidcProviderConfig(
        arn=arn, url=provider.url, client_ids=tuple(provider.client_id_list or ())
    )


def role_exists(role_arn: str) -> bool:
    """True if IAM has a role with exactly this ARN."""
    return any(role.arn == role_arn for role in _iam().get_roles())


def role_id(role_arn: str) -> str | None:
    """The role's unique id (``AROA…``), or None if IAM has no role with this ARN."""
    for role in _iam().get_roles():
        if role.arn == role_arn:
            return str(role.id)
    return None


def _epoch(expiration: datetime.datetime) -> float:
    if expiration.tzinfo is None:  # moto keeps naive UTC datetimes
        expiration = expiration.replace(tzinfo=datetime.timezone.utc)
    return expiration.timestamp()


def assumed_role_credentials(access_key_id: str) -> IssuedCredentials | None:
    """Credentials moto's STS minted (``AssumeRole*``) with this access key id, or None.

    Searches the default account's backend, where ``sts.assume_role`` made with the sandbox's
    admin key (and the strict identity pool) put them.
    """
    if not access_key_id.startswith("ASIA"):
        return None
    backend = sts_backends[ACCOUNT_ID]["aws"]
    role = backend.get_assumed_role_from_access_key(access_key_id)
    if role is None:
        return None
    return IssuedCredentials(
        access_key_id=role.access_key_id,
        secret_key=role.secret_access_key,
        session_token=role.session_token,
        expiration=_epoch(role.expiration),
        role_arn=role.role_arn,
        session_name=role.session_name,
    )


def assume_role_with_web_identity(
    *, role_arn: str, session_name: str, duration_seconds: int, region: str
) -> MintedCredentials:
    """STS ``AssumeRoleWithWebIdentity`` through moto's backend, in-process.

    In-process because botocore refuses ``DurationSeconds`` below 900 on the
    client side, while the sandbox also mints short-lived credentials for tests.
    moto's backend itself honours any duration.
    """
    backend = sts_backends[ACCOUNT_ID][get_partition(region)]
    role = backend.assume_role_with_web_identity(
        region_name=region,
        role_session_name=session_name,
        role_arn=role_arn,
        policy=None,
        duration=duration_seconds,
        external_id=None,
    )
    return MintedCredentials(
        access_key_id=role.access_key_id,
        secret_key=role.secret_access_key,
        session_token=role.session_token,
        expiration=_epoch(role.expiration),
    )
