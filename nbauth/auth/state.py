"""The session state machine: four frozen states and every transition in one function.

================  =======================  =========  ===================================
from              action                   to         event (Hub ``auth``)
================  =======================  =========  ===================================
SignedOut, Guest  ``SignIn(user, ...)``    SignedIn   ``signedIn``
SignedIn          ``SignOut()``            SignedOut  ``signedOut``
SignedIn          ``SessionLost(user)``    SignedOut  — (the user's token source already
                                                      sent ``tokenRefresh_failure``)
SignedIn          ``SignedOutElsewhere``   SignedOut  ``signedOut`` (another process signed
                                                      out of the shared session)
any but SignedIn  ``Federate(source)``     Federated  ``federatedToIdentityPool``
Federated         ``ClearFederation()``    SignedOut  ``federationToIdentityPoolCleared``
SignedOut         ``GuestCredentials()``   Guest      —
================  =======================  =========  ===================================

Any other (state, action) pair is refused with :class:`~nbauth.errors.InvalidStateError` (or
:class:`~nbauth.errors.UserAlreadyAuthenticatedError`), with Amplify's wording, and the state
is unchanged. ``SessionLost`` for a user who is no longer the signed-in one is a no-op, so
a late callback from an old session never signs a new user out.

Example::

    state, event = transition(SignedOut(), SignIn(user, username="ada", provider="corp"))
    assert isinstance(state, SignedIn) and event.name == "signedIn"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import InvalidStateError, UserAlreadyAuthenticatedError
from .token_sources import FederationTokenSource, UserTokenSource
from .user_session import UserSession

__all__ = [
    "ClearFederation",
    "Event",
    "Federate",
    "Federated",
    "Guest",
    "GuestCredentials",
    "SessionLost",
    "SignIn",
    "SignOut",
    "SignedIn",
    "SignedOut",
    "SignedOutElsewhere",
    "State",
    "check_can_federate",
    "check_can_sign_in",
    "transition",
]


# -- states ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedOut:
    """Nobody is signed in; a custom token provider may still supply tokens."""

    name = "signed_out"


@dataclass(frozen=True)
class Guest:
    """Nobody is signed in and the identity pool handed out guest credentials."""

    name = "guest"


@dataclass(frozen=True)
class SignedIn:
    """A user signed in through nbauth's own flows: ``user`` holds (and refreshes) the tokens,
    ``source`` presents them to the identity pool; ``provider`` names where they came from."""

    user: UserSession
    source: UserTokenSource
    provider: str

    name = "signed_in"


@dataclass(frozen=True)
class Federated:
    """After ``federate_to_identity_pool``: credentials follow the federated token."""

    source: FederationTokenSource

    name = "federated"


State = SignedOut | Guest | SignedIn | Federated


# -- actions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    user: UserSession
    provider: str
    username: str | None = None


@dataclass(frozen=True)
class SignOut:
    pass


@dataclass(frozen=True)
class SessionLost:
    user: UserSession


@dataclass(frozen=True)
class SignedOutElsewhere:
    user: UserSession


@dataclass(frozen=True)
class Federate:
    source: FederationTokenSource
    identity_id: str | None = None


@dataclass(frozen=True)
class ClearFederation:
    pass


@dataclass(frozen=True)
class GuestCredentials:
    pass


Action = (
    SignIn
    | SignOut
    | SessionLost
    | SignedOutElsewhere
    | Federate
    | ClearFederation
    | GuestCredentials
)


@dataclass(frozen=True)
class Event:
    """The one Hub event a transition emits: ``name``, ``data`` (never a secret), ``message``."""

    name: str
    data: Any
    message: str


def check_can_sign_in(state: State) -> None:
    """Raise as Amplify does when a sign-in may not start in ``state``."""
    if isinstance(state, Federated):
        raise InvalidStateError(
            "Cannot sign in while federated to the identity pool.",
            "Call clear_federation_to_identity_pool() first.",
        )
    if isinstance(state, SignedIn):
        raise UserAlreadyAuthenticatedError(
            "A user is already signed in.",
            "Call sign_out() first, or keep using the current session.",
        )


def check_can_federate(state: State) -> None:
    """Raise as Amplify does when federation may not start in ``state``."""
    if isinstance(state, SignedIn):
        raise InvalidStateError(
            "Federation to the identity pool is not allowed while a user is signed in.",
            "nbauth already federates the signed-in user; call sign_out() first to "
            "federate another token.",
        )


def transition(state: State, action: Action) -> tuple[State, Event | None]:
    """The next state and its event; raises for a transition Amplify refuses."""
    if isinstance(action, SignIn):
        check_can_sign_in(state)
        data = {"username": action.username, "provider": action.provider}
        source = UserTokenSource(action.user, action.user.logins_key)
        signed_in = SignedIn(action.user, source, action.provider)
        return signed_in, Event("signedIn", data, "Signed in")
    if isinstance(action, SignOut):
        if isinstance(state, Federated):
            raise InvalidStateError(
                "sign_out() is not allowed while federated to the identity pool.",
                "Call clear_federation_to_identity_pool() to end a federated session.",
            )
        if isinstance(state, SignedIn):
            return SignedOut(), Event("signedOut", None, "Signed out")
        return SignedOut(), None
    if isinstance(action, SessionLost):
        if isinstance(state, SignedIn) and state.user is action.user:
            return SignedOut(), None
        return state, None
    if isinstance(action, SignedOutElsewhere):
        if isinstance(state, SignedIn) and state.user is action.user:
            return SignedOut(), Event("signedOut", None, "Signed out in another process")
        return state, None
    if isinstance(action, Federate):
        check_can_federate(state)
        data = {
            "identity_id": action.identity_id,
            "provider": action.source.provider.logins_key,
        }
        return Federated(action.source), Event(
            "federatedToIdentityPool", data, "Federated to the identity pool"
        )
    if isinstance(action, ClearFederation):
        if not isinstance(state, Federated):
            raise InvalidStateError(
                "There is no federation to the identity pool to clear.",
                "Call federate_to_identity_pool() first; check auth.state.",
            )
        return SignedOut(), Event("federationToIdentityPoolCleared", None, "Federation cleared")
    if isinstance(action, GuestCredentials):
        return (Guest(), None) if isinstance(state, SignedOut) else (state, None)
    raise TypeError(f"unknown action {action!r}")  # pragma: no cover - exhaustive above
