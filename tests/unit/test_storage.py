"""Unit tests for nbauth.core.storage: memory, file (0700/0600, atomic) and keyring backends."""

from __future__ import annotations

import os
import stat
import sys
import types
from pathlib import Path

import pytest

from nbauth.core import storage as storage_mod
from nbauth.core.storage import (
    FileStorage,
    KeyringStorage,
    KeyValueStorage,
    MemoryStorage,
    storage_from_config,
)
from nbauth.errors import AuthError, ConfigurationError

KEYS = ["identity_id", "nbauth.corp.refresh_token", "a/../b", "ключ", "x" * 300]


@pytest.fixture(params=["memory", "file"])
def store(request, tmp_path) -> KeyValueStorage:
    if request.param == "memory":
        return MemoryStorage()
    return FileStorage(tmp_path / "cache")


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _data_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file())


# --- shared contract ----------------------------------------------------------------------------


def test_implements_protocol(store: KeyValueStorage) -> None:
    assert isinstance(store, KeyValueStorage)


def test_get_missing_is_none(store: KeyValueStorage) -> None:
    assert store.get("nothing-here") is None


@pytest.mark.parametrize("key", KEYS)
def test_set_get_remove(store: KeyValueStorage, key: str) -> None:
    store.set(key, "value-1")
    assert store.get(key) == "value-1"
    store.set(key, "value-2 with ünïcode and \n newline")
    assert store.get(key) == "value-2 with ünïcode and \n newline"
    store.remove(key)
    assert store.get(key) is None


def test_keys_are_independent(store: KeyValueStorage) -> None:
    store.set("a", "1")
    store.set("b", "2")
    store.remove("a")
    assert store.get("a") is None
    assert store.get("b") == "2"


def test_empty_value_round_trips(store: KeyValueStorage) -> None:
    store.set("k", "")
    assert store.get("k") == ""


def test_remove_missing_key_is_fine(store: KeyValueStorage) -> None:
    store.remove("never-set")
    store.set("k", "v")
    store.remove("k")
    store.remove("k")
    assert store.get("k") is None


def test_repr_never_shows_values(store: KeyValueStorage) -> None:
    store.set("refresh_token", "super-secret-refresh-token")
    assert "super-secret-refresh-token" not in repr(store)


# --- FileStorage --------------------------------------------------------------------------------


def test_file_storage_modes(tmp_path) -> None:
    directory = tmp_path / "deep" / "cache"
    fs = FileStorage(directory)
    assert directory.is_dir()
    assert _mode(directory) == 0o700

    fs.set("identity_id", "eu-west-1:abc")
    files = _data_files(directory)
    assert len(files) == 1
    assert _mode(files[0]) == 0o600


def test_file_storage_tightens_existing_directory(tmp_path) -> None:
    directory = tmp_path / "cache"
    directory.mkdir(mode=0o755)
    os.chmod(directory, 0o755)
    FileStorage(directory)
    assert _mode(directory) == 0o700


def test_file_storage_modes_under_permissive_umask(tmp_path) -> None:
    old = os.umask(0)
    try:
        fs = FileStorage(tmp_path / "cache")
        fs.set("k", "v")
    finally:
        os.umask(old)
    assert _mode(fs.path) == 0o700
    assert all(_mode(p) == 0o600 for p in _data_files(fs.path))


def test_file_storage_expands_user(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    fs = FileStorage("~/nbauth-cache")
    assert fs.path == tmp_path / "nbauth-cache"
    assert fs.path.is_dir()


def test_file_storage_key_not_in_filename(tmp_path) -> None:
    fs = FileStorage(tmp_path)
    fs.set("nbauth.corp.refresh_token", "v")
    assert all("refresh_token" not in p.name for p in _data_files(tmp_path))


def test_values_survive_restart(tmp_path) -> None:
    first = FileStorage(tmp_path / "cache")
    for i, key in enumerate(KEYS):
        first.set(key, f"value-{i}")
    first.remove(KEYS[0])

    second = FileStorage(tmp_path / "cache")

    assert second.get(KEYS[0]) is None
    for i, key in enumerate(KEYS[1:], start=1):
        assert second.get(key) == f"value-{i}"


def test_atomic_write_leaves_no_temp_files(tmp_path) -> None:
    fs = FileStorage(tmp_path)
    for i in range(20):
        fs.set("k", f"v{i}")
        fs.set(f"k{i}", "x")
    names = [p.name for p in tmp_path.iterdir()]
    assert not [n for n in names if n.startswith(".tmp-")]
    assert len(names) == 21
    assert fs.get("k") == "v19"


def test_failed_write_keeps_old_value_and_no_temp_file(tmp_path, monkeypatch) -> None:
    fs = FileStorage(tmp_path)
    fs.set("k", "old")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage_mod.os, "replace", broken_replace)
    with pytest.raises((OSError, AuthError)):
        fs.set("k", "new")
    monkeypatch.undo()

    assert fs.get("k") == "old"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b'{"key": "k", "val',
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b'"just a string"',
        b'{"key": "k", "value": 42}',
        b'{"key": "another-key", "value": "v"}',
    ],
)
def test_torn_or_garbage_file_reads_as_none(tmp_path, garbage: bytes) -> None:
    fs = FileStorage(tmp_path)
    fs.set("k", "v")
    (path,) = _data_files(tmp_path)
    path.write_bytes(garbage)

    assert fs.get("k") is None
    fs.set("k", "recovered")
    assert fs.get("k") == "recovered"


