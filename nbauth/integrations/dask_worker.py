"""The worker side of :mod:`nbauth.integrations.dask`: the plugin that carries the client's
short-lived AWS credentials, and the sessions tasks make from it.

A :class:`SharedCredentialsPlugin` arrives pickled from the scheduler (on registration, on every
re-share, and when a worker joins later). Its ``setup`` files it in this process's memory under
its name; :func:`worker_session` and :func:`worker_storage_options` read the newest one on every
signed request, so a client made before a refresh signs with the credentials of after it.
Nothing is written to disk, and neither the plugin's ``repr`` nor any log line names a key.

Once the credentials expire with nothing newer shared (the client stopped sharing, closed, or
cannot refresh), requests raise :class:`~nbauth.errors.SharedCredentialsLapsedError` naming the
client, instead of AWS's ``ExpiredToken``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from ..core.values import AWSCredentials
from ..errors import NoCredentialsError, SharedCredentialsLapsedError
from .fsspec import live_aio_session

__all__ = [
    "DEFAULT_NAME",
    "SharedCredentialsPlugin",
    "forget_shared_credentials",
    "shared_credentials",
    "worker_session",
    "worker_storage_options",
]

log = logging.getLogger("nbauth.dask")

#: The plugin name :func:`~nbauth.integrations.dask.share_credentials` registers by default.
DEFAULT_NAME = "nbauth-credentials"

#: Credentials count as expired this long before their real expiry (capped at a tenth of their
#: lifetime), so a request is never signed with credentials that die on the way.
EXPIRY_SKEW_SECONDS = 10.0

_held: dict[str, SharedCredentialsPlugin] = {}
_held_lock = threading.Lock()
_aio_sessions: dict[str, Any] = {}


class SharedCredentialsPlugin(WorkerPlugin):  # type: ignore[misc]  # distributed is untyped
    """One snapshot of the client's AWS credentials, for every worker of a cluster.

    ``shared_by`` says which client shares them; ``sequence`` orders the snapshots of one
    sharing (``sharing_id``), so a late, older copy never replaces a newer one.
    """

    idempotent = False  # each registration replaces the previous snapshot on every worker

    def __init__(
        self,
        credentials: AWSCredentials,
        *,
        name: str = DEFAULT_NAME,
        region: str | None = None,
        endpoint_url: str | None = None,
        shared_by: str = "a Dask client",
        sharing_id: str = "",
        sequence: int = 0,
        shared_at: float | None = None,
    ) -> None:
        self.name = name
        self.credentials = credentials
        self.region = region
        self.endpoint_url = endpoint_url
        self.shared_by = shared_by
        self.sharing_id = sharing_id
        self.sequence = sequence
        self.shared_at = time.time() if shared_at is None else shared_at

    # -- WorkerPlugin ------------------------------------------------------------------------

    def setup(self, worker: Any = None) -> None:
        with _held_lock:
            held = _held.get(self.name)
            if (
                held is not None
                and held.sharing_id == self.sharing_id
                and held.sequence > self.sequence
            ):
                return  # an older snapshot arriving late (a worker joining mid-broadcast)
            _held[self.name] = self
        log.info(
            "AWS credentials %r shared by %s, valid until %s", self.name, self.shared_by,
            self.expires_iso,
        )  # fmt: skip

    def teardown(self, worker: Any = None) -> None:
        # Called when a re-share replaces this snapshot (just before the new one's setup) as
        # well as on removal: it cannot tell which, so it drops nothing. Withdrawing is
        # forget_shared_credentials(), run by CredentialsSharing.stop(withdraw=True).
        return None

    # -- reading -----------------------------------------------------------------------------

    @property
    def expires_iso(self) -> str | None:
        exp = self.credentials.expiration
        return exp.isoformat() if exp else None

    def usable_until(self) -> float:
        expires_at = self.credentials.expires_at
        if expires_at is None:
            return float("inf")
        skew = min(EXPIRY_SKEW_SECONDS, max(0.0, (expires_at - self.shared_at) / 10))
        return expires_at - skew

    def current(self, now: float) -> AWSCredentials:
        """The credentials, or :class:`SharedCredentialsLapsedError` once they are too old."""
        if now < self.usable_until():
            return self.credentials
        lapsed_at = self.expires_iso or "?"
        raise SharedCredentialsLapsedError(
            f"The AWS credentials shared with this worker by {self.shared_by} lapsed at "
            f"{lapsed_at} and no newer ones arrived: that client stopped sharing them, went "
            "away, or could not refresh them.",
            f"Keep {self.shared_by} running and signed in (its sign-in refreshes the "
            "credentials and re-shares them), or share them again from a signed-in client: "
            "nbauth.integrations.dask.share_credentials(client).",
            lapsed_at=lapsed_at,
            shared_by=self.shared_by,
        )

    def __repr__(self) -> str:
        return (
            f"SharedCredentialsPlugin(name={self.name!r}, shared_by={self.shared_by!r}, "
            f"sequence={self.sequence}, expiration={self.expires_iso!r}, credentials=<redacted>)"
        )

    __str__ = __repr__


def _plugin(name: str) -> SharedCredentialsPlugin:
    held = _held.get(name)
    if held is None:
        raise NoCredentialsError(
            f"No AWS credentials were shared with this process under {name!r}.",
            "Call nbauth.integrations.dask.share_credentials(client) on a signed-in client "
            "first, and read them in a task running on a worker of that client's cluster.",
        )
    return held


def shared_credentials(
    name: str = DEFAULT_NAME, *, clock: Callable[[], float] = time.time
) -> AWSCredentials:
    """The newest credentials shared with this worker under ``name`` (a memory read).

    Raises :class:`~nbauth.errors.NoCredentialsError` when none were shared here, and
    :class:`~nbauth.errors.SharedCredentialsLapsedError` once they expired.
    """
    return _plugin(name).current(clock())


def forget_shared_credentials(name: str = DEFAULT_NAME) -> bool:
    """Drop the credentials shared under ``name`` from this process; whether there were any."""
    with _held_lock:
        return _held.pop(name, None) is not None


def worker_session(name: str = DEFAULT_NAME, *, region_name: str | None = None) -> Any:
    """A ``boto3.Session`` for a task: its credentials are the shared ones, read on every
    request (so they follow every re-share), and its clients go to the configuration's
    ``nbauth.aws_endpoint_url`` when the client's configuration has one.

    Example (inside a task)::

        s3 = worker_session().client("s3")
        s3.get_object(Bucket="team-data", Key="public/data.csv")
    """
    from ..aws.boto3_credentials import LiveCredentials, make_boto3_session

    plugin = _plugin(name)
    plugin.current(time.time())  # fail now, typed, rather than at the first request
    credentials = LiveCredentials(lambda: shared_credentials(name), "nbauth-dask")
    return make_boto3_session(credentials, region_name or plugin.region, plugin.endpoint_url)


def worker_storage_options(name: str = DEFAULT_NAME) -> dict[str, Any]:
    """``storage_options`` for pandas/fsspec/s3fs in a task: S3 with the shared credentials,
    read on every signed request (one aiobotocore session per process and name, so s3fs's
    cached filesystem keeps working across re-shares).

    Example (inside a task)::

        pd.read_csv("s3://team-data/public/data.csv", storage_options=worker_storage_options())
    """
    from ..core.log_redaction import install_redaction

    install_redaction()  # botocore's sensitive names, now that botocore is loaded
    plugin = _plugin(name)
    plugin.current(time.time())
    with _held_lock:
        session = _aio_sessions.get(name)
        if session is None:
            session = _aio_sessions[name] = live_aio_session(
                lambda: shared_credentials(name), method="nbauth-dask", blocking=False
            )
    client_kwargs: dict[str, Any] = {}
    if plugin.region:
        client_kwargs["region_name"] = plugin.region
    if plugin.endpoint_url:
        client_kwargs["endpoint_url"] = plugin.endpoint_url
    options: dict[str, Any] = {"session": session}
    if client_kwargs:
        options["client_kwargs"] = client_kwargs
    return options
