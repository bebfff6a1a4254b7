"""The login widget's status panel: who is signed in, how long the AWS credentials stay valid,
refresh failures, and the sign-out button.

Everything it shows about the session comes from :meth:`Auth.status() <nbauth.Auth.status>`
(a frozen, secret-free snapshot; no network, no wait). Hub events are only triggers: a
``signedIn`` or ``federatedToIdentityPool`` switches to this panel, a sign-out switches back,
and the refresh events add or clear a warning line (their payloads are secret-free by contract).
The ticker re-renders the credentials countdown once a second; when the snapshot says the
session ended (the IdP refused the refresh token, say) the widget goes back to the sign-in view.

Example::

    panel = StatusPanel(state)
    unsubscribe = auth.hub.listen("auth", panel.on_hub_event)
    panel.enter_account()                  # "Signed in as ada" + "AWS credentials valid for …"
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..auth.status import AuthStatus, SessionState
from . import widget_html as view

if TYPE_CHECKING:
    from .widget_state import WidgetState

__all__ = ["StatusPanel"]

_SIGNED_OUT = (SessionState.SIGNED_OUT, SessionState.GUEST)


class StatusPanel:
    """The signed-in view of :class:`~nbauth.notebook.widget.LoginWidget`; see the module
    docstring. Registers its countdown with ``state``."""

    def __init__(self, state: WidgetState) -> None:
        self.state = state
        self.auth = state.auth
        self.layout = state.layout
        self._failures: dict[str, str] = {}  # "credentials" / "tokens" → warning line
        state.countdowns.append(self.tick)

    # -- entering and leaving ---------------------------------------------------------------

    def enter_account(self) -> None:
        """Signed in (or federated): clear every prompt, show who, count the credentials."""
        state = self.state
        with state.lock:
            if state.closed:
                return
            state.mode = "signed_in"
            state.clear_prompts()
            self.show_account(self.auth.status())
            state.render()
        state.ticker.ensure()
        state.workers.spawn(self._load_session)

    def reset(self, text: str, kind: str = "muted", detail: str | None = None) -> None:
        """Back to the sign-in view (after sign-out, a cancel, or when the session ended)."""
        state = self.state
        with state.lock:
            state.next_attempt()
            state.mode = "sign_in"
            self._failures.clear()
            state.clear_prompts()
            self.layout.credentials_status.value = ""
            self.layout.refresh_status.value = ""
            state.set_status(text, kind, detail)
            state.render()

    # -- rendering the snapshot -------------------------------------------------------------

    def show_account(self, status: AuthStatus) -> None:
        """The first line: who is signed in (under ``lock``)."""
        if status.state is SessionState.FEDERATED:
            self.state.set_status("Federated to the identity pool", "ok")
        elif status.username:
            self.state.set_status(f"Signed in as {status.username}", "ok")
        else:
            self.state.set_status("Signed in", "ok")

    def tick(self, now: float) -> bool:
        """The credentials line from a fresh snapshot (under ``lock``); False unless signed
        in. The first line is left alone: it may show what the person just did."""
        if self.state.mode != "signed_in":
            return False
        status = self.auth.status()
        if status.state in _SIGNED_OUT:  # e.g. the IdP refused the refresh token
            self.reset("Your session ended; sign in again.", "warn", self._failures.get("tokens"))
            return False
        seconds_left = status.credentials_seconds_left(now) if status.has_credentials else None
        if seconds_left is not None:
            self.layout.credentials_status.value = view.credentials_html(
                seconds_left, status.identity_id
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
        """After a sign-in: fetch the session now (it federates), so a problem with the
        identity pool shows at once rather than at the first AWS call."""
        if self._has_identity_pool():
            try:
                self.auth.fetch_auth_session()
            except Exception as exc:
                text, recovery = view.error_text(exc)
                with self.state.lock:
                    self._failures["credentials"] = f"AWS credentials: {text} — {recovery}"
                    self._show_failures()
                return
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
