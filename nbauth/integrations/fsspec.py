"""fsspec/s3fs (and so pandas, dask, xarray…) with nbauth's live credentials.

s3fs talks to S3 through aiobotocore. :func:`fsspec_storage_options` gives it an aiobotocore
session whose credential chain starts with nbauth's live credentials: every signed request
reads nbauth's current credentials (refreshed in the background, never handed out expired),
so one ``S3FileSystem`` — and pandas' cached one — keeps working across refreshes::

    df = pd.read_csv("s3://team-data/public/data.csv",
                     storage_options=nbauth.fsspec_storage_options())
    df.to_csv(f"s3://team-data/private/{identity_id}/out.csv",
              storage_options=nbauth.fsspec_storage_options())

The endpoint is the configuration's ``nbauth.aws_endpoint_url`` when it has one (the
sandbox's does), as for :meth:`Auth.boto3_session`; otherwise botocore's conventions apply
(``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_S3``, a profile's ``services``). The region is the
configuration's. Needs the ``data`` extra (``pip install 'nbauth[data]'``).
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..core.values import AWSCredentials

if TYPE_CHECKING:
    from ..auth import Auth

__all__ = ["aiobotocore_session", "fsspec_storage_options", "live_aio_session"]

_sessions: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_sessions_lock = threading.Lock()


def live_aio_session(
    source: Callable[[], AWSCredentials], *, method: str = "nbauth", blocking: bool = True
) -> Any:
    """An aiobotocore ``AioSession`` whose credential chain starts with credentials read from
    ``source()`` on every signed request. ``blocking``: ``source`` may wait on the network (a
    refresh), so it runs off the event loop's thread; a plain memory read need not."""
    from aiobotocore.credentials import AioCredentials  # type: ignore[import-untyped]
    from aiobotocore.session import AioSession  # type: ignore[import-untyped]
    from botocore.credentials import CredentialProvider, ReadOnlyCredentials

    class AioLiveCredentials(AioCredentials):  # type: ignore[misc]  # untyped base
        """aiobotocore credentials read live for every signed request."""

        def __init__(self) -> None:
            # The base __init__ would store static keys; these are read live instead.
            self.method = method
            self._account_id = None

        async def get_frozen_credentials(self) -> ReadOnlyCredentials:
            current = await asyncio.to_thread(source) if blocking else source()
            return ReadOnlyCredentials(
                current.access_key_id, current.secret_access_key, current.session_token, None
            )

        @property
        def access_key(self) -> str:
            return source().access_key_id

        @property
        def secret_key(self) -> str:
            return source().secret_access_key

        @property
        def token(self) -> str | None:
            return source().session_token

        @property
        def account_id(self) -> None:
            return None

        def __repr__(self) -> str:
            return f"AioLiveCredentials(method={method!r})"

    credentials = AioLiveCredentials()

    class LiveCredentialProvider(CredentialProvider):  # type: ignore[misc]
        METHOD = method
        CANONICAL_NAME = f"custom-{method}"

        async def load(self) -> Any:
            return credentials

    session = AioSession()
    session.get_component("credential_provider").insert_before("env", LiveCredentialProvider())
    return session


def _weak_source(auth: Auth) -> Callable[[], AWSCredentials]:
    """``auth.current_credentials`` without keeping ``auth`` alive (sessions are cached per
    Auth in a weak mapping)."""
    ref = weakref.ref(auth)

    def source() -> AWSCredentials:
        current = ref()
        if current is None:
            from ..errors import NoCredentialsError

            raise NoCredentialsError("The Auth behind these storage options is gone.")
        return current.current_credentials()

    return source


def aiobotocore_session(auth: Auth | None = None) -> Any:
    """An ``aiobotocore`` ``AioSession`` whose credentials are ``auth``'s live ones (the default
    Auth if ``None``); one per Auth, reused."""
    if auth is None:
        from ..api import current_auth

        auth = current_auth()
    with _sessions_lock:
        session = _sessions.get(auth)
        if session is not None:
            return session
        session = live_aio_session(_weak_source(auth))
        if auth.config.region:
            session.set_config_variable("region", auth.config.region)
        _sessions[auth] = session
        return session


def fsspec_storage_options(auth: Auth | None = None) -> dict[str, Any]:
    """``storage_options`` for pandas/fsspec/s3fs: S3 with ``auth``'s live credentials (the
    default Auth if ``None``).

    Example::

        pd.read_csv("s3://bucket/key.csv", storage_options=nbauth.fsspec_storage_options())
    """
    if auth is None:
        from ..api import current_auth

        auth = current_auth()
    session = aiobotocore_session(auth)
    options: dict[str, Any] = {"session": session}
    client_kwargs: dict[str, Any] = {}
    region = session.get_config_variable("region")
    if region:
        client_kwargs["region_name"] = region
    if auth.config.aws_endpoint_url:
        client_kwargs["endpoint_url"] = auth.config.aws_endpoint_url
    if client_kwargs:
        options["client_kwargs"] = client_kwargs
    return options
