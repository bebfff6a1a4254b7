"""Issue 11 over the real wire: the sandbox IdP answers a refresh with ``invalid_scope``,
``invalid_client`` or ``unauthorized_client`` (RFC 6749 §5.2 JSON, HTTP 400/401), and the
session ends cleanly, as with ``invalid_grant``: one ``tokenRefresh_failure`` naming the error and
saying the session ended (the state machine's ``SessionLost`` sends no second event), state
``signed_out``; the stored record is gone; a new sign-in works. A 5xx still keeps the session
(tests/integration/test_oidc_sandbox_flows.py)."""

from __future__ import annotations

from typing import Any

import pytest

import nbauth
from nbauth.core.storage import MemoryStorage
from nbauth.errors import (
    InvalidClientError,
    InvalidGrantError,
    InvalidScopeError,
    UnauthorizedClientError,
)

CASES = [
    ("invalid_scope", InvalidScopeError, 400),
    ("invalid_client", InvalidClientError, 401),
    ("unauthorized_client", UnauthorizedClientError, 400),
    ("invalid_grant", InvalidGrantError, 400),
]


def _records(storage: MemoryStorage) -> list[str]:
    return [k for k in storage._data if k.startswith("nbauth.oidc.")]  # test peeks


def _signed_in(sb: Any, make_auth: Any, storage: MemoryStorage) -> nbauth.Auth:
    auth = make_auth(refresh={"background": False}, storage=storage)
    handle = auth.sign_in_with_redirect(mode="paste")
    handle.complete(sb.sign_in_at(handle.url))
    assert auth.state == "signed_in"
    return auth


@pytest.mark.parametrize(("code", "error", "status"), CASES, ids=[c[0] for c in CASES])
def test_a_definitive_refusal_of_a_refresh_signs_out_with_an_event(
    sb: Any, make_auth: Any, code: str, error: type[Exception], status: int
) -> None:
    storage = MemoryStorage()
    auth = _signed_in(sb, make_auth, storage)
    assert _records(storage), "the session record is stored"
    events: list[tuple[str, Any]] = []
    auth.hub.listen("auth", lambda c: events.append((c["payload"]["event"], c["payload"])))

    sb.idp_fail_next("token", oauth_error=code, status=status)
    with pytest.raises((error, nbauth.errors.NoCredentialsError, nbauth.errors.InvalidStateError)):
        auth.fetch_auth_session(force_refresh=True)

    assert [name for name, _ in events] == ["tokenRefresh_failure"]
    payload = events[0][1]
    assert payload["data"]["error"] == code
    assert payload["data"]["signed_out"] is True
    assert code in payload["message"] and "signed out" in payload["message"]
    assert auth.state == "signed_out"
    assert not _records(storage)
    assert auth.fetch_auth_session().tokens is None
    assert sb.idp_calls("token") >= 1

    # Nothing is stuck: the next sign-in works.
    handle = auth.sign_in_with_redirect(mode="paste")
    handle.complete(sb.sign_in_at(handle.url))
    assert auth.state == "signed_in"
    auth.sign_out()
