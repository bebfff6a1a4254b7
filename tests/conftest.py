"""Shared fixtures: one sandbox for the whole run, unsigned clients, token mints, a test IdP.

Every test talks to the sandbox over real HTTP with boto3, the way nbauth (and a
browser running Amplify) would: ``cognito-identity`` calls are unsigned.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import moto.cognitoidp
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

import nbauth.sandbox as sandbox

NO_RETRIES = {"mode": "standard", "total_max_attempts": 1}
OIDC_CLIENT_ID = "nbauth-test-client"


@pytest.fixture(scope="session")
def sb() -> Iterator[Any]:
    """The shared sandbox. Tests restore what they change."""
    with sandbox.start() as running:
        yield running


@pytest.fixture(autouse=True)
def _restore_shared_sandbox(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "sb" in request.fixturenames:
        shared = request.getfixturevalue("sb")
        if shared.running:
            shared.clear_faults()
            shared.set_credentials_lifetime(3600)


def unsigned_client(service: str, endpoint_url: str, **config: Any) -> Any:
    """An unsigned boto3 client without retries (faults must be seen, not retried)."""
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries=NO_RETRIES, **config),
    )


@pytest.fixture(scope="session")
def identity(sb: Any) -> Any:
    """Unsigned cognito-identity client, as Amplify in a browser would use."""
    return unsigned_client("cognito-identity", sb.aws_endpoint_url, max_pool_connections=40)


@pytest.fixture(scope="session")
def admin(sb: Any) -> Any:
    """Signed cognito-identity client with the fake admin keys."""
    return sb.client("cognito-identity")


# -- user-pool tokens minted with moto's (public, well-known) signing key -----
@pytest.fixture(scope="session")
def moto_user_pool_key() -> RSAKey:
    path = Path(moto.cognitoidp.__file__).parent / "resources" / "jwks-private.json.gz"
    return RSAKey.import_key(json.loads(gzip.decompress(path.read_bytes())))


class UserPoolTokenMint:
    """Mints tokens that look like the sandbox user pool's, for negative cases."""

    def __init__(self, sb: Any, key: RSAKey) -> None:
        self._sb = sb
        self._key = key

    def __call__(
        self,
        *,
        sub: str | None = None,
        exp_in: int = 300,
        header: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload = {
            "iss": f"https://cognito-idp.{self._sb.region}.amazonaws.com/{self._sb.user_pool_id}",
            "aud": self._sb.user_pool_client_id,
            "token_use": "id",
            "sub": sub or str(uuid.uuid4()),
            "iat": now,
            "exp": now + exp_in,
        }
        payload.update(claims)
        return jwt.encode(header or {"alg": "RS256", "kid": "dummy"}, payload, self._key)


@pytest.fixture(scope="session")
def mint_user_pool_token(sb: Any, moto_user_pool_key: RSAKey) -> UserPoolTokenMint:
    return UserPoolTokenMint(sb, moto_user_pool_key)


# -- a tiny OpenID provider served from 127.0.0.1 ------------------------------
class OidcTestIssuer:
    """Discovery + JWKS on 127.0.0.1, keys that can rotate, and a token mint."""

    def __init__(self, path: str = "/realms/test") -> None:
        self.keys = [self._new_key()]
        self.jwks_fetches = 0
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}{path}"
        self._path = path
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="test-oidc-issuer", daemon=True
        )
        self._thread.start()

    @staticmethod
    def _new_key() -> RSAKey:
        return RSAKey.generate_key(
            2048, parameters={"kid": uuid.uuid4().hex[:12], "alg": "RS256", "use": "sig"}
        )

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path == f"{self._path}/.well-known/openid-configuration":
            body = {"issuer": self.issuer, "jwks_uri": f"{self.issuer}/jwks"}
        elif request.path == f"{self._path}/jwks":
            with self._lock:
                self.jwks_fetches += 1
                body = {"keys": [k.as_dict(private=False) for k in self.keys]}
        else:
            return Response("not found", status=404)(environ, start_response)
        return Response(json.dumps(body), mimetype="application/json")(environ, start_response)

    def rotate(self) -> RSAKey:
        """Publish a new signing key (the old one stays published)."""
        key = self._new_key()
        with self._lock:
            self.keys.insert(0, key)
        return key

    def token(
        self,
        *,
        sub: str = "bob",
        aud: Any = OIDC_CLIENT_ID,
        exp_in: int = 300,
        key: RSAKey | None = None,
        iss: str | None = None,
        **claims: Any,
    ) -> str:
        signing_key = key or self.keys[0]
        now = int(time.time())
        payload = {
            "iss": iss or self.issuer,
            "sub": sub,
            "aud": aud,
            "iat": now,
            "exp": now + exp_in,
            **claims,
        }
        return jwt.encode({"alg": "RS256", "kid": signing_key.kid}, payload, signing_key)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="session")
