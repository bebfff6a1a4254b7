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

import os
import random as _random
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..config import AuthConfig, load_config
from ..core.log_redaction import install_redaction
from ..core.logins import LoginsProvider
from ..core.protocols import CredentialsProvider, TokenProvider
from ..core.refresh import Refreshable
from ..core.storage import KeyValueStorage, storage_from_config
from ..core.values import AuthSession, AWSCredentials, FederateToIdentityPoolResult
from ..errors import ConfigurationError, NoCredentialsError
from ..events import Hub
from ..events import hub as default_hub
from . import status as _status
from .assembly import assemble
from .credentials_pipeline import Fetched
from .federation import Federation
from .oidc_sign_in import OIDCSignIn
from .state import (
    ClearFederation,
    SignedIn,
    SignOut,
)
from .status import AuthStatus
from .token_sources import UserTokenSource
from .user_pool_api import UserPoolAPI, doc_from
from .user_session import UserSession

if TYPE_CHECKING:
    import boto3

    from ..aws.boto3_credentials import LiveCredentials
    from ..aws.credentials_provider import IdentityPoolCredentialsProvider
    from ..oidc.authorization_code import RedirectSignIn
    from ..oidc.rfc8628 import DeviceCodeSignIn

__all__ = ["Auth"]


class Auth(UserPoolAPI):
    """Sign-in state, federation and live AWS credentials for one configuration.

    Several ``Auth`` objects may live in one kernel (profiles); the module-level functions of
    :mod:`nbauth` use a default one made by :func:`nbauth.configure`.
    """

    def __init__(
        self,
        config: AuthConfig | Mapping[str, Any] | str | os.PathLike[str] | None = None,
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
        parts = assemble(
            self.config,
            self.storage,
            hub=self.hub,
            clock=clock,
            random=random,
            credentials_provider=credentials_provider,
            client_metadata_provider=client_metadata_provider,
            token_provider=lambda: self.token_provider,
            custom_source=lambda: self._custom_source,
        )
        self._pipeline, self._control, self._reader = parts.pipeline, parts.control, parts.reader
        self._oidc, self._user_pool = parts.oidc, parts.user_pool
        self._federation = parts.federation

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

    def set_token_provider(self, provider: TokenProvider | None) -> None:
        """Use ``provider`` for tokens while nobody is signed in (``None`` removes it); the
        credentials held for the previous tokens are dropped.

        Example::

            auth.set_token_provider(MyTokens())
        """
        _check_provider(provider, "token_provider", "get_tokens")
        with self._control.lock:
            self.token_provider = provider
            self._custom_source = UserTokenSource(provider) if provider is not None else None
            self._reader.on_transition()

    def get_current_user(self) -> dict[str, Any]:
        """Amplify's ``getCurrentUser``: ``{"username", "user_id", "sign_in_details"}``.

        Read from the tokens held now (the signed-in user's, or a custom token provider's):
        no identity-pool call and no network call, so it works while the identity pool is
        down. Raises :class:`~nbauth.errors.NoCredentialsError` when nobody is signed in.
        """
        from .current_user import current_user, held_tokens

        return current_user(held_tokens(self.signed_in_user, self._custom_source))

    def invalidate_session_cache(self) -> None:
        """Forget the cached :meth:`fetch_auth_session` result (the next call rebuilds it)."""
        self._reader.invalidate()

    # -- federation ----------------------------------------------------------------------

    @doc_from(Federation.federate)
    def federate_to_identity_pool(
        self,
        token: str,
        provider: LoginsProvider | str,
        *,
        developer_provided_identity_id: str | None = None,
        custom_role_arn: str | None = None,
    ) -> FederateToIdentityPoolResult:
        return self._federation.federate(
            token,
            provider,
            developer_provided_identity_id=developer_provided_identity_id,
            custom_role_arn=custom_role_arn,
        )

    def clear_federation_to_identity_pool(self) -> None:
        """Leave the federated state: drop its credentials and provider token locally.

        The cached identity id is kept (identity ids are stable per login). Raises
        :class:`~nbauth.errors.InvalidStateError` when not federated.
        """
        held = self._pipeline.engine.latest()
        self._control.apply(ClearFederation())
        self._pipeline.forget(held)

    def sign_out(self, *, global_sign_out: bool = False) -> None:
        """Sign the current user out. Refused while federated, as in Amplify.

        ``global_sign_out=True`` (user pools) signs the user out of every device
        (``GlobalSignOut``); otherwise this session's refresh token is revoked (RFC 7009 for
        an OIDC provider that offers it). Revocation errors never block the local sign-out;
        the AWS credentials that followed the user are dropped too.
        """
        held = self._pipeline.engine.latest()
        before = self._control.apply(SignOut())
        self._pipeline.forget(held)
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
        return self._reader.fetch_auth_session(force_refresh)

    def current_credentials(self) -> AWSCredentials:
        """The current AWS credentials (refreshed if needed); what boto3 signs with.

        While a sign-in is pending, waits for it first (up to ``sign_in_wait_seconds``).
        """
        return self._reader.current_credentials()

    def boto3_session(self, *, region_name: str | None = None, **kwargs: Any) -> boto3.Session:
        """A ``boto3.Session`` whose credentials are live: refreshed in place, so clients
        made from it keep working across refreshes. With ``nbauth.aws_endpoint_url`` in the
        configuration (the sandbox's config has it) its clients go to that endpoint.

        Example::

            s3 = auth.boto3_session().client("s3")
        """
        from ..aws.boto3_credentials import LiveCredentials, make_boto3_session

        with self._control.lock:
            if self._live_credentials is None:
                self._live_credentials = LiveCredentials(
                    self._reader.current_credentials, refresh=self._refresh_credentials
                )
        return make_boto3_session(
            self._live_credentials,
            region_name or self.config.region,
            self.config.aws_endpoint_url,
            **kwargs,
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

    # -- OpenID Connect sign-in ----------------------------------------------------------

    @doc_from(OIDCSignIn.sign_in_with_device_code)
    def sign_in_with_device_code(
        self, *, provider: str | None = None, scopes: list[str] | tuple[str, ...] | None = None
    ) -> DeviceCodeSignIn:
        return self._oidc.sign_in_with_device_code(provider=provider, scopes=scopes)

    @doc_from(OIDCSignIn.sign_in_with_redirect)
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
        return self._oidc.sign_in_with_redirect(
            provider=provider,
            custom_state=custom_state,
            mode=mode,
            scopes=scopes,
            timeout=timeout,
            redirect_uri=redirect_uri,
        )

    def _refresh_credentials(self) -> AWSCredentials:
        fetched = self._pipeline.engine.get(force=True)
        if fetched is None:
            raise NoCredentialsError("No AWS credentials to refresh.")
        return fetched.credentials

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


def _check_provider(value: object, name: str, method: str) -> None:
    if value is not None and not callable(getattr(value, method, None)):
        raise ConfigurationError(
            f"{name} must have a {method}() method; got {type(value).__name__}.",
            f"Pass an object with a {method}() method (see nbauth.TokenProvider and "
            "nbauth.CredentialsProvider).",
        )
