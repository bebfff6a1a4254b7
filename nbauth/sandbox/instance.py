"""The running sandbox: one local endpoint for Cognito, IAM, STS and S3, and an IdP.

Request path: ``FaultInjector`` (counts, injected errors) →
``SignedRequests`` (signatures, session tokens, expiry, clock skew; see
:mod:`nbauth.sandbox.signed_requests`; S3 requests judged by the role's IAM
policies: :mod:`nbauth.sandbox.s3_policies`) →
``UserPoolDiscovery`` → ``StrictIdentityPool`` (Cognito Identity, strict) →
``StrictUserPool`` (Cognito user pools, strict; Lambda triggers in Python) →
moto. Served by :class:`~nbauth.sandbox.server.LocalServer` on 127.0.0.1.

Next to it, on a port of its own, the OpenID provider of
:mod:`nbauth.sandbox.idp` (Authlib's authorization server): its issuer is
trusted by the identity pool, and it also serves the user pool's Cognito
managed-login paths. ``Sandbox`` is the facade for both: configuration, the
person's side of sign-ins (``sign_in_at``, ``approve_device_code``), call
counts and injected failures.

moto keeps its state in process-global backends. When a sandbox starts and no
other sandbox of this process is running, moto's state is reset, so a sandbox
starts fresh; sandboxes running side by side share moto's state (their
resources have distinct random names; the bucket is shared), while identities,
roles, call counts and faults are per sandbox.
"""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from moto.server import DomainDispatcherApplication, create_backend_app

from . import moto_backends
from .aws_errors import AwsError
from .faults import FaultInjector
from .idp import (
    CONFIDENTIAL_CLIENT_ID,
    NOTEBOOK_CLIENT_ID,
    OIDC_SCOPES,
    IdentityProvider,
    Lifetimes,
    UserPool,
)
from .idp.public_url import resolve_public_url
from .logins import logins_key_for_issuer
from .s3_policies import S3PolicyAuthorizer
from .seed import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    DEVELOPER_PROVIDER_NAME,
    FAKE_ADMIN_KEY,
    SeededResources,
    aws_client,
    create_confirmed_user,
    seed,
)
from .server import LocalServer
from .signed_requests import SignedRequests
from .strict_identity_pool import IDENTITY_JWKS_PATH, StrictIdentityPool
from .user_pool import StrictUserPool, TriggerFn, UserPoolControls
from .user_pool import users as user_pool_users
from .user_pool_discovery import UserPoolDiscovery

__all__ = ["Sandbox", "start"]

_live_lock = threading.Lock()
_live_count = 0
_UNUSED_THUMBPRINT = "0" * 40  # IAM wants one; the sandbox fetches keys itself


