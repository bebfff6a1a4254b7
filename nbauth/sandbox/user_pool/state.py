"""The layer's state (one per sandbox) and the context of one call.

:class:`UserPoolState` wires the stores together: clock, auth sessions,
one-time codes, the outbox, tokens, triggers and per-user extras. A
:class:`Call` is one request for one app client: it knows the pool, builds
trigger callers, and runs triggers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .clock import Clock
from .outbox import CodeBook, Outbox
from .sessions import SessionStore
from .tokens import TokenService
from .triggers import Caller, TriggerRegistry
from .users import AppClient, UserExtras

__all__ = ["Call", "UserPoolState"]


@dataclass
class UserPoolState:
    """Everything the user-pool layer keeps beyond moto."""

    clock: Clock = field(default_factory=Clock)
    sessions: SessionStore = field(default_factory=SessionStore)
    codes: CodeBook = field(default_factory=CodeBook)
    outbox: Outbox = field(default_factory=Outbox)
    triggers: TriggerRegistry = field(default_factory=TriggerRegistry)
    extras: UserExtras = field(default_factory=UserExtras)
    tokens: TokenService = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = TokenService(self.clock)

    def now(self) -> float:
        """The layer's current time."""
        return self.clock.now()


@dataclass(frozen=True)
class Call:
    """One request on behalf of one app client."""

    state: UserPoolState
    app: AppClient

    @property
    def pool(self) -> Any:
        """moto's user pool."""
        return self.app.pool

    @property
    def caller(self) -> Caller:
        """The trigger events' caller fields."""
        return Caller(self.app.region, self.app.pool_id, self.app.client_id)

    def trigger(
        self,
        name: str,
        trigger_source: str,
        username: str | None,
        shape: tuple[dict[str, Any], dict[str, Any]],
    ) -> dict[str, Any] | None:
        """Run trigger ``name`` with ``shape`` = (request, initial response); its response."""
        request, response = shape
        return self.state.triggers.invoke(
            name,
            caller=self.caller,
            trigger_source=trigger_source,
            username=username,
            request=request,
            response=response,
        )

    def code_key(self, user: Any, purpose: str) -> tuple[str, str, str]:
        """The code book key of ``user``'s ``purpose`` code."""
        return (self.app.pool_id, str(user.id), purpose)
