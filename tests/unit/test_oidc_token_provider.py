"""The OIDC token provider: refresh ahead of expiry, rotated refresh tokens stored first, and
invariant 3 — tokens are dropped on ``invalid_grant`` only, never on 5xx or network errors.

A fake client scripts the token endpoint; time is a fake clock and the refresh engine runs
without its background thread, so every refresh happens inside a ``get_tokens()`` call.
"""

from __future__ import annotations

import base64
import itertools
import json
from typing import Any

import pytest

from nbauth.core.refresh import RefreshPolicy, RefreshState
from nbauth.core.session_record import SessionRecord
from nbauth.core.storage import MemoryStorage
from nbauth.core.values import AuthTokens
from nbauth.errors import (
    InvalidGrantError,
    NetworkError,
    ServiceError,
    TokenVerificationError,
    TooManyRequestsError,
)
from nbauth.oidc.client import ProviderSpec
from nbauth.oidc.token_provider import OIDCTokenProvider
from nbauth.oidc.tokens import OIDCTokens
from nbauth.oidc.transport import oauth_error
from tests.support.fakes import FakeClock

ISSUER = "https://idp.example.com/realms/team"
CLIENT_ID = "nbauth-notebook"
STORAGE_KEY = f"nbauth.oidc.{ISSUER}.{CLIENT_ID}"
LIFETIME = 3600
REFRESH_AT = LIFETIME - 300  # RefreshPolicy's margin, no jitter
USABLE_FOR = LIFETIME - 10  # expiry skew

_serial = itertools.count(1)


def unsigned_jwt(**claims: Any) -> str:
    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'kid': 'k'})}.{part(claims)}.c2lnbmF0dXJl"


def token_response(clock: FakeClock, refresh_token: str | None = None) -> dict[str, Any]:
    """A token-endpoint answer whose tokens expire LIFETIME seconds from now."""
    n = next(_serial)
    exp = int(clock()) + LIFETIME
    response: dict[str, Any] = {
        "access_token": unsigned_jwt(iss=ISSUER, sub="alice", exp=exp, jti=f"access-{n}"),
        "id_token": unsigned_jwt(iss=ISSUER, sub="alice", aud=CLIENT_ID, exp=exp, jti=f"id-{n}"),
        "token_type": "Bearer",
        "expires_in": LIFETIME,
    }
    if refresh_token is not None:
        response["refresh_token"] = refresh_token
    return response


class FakeClient:
    """What OIDCTokenProvider uses of an OIDCClient, scripted."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.spec = ProviderSpec(
            name="corp",
            issuer=ISSUER,
            client_id=CLIENT_ID,
            logins_key="idp.example.com/realms/team",
        )
        #: refresh outcomes in order: a response dict or an exception; default: fresh tokens
        self.outcomes: list[Any] = []
        self.refreshed_with: list[str] = []
        self.after_refresh_errors: list[BaseException] = []
        self.after_refresh_calls = 0
        self.revoked: list[str] = []
        self.revoke_error: BaseException | None = None

    def refresh_response(self, refresh_token: str, previous: Any = None) -> dict[str, Any]:
        self.refreshed_with.append(refresh_token)
        outcome = self.outcomes.pop(0) if self.outcomes else token_response(self.clock)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def tokens_after_refresh(self, response: dict[str, Any], previous: OIDCTokens) -> OIDCTokens:
        self.after_refresh_calls += 1
        if self.after_refresh_errors:
            raise self.after_refresh_errors.pop(0)
        return OIDCTokens.from_response(response, now=self.clock(), previous=previous)

    def revoke(self, token: str) -> bool:
        self.revoked.append(token)
        if self.revoke_error is not None:
            raise self.revoke_error
        return True


class Harness:
    def __init__(self, *, refresh_token: str | None = "refresh-secret-1") -> None:
        self.clock = FakeClock()
        self.client = FakeClient(self.clock)
        self.storage = MemoryStorage()
        self.events: list[tuple[str, Any, str | None]] = []
        self.refreshed: list[OIDCTokens] = []
        self.invalidated = 0
        self.initial = OIDCTokens.from_response(
            token_response(self.clock, refresh_token), now=self.clock()
        )
        self.provider = OIDCTokenProvider(
            self.client,  # type: ignore[arg-type]
            self.initial,
            storage=self.storage,
            emit=lambda name, data, message: self.events.append((name, data, message)),
            policy=RefreshPolicy(jitter_seconds=0),
            clock=self.clock,
            background=False,
            on_refreshed=self.refreshed.append,
            on_invalidated=self._invalidated,
        )
        self.secrets = {
            self.initial.access_token,
            self.initial.id_token,
            "refresh-secret-1",
            "refresh-secret-2",
        }

    def _invalidated(self) -> None:
        self.invalidated += 1

    def stored(self) -> dict[str, Any] | None:
        """The stored record's provider and refresh token (the tokens: ``stored_tokens``)."""
        raw = self.storage.get(STORAGE_KEY)
        if raw is None:
            return None
        data = json.loads(raw)
        return {k: data[k] for k in ("provider", "refresh_token") if k in data}

    def event_names(self) -> list[str]:
        return [name for name, _, _ in self.events]

    def assert_no_secret_in_events(self) -> None:
        for event in self.events:
            text = repr(event)
            for secret in self.secrets:
                assert secret not in text

    def to_refresh_time(self) -> None:
        self.clock.advance(REFRESH_AT + 1)


