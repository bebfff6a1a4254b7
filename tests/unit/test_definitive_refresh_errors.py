"""Issue 11: a refresh the IdP refuses for good ends the session cleanly, whatever the code.

``invalid_grant`` always did; ``invalid_scope`` (an IdP that granted fewer scopes than asked),
``invalid_client`` and ``unauthorized_client`` left the session "signed in" forever while every
AWS call failed. Each now does exactly what ``invalid_grant`` does: the record is removed only if
it still holds the refused token (a sign-out mark in a shared store), the engine forgets the
tokens, ``on_invalidated`` runs (the facade goes to signed out), and ``tokenRefresh_failure``
names the error. Transient errors still keep everything (tests/unit/test_oidc_token_provider).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nbauth.core.session_record import SessionRecord
from nbauth.core.storage import FileStorage
from nbauth.errors import (
    AuthError,
    InvalidClientError,
    InvalidGrantError,
    InvalidScopeError,
    ServiceError,
    UnauthorizedClientError,
)
from nbauth.oidc.token_provider import DEFINITIVE_REFRESH_ERRORS
from tests.unit.test_oidc_token_provider import (
    CLIENT_ID,
    ISSUER,
    LIFETIME,
    STORAGE_KEY,
    Harness,
)
from tests.unit.test_shared_session_refresh import Process, World

DEFINITIVE = [
    InvalidScopeError("Token refresh failed: invalid_scope", name="invalid_scope"),
    InvalidClientError("Token refresh failed: invalid_client", name="invalid_client"),
    UnauthorizedClientError(
        "Token refresh failed: unauthorized_client", name="unauthorized_client"
    ),
    InvalidGrantError("Token refresh failed: invalid_grant", name="invalid_grant"),
]
IDS = ["invalid_scope", "invalid_client", "unauthorized_client", "invalid_grant"]


def test_the_tuple_names_the_four_definitive_errors() -> None:
    assert set(DEFINITIVE_REFRESH_ERRORS) == {
        InvalidGrantError,
        InvalidScopeError,
        InvalidClientError,
        UnauthorizedClientError,
    }
    assert ServiceError not in DEFINITIVE_REFRESH_ERRORS


@pytest.mark.parametrize("error", DEFINITIVE, ids=IDS)
def test_a_definitive_refusal_ends_the_session(error: AuthError) -> None:
    h = Harness()
    try:
        h.client.outcomes = [error]
        h.to_refresh_time()

        assert h.provider.get_tokens() is None  # the dropped tokens are not handed out

        assert h.invalidated == 1
        assert h.storage.get(STORAGE_KEY) is None
        assert h.provider.current is None
        assert h.provider.get_tokens() is None
        assert h.client.refreshed_with == ["refresh-secret-1"]  # never asked again
        failures = [data for name, data, _ in h.events if name == "tokenRefresh_failure"]
        assert failures == [{"error": error.name, "message": error.message, "signed_out": True}]
        h.assert_no_secret_in_events()
    finally:
        h.provider.close()


@pytest.mark.parametrize("error", DEFINITIVE, ids=IDS)
def test_on_expired_tokens_the_refusal_is_raised_typed(error: AuthError) -> None:
    h = Harness()
    try:
        h.client.outcomes = [error]
        h.clock.advance(LIFETIME + 60)
        with pytest.raises(type(error)):
            h.provider.get_tokens()
        assert h.invalidated == 1
        assert h.storage.get(STORAGE_KEY) is None
    finally:
        h.provider.close()


@pytest.mark.parametrize("error", DEFINITIVE, ids=IDS)
def test_a_shared_store_gets_a_sign_out_mark_only_if_it_held_the_refused_token(
    tmp_path: Path, error: AuthError
) -> None:
    world = World(tmp_path / "store")

    def refuse(refresh_token: str) -> dict[str, Any]:
        raise error

    first = Process(world, world.initial)
    world.idp.refresh = refuse  # type: ignore[method-assign]
    world.clock.advance(LIFETIME - 200)
    assert first.provider.get_tokens() is None
    assert first.invalidated == 1
    assert world.stored() == {"signed_out": True}
    assert first.events[-1] == "tokenRefresh_failure"

    # Another process stored a newer session meanwhile: not ours to end.
    world2 = World(tmp_path / "store2")
    second = Process(world2, world2.initial)
    storage = FileStorage(world2.path)

    def refuse_after_rewrite(refresh_token: str) -> dict[str, Any]:
        SessionRecord(ISSUER, CLIENT_ID, "corp", "rt-new").save(storage)
        raise error

    world2.idp.refresh = refuse_after_rewrite  # type: ignore[method-assign]
    world2.clock.advance(LIFETIME - 200)
    assert second.provider.get_tokens() is None
    assert second.invalidated == 1
    assert world2.stored() == {"provider": "corp", "refresh_token": "rt-new"}
