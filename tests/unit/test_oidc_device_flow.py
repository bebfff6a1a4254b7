"""RFC 8628 device code: the handle comes back at once, a thread polls the token endpoint
honouring ``interval`` / ``slow_down``, and every way the flow can end sets a final status.

The client is a duck-typed fake with scripted token-endpoint outcomes; the ``sleep`` hook of
``start_device_code`` returns at once, records each interval and moves a fake clock, so no test
sleeps.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from nbauth.errors import (
    AccessDeniedError,
    AuthError,
    DiscoveryError,
    ExpiredDeviceCodeError,
    NetworkError,
    OAuthError,
    ServiceError,
    SignInCancelledError,
    SignInTimeoutError,
    TokenVerificationError,
    TooManyRequestsError,
)
from nbauth.oidc.discovery import ProviderMetadata
from nbauth.oidc.rfc8628 import (
    DEVICE_CODE_GRANT,
    MAX_TRANSIENT_FAILURES,
    DeviceCodeSignIn,
    start_device_code,
)
from nbauth.oidc.tokens import OIDCTokens
from nbauth.oidc.transport import oauth_error
from tests.support.fakes import FakeClock

ISSUER = "https://idp.example.com"
DEVICE_CODE = "GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS"
WAIT = 5.0  # seconds a test waits for the polling thread at most (never elapses when green)


def unsigned_jwt(**claims: Any) -> str:
    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'kid': 'k'})}.{part(claims)}.c2lnbmF0dXJl"


def token_response(clock: FakeClock) -> dict[str, Any]:
    exp = int(clock()) + 3600
    return {
        "access_token": unsigned_jwt(iss=ISSUER, sub="alice", exp=exp, scope="openid"),
        "id_token": unsigned_jwt(iss=ISSUER, sub="alice", aud="cli", exp=exp),
        "refresh_token": "refresh-secret",
        "token_type": "Bearer",
        "expires_in": 3600,
    }


def pending() -> OAuthError:
    return oauth_error("authorization_pending", "not yet", "Device-code sign-in")


def slow_down() -> OAuthError:
    return oauth_error("slow_down", None, "Device-code sign-in")


class FakeClient:
    """What ``start_device_code`` uses of an OIDCClient, with scripted token-endpoint outcomes.

    Each outcome is a token response (dict), an exception to raise, or a callable producing one
    of those (to block mid-request).
    """

    def __init__(
        self,
        clock: FakeClock,
        outcomes: list[Any],
        *,
        answer: dict[str, Any] | None = None,
        device_endpoint: str | None = f"{ISSUER}/device",
    ) -> None:
        self.clock = clock
        self.metadata = ProviderMetadata(
            issuer=ISSUER,
            token_endpoint=f"{ISSUER}/token",
            jwks_uri=f"{ISSUER}/jwks",
            device_authorization_endpoint=device_endpoint,
        )
        self.spec = SimpleNamespace(name="corp", scopes=("openid", "offline_access"))
        self.answer = answer if answer is not None else device_answer()
        self.outcomes = list(outcomes)
        self.forms: list[tuple[str, dict[str, str], str]] = []
        self.token_requests: list[tuple[str, dict[str, Any]]] = []

    def post_form(self, url: str, data: dict[str, str], what: str) -> dict[str, Any]:
        self.forms.append((url, data, what))
        return dict(self.answer)

    def token_request(self, what: str, grant: dict[str, str]) -> dict[str, Any]:
        self.token_requests.append((self.metadata.token_endpoint, grant))
        assert self.outcomes, "the flow polled more often than scripted"
        outcome = self.outcomes.pop(0)
        if callable(outcome) and not isinstance(outcome, BaseException):
            outcome = outcome()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def device_answer(**overrides: Any) -> dict[str, Any]:
    answer = {
        "device_code": DEVICE_CODE,
        "user_code": "WDJB-MJHT",
        "verification_uri": "https://idp.example.com/device",
        "verification_uri_complete": "https://idp.example.com/device?user_code=WDJB-MJHT",
        "expires_in": 900,
    }
    answer.update(overrides)
    return {k: v for k, v in answer.items() if v is not None}


class FakeSleep:
    """The ``sleep(event, seconds)`` hook: records intervals, moves the clock, never sleeps.

    Call number ``hold_on`` (1-based) blocks until ``release`` is set (or, with
    ``hold_until="cancel"``, until the flow is cancelled) — an event wait, bounded by WAIT.
    """

    def __init__(
        self, clock: FakeClock, *, hold_on: int | None = None, hold_until: str = "release"
    ) -> None:
        self.clock = clock
        self.intervals: list[float] = []
        self.hold_on = hold_on
        self.hold_until = hold_until
        self.held = threading.Event()
        self.release = threading.Event()
        self.saw_cancel = threading.Event()

    def __call__(self, cancelled: threading.Event, seconds: float) -> bool:
        self.intervals.append(seconds)
        if len(self.intervals) == self.hold_on:
            self.held.set()
            (cancelled if self.hold_until == "cancel" else self.release).wait(WAIT)
        self.clock.advance(seconds)
        if cancelled.is_set():
            self.saw_cancel.set()
            return True
        return False


class Recorder:
    """``on_tokens``: records the tokens and returns a result (or raises ``error``)."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.tokens: list[OIDCTokens] = []
        self.error = error

    def __call__(self, tokens: OIDCTokens) -> str:
        self.tokens.append(tokens)
        if self.error is not None:
            raise self.error
        return "session-for-alice"


