"""The session state machine: four frozen states and every transition in one function.

=================  ============================  ===============  ==============================
from               action                        to               event (Hub ``auth``)
=================  ============================  ===============  ==============================
SignedOut, Guest   ``SignIn(source, ...)``       SignedIn         ``signedIn``
SignedIn           ``SignOut()``                 SignedOut        ``signedOut``
SignedIn           ``SessionLost(source)``       SignedOut        — (the token source already
                                                                  sent ``tokenRefresh_failure``)
SignedOut, Guest,  ``Federate(federation)``      Federated        ``federatedToIdentityPool``
Federated
Federated          ``ClearFederation()``         SignedOut        ``federationToIdentityPoolCleared``
SignedOut          ``GuestCredentials()``        Guest            —
=================  ============================  ===============  ==============================

Any other (state, action) pair is refused with :class:`~nbauth.errors.InvalidStateError` (or
:class:`~nbauth.errors.UserAlreadyAuthenticatedError`), with Amplify's wording, and the state
is unchanged. ``SessionLost`` for a source that is no longer the signed-in one is a no-op, so
a late callback from an old session never signs a new user out.

Example::

    state, event = transition(SignedOut(), SignIn(source, username="ada", provider="corp"))
    assert isinstance(state, SignedIn) and event.name == "signedIn"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from ..core.logins import LoginsProvider
from ..core.protocols import TokenProvider
from ..errors import InvalidStateError, UserAlreadyAuthenticatedError

__all__ = [
    "ClearFederation",
    "Event",
    "Federate",
    "Federated",
    "Federation",
    "Guest",
    "GuestCredentials",
    "SessionLost",
    "SignIn",
    "SignOut",
    "SignedIn",
    "SignedOut",
    "State",
    "transition",
]


@dataclass(frozen=True)
class Federation:
    """A federation to the identity pool: the provider, its token and the caller's options."""

    provider: LoginsProvider
    token: str
    developer_identity_id: str | None = None
    custom_role_arn: str | None = None

    def __repr__(self) -> str:  # the token is a secret
        return f"Federation(provider={self.provider.logins_key!r})"


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
    """A user signed in through nbauth's own flows; ``source`` supplies (and refreshes) tokens."""

    source: TokenProvider
    provider: str

    name = "signed_in"


@dataclass(frozen=True)
class Federated:
    """After ``federate_to_identity_pool``: credentials follow the federated token."""

    federation: Federation

    name = "federated"


State = Union[SignedOut, Guest, SignedIn, Federated]


# -- actions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    source: TokenProvider
    provider: str
    username: str | None = None


@dataclass(frozen=True)
class SignOut:
    pass


@dataclass(frozen=True)
class SessionLost:
    source: TokenProvider


@dataclass(frozen=True)
class Federate:
    federation: Federation
    identity_id: str | None = None


@dataclass(frozen=True)
class ClearFederation:
    pass


@dataclass(frozen=True)
class GuestCredentials:
    pass


Action = Union[SignIn, SignOut, SessionLost, Federate, ClearFederation, GuestCredentials]


@dataclass(frozen=True)
class Event:
    """The one Hub event a transition emits: ``name``, ``data`` (never a secret), ``message``."""

    name: str
    data: Any
    message: str


def transition(state: State, action: Action) -> tuple[State, Event | None]:
    """The next state and its event; raises for a transition Amplify refuses."""
    if isinstance(action, SignIn):
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
        data = {"username": action.username, "provider": action.provider}
        return SignedIn(action.source, action.provider), Event("signedIn", data, "Signed in")
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
        if isinstance(state, SignedIn) and state.source is action.source:
            return SignedOut(), None
        return state, None
    if isinstance(action, Federate):
        if isinstance(state, SignedIn):
            raise InvalidStateError(
                "Federation to the identity pool is not allowed while a user is signed in.",
                "nbauth already federates the signed-in user; call sign_out() first to "
                "federate another token.",
            )
        data = {
            "identity_id": action.identity_id,
            "provider": action.federation.provider.logins_key,
        }
        return Federated(action.federation), Event(
            "federatedToIdentityPool", data, "Federated to the identity pool"
        )
    if isinstance(action, ClearFederation):
        if not isinstance(state, Federated):
            raise InvalidStateError(
                "There is no federation to the identity pool to clear.",
                "Call federate_to_identity_pool() first; check auth.state.",
            )
        return SignedOut(), Event(
            "federationToIdentityPoolCleared", None, "Federation cleared"
        )
    if isinstance(action, GuestCredentials):
        return (Guest(), None) if isinstance(state, SignedOut) else (state, None)
    raise TypeError(f"unknown action {action!r}")  # pragma: no cover - exhaustive above
