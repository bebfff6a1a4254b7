"""Unit tests for nbauth.events: the Hub (listen/dispatch/unsubscribe) and AUTH_EVENTS."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from nbauth import events
from nbauth.errors import AuthError, InvalidParameterError
from nbauth.events import AUTH_EVENTS, Hub


@pytest.fixture
def hub() -> Hub:
    return Hub()


class Recorder:
    def __init__(self) -> None:
        self.capsules: list[dict[str, Any]] = []

    def __call__(self, capsule: dict[str, Any]) -> None:
        self.capsules.append(capsule)

    @property
    def events(self) -> list[str]:
        return [c["payload"]["event"] for c in self.capsules]


def test_capsule_shape(hub: Hub) -> None:
    rec = Recorder()
    hub.listen("auth", rec)

    hub.dispatch("auth", "signedIn", {"username": "ada"}, "Ada signed in")

    assert rec.capsules == [
        {
            "channel": "auth",
            "payload": {
                "event": "signedIn",
                "data": {"username": "ada"},
                "message": "Ada signed in",
            },
            "source": "Auth",
        }
    ]


def test_capsule_defaults_and_custom_source(hub: Hub) -> None:
    rec = Recorder()
    hub.listen("auth", rec)
    hub.dispatch("auth", "signedOut")
    hub.dispatch("auth", "tokenRefresh", source="Refresher")
    assert rec.capsules[0]["payload"] == {"event": "signedOut", "data": None, "message": None}
    assert rec.capsules[0]["source"] == "Auth"
    assert rec.capsules[1]["source"] == "Refresher"


def test_listeners_called_in_order(hub: Hub) -> None:
    calls: list[str] = []
    hub.listen("auth", lambda c: calls.append("first"))
    hub.listen("auth", lambda c: calls.append("second"))
    hub.dispatch("auth", "signedIn")
    assert calls == ["first", "second"]


def test_dispatch_without_listeners_is_fine(hub: Hub) -> None:
    hub.dispatch("auth", "signedIn", {"x": 1})
    hub.dispatch("nobody-listens", "anything")


def test_unsubscribe(hub: Hub) -> None:
    kept, dropped = Recorder(), Recorder()
    hub.listen("auth", kept)
    stop = hub.listen("auth", dropped)
    hub.dispatch("auth", "signedIn")

    stop()
    hub.dispatch("auth", "signedOut")

    assert kept.events == ["signedIn", "signedOut"]
    assert dropped.events == ["signedIn"]


def test_unsubscribe_is_idempotent(hub: Hub) -> None:
    rec, other = Recorder(), Recorder()
    stop = hub.listen("auth", rec)
    hub.listen("auth", other)
    stop()
    stop()
    stop()
    hub.dispatch("auth", "signedIn")
    assert rec.events == []
    assert other.events == ["signedIn"]


def test_unsubscribe_during_dispatch(hub: Hub) -> None:
    rec = Recorder()
    stops: list[Any] = []

    def once(capsule: dict[str, Any]) -> None:
        rec(capsule)
        stops[0]()

    stops.append(hub.listen("auth", once))
    later = Recorder()
    hub.listen("auth", later)

    hub.dispatch("auth", "signedIn")
    hub.dispatch("auth", "signedOut")

    assert rec.events == ["signedIn"]
    assert later.events == ["signedIn", "signedOut"]


def test_raising_listener_is_logged_and_others_still_run(
    hub: Hub, caplog: pytest.LogCaptureFixture
) -> None:
    before, after = Recorder(), Recorder()

    def broken(capsule: dict[str, Any]) -> None:
        raise RuntimeError("listener bug")

    hub.listen("auth", before)
    hub.listen("auth", broken)
    hub.listen("auth", after)

    with caplog.at_level(logging.ERROR, logger="nbauth.events"):
        hub.dispatch("auth", "tokenRefresh_failure", {"reason": "x"}, "failed")

    assert before.events == ["tokenRefresh_failure"]
    assert after.events == ["tokenRefresh_failure"]
    records = [r for r in caplog.records if r.name == "nbauth.events"]
    assert len(records) == 1
    assert records[0].levelno == logging.ERROR
    assert "tokenRefresh_failure" in records[0].getMessage()
    assert records[0].exc_info is not None
    assert isinstance(records[0].exc_info[1], RuntimeError)

    # the broken listener stays subscribed and keeps failing harmlessly
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="nbauth.events"):
        hub.dispatch("auth", "signedOut")
    assert after.events == ["tokenRefresh_failure", "signedOut"]
    assert len([r for r in caplog.records if r.name == "nbauth.events"]) == 1


def test_channels_are_separate(hub: Hub) -> None:
    auth, other = Recorder(), Recorder()
    hub.listen("auth", auth)
    hub.listen("datastore", other)

    hub.dispatch("auth", "signedIn")
    hub.dispatch("datastore", "ready")

    assert auth.events == ["signedIn"]
    assert other.events == ["ready"]
    assert other.capsules[0]["channel"] == "datastore"


def test_unsubscribe_only_affects_its_channel(hub: Hub) -> None:
    rec = Recorder()
    stop_auth = hub.listen("auth", rec)
    hub.listen("other", rec)
    stop_auth()
    hub.dispatch("auth", "signedIn")
    hub.dispatch("other", "ping")
    assert rec.events == ["ping"]


def test_hubs_are_independent() -> None:
    a, b = Hub(), Hub()
    rec = Recorder()
    a.listen("auth", rec)
    b.dispatch("auth", "signedIn")
    assert rec.events == []


@pytest.mark.parametrize("bad", [None, 42, "callback", {"on": "auth"}])
def test_non_callable_listener(hub: Hub, bad: Any) -> None:
    with pytest.raises(InvalidParameterError) as info:
        hub.listen("auth", bad)
    assert isinstance(info.value, AuthError)
    assert type(bad).__name__ in info.value.message
    assert info.value.recovery_suggestion
    hub.dispatch("auth", "signedIn")  # nothing half-registered


def test_module_hub_is_a_hub() -> None:
    assert isinstance(events.hub, Hub)
    rec = Recorder()
    stop = events.hub.listen("test-events-module-channel", rec)
    try:
        events.hub.dispatch("test-events-module-channel", "ping")
    finally:
        stop()
    events.hub.dispatch("test-events-module-channel", "pong")
    assert rec.events == ["ping"]


def test_auth_events_are_the_twelve_in_design() -> None:
    assert (
        frozenset(
            {
                "signedIn",
                "signedOut",
                "tokenRefresh",
                "tokenRefresh_failure",
                "signInWithRedirect",
                "signInWithRedirect_failure",
                "customOAuthState",
                "federatedToIdentityPool",
                "federationToIdentityPoolCleared",
                "sessionExpired",
                "credentialsRefresh",
                "credentialsRefresh_failure",
            }
        )
        == AUTH_EVENTS
    )
    assert len(AUTH_EVENTS) == 12
    assert isinstance(AUTH_EVENTS, frozenset)
