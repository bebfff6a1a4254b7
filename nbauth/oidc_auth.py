"""The OpenID Connect half of the :class:`~nbauth.Auth` facade (a mixin): device code and
code + PKCE sign-in, the self-refreshing token provider of a signed-in user, and resuming a
session from the refresh token a previous kernel stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .core.protocols import TokenProvider
from .core.values import SignInResult
from .errors import AuthError, ConfigurationError, InvalidParameterError

if TYPE_CHECKING:
    from .oidc.client import OIDCClient
    from .oidc.rfc7636 import RedirectSignIn
    from .oidc.rfc8628 import DeviceCodeSignIn
    from .oidc.tokens import OIDCTokens

__all__ = ["OIDCSignInMixin"]


class OIDCSignInMixin:
    """Methods of :class:`~nbauth.Auth` for OpenID Connect sign-in."""

    # provided by Auth
    config: Any
    storage: Any
    _oidc_clients: dict[str, Any]
    _signed_in: Any
    _clock: Callable[[], float]
    _credentials: Any
    _lock: Any
    _check_can_sign_in: Callable[[], None]
    _enter_signed_in: Callable[[Any], None]
    _emit: Callable[..., None]
    _invalidate_session: Callable[[], None]
    _user_pool: Callable[[], Any]
    _track_pending_sign_in: Callable[[Any], None]

    def _restore_signed_in_user(self) -> None:
        """A refresh token left in storage by an earlier kernel signs the user back in.

        Only storage is read here; the first call that needs tokens refreshes them (and a
        refresh token the IdP no longer accepts signs the user out, as usual).
        """
        import json

        from .oidc import session_storage_key

        candidates: list[tuple[str, str, str]] = [
            (name, p.issuer, p.client_id) for name, p in self.config.oidc_providers.items()
        ]
        if self.config.user_pool_id and self.config.user_pool_client_id and self.config.region:
            issuer = f"https://cognito-idp.{self.config.region}.amazonaws.com/"
            candidates.append(
                ("", issuer + self.config.user_pool_id, self.config.user_pool_client_id)
            )
        for name, issuer, client_id in candidates:
            raw = self.storage.get(session_storage_key(issuer, client_id))
            if not raw:
                continue
            try:
                record = json.loads(raw)
                stored_name = str(record.get("provider") or name)
                refresh_token = record["refresh_token"]
            except (ValueError, KeyError, TypeError, AttributeError):
                continue  # unreadable: leave it, never crash a kernel start on it
            client = self._client_for_stored_session(stored_name)
            if client is not None and isinstance(refresh_token, str):
                self._signed_in = self._oidc_token_provider(
                    client, None, refresh_token=refresh_token
                )
                return

    def _client_for_stored_session(self, name: str) -> Any:
        """The client that refreshes a stored session: OIDC, managed login or user pool."""
        if name == "userPool":
            return self._user_pool()
        if name.startswith("cognito:"):
            provider = name.split(":", 1)[1]
            return self._oidc_client(
                None if provider == "managed-login" else provider, redirect=True
            )
        if name in self.config.oidc_providers:
            return self._oidc_client(name, redirect=False)
        return None

    def _oidc_token_provider(
        self, client: OIDCClient, tokens: OIDCTokens | None, *, refresh_token: str | None = None
    ) -> Any:
        from .oidc.token_provider import OIDCTokenProvider

        provider: OIDCTokenProvider = OIDCTokenProvider(
            client,
            tokens,
            refresh_token=refresh_token,
            storage=self.storage,
            emit=self._emit,
            policy=self._credentials.policy,
            clock=self._clock,
            background=self.config.background_refresh,
            on_refreshed=lambda _t: self._on_user_tokens_refreshed(provider),
            on_invalidated=lambda: self._on_user_tokens_invalidated(provider),
        )
        return provider

    # -- OpenID Connect sign-in ----------------------------------------------------------

    def sign_in_with_device_code(
        self, *, provider: str | None = None, scopes: list[str] | tuple[str, ...] | None = None
    ) -> DeviceCodeSignIn:
        """Start an RFC 8628 device-code sign-in; returns at once with the code to show.

        The handle has ``user_code``, ``verification_uri``, ``verification_uri_complete``,
        ``expires_at``, ``status``, ``wait(timeout)`` and ``cancel()``. Polling runs off the
        calling thread; once the user approves, the ID token is verified, the user is signed in
        and AWS credentials follow the tokens.

        Example::

            handle = auth.sign_in_with_device_code()
            print("Open", handle.verification_uri_complete, "and enter", handle.user_code)
            handle.wait(timeout=600)
        """
        from .oidc.rfc8628 import start_device_code

        self._check_can_sign_in()
        client = self._oidc_client(provider, redirect=False)
        handle = start_device_code(
            client,
            scopes=tuple(scopes) if scopes else None,
            on_tokens=lambda tokens: self._finish_oidc_sign_in(client, tokens),
            clock=self._clock,
        )
        self._track_pending_sign_in(handle)
        return handle

    def sign_in_with_redirect(
        self,
        *,
        provider: str | None = None,
        custom_state: str | None = None,
        mode: str = "loopback",
        scopes: list[str] | tuple[str, ...] | None = None,
        timeout: float = 300.0,
        redirect_uri: str | None = None,
    ) -> RedirectSignIn:
        """Start an authorization-code + PKCE sign-in; returns a handle with the ``url`` to open.

        ``provider`` names an OIDC provider from ``nbauth.oidc_providers``, or — with Cognito
        managed login configured in ``auth.oauth`` — a social provider (``"Google"``,
        ``"Facebook"``, ``"Amazon"``, ``"Apple"``, ``"COGNITO"`` or a custom name), sent as
        Cognito's ``identity_provider``. ``mode`` is ``"loopback"`` (a one-shot listener on
        127.0.0.1), ``"jupyter"`` (the Jupyter server's ``/nbauth/callback``, for Binder and
        JupyterHub; see :mod:`nbauth.oidc.jupyter_callback`) or ``"paste"`` (call
        ``handle.complete(final_url)``).
        ``custom_state`` comes back in the ``customOAuthState`` event.

        Example::

            handle = auth.sign_in_with_redirect(provider="Google", custom_state="/reports")
            webbrowser.open(handle.url)
            handle.wait(timeout=300)
        """
        from .oidc.rfc7636 import start_redirect

        self._check_can_sign_in()
        if custom_state is not None and not isinstance(custom_state, str):
            raise InvalidParameterError("custom_state must be a string.")
        client = self._oidc_client(provider, redirect=True)
        handle = start_redirect(
            client,
            scopes=tuple(scopes) if scopes else None,
            custom_state=custom_state,
            mode=mode,
            timeout=timeout,
            redirect_uri=redirect_uri,
            on_tokens=lambda tokens, nonce, state: self._finish_oidc_sign_in(
                client, tokens, nonce=nonce, redirect=True, custom_state=state
            ),
        )

        def report(h: Any) -> None:
            if h.status != "signed_in" and h.status != "cancelled" and h.error is not None:
                self._emit(
                    "signInWithRedirect_failure",
                    {"error": h.error.name, "message": h.error.message},
                    "Sign-in with redirect failed",
                )

        handle.on_done(report)
        self._track_pending_sign_in(handle)
        return handle

    def _oidc_client(self, provider: str | None, *, redirect: bool) -> OIDCClient:
        from .oidc.client import OIDCClient, ProviderSpec

        oidc = self.config.oidc_providers
        name = provider
        if name is None:
            name = self.config.default_provider or (next(iter(oidc)) if len(oidc) == 1 else None)
        if name is not None and name in oidc:
            key = f"oidc:{name}"
            if key not in self._oidc_clients:
                self._oidc_clients[key] = OIDCClient(
                    ProviderSpec.from_config(oidc[name]), clock=self._clock
                )
            return self._oidc_clients[key]
        if redirect and self.config.oauth is not None:
            from .cognito.managed_login import managed_login_spec

            key = f"cognito:{provider}"
            if key not in self._oidc_clients:
                self._oidc_clients[key] = OIDCClient(
                    managed_login_spec(self.config, provider), clock=self._clock
                )
            return self._oidc_clients[key]
        known = ", ".join(oidc) or "none"
        if name is None:
            raise ConfigurationError(
                "No provider given and no default: nbauth.oidc_providers has "
                f"{len(oidc)} providers and nbauth.default_provider is not set.",
                "Pass provider=... or set nbauth.default_provider.",
            )
        no_device = (
            ""
            if redirect or self.config.oauth is None
            else ("; Cognito managed login has no device flow")
        )
        raise ConfigurationError(
            f"Unknown provider {name!r} (nbauth.oidc_providers: {known}{no_device}).",
            "Use a provider configured in nbauth.oidc_providers"
            + (
                ", or a social provider of auth.oauth with sign_in_with_redirect()."
                if self.config.oauth is not None
                else "."
            ),
        )

    def _finish_oidc_sign_in(
        self,
        client: OIDCClient,
        tokens: OIDCTokens,
        *,
        nonce: str | None = None,
        redirect: bool = False,
        custom_state: str | None = None,
    ) -> SignInResult:
        id_token = client.verify_tokens(tokens, nonce=nonce)
        provider = self._oidc_token_provider(client, tokens)
        try:
            self._enter_signed_in(provider)
        except AuthError:
            provider.sign_out(revoke=True)
            raise
        claims = id_token.payload if id_token is not None else {}
        username = (
            claims.get("cognito:username")
            or claims.get("preferred_username")
            or claims.get("email")
            or claims.get("sub")
        )
        self._emit("signedIn", {"username": username, "provider": client.spec.name}, "Signed in")
        if redirect:
            self._emit(
                "signInWithRedirect", {"provider": client.spec.name}, "Signed in with redirect"
            )
            if custom_state is not None:
                self._emit("customOAuthState", custom_state, "Custom OAuth state")
        return SignInResult(True, {"sign_in_step": "DONE"})

    def _on_user_tokens_refreshed(self, provider: TokenProvider) -> None:
        if self._signed_in is provider:
            with self._lock:
                self._invalidate_session()
            self._credentials.mark_stale()  # re-federate with the new ID token

    def _on_user_tokens_invalidated(self, provider: TokenProvider) -> None:
        with self._lock:
            if self._signed_in is not provider:
                return
            self._signed_in = None
            self._credentials.reset()
            self._invalidate_session()
