"""How secrets look when printed: never the value, at most a short hint."""

from __future__ import annotations

REDACTED = "<redacted>"


def hint(value: str | None, keep: int = 4) -> str | None:
    """Show only the last ``keep`` characters of an identifier (e.g. an access key id)."""
    if value is None:
        return None
    if len(value) <= keep * 2:
        return "****"
    return "****" + value[-keep:]
