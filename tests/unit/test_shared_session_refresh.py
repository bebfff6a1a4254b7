"""Issue 10: several processes share one session record (``storage.kind: file``).

Each "process" is an ``OIDCTokenProvider`` over the same ``FileStorage`` directory; the fake IdP
rotates refresh tokens and refuses a used one with ``invalid_grant``, like panva's
oidc-provider. (The real processes, over the wire: ``tests/peers/test_cross_process_refresh.py``.)
"""

from __future__ import annotations

import itertools
import json
import os
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from nbauth.core.refresh import RefreshPolicy
from nbauth.core.session_record import SessionRecord
from nbauth.core.storage import FileStorage
from nbauth.oidc.client import ProviderSpec
from nbauth.oidc.token_provider import OIDCTokenProvider
from nbauth.oidc.tokens import OIDCTokens
from nbauth.oidc.transport import oauth_error
from tests.support.fakes import FakeClock
from tests.unit.test_oidc_token_provider import (
    CLIENT_ID,
    ISSUER,
    LIFETIME,
    REFRESH_AT,
    STORAGE_KEY,
    token_response,
)


class RotatingIdP:
    """The token endpoint: every refresh rotates; a used refresh token is refused."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.serial = itertools.count(2)
        self.live = {"rt-1"}
        self.refreshed_with: list[str] = []
        self.refused: list[str] = []
        self.revoked: list[str] = []

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        self.refreshed_with.append(refresh_token)
        if refresh_token not in self.live:
            self.refused.append(refresh_token)
            self.live.clear()  # reuse revokes the whole grant
            raise oauth_error("invalid_grant", "grant request is invalid", "Token refresh")
        self.live.discard(refresh_token)
        rotated = f"rt-{next(self.serial)}"
        self.live.add(rotated)
        return token_response(self.clock, rotated)


class Client:
    """One process's client of the shared IdP."""

    def __init__(self, idp: RotatingIdP) -> None:
        self.idp = idp
        self.spec = ProviderSpec(name="corp", issuer=ISSUER, client_id=CLIENT_ID, logins_key="k")

    def refresh_response(self, refresh_token: str, previous: Any = None) -> dict[str, Any]:
        return self.idp.refresh(refresh_token)

    def tokens_after_refresh(self, response: dict[str, Any], previous: Any) -> OIDCTokens:
        return OIDCTokens.from_response(response, now=self.idp.clock(), previous=previous)

    def revoke(self, token: str) -> bool:
        self.idp.revoked.append(token)
        self.idp.live.discard(token)
        return True


class Process:
    def __init__(self, world: World, tokens: OIDCTokens | None = None, **kwargs: Any) -> None:
        self.events: list[str] = []
        self.invalidated = 0
        self.signed_out_elsewhere = 0
        storage = FileStorage(world.path)
        record = None if tokens is not None else SessionRecord.load(storage, ISSUER, CLIENT_ID)
        self.provider = OIDCTokenProvider(
            Client(world.idp),  # type: ignore[arg-type]
            tokens,
            refresh_token=record.refresh_token if record is not None else None,
            record=record,
            storage=storage,
            emit=lambda name, data, message: self.events.append(name),
            policy=RefreshPolicy(jitter_seconds=0),
            clock=world.clock,
            background=False,
            **{"on_invalidated": self._invalidated, **kwargs},
        )

    def _invalidated(self) -> None:
        self.invalidated += 1


class World:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.clock = FakeClock()
        self.idp = RotatingIdP(self.clock)
        self.initial = OIDCTokens.from_response(
            token_response(self.clock, "rt-1"), now=self.clock()
        )

    def stored(self) -> dict[str, Any] | None:
        raw = FileStorage(self.path).get(STORAGE_KEY)
        return None if raw is None else json.loads(raw)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path / "store")


