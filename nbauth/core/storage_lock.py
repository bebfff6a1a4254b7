"""One lock per stored key, shared by every thread and every process that uses the store.

Refreshing a shared session is *re-read, refresh, write*; all three happen under this lock, so
the process that gets it first refreshes and the others re-read what it wrote (a refresh token
that an IdP rotates is used once, never twice).

Why ``fcntl.flock`` (and not a lock *file* that exists while held, as ``filelock``'s soft locks
or msal-extensions do): the kernel releases a ``flock`` when its process dies, ``kill -9``
included, so a crashed refresher never leaves a stale lock behind; the waiters' bounded wait only
matters for a process that hangs *while holding* it. The lock file itself (0600, beside the
store's files) is never deleted, so two processes can't end up locking different inodes.
Where ``fcntl`` is missing (Windows) the lock is process-local.

Example::

    with storage_lock(storage, key, timeout=30):
        record = SessionRecord.load(storage, issuer, client_id)
        ...  # refresh with record.refresh_token, then save the rotated one
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import AuthError, UnsafeStorageError
from .storage import FileStorage, KeyValueStorage, check_private

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["LockTimeoutError", "storage_lock"]

log = logging.getLogger(__name__)
_POLL_SECONDS = 0.02
_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


class LockTimeoutError(AuthError):
    """Another process held the session's lock for longer than the bounded wait."""

    retryable = True
    default_recovery = (
        "Another process is refreshing this session and has not finished; try again. If a "
        "process hangs, stop it: its lock is released when it exits."
    )


def _thread_lock(name: str) -> threading.Lock:
    with _thread_locks_guard:
        lock = _thread_locks.get(name)
        if lock is None:
            lock = _thread_locks[name] = threading.Lock()
        return lock


def lock_path(storage: KeyValueStorage, key: str) -> Path | None:
    """The lock file of ``key`` in a file store (``None`` for stores without a directory)."""
    if not isinstance(storage, FileStorage):
        return None
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return storage.path / f"{digest}.lock"


def _open_lock_file(storage: FileStorage, path: Path) -> int | None:
    """Open (creating, 0600) the lock file, or ``None`` when it is not safe to use.

    Never through a symlink, never one another user owns or can write, never in a directory
    others can write: such a lock is ignored with a warning (as the store ignores such files)
    and the caller keeps the process-local lock, so a refresh is never blocked by it.
    """
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        storage.check_directory()
        try:
            fd = os.open(path, flags | getattr(os, "O_NONBLOCK", 0), 0o600)
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                raise
            raise UnsafeStorageError(
                f"The lock file {str(path)!r} is a symlink; nbauth never follows one."
            ) from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise UnsafeStorageError(f"The lock file {str(path)!r} is not a regular file.")
            check_private(st, f"The lock file {str(path)!r}")
        except BaseException:
            os.close(fd)
            raise
    except UnsafeStorageError as exc:
        log.warning("%s Other processes sharing the store are not locked out.", exc.message)
        return None
    return fd


@contextlib.contextmanager
def storage_lock(storage: KeyValueStorage, key: str, *, timeout: float = 30.0) -> Iterator[None]:
    """Hold the lock of ``key`` across threads and (for a file store) processes.

    Raises :class:`LockTimeoutError` after ``timeout`` seconds of waiting. A lock file that is
    a symlink, owned by another user or writable by others is not used (a warning says so).
    """
    path = lock_path(storage, key)
    name = f"{id(storage)}:{key}" if path is None else str(path)
    local = _thread_lock(name)
    deadline = time.monotonic() + timeout
    if not local.acquire(timeout=max(0.0, timeout)):
        raise LockTimeoutError(f"Timed out after {timeout:.0f} s waiting for the session lock.")
    try:
        fd = None
        if path is not None and fcntl is not None and isinstance(storage, FileStorage):
            fd = _open_lock_file(storage, path)
        if fd is None:
            yield
            return
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise LockTimeoutError(
                            f"Timed out after {timeout:.0f} s waiting for the session lock "
                            "another process holds."
                        ) from None
                    time.sleep(_POLL_SECONDS)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    finally:
        local.release()
