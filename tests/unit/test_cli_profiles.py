"""CLI profiles: remembered configurations, private files, and where each profile's store is."""

from __future__ import annotations

import json
import stat

import pytest

from nbauth.cli_profiles import (
    profiles_file,
    recorded_config,
    remember_profile,
    resolve_profile,
    state_dir,
)
from nbauth.errors import ConfigurationError

CONFIG = {"auth": {"aws_region": "eu-west-1",
                   "identity_pool_id": "eu-west-1:0f3d2a4b-1c2d-4e5f-8a9b-0c1d2e3f4a5b"}}


@pytest.fixture
def homes(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("NBAUTH_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _write(path, config):
    path.write_text(json.dumps(config))
    return path


def test_login_remembers_the_config_privately_and_the_store_defaults_to_the_state_dir(homes):
    config = _write(homes / "outputs.json", CONFIG)
    remember_profile("work", config)
    assert profiles_file() == homes / "config" / "nbauth" / "profiles.json"
    assert stat.S_IMODE(profiles_file().stat().st_mode) == 0o600
    assert stat.S_IMODE(profiles_file().parent.stat().st_mode) == 0o700
    assert recorded_config("work") == str(config)
    profile = resolve_profile("work")
    assert profile.config.region == "eu-west-1" and profile.config_path == str(config)
    assert profile.store == state_dir() / "work" == homes / "state" / "nbauth" / "work"
    storage = profile.storage()
    assert stat.S_IMODE(profile.store.stat().st_mode) == 0o700
    storage.set("k", "v")
    assert resolve_profile("work").storage().get("k") == "v"


def test_profiles_are_kept_side_by_side_and_config_overrides_the_recorded_one(homes):
    a = _write(homes / "a.json", CONFIG)
    pool = "us-east-2:0f3d2a4b-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
    b = _write(homes / "b.json", {"auth": {"aws_region": "us-east-2", "identity_pool_id": pool}})
    remember_profile("default", a)
    remember_profile("other", b)
    assert resolve_profile().config.region == "eu-west-1"
    assert resolve_profile("other").config.region == "us-east-2"
    assert resolve_profile("other", str(a)).config.region == "eu-west-1"
    assert json.loads(profiles_file().read_text())["profiles"].keys() == {"default", "other"}


def test_a_config_naming_a_file_store_keeps_it(homes):
    store = homes / "team-store"
    config = {**CONFIG, "nbauth": {"storage": {"kind": "file", "path": str(store)}}}
    profile = resolve_profile(None, str(_write(homes / "c.json", config)))
    assert profile.name == "default" and profile.store == store


def test_without_a_recorded_profile_the_usual_lookup_applies(homes, monkeypatch):
    _write(homes / "amplify_outputs.json", CONFIG)
    assert resolve_profile().config.region == "eu-west-1"
    with pytest.raises(ConfigurationError, match="no configuration is recorded for profile"):
        resolve_profile("nobody")


@pytest.mark.parametrize("name", ["../x", "a/b", "", ".hidden", "x" * 65])
def test_bad_profile_names_are_refused(homes, name):
    with pytest.raises(ConfigurationError, match="profile name"):
        resolve_profile(name, str(_write(homes / "c.json", CONFIG)))


def test_an_unusable_store_directory_is_a_configuration_error(homes, monkeypatch):
    (homes / "not-a-dir").write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(homes / "not-a-dir"))
    profile = resolve_profile(None, str(_write(homes / "c.json", CONFIG)))
    with pytest.raises(ConfigurationError, match="private directory"):
        profile.storage()


def test_a_broken_profiles_file_is_reported(homes):
    profiles_file().parent.mkdir(parents=True)
    profiles_file().write_text("{not json")
    with pytest.raises(ConfigurationError, match="profiles file"):
        resolve_profile("work")
