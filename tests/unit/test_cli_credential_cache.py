"""The fast path of ``nbauth credential-process``: served only for the same stored sign-in,
while the credentials are fresh."""

from __future__ import annotations

from nbauth.cli_commands import credential_cache
from nbauth.config import load_config
from nbauth.core.session_record import SessionRecord
from nbauth.core.storage import MemoryStorage

CONFIG = load_config({
    "auth": {"aws_region": "us-east-1",
             "identity_pool_id": "us-east-1:0f3d2a4b-1c2d-4e5f-8a9b-0c1d2e3f4a5b"},
    "nbauth": {"oidc_providers": {"corp": {"issuer": "https://idp.example.com",
                                           "client_id": "cli"}},
               "refresh": {"margin_seconds": 300}},
})
NOW = 1_000_000.0


def _signed_in(refresh_token: str = "rt-1") -> MemoryStorage:
    storage = MemoryStorage()
    SessionRecord("https://idp.example.com", "cli", "corp", refresh_token).save(storage)
    return storage


def test_a_fresh_answer_for_the_same_sign_in_is_served():
    storage = _signed_in()
    credential_cache.remember(storage, CONFIG, '{"Version": 1}', NOW + 3600, now=NOW)
    assert credential_cache.cached_output(storage, CONFIG, now=NOW + 60) == '{"Version": 1}'
    assert "rt-1" not in (storage.get(credential_cache.CACHE_KEY) or "")


def test_stale_credentials_take_the_full_path():
    storage = _signed_in()
    credential_cache.remember(storage, CONFIG, "{}", NOW + 3600, now=NOW)
    assert credential_cache.cached_output(storage, CONFIG, now=NOW + 3600 - 301) == "{}"
    assert credential_cache.cached_output(storage, CONFIG, now=NOW + 3600 - 299) is None
    short = _signed_in()
    credential_cache.remember(short, CONFIG, "{}", NOW + 60, now=NOW)  # margin: half of 60 s
    assert credential_cache.cached_output(short, CONFIG, now=NOW + 29) == "{}"
    assert credential_cache.cached_output(short, CONFIG, now=NOW + 31) is None


def test_a_new_sign_in_a_rotated_token_or_a_sign_out_invalidates_it():
    storage = _signed_in()
    credential_cache.remember(storage, CONFIG, "{}", NOW + 3600, now=NOW)
    SessionRecord("https://idp.example.com", "cli", "corp", "rt-2").save(storage)
    assert credential_cache.cached_output(storage, CONFIG, now=NOW) is None
    credential_cache.remember(storage, CONFIG, "{}", NOW + 3600, now=NOW)
    SessionRecord("https://idp.example.com", "cli", "corp", "rt-2").remove(storage)
    assert credential_cache.cached_output(storage, CONFIG, now=NOW) is None


def test_nothing_is_kept_without_a_stored_sign_in_and_torn_records_are_ignored():
    storage = MemoryStorage()
    credential_cache.remember(storage, CONFIG, "{}", NOW + 3600, now=NOW)
    assert storage.get(credential_cache.CACHE_KEY) is None
    signed_in = _signed_in()
    for torn in ("{", "[]", '{"output": 1, "written_at": 0, "expires_at": 9e9}', '{"x": 1}'):
        signed_in.set(credential_cache.CACHE_KEY, torn)
        assert credential_cache.cached_output(signed_in, CONFIG, now=NOW) is None
    credential_cache.forget(signed_in)
    assert signed_in.get(credential_cache.CACHE_KEY) is None


def test_a_record_with_a_nan_or_huge_expiry_is_never_served():
    """NaN passes every "still fresh?" comparison and 10**400 overflows float(): both used to
    serve (or crash on) a record no writer could have made."""
    import json

    storage = _signed_in()
    credential_cache.remember(storage, CONFIG, '{"Version": 1}', NOW + 3600, now=NOW)
    good = json.loads(storage.get(credential_cache.CACHE_KEY) or "{}")
    for field, value in [
        ("expires_at", "NaN"),
        ("expires_at", "Infinity"),
        ("expires_at", "1" + "0" * 400),
        ("written_at", "NaN"),
        ("expires_at", '"1e12"'),
    ]:
        raw = json.dumps({**good, field: 0}).replace(f'"{field}": 0', f'"{field}": {value}')
        storage.set(credential_cache.CACHE_KEY, raw)
        assert credential_cache.cached_output(storage, CONFIG, now=NOW + 60) is None, field
