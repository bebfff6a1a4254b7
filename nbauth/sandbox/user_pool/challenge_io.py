"""Starting a challenge: a new auth session and the response body that names it."""

from __future__ import annotations

from typing import Any

from .sessions import AuthSession
from .state import Call

__all__ = ["challenge_body", "new_session"]


def new_session(call: Call, user: Any, challenge: str, flow: str, **fields: Any) -> AuthSession:
    """A fresh session awaiting ``challenge``, valid for the client's session validity."""
    session = AuthSession(
        client_id=call.app.client_id,
        pool_id=call.app.pool_id,
        username=str(user.username) if user is not None else None,
        challenge=challenge,
        flow=flow,
        expires_at=call.state.now() + call.app.auth_session_seconds,
        **fields,
    )
    return call.state.sessions.add(session)


def challenge_body(session: AuthSession, parameters: dict[str, str]) -> dict[str, Any]:
    """A challenge response: name, session and parameters."""
    return {
        "ChallengeName": session.challenge,
        "Session": session.session_id,
        "ChallengeParameters": parameters,
    }
