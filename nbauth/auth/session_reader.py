"""Reading the session: ``fetch_auth_session``, the credentials boto3 signs with, and the
credentials events.

The reader combines the current state's user tokens with the credentials pipeline's value. A
session without user tokens (guest, federated) is cached until the credentials turn stale, so
a repeated ``fetch_auth_session()`` is a clock read and an attribute load.
"""

from __future__ import annotations

from collections.abc import Callable

from ..core.values import AuthSession, AWSCredentials
from ..errors import NoCredentialsError
from .credentials_pipeline import CredentialsPipeline, Fetched
from .session_control import SessionControl
from .state import Federated, Guest, GuestCredentials, SignedIn, SignedOut
from .token_sources import Login, TokenSource, UserTokenSource

__all__ = ["SessionReader"]


class SessionReader:
    """The session as Amplify's ``fetchAuthSession`` returns it; see the module docstring."""

    def __init__(
        self,
        control: SessionControl,
        pipeline: CredentialsPipeline,
        *,
        custom_source: Callable[[], UserTokenSource | None],
        clock: Callable[[], float],
        guests_allowed: bool,
    ) -> None:
        self._control = control
        self._pipeline = pipeline
        self._custom_source = custom_source
        self._clock = clock
        self._guests_allowed = guests_allowed
        self._cache: AuthSession | None = None
        self._fresh_until = 0.0
        self._version = 0

    def token_source(self) -> TokenSource | None:
        """The current state's token source (the pipeline's input)."""
        state = self._control.state
        if isinstance(state, (SignedIn, Federated)):
            return state.source
        return self._custom_source()

    def user_token_source(self) -> UserTokenSource | None:
        """The source of the user tokens a session shows (none while federated)."""
        state = self._control.state
        if isinstance(state, Federated):
            return None
        return state.source if isinstance(state, SignedIn) else self._custom_source()

    def invalidate(self) -> None:
        """Forget the cached session (the next read rebuilds it)."""
        with self._control.lock:
            self._version += 1
            self._fresh_until = 0.0
            self._cache = None

    def fetch_auth_session(self, force_refresh: bool) -> AuthSession:
        if not force_refresh and self._clock() < self._fresh_until and not self._person_expected():
            return self._cache  # type: ignore[return-value]
        self.wait_for_pending_sign_in()
        version = self._version
        users = self.user_token_source()
        tokens = users.tokens(force_refresh=force_refresh) if users is not None else None
        engine = self._pipeline.engine
        held = engine.latest()
        # Another user (or none) behind the token source: federate the new login. A refreshed
        # token of the same user does not re-federate while the credentials are good.
        changed = False
        if users is not None and held is not None:
            now_login = users.login_for(tokens) if tokens is not None else None
            changed = _identity(held.login) != _identity(now_login)
        fetched = engine.get(force=force_refresh or changed)
        if tokens is not None:
            user_sub = tokens.federation_token.subject
        else:
            login = fetched.login if fetched is not None else None
            user_sub = login.subject if login is not None else None
        session = AuthSession(
            tokens=tokens,
            credentials=fetched.credentials if fetched else None,
            identity_id=fetched.identity_id if fetched else None,
            user_sub=user_sub,
        )
        if users is None and self._version == version:
            with self._control.lock:
                if self._version == version:
                    self._cache = session
                    self._fresh_until = engine.refresh_at
        return session

    def current_credentials(self) -> AWSCredentials:
        if self._control.waiter.pending is not None or self._person_expected():
            self.wait_for_pending_sign_in()  # the per-request path stays short otherwise
        fetched = self._pipeline.engine.get()
        if fetched is None:
            state = self._control.state
            state_name = "signed_out" if isinstance(state, Guest) else state.name
            raise NoCredentialsError(
                f"No AWS credentials in state {state_name!r}: nobody is signed in or federated "
                "and the identity pool does not allow guests.",
            )
        return fetched.credentials

    def _person_expected(self) -> bool:
        """Nobody is signed in and the notebook layer expects a person to (Run All)."""
        return isinstance(self._control.state, (SignedOut, Guest)) and self._control.waiter.may_wait

    def wait_for_pending_sign_in(self) -> None:
        """Run All: wait for a sign-in in progress (only while nobody is signed in)."""
        if isinstance(self._control.state, (SignedOut, Guest)):
            self._control.waiter.wait(
                signed_out=lambda: isinstance(self._control.state, (SignedOut, Guest))
            )

    # -- the pipeline's hooks ------------------------------------------------------------

    def on_transition(self) -> None:
        self._pipeline.engine.reset()
        self.invalidate()

    def on_user_tokens_refreshed(self) -> None:
        # The credentials stay good: the next credentials refresh federates the new ID token.
        self.invalidate()

    def on_credentials_refreshed(self, fetched: Fetched) -> None:
        self.invalidate()
        if fetched.login is None and self._guests_allowed:
            self._control.apply(GuestCredentials())
        exp = fetched.credentials.expiration
        self._control.emit(
            "credentialsRefresh",
            {"identity_id": fetched.identity_id, "expiration": exp.isoformat() if exp else None},
            "AWS credentials refreshed",
        )

    def on_credentials_failed(self, error: BaseException) -> None:
        engine = self._pipeline.engine
        self._control.emit(
            "credentialsRefresh_failure",
            {
                "error": getattr(error, "name", type(error).__name__),
                "message": getattr(error, "message", None) or type(error).__name__,
                "retry_in_seconds": max(0.0, round(engine.retry_at - self._clock(), 1)),
            },
            "Refreshing AWS credentials failed",
        )


def _identity(login: Login | None) -> tuple[str, str | None] | None:
    """Who a login is for: its Logins key and subject (an opaque token: the token itself)."""
    if login is None:
        return None
    return login.logins_key, login.subject if login.jwt is not None else login.token
