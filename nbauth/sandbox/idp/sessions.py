"""Browser sign-in sessions: who is signed in at the IdP, in Flask's signed cookie.

Each realm keeps its own entry (``idp`` for the OpenID provider, ``managed``
for the Cognito managed-login pages), as two sites would. A session counts
only while its user exists and has not been signed out everywhere since
(``Sandbox.revoke_refresh_tokens``). The cookie holds a username and a time,
never a password or token.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import session

from .models import UserDirectory

__all__ = ["BrowserSession", "current", "forget", "remember"]


@dataclass(frozen=True)
class BrowserSession:
    """A signed-in browser: the user and when they signed in."""

    username: str
    auth_time: int
    identity_provider: str | None = None


def current(key: str, users: UserDirectory) -> BrowserSession | None:
    """The valid session for realm ``key``, or None."""
    data = session.get(key)
    if not isinstance(data, dict):
        return None
    username, auth_time = data.get("u"), data.get("t")
    if not isinstance(username, str) or not isinstance(auth_time, int):
        return None
    if not users.session_valid(username, auth_time):
        return None
    provider = data.get("p")
    return BrowserSession(username, auth_time, provider if isinstance(provider, str) else None)


def remember(key: str, signed_in: BrowserSession) -> None:
    """Start a session for realm ``key``."""
    session[key] = {
        "u": signed_in.username,
        "t": signed_in.auth_time,
        "p": signed_in.identity_provider,
    }


def forget(key: str) -> None:
    """End the session for realm ``key``."""
    session.pop(key, None)
