"""Drives panva's oidc-provider 9 (``oidc_provider/server.mjs``) as a second, independent IdP.

``OidcProviderPeer.start()`` runs the node server on 127.0.0.1 and waits for its ready line;
``approve_device_code``, ``deny_device_code``, ``sign_in_at`` and ``deny_at`` act as the person
in the browser, with ``requests`` and the provider's built-in development login/consent pages
(any login name, any password; the ``sub`` is the login name).

Facts about this provider worth knowing in tests (oidc-provider 9.13):

* the device authorization response has no ``interval``: clients poll every 5 s (RFC 8628);
* ``offline_access`` is kept in the code flow only with ``prompt=consent``; the device flow
  keeps it without, and both then issue refresh tokens;
* refresh tokens rotate on every use, and reusing a rotated one revokes the whole grant;
  revoking an access token (RFC 7009) revokes the grant's refresh tokens too;
* the token endpoint and introspection treat expiry strictly; userinfo still accepts an access
  token up to ``clockTolerance`` (15 s) after its ``exp``;
* token errors: ``authorization_pending``, ``access_denied``, ``expired_token``, and
  ``invalid_grant`` ("grant request is invalid") for every bad code or refresh token;
* the authorization response carries ``iss`` (RFC 9207); only PKCE S256 is supported, and the
  server requires it;
* ID tokens carry ``email``/``name``/``preferred_username`` when those scopes are granted.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import IO
from urllib.parse import urljoin

import requests

from tests.support.html_pages import Form, Page, describe

SERVER_DIR = Path(__file__).resolve().parent / "oidc_provider"
INSTALL_HINT = "run npm ci --prefix tests/peers/oidc_provider"
_install_lock = threading.Lock()


def _npm_ci() -> None:
    """Install the peer's locked dependencies (first run on a fresh machine)."""
    npm = shutil.which("npm")
    if npm is None:
        raise PeerError(f"npm is not on PATH; install Node.js (>= 20), then {INSTALL_HINT}")
    with _install_lock:
        if (SERVER_DIR / "node_modules" / "oidc-provider").is_dir():
            return
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=SERVER_DIR,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            raise PeerError(
                f"npm ci failed in {SERVER_DIR} ({INSTALL_HINT} by hand to see why):\n"
                f"{result.stderr[-2000:]}"
            )


class PeerError(RuntimeError):
    """The peer could not start, or a page in the browser flow was not what a person expects."""


