"""Key-value storage for what must survive a kernel restart (identity ids, later refresh tokens).

Three backends share one tiny contract (``get``/``set``/``remove``), as
Amplify's ``KeyValueStorageInterface``:

* :class:`MemoryStorage` — the default; gone with the process.
* :class:`FileStorage` — one file per key in a private directory (0700), each
  file 0600, written atomically (temp file, fsync, rename) so a crash never
  leaves a torn cache. Reads trust only what the current user alone could have
  written: a file owned by another user, a file or directory writable by group or
  others, a symlink or anything but a regular file is never read (see
  :meth:`FileStorage.read`).
* :class:`KeyringStorage` — the OS keyring (``pip install nbauth[keyring]``).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..errors import ConfigurationError, UnsafeStorageError
from .install_hints import pip_install_hint

__all__ = [
    "FileStorage",
    "KeyValueStorage",
    "KeyringStorage",
    "MemoryStorage",
    "check_private",
    "storage_from_config",
]

log = logging.getLogger(__name__)

#: A stored value larger than this is not nbauth's (tokens are a few kB): read as absent.
MAX_FILE_BYTES = 1 << 20
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO planted in the store never blocks a read


def check_private(st: os.stat_result, what: str) -> None:
    """Raise :class:`UnsafeStorageError` unless ``st`` is owned by this user and not writable by
    group or others (POSIX; elsewhere nothing to check)."""
    if not hasattr(os, "geteuid"):  # pragma: no cover - Windows
        return
    uid = os.geteuid()
    if st.st_uid != uid:
        raise UnsafeStorageError(
            f"{what} is owned by uid {st.st_uid}, not by you (uid {uid}); nbauth ignores it."
        )
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnsafeStorageError(
            f"{what} is writable by other users (mode {stat.S_IMODE(st.st_mode):04o}); "
            "nbauth ignores it."
        )


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

    def check_directory(self) -> None:
        """Raise :class:`UnsafeStorageError` if the directory is no longer private to this user
        (another owner, or writable by group or others)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return  # deleted: nothing in it to distrust (reads find nothing, writes fail)
        check_private(st, f"The store directory {str(self.path)!r}")

    def read(self, key: str) -> str | None:
        """The value of ``key``; ``None`` when absent or unreadable (torn, garbage, too large).

        Raises :class:`UnsafeStorageError` when the file — or the directory — could have been
        written by someone else: owned by another user, writable by group or others, a symlink
        (never followed) or not a regular file. :meth:`get` turns that into "absent".
        """
        self.check_directory()
        path = self._file(key)
        what = f"The store file {str(path)!r}"
        try:
            fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnsafeStorageError(
                    f"{what} is a symlink; nbauth never follows one."
                ) from None
            return None  # unreadable: treat as absent, never crash
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise UnsafeStorageError(f"{what} is not a regular file; nbauth ignores it.")
            check_private(st, what)
            data = _read_capped(fd)
        finally:
            os.close(fd)
        return None if data is None else _value_of(data, key)

    def get(self, key: str) -> str | None:
        """The value of ``key``, or ``None``; an unsafe file reads as absent, with a warning.

        Ignoring (rather than raising) keeps "nothing is lost": the file is left in place for the
        user to inspect, it never held anything this user wrote that others could not have
        changed, and the next :meth:`set` replaces it atomically with a private file.
        """
        try:
            return self.read(key)
        except UnsafeStorageError as exc:
            log.warning("%s", exc.message)
            return None

    def set(self, key: str, value: str) -> None:
        """Write ``value`` atomically (0600); :class:`UnsafeStorageError` if the directory is
        no longer private (a secret is never written where others can read or swap it)."""
        target = self._file(key)
        self.check_directory()
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
        """Delete ``key`` (a symlink is removed, never its target)."""
        with self._lock, contextlib.suppress(OSError):
            os.unlink(self._file(key))

    def __repr__(self) -> str:
        return f"FileStorage({str(self.path)!r})"


def _read_capped(fd: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_FILE_BYTES:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return None
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    return None


def _value_of(data: bytes, key: str) -> str | None:
    try:
        record: Any = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeError, RecursionError):
        return None  # torn by a crash or a foreign writer: treat as absent, never crash
    if isinstance(record, dict) and record.get("key") == key:
        value = record.get("value")
        return value if isinstance(value, str) else None
    return None


class KeyringStorage:
    """The operating system's keyring, under service name ``service``."""

    def __init__(self, service: str = "nbauth") -> None:
        try:
            import keyring
        except ImportError as exc:
            raise ConfigurationError(
                "nbauth.storage.kind is 'keyring' but the keyring package is not installed.",
                f"{pip_install_hint('keyring')}, or use storage kind 'file' or 'memory'.",
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
