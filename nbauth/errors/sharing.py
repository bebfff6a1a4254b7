"""Errors of credentials shared with other processes (Dask workers)."""

from __future__ import annotations

from .base import NoCredentialsError

__all__ = ["SharedCredentialsLapsedError"]


class SharedCredentialsLapsedError(NoCredentialsError):
    """Credentials another process shared (a Dask client with its workers) have expired and no
    newer ones arrived: the sharing client stopped, went away, or cannot refresh.

    Attributes (besides :class:`AuthError`'s): ``lapsed_at`` (an ISO-8601 UTC string) and
    ``shared_by`` (which client shared them). Raised on the worker, in place of AWS's own
    ``ExpiredToken``; it pickles whole, so a Dask client sees the same error from a task.
    """

    default_recovery = (
        "Keep the client that shares the credentials running and signed in, and share them "
        "again from a signed-in client: nbauth.integrations.dask.share_credentials(client)."
    )

    def __init__(
        self,
        message: str,
        recovery_suggestion: str | None = None,
        *,
        lapsed_at: str | None = None,
        shared_by: str | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(message, recovery_suggestion, name=name)
        self.lapsed_at = lapsed_at
        self.shared_by = shared_by
