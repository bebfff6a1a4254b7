"""The strict layer under concurrent load."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any


def test_32_threads_same_login_one_identity(sb: Any, identity: Any, new_user: Any) -> None:
    _, token = new_user()
    logins = {sb.user_pool_provider_name: token}
    barrier = Barrier(32)

    def get_id(_: int) -> str:
        barrier.wait()
        return identity.get_id(IdentityPoolId=sb.identity_pool_id, Logins=logins)["IdentityId"]

    with ThreadPoolExecutor(max_workers=32) as pool:
        ids = set(pool.map(get_id, range(32)))
    assert len(ids) == 1


def test_32_threads_get_credentials(sb: Any, identity: Any) -> None:
    guest = identity.get_id(IdentityPoolId=sb.identity_pool_id)["IdentityId"]
    barrier = Barrier(32)

    def credentials(_: int) -> str:
        barrier.wait()
        answer = identity.get_credentials_for_identity(IdentityId=guest)
        assert answer["IdentityId"] == guest
        return answer["Credentials"]["AccessKeyId"]

    with ThreadPoolExecutor(max_workers=32) as pool:
        keys = list(pool.map(credentials, range(32)))
    assert len(set(keys)) == 32  # every call mints its own credentials