# -- the peer -----------------------------------------------------------------------------------
class OidcProviderPeer:
    """A running oidc-provider 9 on 127.0.0.1, and a person who can use its pages."""

    client_id = "nbauth-native"
    confidential_client_id = "nbauth-confidential"
    confidential_client_secret = "nbauth-confidential-secret"
    redirect_uri = "http://127.0.0.1/callback"  # any port is accepted (native client)
    password = "any-password"  # the development login accepts any

    def __init__(
        self,
        process: subprocess.Popen[str],
        issuer: str,
        port: int,
        log: IO[str],
        ttls: dict[str, int],
    ) -> None:
        self._process = process
        self._log = log
        self.issuer = issuer
        self.port = port
        self.ttls = ttls

    # lifecycle ---------------------------------------------------------------------------------
    @classmethod
    def start(
        cls,
        *,
        access_token_ttl: int = 3600,
        id_token_ttl: int = 3600,
        refresh_token_ttl: int = 86400,
        device_code_ttl: int = 600,
        startup_timeout: float = 30.0,
    ) -> OidcProviderPeer:
        node = shutil.which("node")
        if node is None:
            raise PeerError(f"node is not on PATH; install Node.js (>= 20), then {INSTALL_HINT}")
        if not (SERVER_DIR / "node_modules" / "oidc-provider").is_dir():
            _npm_ci()
        ttls = {
            "ACCESS_TOKEN_TTL": access_token_ttl,
            "ID_TOKEN_TTL": id_token_ttl,
            "REFRESH_TOKEN_TTL": refresh_token_ttl,
            "DEVICE_CODE_TTL": device_code_ttl,
        }
        env = {**os.environ, **{k: str(v) for k, v in ttls.items()}, "NODE_ENV": "test"}
        env.pop("PORT", None)
        # The server's stderr; it lives as long as the peer (shown when the start fails).
        log = tempfile.TemporaryFile("w+", prefix="oidc-provider-", suffix=".log")  # noqa: SIM115
        process = subprocess.Popen(
            [node, "server.mjs", "0", "--exit-with-stdin"],
            cwd=SERVER_DIR,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        stdout = process.stdout
        assert stdout is not None
        threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
        try:
            line = lines.get(timeout=startup_timeout)
            ready = json.loads(line)
            issuer, port = ready["issuer"], int(ready["port"])
        except (queue.Empty, ValueError, KeyError, TypeError) as exc:
            failed = cls(process, "", 0, log, ttls)
            failed.stop(keep_log=True)
            output = failed.log_text()
            log.close()
            raise PeerError(
                f"oidc-provider did not report ready within {startup_timeout:.0f} s "
                f"(exit code {process.returncode}); its log:\n{output}"
            ) from exc
        return cls(process, issuer, port, log, ttls)

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    def stop(self, *, keep_log: bool = False) -> None:
        """Stops the server (idempotent)."""
        if self._process.poll() is None:
            if self._process.stdin is not None:
                self._process.stdin.close()
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        if not keep_log and not self._log.closed:
            self._log.close()

    def log_text(self) -> str:
        """What the server wrote on stderr (its warnings and errors)."""
        if self._log.closed:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read()

    def __enter__(self) -> OidcProviderPeer:
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
        return f"OidcProviderPeer(issuer={self.issuer!r}, {state})"

    # endpoints ---------------------------------------------------------------------------------
    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def device_page_url(self) -> str:
        return f"{self.issuer}/device"

    # the person in the browser -----------------------------------------------------------------
    def approve_device_code(self, user_code: str, username: str = "alice") -> None:
        """Enters ``user_code`` on the device page, confirms, signs in and consents."""
        browser = requests.Session()
        confirm = self._device_confirm_form(browser, user_code)
        result = self._act(browser, self._submit(browser, confirm, {}), username)
        if isinstance(result, str) or "Sign-in Success" not in result.title:
            raise PeerError(f"device sign-in did not succeed: {describe(result)}")

    def deny_device_code(self, user_code: str) -> None:
        """Enters ``user_code`` and presses [ Abort ]: the device then gets ``access_denied``."""
        browser = requests.Session()
        confirm = self._device_confirm_form(browser, user_code)
        page = Page.of(self._submit(browser, confirm, {"abort": "yes"}))
        if "interrupted" not in page.text:
            raise PeerError(f"device code was not aborted: {page.describe()}")

    def sign_in_at(self, authorization_url: str, username: str = "alice") -> str:
        """Signs in and consents; returns the redirect to the client, without requesting it."""
        browser = requests.Session()
        response = browser.get(authorization_url, allow_redirects=False, timeout=10)
        result = self._act(browser, response, username)
        if isinstance(result, str):
            return result
        raise PeerError(f"no redirect back to the client: {result.describe()}")

    def deny_at(self, authorization_url: str) -> str:
        """Presses [ Cancel ] on the login page; returns the redirect (``error=access_denied``)."""
        browser = requests.Session()
        result = self._follow(
            browser, browser.get(authorization_url, allow_redirects=False, timeout=10)
        )
        if isinstance(result, str):
            return result
        abort = next((link for link in result.links if link.endswith("/abort")), None)
        if abort is None:
            raise PeerError(f"no [ Cancel ] link: {result.describe()}")
        result = self._follow(
            browser, browser.get(urljoin(result.url, abort), allow_redirects=False, timeout=10)
        )
        if isinstance(result, str):
            return result
        raise PeerError(f"no redirect back to the client: {result.describe()}")

    # helpers -----------------------------------------------------------------------------------
    def _device_confirm_form(self, browser: requests.Session, user_code: str) -> tuple[str, Form]:
        page = Page.of(browser.get(self.device_page_url, timeout=10))
        entry = page.form(id="op.deviceInputForm")
        if entry is None:
            raise PeerError(f"no user-code form on the device page: {page.describe()}")
        page = Page.of(self._submit(browser, (page.url, entry), {"user_code": user_code}))
        confirm = page.form(id="op.deviceConfirmForm")
        if confirm is None:
            raise PeerError(f"user code {user_code!r} was not accepted: {page.describe()}")
        return page.url, confirm

    @staticmethod
    def _submit(
        browser: requests.Session, where: tuple[str, Form], values: dict[str, str]
    ) -> requests.Response:
        base, form = where
        if form.method != "post":
            raise PeerError(f"expected a POST form, got {form}")
        return browser.post(
            urljoin(base, form.action),
            data={**form.fields, **values},
            allow_redirects=False,
            timeout=10,
        )

    def _follow(self, browser: requests.Session, response: requests.Response) -> Page | str:
        """Follows the provider's redirects: the page reached, or the first URL off the issuer."""
        for _ in range(20):
            if not response.is_redirect:
                return Page.of(response)
            location = urljoin(response.url, response.headers["Location"])
            if not location.startswith(self.issuer + "/"):
                return location
            response = browser.get(location, allow_redirects=False, timeout=10)
        raise PeerError(f"too many redirects, last at {response.url}")

    def _act(
        self, browser: requests.Session, response: requests.Response, username: str
    ) -> Page | str:
        """Follows redirects and fills the login and consent forms until nobody is asked."""
        for _ in range(10):
            result = self._follow(browser, response)
            if isinstance(result, str):
                return result
            if (form := result.form(prompt="login")) is not None:
                values = {"login": username, "password": self.password}
            elif (form := result.form(prompt="consent")) is not None:
                values = {}
            else:
                return result
            response = self._submit(browser, (result.url, form), values)
        raise PeerError("the provider kept asking for interactions")
