"""The per-key store lock: one holder across threads and processes; a dead holder frees it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from nbauth.core.storage import FileStorage, MemoryStorage
from nbauth.core.storage_lock import LockTimeoutError, lock_path, storage_lock


def test_threads_take_turns_on_one_key() -> None:
    storage = MemoryStorage()
    inside = 0
    overlaps = 0

    def work() -> None:
        nonlocal inside, overlaps
        for _ in range(50):
            with storage_lock(storage, "k"):
                inside += 1
                if inside > 1:
                    overlaps += 1
                inside -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == 0


def _holder(path: Path, key: str, hold: float) -> subprocess.Popen[str]:
    code = textwrap.dedent(
        f"""
        import sys, time
        from nbauth.core.storage import FileStorage
        from nbauth.core.storage_lock import storage_lock
        with storage_lock(FileStorage({str(path)!r}), {key!r}):
            print("held", flush=True)
            time.sleep({hold})
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_another_process_waits_and_a_bounded_wait_times_out(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    proc = _holder(tmp_path, "k", 30)
    try:
        started = time.monotonic()
        with pytest.raises(LockTimeoutError) as err, storage_lock(storage, "k", timeout=0.3):
            pass
        assert 0.25 <= time.monotonic() - started < 5
        assert err.value.recovery_suggestion
        with storage_lock(storage, "other", timeout=0.3):
            pass  # another key is free
    finally:
        proc.kill()
        proc.wait()


def test_a_holder_killed_with_sigkill_frees_the_lock(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    proc = _holder(tmp_path, "k", 30)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    started = time.monotonic()
    with storage_lock(storage, "k", timeout=5):
        pass
    assert time.monotonic() - started < 1
    path = lock_path(storage, "k")
    assert path is not None and path.stat().st_mode & 0o777 == 0o600