class Sandbox(UserPoolControls):
    """A running local "AWS half" for nbauth. Use :func:`start` to make one.

    Also a context manager: ``with nbauth.sandbox.start() as sb: ...`` stops it
    on exit. The user-pool methods (triggers, MFA, sent codes, time) come from
    :class:`~nbauth.sandbox.user_pool.UserPoolControls`.
    """

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        credentials_lifetime: int = 3600,
        allow_guest: bool = True,
        port: int = 0,
        access_token_lifetime: int = 3600,
        id_token_lifetime: int = 3600,
        refresh_token_lifetime: int = 30 * 86400,
        device_code_lifetime: int = 600,
        device_poll_interval: int = 5,
        idp_port: int = 0,
        triggers: Mapping[str, TriggerFn] | None = None,
        public_url: str | None = None,
    ) -> None:
        _check_lifetime(credentials_lifetime)
        public_url_template = resolve_public_url(public_url)  # a bad one fails before starting
        lifetimes = Lifetimes(
            access_token=access_token_lifetime,
            id_token=id_token_lifetime,
            refresh_token=refresh_token_lifetime,
            device_code=device_code_lifetime,
            device_poll_interval=device_poll_interval,
        )
        self._initial_lifetimes = dict(
            access=access_token_lifetime,
            id=id_token_lifetime,
            refresh=refresh_token_lifetime,
            device_code=device_code_lifetime,
            device_interval=device_poll_interval,
        )
        self.region = region
        self.demo_username = DEMO_USERNAME
        self.demo_password = DEMO_PASSWORD
        self.issuer: str | None = None  # set once the IdP runs
        self._idp: IdentityProvider | None = None
        self._allow_guest = allow_guest
        self._passwords: dict[str, str] = {DEMO_USERNAME: DEMO_PASSWORD}
        self._clients: dict[tuple[str, bool], Any] = {}
        self._clients_lock = threading.Lock()
        self._stop_lock = threading.Lock()
        self._stopped = False

        self._user_pool = StrictUserPool(DomainDispatcherApplication(create_backend_app))
        if triggers:
            self.set_triggers(triggers)
        self._strict = StrictIdentityPool(
            self._user_pool, credentials_lifetime=credentials_lifetime
        )
        self._signed = SignedRequests(
            UserPoolDiscovery(self._strict), self._strict.issued, authorizer=S3PolicyAuthorizer()
        )
        self._faults = FaultInjector(self._signed)
        self._server = LocalServer(self._faults, port)
        self.aws_endpoint_url: str = self._server.url
        self._registered = False
        try:
            _register_live(self.aws_endpoint_url)
            self._registered = True
            self._resources: SeededResources = seed(self.client, region, allow_guest=allow_guest)
            self._idp = self._start_idp(lifetimes, idp_port, public_url_template)
            self.issuer = self._idp.issuer
            self.add_oidc_provider(self.issuer, [NOTEBOOK_CLIENT_ID, CONFIDENTIAL_CLIENT_ID])
        except BaseException:
            self.stop()
            raise

    def _start_idp(
        self, lifetimes: Lifetimes, port: int, public_url: str | None
    ) -> IdentityProvider:
        user_pool_id = self._resources.user_pool_id
        idp = IdentityProvider(
            lifetimes=lifetimes,
            user_pool=UserPool(
                region=self.region,
                user_pool_id=user_pool_id,
                user_pool_client_id=self._resources.user_pool_client_id,
                user_sub=lambda username: moto_backends.user_pool_user_sub(user_pool_id, username),
            ),
            port=port,
            public_url=public_url,
        )
        idp.add_user(DEMO_USERNAME, DEMO_PASSWORD, {"email": DEMO_EMAIL, "email_verified": "true"})
        return idp

    @property
    def idp(self) -> IdentityProvider:
        """The running OpenID provider (see :mod:`nbauth.sandbox.idp`)."""
        if self._idp is None:
            raise RuntimeError("the sandbox IdP is not running")
        return self._idp

    # -- what was created ----------------------------------------------------
    @property
    def user_pool_id(self) -> str:
        """The user pool (``<region>_<id>``)."""
        return self._resources.user_pool_id

    @property
    def user_pool_client_id(self) -> str:
        """The public app client (no secret; password, SRP, refresh and custom auth)."""
        return self._resources.user_pool_client_id

    @property
    def identity_pool_id(self) -> str:
        """The identity pool (``<region>:<uuid>``)."""
        return self._resources.identity_pool_id

    @property
    def bucket(self) -> str:
        """The S3 bucket holding ``public/hello.txt`` and ``public/data/example.csv``."""
        return self._resources.bucket

    @property
    def authenticated_role_arn(self) -> str:
        """IAM role for signed-in identities."""
        return self._resources.authenticated_role_arn

    @property
    def unauthenticated_role_arn(self) -> str:
        """IAM role for guest identities."""
        return self._resources.unauthenticated_role_arn

    @property
    def user_pool_provider_name(self) -> str:
        """The Logins key of the user pool: ``cognito-idp.<region>.amazonaws.com/<pool>``."""
        return f"cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @property
    def developer_provider_name(self) -> str:
        """The identity pool's developer provider name."""
        return DEVELOPER_PROVIDER_NAME

    @property
    def identity_jwks_url(self) -> str:
        """JWKS of the sandbox's ``cognito-identity.amazonaws.com`` tokens."""
        return self.aws_endpoint_url + IDENTITY_JWKS_PATH

    @property
    def idp_url(self) -> str:
        """Base URL of the IdP (the same as :attr:`issuer`)."""
        return self.idp.issuer

    @property
    def oidc_client_id(self) -> str:
        """The IdP's public native client: ``nbauth-notebook``."""
        return NOTEBOOK_CLIENT_ID

    @property
    def confidential_client_id(self) -> str:
        """The IdP's confidential client: ``nbauth-confidential``."""
        return CONFIDENTIAL_CLIENT_ID

    @property
    def confidential_client_secret(self) -> str:
        """The secret of ``nbauth-confidential`` (random per sandbox)."""
        return self.idp.confidential_client_secret

    @property
    def public_url(self) -> str:
        """Where a person's browser opens the IdP's pages: :attr:`idp_url`, or through the
        Jupyter server (``<Jupyter URL>proxy/absolute/<idp port>``) on Binder and JupyterHub
        (``start(public_url=...)``; :mod:`nbauth.sandbox.idp.public_url`)."""
        return self.idp.public_url

    @property
    def device_page_url(self) -> str:
        """Where a person enters a device flow's user code (on :attr:`public_url`)."""
        return f"{self.public_url}/device"

    @property
    def config(self) -> dict[str, Any]:
        """A fresh ``amplify_outputs.json`` dict (Amplify Gen 2 form + ``nbauth``).

        ``auth.oauth`` points at the IdP's Cognito managed-login paths
        (``domain`` is ``127.0.0.1:<idp port>``, served over http);
        ``nbauth.oidc_providers.sandbox`` is the IdP itself. The endpoints travel with it
        (``auth.user_pool_endpoint``, ``auth.identity_pool_endpoint`` and
        ``nbauth.aws_endpoint_url``), so ``nbauth.configure(sb.config)`` is all a notebook
        needs: nothing process-wide is set.
        """
        idp = self.idp_url
        return {
            "version": "1.3",
            "auth": {
                "aws_region": self.region,
                "user_pool_id": self.user_pool_id,
                "user_pool_client_id": self.user_pool_client_id,
                "identity_pool_id": self.identity_pool_id,
                "unauthenticated_identities_enabled": self._allow_guest,
                "user_pool_endpoint": self.aws_endpoint_url,
                "identity_pool_endpoint": self.aws_endpoint_url,
                "oauth": {
                    "domain": idp.split("://", 1)[1],
                    "scopes": ["openid", "email", "profile", "aws.cognito.signin.user.admin"],
                    "redirect_sign_in_uri": ["http://127.0.0.1/callback"],
                    "redirect_sign_out_uri": ["http://127.0.0.1/signed-out"],
                    "response_type": "code",
                    "identity_providers": [
                        "GOOGLE",
                        "FACEBOOK",
                        "LOGIN_WITH_AMAZON",
                        "SIGN_IN_WITH_APPLE",
                    ],
                },
            },
            "storage": {"aws_region": self.region, "bucket_name": self.bucket},
            "nbauth": {
                "oidc_providers": {
                    "sandbox": {
                        "issuer": idp,
                        "client_id": NOTEBOOK_CLIENT_ID,
                        "scopes": list(OIDC_SCOPES),
                    }
                },
                "default_provider": "sandbox",
                "aws_endpoint_url": self.aws_endpoint_url,
                "refresh": {"margin_seconds": 300, "jitter_seconds": 30},
                "storage": {"kind": "memory"},
            },
        }

    @property
    def env(self) -> dict[str, str]:
        """Environment for boto3/botocore to use the sandbox (fake admin keys)."""
        return {
            "AWS_ENDPOINT_URL": self.aws_endpoint_url,
            "AWS_ACCESS_KEY_ID": FAKE_ADMIN_KEY,
            "AWS_SECRET_ACCESS_KEY": FAKE_ADMIN_KEY,
            "AWS_DEFAULT_REGION": self.region,
        }

    @property
    def running(self) -> bool:
        """True until :meth:`stop`."""
        return not self._stopped

    # -- clients -------------------------------------------------------------
    def client(self, service: str, *, signed: bool = True) -> Any:
        """A cached boto3 client for ``service`` at the sandbox (no retries).

        ``signed=False`` gives an unsigned client, as a browser would use for
        ``cognito-identity`` and user-pool sign-in.
        """
        with self._clients_lock:
            key = (service, signed)
            if key not in self._clients:
                self._clients[key] = aws_client(
                    service, self.aws_endpoint_url, self.region, signed=signed
                )
            return self._clients[key]

    # -- users and tokens ----------------------------------------------------
    def create_user(
        self,
        username: str,
        password: str | None = None,
        attributes: dict[str, str] | None = None,
        *,
        temporary_password: str | None = None,
        confirmed: bool = True,
    ) -> None:
        """Create a user pool user.

        * ``password``: a CONFIRMED user with this permanent password, who can
          also sign in at the IdP (same username and password; ``email`` and
          ``name`` attributes become claims);
        * ``confirmed=False``: an UNCONFIRMED user with ``password``, as after
          ``SignUp`` (no triggers run, no code is sent);
        * ``temporary_password``: ``AdminCreateUser``'s FORCE_CHANGE_PASSWORD
          user, whose first sign-in answers ``NEW_PASSWORD_REQUIRED``.
        """
        if (password is None) == (temporary_password is None):
            raise ValueError("pass exactly one of password= and temporary_password=")
        if temporary_password is not None:
            self.client("cognito-idp").admin_create_user(
                UserPoolId=self.user_pool_id,
                Username=username,
                TemporaryPassword=temporary_password,
                UserAttributes=[{"Name": k, "Value": v} for k, v in (attributes or {}).items()],
                MessageAction="SUPPRESS",
            )
            return
        assert password is not None
        if not confirmed:
            pool = user_pool_users.find_pool(self.user_pool_id)
            if user_pool_users.find_user(pool, username) is not None:
                raise ValueError(f"user {username!r} already exists")
            user_pool_users.create_user(
                pool, username, password, dict(attributes or {}), "UNCONFIRMED"
            )
            self._passwords[username] = password
            return
        create_confirmed_user(
            self.client("cognito-idp"), self.user_pool_id, username, password, attributes
        )
        self._passwords[username] = password
        self.idp.add_user(username, password, attributes)

    def _password(self, username: str, password: str | None) -> str:
        if password is not None:
            return password
        if username not in self._passwords:
            raise ValueError(f"no known password for {username!r}; pass password=")
        return self._passwords[username]

    def user_pool_tokens(self, username: str = DEMO_USERNAME, password: str | None = None) -> dict:
        """``InitiateAuth`` (USER_PASSWORD_AUTH): the ``AuthenticationResult`` dict."""
        result = self.client("cognito-idp", signed=False).initiate_auth(
            ClientId=self.user_pool_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": self._password(username, password)},
        )
        return dict(result["AuthenticationResult"])

    def id_token(self, username: str = DEMO_USERNAME, password: str | None = None) -> str:
        """A user-pool ID token for ``username``."""
        return self.user_pool_tokens(username, password)["IdToken"]

    def developer_identity(
        self, login_id: str, identity_id: str | None = None, token_duration: int = 900
    ) -> tuple[str, str]:
        """``GetOpenIdTokenForDeveloperIdentity``: ``(identity_id, open_id_token)``.

        The token is accepted in ``Logins`` under ``cognito-identity.amazonaws.com``.
        """
        params: dict[str, Any] = {
            "IdentityPoolId": self.identity_pool_id,
            "Logins": {DEVELOPER_PROVIDER_NAME: login_id},
            "TokenDuration": token_duration,
        }
        if identity_id is not None:
            params["IdentityId"] = identity_id
        result = self.client("cognito-identity").get_open_id_token_for_developer_identity(**params)
        return result["IdentityId"], result["Token"]

    # -- identity pool configuration -----------------------------------------
    def _update_identity_pool(self, **changes: Any) -> None:
        identity = self.client("cognito-identity")
        current = identity.describe_identity_pool(IdentityPoolId=self.identity_pool_id)
        identity.update_identity_pool(
            IdentityPoolId=self.identity_pool_id,
            IdentityPoolName=current["IdentityPoolName"],
            AllowUnauthenticatedIdentities=changes.pop(
                "AllowUnauthenticatedIdentities", current["AllowUnauthenticatedIdentities"]
            ),
            **changes,
        )

    def set_guest_access(self, allow: bool) -> None:
        """Turn the identity pool's unauthenticated identities on or off."""
        self._update_identity_pool(AllowUnauthenticatedIdentities=bool(allow))
        self._allow_guest = bool(allow)

    def add_oidc_provider(self, issuer: str, client_ids: list[str]) -> str:
        """Trust an OpenID Connect issuer; return its Logins key.

        Creates (or extends) the IAM OIDC provider and adds its ARN to the
        identity pool. ``http://127.0.0.1:…`` issuers are fine.
        """
        if not client_ids:
            raise ValueError("client_ids must not be empty")
        iam = self.client("iam")
        key = logins_key_for_issuer(issuer)
        try:
            arn = iam.create_open_id_connect_provider(
                Url=issuer, ClientIDList=list(client_ids), ThumbprintList=[_UNUSED_THUMBPRINT]
            )["OpenIDConnectProviderArn"]
        except iam.exceptions.EntityAlreadyExistsException:
            arn = f"arn:aws:iam::{moto_backends.ACCOUNT_ID}:oidc-provider/{key}"
            known = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"]
            for client_id in client_ids:
                if client_id not in known:
                    iam.add_client_id_to_open_id_connect_provider(
                        OpenIDConnectProviderArn=arn, ClientID=client_id
                    )
        self._strict.verifier.register_issuer(issuer)
        current = self.client("cognito-identity").describe_identity_pool(
            IdentityPoolId=self.identity_pool_id
        )
        arns = list(current.get("OpenIdConnectProviderARNs") or [])
        if arn not in arns:
            self._update_identity_pool(OpenIdConnectProviderARNs=[*arns, arn])
        return key

    # -- identities ----------------------------------------------------------
    def merge_identities(self, source_identity_id: str, target_identity_id: str) -> None:
        """Merge ``source`` into ``target`` as Cognito does when linking logins.

        Afterwards the source's logins, and the source id itself, lead to the
        target. Raises ``LookupError`` for an unknown identity.
        """
        try:
            self._strict.store.merge(source_identity_id, target_identity_id)
        except AwsError as err:
            if err.code == "ResourceNotFoundException":
                raise LookupError(err.message) from None
            raise ValueError(err.message) from None

    def delete_identity(self, identity_id: str) -> None:
        """``DeleteIdentities`` for one identity; its logins then get a new one.

        Credentials already issued to it are refused from then on (``InvalidToken`` from S3,
        ``InvalidClientTokenId`` from STS): stricter than AWS, where they stay valid until
        they expire.
        """
        self.client("cognito-identity").delete_identities(IdentityIdsToDelete=[identity_id])

    def set_credentials_lifetime(self, seconds: int) -> None:
        """``DurationSeconds`` of credentials minted from now on."""
        _check_lifetime(seconds)
        self._strict.credentials_lifetime = int(seconds)

    # -- observing and breaking ----------------------------------------------
    def calls(self, operation: str) -> int:
        """Requests for ``operation`` (e.g. ``"GetId"``) that reached the server."""
        return self._faults.calls(operation)

    def reset_calls(self) -> None:
        """Set every call count back to zero."""
        self._faults.reset_calls()

    def fail_next(
        self,
        operation: str,
        *,
        code: str = "TooManyRequestsException",
        status: int = 400,
        message: str = "Rate exceeded",
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` ``operation`` requests with an AWS JSON error."""
        self._faults.fail_next(operation, code=code, status=status, message=message, times=times)

    def set_down(self, operation: str | None = None, down: bool = True) -> None:
        """Answer ``operation`` (all cognito-identity if None) with 503 + HTML while down."""
        self._faults.set_down(operation, down)

    def clear_faults(self) -> None:
        """Drop pending ``fail_next`` and ``idp_fail_next`` faults; bring everything back up."""
        self._faults.clear_faults()
        if self._idp is not None:
            self._idp.faults.clear_faults()

    # -- the IdP: the person's side ----------------------------------------------
    def approve_device_code(self, user_code: str, username: str = DEMO_USERNAME) -> None:
        """Approve a pending device request as ``username``, as on the ``/device`` page.

        Raises ``LookupError`` for an unknown, expired or already decided code
        (or an unknown user).
        """
        self.idp.decide_device_code(user_code, username, approve=True)

    def deny_device_code(self, user_code: str) -> None:
        """Deny a pending device request; ``LookupError`` as for :meth:`approve_device_code`."""
        self.idp.decide_device_code(user_code, None, approve=False)

    def sign_in_at(
        self,
        authorization_url: str,
        username: str = DEMO_USERNAME,
        password: str | None = None,
        *,
        deny: bool = False,
    ) -> str:
        """Act as the person in the browser: open ``authorization_url`` (``/authorize``
        or ``/oauth2/authorize``), sign in on its page (or click "Deny"), and return
        the URL the browser is then sent to — the client's ``redirect_uri`` with
        ``code``, ``state`` (and ``iss``), or with ``error`` — without following it.

        ``password`` defaults to the user's known password. Raises
        ``nbauth.sandbox.idp.SignInError`` when the IdP refuses without
        redirecting (unknown client, unregistered redirect URI, wrong password).
        """
        return self.idp.sign_in_at(authorization_url, username, password, deny=deny)

    def revoke_refresh_tokens(self, username: str) -> int:
        """Revoke all of ``username``'s IdP and managed-login tokens and end their
        browser sessions (an admin's global sign-out); returns refresh tokens revoked."""
        return self.idp.revoke_refresh_tokens(username)

    def set_token_lifetimes(
        self,
        *,
        access: int | None = None,
        id: int | None = None,
        refresh: int | None = None,
        device_code: int | None = None,
        device_interval: int | None = None,
    ) -> None:
        """Change IdP lifetimes (seconds) for tokens and device requests issued from now on."""
        self.idp.lifetimes.update(
            access_token=access,
            id_token=id,
            refresh_token=refresh,
            device_code=device_code,
            device_poll_interval=device_interval,
        )

    def reset_token_lifetimes(self) -> None:
        """Back to the lifetimes given to :func:`start`."""
        self.set_token_lifetimes(**self._initial_lifetimes)

    # -- the IdP: observing and breaking -----------------------------------------
    def idp_calls(self, endpoint: str) -> int:
        """Requests that reached an IdP endpoint: ``discovery``, ``jwks``, ``authorize``,
        ``token``, ``device_authorization``, ``device``, ``revoke``, ``userinfo``,
        ``logout``, ``oauth2/authorize``, ``oauth2/token``, ``oauth2/revoke``,
        ``oauth2/userInfo``. ``ValueError`` for other names."""
        return self.idp.faults.calls(endpoint)

    def reset_idp_calls(self) -> None:
        """Set every IdP call count back to zero."""
        self.idp.faults.reset_calls()

    def idp_fail_next(
        self,
        endpoint: str,
        *,
        status: int | None = None,
        body: str = "<html>oops</html>",
        content_type: str = "text/html",
        times: int = 1,
        oauth_error: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests to an IdP ``endpoint`` with a failure.

        By default HTTP 500 with an HTML body; ``body``/``content_type`` for
        anything else (``body="{not json", content_type="application/json"``);
        ``oauth_error="invalid_grant"`` for an OAuth JSON error (HTTP 400 unless
        ``status`` is given).
        """
        self.idp.faults.fail_next(
            endpoint,
            status=status,
            body=body,
            content_type=content_type,
            times=times,
            oauth_error=oauth_error,
        )

    # -- lifecycle -----------------------------------------------------------
    def stop(self) -> None:
        """Stop serving and release the port; idempotent."""
        with self._stop_lock:
            if self._stopped:
                return
            self._stopped = True
        try:
            if self._idp is not None:
                self._idp.stop()
            self._server.stop()
        finally:
            if self._registered:
                _unregister_live()
            with self._clients_lock:
                for client in self._clients.values():
                    client.close()
                self._clients.clear()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<nbauth.sandbox.Sandbox {self.aws_endpoint_url} idp={self.issuer} {state}>"


def _check_lifetime(seconds: int) -> None:
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 1 <= seconds <= 43200:
        raise ValueError("credentials_lifetime must be an int between 1 and 43200 seconds")


def _register_live(endpoint_url: str) -> None:
    """Count a running sandbox; the first one resets moto's process-global state."""
    global _live_count
    with _live_lock:
        if _live_count == 0:
            request = urllib.request.Request(f"{endpoint_url}/moto-api/reset", method="POST")
            with urllib.request.urlopen(request, timeout=10):
                pass
        _live_count += 1


def _unregister_live() -> None:
    global _live_count
    with _live_lock:
        _live_count = max(0, _live_count - 1)


def start(
    *,
    region: str = "us-east-1",
    credentials_lifetime: int = 3600,
    allow_guest: bool = True,
    port: int = 0,
    access_token_lifetime: int = 3600,
    id_token_lifetime: int = 3600,
    refresh_token_lifetime: int = 30 * 86400,
    device_code_lifetime: int = 600,
    device_poll_interval: int = 5,
    idp_port: int = 0,
    triggers: Mapping[str, TriggerFn] | None = None,
    public_url: str | None = None,
) -> Sandbox:
    """Start a sandbox on ``http://127.0.0.1:<port>`` and its IdP on ``<idp_port>``
    (free ports by default).

    ``credentials_lifetime``: seconds until minted AWS credentials expire.
    ``allow_guest``: whether the identity pool gives unauthenticated identities.
    IdP lifetimes in seconds: ``access_token_lifetime``, ``id_token_lifetime``,
    ``refresh_token_lifetime``, ``device_code_lifetime``, and
    ``device_poll_interval`` (the device flow's ``interval``); change them later
    with :meth:`Sandbox.set_token_lifetimes`.
    ``triggers``: user-pool Lambda triggers, ``{"pre_authentication": fn, ...}``
    (see :meth:`Sandbox.set_trigger`).
    ``public_url``: where a person's browser opens the IdP's pages (device page, sign-in,
    sign-out), ``{port}`` standing for the IdP's port, e.g.
    ``"https://hub.example.com/user/ada/proxy/absolute/{port}/"``; by default, on Binder and
    JupyterHub (or with ``$NBAUTH_JUPYTER_URL``) with jupyter-server-proxy installed, through
    the Jupyter server, else the issuer (:mod:`nbauth.sandbox.idp.public_url`).
    """
    return Sandbox(
        region=region,
        credentials_lifetime=credentials_lifetime,
        allow_guest=allow_guest,
        port=port,
        access_token_lifetime=access_token_lifetime,
        id_token_lifetime=id_token_lifetime,
        refresh_token_lifetime=refresh_token_lifetime,
        device_code_lifetime=device_code_lifetime,
        device_poll_interval=device_poll_interval,
        idp_port=idp_port,
        triggers=triggers,
        public_url=public_url,
    )