def start(
    outcomes: list[Any],
    *,
    clock: FakeClock | None = None,
    sleep: FakeSleep | None = None,
    on_tokens: Callable[[OIDCTokens], Any] | None = None,
    **client_kw: Any,
) -> tuple[DeviceCodeSignIn, FakeClient, FakeSleep, Recorder | Any]:
    clock = clock or FakeClock()
    client = FakeClient(clock, outcomes, **client_kw)
    sleep = sleep or FakeSleep(clock)
    on_tokens = on_tokens or Recorder()
    handle = start_device_code(
        client,  # type: ignore[arg-type]
        scopes=None,
        on_tokens=on_tokens,
        clock=clock,
        sleep=sleep,
    )
    return handle, client, sleep, on_tokens


def finished(handle: DeviceCodeSignIn) -> DeviceCodeSignIn:
    """Wait (bounded) for the polling thread to end the flow."""
    assert handle.wait_done(WAIT), f"the flow is still {handle.status}"
    return handle


def assert_secret_free(error: BaseException | None) -> None:
    assert isinstance(error, AuthError)
    assert error.recovery_suggestion
    for text in (str(error), repr(error)):
        assert DEVICE_CODE not in text
        assert "refresh-secret" not in text


# -- the handle ---------------------------------------------------------------------------------


def test_the_handle_comes_back_at_once_with_what_the_user_needs() -> None:
    clock = FakeClock()
    sleep = FakeSleep(clock, hold_on=1)
    handle, client, _, _ = start([token_response(clock)], clock=clock, sleep=sleep)
    try:
        assert sleep.held.wait(WAIT)
        assert handle.status == "pending"
        assert not handle.done
        assert handle.user_code == "WDJB-MJHT"
        assert handle.verification_uri == "https://idp.example.com/device"
        assert handle.verification_uri_complete.endswith("?user_code=WDJB-MJHT")
        assert handle.expires_at == clock() + 900
        assert handle.provider == "corp"
        assert client.forms == [
            (f"{ISSUER}/device", {"scope": "openid offline_access"}, "Device authorization")
        ]
        assert client.token_requests == []
    finally:
        sleep.release.set()
        finished(handle)


def test_the_device_code_never_appears_in_the_handle() -> None:
    handle, _, _, _ = start([token_response(FakeClock())])
    for text in (repr(handle), str(handle), repr(vars(handle))):
        assert DEVICE_CODE not in text
    finished(handle)
    for text in (repr(handle), repr(vars(handle))):
        assert DEVICE_CODE not in text
        assert "refresh-secret" not in text


def test_verification_uri_complete_defaults_to_the_verification_uri() -> None:
    answer = device_answer(verification_uri_complete=None)
    handle, _, _, _ = start([token_response(FakeClock())], answer=answer)
    assert handle.verification_uri_complete == handle.verification_uri
    finished(handle)


def test_googles_verification_url_spelling_is_accepted() -> None:
    answer = device_answer(verification_uri=None, verification_url="https://www.google.com/device")
    handle, _, _, _ = start([token_response(FakeClock())], answer=answer)
    assert handle.verification_uri == "https://www.google.com/device"
    finished(handle)


