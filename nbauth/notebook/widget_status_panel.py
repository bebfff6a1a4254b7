"""The login widget's status panel: who is signed in, how long the AWS credentials stay valid,
refresh failures, and the sign-out button.

Hub events drive it: a ``signedIn`` or ``federatedToIdentityPool`` switches to this panel, a
sign-out switches back, and the refresh events add or clear a warning line. The ticker updates
the credentials countdown once a second; when the session ended (the IdP refused the refresh
token, say) the widget goes back to the sign-in view.

Example::

    panel = StatusPanel(state)
    unsubscribe = auth.hub.listen("auth", panel.on_hub_event)
    panel.enter_account()                  # "Signed in as ada" + "AWS credentials valid for …"
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import widget_html as view

if TYPE_CHECKING:
    from .widget_state import WidgetState

__all__ = ["StatusPanel"]


class StatusPanel:
    """The signed-in view of :class:`~nbauth.notebook.widget.LoginWidget`; see the module
    docstring. Registers its countdown with ``state``."""

    def __init__(self, state: WidgetState) -> None:
        self.state = state
        self.auth = state.auth
        self.layout = state.layout
        self._failures: dict[str, str] = {}  # "credentials" / "tokens" → warning line
        self._username: str | None = None
        self._identity_id: str | None = None
        state.countdowns.append(self.tick)

    # -- entering and leaving ---------------------------------------------------------------

    def enter_account(self, username: str | None = None) -> None:
        """Signed in (or federated): clear every prompt, show who, count the credentials."""
        state = self.state
        with state.lock:
            if state.closed:
                return
            state.mode = "signed_in"
            state.clear_prompts()
            if username:
                self._username = username
            self.show_account()
            state.render()
        state.ticker.ensure()
        state.workers.spawn(self._load_session)

    def reset(self, text: str, kind: str = "muted", detail: str | None = None) -> None:
        """Back to the sign-in view (after sign-out, a cancel, or when the session ended)."""
        state = self.state
        with state.lock:
            state.next_attempt()
            state.mode = "sign_in"
            self._username = None
            self._identity_id = None
            self._failures.clear()
            state.clear_prompts()
            self.layout.credentials_status.value = ""
            self.layout.refresh_status.value = ""
            state.set_status(text, kind, detail)
            state.render()

    # -- rendering -------------------------------------------------------------------------

    def show_account(self) -> None:
        """The first line: who is signed in (under ``lock``)."""
        if self.auth.state == "federated":
            self.state.set_status("Federated to the identity pool", "ok")
        elif self._username:
            self.state.set_status(f"Signed in as {self._username}", "ok")
        else:
            self.state.set_status("Signed in", "ok")

    def tick(self, now: float) -> bool:
        """The credentials countdown (under ``lock``); False unless signed in."""
        if self.state.mode != "signed_in":
            return False
        if self.auth.state == "signed_out":  # e.g. the IdP refused the refresh token
            self.reset("Your session ended; sign in again.", "warn", self._failures.get("tokens"))
            return False
        fetched = self.auth.credentials_engine.peek()
        credentials = getattr(fetched, "credentials", None)
        expires_at = getattr(credentials, "expires_at", None)
        if expires_at is not None:
            self._identity_id = getattr(fetched, "identity_id", None) or self._identity_id
            self.layout.credentials_status.value = view.credentials_html(
                expires_at - now, self._identity_id
            )
        elif self._has_identity_pool():
            self.layout.credentials_status.value = view.message_html(
                "AWS credentials: none at the moment (fetched on first use).", "muted"
            )
        return True

    def _show_failures(self) -> None:
        self.layout.refresh_status.value = "".join(
            f'<div style="line-height:1.4">{view.message_html(text, "warn")}</div>'
            for text in self._failures.values()
        )

    def _has_identity_pool(self) -> bool:
        return bool(self.auth.config.identity_pool_id) or self.auth.credentials_provider is not None

    def _load_session(self) -> None:
        """After a sign-in: fetch the session (federates now, so problems show at once) and
        the user's name when the event did not carry it."""
        if self._has_identity_pool():
            try:
                session = self.auth.fetch_auth_session()
            except Exception as exc:
                text, recovery = view.error_text(exc)
                with self.state.lock:
                    self._failures["credentials"] = f"AWS credentials: {text} — {recovery}"
                    self._show_failures()
                return
            self._identity_id = session.identity_id
        if self._username is None and self.auth.state == "signed_in":
            try:
                username = self.auth.get_current_user().get("username")
            except Exception:
                username = None
            with self.state.lock:
                if username and self.state.mode == "signed_in":
                    self._username = str(username)
                    self.show_account()
        with self.state.lock:
            if self.state.mode == "signed_in":
                self.tick(self.state.clock())

    # -- sign-out ---------------------------------------------------------------------------

    def sign_out(self, _button: Any = None) -> None:
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
            self.state.set_status("Signing out…", "muted")
        self.state.workers.spawn(sign_out, busy=True)

    # -- Hub events -------------------------------------------------------------------------

    def on_hub_event(self, capsule: Mapping[str, Any]) -> None:
        """Status from events. The Hub may be shared by several ``Auth`` objects: state
        changes are checked against this widget's ``auth`` before they are shown."""
        if self.state.closed:
            return
        payload = capsule.get("payload") or {}
        event = payload.get("event")
        data = payload.get("data")
        data = data if isinstance(data, Mapping) else {}
        session = self.auth.state
        if event == "signedIn" and session == "signed_in":
            self.enter_account(str(data["username"]) if data.get("username") else None)
        elif event == "federatedToIdentityPool" and session == "federated":
            self.enter_account()
        elif (
            event in ("signedOut", "federationToIdentityPoolCleared")
            and session == "signed_out"
            and self.state.mode == "signed_in"
        ):
            self.reset("Signed out." if event == "signedOut" else "Federation cleared.")
        elif event in ("credentialsRefresh", "tokenRefresh", "sessionExpired"):
            key = "credentials" if event == "credentialsRefresh" else "tokens"
            with self.state.lock:
                if event == "sessionExpired":
                    self._failures[key] = "The federated provider's token expired."
                else:
                    self._failures.pop(key, None)
                self._show_failures()
        elif event in ("credentialsRefresh_failure", "tokenRefresh_failure"):
            what = "AWS credentials" if event.startswith("credentials") else "tokens"
            text = f"Refreshing {what} failed: {data.get('error')}: {data.get('message')}"
            retry = data.get("retry_in_seconds")
            if isinstance(retry, (int, float)):
                text += f" — retrying in {retry:.0f} s; the current ones stay in use"
            with self.state.lock:
                if self.state.mode == "signed_in":
                    self._failures["credentials" if what == "AWS credentials" else "tokens"] = text
                    self._show_failures()
