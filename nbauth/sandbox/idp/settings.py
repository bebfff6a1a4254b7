"""Token lifetimes and device-flow timing of the sandbox IdP, changeable while it runs.

Every grant reads these at the moment it issues something, so a change applies
to the next token, code or device request (never to ones already issued).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields

__all__ = ["Lifetimes"]

_MAX_SECONDS = 10 * 365 * 86400


def _check(name: str, value: object, minimum: int) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not minimum <= value <= _MAX_SECONDS
    ):
        raise ValueError(f"{name} must be an int of seconds between {minimum} and {_MAX_SECONDS}")
    return value


@dataclass
class Lifetimes:
    """Seconds. ``device_poll_interval`` may be 0 (then polling is never too fast)."""

    access_token: int = 3600
    id_token: int = 3600
    refresh_token: int = 30 * 86400
    device_code: int = 600
    device_poll_interval: int = 5
    authorization_code: int = 300
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.update(**{f.name: getattr(self, f.name) for f in fields(self) if f.name != "_lock"})

    def update(self, **changes: int | None) -> None:
        """Set the given lifetimes (``None`` leaves one unchanged); all or nothing."""
        checked = {}
        for name, value in changes.items():
            if name.startswith("_") or not hasattr(self, name):
                raise TypeError(f"unknown lifetime {name!r}")
            if value is not None:
                checked[name] = _check(name, value, 0 if name == "device_poll_interval" else 1)
        with self._lock:
            for name, value in checked.items():
                setattr(self, name, value)
