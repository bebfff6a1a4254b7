"""The ``Auth`` facade and its state machine.

States (Amplify's rules):

* **signed out** — guest credentials if the pool allows them, else none; or,
  with a custom :class:`~nbauth.TokenProvider` that has tokens, credentials
  for those tokens (Logins key from the token's ``iss``).
* **signed in** — a user signed in through nbauth's own user-pool or OIDC
  flows; credentials follow the user's tokens. Federating is refused here.
* **federated** — after :meth:`Auth.federate_to_identity_pool`; credentials
  are re-federated with the stored provider token while it is valid, then
  with a new token from the configured token provider. ``sign_out`` is
  refused here; :meth:`Auth.clear_federation_to_identity_pool` leaves it.

AWS credentials live in one :class:`~nbauth.core.refresh.Refreshable`, so
they refresh in the background ahead of expiry, one network call serves any
number of threads, and expired credentials are never handed out.

Example::

    auth = Auth("amplify_outputs.json")
    auth.federate_to_identity_pool(id_token, AuthProvider.oidc("https://idp.example.com"))
    s3 = auth.boto3_session().client("s3")
"""

from __future__ import annotations

import contextlib
import random as _random
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from ..config import AuthConfig, load_config
from ..core.jwt import decode_jwt
from ..core.log_redaction import install_redaction
from ..core.logins import AuthProvider, LoginsProvider
from ..core.protocols import CredentialsProvider, TokenProvider
from ..core.refresh import Refreshable, RefreshPolicy
from ..core.storage import KeyValueStorage, storage_from_config
from ..core.values import (
    AuthSession,
    AuthTokens,
    AWSCredentials,
    FederateToIdentityPoolResult,
)
from ..errors import (
    AuthError,
    ConfigurationError,
    InvalidParameterError,
    InvalidStateError,
    InvalidTokenError,
    NoCredentialsError,
    NotAuthorizedError,
    ProviderTokenExpiredError,
    UserAlreadyAuthenticatedError,
)
from ..events import Hub
from ..events import hub as default_hub
from ..oidc_auth import OIDCSignInMixin
from ..user_pool_auth import UserPoolMixin

if TYPE_CHECKING:
    import boto3

    from ..aws.credentials_provider import IdentityPoolCredentialsProvider
    from ..oidc.client import OIDCClient

__all__ = ["Auth"]

#: A provider token this close to its ``exp`` is treated as expired.
_TOKEN_SKEW_SECONDS = 30.0


class _Federation(NamedTuple):
    provider: LoginsProvider
    token: str
    developer_identity_id: str | None
    custom_role_arn: str | None


class _Fetched(NamedTuple):
    """One result of the credentials engine."""

    credentials: AWSCredentials
    identity_id: str | None
    source_token: str | None  # the login token the credentials were obtained with
    user_sub: str | None


def _expires_at(value: _Fetched) -> float | None:
    return value.credentials.expires_at


