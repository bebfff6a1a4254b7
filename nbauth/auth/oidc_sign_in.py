"""OpenID Connect sign-in, as a service the facade composes: device code (RFC 8628) and
authorization code + PKCE (RFC 6749 §4.1, RFC 7636, RFC 8252), against a provider of
``nbauth.oidc_providers`` or Cognito managed login (``auth.oauth``).

The service sees the facade only through :class:`~nbauth.auth.sign_in_host.SignInHost`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..core.values import SignInResult
from ..errors import ConfigurationError, InvalidParameterError
from ..oidc.presets import PRESETS
from .sign_in_host import SignInHost
from .status import user_name

if TYPE_CHECKING:
    from ..oidc.authorization_code import RedirectSignIn
    from ..oidc.client import OIDCClient
    from ..oidc.rfc8628 import DeviceCodeSignIn
    from ..oidc.tokens import OIDCTokens

__all__ = ["OIDCSignIn"]


class OIDCSignIn:
    """Starts OIDC sign-ins and turns their tokens into a signed-in user."""

    def __init__(self, host: SignInHost) -> None:
        self._host = host
        self._clients: dict[str, OIDCClient] = {}

    def sign_in_with_device_code(
        self, *, provider: str | None = None, scopes: list[str] | tuple[str, ...] | None = None
    ) -> DeviceCodeSignIn:
        """Start an RFC 8628 device-code sign-in; returns at once with the code to show.

        The handle has ``user_code``, ``verification_uri``, ``verification_uri_complete``,
        ``expires_at``, ``status``, ``wait(timeout)`` and ``cancel()``. Polling runs off the
        calling thread; once the user approves, the ID token is verified, the user is signed
        in and AWS credentials follow the tokens.

        Example::

            handle = auth.sign_in_with_device_code()
            print("Open", handle.verification_uri_complete, "and enter", handle.user_code)
            handle.wait(timeout=600)
        """
        from ..oidc.rfc8628 import start_device_code

        self._host.check_can_sign_in()
        self._refuse_device_flow_if_unsupported(provider)
        client = self.client(provider, redirect=False)
        handle = start_device_code(
            client,
            scopes=tuple(scopes) if scopes else None,
            on_tokens=lambda tokens: self._finish(client, tokens),
            clock=self._host.clock,
        )
        self._host.track_pending(handle)
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
        """Start an authorization-code + PKCE sign-in; returns a handle with the ``url``.

        ``provider`` names an OIDC provider from ``nbauth.oidc_providers``, or — with Cognito
        managed login configured in ``auth.oauth`` — a social provider (``"Google"``,
        ``"Facebook"``, ``"Amazon"``, ``"Apple"``, ``"COGNITO"`` or a custom name), sent as
        Cognito's ``identity_provider``. ``mode`` is ``"loopback"`` (a one-shot listener on
        127.0.0.1), ``"jupyter"`` (the Jupyter server's ``/nbauth/callback``, for Binder and
        JupyterHub) or ``"paste"`` (call ``handle.complete(final_url)``). ``custom_state``
        comes back in the ``customOAuthState`` event.

        Example::

            handle = auth.sign_in_with_redirect(provider="Google", custom_state="/reports")
            webbrowser.open(handle.url)
            handle.wait(timeout=300)
        """
        from ..oidc.authorization_code import start_redirect

        self._host.check_can_sign_in()
        if custom_state is not None and not isinstance(custom_state, str):
            raise InvalidParameterError("custom_state must be a string.")
        client = self.client(provider, redirect=True)
        handle = start_redirect(
            client,
            scopes=tuple(scopes) if scopes else None,
            custom_state=custom_state,
            mode=mode,
            timeout=timeout,
            redirect_uri=redirect_uri,
            on_tokens=lambda tokens, nonce, state: self._finish(
                client, tokens, nonce=nonce, redirect=True, custom_state=state
            ),
        )

        def report(done: RedirectSignIn) -> None:
            if done.status not in ("signed_in", "cancelled") and done.error is not None:
                self._host.emit(
                    "signInWithRedirect_failure",
                    {"error": done.error.name, "message": done.error.message},
                    "Sign-in with redirect failed",
                )

        handle.on_done(report)
        self._host.track_pending(handle)
        return handle

    def client(self, provider: str | None, *, redirect: bool) -> OIDCClient:
        """The (cached) client for ``provider``: an OIDC provider or Cognito managed login."""
        from ..oidc.client import OIDCClient, ProviderSpec

        config = self._host.config
        oidc = config.oidc_providers
        name = provider
        if name is None:
            name = config.default_provider or (next(iter(oidc)) if len(oidc) == 1 else None)
        if name is not None and name in oidc:
            key = f"oidc:{name}"
            if key not in self._clients:
                spec = replace(
                    ProviderSpec.from_config(oidc[name]),
                    authorize_params=tuple(oidc[name].authorize_params.items()),
                )
                self._clients[key] = OIDCClient(spec, clock=self._host.clock)
            return self._clients[key]
        if redirect and config.oauth is not None:
            from ..cognito.managed_login import managed_login_spec

            key = f"cognito:{provider}"
            if key not in self._clients:
                spec = managed_login_spec(config, provider)
                self._clients[key] = OIDCClient(spec, clock=self._host.clock)
            return self._clients[key]
        raise _unknown_provider(name, list(oidc), redirect, config.oauth is not None)

    def _refuse_device_flow_if_unsupported(self, provider: str | None) -> None:
        """``device_flow: false`` (or a preset without one): refuse before any network call."""
        config = self._host.config
        name = provider
        if name is None:
            oidc = config.oidc_providers
            name = config.default_provider or (next(iter(oidc)) if len(oidc) == 1 else None)
        spec = config.oidc_providers.get(name) if name is not None else None
        if spec is None or spec.device_flow is not False:
            return
        why = f" ({PRESETS[spec.preset].device_flow_note})" if spec.preset in PRESETS else ""
        raise ConfigurationError(
            f"Provider {name!r} has no device-code sign-in{why}.",
            f"Use sign_in_with_redirect(provider={name!r}) (a browser sign-in), or set "
            f"nbauth.oidc_providers.{name}.device_flow to true if the provider offers it.",
        )

    def client_for_stored(self, name: str) -> OIDCClient | None:
        """The client that refreshes a stored session named ``name`` (``None``: not ours)."""
        if name.startswith("cognito:"):
            provider = name.split(":", 1)[1]
            return self.client(None if provider == "managed-login" else provider, redirect=True)
        if name in self._host.config.oidc_providers:
            return self.client(name, redirect=False)
        return None

    def _finish(
        self,
        client: OIDCClient,
        tokens: OIDCTokens,
        *,
        nonce: str | None = None,
        redirect: bool = False,
        custom_state: str | None = None,
    ) -> SignInResult:
        id_token = client.verify_tokens(tokens, nonce=nonce)
        user = self._host.new_user(client, tokens)
        claims = id_token.payload if id_token is not None else {}
        self._host.enter_signed_in(user, provider=client.spec.name, username=user_name(claims))
        if redirect:
            self._host.emit(
                "signInWithRedirect", {"provider": client.spec.name}, "Signed in with redirect"
            )
            if custom_state is not None:
                self._host.emit("customOAuthState", custom_state, "Custom OAuth state")
        return SignInResult(True, {"sign_in_step": "DONE"})


def _unknown_provider(
    name: str | None, known: list[str], redirect: bool, managed_login: bool
) -> ConfigurationError:
    if name is None:
        return ConfigurationError(
            "No provider given and no default: nbauth.oidc_providers has "
            f"{len(known)} providers and nbauth.default_provider is not set.",
            "Pass provider=... or set nbauth.default_provider.",
        )
    no_device = (
        "" if redirect or not managed_login else "; Cognito managed login has no device flow"
    )
    return ConfigurationError(
        f"Unknown provider {name!r} (nbauth.oidc_providers: {', '.join(known) or 'none'}"
        f"{no_device}).",
        "Use a provider configured in nbauth.oidc_providers"
        + (
            ", or a social provider of auth.oauth with sign_in_with_redirect()."
            if managed_login
            else "."
        ),
    )
