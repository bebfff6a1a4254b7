"""An :class:`~nbauth.auth.status.AuthStatus` in words: the rows and phrases the notebook shows.

``%nbauth status``, ``%nbauth whoami``, ``nbauth_session`` and the messages of the extension all
render the one snapshot ``Auth.status()`` returns, through these functions — never an
``Auth``'s private fields. Nothing here makes a network call or sees a secret.

Importing this module imports no part of the Auth facade (``%load_ext nbauth`` stays light):
the session states are compared as the strings they are.

Example::

    status = auth.status()
    show(Message("nbauth status", rows=status_rows(status)))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from .display import clock_time, mm_ss

if TYPE_CHECKING:
    from ..auth.status import AuthStatus

__all__ = [
    "PendingSignIn",
    "credentials_row",
    "pending_line",
    "shown_state",
    "status_rows",
]


class PendingSignIn(Protocol):
    """What :func:`pending_line` reads: a sign-in handle, or its ``PendingSignInStatus``."""

    @property
    def provider(self) -> str | None: ...

    @property
    def user_code(self) -> str | None: ...

    @property
    def expires_at(self) -> float | None: ...

    @property
    def mode(self) -> str | None: ...


def shown_state(status: AuthStatus) -> str:
    """The state as ``Auth.state`` names it: a guest is ``"signed_out"``, as in Amplify."""
    state = str(status.state.value)
    return "signed_out" if state == "guest" else state


def pending_line(pending: PendingSignIn, now: float) -> str:
    """One line about a pending sign-in (no secret: the user code is meant to be shown)."""
    provider = pending.provider or "the identity provider"
    if pending.user_code is not None:
        expires_at = now if pending.expires_at is None else pending.expires_at
        left = mm_ss(expires_at - now)
        return f"device code {pending.user_code} at {provider}, pending ({left} left)"
    return f"redirect sign-in ({pending.mode or 'redirect'}) at {provider}, pending"


def credentials_row(status: AuthStatus) -> str:
    """``"valid, 54:10 left (until 15:03:12)"``, ``"valid, no expiry"`` or ``"none"``."""
    if not status.has_credentials:
        return "none"
    expires_at = status.credentials_expire_at
    if expires_at is None:
        return "valid, no expiry"
    now = status.checked_at
    until = clock_time(expires_at, now).split(" ")[0]
    return f"valid, {mm_ss(expires_at - now)} left (until {until})"


def status_rows(status: AuthStatus, last_sign_in: Any = None) -> list[tuple[str, str]]:
    """The rows of ``%nbauth status``: state, user, provider, identity id, AWS credentials and
    their refresh, a sign-in in progress — or how ``last_sign_in`` (a handle) ended."""
    now = status.checked_at
    rows: list[tuple[str, str]] = [("state", shown_state(status))]
    if status.username:
        rows.append(("user", status.username))
    if status.provider:
        rows.append(("provider", status.provider))
    rows.append(("identity id", status.identity_id or "—"))
    rows.append(("AWS credentials", credentials_row(status)))
    engine = status.credentials
    if status.has_credentials:
        rows.append(("last refresh", clock_time(engine.last_refreshed_at, now)))
        if engine.refresh_at not in (0.0, float("inf")):
            timer = "background timer running" if engine.timer_running else "on demand"
            rows.append(("next refresh", f"in {mm_ss(engine.refresh_at - now)} ({timer})"))
    if engine.failures:
        rows.append(("refresh failures", f"{engine.failures} (retrying with backoff)"))
    if status.pending_sign_in is not None:
        rows.append(("sign-in", pending_line(status.pending_sign_in, now)))
    elif last_sign_in is not None and last_sign_in.status != "signed_in":
        error = last_sign_in.error
        detail = f": {error.message}" if error is not None else ""
        rows.append(("last sign-in", f"{last_sign_in.status}{detail}"))
    return rows
