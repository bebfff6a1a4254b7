"""boto3 wiring: live credentials in botocore's credential-provider chain.

:class:`LiveCredentials` is a ``botocore.credentials.Credentials`` whose
values come from nbauth's refresh engine. Every signed request calls
``get_frozen_credentials()``; here that is one clock read and a comparison
while the credentials are fresh (botocore's ``RefreshableCredentials``
recomputes the time left with timezone-aware datetimes on every request).
Because the object refreshes in place, clients created before a refresh keep
signing with fresh credentials.

If AWS still rejects the credentials as expired (clock skew, early revocation), the session's
``needs-retry`` hook refreshes them once and the call is retried with a new signature, so a
client from :func:`make_boto3_session` never surfaces ``ExpiredToken`` while a refresh is
possible.

Example::

    s3 = nbauth.boto3_session().client("s3")
    s3.list_objects_v2(Bucket="team-data")     # hours later: still works
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import boto3
import botocore.session
from botocore.credentials import CredentialProvider, Credentials, ReadOnlyCredentials

from ..core.log_redaction import install_redaction
from ..core.values import AWSCredentials

__all__ = [
    "EXPIRED_CREDENTIALS_CODES",
    "LiveCredentials",
    "NbauthCredentialProvider",
    "make_boto3_session",
]

log = logging.getLogger("nbauth.credentials")

#: Error codes with which AWS services reject credentials that expired or were revoked early.
EXPIRED_CREDENTIALS_CODES = frozenset(
    {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "InvalidToken"}
)


class LiveCredentials(Credentials):
    """botocore credentials that always reflect nbauth's current AWS credentials.

    ``source`` returns the current :class:`~nbauth.AWSCredentials` (refreshing
    them if needed) or raises a typed :class:`~nbauth.errors.AuthError`.
    """

    def __init__(
        self,
        source: Callable[[], AWSCredentials],
        method: str = "nbauth",
        *,
        refresh: Callable[[], AWSCredentials] | None = None,
    ) -> None:
        # botocore's __init__ would store static keys; these are read live instead.
        self._source = source
        self._refresh = refresh
        self._last: tuple[AWSCredentials, ReadOnlyCredentials] | None = None
        self.method = method
        self.account_id = None

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        current = self._source()
        last = self._last
        if last is not None and last[0] is current:
            return last[1]
        frozen = ReadOnlyCredentials(
            current.access_key_id, current.secret_access_key, current.session_token, None
        )
        self._last = (current, frozen)
        return frozen

    def refresh_rejected(self) -> bool:
        """AWS rejected credentials a request was signed with: refresh them, unless newer ones
        were handed out since (another thread's refresh is shared). Returns whether a retry
        may help."""
        if self._refresh is None:
            return False
        last = self._last  # the newest credentials handed to a signer (by any thread)
        if last is not None and self._source().access_key_id != last[0].access_key_id:
            return True  # refreshed since: the resend signs with the new ones
        self._refresh()
        return True

    # botocore declares the keys as plain attributes; here they are read-only views of the
    # live credentials (nothing in botocore assigns them on a credentials object it was given).

    @property
    def access_key(self) -> str:  # type: ignore[override]  # read-only, see above
        return self._source().access_key_id

    @property
    def secret_key(self) -> str:  # type: ignore[override]  # read-only, see above
        return self._source().secret_access_key

    @property
    def token(self) -> str | None:  # type: ignore[override]  # read-only, see above
        return self._source().session_token

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


def _retry_once_after_refresh(credentials: LiveCredentials) -> Callable[..., Any]:
    """A ``needs-retry`` handler: expired credentials are refreshed once and the call resent."""

    def needs_retry(response: Any = None, request_dict: Any = None, **_kwargs: Any) -> float | None:
        if not response or not isinstance(request_dict, dict):
            return None
        parsed = response[1] if isinstance(response, tuple) and len(response) > 1 else {}
        code = parsed.get("Error", {}).get("Code") if isinstance(parsed, dict) else None
        context = request_dict.setdefault("context", {})
        # A HEAD error has no body: S3 answers expired credentials with a bare 400 there.
        expired = code in EXPIRED_CREDENTIALS_CODES or (
            code == "400" and request_dict.get("method") == "HEAD"
        )
        if not expired or context.get("nbauth_refreshed"):
            return None
        context["nbauth_refreshed"] = True
        try:
            retry = credentials.refresh_rejected()
        except Exception as exc:  # the refresh failed: the caller sees AWS's own error
            log.warning("Refreshing rejected credentials failed (%s)", type(exc).__name__)
            return None
        if retry:
            log.info("AWS rejected the credentials (%s); refreshed them and retrying once", code)
            return 0.0
        return None

    return needs_retry


class EndpointSession(boto3.Session):
    """A ``boto3.Session`` whose clients (and resources) go to one configured endpoint unless
    a call names its own ``endpoint_url``: the configuration's ``nbauth.aws_endpoint_url``
    (a local emulator), set for this session only, never for the process."""

    def __init__(self, *args: Any, endpoint_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.endpoint_url = endpoint_url

    def client(self, *args: Any, **kwargs: Any) -> Any:
        if self.endpoint_url and len(args) < 6 and kwargs.get("endpoint_url") is None:
            kwargs["endpoint_url"] = self.endpoint_url  # boto3's resource() passes it by name
        return super().client(*args, **kwargs)


def make_boto3_session(
    credentials: LiveCredentials,
    region_name: str | None,
    endpoint_url: str | None = None,
    **session_kwargs: Any,
) -> boto3.Session:
    """A new ``boto3.Session`` whose credential chain starts with ``credentials`` and whose
    clients go to ``endpoint_url`` (``None``: where botocore decides)."""
    install_redaction()
    core = botocore.session.get_session()
    core.get_component("credential_provider").insert_before(
        "env", NbauthCredentialProvider(credentials)
    )
    # More specific than botocore's own "needs-retry.<service>" handler, so it is asked first.
    core.register("needs-retry.*.*", _retry_once_after_refresh(credentials))
    if endpoint_url:
        return EndpointSession(
            botocore_session=core,
            region_name=region_name,
            endpoint_url=endpoint_url,
            **session_kwargs,
        )
    return boto3.Session(botocore_session=core, region_name=region_name, **session_kwargs)