def test_the_record_holds_the_current_tokens_in_a_private_file(world: World) -> None:
    Process(world, world.initial)
    stored = world.stored()
    assert stored == {
        "provider": "corp",
        "refresh_token": "rt-1",
        "access_token": world.initial.access_token,
        "id_token": world.initial.id_token,
        "expires_at": world.initial.expires_at,
    }
    (file,) = world.path.glob("*.json")
    assert stat.S_IMODE(os.stat(file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(world.path).st_mode) == 0o700
    record = SessionRecord.load(FileStorage(world.path), ISSUER, CLIENT_ID)
    assert record is not None
    for secret in ("rt-1", world.initial.access_token, world.initial.id_token):
        assert secret not in repr(record)


def test_an_old_record_with_a_refresh_token_only_still_loads(world: World) -> None:
    storage = FileStorage(world.path)
    storage.set(STORAGE_KEY, json.dumps({"provider": "corp", "refresh_token": "rt-1"}))
    record = SessionRecord.load(storage, ISSUER, CLIENT_ID)
    assert record is not None
    assert (record.refresh_token, record.access_token, record.expires_at) == ("rt-1", None, None)
    restored = Process(world)  # no tokens to start with: the first use refreshes
    assert restored.provider.current is None
    assert restored.provider.get_tokens() is not None
    assert world.idp.refreshed_with == ["rt-1"]


def test_a_restored_session_with_valid_tokens_needs_no_network(world: World) -> None:
    Process(world, world.initial)
    world.clock.advance(600)
    restored = Process(world)
    tokens = restored.provider.get_tokens()
    assert tokens == world.initial.auth_tokens
    assert world.idp.refreshed_with == []
    world.clock.advance(REFRESH_AT)  # past the refresh time: now it refreshes, once
    assert restored.provider.get_tokens() not in (None, world.initial.auth_tokens)
    assert world.idp.refreshed_with == ["rt-1"]


def test_a_restored_session_with_expired_tokens_refreshes(world: World) -> None:
    Process(world, world.initial)
    world.clock.advance(LIFETIME + 1)
    restored = Process(world)
    assert restored.provider.current is None
    assert restored.provider.get_tokens() is not None
    assert world.idp.refreshed_with == ["rt-1"]


def test_the_second_process_adopts_the_tokens_the_first_rotated(world: World) -> None:
    first = Process(world, world.initial)
    second = Process(world)
    world.clock.advance(REFRESH_AT + 1)

    one = first.provider.get_tokens()
    two = second.provider.get_tokens()

    assert world.idp.refreshed_with == ["rt-1"]  # one IdP refresh for both
    assert world.idp.refused == []
    assert one == two and one is not None
    assert second.events == ["tokenRefresh"]  # adopted tokens are a refresh there too
    assert second.provider.current is not None
    assert second.provider.current.refresh_token == "rt-2"
    assert world.stored()["refresh_token"] == "rt-2"  # type: ignore[index]

    world.clock.advance(REFRESH_AT + 1)  # next round: the second refreshes with rt-2
    second.provider.get_tokens()
    first.provider.get_tokens()
    assert world.idp.refreshed_with == ["rt-1", "rt-2"]
    assert first.invalidated == second.invalidated == 0


def test_force_refresh_in_every_process_is_one_idp_refresh(world: World) -> None:
    processes = [Process(world, world.initial)] + [Process(world) for _ in range(4)]
    for round_ in range(3):
        got = [p.provider.get_tokens(force_refresh=True) for p in processes]
        assert len(world.idp.refreshed_with) == round_ + 1
        assert all(t == got[0] and t is not None for t in got)
    assert world.idp.refused == []


def test_a_record_holding_a_newer_refresh_token_is_used_even_without_valid_tokens(
    world: World,
) -> None:
    first = Process(world, world.initial)
    second = Process(world)
    world.clock.advance(REFRESH_AT + 1)
    first.provider.get_tokens()  # rt-1 → rt-2
    world.clock.advance(LIFETIME + 1)  # the stored tokens are expired now

    assert second.provider.get_tokens() is not None

    assert world.idp.refreshed_with == ["rt-1", "rt-2"]  # never the dead rt-1 again
    assert world.idp.refused == []
    assert world.stored()["refresh_token"] == "rt-3"  # type: ignore[index]


def test_a_refused_token_deletes_the_record_only_if_it_still_holds_it(world: World) -> None:
    first = Process(world, world.initial)
    world.idp.live.clear()  # the grant was revoked at the IdP
    world.clock.advance(REFRESH_AT + 1)
    assert first.provider.get_tokens() is None
    assert first.invalidated == 1
    assert world.stored() == {"signed_out": True}  # it held the refused token


def test_a_refused_token_keeps_a_record_someone_rewrote_meanwhile(world: World) -> None:
    """A writer that ignores the lock (an older nbauth) stores a new session while the IdP
    refuses ours: that record is not ours to delete."""
    process = Process(world, world.initial)
    storage = FileStorage(world.path)

    def refuse(refresh_token: str) -> dict[str, Any]:
        SessionRecord(ISSUER, CLIENT_ID, "corp", "rt-new").save(storage)
        raise oauth_error("invalid_grant", "grant request is invalid", "Token refresh")

    world.idp.refresh = refuse  # type: ignore[method-assign]
    world.clock.advance(REFRESH_AT + 1)
    assert process.provider.get_tokens() is None
    assert process.invalidated == 1
    assert world.stored() == {"provider": "corp", "refresh_token": "rt-new"}


def test_sign_out_in_one_process_signs_the_others_out_at_their_next_use(world: World) -> None:
    first = Process(world, world.initial)
    elsewhere: list[str] = []
    second = Process(world, on_signed_out_elsewhere=lambda: elsewhere.append("signedOut"))
    third = Process(world)  # without the callback: on_invalidated
    assert second.provider.get_tokens() is not None

    assert first.provider.sign_out() is True
    assert world.idp.revoked == ["rt-1"]
    assert world.stored() == {"signed_out": True}

    assert second.provider.get_tokens() is None
    assert elsewhere == ["signedOut"]
    assert second.invalidated == 0
    assert third.provider.get_tokens(force_refresh=True) is None
    assert third.invalidated == 1
    assert world.idp.refreshed_with == []  # nobody asked the IdP
    assert second.provider.get_tokens() is None and elsewhere == ["signedOut"]  # once


def test_a_refresh_that_finds_a_sign_out_mark_signs_out(world: World) -> None:
    elsewhere: list[int] = []
    first = Process(world, world.initial, on_signed_out_elsewhere=lambda: elsewhere.append(1))
    FileStorage(world.path).set(STORAGE_KEY, json.dumps({"signed_out": True}))
    world.clock.advance(REFRESH_AT + 1)
    assert first.provider.engine.get() is None  # the engine's own refresh (the timer's path)
    assert elsewhere == [1]
    assert world.idp.refreshed_with == []


def test_a_record_that_vanished_with_its_store_is_written_again(world: World) -> None:
    """The store deleted under a running kernel: nothing is lost, the session is rewritten."""
    elsewhere: list[int] = []
    first = Process(world, world.initial, on_signed_out_elsewhere=lambda: elsewhere.append(1))
    FileStorage(world.path).remove(STORAGE_KEY)
    assert first.provider.get_tokens() is not None and elsewhere == []
    assert world.stored() is not None and world.stored()["refresh_token"] == "rt-1"
    FileStorage(world.path).remove(STORAGE_KEY)
    world.clock.advance(REFRESH_AT + 1)
    assert first.provider.engine.get() is not None  # refreshed with its own token
    assert elsewhere == [] and world.idp.refreshed_with == ["rt-1"]
    assert world.stored() is not None


def test_sign_out_revokes_the_newest_token_another_process_rotated(world: World) -> None:
    first = Process(world, world.initial)
    second = Process(world)
    world.clock.advance(REFRESH_AT + 1)
    second.provider.get_tokens()  # rt-1 → rt-2 in the other process
    first.provider.sign_out()
    assert world.idp.revoked == ["rt-2"]


def test_callbacks_run_after_the_lock_is_released(world: World) -> None:
    """An ``on_invalidated`` that signs out (taking the store's lock) must not deadlock."""
    holder: list[OIDCTokenProvider] = []
    process = Process(
        world,
        world.initial,
        lock_timeout=1.0,
        on_invalidated=lambda: holder[0].sign_out(revoke=False),
    )
    holder.append(process.provider)
    world.idp.live.clear()
    world.clock.advance(REFRESH_AT + 1)
    started = time.monotonic()
    assert process.provider.get_tokens() is None
    assert time.monotonic() - started < 0.5  # not a wait for our own lock to time out
    assert world.stored() == {"signed_out": True}
