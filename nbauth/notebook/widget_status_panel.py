"""The login widget's account view: who is signed in, when the AWS credentials expire, refresh
warnings, and sign-out.

Everything it publishes comes from :meth:`Auth.status() <nbauth.Auth.status>` (a frozen,
secret-free snapshot; no network): the ``status`` trait carries the state, the user's name,
the provider and the credentials' expiry time (epoch seconds). The front-end counts down from
that time itself, so no trait changes every second. Hub events are triggers: ``signedIn`` /
``federatedToIdentityPool`` switch to this view, a sign-out switches back, and the refresh
events add or clear a warning line. The widget's heartbeat re-publishes the snapshot every few
seconds, and goes back to the sign-in form when the session ended (say, the IdP refused the
refresh token).

Example::

    account = AccountView(state)
    unsubscribe = auth.hub.listen("auth", account.on_hub_event)
    account.enter_account()
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..auth.status import AuthStatus, SessionState
from .error_messages import describe

if TYPE_CHECKING:
    from .widget_state import WidgetState

__all__ = ["AccountView", "public_status"]

_SIGNED_OUT = (SessionState.SIGNED_OUT, SessionState.GUEST)


def public_status(status: AuthStatus) -> dict[str, Any]:
    """The ``status`` trait: what the widget shows of the session (never a secret)."""
    return {
        "state": str(status.state.value),
        "username": status.username,
        "provider": status.provider,
        "credentials_expire_at": status.credentials_expire_at if status.has_credentials else None,
    }


class AccountView:
    """The signed-in view of :class:`~nbauth.notebook.widget.LoginWidget`."""

    def __init__(self, state: WidgetState) -> None:
        self.state = state
        self.auth = state.auth
        self._failures: dict[str, str] = {}  # "credentials" / "tokens" → warning line

    # -- entering and leaving ---------------------------------------------------------------

    def enter_account(self) -> None:
        """Signed in (or federated): every prompt goes, the account shows."""
        state = self.state
        with state.lock:
            if state.closed:
                return
            state.next_step = None
            state.widget.step = {}
            state.widget.redirect = {}
            state.drop_all_secrets()
            state.set_view("signed_in")
            state.notice("")
            self.publish()
        state.workers.spawn(self._load_session)

    def reset(self, text: str, kind: str = "muted") -> None:
        """Back to the sign-in form (after sign-out, a cancel, or when the session ended)."""
        state = self.state
        with state.lock:
            state.next_attempt()
            state.next_step = None
            state.widget.step = {}
            state.widget.redirect = {}
            state.drop_all_secrets()
            self._failures.clear()
            state.set_view("sign_in")
            state.notice(text, kind)
            self.publish()

    # -- the snapshot -----------------------------------------------------------------------

    def publish(self, status: AuthStatus | None = None) -> None:
        """Put the current snapshot in the ``status`` and ``warnings`` traits (under ``lock``);
        only changed values are synced."""
        status = status or self.auth.status()
        shown = public_status(status)
        if shown != self.state.widget.status:
            self.state.widget.status = shown
        warnings = list(self._failures.values())
        if warnings != list(self.state.widget.warnings):
            self.state.widget.warnings = warnings

    def heartbeat(self) -> None:
        """Every few seconds (under ``lock``): follow the session (a refresh, or its end)."""
        status = self.auth.status()
        if self.state.view == "signed_in" and status.state in _SIGNED_OUT:
            self.reset("Your session ended; sign in again.", "warn")
            return
        self.publish(status)

    def _has_identity_pool(self) -> bool:
        return bool(self.auth.config.identity_pool_id) or self.auth.credentials_provider is not None

    def _load_session(self) -> None:
        """After a sign-in: fetch the session now (it federates), so a problem with the
        identity pool shows at once rather than at the first AWS call."""
        if self._has_identity_pool():
            try:
                self.auth.fetch_auth_session()
            except Exception as exc:
                words = describe(exc)
                with self.state.lock:
                    self._failures["credentials"] = f"AWS credentials: {words.title} {words.advice}"
                    self.publish()
                return
        with self.state.lock:
            if not self.state.closed:
                self.publish()

    # -- sign-out ---------------------------------------------------------------------------

    def sign_out(self) -> None:
        """Sign out, or clear the federation (on a worker thread)."""
        if not self.state.ready():
            return

        def sign_out() -> None:
            try:
                if self.auth.state == "federated":
                    self.auth.clear_federation_to_identity_pool()
                    self.reset("Federation cleared.")
                else:
                    self.auth.sign_out()
                    self.reset("Signed out.")
            except Exception as exc:
                with self.state.lock:
                    self.state.show_error(exc)

        with self.state.lock:
            self.state.clear_error()
            self.state.notice("Signing out…")
        self.state.workers.spawn(sign_out, busy=True)

    # -- Hub events -------------------------------------------------------------------------

    def on_hub_event(self, capsule: Mapping[str, Any]) -> None:
        """Hub events as triggers. The Hub may be shared by several ``Auth`` objects: state
        changes are checked against this widget's ``auth`` before they are shown."""
        if self.state.closed:
            return
        payload = capsule.get("payload") or {}
        event = payload.get("event")
        data = payload.get("data")
        data = data if isinstance(data, Mapping) else {}
        session = self.auth.status().state
        if (event == "signedIn" and session is SessionState.SIGNED_IN) or (
            event == "federatedToIdentityPool" and session is SessionState.FEDERATED
        ):
            self.enter_account()
        elif (
            event in ("signedOut", "federationToIdentityPoolCleared")
            and session in _SIGNED_OUT
            and self.state.view == "signed_in"
        ):
            self.reset("Signed out." if event == "signedOut" else "Federation cleared.")
        elif event in ("credentialsRefresh", "tokenRefresh", "sessionExpired"):
            key = "credentials" if event == "credentialsRefresh" else "tokens"
            with self.state.lock:
                if event == "sessionExpired":
                    self._failures[key] = "The federated provider's token expired."
                else:
                    self._failures.pop(key, None)
                self.publish()
        elif event in ("credentialsRefresh_failure", "tokenRefresh_failure"):
            what = "AWS credentials" if event.startswith("credentials") else "tokens"
            text = f"Refreshing {what} failed ({data.get('error')})"
            retry = data.get("retry_in_seconds")
            if isinstance(retry, (int, float)):
                text += f"; retrying in {retry:.0f} s, the current ones stay in use"
            with self.state.lock:
                if self.state.view == "signed_in":
                    self._failures["credentials" if what == "AWS credentials" else "tokens"] = (
                        text + "."
                    )
                    self.publish()
