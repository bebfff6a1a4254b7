"""The session state machine (nbauth.auth.state) and the status snapshot, without any network."""

from __future__ import annotations

from typing import Any

import pytest

from nbauth.auth.state import (
    ClearFederation,
    Federate,
    Federated,
    Guest,
    GuestCredentials,
    SessionLost,
    SignedIn,
    SignedOut,
    SignIn,
    SignOut,
    transition,
)
from nbauth.auth.status import SessionState, build_status
from nbauth.auth.token_sources import FederationTokenSource
from nbauth.core.logins import AuthProvider
from nbauth.core.refresh import Refreshable, RefreshState
from nbauth.errors import InvalidStateError, UserAlreadyAuthenticatedError


class FakeUser:
    logins_key = None
    current = None

    def __init__(self) -> None:
        self.engine: Refreshable[Any] = Refreshable(lambda: None, expires_at=lambda v: None)

    def get_tokens(self, *, force_refresh: bool = False) -> None:
        return None


def federation() -> FederationTokenSource:
    return FederationTokenSource(AuthProvider.GOOGLE, "opaque-token", clock=lambda: 0.0)


def test_every_allowed_transition_and_its_one_event() -> None:
    user, source = FakeUser(), federation()
    cases = [
        (SignedOut(), SignIn(user, "corp", "ada"), SignedIn, "signedIn"),
        (Guest(), SignIn(user, "corp", "ada"), SignedIn, "signedIn"),
        (SignedOut(), Federate(source, "id-1"), Federated, "federatedToIdentityPool"),
        (Guest(), Federate(source), Federated, "federatedToIdentityPool"),
        (Federated(source), Federate(federation()), Federated, "federatedToIdentityPool"),
        (Federated(source), ClearFederation(), SignedOut, "federationToIdentityPoolCleared"),
        (SignedOut(), GuestCredentials(), Guest, None),
        (SignedOut(), SignOut(), SignedOut, None),
    ]
    for state, action, expected, event in cases:
        new, emitted = transition(state, action)
        assert type(new) is expected, (state, action)
        assert (emitted.name if emitted else None) == event, (state, action)
    signed_in, _ = transition(SignedOut(), SignIn(user, "corp", "ada"))
    new, emitted = transition(signed_in, SignOut())
    assert isinstance(new, SignedOut) and emitted is not None and emitted.name == "signedOut"


def test_signed_in_event_carries_no_secret_and_names_the_user() -> None:
    _, event = transition(SignedOut(), SignIn(FakeUser(), "corp", "ada"))
    assert event is not None and event.data == {"username": "ada", "provider": "corp"}
    _, event = transition(SignedOut(), Federate(federation(), "us-east-1:x"))
    assert event is not None and "opaque-token" not in repr(event)


@pytest.mark.parametrize(
    ("make_state", "action", "error"),
    [
        (lambda u, s: SignedIn(u, None, "corp"), lambda u, s: SignIn(u, "corp"), UserAlreadyAuthenticatedError),  # noqa: E501
        (lambda u, s: Federated(s), lambda u, s: SignIn(u, "corp"), InvalidStateError),
        (lambda u, s: SignedIn(u, None, "corp"), lambda u, s: Federate(s), InvalidStateError),
        (lambda u, s: Federated(s), lambda u, s: SignOut(), InvalidStateError),
        (lambda u, s: SignedOut(), lambda u, s: ClearFederation(), InvalidStateError),
        (lambda u, s: Guest(), lambda u, s: ClearFederation(), InvalidStateError),
    ],
)
def test_refused_transitions_raise_and_name_the_way_out(make_state, action, error) -> None:
    user, source = FakeUser(), federation()
    with pytest.raises(error) as err:
        transition(make_state(user, source), action(user, source))
    assert err.value.recovery_suggestion


def test_a_late_session_lost_from_an_old_user_changes_nothing() -> None:
    old, new_user = FakeUser(), FakeUser()
    state, _ = transition(SignedOut(), SignIn(new_user, "corp"))
    same, event = transition(state, SessionLost(old))
    assert same is state and event is None
    gone, event = transition(state, SessionLost(new_user))
    assert isinstance(gone, SignedOut) and event is None


def test_guest_credentials_never_leave_a_signed_in_or_federated_state() -> None:
    source = federation()
    state = Federated(source)
    assert transition(state, GuestCredentials())[0] is state


def test_status_of_a_federated_session_shows_no_token() -> None:
    source = federation()
    engine: Refreshable[Any] = Refreshable(lambda: None, expires_at=lambda v: None)
    status = build_status(
        Federated(source),
        engine,
        None,
        100.0,
        user_pool_id=None,
        is_user_pool_user=lambda user: False,
        custom_tokens=False,
    )
    assert status.state is SessionState.FEDERATED and status.state == "federated"
    assert status.provider == "federated via accounts.google.com"
    assert status.credentials.state is RefreshState.EMPTY and not status.has_credentials
    assert "opaque-token" not in repr(status)
    with pytest.raises(AttributeError):
        status.state = SessionState.GUEST  # type: ignore[misc]


def test_signed_out_elsewhere_emits_signed_out_for_the_current_user_only() -> None:
    from nbauth.auth.state import SignedOutElsewhere

    user, stranger = FakeUser(), FakeUser()
    state, _ = transition(SignedOut(), SignIn(user, "corp"))
    same, event = transition(state, SignedOutElsewhere(stranger))
    assert same is state and event is None
    gone, event = transition(state, SignedOutElsewhere(user))
    assert isinstance(gone, SignedOut) and event is not None and event.name == "signedOut"