class Auth(OIDCSignInMixin, UserPoolMixin):
    """Sign-in state, federation and live AWS credentials for one configuration.

    Several ``Auth`` objects may live in one kernel (profiles); the module-level
    functions of :mod:`nbauth` use a default one made by :func:`nbauth.configure`.
    """

    def __init__(
        self,
        config: Any = None,
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
        self._lock = threading.RLock()
        self._local = threading.local()  # tokens read by this thread's fetch_auth_session
        self._federation: _Federation | None = None
        self._signed_in: TokenProvider | None = None  # set by nbauth's own sign-in flows
        self._pool: IdentityPoolCredentialsProvider | None = None
        self._oidc_clients: dict[str, OIDCClient] = {}
        if client_metadata_provider is not None and not callable(client_metadata_provider):
            raise ConfigurationError(
                "client_metadata_provider must be a callable returning a dict of strings."
            )
        self.client_metadata_provider = client_metadata_provider
        self._pending_sign_in: Any = None
        #: How long a call needing credentials waits for a pending sign-in (seconds).
        self.sign_in_wait_seconds = 300.0
        #: Called as ``(handle, timeout)`` when such a call starts waiting (the notebook layer
        #: shows a message in the cell).
        self.on_waiting_for_sign_in: Callable[[Any, float], None] | None = None
        self._user_pool_client = None
        self._user_pool_sign_in = None
        self._live_credentials: Any = None
        self._session_cache: AuthSession | None = None
        self._session_fresh_until = 0.0
        self._session_version = 0
        self._credentials = Refreshable(
            self._fetch_credentials,
            expires_at=_expires_at,
            policy=RefreshPolicy(
                margin_seconds=self.config.refresh_margin_seconds,
                jitter_seconds=self.config.refresh_jitter_seconds,
            ),
            clock=clock,
            random=random,
            on_refreshed=self._on_credentials_refreshed,
            on_failed=self._on_credentials_failed,
            name="credentials",
            background=self.config.background_refresh,
        )
        self._restore_signed_in_user()

    # -- state ---------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """``"federated"``, ``"signed_in"`` or ``"signed_out"``."""
        if self._federation is not None:
            return "federated"
        return "signed_in" if self._signed_in is not None else "signed_out"

    @property
    def credentials_engine(self) -> Refreshable[_Fetched]:
        """The refresh engine behind the AWS credentials (for status displays and tests)."""
        return self._credentials

    def _invalidate_session(self) -> None:
        self._session_version += 1
        self._session_fresh_until = 0.0
        self._session_cache = None

    def _emit(self, event: str, data: Any = None, message: str | None = None) -> None:
        self.hub.dispatch("auth", event, data, message)

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
        ``AuthProvider.oidc(issuer)``, …), a provider name, an issuer URL or a
        Logins key. With ``developer_provided_identity_id`` (e.g. from
        ``GetOpenIdTokenForDeveloperIdentity``, used with
        ``AuthProvider.DEVELOPER``), ``GetId`` is skipped and that identity is used.
        Refused while a user-pool user is signed in (nbauth federates that
        user by itself). A failed call leaves the previous state untouched.

        Example::

            result = auth.federate_to_identity_pool(google_id_token, AuthProvider.GOOGLE)
            result.identity_id, result.credentials.expiration
        """
        if not isinstance(token, str) or not token.strip():
            raise InvalidTokenError(
                "federate_to_identity_pool() needs the provider's token as a non-empty string.",
            )
        resolved = AuthProvider.resolve(provider)
        if developer_provided_identity_id is not None and (
            not isinstance(developer_provided_identity_id, str)
            or ":" not in developer_provided_identity_id
        ):
            raise InvalidParameterError(
                f"developer_provided_identity_id must look like '<region>:<uuid>', got "
                f"{developer_provided_identity_id!r}.",
                "Pass the IdentityId returned by GetOpenIdTokenForDeveloperIdentity.",
            )
        if custom_role_arn is not None and not str(custom_role_arn).startswith("arn:"):
            raise InvalidParameterError(
                f"custom_role_arn must be an IAM role ARN, got {custom_role_arn!r}.",
                "Pass arn:aws:iam::<account>:role/<name>, or leave it out.",
            )
        self.config.require_identity_pool()
        if self._signed_in is not None:
            raise InvalidStateError(
                "Federation to the identity pool is not allowed while a user is signed in.",
                "nbauth already federates the signed-in user; call sign_out() first to federate "
                "another token.",
            )
        federation = _Federation(
            resolved, token.strip(), developer_provided_identity_id, custom_role_arn
        )
        fetched = self._fetch_federated(federation)  # raises before any state changes
        with self._lock:
            if self._signed_in is not None:
                raise InvalidStateError(
                    "A user signed in while federation was in progress; federation was dropped.",
                )
            self._federation = federation._replace(token=fetched.source_token or federation.token)
            self._credentials.reset()
            self._credentials.set(fetched)
            self._invalidate_session()
        self._emit(
            "federatedToIdentityPool",
            {"identity_id": fetched.identity_id, "provider": resolved.logins_key},
            "Federated to the identity pool",
        )
        return FederateToIdentityPoolResult(fetched.identity_id or "", fetched.credentials)

    def clear_federation_to_identity_pool(self) -> None:
        """Leave the federated state: drop its credentials and provider token locally.

        The cached identity id is kept (identity ids are stable per login).
        Raises :class:`InvalidStateError` when not federated.
        """
        with self._lock:
            if self._federation is None:
                raise InvalidStateError(
                    "There is no federation to the identity pool to clear.",
                    "Call federate_to_identity_pool() first; check auth.state.",
                )
            self._federation = None
            self._credentials.reset()
            self._invalidate_session()
        self._emit("federationToIdentityPoolCleared", None, "Federation cleared")

    def sign_out(self, *, global_sign_out: bool = False) -> None:
        """Sign the current user out. Refused while federated, as in Amplify.

        ``global_sign_out=True`` (user pools) signs the user out of every device
        (``GlobalSignOut``); otherwise this session's refresh token is revoked.

        For an OIDC sign-in the refresh token is revoked at the IdP (RFC 7009) where it offers
        revocation; revocation errors never block the local sign-out. The AWS credentials that
        followed the user are dropped too.
        """
        with self._lock:
            if self._federation is not None:
                raise InvalidStateError(
                    "sign_out() is not allowed while federated to the identity pool.",
                    "Call clear_federation_to_identity_pool() to end a federated session.",
                )
            user = self._signed_in
            self._signed_in = None
            self._credentials.reset()
            self._invalidate_session()
        if self._user_pool_sign_in is not None:
            self._user_pool_sign_in.clear()
        if user is None:
            return
        revoke = True
        if global_sign_out and getattr(user, "client", None) is self._user_pool_client:
            revoke = not self._global_sign_out(user)
        end = getattr(user, "sign_out", None)
        if callable(end):
            end(revoke=revoke)
        self._emit("signedOut", None, "Signed out")

    def _global_sign_out(self, user: Any) -> bool:
        """``GlobalSignOut`` with the user's access token; errors never block the sign-out."""
        import logging

        current = user.current
        if current is None or self._user_pool_client is None:
            return False
        try:
            from ..cognito.account import UserPoolAccount

            UserPoolAccount(self._user_pool_client).global_sign_out(current.access_token)
            return True
        except Exception as exc:
            logging.getLogger("nbauth").warning(
                "GlobalSignOut failed (%s); signed out locally anyway", type(exc).__name__
            )
            return False

    def _enter_signed_in(self, tokens: TokenProvider) -> None:
        """For nbauth's own sign-in flows: the user is signed in; tokens come from ``tokens``."""
        with self._lock:
            self._check_can_sign_in()
            self._signed_in = tokens
            self._credentials.reset()
            self._invalidate_session()

    def _check_can_sign_in(self) -> None:
        if self._federation is not None:
            raise InvalidStateError(
                "Cannot sign in while federated to the identity pool.",
                "Call clear_federation_to_identity_pool() first.",
            )
        if self._signed_in is not None:
            raise UserAlreadyAuthenticatedError(
                "A user is already signed in.",
                "Call sign_out() first, or keep using the current session.",
            )

    # -- session -------------------------------------------------------------------------

    def fetch_auth_session(self, *, force_refresh: bool = False) -> AuthSession:
        """The current session: tokens, AWS credentials, identity id and user sub.

        Credentials are refreshed if expired (or with ``force_refresh``); while
        fresh this is a cached read. Guest credentials when the pool allows
        them and nobody is signed in.
        """
        if not force_refresh and self._clock() < self._session_fresh_until:
            return self._session_cache  # type: ignore[return-value]
        if self._pending_sign_in is not None and self._signed_in is None:
            self._wait_for_pending_sign_in()
        return self._fetch_auth_session(force_refresh)

    def _fetch_auth_session(self, force_refresh: bool) -> AuthSession:
        version = self._session_version
        source = self._token_source()
        tokens = self._get_tokens(source, force_refresh) if source is not None else None
        self._local.tokens = (source, tokens)  # a fetch in this thread reuses them
        try:
            fetched = self._credentials.get(force=force_refresh)
            if source is not None and fetched is not None:
                expected = tokens.federation_token.to_string() if tokens is not None else None
                if fetched.source_token != expected:
                    fetched = self._credentials.get(force=True)  # the user's tokens changed
        finally:
            self._local.tokens = None
        user_sub = None
        if tokens is not None:
            user_sub = tokens.federation_token.subject
        elif fetched is not None:
            user_sub = fetched.user_sub
        session = AuthSession(
            tokens=tokens,
            credentials=fetched.credentials if fetched else None,
            identity_id=fetched.identity_id if fetched else None,
            user_sub=user_sub,
        )
        if source is None and self._session_version == version:
            with self._lock:
                if self._session_version == version:
                    self._session_cache = session
                    self._session_fresh_until = self._credentials.refresh_at
        return session

    # -- waiting for a sign-in in progress (Run All) -------------------------------------

    @property
    def pending_sign_in(self) -> Any:
        """The device-code or redirect sign-in in progress, if any (its handle)."""
        handle = self._pending_sign_in
        return handle if handle is not None and not handle.done else None

    def _track_pending_sign_in(self, handle: Any) -> None:
        self._pending_sign_in = handle

        def clear(done: Any) -> None:
            if self._pending_sign_in is done:
                self._pending_sign_in = None

        handle.on_done(clear)

    def _wait_for_pending_sign_in(self) -> None:
        """A call that needs credentials while a sign-in is pending waits for it (Run All:
        the cell after the sign-in cell waits for the person to approve), visibly and with a
        timeout, instead of failing with "nobody is signed in"."""
        handle = self.pending_sign_in
        if handle is None or self._signed_in is not None or self._federation is not None:
            return
        timeout = self.sign_in_wait_seconds
        if self.on_waiting_for_sign_in is not None:
            with contextlib.suppress(Exception):  # a display problem must not break the wait
                self.on_waiting_for_sign_in(handle, timeout)
        handle.wait(timeout)

    def current_credentials(self) -> AWSCredentials:
        """The current AWS credentials (refreshed if needed); what boto3 signs with.

        While a sign-in is pending, waits for it first (up to ``sign_in_wait_seconds``).
        """
        if self._pending_sign_in is not None and self._signed_in is None:
            self._wait_for_pending_sign_in()
        fetched = self._credentials.get()
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

        with self._lock:
            if self._live_credentials is None:
                self._live_credentials = LiveCredentials(self.current_credentials)
        return make_boto3_session(
            self._live_credentials, region_name or self.config.region, **kwargs
        )

    # -- fetching credentials ------------------------------------------------------------

    def _token_source(self) -> TokenProvider | None:
        if self._federation is not None:
            return None
        return self._signed_in or self.token_provider

    def _get_tokens(self, source: TokenProvider, force_refresh: bool) -> AuthTokens | None:
        try:
            return AuthTokens.coerce(source.get_tokens(force_refresh=force_refresh))
        except AuthError:
            raise
        except Exception as exc:
            raise NotAuthorizedError(
                f"The token provider failed: {type(exc).__name__}: {exc}",
                "Check your token provider's get_tokens(); nbauth keeps the current credentials.",
                underlying=exc,
            ) from None

    def _identity_pool(self) -> IdentityPoolCredentialsProvider:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    from ..aws.credentials_provider import IdentityPoolCredentialsProvider
                    from ..aws.identity_pool import IdentityPoolClient

                    client = IdentityPoolClient(
                        self.config.require_identity_pool(), self.config.region or ""
                    )
                    self._pool = IdentityPoolCredentialsProvider(
                        client, self.storage, allow_guest=self.config.allow_guest
                    )
        return self._pool

    def _fetch_credentials(self) -> _Fetched | None:
        federation = self._federation
        if federation is not None:
            fetched = self._fetch_federated(federation)
            with self._lock:
                if self._federation is federation and fetched.source_token != federation.token:
                    self._federation = federation._replace(token=fetched.source_token)
            return fetched
        source = self._token_source()
        pending = getattr(self._local, "tokens", None)
        if pending is not None and pending[0] is source:
            tokens = pending[1]
        else:
            tokens = self._get_tokens(source, False) if source is not None else None
        if self.credentials_provider is not None:
            result = self.credentials_provider.get_credentials_and_identity_id(
                tokens=tokens, authenticated=tokens is not None, force_refresh=True
            )
            if result is None:
                return None
            return _Fetched(
                result.credentials,
                result.identity_id,
                tokens.federation_token.to_string() if tokens else None,
                None,
            )
        if not self.config.identity_pool_id:
            return None
        pool = self._identity_pool()
        if tokens is not None:
            from ..aws.credentials_provider import logins_for_tokens

            logins = logins_for_tokens(tokens, getattr(source, "logins_key", None))
            result = pool.credentials_for(logins)
            return _Fetched(
                result.credentials,
                result.identity_id,
                tokens.federation_token.to_string(),
                tokens.federation_token.subject,
            )
        if not self.config.allow_guest:
            return None
        result = pool.credentials_for({})
        return _Fetched(result.credentials, result.identity_id, None, None)

    def _fetch_federated(self, federation: _Federation) -> _Fetched:
        token = federation.token
        if _token_expired(token, self._clock()):
            token = self._new_provider_token(federation)
        try:
            return self._federate_once(federation, token)
        except NotAuthorizedError as exc:
            if "expired" not in exc.message.lower() or self.token_provider is None:
                raise
            token = self._new_provider_token(federation)  # the IdP says expired: ask once
            return self._federate_once(federation, token)

    def _federate_once(self, federation: _Federation, token: str) -> _Fetched:
        result = self._identity_pool().credentials_for(
            {federation.provider.logins_key: token},
            identity_id=federation.developer_identity_id,
            custom_role_arn=federation.custom_role_arn,
        )
        try:
            sub = decode_jwt(token).subject
        except InvalidTokenError:
            sub = None
        return _Fetched(result.credentials, result.identity_id, token, sub)

    def _new_provider_token(self, federation: _Federation) -> str:
        """The stored provider token expired: ask the token provider for a new one."""
        tokens = None
        if self.token_provider is not None:
            tokens = self._get_tokens(self.token_provider, True)
        if tokens is None:
            self._emit(
                "sessionExpired",
                {"provider": federation.provider.logins_key},
                "The federated provider's token expired",
            )
            raise ProviderTokenExpiredError(
                f"The token from {federation.provider.logins_key} has expired and no token "
                "provider supplied a new one.",
            )
        return tokens.federation_token.to_string()

    # -- events --------------------------------------------------------------------------

    def _on_credentials_refreshed(self, fetched: _Fetched) -> None:
        with self._lock:
            self._invalidate_session()
        exp = fetched.credentials.expiration
        self._emit(
            "credentialsRefresh",
            {"identity_id": fetched.identity_id, "expiration": exp.isoformat() if exp else None},
            "AWS credentials refreshed",
        )

    def _on_credentials_failed(self, error: BaseException) -> None:
        name = getattr(error, "name", type(error).__name__)
        message = getattr(error, "message", None) or type(error).__name__
        self._emit(
            "credentialsRefresh_failure",
            {
                "error": name,
                "message": message,
                "retry_in_seconds": max(0.0, round(self._credentials.retry_at - self._clock(), 1)),
            },
            "Refreshing AWS credentials failed",
        )

    # -- lifecycle -----------------------------------------------------------------------

    def close(self) -> None:
        """Stop the background refresh of credentials and tokens (idempotent)."""
        self._credentials.close()
        closer = getattr(self._signed_in, "close", None)
        if callable(closer):
            closer()

    def __repr__(self) -> str:
        return f"Auth(state={self.state!r}, identity_pool_id={self.config.identity_pool_id!r})"


def _token_expired(token: str, now: float) -> bool:
    try:
        exp = decode_jwt(token).expires_at
    except InvalidTokenError:
        return False  # opaque token: let the identity pool judge it
    return exp is not None and now >= exp - _TOKEN_SKEW_SECONDS


def _check_provider(value: Any, name: str, method: str) -> None:
    if value is not None and not callable(getattr(value, method, None)):
        raise ConfigurationError(
            f"{name} must have a {method}() method; got {type(value).__name__}.",
            f"Pass an object with a {method}() method (see nbauth.TokenProvider and "
            "nbauth.CredentialsProvider).",
        )