def test_explicit_scopes_replace_the_configured_ones() -> None:
    clock = FakeClock()
    client = FakeClient(clock, [token_response(clock)])
    handle = start_device_code(
        client,  # type: ignore[arg-type]
        scopes=("openid", "email"),
        on_tokens=Recorder(),
        clock=clock,
        sleep=FakeSleep(clock),
    )
    assert client.forms[0][1] == {"scope": "openid email"}
    finished(handle)


# -- polling ---------------------------------------------------------------------------------


def test_success_signs_in_and_wait_returns_what_on_tokens_returned() -> None:
    clock = FakeClock()
    handle, client, _, recorder = start([pending(), token_response(clock)], clock=clock)

    assert handle.wait(WAIT) == "session-for-alice"
    assert handle.status == "signed_in"
    assert handle.result == "session-for-alice"
    assert handle.error is None
    assert handle.polls == 2
    (tokens,) = recorder.tokens
    assert tokens.refresh_token == "refresh-secret"
    assert tokens.id_claims["sub"] == "alice"
    url, grant = client.token_requests[0]
    assert url == f"{ISSUER}/token"
    assert grant == {"grant_type": DEVICE_CODE_GRANT, "device_code": DEVICE_CODE}


def test_the_advertised_interval_is_honoured() -> None:
    clock = FakeClock()
    handle, _, sleep, _ = start(
        [pending(), pending(), token_response(clock)],
        clock=clock,
        answer=device_answer(interval=7),
    )
    finished(handle)
    assert sleep.intervals == [7, 7, 7]


def test_the_interval_defaults_to_five_seconds() -> None:
    clock = FakeClock()
    handle, _, sleep, _ = start([pending(), token_response(clock)], clock=clock)
    finished(handle)
    assert handle.interval == 5
    assert sleep.intervals == [5, 5]


def test_authorization_pending_keeps_polling() -> None:
    clock = FakeClock()
    outcomes = [pending() for _ in range(10)] + [token_response(clock)]
    handle, client, _, _ = start(outcomes, clock=clock)
    assert finished(handle).status == "signed_in"
    assert handle.polls == 11
    assert len(client.token_requests) == 11


def test_slow_down_adds_five_seconds_each_time() -> None:
    clock = FakeClock()
    handle, _, sleep, _ = start(
        [slow_down(), pending(), slow_down(), pending(), token_response(clock)], clock=clock
    )
    assert finished(handle).status == "signed_in"
    assert sleep.intervals == [5, 10, 10, 15, 15]


def test_access_denied_ends_the_flow_as_denied() -> None:
    denied = oauth_error("access_denied", "the user said no", "Device-code sign-in")
    handle, client, _, recorder = start([pending(), denied])
    finished(handle)
    assert handle.status == "denied"
    assert isinstance(handle.error, AccessDeniedError)
    with pytest.raises(AccessDeniedError):
        handle.wait(0)
    assert len(client.token_requests) == 2
    assert recorder.tokens == []
    assert_secret_free(handle.error)


def test_expired_token_from_the_server_ends_the_flow_as_expired() -> None:
    gone = oauth_error("expired_token", None, "Device-code sign-in")
    handle, _, _, _ = start([pending(), gone])
    finished(handle)
    assert handle.status == "expired"
    assert isinstance(handle.error, ExpiredDeviceCodeError)
    assert handle.error.name == "expired_token"
    assert_secret_free(handle.error)


def test_the_code_expiring_locally_ends_the_flow_without_another_request() -> None:
    clock = FakeClock()
    handle, client, sleep, _ = start(
        [pending(), pending()], clock=clock, answer=device_answer(expires_in=12)
    )
    finished(handle)
    assert handle.status == "expired"
    assert isinstance(handle.error, ExpiredDeviceCodeError)
    assert len(client.token_requests) == 2  # at t=5 and t=10; at t=15 the code is dead
    assert sleep.intervals == [5, 5, 5]
    with pytest.raises(ExpiredDeviceCodeError):
        handle.wait(0)


def test_another_oauth_error_fails_the_flow() -> None:
    bad = oauth_error("invalid_client", "unknown client", "Device-code sign-in")
    handle, _, _, _ = start([bad])
    finished(handle)
    assert handle.status == "failed"
    assert handle.error is bad


