"""boto3 wiring: live credentials in botocore's credential-provider chain.

:class:`LiveCredentials` is a ``botocore.credentials.Credentials`` whose
values come from nbauth's refresh engine. Every signed request calls
``get_frozen_credentials()``; here that is one clock read and a comparison
while the credentials are fresh (botocore's ``RefreshableCredentials``
recomputes the time left with timezone-aware datetimes on every request).
Because the object refreshes in place, clients created before a refresh keep
signing with fresh credentials.

Example::

    s3 = nbauth.boto3_session().client("s3")
    s3.list_objects_v2(Bucket="team-data")     # hours later: still works
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import botocore.session
from botocore.credentials import CredentialProvider, Credentials, ReadOnlyCredentials

from ..core.log_redaction import install_redaction
from ..core.values import AWSCredentials

__all__ = ["LiveCredentials", "NbauthCredentialProvider", "make_boto3_session"]


class LiveCredentials(Credentials):
    """botocore credentials that always reflect nbauth's current AWS credentials.

    ``source`` returns the current :class:`~nbauth.AWSCredentials` (refreshing
    them if needed) or raises a typed :class:`~nbauth.errors.AuthError`.
    """

    def __init__(self, source: Callable[[], AWSCredentials], method: str = "nbauth") -> None:
        # botocore's __init__ would store static keys; these are read live instead.
        self._source = source
        self._seen: AWSCredentials | None = None
        self._frozen: ReadOnlyCredentials | None = None
        self.method = method
        self.account_id = None

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        current = self._source()
        if current is self._seen:
            return self._frozen  # type: ignore[return-value]
        frozen = ReadOnlyCredentials(
            current.access_key_id, current.secret_access_key, current.session_token, None
        )
        self._frozen, self._seen = frozen, current
        return frozen

    @property  # type: ignore[override]
    def access_key(self) -> str:
        return self.get_frozen_credentials().access_key

    @property  # type: ignore[override]
    def secret_key(self) -> str:
        return self.get_frozen_credentials().secret_key

    @property  # type: ignore[override]
    def token(self) -> str | None:
        return self.get_frozen_credentials().token

    def __repr__(self) -> str:
        return f"LiveCredentials(method={self.method!r})"


class NbauthCredentialProvider(CredentialProvider):
    """The first link of botocore's chain: always answers with the live credentials."""

    METHOD = "nbauth"
    CANONICAL_NAME = "custom-nbauth"

    def __init__(self, credentials: LiveCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> LiveCredentials:
        return self._credentials


def make_boto3_session(
    credentials: LiveCredentials, region_name: str | None, **session_kwargs: Any
) -> boto3.Session:
    """A new ``boto3.Session`` whose credential chain starts with ``credentials``."""
    install_redaction()
    core = botocore.session.get_session()
    core.get_component("credential_provider").insert_before(
        "env", NbauthCredentialProvider(credentials)
    )
    return boto3.Session(botocore_session=core, region_name=region_name, **session_kwargs)
