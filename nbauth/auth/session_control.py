"""The owner of the session state: applies transitions, emits their events, runs their effects.

It is the one place that changes the state (see :mod:`nbauth.auth.state` for the table) and it
implements :class:`~nbauth.auth.sign_in_host.SignInHost` for the sign-in services.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..config import AuthConfig
from ..core.storage import KeyValueStorage
from ..errors import AuthError
from ..events import Hub
from .sign_in_waiter import PendingSignIn, SignInWaiter
from .state import (
    Action,
    GuestCredentials,
    SessionLost,
    SignedIn,
    SignedOut,
    SignedOutElsewhere,
    SignIn,
    State,
    check_can_sign_in,
)
from .state import transition as next_state
from .user_session import UserSession, UserSessions

if TYPE_CHECKING:
    from ..core.refresh import RefreshPolicy
    from ..oidc.token_client import TokenClient
    from ..oidc.tokens import OIDCTokens

__all__ = ["SessionControl"]


class SessionControl:
    """Current state + transitions. ``on_transition(state)`` runs under the lock after each
    transition that changes who the credentials are for (the facade drops them there); a
    guest's first credentials change nothing."""

    def __init__(
        self,
        config: AuthConfig,
        storage: KeyValueStorage,
        *,
        hub: Hub,
        clock: Callable[[], float],
        policy: RefreshPolicy,
        on_transition: Callable[[State], None],
        on_user_tokens_refreshed: Callable[[], None],
    ) -> None:
        self.config = config
        self.clock = clock
        self.hub = hub
        self.lock = threading.RLock()
        self.waiter = SignInWaiter()
        self._state: State = SignedOut()
        self._on_transition = on_transition
        self._on_user_tokens_refreshed = on_user_tokens_refreshed
        self.users = UserSessions(
            config,
            storage,
            emit=self.emit,
            policy=policy,
            clock=clock,
            on_refreshed=self._user_refreshed,
            on_invalidated=self._user_invalidated,
            on_signed_out_elsewhere=self._user_signed_out_elsewhere,
        )

    @property
    def state(self) -> State:
        return self._state

    def apply(self, action: Action, effect: Callable[[State], None] | None = None) -> State:
        """Make one transition: the new state, its effects (under the lock), then its event.
        Returns the state it left."""
        with self.lock:
            before = self._state
            state, event = next_state(before, action)
            self._state = state
            if state is not before and not isinstance(action, GuestCredentials):
                self._on_transition(state)
            if effect is not None:
                effect(state)
        if event is not None:
            self.emit(event.name, event.data, event.message)
        return before

    def restore(self, user: UserSession, provider: str) -> None:
        """Start signed in as a user restored from storage (no event: nothing happened now)."""
        with self.lock:
            self._state, _ = next_state(self._state, SignIn(user, provider))
            self._on_transition(self._state)

    # -- SignInHost ----------------------------------------------------------------------

    def check_can_sign_in(self) -> None:
        check_can_sign_in(self._state)

    def new_user(
        self, client: TokenClient, tokens: OIDCTokens | None, *, refresh_token: str | None = None
    ) -> UserSession:
        return self.users.create(client, tokens, refresh_token=refresh_token)

    def enter_signed_in(self, user: UserSession, *, provider: str, username: str | None) -> None:
        try:
            self.apply(SignIn(user, provider, username))
        except AuthError:
            user.sign_out(revoke=True)
            raise

    def emit(self, event: str, data: Any = None, message: str | None = None) -> None:
        self.hub.dispatch("auth", event, data, message)

    def track_pending(self, handle: PendingSignIn) -> None:
        self.waiter.track(handle)

    # -- the signed-in user's tokens -----------------------------------------------------

    def _user_invalidated(self, user: UserSession) -> None:
        self.apply(SessionLost(user))

    def _user_signed_out_elsewhere(self, user: UserSession) -> None:
        self.apply(SignedOutElsewhere(user))

    def _user_refreshed(self, user: UserSession) -> None:
        state = self._state
        if isinstance(state, SignedIn) and state.user is user:
            self._on_user_tokens_refreshed()