@pytest.fixture
def h() -> Harness:
    harness = Harness()
    yield harness
    harness.provider.close()


# -- at rest ---------------------------------------------------------------------------------


def test_the_initial_refresh_token_is_stored(h: Harness) -> None:
    assert h.stored() == {"provider": "corp", "refresh_token": "refresh-secret-1"}


def test_fresh_tokens_are_served_without_a_refresh(h: Harness) -> None:
    tokens = h.provider.get_tokens()
    assert isinstance(tokens, AuthTokens)
    assert tokens == h.initial.auth_tokens
    assert tokens.id_token is not None
    assert tokens.id_token.to_string() == h.initial.id_token
    h.clock.advance(REFRESH_AT - 1)
    assert h.provider.get_tokens() == h.initial.auth_tokens
    assert h.client.refreshed_with == []
    assert h.events == []


def test_the_provider_exposes_the_logins_key(h: Harness) -> None:
    assert h.provider.logins_key == "idp.example.com/realms/team"


def test_repr_holds_no_token(h: Harness) -> None:
    text = repr(h.provider)
    assert "corp" in text
    for secret in h.secrets:
        assert secret not in text
    assert "refresh-secret-1" not in repr(h.provider.current)


def test_status_provider_name_and_the_stored_token_are_public(h: Harness) -> None:
    status = h.provider.status()
    assert status.state is RefreshState.FRESH
    assert status.name == "tokens"
    assert h.provider.provider_name == "corp"
    assert "state='fresh'" in repr(h.provider)
    stored = OIDCTokenProvider.stored_refresh_token(h.storage, ISSUER, CLIENT_ID)
    assert stored == "refresh-secret-1"
    assert OIDCTokenProvider.stored_refresh_token(h.storage, ISSUER, "other-client") is None


# -- refreshing ------------------------------------------------------------------------------------


def test_past_the_refresh_time_one_refresh_happens(h: Harness) -> None:
    h.to_refresh_time()

    tokens = h.provider.get_tokens()

    assert h.client.refreshed_with == ["refresh-secret-1"]
    assert tokens is not None
    assert tokens != h.initial.auth_tokens
    assert h.provider.get_tokens() == tokens
    assert len(h.client.refreshed_with) == 1
    assert h.provider.current is not None
    assert h.provider.current.refresh_token == "refresh-secret-1"  # kept when not rotated
    assert h.stored() == {"provider": "corp", "refresh_token": "refresh-secret-1"}


def test_a_successful_refresh_emits_token_refresh_and_calls_on_refreshed(h: Harness) -> None:
    h.to_refresh_time()
    tokens = h.provider.get_tokens()
    assert h.event_names() == ["tokenRefresh"]
    assert [t.auth_tokens for t in h.refreshed] == [tokens]
    h.assert_no_secret_in_events()


