"""Key-value storage for what must survive a kernel restart (identity ids, later refresh tokens).

Three backends share one tiny contract (``get``/``set``/``remove``), as
Amplify's ``KeyValueStorageInterface``:

* :class:`MemoryStorage` — the default; gone with the process.
* :class:`FileStorage` — one file per key in a private directory (0700), each
  file 0600, written atomically (temp file, fsync, rename) so a crash never
  leaves a torn cache.
* :class:`KeyringStorage` — the OS keyring (``pip install nbauth[keyring]``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..errors import ConfigurationError

__all__ = [
    "FileStorage",
    "KeyValueStorage",
    "KeyringStorage",
    "MemoryStorage",
    "storage_from_config",
]


@runtime_checkable
class KeyValueStorage(Protocol):
    """Where nbauth keeps state between calls and restarts."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...

    def remove(self, key: str) -> None: ...


class MemoryStorage:
    """In-process storage (the default)."""

    def __init__(self) -> None:
        self._data: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        return self._data.get(key)

    def set(self, key: str, value: str) -> None:
        with self._lock:
            self._data[key] = value

    def remove(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def __repr__(self) -> str:
        return f"MemoryStorage({len(self._data)} keys)"


class FileStorage:
    """One JSON file per key under ``path`` (created 0700; files 0600; atomic writes)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        try:
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(self.path, 0o700)
        except OSError as exc:
            raise ConfigurationError(
                f"nbauth.storage.path: cannot use {str(self.path)!r} as a private directory "
                f"({exc.strerror}).",
                "Point nbauth.storage.path at a directory you own.",
                underlying=exc,
            ) from None
        self._lock = threading.Lock()

    def _file(self, key: str) -> Path:
        return self.path / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".json")

    def get(self, key: str) -> str | None:
        try:
            with open(self._file(key), encoding="utf-8") as fh:
                record = json.load(fh)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None  # unreadable or torn by a foreign writer: treat as absent, never crash
        if isinstance(record, dict) and record.get("key") == key:
            value = record.get("value")
            return value if isinstance(value, str) else None
        return None

    def set(self, key: str, value: str) -> None:
        target = self._file(key)
        with self._lock:
            fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump({"key": key, "value": value}, fh)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.chmod(tmp, 0o600)
                os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            with contextlib.suppress(OSError):
                dir_fd = os.open(self.path, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)

    def remove(self, key: str) -> None:
        with self._lock, contextlib.suppress(OSError):
            os.unlink(self._file(key))

    def __repr__(self) -> str:
        return f"FileStorage({str(self.path)!r})"


class KeyringStorage:
    """The operating system's keyring, under service name ``service``."""

    def __init__(self, service: str = "nbauth") -> None:
        try:
            import keyring
        except ImportError as exc:
            raise ConfigurationError(
                "nbauth.storage.kind is 'keyring' but the keyring package is not installed.",
                "pip install 'nbauth[keyring]', or use storage kind 'file' or 'memory'.",
                underlying=exc,
            ) from None
        self._keyring = keyring
        self.service = service

    def get(self, key: str) -> str | None:
        value = self._keyring.get_password(self.service, key)
        return value if isinstance(value, str) else None

    def set(self, key: str, value: str) -> None:
        self._keyring.set_password(self.service, key, value)

    def remove(self, key: str) -> None:
        with contextlib.suppress(self._keyring.errors.PasswordDeleteError):
            self._keyring.delete_password(self.service, key)

    def __repr__(self) -> str:
        return f"KeyringStorage({self.service!r})"


def storage_from_config(kind: str, path: str | None) -> KeyValueStorage:
    """Build the backend named by the ``nbauth.storage`` section."""
    if kind == "memory":
        return MemoryStorage()
    if kind == "file":
        default = Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "nbauth"
        return FileStorage(path or default)
    if kind == "keyring":
        return KeyringStorage()
    raise ConfigurationError(
        f"nbauth.storage.kind must be 'memory', 'file' or 'keyring', got {kind!r}.",
    )
