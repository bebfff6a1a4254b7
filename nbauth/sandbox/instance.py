"""The running sandbox: one local endpoint for Cognito, IAM, STS and S3.

Request path: ``FaultInjector`` (counts, injected errors) →
``UserPoolDiscovery`` → ``StrictIdentityPool`` (Cognito Identity, strict) →
moto. Served by :class:`~nbauth.sandbox.server.LocalServer` on 127.0.0.1.

moto keeps its state in process-global backends. When a sandbox starts and no
other sandbox of this process is running, moto's state is reset, so a sandbox
starts fresh; sandboxes running side by side share moto's state (their
resources have distinct random names; the bucket is shared), while identities,
roles, call counts and faults are per sandbox.
"""

from __future__ import annotations

import threading
import urllib.request
from types import TracebackType
from typing import Any

from moto.server import DomainDispatcherApplication, create_backend_app

from . import moto_backends
from .aws_errors import AwsError
from .faults import FaultInjector
from .logins import logins_key_for_issuer
from .seed import (
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
from .strict_identity_pool import IDENTITY_JWKS_PATH, StrictIdentityPool
from .user_pool_discovery import UserPoolDiscovery

__all__ = ["Sandbox", "start"]

_live_lock = threading.Lock()
_live_count = 0
_UNUSED_THUMBPRINT = "0" * 40  # IAM wants one; the sandbox fetches keys itself


class Sandbox:
    """A running local "AWS half" for nbauth. Use :func:`start` to make one.

    Also a context manager: ``with nbauth.sandbox.start() as sb: ...`` stops it
    on exit.
    """

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        credentials_lifetime: int = 3600,
        allow_guest: bool = True,
        port: int = 0,
    ) -> None:
        _check_lifetime(credentials_lifetime)
        self.region = region
        self.demo_username = DEMO_USERNAME
        self.demo_password = DEMO_PASSWORD
        self.issuer: str | None = None  # the sandbox OpenID provider arrives in a later issue
        self._allow_guest = allow_guest
        self._passwords: dict[str, str] = {DEMO_USERNAME: DEMO_PASSWORD}
        self._clients: dict[tuple[str, bool], Any] = {}
        self._clients_lock = threading.Lock()
        self._stop_lock = threading.Lock()
        self._stopped = False

        self._strict = StrictIdentityPool(
            DomainDispatcherApplication(create_backend_app),
            credentials_lifetime=credentials_lifetime,
        )
        self._faults = FaultInjector(UserPoolDiscovery(self._strict))
        self._server = LocalServer(self._faults, port)
        self.aws_endpoint_url: str = self._server.url
        self._registered = False
        try:
            _register_live(self.aws_endpoint_url)
            self._registered = True
            self._resources: SeededResources = seed(self.client, region, allow_guest=allow_guest)
        except BaseException:
            self.stop()
            raise

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
        """The S3 bucket holding ``hello.txt`` and ``data/example.csv``."""
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
    def config(self) -> dict[str, Any]:
        """A fresh ``amplify_outputs.json`` dict (Amplify Gen 2 form + ``nbauth``)."""
        return {
            "version": "1.3",
            "auth": {
                "aws_region": self.region,
                "user_pool_id": self.user_pool_id,
                "user_pool_client_id": self.user_pool_client_id,
                "identity_pool_id": self.identity_pool_id,
                "unauthenticated_identities_enabled": self._allow_guest,
            },
            "storage": {"aws_region": self.region, "bucket_name": self.bucket},
            "nbauth": {
                "oidc_providers": {},
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
        self, username: str, password: str, attributes: dict[str, str] | None = None
    ) -> None:
        """Create a CONFIRMED user with a permanent password."""
        create_confirmed_user(
            self.client("cognito-idp"), self.user_pool_id, username, password, attributes
        )
        self._passwords[username] = password

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
        """``DeleteIdentities`` for one identity; its logins then get a new one."""
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
        """Drop pending ``fail_next`` faults and bring everything back up."""
        self._faults.clear_faults()

    # -- lifecycle -----------------------------------------------------------
    def stop(self) -> None:
        """Stop serving and release the port; idempotent."""
        with self._stop_lock:
            if self._stopped:
                return
            self._stopped = True
        try:
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
        return f"<nbauth.sandbox.Sandbox {self.aws_endpoint_url} {state}>"


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
) -> Sandbox:
    """Start a sandbox on ``http://127.0.0.1:<port>`` (a free port by default).

    ``credentials_lifetime``: seconds until minted AWS credentials expire.
    ``allow_guest``: whether the identity pool gives unauthenticated identities.
    """
    return Sandbox(
        region=region,
        credentials_lifetime=credentials_lifetime,
        allow_guest=allow_guest,
        port=port,
    )
