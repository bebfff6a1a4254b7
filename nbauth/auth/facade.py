"""The ``Auth`` facade: Amplify's methods as short delegations to composed parts.

* :class:`~nbauth.auth.session_control.SessionControl` owns the state (signed out, guest,
  signed in, federated — see :mod:`nbauth.auth.state`) and emits one event per transition;
* :class:`~nbauth.auth.oidc_sign_in.OIDCSignIn` and
  :class:`~nbauth.auth.user_pool_sign_in.UserPoolSignInService` sign users in, seeing the
  facade only through :class:`~nbauth.auth.sign_in_host.SignInHost`;
* :class:`~nbauth.auth.credentials_pipeline.CredentialsPipeline` turns the current token source
  into AWS credentials that refresh in the background, once however many threads ask, and are
  never handed out expired;
* :meth:`Auth.status` is the frozen snapshot every view renders.

Example::

    auth = Auth("amplify_outputs.json")
    auth.federate_to_identity_pool(id_token, AuthProvider.oidc("https://idp.example.com"))
    s3 = auth.boto3_session().client("s3")
"""

from __future__ import annotations

import random as _random
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..config import AuthConfig, load_config
from ..core.log_redaction import install_redaction
from ..core.logins import AuthProvider, LoginsProvider
from ..core.protocols import CredentialsProvider, TokenProvider
from ..core.refresh import Refreshable
from ..core.storage import KeyValueStorage, storage_from_config
from ..core.values import AuthSession, AWSCredentials, FederateToIdentityPoolResult, SignInResult
from ..errors import ConfigurationError, NoCredentialsError
from ..events import Hub
from ..events import hub as default_hub
from . import status as _status
from .credentials_pipeline import CredentialsPipeline, Fetched
from .federation import check_federation_arguments
from .oidc_sign_in import OIDCSignIn
from .session_control import SessionControl
from .state import (
    ClearFederation,
    Federate,
    Federated,
    Guest,
    GuestCredentials,
    SignedIn,
    SignedOut,
    SignOut,
    State,
    check_can_federate,
)
from .status import AuthStatus
from .token_sources import FederationTokenSource, TokenSource, UserTokenSource
from .user_pool_sign_in import UserPoolSignInService
from .user_session import UserSession

if TYPE_CHECKING:
    import boto3

    from ..aws.boto3_credentials import LiveCredentials
    from ..aws.credentials_provider import IdentityPoolCredentialsProvider
    from ..cognito.account import ResetPasswordResult, SignUpResult
    from ..oidc.authorization_code import RedirectSignIn
    from ..oidc.rfc8628 import DeviceCodeSignIn
    from ..oidc.token_client import TokenClient

__all__ = ["Auth"]