def oidc_issuer() -> Iterator[OidcTestIssuer]:
    issuer = OidcTestIssuer()
    yield issuer
    issuer.close()


@pytest.fixture(scope="session")
def oidc_key(sb: Any, oidc_issuer: OidcTestIssuer) -> str:
    """The test issuer, trusted by the shared sandbox; returns its Logins key."""
    return sb.add_oidc_provider(oidc_issuer.issuer, [OIDC_CLIENT_ID])


@pytest.fixture
def new_user(sb: Any) -> Callable[[], tuple[str, str]]:
    """Makes a fresh confirmed user; returns (username, id token)."""

    def make() -> tuple[str, str]:
        username = f"user-{uuid.uuid4().hex[:10]}"
        sb.create_user(username, "Passw0rd!-x", {"email": f"{username}@example.com"})
        return username, sb.id_token(username)

    return make


@pytest.fixture(scope="session")
def make_unsigned_client() -> Callable[..., Any]:
    """``make_unsigned_client(service, endpoint_url, **config)``."""
    return unsigned_client


# -- panva's oidc-provider 9 (node): a second, independent IdP -----------------
# See tests/peers/oidc_provider_peer.py; needs `npm ci --prefix tests/peers/oidc_provider`.
@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[Any]:
    """A running ``OidcProviderPeer`` with the default TTLs, shared by the whole run."""
    from tests.peers.oidc_provider_peer import OidcProviderPeer

    with OidcProviderPeer.start() as peer:
        yield peer


@pytest.fixture
def start_oidc_provider() -> Iterator[Callable[..., Any]]:
    """``start_oidc_provider(access_token_ttl=20, ...)``: a fresh peer, stopped after the test."""
    from tests.peers.oidc_provider_peer import OidcProviderPeer

    started: list[Any] = []

    def start(**ttls: int) -> Any:
        peer = OidcProviderPeer.start(**ttls)
        started.append(peer)
        return peer

    yield start
    for peer in started:
        peer.stop()


