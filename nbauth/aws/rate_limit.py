"""A process-wide token bucket per identity-pool operation, under Cognito's default quotas.

Cognito's default quotas per account are ``GetId`` 25 requests/s and
``GetCredentialsForIdentity`` 200 requests/s; above them it throttles
(``TooManyRequestsException``). A hub process holding a thousand sessions (a restart resumes
them all at once) would hit them, so nbauth paces its own calls: by default 20 and 150
requests/s, overridable by ``NBAUTH_GETID_RPS`` / ``NBAUTH_GCFI_RPS`` (a positive number;
anything else keeps the default), read when the process first calls the operation.

A bucket holds at most ``burst`` tokens (a quarter of a second's worth, so no one-second
window carries more than ``rate + burst``, still under the quota) and refills at ``rate``
per second. A caller takes a token or *waits* for one — bounded by the request deadline
(``NBAUTH_HTTP_DEADLINE_SECONDS``, 30 s): a wait that would be longer raises the retryable
:class:`~nbauth.errors.TooManyRequestsError` at once, without waiting, and the refresh engine
backs off. Clock and sleep are injectable for tests.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

from ..errors import TooManyRequestsError
from ..net.bounded_http import current_limits

__all__ = [
    "DEFAULT_RPS",
    "ENV_RPS",
    "RateLimiter",
    "rate_from_env",
    "set_shared_limiter",
    "shared_limiter",
]

#: Default requests per second, safely under Cognito's default quotas (25 and 200).
DEFAULT_RPS = {"GetId": 20.0, "GetCredentialsForIdentity": 150.0}
ENV_RPS = {"GetId": "NBAUTH_GETID_RPS", "GetCredentialsForIdentity": "NBAUTH_GCFI_RPS"}


class RateLimiter:
    """A token bucket: ``rate`` tokens a second, at most ``burst`` held."""

    def __init__(
        self,
        rate: float,
        *,
        burst: float | None = None,
        name: str = "call",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = max(1.0, rate / 4 if burst is None else burst)
        self.name = name
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._updated = clock()
        #: Calls that had to wait, and the total seconds they waited (for benchmarks).
        self.waited_calls = 0
        self.waited_seconds = 0.0

    def acquire(self, max_wait: float | None = None) -> float:
        """Take one token, sleeping until there is one; returns the seconds waited.

        Raises :class:`TooManyRequestsError` (without waiting) when the wait would exceed
        ``max_wait`` (default: the request deadline)."""
        limit = current_limits().total_seconds if max_wait is None else max_wait
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            wait = 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate
            if wait > limit:
                raise TooManyRequestsError(
                    f"nbauth paces {self.name} at {self.rate:g} requests/s in this process and "
                    f"the queue is longer than {limit:g} s.",
                    recovery_suggestion=(
                        "Too many sessions refresh at once; nbauth retries with backoff. "
                        f"Raise {ENV_RPS.get(self.name, 'the rate')} if the account's quota "
                        "is higher."
                    ),
                )
            self._tokens -= 1  # may go negative: a reservation the next callers wait behind
            if wait > 0:
                self.waited_calls += 1
                self.waited_seconds += wait
        if wait > 0:
            self._sleep(wait)
        return wait


def rate_from_env(operation: str) -> float:
    """The rate for ``operation``: its environment variable if a positive number, else the
    default."""
    raw = os.environ.get(ENV_RPS.get(operation, ""), "")
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    return value if value > 0 and value != float("inf") else DEFAULT_RPS[operation]


_shared: dict[str, RateLimiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(operation: str) -> RateLimiter | None:
    """The process's limiter for ``operation`` (None for an operation nbauth does not pace)."""
    if operation not in DEFAULT_RPS:
        return None
    limiter = _shared.get(operation)
    if limiter is None:
        with _shared_lock:
            limiter = _shared.get(operation)
            if limiter is None:
                limiter = RateLimiter(rate_from_env(operation), name=operation)
                _shared[operation] = limiter
    return limiter


def set_shared_limiter(operation: str, limiter: RateLimiter | None) -> None:
    """Replace the process's limiter for ``operation`` (benchmarks with a simulated clock);
    ``None`` forgets it, so the next call builds one from the environment again."""
    with _shared_lock:
        if limiter is None:
            _shared.pop(operation, None)
        else:
            _shared[operation] = limiter
