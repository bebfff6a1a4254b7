"""The user-pool layer's clock: real time plus an offset tests can advance.

Session expiry (3 minutes), code expiry, token ``iat``/``exp``, refresh-token
expiry and TOTP windows all read this clock, so ``sb.advance_time(181)``
expires an auth session without sleeping. Only the user-pool layer uses it:
the identity-pool layer, moto and the IdP keep real time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["Clock"]


class Clock:
    """``now()`` is ``base()`` plus an offset in seconds; thread-safe."""

    def __init__(self, base: Callable[[], float] = time.time) -> None:
        self._base = base
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Current time in epoch seconds, shifted."""
        with self._lock:
            offset = self._offset
        return self._base() + offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` (>= 0); returns the total offset."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += float(seconds)
            return self._offset

    @property
    def offset(self) -> float:
        """Seconds added to real time."""
        with self._lock:
            return self._offset

    def reset(self) -> None:
        """Back to real time."""
        with self._lock:
            self._offset = 0.0