def test_file_replaced_by_directory_reads_as_none(tmp_path) -> None:
    fs = FileStorage(tmp_path)
    fs.set("k", "v")
    (path,) = _data_files(tmp_path)
    path.unlink()
    path.mkdir()
    assert fs.get("k") is None


def test_regular_file_as_path_is_a_configuration_error(tmp_path) -> None:
    not_a_dir = tmp_path / "file.txt"
    not_a_dir.write_text("hello")
    for bad in (not_a_dir, not_a_dir / "sub"):
        with pytest.raises(ConfigurationError) as info:
            FileStorage(bad)
        assert "nbauth.storage.path" in info.value.message
        assert str(bad) in info.value.message
        assert info.value.recovery_suggestion
        assert isinstance(info.value.underlying, OSError)


# --- storage_from_config ------------------------------------------------------------------------


def test_from_config_memory() -> None:
    assert isinstance(storage_from_config("memory", None), MemoryStorage)


def test_from_config_file_with_path(tmp_path) -> None:
    fs = storage_from_config("file", str(tmp_path / "mine"))
    assert isinstance(fs, FileStorage)
    assert fs.path == tmp_path / "mine"
    assert _mode(fs.path) == 0o700


def test_from_config_file_defaults_to_xdg_cache(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    fs = storage_from_config("file", None)
    assert isinstance(fs, FileStorage)
    assert fs.path == tmp_path / "xdg" / "nbauth"
    assert fs.path.is_dir()
    assert _mode(fs.path) == 0o700


def test_from_config_file_without_xdg_uses_home_cache(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    fs = storage_from_config("file", None)
    assert fs.path == tmp_path / "home" / ".cache" / "nbauth"


def test_from_config_file_with_empty_xdg_uses_home_cache(tmp_path, monkeypatch) -> None:
    # XDG Base Directory spec: an empty $XDG_CACHE_HOME means "unset" -> ~/.cache.
    # Anything else would put the token cache in ./nbauth, next to the notebooks.
    cwd = tmp_path / "notebooks"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    fs = storage_from_config("file", None)
    assert fs.path.resolve() == (tmp_path / "home" / ".cache" / "nbauth").resolve()
    assert not (cwd / "nbauth").exists()


@pytest.mark.parametrize("kind", ["redis", "", "FILE", None])
def test_from_config_unknown_kind(kind) -> None:
    with pytest.raises(ConfigurationError) as info:
        storage_from_config(kind, None)
    assert "nbauth.storage.kind" in info.value.message
    assert info.value.recovery_suggestion


# --- KeyringStorage -----------------------------------------------------------------------------


def test_keyring_not_installed(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)
    with pytest.raises(ConfigurationError) as info:
        KeyringStorage()
    assert "keyring" in info.value.message
    assert "pip install" in info.value.recovery_suggestion
    with pytest.raises(ConfigurationError):
        storage_from_config("keyring", None)


@pytest.fixture
def fake_keyring(monkeypatch) -> dict[tuple[str, str], str]:
    vault: dict[tuple[str, str], str] = {}

    class PasswordDeleteError(Exception):
        pass

    def delete_password(service: str, key: str) -> None:
        if (service, key) not in vault:
            raise PasswordDeleteError(key)
        del vault[(service, key)]

    module = types.ModuleType("keyring")
    module.get_password = lambda service, key: vault.get((service, key))
    module.set_password = lambda service, key, value: vault.__setitem__((service, key), value)
    module.delete_password = delete_password
    module.errors = types.SimpleNamespace(PasswordDeleteError=PasswordDeleteError)
    monkeypatch.setitem(sys.modules, "keyring", module)
    return vault


def test_keyring_storage_round_trip(fake_keyring) -> None:
    ks = storage_from_config("keyring", None)
    assert isinstance(ks, KeyringStorage)
    assert isinstance(ks, KeyValueStorage)
    ks.set("k", "secret-value")
    assert fake_keyring == {("nbauth", "k"): "secret-value"}
    assert ks.get("k") == "secret-value"
    assert "secret-value" not in repr(ks)
    ks.remove("k")
    ks.remove("k")  # missing key: fine
    assert ks.get("k") is None


def test_keyring_storage_service_name(fake_keyring) -> None:
    KeyringStorage(service="team").set("k", "v")
    assert fake_keyring == {("team", "k"): "v"}