def test_force_refresh_refreshes_fresh_tokens(h: Harness) -> None:
    tokens = h.provider.get_tokens(force_refresh=True)
    assert h.client.refreshed_with == ["refresh-secret-1"]
    assert tokens != h.initial.auth_tokens


def test_a_rotated_refresh_token_is_used_from_then_on(h: Harness) -> None:
    h.client.outcomes = [token_response(h.clock, "refresh-secret-2")]
    h.to_refresh_time()
    h.provider.get_tokens()
    assert h.stored() == {"provider": "corp", "refresh_token": "refresh-secret-2"}
    assert h.provider.current is not None
    assert h.provider.current.refresh_token == "refresh-secret-2"

    h.to_refresh_time()
    h.provider.get_tokens()
    assert h.client.refreshed_with == ["refresh-secret-1", "refresh-secret-2"]


def test_a_rotated_refresh_token_is_stored_before_the_tokens_are_checked(h: Harness) -> None:
    """If verification of the new tokens fails, the old refresh token is already dead at the
    provider (rotation): the new one must have been kept."""
    h.client.outcomes = [token_response(h.clock, "refresh-secret-2")]
    h.client.after_refresh_errors = [ServiceError("The JWKS could not be fetched.")]
    h.to_refresh_time()

    stale = h.provider.get_tokens()

    assert h.client.after_refresh_calls == 1
    assert stale == h.initial.auth_tokens  # still usable: served while the refresh fails
    assert h.stored() == {"provider": "corp", "refresh_token": "refresh-secret-2"}
    assert "tokenRefresh_failure" in h.event_names()

    h.clock.advance(5)  # past the (at most 1 s) backoff
    h.provider.get_tokens()
    assert h.client.refreshed_with == ["refresh-secret-1", "refresh-secret-2"]
    assert h.provider.current is not None
    assert h.provider.current.refresh_token == "refresh-secret-2"
    h.assert_no_secret_in_events()


def test_a_refresh_answer_without_a_refresh_token_keeps_the_old_one(h: Harness) -> None:
    h.to_refresh_time()
    h.provider.get_tokens()
    h.to_refresh_time()
    h.provider.get_tokens()
    assert h.client.refreshed_with == ["refresh-secret-1", "refresh-secret-1"]


# -- failures: invariant 3 -------------------------------------------------------------------------


def test_invalid_grant_drops_the_session_everywhere(h: Harness) -> None:
    h.client.outcomes = [oauth_error("invalid_grant", "token revoked", "Token refresh")]
    h.to_refresh_time()

    h.provider.get_tokens()

    assert h.invalidated == 1
    assert h.storage.get(STORAGE_KEY) is None
    assert h.provider.current is None
    assert h.provider.get_tokens() is None
    assert h.client.refreshed_with == ["refresh-secret-1"]  # nothing left to refresh with


def test_invalid_grant_keeps_a_record_that_holds_a_newer_token(h: Harness) -> None:
    """Invariant 8: another process rotated the token meanwhile; its record stays."""
    SessionRecord(ISSUER, CLIENT_ID, "corp", "refresh-secret-other").save(h.storage)
    h.client.outcomes = [oauth_error("invalid_grant", "token revoked", "Token refresh")]
    h.to_refresh_time()

    h.provider.get_tokens()

    assert h.invalidated == 1
    assert h.stored() == {"provider": "corp", "refresh_token": "refresh-secret-other"}


def test_the_call_that_meets_invalid_grant_does_not_hand_out_the_dropped_tokens(
    h: Harness,
) -> None:
    h.client.outcomes = [oauth_error("invalid_grant", "token revoked", "Token refresh")]
    h.to_refresh_time()
    assert h.provider.get_tokens() is None