def test_transient_errors_are_retried_with_a_doubling_interval_then_fail() -> None:
    outcomes: list[Any] = [
        ServiceError("HTTP 502"),
        NetworkError("unreachable"),
        TooManyRequestsError("HTTP 429"),
        ServiceError("HTTP 503"),
        ServiceError("HTTP 500"),
        ServiceError("HTTP 504 at last"),
    ]
    assert len(outcomes) == MAX_TRANSIENT_FAILURES + 1
    handle, client, sleep, _ = start(outcomes)
    finished(handle)
    assert handle.status == "failed"
    assert isinstance(handle.error, ServiceError)
    assert handle.error.message == "HTTP 504 at last"
    assert len(client.token_requests) == MAX_TRANSIENT_FAILURES + 1
    assert sleep.intervals == [5, 10, 20, 40, 60, 60]  # doubled, capped at 60 s


def test_a_few_transient_errors_do_not_stop_the_flow() -> None:
    clock = FakeClock()
    outcomes = [ServiceError("502"), NetworkError("down"), pending(), token_response(clock)]
    handle, _, _, _ = start(outcomes, clock=clock)
    assert handle.wait(WAIT) == "session-for-alice"


def test_transient_errors_count_in_a_row_only() -> None:
    """A pending answer proves the endpoint works again: the failure streak starts over."""
    clock = FakeClock()
    outcomes: list[Any] = [ServiceError("5xx") for _ in range(MAX_TRANSIENT_FAILURES)]
    outcomes += [pending(), ServiceError("one more blip"), token_response(clock)]
    handle, _, _, _ = start(outcomes, clock=clock)
    finished(handle)
    assert handle.status == "signed_in", handle.error


def test_a_definitive_non_oauth_error_fails_at_once() -> None:
    handle, client, _, _ = start([TokenVerificationError("bad"), pending()])
    finished(handle)
    assert handle.status == "failed"
    assert len(client.token_requests) == 1


# -- on_tokens -------------------------------------------------------------------------------


def test_on_tokens_raising_an_auth_error_fails_the_flow() -> None:
    clock = FakeClock()
    refusal = TokenVerificationError("The token's nonce does not match.")
    handle, _, _, _ = start([token_response(clock)], clock=clock, on_tokens=Recorder(refusal))
    finished(handle)
    assert handle.status == "failed"
    with pytest.raises(TokenVerificationError) as info:
        handle.wait(0)
    assert info.value is refusal


def test_on_tokens_raising_anything_else_fails_the_flow_with_a_typed_error() -> None:
    clock = FakeClock()
    handle, _, _, _ = start(
        [token_response(clock)], clock=clock, on_tokens=Recorder(KeyError("sub"))
    )
    finished(handle)
    assert handle.status == "failed"
    assert isinstance(handle.error, ServiceError)
    assert_secret_free(handle.error)


def test_a_token_response_without_an_access_token_fails_the_flow() -> None:
    handle, _, _, recorder = start([{"token_type": "Bearer"}])
    finished(handle)
    assert handle.status == "failed"
    assert isinstance(handle.error, ServiceError)
    assert recorder.tokens == []


# -- cancel, wait(timeout), on_done ----------------------------------------------------------------


def test_cancel_stops_polling_and_wait_raises_cancelled() -> None:
    clock = FakeClock()
    sleep = FakeSleep(clock, hold_on=2, hold_until="cancel")
    handle, client, _, recorder = start(
        [pending(), token_response(clock)], clock=clock, sleep=sleep
    )
    assert sleep.held.wait(WAIT)

    handle.cancel()

    assert sleep.saw_cancel.wait(WAIT)
    assert handle.status == "cancelled"
    with pytest.raises(SignInCancelledError) as info:
        handle.wait(0)
    assert info.value.recovery_suggestion
    assert len(client.token_requests) == 1
    assert len(client.outcomes) == 1  # the success was never fetched
    assert recorder.tokens == []


def test_cancelling_while_a_request_is_in_flight_drops_its_tokens() -> None:
    clock = FakeClock()
    in_flight, release = threading.Event(), threading.Event()
    response = token_response(clock)

    def slow_success() -> dict[str, Any]:
        in_flight.set()
        release.wait(WAIT)
        return response

    handle, _, _, recorder = start([slow_success], clock=clock)
    assert in_flight.wait(WAIT)
    handle.cancel()
    release.set()
    with pytest.raises(SignInCancelledError):
        handle.wait(WAIT)
    assert handle.status == "cancelled"
    assert recorder.tokens == []


