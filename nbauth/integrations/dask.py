"""Dask ``distributed``: tasks on every worker get AWS credentials that stay fresh.

The client process keeps the sign-in (its refresh token never leaves it). It shares only the
short-lived AWS credentials, as a worker plugin the scheduler sends to every worker and to
workers that join later, and shares them again after each refresh: one broadcast per refresh
whatever the number of workers, and Cognito sees only the client's own refreshes. Workers keep
them in memory only. See ``docs/dask.md`` for the costs at 1,000 workers and the security notes.

Example::

    from distributed import Client
    from nbauth.integrations.dask import share_credentials, worker_session, worker_storage_options

    client = Client(cluster)
    sharing = share_credentials(client)          # the default Auth, signed in

    def size(key):
        s3 = worker_session().client("s3")       # inside the task, on the worker
        return s3.head_object(Bucket="team-data", Key=key)["ContentLength"]

    client.gather(client.map(size, keys))
    df = dd.read_csv("s3://team-data/public/*.csv", storage_options=...)  # see docs/dask.md
    sharing.stop()
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import AuthError, InvalidParameterError
from .dask_worker import (
    DEFAULT_NAME,
    SharedCredentialsPlugin,
    forget_shared_credentials,
    shared_credentials,
    worker_session,
    worker_storage_options,
)

if TYPE_CHECKING:
    from ..auth import Auth
    from ..core.values import AWSCredentials

__all__ = [
    "DEFAULT_NAME",
    "CredentialsSharing",
    "SharedCredentialsPlugin",
    "share_credentials",
    "shared_credentials",
    "worker_session",
    "worker_storage_options",
]

log = logging.getLogger("nbauth.dask")

#: Auth events after which the credentials may have changed: re-check at once.
WAKE_EVENTS = frozenset(
    {"credentialsRefresh", "tokenRefresh", "federatedToIdentityPool", "signedIn"}
)
#: Auth events after which the person is no longer signed in: the workers drop the credentials.
END_EVENTS = frozenset({"signedOut", "federationToIdentityPoolCleared"})
#: Between checks without an event: half the credentials' remaining life, within these bounds.
MIN_CHECK_SECONDS = 1.0
MAX_CHECK_SECONDS = 300.0
#: After a failed broadcast (scheduler unreachable), try again this soon.
RETRY_SECONDS = 5.0


class CredentialsSharing:
    """Shares ``auth``'s AWS credentials with ``client``'s workers and keeps them fresh.

    A daemon thread re-shares whenever the credentials change: woken by the Auth's
    ``credentialsRefresh`` (and ``tokenRefresh``) events, and otherwise checking at half the
    credentials' remaining life (a memory read while they are fresh; asking for them when they
    are stale lets the Auth refresh them). Signing out (or clearing the federation) in the
    notebook withdraws them from the workers at once. :meth:`step` is one pass of that thread,
    callable from tests with a fake clock (``start=False``).
    """

    def __init__(
        self,
        client: Any,
        auth: Auth,
        *,
        name: str = DEFAULT_NAME,
        clock: Callable[[], float] = time.time,
        start: bool = True,
    ) -> None:
        if getattr(client, "asynchronous", False):
            raise InvalidParameterError(
                "share_credentials() needs a synchronous distributed.Client.",
                "Create the Client without asynchronous=True (it is used from a thread).",
            )
        self.client = client
        self.auth = auth
        self.name = name
        self.shared_by = (
            f"Dask client {getattr(client, 'id', '?')} on {socket.gethostname()} "
            f"(pid {os.getpid()})"
        )
        self.broadcasts = 0
        self._clock = clock
        self._sharing_id = uuid.uuid4().hex
        self._shared: AWSCredentials | None = None
        self._stopped = threading.Event()
        self._wake = threading.Event()
        self._signed_out = threading.Event()
        self._unsubscribe = auth.hub.listen("auth", self._on_auth_event)
        self._thread: threading.Thread | None = None
        if start:
            try:
                self.step()  # the first share happens now: a missing sign-in raises here, typed
            except BaseException:
                self._unsubscribe()
                raise
            self._thread = threading.Thread(
                target=self._run, name=f"nbauth-dask-share-{name}", daemon=True
            )
            self._thread.start()

    # -- the loop ----------------------------------------------------------------------------

    def step(self) -> float:
        """Share the credentials if they changed since the last broadcast; returns how long
        to wait before the next check. Raises only on the first share."""
        first = self._shared is None
        try:
            current = self.auth.current_credentials()
        except AuthError as exc:
            if first:
                raise
            log.warning(
                "Could not get AWS credentials to share (%s); workers keep the last ones "
                "until %s", exc.name, self.shared_until,
            )  # fmt: skip
            return self._delay_after_failure()
        if current != self._shared:
            try:
                self._broadcast(current)
            except Exception as exc:
                if first:
                    raise
                if self._client_closed():
                    log.info("The Dask client closed; workers keep the credentials until %s",
                             self.shared_until)  # fmt: skip
                    self._stopped.set()
                    return 0.0
                log.warning(
                    "Sharing refreshed AWS credentials failed (%s); retrying in %.0f s",
                    type(exc).__name__, RETRY_SECONDS,
                )  # fmt: skip
                return RETRY_SECONDS
        return self._delay(current)

    def _broadcast(self, credentials: AWSCredentials) -> None:
        config = self.auth.config
        plugin = SharedCredentialsPlugin(
            credentials,
            name=self.name,
            region=config.region,
            endpoint_url=config.aws_endpoint_url,
            shared_by=self.shared_by,
            sharing_id=self._sharing_id,
            sequence=self.broadcasts + 1,
            shared_at=self._clock(),
        )
        self.client.register_plugin(plugin, name=self.name)
        self._shared = credentials
        self.broadcasts += 1
        log.info("Shared AWS credentials %r with the Dask workers (valid until %s)",
                 self.name, plugin.expires_iso)  # fmt: skip

    def _delay(self, credentials: AWSCredentials) -> float:
        if credentials.expires_at is None:
            return MAX_CHECK_SECONDS
        remaining = credentials.expires_at - self._clock()
        return min(MAX_CHECK_SECONDS, max(MIN_CHECK_SECONDS, remaining / 2))

    def _delay_after_failure(self) -> float:
        shared = self._shared
        if shared is None or shared.expires_at is None:
            return RETRY_SECONDS
        return min(RETRY_SECONDS, max(MIN_CHECK_SECONDS, (shared.expires_at - self._clock()) / 4))

    def _client_closed(self) -> bool:
        return str(getattr(self.client, "status", "")) in ("closing", "closed")

    def _on_auth_event(self, capsule: dict[str, Any]) -> None:
        event = capsule.get("payload", {}).get("event")
        if event in END_EVENTS:  # withdrawn by the sharing thread: no network in a listener
            self._signed_out.set()
            self._wake.set()
        elif event in WAKE_EVENTS:
            self._wake.set()

    def _run(self) -> None:
        delay = 0.0
        while not self._stopped.is_set():
            self._wake.wait(delay)
            self._wake.clear()
            if self._stopped.is_set():
                break
            if self._signed_out.is_set():  # signing out in the notebook ends the workers' access
                try:
                    self.stop(withdraw=True)
                except Exception:
                    log.exception("Withdrawing the credentials from the Dask workers failed")
                break
            try:
                delay = self.step()
            except Exception:  # never let the thread die silently
                log.exception("Sharing AWS credentials with the Dask workers failed")
                delay = RETRY_SECONDS
        self._unsubscribe()

    # -- the handle --------------------------------------------------------------------------

    @property
    def wake_pending(self) -> bool:
        """Whether an auth event asked for a check the thread has not made yet."""
        return self._wake.is_set()

    @property
    def running(self) -> bool:
        return not self._stopped.is_set()

    @property
    def shared_until(self) -> str | None:
        """When the credentials the workers hold expire (ISO-8601 UTC), if any were shared."""
        shared = self._shared
        return shared.expiration.isoformat() if shared and shared.expiration else None

    def stop(self, *, withdraw: bool = False, timeout: float = 10.0) -> None:
        """Stop re-sharing. Workers keep the credentials they hold until these expire (running
        tasks finish); with ``withdraw=True`` the scheduler forgets the plugin and every
        current worker drops the credentials now."""
        self._stopped.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._unsubscribe()
        if withdraw and not self._client_closed():
            with contextlib.suppress(ValueError):  # already gone
                self.client.unregister_worker_plugin(self.name)
            self.client.run(forget_shared_credentials, self.name)

    def __enter__(self) -> CredentialsSharing:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return (
            f"CredentialsSharing(name={self.name!r}, shared_by={self.shared_by!r}, "
            f"broadcasts={self.broadcasts}, shared_until={self.shared_until!r}, "
            f"running={self.running})"
        )


def share_credentials(
    client: Any, auth: Auth | None = None, *, name: str = DEFAULT_NAME
) -> CredentialsSharing:
    """Share ``auth``'s AWS credentials (the default Auth if ``None``) with every worker of
    ``client``'s cluster, now and after each refresh; returns the handle (``.stop()``).

    Tasks read them with :func:`worker_session` and :func:`worker_storage_options`. Raises
    :class:`~nbauth.errors.NoCredentialsError` when ``auth`` has no credentials to share.
    """
    if auth is None:
        from ..api import current_auth

        auth = current_auth()
    return CredentialsSharing(client, auth, name=name)