class Auth:
    """Sign-in state, federation and live AWS credentials for one configuration.

    Several ``Auth`` objects may live in one kernel (profiles); the module-level functions of
    :mod:`nbauth` use a default one made by :func:`nbauth.configure`.
    """

    def __init__(
        self,
        config: AuthConfig | Mapping[str, Any] | str | None = None,
        *,
        token_provider: TokenProvider | None = None,
        credentials_provider: CredentialsProvider | None = None,
        storage: KeyValueStorage | None = None,
        client_metadata_provider: Callable[[], Mapping[str, str]] | None = None,
        hub: Hub | None = None,
        clock: Callable[[], float] = time.time,
        random: Callable[[], float] = _random.random,
        **overrides: Any,
    ) -> None:
        self.config: AuthConfig = (
            config
            if isinstance(config, AuthConfig) and not overrides
            else load_config(config, **overrides)
        )
        _check_provider(token_provider, "token_provider", "get_tokens")
        _check_provider(
            credentials_provider, "credentials_provider", "get_credentials_and_identity_id"
        )
        self.token_provider = token_provider
        self.credentials_provider = credentials_provider
        self.storage = storage or storage_from_config(
            self.config.storage_kind, self.config.storage_path
        )
        self.hub = hub or default_hub
        install_redaction()  # before any call whose debug logs could carry a secret
        self._clock = clock
        self._custom_source = UserTokenSource(token_provider) if token_provider else None
        self._live_credentials: LiveCredentials | None = None
        self._session_cache: AuthSession | None = None
        self._session_fresh_until = 0.0
        self._session_version = 0
        self._pipeline = CredentialsPipeline(
            self.config,
            self.storage,
            source=self._token_source,
            credentials_provider=credentials_provider,
            clock=clock,
            random=random,
            on_refreshed=self._on_credentials_refreshed,
            on_failed=self._on_credentials_failed,
        )
        self._control = SessionControl(
            self.config,
            self.storage,
            hub=self.hub,
            clock=clock,
            policy=self._pipeline.engine.policy,
            on_transition=self._on_transition,
            on_user_tokens_refreshed=self._on_user_tokens_refreshed,
        )
        self._oidc = OIDCSignIn(self._control)
        self._user_pool = UserPoolSignInService(self._control, client_metadata_provider)
        user = self._control.users.restore(self._client_for_stored_session)
        if user is not None:
            self._control.restore(user, _provider_of(user))

    # -- state ---------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """``"federated"``, ``"signed_in"`` or ``"signed_out"`` (a guest is signed out, as
        in Amplify; :meth:`status` tells a guest apart)."""
        state = self._control.state
        return "signed_out" if state.name == "guest" else state.name

    def status(self) -> AuthStatus:
        """A frozen snapshot of the session for views: no network call, no secret, no wait."""
        return _status.build_status(
            self._control.state,
            self._pipeline.engine,
            self._control.waiter.pending,
            self._clock(),
            user_pool_id=self.config.user_pool_id,
            is_user_pool_user=self._user_pool.owns,
            custom_tokens=self._custom_source is not None,
        )

    @property
    def credentials_engine(self) -> Refreshable[Fetched]:
        """The refresh engine behind the AWS credentials (for status displays and tests)."""
        return self._pipeline.engine

    @property
    def signed_in_user(self) -> UserSession | None:
        """The signed-in user's self-refreshing token holder (``None`` unless signed in).

        Its ``current`` tokens are read without a refresh; its ``repr`` shows no secret.
        """
        state = self._control.state
        return state.user if isinstance(state, SignedIn) else None

    @property
    def identity_pool(self) -> IdentityPoolCredentialsProvider:
        """The built-in identity-pool credentials provider (``GetId`` with cached identity ids,
        ``GetCredentialsForIdentity``). Raises :class:`~nbauth.errors.ConfigurationError`
        without an identity pool."""
        return self._pipeline.identity_pool()

    @property
    def client_metadata_provider(self) -> Callable[[], Mapping[str, str]] | None:
        return self._user_pool.client_metadata_provider

    @client_metadata_provider.setter
    def client_metadata_provider(self, value: Callable[[], Mapping[str, str]] | None) -> None:
        self._user_pool.client_metadata_provider = value

    def invalidate_session_cache(self) -> None:
        """Forget the cached :meth:`fetch_auth_session` result (the next call rebuilds it)."""
        with self._control.lock:
            self._session_version += 1
            self._session_fresh_until = 0.0
            self._session_cache = None

    # -- federation ----------------------------------------------------------------------

    def federate_to_identity_pool(
        self,
        token: str,
        provider: LoginsProvider | str,
        *,
        developer_provided_identity_id: str | None = None,
        custom_role_arn: str | None = None,
    ) -> FederateToIdentityPoolResult:
        """Exchange an identity provider's token for identity-pool AWS credentials.

        ``provider`` is an :class:`~nbauth.AuthProvider` (``AuthProvider.GOOGLE``,
        ``AuthProvider.oidc(issuer)``, …), a provider name, an issuer URL or a Logins key.
        With ``developer_provided_identity_id`` (from ``GetOpenIdTokenForDeveloperIdentity``,
        used with ``AuthProvider.DEVELOPER``), ``GetId`` is skipped and that identity is used.
        Refused while a user-pool user is signed in (nbauth federates that user by itself).
        A failed call leaves the previous state untouched.

        Example::

            result = auth.federate_to_identity_pool(google_id_token, AuthProvider.GOOGLE)
            result.identity_id, result.credentials.expiration
        """
        check_federation_arguments(token, developer_provided_identity_id, custom_role_arn)
        resolved = AuthProvider.resolve(provider)
        self.config.require_identity_pool()
        check_can_federate(self._control.state)  # again at the transition: a race is refused
        source = FederationTokenSource(
            resolved,
            token.strip(),
            developer_identity_id=developer_provided_identity_id,
            custom_role_arn=custom_role_arn,
            renew=self.token_provider,
            clock=self._clock,
            on_expired=self._on_provider_token_expired,
        )
        fetched = self._pipeline.credentials_for(source, source.login())  # before any change
        assert fetched is not None  # a login always yields credentials or raises

        def install(_state: State) -> None:
            self._pipeline.engine.set(fetched)

        self._control.apply(Federate(source, fetched.identity_id), effect=install)
        return FederateToIdentityPoolResult(fetched.identity_id or "", fetched.credentials)

    def clear_federation_to_identity_pool(self) -> None:
        """Leave the federated state: drop its credentials and provider token locally.

        The cached identity id is kept (identity ids are stable per login). Raises
        :class:`~nbauth.errors.InvalidStateError` when not federated.
        """
        self._control.apply(ClearFederation())

    def sign_out(self, *, global_sign_out: bool = False) -> None:
        """Sign the current user out. Refused while federated, as in Amplify.

        ``global_sign_out=True`` (user pools) signs the user out of every device
        (``GlobalSignOut``); otherwise this session's refresh token is revoked (RFC 7009 for
        an OIDC provider that offers it). Revocation errors never block the local sign-out;
        the AWS credentials that followed the user are dropped too.
        """
        before = self._control.state
        self._control.apply(SignOut())
        self._user_pool.clear_pending()
        if isinstance(before, SignedIn):
            user = before.user
            revoke = True
            if global_sign_out and self._user_pool.owns(user):
                revoke = not self._user_pool.global_sign_out(user)
            user.sign_out(revoke=revoke)

    # -- session -------------------------------------------------------------------------

    def fetch_auth_session(self, *, force_refresh: bool = False) -> AuthSession:
        """The current session: tokens, AWS credentials, identity id and user sub.

        Credentials are refreshed if expired (or with ``force_refresh``); while fresh this is
        a cached read. Guest credentials when the pool allows them and nobody is signed in.
        """
        if not force_refresh and self._clock() < self._session_fresh_until:
            return self._session_cache  # type: ignore[return-value]
        self._wait_for_pending_sign_in()
        version = self._session_version
        users = self._user_token_source()
        tokens = users.tokens(force_refresh=force_refresh) if users is not None else None
        engine = self._pipeline.engine
        held = engine.latest()
        # The user's tokens changed since the credentials were fetched: federate the new ones.
        changed = False
        if users is not None and held is not None:
            now_token = tokens.federation_token.to_string() if tokens is not None else None
            changed = (held.login.token if held.login is not None else None) != now_token
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
        if users is None and self._session_version == version:
            with self._control.lock:
                if self._session_version == version:
                    self._session_cache = session
                    self._session_fresh_until = engine.refresh_at
        return session

    def current_credentials(self) -> AWSCredentials:
        """The current AWS credentials (refreshed if needed); what boto3 signs with.

        While a sign-in is pending, waits for it first (up to ``sign_in_wait_seconds``).
        """
        self._wait_for_pending_sign_in()
        fetched = self._pipeline.engine.get()
        if fetched is None:
            raise NoCredentialsError(
                f"No AWS credentials in state {self.state!r}: nobody is signed in or federated "
                "and the identity pool does not allow guests.",
            )
        return fetched.credentials

    def boto3_session(self, *, region_name: str | None = None, **kwargs: Any) -> boto3.Session:
        """A ``boto3.Session`` whose credentials are live: refreshed in place, so clients
        made from it keep working across refreshes.

        Example::

            s3 = auth.boto3_session().client("s3")
        """
        from ..aws.boto3_credentials import LiveCredentials, make_boto3_session

        with self._control.lock:
            if self._live_credentials is None:
                self._live_credentials = LiveCredentials(self.current_credentials)
        return make_boto3_session(
            self._live_credentials, region_name or self.config.region, **kwargs
        )

    # -- waiting for a sign-in in progress (Run All) -------------------------------------

    @property
    def pending_sign_in(self) -> Any:
        """The device-code or redirect sign-in in progress, if any (its handle)."""
        return self._control.waiter.pending

    @property
    def sign_in_wait_seconds(self) -> float:
        """How long a call needing credentials waits for a pending sign-in (seconds)."""
        return self._control.waiter.wait_seconds

    @sign_in_wait_seconds.setter
    def sign_in_wait_seconds(self, value: float) -> None:
        self._control.waiter.wait_seconds = value

    @property
    def on_waiting_for_sign_in(self) -> Callable[[Any, float], None] | None:
        """Called as ``(handle, timeout)`` when a call starts waiting for a pending sign-in
        (the notebook layer shows a message in the cell)."""
        return self._control.waiter.on_waiting

    @on_waiting_for_sign_in.setter
    def on_waiting_for_sign_in(self, value: Callable[[Any, float], None] | None) -> None:
        self._control.waiter.on_waiting = value

    def _wait_for_pending_sign_in(self) -> None:
        if isinstance(self._control.state, (SignedOut, Guest)):
            self._control.waiter.wait()

    # -- OpenID Connect sign-in ----------------------------------------------------------

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
        return self._oidc.sign_in_with_device_code(provider=provider, scopes=scopes)

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
        return self._oidc.sign_in_with_redirect(
            provider=provider,
            custom_state=custom_state,
            mode=mode,
            scopes=scopes,
            timeout=timeout,
            redirect_uri=redirect_uri,
        )

    # -- user pools (Amplify's names; see nbauth.auth.user_pool_sign_in) -----------------

    def sign_in(
        self,
        username: str,
        password: str | None = None,
        *,
        auth_flow: str = "USER_SRP_AUTH",
        client_metadata: Mapping[str, str] | None = None,
    ) -> SignInResult:
        """Sign in to the user pool (Amplify's ``signIn``).

        ``auth_flow``: ``USER_SRP_AUTH`` (default; the password never leaves the kernel),
        ``USER_PASSWORD_AUTH``, ``CUSTOM_WITH_SRP`` or ``CUSTOM_WITHOUT_SRP``. When
        ``next_step["sign_in_step"]`` is not ``"DONE"``, answer with :meth:`confirm_sign_in`.

        Example::

            result = auth.sign_in("ada", password, client_metadata={"source": "notebook"})
            if result.next_step["sign_in_step"] == "CONFIRM_SIGN_IN_WITH_TOTP_CODE":
                auth.confirm_sign_in("123456")
        """
        return self._user_pool.sign_in(
            username, password, auth_flow=auth_flow, client_metadata=client_metadata
        )

    def confirm_sign_in(
        self,
        challenge_response: str,
        *,
        client_metadata: Mapping[str, str] | None = None,
        user_attributes: Mapping[str, str] | None = None,
        friendly_device_name: str | None = None,
    ) -> SignInResult:
        """Answer the pending challenge (Amplify's ``confirmSignIn``): a new password, an
        SMS/email/TOTP code, ``"TOTP"``/``"SMS"``/``"EMAIL"`` to pick an MFA type, the TOTP
        code of a new authenticator (MFA setup), or a custom challenge's answer."""
        return self._user_pool.confirm_sign_in(
            challenge_response,
            client_metadata=client_metadata,
            user_attributes=user_attributes,
            friendly_device_name=friendly_device_name,
        )

    def sign_up(
        self,
        username: str,
        password: str,
        *,
        user_attributes: Mapping[str, str] | None = None,
        validation_data: Mapping[str, str] | None = None,
        client_metadata: Mapping[str, str] | None = None,
    ) -> SignUpResult:
        """Amplify's ``signUp``; ``validation_data``/``client_metadata`` reach pre sign-up."""
        return self._user_pool.sign_up(
            username,
            password,
            user_attributes=user_attributes,
            validation_data=validation_data,
            client_metadata=client_metadata,
        )

    def confirm_sign_up(
        self, username: str, code: str, *, client_metadata: Mapping[str, str] | None = None
    ) -> SignUpResult:
        """Amplify's ``confirmSignUp``."""
        return self._user_pool.confirm_sign_up(username, code, client_metadata=client_metadata)

    def resend_sign_up_code(
        self, username: str, *, client_metadata: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """Amplify's ``resendSignUpCode``."""
        return self._user_pool.resend_sign_up_code(username, client_metadata=client_metadata)

    def reset_password(
        self, username: str, *, client_metadata: Mapping[str, str] | None = None
    ) -> ResetPasswordResult:
        """Amplify's ``resetPassword``."""
        return self._user_pool.reset_password(username, client_metadata=client_metadata)

    def confirm_reset_password(
        self,
        username: str,
        new_password: str,
        code: str,
        *,
        client_metadata: Mapping[str, str] | None = None,
    ) -> ResetPasswordResult:
        """Amplify's ``confirmResetPassword``."""
        return self._user_pool.confirm_reset_password(
            username, new_password, code, client_metadata=client_metadata
        )

    def get_current_user(self) -> dict[str, Any]:
        """Amplify's ``getCurrentUser``: ``{"username", "user_id", "sign_in_details"}``."""
        from .current_user import current_user

        return current_user(self.fetch_auth_session().tokens)

    def fetch_user_attributes(self) -> dict[str, str]:
        """Amplify's ``fetchUserAttributes`` (``GetUser``)."""
        return self._user_pool.fetch_user_attributes(self._access_token())

    def update_user_attributes(
        self,
        user_attributes: Mapping[str, str],
        *,
        client_metadata: Mapping[str, str] | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Amplify's ``updateUserAttributes``."""
        from .current_user import check_user_attributes

        check_user_attributes(user_attributes)
        return self._user_pool.update_user_attributes(
            self._access_token(), user_attributes, client_metadata=client_metadata
        )

    def _access_token(self) -> str:
        from .current_user import access_token

        return access_token(self.fetch_auth_session().tokens)

    # -- wiring --------------------------------------------------------------------------

    def _token_source(self) -> TokenSource | None:
        state = self._control.state
        if isinstance(state, (SignedIn, Federated)):
            return state.source
        return self._custom_source

    def _user_token_source(self) -> UserTokenSource | None:
        state = self._control.state
        if isinstance(state, Federated):
            return None
        return state.source if isinstance(state, SignedIn) else self._custom_source

    def _client_for_stored_session(self, name: str) -> TokenClient | None:
        if name == "userPool":
            return self._user_pool.client()
        return self._oidc.client_for_stored(name)

    def _on_transition(self, _state: State) -> None:
        self._pipeline.engine.reset()
        self.invalidate_session_cache()

    def _on_user_tokens_refreshed(self) -> None:
        self.invalidate_session_cache()
        self._pipeline.engine.mark_stale()  # re-federate with the new ID token

    def _on_provider_token_expired(self, logins_key: str) -> None:
        self._control.emit(
            "sessionExpired", {"provider": logins_key}, "The federated provider's token expired"
        )

    def _on_credentials_refreshed(self, fetched: Fetched) -> None:
        self.invalidate_session_cache()
        if fetched.login is None and self.credentials_provider is None:
            self._control.apply(GuestCredentials())
        exp = fetched.credentials.expiration
        self._control.emit(
            "credentialsRefresh",
            {"identity_id": fetched.identity_id, "expiration": exp.isoformat() if exp else None},
            "AWS credentials refreshed",
        )

    def _on_credentials_failed(self, error: BaseException) -> None:
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

    # -- lifecycle -----------------------------------------------------------------------

    def close(self) -> None:
        """Stop the background refresh of credentials and tokens (idempotent)."""
        self._pipeline.engine.close()
        state = self._control.state
        if isinstance(state, SignedIn):
            state.user.close()

    def resume(self) -> None:
        """Undo :meth:`close`: background refresh of credentials and tokens runs again."""
        self._pipeline.engine.resume()
        state = self._control.state
        if isinstance(state, SignedIn):
            state.user.engine.resume()

    def __repr__(self) -> str:
        return f"Auth(state={self.state!r}, identity_pool_id={self.config.identity_pool_id!r})"


def _provider_of(user: UserSession) -> str:
    client = getattr(user, "client", None)
    spec = getattr(client, "spec", None)
    return str(getattr(spec, "name", "") or "")


def _check_provider(value: object, name: str, method: str) -> None:
    if value is not None and not callable(getattr(value, method, None)):
        raise ConfigurationError(
            f"{name} must have a {method}() method; got {type(value).__name__}.",
            f"Pass an object with a {method}() method (see nbauth.TokenProvider and "
            "nbauth.CredentialsProvider).",
        )
