"""The narrow protocol the sign-in services get from the facade (composition, not mix-ins)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from ..config import AuthConfig
from .sign_in_waiter import PendingSignIn
from .user_session import UserSession

if TYPE_CHECKING:
    from ..oidc.token_client import TokenClient
    from ..oidc.tokens import OIDCTokens

__all__ = ["SignInHost"]


class SignInHost(Protocol):
    """What a sign-in service may do to the session, and nothing more."""

    config: AuthConfig
    clock: Callable[[], float]

    def check_can_sign_in(self) -> None:
        """Raise if a sign-in may not start now (federated, or someone is signed in)."""

    def new_user(
        self, client: TokenClient, tokens: OIDCTokens | None, *, refresh_token: str | None = None
    ) -> UserSession:
        """The self-refreshing token holder for a user who just signed in."""

    def enter_signed_in(self, user: UserSession, *, provider: str, username: str | None) -> None:
        """Make ``user`` the signed-in user (one ``signedIn`` event); revokes it if refused."""

    def emit(self, event: str, data: Any = None, message: str | None = None) -> None:
        """Dispatch a Hub ``auth`` event (never a secret in ``data``)."""

    def track_pending(self, handle: PendingSignIn) -> None:
        """Let credential calls wait for this sign-in (Run All)."""