def test_invalid_grant_on_expired_tokens_raises_it_typed(h: Harness) -> None:
    h.client.outcomes = [InvalidGrantError("Token refresh failed: invalid_grant")]
    h.clock.advance(LIFETIME + 60)
    with pytest.raises(InvalidGrantError):
        h.provider.get_tokens()
    assert h.invalidated == 1
    assert h.storage.get(STORAGE_KEY) is None


@pytest.mark.parametrize(
    "error",
    [
        ServiceError("Token refresh failed: HTTP 503."),
        NetworkError("Token refresh failed: could not reach the identity provider."),
        TooManyRequestsError("Token refresh failed: HTTP 429."),
    ],
    ids=["5xx", "network", "throttled"],
)
def test_transient_failures_keep_tokens_and_storage(h: Harness, error: Exception) -> None:
    h.client.outcomes = [error, error]
    h.to_refresh_time()

    assert h.provider.get_tokens() == h.initial.auth_tokens  # stale tokens keep serving
    assert h.stored() == {"provider": "corp", "refresh_token": "refresh-secret-1"}
    assert h.invalidated == 0
    ((name, data, message),) = h.events
    assert name == "tokenRefresh_failure"
    assert data == {"error": error.name, "message": error.message}  # type: ignore[attr-defined]
    assert message
    h.assert_no_secret_in_events()

    h.clock.advance(USABLE_FOR - REFRESH_AT)  # now past the usable window: never hand it out
    with pytest.raises(type(error)):
        h.provider.get_tokens()
    assert h.provider.current is None  # nothing usable now ...
    assert h.stored() == {"provider": "corp", "refresh_token": "refresh-secret-1"}  # ... but kept
    assert h.invalidated == 0

    h.clock.advance(120)  # past any backoff; the provider answers again
    tokens = h.provider.get_tokens()
    assert tokens is not None
    assert h.client.refreshed_with[-1] == "refresh-secret-1"
    assert h.event_names()[-1] == "tokenRefresh"


def test_a_verification_failure_after_refresh_keeps_the_session(h: Harness) -> None:
    refusal = TokenVerificationError("The token's signature does not verify.")
    h.client.after_refresh_errors = [refusal]
    h.to_refresh_time()
    assert h.provider.get_tokens() == h.initial.auth_tokens
    assert h.stored() is not None
    assert h.invalidated == 0
    assert h.event_names() == ["tokenRefresh_failure"]


def test_without_a_refresh_token_nothing_is_stored_and_expiry_ends_the_session() -> None:
    harness = Harness(refresh_token=None)
    assert harness.storage.get(STORAGE_KEY) is None
    harness.clock.advance(LIFETIME + 1)
    assert harness.provider.get_tokens() is None
    assert harness.client.refreshed_with == []


# -- sign-out ------------------------------------------------------------------------------------


def test_sign_out_revokes_the_refresh_token_and_clears_storage(h: Harness) -> None:
    assert h.provider.sign_out() is True
    assert h.client.revoked == ["refresh-secret-1"]
    assert h.storage.get(STORAGE_KEY) is None
    assert h.provider.current is None
    assert h.provider.get_tokens() is None
    assert h.client.refreshed_with == []


def test_sign_out_revokes_the_latest_rotated_token(h: Harness) -> None:
    h.client.outcomes = [token_response(h.clock, "refresh-secret-2")]
    h.to_refresh_time()
    h.provider.get_tokens()
    h.provider.sign_out()
    assert h.client.revoked == ["refresh-secret-2"]


@pytest.mark.parametrize(
    "error", [NetworkError("unreachable"), ServiceError("HTTP 500"), RuntimeError("bug")]
)
def test_a_failing_revocation_still_signs_out(h: Harness, error: BaseException) -> None:
    h.client.revoke_error = error
    assert h.provider.sign_out() is False
    assert h.client.revoked == ["refresh-secret-1"]
    assert h.storage.get(STORAGE_KEY) is None
    assert h.provider.get_tokens() is None


def test_sign_out_without_revocation_does_not_call_the_provider(h: Harness) -> None:
    assert h.provider.sign_out(revoke=False) is False
    assert h.client.revoked == []
    assert h.storage.get(STORAGE_KEY) is None
