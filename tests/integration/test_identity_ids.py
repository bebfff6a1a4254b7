"""Identity ids: cached per pool and login, merged identities adopted, rejected ids replaced."""

from __future__ import annotations

import time

import pytest

import nbauth
from nbauth.errors import ServiceError
from tests.support.fakes import FakeClock, run_in_threads


def test_warm_start_costs_one_call(sb, make_auth, new_user, user_pool_provider, tmp_path):
    _, token = new_user()
    sb.reset_calls()
    cold = make_auth(storage=nbauth.FileStorage(tmp_path / "cache"))
    first = cold.federate_to_identity_pool(token, user_pool_provider)
    assert (sb.calls("GetId"), sb.calls("GetCredentialsForIdentity")) == (1, 1)
    cold.close()
    # A restarted kernel: a new Auth over the same cache directory.
    sb.reset_calls()
    warm = make_auth(storage=nbauth.FileStorage(tmp_path / "cache"))
    second = warm.federate_to_identity_pool(token, user_pool_provider)
    assert second.identity_id == first.identity_id
    # The credentials themselves are cached too (issue 10): still good, so no call at all.
    assert (sb.calls("GetId"), sb.calls("GetCredentialsForIdentity")) == (0, 0)
    warm.close()
    # Without the cached credentials, only the identity id is reused: one call.
    storage = nbauth.FileStorage(tmp_path / "cache")
    storage.remove(warm.identity_pool.credentials_key({user_pool_provider.logins_key: token}))
    sb.reset_calls()
    third = make_auth(storage=storage).federate_to_identity_pool(token, user_pool_provider)
    assert third.identity_id == first.identity_id
    assert (sb.calls("GetId"), sb.calls("GetCredentialsForIdentity")) == (0, 1)


def test_cache_is_per_login(sb, make_auth, new_user, user_pool_provider):
    storage = nbauth.MemoryStorage()
    _, alice = new_user()
    _, bob = new_user()
    a = make_auth(storage=storage).federate_to_identity_pool(alice, user_pool_provider)
    b = make_auth(storage=storage).federate_to_identity_pool(bob, user_pool_provider)
    assert a.identity_id != b.identity_id


def test_merged_identity_is_adopted(sb, make_auth, new_user, user_pool_provider):
    storage = nbauth.MemoryStorage()
    _, alice = new_user()
    _, bob = new_user()
    auth = make_auth(storage=storage)
    source = auth.federate_to_identity_pool(alice, user_pool_provider).identity_id
    target = make_auth().federate_to_identity_pool(bob, user_pool_provider).identity_id
    sb.merge_identities(source, target)
    session = auth.fetch_auth_session(force_refresh=True)
    assert session.identity_id == target
    # ... and remembered: a restart goes straight to the merged identity.
    sb.reset_calls()
    again = make_auth(storage=storage).federate_to_identity_pool(alice, user_pool_provider)
    assert again.identity_id == target and sb.calls("GetId") == 0


def test_forbidden_cached_identity_is_replaced_once(sb, make_auth, new_user, user_pool_provider):
    storage = nbauth.MemoryStorage()
    _, alice = new_user()
    _, bob = new_user()
    bobs = make_auth().federate_to_identity_pool(bob, user_pool_provider).identity_id
    auth = make_auth(storage=storage)
    # Poison the cache: Alice's slot holds Bob's identity ("Access to Identity … is forbidden").
    key = auth.identity_pool.cache_key({user_pool_provider.logins_key: alice})
    storage.set(key, bobs)
    sb.reset_calls()
    result = auth.federate_to_identity_pool(alice, user_pool_provider)
    assert result.identity_id != bobs
    assert (sb.calls("GetId"), sb.calls("GetCredentialsForIdentity")) == (1, 2)
    assert storage.get(key) == result.identity_id


def test_deleted_identity_is_replaced(sb, make_auth, new_user, user_pool_provider):
    storage = nbauth.MemoryStorage()
    _, alice = new_user()
    auth = make_auth(storage=storage)
    first = auth.federate_to_identity_pool(alice, user_pool_provider)
    sb.delete_identity(first.identity_id)
    # The cached credentials are not reused once refused: a forced refresh replaces them.
    second = auth.fetch_auth_session(force_refresh=True)
    assert second.identity_id != first.identity_id


def test_transient_failure_keeps_the_cached_identity(sb, make_auth, new_user, user_pool_provider):
    storage = nbauth.MemoryStorage()
    _, alice = new_user()
    auth = make_auth(storage=storage)
    first = auth.federate_to_identity_pool(alice, user_pool_provider)
    # Drop the shared credentials (as if expired) so the next federation calls the pool.
    storage.remove(auth.identity_pool.credentials_key({user_pool_provider.logins_key: alice}))
    sb.fail_next("GetCredentialsForIdentity", code="InternalErrorException", status=500)
    with pytest.raises(ServiceError):
        make_auth(storage=storage).federate_to_identity_pool(alice, user_pool_provider)
    key = make_auth().identity_pool.cache_key({user_pool_provider.logins_key: alice})
    assert storage.get(key) == first.identity_id


def test_concurrent_first_calls_share_one_get_id(sb, make_auth):
    """Amplify issue 13499: parallel first fetches must not create several identities."""
    auth = make_auth(refresh={"background": False})
    sb.reset_calls()
    sessions = run_in_threads(32, auth.fetch_auth_session)
    assert len(sessions) == 32
    assert len({s.identity_id for s in sessions}) == 1
    assert (sb.calls("GetId"), sb.calls("GetCredentialsForIdentity")) == (1, 1)


def test_32_threads_across_an_expiry_cause_one_refresh(sb, make_auth, new_user, user_pool_provider):
    _, token = new_user()  # valid for an hour; the credentials for ten minutes
    sb.set_credentials_lifetime(600)
    clock = FakeClock(start=time.time())
    auth = make_auth(clock=clock, refresh={"background": False})
    first = auth.federate_to_identity_pool(token, user_pool_provider)
    sb.set_credentials_lifetime(3600)  # the next credentials outlive the jump below
    clock.advance(first.credentials.expires_at - clock() + 1)  # past the first expiry
    sb.reset_calls()
    results = run_in_threads(32, auth.fetch_auth_session)
    assert len(results) == 32
    assert sb.calls("GetCredentialsForIdentity") == 1
    assert sb.calls("GetId") == 0
    assert len({r.credentials.access_key_id for r in results}) == 1
    assert results[0].credentials != first.credentials
