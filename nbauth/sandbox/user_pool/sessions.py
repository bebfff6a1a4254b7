"""Auth sessions: the ``Session`` strings that carry a sign-in from challenge to challenge.

Each challenge answer consumes its session and, if another challenge follows,
gets a new one (a session is single-use). A session expires after the app
client's ``AuthSessionValidity`` (3 minutes by default): then
``NotAuthorizedException`` "Invalid session for the user, session is expired.";
an unknown or used session gives "Invalid session for the user.". A wrong
MFA code leaves the session usable for another try. ``PASSWORD_VERIFIER``
sessions are also found by their ``SECRET_BLOCK``, which clients echo as
``PASSWORD_CLAIM_SECRET_BLOCK`` (many send no ``Session`` for that step).
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from .errors import session_expired, session_invalid
from .srp_server import SrpServerSession

__all__ = ["AuthSession", "SessionStore"]

_SESSION_BYTES = 192  # Cognito's sessions are long opaque strings


@dataclass(repr=False)
class AuthSession:
    """Server-side state of one sign-in between two calls.

    ``username`` is the internal username (None for the decoy session Cognito
    keeps for an unknown user when ``PreventUserExistenceErrors`` is on).
    ``challenge`` is what the session waits for. Holds secrets (SRP values,
    MFA codes): no useful ``repr``.
    """

    client_id: str
    pool_id: str
    username: str | None
    challenge: str
    flow: str
    expires_at: float
    session_id: str = field(default_factory=lambda: secrets.token_urlsafe(_SESSION_BYTES))
    srp: SrpServerSession | None = None
    secret_block: str | None = None
    custom_results: list[dict[str, Any]] = field(default_factory=list)
    private_parameters: dict[str, Any] = field(default_factory=dict)
    challenge_metadata: str | None = None
    mfa_code: str | None = None
    choices: tuple[str, ...] = ()
    token_source: str = "TokenGeneration_Authentication"
    totp_verified: bool = False
    pending_totp_secret: str | None = None

    def __repr__(self) -> str:
        return f"<AuthSession {self.flow} awaiting {self.challenge}>"


class SessionStore:
    """Live auth sessions; thread-safe."""

    def __init__(self) -> None:
        self._sessions: dict[str, AuthSession] = {}
        self._by_secret_block: dict[str, str] = {}
        self._lock = threading.Lock()

    def add(self, session: AuthSession) -> AuthSession:
        """Keep ``session`` (indexed by its secret block, if any)."""
        with self._lock:
            self._sessions[session.session_id] = session
            if session.secret_block:
                self._by_secret_block[session.secret_block] = session.session_id
        return session

    def get(
        self, session_id: str | None, now: float, *, secret_block: str | None = None
    ) -> AuthSession:
        """The live session named by ``session_id`` (or by ``secret_block``), not consumed."""
        with self._lock:
            if not session_id and secret_block:
                session_id = self._by_secret_block.get(secret_block)
            session = self._sessions.get(session_id) if session_id else None
            if session is None:
                raise session_invalid()
            if now >= session.expires_at:
                self._drop(session)
                raise session_expired()
            return session

    def consume(self, session: AuthSession) -> None:
        """Use ``session`` up; it cannot be presented again."""
        with self._lock:
            self._drop(session)

    def _drop(self, session: AuthSession) -> None:
        self._sessions.pop(session.session_id, None)
        if session.secret_block:
            self._by_secret_block.pop(session.secret_block, None)

    def clear(self) -> None:
        """Forget every session."""
        with self._lock:
            self._sessions.clear()
            self._by_secret_block.clear()
