"""The Cognito identity-pool client: ``GetId``, ``GetCredentialsForIdentity``, ``GetOpenIdToken``.

These operations are unauthenticated in AWS (the Logins tokens are the proof); the client is an
unsigned, shared one (see :mod:`nbauth.aws.unsigned_clients`). ``GetId`` and
``GetCredentialsForIdentity`` are paced process-wide under Cognito's quotas
(:mod:`nbauth.aws.rate_limit`): a caller waits for its turn rather than being throttled.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import boto3

from ..core.log_redaction import install_redaction
from ..core.values import AWSCredentials
from .bounded_send import bound_client
from .error_mapping import map_aws_error
from .rate_limit import RateLimiter, shared_limiter
from .unsigned_clients import CLIENT_CONFIG, unsigned_client

__all__ = ["IdentityPoolClient"]


class IdentityPoolClient:
    """A thin, typed wrapper of the three identity-pool calls nbauth needs."""

    def __init__(
        self,
        identity_pool_id: str,
        region: str,
        *,
        boto3_session: boto3.Session | None = None,
        client: Any = None,
        endpoint_url: str | None = None,
        rate_limiter: Callable[[str], RateLimiter | None] = shared_limiter,
    ) -> None:
        self.identity_pool_id = identity_pool_id
        self.region = region
        self.endpoint_url = endpoint_url
        self._session = boto3_session
        self._client = client
        self._lock = threading.Lock()
        self._rate_limiter = rate_limiter  # operation name -> its limiter (None: not paced)

    @property
    def client(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    install_redaction()
                    if self._session is not None:
                        self._client = bound_client(
                            self._session.client(
                                "cognito-identity",
                                region_name=self.region,
                                endpoint_url=self.endpoint_url,
                                config=CLIENT_CONFIG,
                            )
                        )
                    else:
                        self._client = unsigned_client(
                            "cognito-identity", self.region, self.endpoint_url
                        )
        return self._client

    def _call(self, operation: str, method: str, **params: Any) -> dict[str, Any]:
        """Call ``method`` with the non-empty ``params``; errors become typed AuthErrors."""
        kwargs = {k: dict(v) if isinstance(v, Mapping) else v for k, v in params.items() if v}
        limiter = self._rate_limiter(operation)
        if limiter is not None:
            limiter.acquire()  # waits for a turn; raises (retryable) past the request deadline
        try:
            response: dict[str, Any] = getattr(self.client, method)(**kwargs)  # boto3: a dict
            return response
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