def test_wait_with_a_timeout_raises_while_the_flow_goes_on() -> None:
    clock = FakeClock()
    sleep = FakeSleep(clock, hold_on=1)
    handle, _, _, _ = start([token_response(clock)], clock=clock, sleep=sleep)
    assert sleep.held.wait(WAIT)

    with pytest.raises(SignInTimeoutError) as info:
        handle.wait(timeout=0.01)
    assert info.value.recovery_suggestion
    assert handle.status == "pending"

    sleep.release.set()
    assert handle.wait(WAIT) == "session-for-alice"
    assert handle.status == "signed_in"


def test_on_done_callbacks_run_once() -> None:
    clock = FakeClock()
    sleep = FakeSleep(clock, hold_on=1)
    handle, _, _, _ = start([token_response(clock)], clock=clock, sleep=sleep)
    calls: list[tuple[str, str]] = []

    def broken(h: DeviceCodeSignIn) -> None:
        calls.append(("broken", h.status))
        raise RuntimeError("a widget callback failing")

    ran = threading.Event()

    def second(h: DeviceCodeSignIn) -> None:
        calls.append(("second", h.status))
        ran.set()

    handle.on_done(broken)
    handle.on_done(second)
    sleep.release.set()
    handle.wait(WAIT)
    # Like concurrent.futures, wait() may return before the callbacks have run: wait for them.
    assert ran.wait(WAIT)
    handle.cancel()  # after the end: changes nothing, runs nothing again
    handle.on_done(lambda h: calls.append(("late", h.status)))  # runs at once

    assert calls == [("broken", "signed_in"), ("second", "signed_in"), ("late", "signed_in")]
    assert handle.status == "signed_in"


# -- the device authorization request -------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        device_answer(device_code=None),
        device_answer(user_code=None),
        device_answer(verification_uri=None),
        device_answer(expires_in=None),
        device_answer(expires_in="soon"),
        {},
    ],
    ids=["no-device-code", "no-user-code", "no-uri", "no-expiry", "bad-expiry", "empty"],
)
def test_a_malformed_device_authorization_answer_is_a_service_error(
    answer: dict[str, Any],
) -> None:
    clock = FakeClock()
    client = FakeClient(clock, [], answer=answer)
    with pytest.raises(ServiceError) as info:
        start_device_code(
            client,  # type: ignore[arg-type]
            scopes=None,
            on_tokens=Recorder(),
            clock=clock,
            sleep=FakeSleep(clock),
        )
    assert "RFC 8628" in info.value.message
    assert DEVICE_CODE not in str(info.value)
    assert client.token_requests == []


def test_a_provider_without_a_device_endpoint_fails_before_any_request() -> None:
    clock = FakeClock()
    client = FakeClient(clock, [], device_endpoint=None)
    with pytest.raises(DiscoveryError) as info:
        start_device_code(
            client,  # type: ignore[arg-type]
            scopes=None,
            on_tokens=Recorder(),
            clock=clock,
            sleep=FakeSleep(clock),
        )
    assert "device_authorization_endpoint" in info.value.message
    assert client.forms == []


# -- PKCE where the IdP offers it (Keycloak enforces it per client, on the device request too) --


def test_pkce_is_sent_when_discovery_offers_s256_and_the_verifier_on_every_poll() -> None:
    from dataclasses import replace

    from nbauth.oidc.rfc7636 import s256_challenge

    clock = FakeClock()
    client = FakeClient(clock, [pending(), token_response(clock)])
    client.metadata = replace(client.metadata, code_challenge_methods_supported=("plain", "S256"))
    handle = start_device_code(
        client,  # type: ignore[arg-type]
        scopes=None,
        on_tokens=Recorder(),
        clock=clock,
        sleep=FakeSleep(clock),
    )
    assert handle.wait(WAIT) is not None
    form = client.forms[0][1]
    assert form["code_challenge_method"] == "S256"
    verifiers = {grant["code_verifier"] for _, grant in client.token_requests}
    assert len(client.token_requests) == 2 and len(verifiers) == 1
    (verifier,) = verifiers
    assert s256_challenge(verifier) == form["code_challenge"]
    assert verifier not in repr(handle) and verifier not in repr(vars(handle))


def test_no_pkce_where_discovery_does_not_offer_s256() -> None:
    handle, client, _, _ = start([token_response(FakeClock())])
    finished(handle)
    assert "code_challenge" not in client.forms[0][1]
    assert all("code_verifier" not in grant for _, grant in client.token_requests)