# -- the sandbox IdP (nbauth.sandbox.idp): an independent client for the tests ------
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class IdpTestClient:
    """The sandbox IdP seen from outside: Authlib's ``OAuth2Session`` + plain ``requests``.

    ``tokens()`` runs the whole code + PKCE flow (the person's part through
    ``sb.sign_in_at``) and returns the token response.
    """

    def __init__(self, sb: Any) -> None:
        import requests

        self.sb = sb
        self.issuer: str = sb.issuer
        self.http = requests.Session()

    def session(self, *, client_id: str | None = None, **kwargs: Any) -> Any:
        """An Authlib ``OAuth2Session`` for the IdP (public client with S256 by default)."""
        from authlib.integrations.requests_client import OAuth2Session

        kwargs.setdefault("redirect_uri", "http://127.0.0.1:8765/callback")
        kwargs.setdefault("scope", "openid offline_access email profile")
        kwargs.setdefault("code_challenge_method", "S256")
        if client_id is None or client_id == self.sb.oidc_client_id:
            kwargs.setdefault("token_endpoint_auth_method", "none")
        return OAuth2Session(client_id or self.sb.oidc_client_id, **kwargs)

    def authorization_url(self, client: Any, **params: Any) -> tuple[str, str, str]:
        """``(url, state, code_verifier)`` for ``/authorize`` (or ``endpoint=``)."""
        from authlib.common.security import generate_token

        endpoint = params.pop("endpoint", f"{self.issuer}/authorize")
        verifier = params.pop("code_verifier", generate_token(48))
        url, state = client.create_authorization_url(endpoint, code_verifier=verifier, **params)
        return url, state, verifier

    def tokens(
        self,
        *,
        scope: str = "openid offline_access email profile",
        username: str = "demo",
        nonce: str | None = None,
        client_id: str | None = None,
        **session_kwargs: Any,
    ) -> dict[str, Any]:
        """Sign in with code + PKCE; the token response."""
        client = self.session(client_id=client_id, scope=scope, **session_kwargs)
        params = {"nonce": nonce} if nonce else {}
        url, state, verifier = self.authorization_url(client, **params)
        redirect = self.sb.sign_in_at(url, username)
        token = client.fetch_token(
            f"{self.issuer}/token",
            authorization_response=redirect,
            code_verifier=verifier,
            state=state,
        )
        return dict(token)

    def token_request(self, path: str = "/token", **data: Any) -> Any:
        """POST form ``data`` to the token endpoint (``client_id`` defaults to the notebook's).

        No shared session: tests call this from several threads at once.
        """
        import requests

        data.setdefault("client_id", self.sb.oidc_client_id)
        return requests.post(f"{self.issuer}{path}", data=data, timeout=10)

    def refresh(self, refresh_token: str, path: str = "/token", **data: Any) -> Any:
        """A refresh request."""
        return self.token_request(
            path, grant_type="refresh_token", refresh_token=refresh_token, **data
        )

    def start_device(self, scope: str = "openid offline_access email profile") -> dict[str, Any]:
        """POST ``/device_authorization``; the response."""
        response = self.http.post(
            f"{self.issuer}/device_authorization",
            data={"client_id": self.sb.oidc_client_id, "scope": scope},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def poll(self, device_code: str) -> Any:
        """One device-code token request."""
        return self.token_request(grant_type=DEVICE_GRANT, device_code=device_code)

    def keys(self) -> Any:
        """The IdP's JWKS as a joserfc ``KeySet``."""
        from joserfc.jwk import KeySet

        return KeySet.import_key_set(self.http.get(f"{self.issuer}/jwks", timeout=10).json())


@pytest.fixture(scope="session")
def idp(sb: Any) -> IdpTestClient:
    """A test client for the shared sandbox's IdP."""
    return IdpTestClient(sb)


@pytest.fixture
def idp_lifetimes(sb: Any) -> Iterator[Any]:
    """The shared sandbox; its IdP lifetimes are restored after the test."""
    yield sb
    sb.reset_token_lifetimes()


# -- the strict user-pool layer (nbauth.sandbox.user_pool) ---------------------------
@pytest.fixture
def user_pool_sb(sb: Any) -> Iterator[Any]:
    """The shared sandbox; its user pool is reset after the test (triggers, MFA, clock,
    token lifetimes, sent messages)."""
    yield sb
    sb.reset_user_pool()


@pytest.fixture(scope="session")
def cognito_idp(sb: Any) -> Any:
    """Unsigned cognito-idp client, as Amplify in a browser would use."""
    return unsigned_client("cognito-idp", sb.aws_endpoint_url)


@pytest.fixture
def pool_user(sb: Any) -> Callable[..., tuple[str, str]]:
    """``pool_user(**attributes)``: a fresh confirmed user with an email; (username, password)."""

    def make(**attributes: str) -> tuple[str, str]:
        username = f"up-{uuid.uuid4().hex[:10]}"
        password = f"Pw-{uuid.uuid4().hex[:12]}!"
        sb.create_user(username, password, {"email": f"{username}@example.com", **attributes})
        return username, password

    return make
