"""Issue 11 "storage" findings: the file store reads only what this user alone could have written.

Before the fix ``FileStorage`` read files another user owned, files and directories writable by
others, and followed symlinks; a planted FIFO hung the read; a stored ``expires_at`` of 10**400
crashed ``SessionRecord.load`` and deeply nested JSON raised ``RecursionError``. Another owner is
simulated with ``os.chown`` (the tests run as root here; skipped otherwise).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from nbauth.core.session_record import SessionRecord, session_storage_key
from nbauth.core.storage import MAX_FILE_BYTES, FileStorage, MemoryStorage
from nbauth.core.storage_lock import lock_path, storage_lock
from nbauth.errors import UnsafeStorageError

pytestmark = pytest.mark.timeout(30)

OTHER_UID = 12345
as_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown to another uid needs root"
)


@pytest.fixture
def store(tmp_path: Path) -> FileStorage:
    fs = FileStorage(tmp_path / "cache")
    fs.set("k", "mine")
    return fs


def data_file(store: FileStorage) -> Path:
    (path,) = [p for p in store.path.iterdir() if p.suffix == ".json"]
    return path


def refused(store: FileStorage, caplog: pytest.LogCaptureFixture) -> UnsafeStorageError:
    """``read`` raises the typed error; ``get`` reads "absent" and warns."""
    with pytest.raises(UnsafeStorageError) as info:
        store.read("k")
    assert info.value.recovery_suggestion
    with caplog.at_level(logging.WARNING, logger="nbauth.core.storage"):
        assert store.get("k") is None
    assert any("ignores" in r.getMessage() or "never" in r.getMessage() for r in caplog.records)
    return info.value


@as_root
def test_a_file_owned_by_another_user_is_not_read(store: FileStorage, caplog) -> None:
    os.chown(data_file(store), OTHER_UID, -1)
    assert "owned by uid 12345" in refused(store, caplog).message


@as_root
def test_a_foreign_file_is_replaced_by_the_next_write_and_nothing_is_lost(
    store: FileStorage, caplog
) -> None:
    path = data_file(store)
    os.chown(path, OTHER_UID, -1)
    refused(store, caplog)
    assert path.exists()  # left in place for the user to inspect
    store.set("k", "fresh")
    assert store.get("k") == "fresh"
    assert path.stat().st_uid == os.geteuid()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("mode", [0o666, 0o620, 0o602, 0o622])
def test_a_file_writable_by_group_or_others_is_not_read(store: FileStorage, caplog, mode) -> None:
    os.chmod(data_file(store), mode)
    assert "writable by other users" in refused(store, caplog).message


@pytest.mark.parametrize("mode", [0o640, 0o644, 0o400])
def test_a_private_but_readable_file_is_still_read(store: FileStorage, mode) -> None:
    os.chmod(data_file(store), mode)
    assert store.get("k") == "mine"


def test_a_directory_opened_to_others_is_neither_read_nor_written(
    store: FileStorage, caplog
) -> None:
    os.chmod(store.path, 0o777)
    refused(store, caplog)
    with pytest.raises(UnsafeStorageError):
        store.set("k", "secret")
    os.chmod(store.path, 0o700)
    assert store.get("k") == "mine"


@as_root
def test_a_directory_owned_by_another_user_is_not_read(store: FileStorage, caplog) -> None:
    os.chown(store.path, OTHER_UID, -1)
    assert "directory" in refused(store, caplog).message


def test_a_symlink_is_never_followed(store: FileStorage, tmp_path: Path, caplog) -> None:
    path = data_file(store)
    planted = tmp_path / "planted.json"
    planted.write_text('{"key": "k", "value": "attacker-session"}')
    os.chmod(planted, 0o600)
    path.unlink()
    path.symlink_to(planted)
    assert "symlink" in refused(store, caplog).message
    store.set("k", "fresh")
    assert planted.read_text() == '{"key": "k", "value": "attacker-session"}'
    assert not path.is_symlink()
    assert store.get("k") == "fresh"


def test_a_fifo_in_place_of_a_file_does_not_hang(store: FileStorage, caplog) -> None:
    path = data_file(store)
    path.unlink()
    os.mkfifo(path, 0o600)
    assert "regular file" in refused(store, caplog).message


def test_a_huge_file_reads_as_absent(store: FileStorage) -> None:
    data_file(store).write_bytes(b'{"key": "k", "value": "' + b"x" * MAX_FILE_BYTES + b'"}')
    assert store.get("k") is None


def locked_without_the_file(store: FileStorage, caplog: pytest.LogCaptureFixture) -> None:
    """The unsafe lock file is not used (a warning says so); the refresh is never blocked."""
    with (
        caplog.at_level(logging.WARNING, logger="nbauth.core.storage_lock"),
        storage_lock(store, "k", timeout=1),
    ):
        assert store.get("k") == "mine"
    assert any("not locked out" in r.getMessage() for r in caplog.records)


def test_a_symlinked_lock_file_is_never_followed(
    store: FileStorage, tmp_path: Path, caplog
) -> None:
    """Before: the lock was opened O_RDWR|O_CREAT through the symlink (as root: any file)."""
    target = tmp_path / "elsewhere"
    path = lock_path(store, "k")
    assert path is not None
    path.symlink_to(target)
    locked_without_the_file(store, caplog)
    assert not target.exists()  # O_CREAT never went through the link


@as_root
def test_a_lock_file_owned_by_another_user_is_not_used(store: FileStorage, caplog) -> None:
    path = lock_path(store, "k")
    assert path is not None
    path.write_text("")
    os.chmod(path, 0o600)
    os.chown(path, OTHER_UID, -1)
    locked_without_the_file(store, caplog)
    os.chown(path, os.geteuid(), -1)
    caplog.clear()
    with storage_lock(store, "k", timeout=1):
        pass
    assert not caplog.records


def test_a_deleted_store_directory_is_not_unsafe(store: FileStorage) -> None:
    for child in store.path.iterdir():
        child.unlink()
    store.path.rmdir()
    assert store.read("k") is None
    assert store.get("k") is None


# -- stored session records: garbage reads as "no record", never a crash --------------------

ISSUER, CLIENT = "https://idp.example.com", "client"
GOOD = '"refresh_token": "rt", "access_token": "at", "provider": "corp"'


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[" * 100_000,
        "[1, 2]",
        "null",
        '"text"',
        '{"refresh_token": 7}',
        '{"refresh_token": ["rt"]}',
        '{"refresh_token": ""}',
        '{"refresh_token": null}',
    ],
)
def test_garbage_is_no_record(content: str) -> None:
    storage = MemoryStorage()
    storage.set(session_storage_key(ISSUER, CLIENT), content)
    assert SessionRecord.load(storage, ISSUER, CLIENT) is None
    assert SessionRecord.signed_out(storage, ISSUER, CLIENT) is False


@pytest.mark.parametrize(
    "expires_at",
    ["NaN", "Infinity", "-Infinity", "1e400", "1" + "0" * 400, "-5", '"1900000000"', "true", "{}"],
)
def test_a_bad_expiry_keeps_the_refresh_token_but_no_current_tokens(expires_at: str) -> None:
    storage = MemoryStorage()
    storage.set(session_storage_key(ISSUER, CLIENT), f'{{{GOOD}, "expires_at": {expires_at}}}')
    record = SessionRecord.load(storage, ISSUER, CLIENT)
    assert record is not None
    assert record.refresh_token == "rt"  # nothing lost: the session can still be refreshed
    assert record.expires_at is None
    assert not record.holds_tokens_until(0)
