"""``nbauth_session``: a live view of the current session, and what a cell may show about it.

:class:`LiveSession` holds no session of its own: every attribute reads
:meth:`Auth.fetch_auth_session` at that moment (a cached read while credentials are fresh), so
a variable kept in the notebook never goes stale. Its reprs show no secret.

Its summary renders ``Auth.status()`` (:mod:`nbauth.notebook.status_rows`) and the session's
redacted credentials.

Example::

    %load_ext nbauth
    nbauth_session.identity_id          # whatever the session is right now
    nbauth_session.credentials          # AWSCredentials(access_key_id='****WXYZ', ...)
    nbauth_session                      # a redacted summary
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .display import Message, mm_ss
from .status_rows import pending_line, shown_state

if TYPE_CHECKING:
    import boto3

    from ..auth import Auth
    from ..core.values import AuthSession, AuthTokens, AWSCredentials

__all__ = ["LiveSession"]


def _current_auth() -> Auth:
    from .default_auth import current_auth

    return current_auth()


class LiveSession:
    """The current session of an :class:`~nbauth.Auth`, read afresh on every access.

    ``auth`` is an ``Auth`` or a callable returning one (default: the module-level default
    Auth, followed through later ``nbauth.configure()`` calls).

    Example::

        >>> live = LiveSession()                          # doctest: +SKIP
        >>> live.state, live.identity_id                  # doctest: +SKIP
        ('signed_in', 'us-east-1:…')
    """

    __slots__ = ("_auth",)

    def __init__(self, auth: Auth | Callable[[], Auth] | None = None) -> None:
        self._auth = auth if auth is not None else _current_auth

    @property
    def auth(self) -> Auth:
        """The :class:`~nbauth.Auth` this view reads."""
        from ..auth import Auth

        return self._auth if isinstance(self._auth, Auth) else self._auth()

    def session(self, *, force_refresh: bool = False) -> AuthSession:
        """``fetch_auth_session()`` now (waits for a pending sign-in, like any call needing it)."""
        return self.auth.fetch_auth_session(force_refresh=force_refresh)

    def refresh(self) -> AuthSession:
        """Refresh tokens and credentials now (``force_refresh=True``)."""
        return self.session(force_refresh=True)

    @property
    def credentials(self) -> AWSCredentials | None:
        """The current AWS credentials (redacting repr)."""
        return self.session().credentials

    @property
    def identity_id(self) -> str | None:
        return self.session().identity_id

    @property
    def tokens(self) -> AuthTokens | None:
        return self.session().tokens

    @property
    def user_sub(self) -> str | None:
        return self.session().user_sub

    @property
    def state(self) -> str:
        """``"signed_in"``, ``"federated"`` or ``"signed_out"``."""
        return self.auth.state

    def boto3_session(self, **kwargs: Any) -> boto3.Session:
        """A ``boto3.Session`` with live credentials (see :meth:`Auth.boto3_session`)."""
        return self.auth.boto3_session(**kwargs)

    # -- reprs: a summary, never a secret, never a wait -----------------------------------

    def summary(self) -> Message:
        """What the reprs show: state, user, identity id, redacted credentials and expiry.

        Never waits for a pending sign-in (it says so instead).
        """
        from ..errors import AuthError

        try:
            auth = self.auth
        except AuthError as err:
            return Message("nbauth session: not configured", lines=[err.message], level="warning")
        status = auth.status()
        state = shown_state(status)
        rows: list[tuple[str, str]] = [("state", state)]
        pending = status.pending_sign_in
        if pending is not None and state == "signed_out":
            rows.append(("sign-in", pending_line(pending, status.checked_at)))
            return Message("nbauth session (live)", rows=rows, level="warning")
        try:
            session = auth.fetch_auth_session()
        except AuthError as err:
            rows.append(("error", f"{type(err).__name__}: {err.message}"))
            return Message("nbauth session (live)", rows=rows, level="error")
        status = auth.status()  # after any refresh the fetch made
        if status.username:
            rows.append(("user", status.username))
        rows.append(("user sub", session.user_sub or "—"))
        rows.append(("identity id", session.identity_id or "—"))
        creds = session.credentials
        rows.append(("credentials", repr(creds) if creds is not None else "none"))
        if creds is not None and creds.expires_at is not None:
            rows.append(("expires in", mm_ss(creds.expires_at - status.checked_at)))
        return Message("nbauth session (live)", rows=rows)

    def _repr_html_(self) -> str:
        return self.summary().to_html()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.summary().to_text())

    def __repr__(self) -> str:
        rows = ", ".join(f"{k.replace(' ', '_')}={v!r}" for k, v in self.summary().rows)
        return f"LiveSession({rows})"
