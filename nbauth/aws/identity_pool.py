"""The Cognito identity-pool client: ``GetId``, ``GetCredentialsForIdentity``, ``GetOpenIdToken``.

These operations are unauthenticated in AWS (the Logins tokens are the
proof), so the boto3 client is unsigned, as a browser running Amplify would
call them. The endpoint follows botocore's conventions (``AWS_ENDPOINT_URL``,
``AWS_ENDPOINT_URL_COGNITO_IDENTITY``, a profile's ``services``).

botocore's own retries are off: the refresh engine owns retry and backoff, so
throttling is retried in one place, with jitter, and never blocks a caller
that could use still-valid credentials.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.config import Config

from ..core.log_redaction import install_redaction
from ..core.values import AWSCredentials
from .error_mapping import map_aws_error

__all__ = ["IdentityPoolClient"]

_CLIENT_CONFIG = Config(
    signature_version=UNSIGNED,
    retries={"total_max_attempts": 1, "mode": "standard"},
    connect_timeout=10,
    read_timeout=20,
    user_agent_appid="nbauth",
)


# Building a botocore client costs ~50 ms (endpoint data is parsed per session); clients are
# thread-safe, so one is shared per region and endpoint configuration across Auth objects.
_CLIENTS: dict[tuple[str, ...], Any] = {}
_CLIENTS_LOCK = threading.Lock()
_ENDPOINT_ENV = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_COGNITO_IDENTITY",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
)


def _shared_client(region: str) -> Any:
    key = (region, *(os.environ.get(name, "") for name in _ENDPOINT_ENV))
    client = _CLIENTS.get(key)
    if client is None:
        with _CLIENTS_LOCK:
            client = _CLIENTS.get(key)
            if client is None:
                client = boto3.Session().client(
                    "cognito-identity", region_name=region, config=_CLIENT_CONFIG
                )
                _CLIENTS[key] = client
    return client


class IdentityPoolClient:
    """A thin, typed wrapper of the three identity-pool calls nbauth needs."""

    def __init__(
        self,
        identity_pool_id: str,
        region: str,
        *,
        boto3_session: boto3.Session | None = None,
        client: Any = None,
    ) -> None:
        self.identity_pool_id = identity_pool_id
        self.region = region
        self._session = boto3_session
        self._client = client
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    install_redaction()
                    if self._session is not None:
                        self._client = self._session.client(
                            "cognito-identity", region_name=self.region, config=_CLIENT_CONFIG
                        )
                    else:
                        self._client = _shared_client(self.region)
        return self._client

    def _call(self, operation: str, method: str, **params: Any) -> dict[str, Any]:
        """Call ``method`` with the non-empty ``params``; errors become typed AuthErrors."""
        kwargs = {k: dict(v) if isinstance(v, Mapping) else v for k, v in params.items() if v}
        try:
            return getattr(self.client, method)(**kwargs)  # type: ignore[no-any-return]
        except Exception as exc:
            raise map_aws_error(exc, operation) from None

    def get_id(self, logins: Mapping[str, str]) -> str:
        """``GetId``: the identity id for these logins (guest when ``logins`` is empty)."""
        response = self._call(
            "GetId", "get_id", IdentityPoolId=self.identity_pool_id, Logins=logins
        )
        return str(response["IdentityId"])

    def get_credentials_for_identity(
        self,
        identity_id: str,
        logins: Mapping[str, str],
        custom_role_arn: str | None = None,
    ) -> tuple[str, AWSCredentials]:
        """``GetCredentialsForIdentity``: returns the identity id the service answered with
        (it differs from ``identity_id`` after identities were merged) and the credentials."""
        response = self._call(
            "GetCredentialsForIdentity",
            "get_credentials_for_identity",
            IdentityId=identity_id,
            Logins=logins,
            CustomRoleArn=custom_role_arn,
        )
        raw = response["Credentials"]
        credentials = AWSCredentials(
            access_key_id=raw["AccessKeyId"],
            secret_access_key=raw["SecretKey"],
            session_token=raw.get("SessionToken"),
            expiration=raw.get("Expiration"),
        )
        return str(response.get("IdentityId") or identity_id), credentials

    def get_open_id_token(self, identity_id: str, logins: Mapping[str, str]) -> tuple[str, str]:
        """``GetOpenIdToken``: a Cognito-issued OpenID token for the identity."""
        response = self._call(
            "GetOpenIdToken", "get_open_id_token", IdentityId=identity_id, Logins=logins
        )
        return str(response["IdentityId"]), str(response["Token"])
