"""Drives Keycloak 26 (``org.keycloak:keycloak-quarkus-dist``) as a third, independent IdP.

``KeycloakPeer.start()`` runs Keycloak on 127.0.0.1 (a free port, a throw-away H2 file database
in a temporary directory, a random bootstrap admin password), waits until ``/realms/master``
answers, and ``setup_realm()`` creates the ``nbauth`` realm through the admin REST API (one
``POST /admin/realms`` carrying the clients and the user). ``approve_device_code`` and
``sign_in_at`` act as the person in the browser, with ``requests`` and Keycloak's own HTML
pages; ``set_user_enabled``, ``stop`` and ``restart`` act as the administrator.

The distribution is downloaded from Maven Central into ``$NBAUTH_KEYCLOAK_CACHE`` (default
``~/.cache/nbauth-keycloak``; ``.sha1`` checked), unpacked there once, and ``kc.sh build`` runs
once there, so that every start is ``kc.sh start --optimized``. ``.ci/run`` downloads first;
``python3 -m tests.peers.keycloak_peer`` prepares the cache by hand. Keycloak 26 needs Java 21+:
``$NBAUTH_KEYCLOAK_JAVA_HOME``, else the newest JDK >= 21 under /usr/lib/jvm, else ``java`` on
PATH if it is >= 21; with none, :class:`PeerError` (the tests fail, they do not skip).

Facts about Keycloak 26.7 worth knowing in tests (observed here; ``test_keycloak_flows.py``
pins them):

* start: ``kc.sh build`` ~25-45 s once; ``start --optimized`` on an empty database (schema and
  master realm created) ~35 s on 2 cores, a restart on the same database ~20 s; the production
  default ``cache=ispn`` clusters over JGroups (JDBC_PING through the database: a restarted node
  spends ~20 s trying to JOIN its dead predecessor, and it listens on ports 7800/57800), so
  starts pass ``--cache=local`` (a runtime option);
* the device authorization response has ``device_code``, ``user_code`` (``XXXX-XXXX``),
  ``verification_uri`` (``<issuer>/device``), ``verification_uri_complete``
  (``...?user_code=...``), ``expires_in`` (realm ``oauth2DeviceCodeLifespan``, 600 s) and
  ``interval`` (realm ``oauth2DevicePollingInterval``, 5 s by default; 1 s in this realm),
  and it is enforced: a poll sooner than ``interval`` after the previous one is ``slow_down``;
* a client with PKCE enforced (``pkce.code.challenge.method``) wants PKCE on the device
  authorization request too: without ``code_challenge`` it is ``invalid_request`` "Missing
  parameter: code_challenge_method" (RFC 8628 has no PKCE; nbauth sends none there);
* the device grant always shows a consent page (the code flow does not, for a client without
  ``consentRequired``); the device page's own form POSTs the code to ``/device``, which answers
  401 ``invalid_client`` without a login-session cookie, so the person here opens
  ``verification_uri_complete``; Keycloak's cookies are ``Secure`` even on http://127.0.0.1
  (browsers send them there, ``http.cookiejar`` does not: ``_Browser`` unmarks them);
* users in a realm import get no default roles: without ``offline_access`` the token request
  fails with the non-standard error ``not_allowed`` ("Offline tokens not allowed for the user
  or client"); users made through ``POST /users`` get them;
* ``sub`` is the user's UUID, not the username (``preferred_username``); access tokens are
  JWTs (RS256, claim ``typ: "Bearer"``, ``aud: "account"``, ``scope``, roles); ID tokens carry
  ``typ: "ID"``, ``azp``, ``sid``, ``at_hash``, ``name``/``email`` claims; refresh tokens are
  HS512 JWTs with ``typ: "Refresh"`` (``exp`` = SSO idle, ``refresh_expires_in`` 3600 here) or,
  with ``offline_access``, ``typ: "Offline"`` with no ``exp`` (``refresh_expires_in: 0``);
* every refresh answers a new ID token and (``revokeRefreshToken``) a new refresh token;
  reusing a rotated-out one is ``invalid_grant`` "Maximum allowed refresh token reuse
  exceeded" and, like oidc-provider, it kills the client's session: the newest refresh token
  then fails too ("Session doesn't have required client");
* a disabled user's refresh is ``invalid_grant`` "User disabled"; a revoked offline token's
  ``invalid_grant`` "Offline user session not found";
* the revocation endpoint (RFC 7009) takes a public client's ``client_id`` in the body and
  ends the token's session; an unknown token still gets 200 (with an ``invalid_token`` body);
* the authorization response carries ``iss`` (RFC 9207,
  ``authorization_response_iss_parameter_supported: true``) and ``session_state``; the redirect
  URI ``http://127.0.0.1/*`` matches ``http://127.0.0.1:<any port>/...`` (RFC 8252);
* ``offline_access`` is an optional client scope, granted when asked for in either flow (no
  ``prompt=consent`` needed, unlike oidc-provider); ``profile`` and ``email`` are default
  scopes, so asking for just ``openid`` is granted ``openid profile email`` with the name and
  email claims: a client narrows claims by removing default scopes, not by asking for less.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from urllib.parse import urlencode, urljoin

import requests

from tests.support.html_pages import Form, Page, describe

KEYCLOAK_VERSION = "26.7.5"
MAVEN_URL = (
    "https://repo1.maven.org/maven2/org/keycloak/keycloak-quarkus-dist/"
    f"{KEYCLOAK_VERSION}/keycloak-quarkus-dist-{KEYCLOAK_VERSION}.zip"
)
#: Build-time options; every start then uses ``--optimized``.
BUILD_OPTIONS = ("--db=dev-file",)
JAVA_OPTS = "-Xms64m -Xmx512m -XX:+UseSerialGC -XX:MaxMetaspaceSize=256m"
REALM = "nbauth"
JVM_ROOT = Path("/usr/lib/jvm")
_prepare_lock = threading.Lock()


class PeerError(RuntimeError):
    """Keycloak could not be prepared or started, or a page was not what a person expects."""


# -- the distribution ---------------------------------------------------------------------------
def cache_dir() -> Path:
    configured = os.environ.get("NBAUTH_KEYCLOAK_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "nbauth-keycloak"


def _sha1(path: Path) -> str:
    digest = hashlib.sha1()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(url: str, dest: Path) -> None:
    tmp = dest.with_name(dest.name + ".part")
    with urllib.request.urlopen(url, timeout=60) as response, tmp.open("wb") as out:
        shutil.copyfileobj(response, out, 1 << 20)
    tmp.replace(dest)


def download_zip(cache: Path | None = None) -> Path:
    """The distribution zip in the cache, downloaded from Maven Central and SHA-1 checked."""
    cache = cache or cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    zip_path = cache / f"keycloak-quarkus-dist-{KEYCLOAK_VERSION}.zip"
    sha_path = zip_path.with_name(zip_path.name + ".sha1")
    if not sha_path.is_file():
        _fetch(MAVEN_URL + ".sha1", sha_path)
    expected = sha_path.read_text().split()[0].strip().lower()
    if zip_path.is_file() and _sha1(zip_path) == expected:
        return zip_path
    _fetch(MAVEN_URL, zip_path)
    actual = _sha1(zip_path)
    if actual != expected:
        zip_path.unlink()
        raise PeerError(f"{MAVEN_URL}: SHA-1 {actual} is not Maven Central's {expected}")
    return zip_path


def find_java_home() -> Path:
    """A JDK >= 21 (Keycloak 26's minimum); :class:`PeerError` naming what to install if none."""
    configured = os.environ.get("NBAUTH_KEYCLOAK_JAVA_HOME")
    if configured:
        if _java_major(Path(configured) / "bin" / "java") < 21:
            raise PeerError(f"NBAUTH_KEYCLOAK_JAVA_HOME={configured} is not a Java 21+ JDK")
        return Path(configured)
    candidates = (
        sorted(p for p in JVM_ROOT.iterdir() if not p.is_symlink()) if JVM_ROOT.is_dir() else []
    )
    on_path = shutil.which("java")
    if on_path:
        candidates.append(Path(on_path).resolve().parent.parent)
    for home in candidates:
        if _java_major(home / "bin" / "java") >= 21:
            return home
    raise PeerError(
        "Keycloak 26 needs Java 21 or newer and none was found (set NBAUTH_KEYCLOAK_JAVA_HOME, "
        "or install one, e.g. apt-get install openjdk-21-jre-headless)"
    )


def _java_major(java: Path) -> int:
    try:
        out = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=30
        ).stderr
    except (OSError, subprocess.SubprocessError):
        return 0
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if match is None:
        return 0
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def prepare(cache: Path | None = None) -> tuple[Path, dict[str, float]]:
    """Keycloak's home, unpacked and built in the cache (once); and how long each step took."""
    cache = cache or cache_dir()
    timings: dict[str, float] = {}
    home = cache / f"keycloak-{KEYCLOAK_VERSION}"
    marker = home / ".nbauth-built"
    with _prepare_lock:
        if marker.is_file() and marker.read_text() == " ".join(BUILD_OPTIONS):
            return home, timings
        started = time.monotonic()
        zip_path = download_zip(cache)
        timings["download"] = time.monotonic() - started
        if not (home / "bin" / "kc.sh").is_file():
            started = time.monotonic()
            unpack = Path(tempfile.mkdtemp(prefix="unpack-", dir=cache))
            with zipfile.ZipFile(zip_path) as archive:
                archive.extractall(unpack)
            for script in (unpack / home.name / "bin").glob("*.sh"):
                script.chmod(0o755)
            shutil.rmtree(home, ignore_errors=True)
            (unpack / home.name).replace(home)
            shutil.rmtree(unpack, ignore_errors=True)
            timings["unpack"] = time.monotonic() - started
        started = time.monotonic()
        result = subprocess.run(
            [str(home / "bin" / "kc.sh"), "build", *BUILD_OPTIONS],
            env=_env(find_java_home()),
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            raise PeerError(f"kc.sh build failed:\n{(result.stdout + result.stderr)[-3000:]}")
        timings["build"] = time.monotonic() - started
        marker.write_text(" ".join(BUILD_OPTIONS))
    return home, timings


def _env(java_home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KC_", "KEYCLOAK_"))}
    env.update(JAVA_HOME=str(java_home), JAVA_OPTS=JAVA_OPTS, **extra)
    env["PATH"] = f"{java_home / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- counting requests to Keycloak --------------------------------------------------------------
class RequestCounter:
    """Counts HTTP requests to one origin made through any ``requests`` session (nbauth's
    transport included), by wrapping ``HTTPAdapter.send`` while active."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.paths: list[str] = []
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def counting(self) -> Iterator[RequestCounter]:
        original = requests.adapters.HTTPAdapter.send
        counter = self

        def send(adapter: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            if str(request.url).startswith(counter.origin):
                with counter._lock:
                    counter.paths.append(str(request.url)[len(counter.origin) :].split("?")[0])
            return original(adapter, request, *args, **kwargs)

        requests.adapters.HTTPAdapter.send = send  # type: ignore[method-assign,assignment]
        try:
            yield self
        finally:
            requests.adapters.HTTPAdapter.send = original  # type: ignore[method-assign]

    def __len__(self) -> int:
        return len(self.paths)

    def summary(self, *, skip: tuple[str, ...] = ("/login-actions/", "/device", "/auth")) -> str:
        """The client's requests by endpoint (``token x2, certs``), the person's pages left out."""
        names: dict[str, int] = {}
        for path in self.paths:
            if any(part in path and not path.endswith("/auth/device") for part in skip):
                continue
            name = path.rstrip("/").rsplit("/", 1)[-1]
            names[name] = names.get(name, 0) + 1
        return ", ".join(f"{k} x{v}" if v > 1 else k for k, v in names.items())


# -- the peer -----------------------------------------------------------------------------------
class KeycloakPeer:
    """A running Keycloak 26 on 127.0.0.1 with the ``nbauth`` realm, and a person and an
    administrator who use it."""

    #: Device grant and code flow; PKCE not enforced (nbauth sends S256 in the code flow anyway).
    client_id = "nbauth-native"
    #: The same with PKCE S256 enforced: Keycloak then wants PKCE on device requests too.
    pkce_client_id = "nbauth-pkce"
    #: The same client with 8-second access/ID tokens, for tests that wait for real expiry.
    short_client_id = "nbauth-short"
    #: JupyterHub's GenericOAuthenticator (``tests/hub``): confidential, code flow only. Its
    #: callback is registered without a port; Keycloak matches loopback redirects on any port.
    hub_client_id = "nbauth-hub"
    hub_redirect_uri = "http://127.0.0.1/hub/oauth_callback"
    username = "alice"
    redirect_uri = "http://127.0.0.1/callback"  # any port is accepted (registered as 127.0.0.1/*)
    access_token_lifespan = 60
    short_token_lifespan = 8
    device_polling_interval = 1

    def __init__(self, home: Path, java_home: Path, *, startup_timeout: float = 180.0) -> None:
        self.home = home
        self.java_home = java_home
        self.startup_timeout = startup_timeout
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.issuer = f"{self.origin}/realms/{REALM}"
        self.data_dir = Path(tempfile.mkdtemp(prefix="nbauth-keycloak-"))
        self.admin_password = secrets.token_urlsafe(18)
        self.password = secrets.token_urlsafe(12)
        self.hub_client_secret = secrets.token_urlsafe(24)
        self.start_times: list[float] = []
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._admin_token: tuple[str, float] | None = None
        self.users: dict[str, str] = {}  # username -> id
        #: How long preparing the cache took in this process (empty when it was ready).
        self.prepare_timings: dict[str, float] = {}

    # lifecycle ---------------------------------------------------------------------------------
    @classmethod
    def start(cls, *, cache: Path | None = None) -> KeycloakPeer:
        """Prepares the cache (download, unpack, build: once), starts, sets up the realm."""
        java_home = find_java_home()
        home, prepared = prepare(cache)
        peer = cls(home, java_home)
        peer.prepare_timings = prepared
        try:
            peer.launch()
            peer.setup_realm()
        except BaseException as exc:
            peer.stop(keep_data=True)
            log = peer.log_text()
            peer.cleanup()
            if isinstance(exc, PeerError):
                raise PeerError(f"{exc}\nKeycloak's log (tail):\n{log}") from None
            raise
        return peer

    def launch(self) -> float:
        """Starts the server on its port and data dir; returns seconds until it answered."""
        if self.running:
            raise PeerError("Keycloak is already running")
        if self._log is not None and not self._log.closed:
            self._log.close()  # the previous run's
        self._log = tempfile.TemporaryFile(prefix="keycloak-", suffix=".log")  # noqa: SIM115
        started = time.monotonic()
        db = f"jdbc:h2:file:{self.data_dir}/keycloakdb;NON_KEYWORDS=VALUE"
        self._process = subprocess.Popen(
            [
                str(self.home / "bin" / "kc.sh"),
                "start",
                "--optimized",
                "--http-enabled=true",
                "--hostname-strict=false",
                "--cache=local",
                "--http-host=127.0.0.1",
                f"--http-port={self.port}",
                f"--db-url={db}",
                f"-Dquarkus.transaction-manager.object-store.directory={self.data_dir}/tx",
            ],
            cwd=self.data_dir,
            env=_env(
                self.java_home,
                KC_BOOTSTRAP_ADMIN_USERNAME="admin",
                KC_BOOTSTRAP_ADMIN_PASSWORD=self.admin_password,
            ),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # one process group: kc.sh and its java
        )
        deadline = started + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise PeerError(f"Keycloak exited with code {self._process.returncode}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.origin}/realms/master", timeout=2).status_code == 200:
                    elapsed = time.monotonic() - started
                    self.start_times.append(elapsed)
                    return elapsed
            time.sleep(0.25)
        raise PeerError(f"Keycloak did not answer within {self.startup_timeout:.0f} s")

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self, *, keep_data: bool = True) -> None:
        """Stops the server (its whole process group; idempotent). The database stays unless
        ``keep_data`` is false."""
        process = self._process
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if process is not None:
            # java may outlive kc.sh for a moment: the group must be gone before a restart.
            for _ in range(80):
                try:
                    os.killpg(process.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.25)
            else:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
        self._admin_token = None
        if not keep_data:
            self.cleanup()

    def cleanup(self) -> None:
        shutil.rmtree(self.data_dir, ignore_errors=True)
        if self._log is not None and not self._log.closed:
            self._log.close()

    def close(self) -> None:
        self.stop(keep_data=False)

    def restart(self) -> float:
        """Starts a stopped server again (same port, same database): sessions survive."""
        self.stop()
        return self.launch()

    def log_text(self, tail: int = 4000) -> str:
        if self._log is None or self._log.closed:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-tail:]

    def __enter__(self) -> KeycloakPeer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"KeycloakPeer(issuer={self.issuer!r}, {'running' if self.running else 'stopped'})"

    @property
    def client_ids(self) -> list[str]:
        """Every client of the realm: an identity pool must trust them all at once (moto answers
        HTTP 500 when a client id is added to an existing IAM OIDC provider)."""
        return [self.client_id, self.pkce_client_id, self.short_client_id, self.hub_client_id]

    # endpoints ---------------------------------------------------------------------------------
    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/token"

    @property
    def revocation_endpoint(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/revoke"

    @property
    def device_page_url(self) -> str:
        return f"{self.issuer}/device"

    # the administrator -------------------------------------------------------------------------
    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One admin REST call (``path`` under ``/admin/realms``), with a master-realm token."""
        token = self._admin_token
        if token is None or token[1] < time.monotonic():
            response = requests.post(
                f"{self.origin}/realms/master/protocol/openid-connect/token",
                data={
                    "grant_type": "password",
                    "client_id": "admin-cli",
                    "username": "admin",
                    "password": self.admin_password,
                },
                timeout=30,
            )
            if response.status_code != 200:
                raise PeerError(f"admin token: HTTP {response.status_code} {response.text[:300]}")
            body = response.json()
            token = (body["access_token"], time.monotonic() + body["expires_in"] - 10)
            self._admin_token = token
        response = requests.request(
            method,
            f"{self.origin}/admin/realms{path}",
            headers={"Authorization": f"Bearer {token[0]}"},
            timeout=30,
            **kwargs,
        )
        if response.status_code >= 400:
            raise PeerError(f"admin {method} {path}: HTTP {response.status_code} {response.text}")
        return response

    def realm_representation(self) -> dict[str, Any]:
        def client(client_id: str, **attributes: str) -> dict[str, Any]:
            return {
                "clientId": client_id,
                "publicClient": True,
                "standardFlowEnabled": True,
                "directAccessGrantsEnabled": False,
                "redirectUris": ["http://127.0.0.1/*"],
                "webOrigins": [],
                "attributes": {"oauth2.device.authorization.grant.enabled": "true", **attributes},
            }

        return {
            "realm": REALM,
            "enabled": True,
            "accessTokenLifespan": self.access_token_lifespan,
            "ssoSessionIdleTimeout": 3600,
            "ssoSessionMaxLifespan": 36000,
            "revokeRefreshToken": True,
            "refreshTokenMaxReuse": 0,
            "oauth2DevicePollingInterval": self.device_polling_interval,
            "clients": [
                client(self.client_id),
                client(self.pkce_client_id, **{"pkce.code.challenge.method": "S256"}),
                client(
                    self.short_client_id,
                    **{"access.token.lifespan": str(self.short_token_lifespan)},
                ),
                {
                    "clientId": self.hub_client_id,
                    "publicClient": False,
                    "clientAuthenticatorType": "client-secret",
                    "secret": self.hub_client_secret,
                    "standardFlowEnabled": True,
                    "directAccessGrantsEnabled": False,
                    "redirectUris": [self.hub_redirect_uri],
                    "webOrigins": [],
                },
            ],
            "users": [self.user_representation(self.username)],
        }

    def user_representation(self, username: str) -> dict[str, Any]:
        return {
            "username": username,
            "enabled": True,
            "email": f"{username}@example.com",
            "emailVerified": True,
            "firstName": username.capitalize(),
            "lastName": "Tester",
            # Users in a realm import get no default roles (offline_access among them).
            "realmRoles": [f"default-roles-{REALM}"],
            "credentials": [{"type": "password", "value": self.password, "temporary": False}],
        }

    def setup_realm(self) -> None:
        self.admin("POST", "", json=self.realm_representation())

    def create_user(self, username: str) -> str:
        """A new user (same password as the others) who can sign in at once; returns its id."""
        response = self.admin("POST", f"/{REALM}/users", json=self.user_representation(username))
        user_id = response.headers["Location"].rsplit("/", 1)[1]
        self.users[username] = user_id
        return user_id

    def user_id(self, username: str) -> str:
        if username not in self.users:
            found = self.admin(
                "GET", f"/{REALM}/users", params={"username": username, "exact": "true"}
            )
            self.users[username] = found.json()[0]["id"]
        return self.users[username]

    def set_user_enabled(self, username: str, enabled: bool) -> None:
        self.admin("PUT", f"/{REALM}/users/{self.user_id(username)}", json={"enabled": enabled})

    def user_sessions(self, username: str) -> list[dict[str, Any]]:
        return list(self.admin("GET", f"/{REALM}/users/{self.user_id(username)}/sessions").json())

    # the person in the browser -----------------------------------------------------------------
    def approve_device_code(self, user_code: str, username: str | None = None) -> int:
        """Opens the device page with ``user_code`` (as ``verification_uri_complete`` does),
        signs in and consents; returns the number of HTTP requests the person's browser made.

        (Typing the code into the page's own form POSTs it to ``/device``, which Keycloak
        answers 401 ``invalid_client`` unless a login session cookie is already there.)
        """
        browser = _Browser()
        response = browser.get(f"{self.device_page_url}?{urlencode({'user_code': user_code})}")
        result = self._act(browser, response, username)
        if isinstance(result, str) or "Device Login Successful" not in result.text:
            raise PeerError(f"device sign-in did not succeed: {describe(result)}")
        return browser.requests

    def sign_in_at(self, authorization_url: str, username: str | None = None) -> tuple[str, int]:
        """Signs in (and consents if asked) at ``authorization_url``; returns the redirect to
        the client, without requesting it, and the number of requests the browser made."""
        browser = _Browser()
        result = self._act(browser, browser.get(authorization_url), username)
        if isinstance(result, str):
            return result, browser.requests
        raise PeerError(f"no redirect back to the client: {result.describe()}")

    def _act(
        self, browser: _Browser, response: requests.Response, username: str | None
    ) -> Page | str:
        """Follows redirects and fills login and consent forms until nobody is asked."""
        for _ in range(10):
            result = browser.follow(response, self.origin)
            if isinstance(result, str):
                return result
            if (form := result.form_with("password")) is not None:
                values = {"username": username or self.username, "password": self.password}
                pressed = "login" if "login" in form.buttons else None
            elif (form := result.form_with("accept")) is not None:
                values, pressed = {}, "accept"
            else:
                return result
            response = browser.submit(result, form, values, pressed)
        raise PeerError("Keycloak kept asking for interactions")


class _Browser:
    """A ``requests`` session that counts its requests and never follows redirects by itself."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.requests = 0

    def get(self, url: str) -> requests.Response:
        self.requests += 1
        return self._loopback_is_secure(self.session.get(url, allow_redirects=False, timeout=30))

    def _loopback_is_secure(self, response: requests.Response) -> requests.Response:
        """Keycloak marks its cookies ``Secure``; browsers send those to http://127.0.0.1 (a
        secure context), ``http.cookiejar`` does not - so they are unmarked here."""
        for cookie in self.session.cookies:
            cookie.secure = False
        return response

    @staticmethod
    def page(response: requests.Response) -> Page:
        return Page.of(response)

    def submit(
        self, page: Page, form: Form, values: Mapping[str, str], pressed: str | None = None
    ) -> requests.Response:
        data = {**form.fields, **values}
        if pressed is not None:
            data[pressed] = form.buttons.get(pressed, "")
        elif form.buttons:  # the first submit button, as pressing Enter would
            name, value = next(iter(form.buttons.items()))
            data[name] = value
        self.requests += 1
        return self._loopback_is_secure(
            self.session.post(
                urljoin(page.url, form.action), data=data, allow_redirects=False, timeout=30
            )
        )

    def follow(self, response: requests.Response, origin: str) -> Page | str:
        """Follows redirects within Keycloak: the page reached, or the first URL elsewhere."""
        for _ in range(20):
            if not response.is_redirect:
                return Page.of(response)
            location = urljoin(response.url, response.headers["Location"])
            if not location.startswith(origin + "/"):
                return location
            response = self.get(location)
        raise PeerError(f"too many redirects, last at {response.url}")


def main() -> None:
    """``python3 -m tests.peers.keycloak_peer``: download, unpack and build into the cache."""
    started = time.monotonic()
    home, timings = prepare()
    java = find_java_home()
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()) or "already prepared"
    total = time.monotonic() - started
    print(f"Keycloak {KEYCLOAK_VERSION} at {home} (java {java}): {steps}; {total:.1f} s")


if __name__ == "__main__":
    main()
