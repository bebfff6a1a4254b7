"""Authorization code + PKCE (RFC 7636) with RFC 9207 callback checks, in paste mode and through
the RFC 8252 loopback listener (a real socket on 127.0.0.1).

The client is a fake with real ``ProviderSpec``/``ProviderMetadata`` values and the real
``OIDCClient.oauth_session`` (so the authorization URL is Authlib's); its ``token_request``
records the code exchange instead of calling a token endpoint.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from nbauth.errors import (
    AccessDeniedError,
    AuthError,
    CallbackValidationError,
    ConfigurationError,
    DiscoveryError,
    InvalidGrantError,
    InvalidParameterError,
    SignInCancelledError,
    SignInTimeoutError,
)
from nbauth.oidc import redirect_receivers
from nbauth.oidc.authorization_code import RedirectSignIn, decode_custom_state, start_redirect
from nbauth.oidc.client import OIDCClient, ProviderSpec
from nbauth.oidc.discovery import ProviderMetadata
from nbauth.oidc.oauth_state import encode_state
from nbauth.oidc.redirect_receivers import register_redirect_receiver
from nbauth.oidc.rfc8252 import LoopbackReceiver
from nbauth.oidc.tokens import OIDCTokens
from nbauth.oidc.transport import oauth_error
from tests.support.fakes import FakeClock

ISSUER = "https://idp.example.com/realms/team"
CLIENT_ID = "nbauth-notebook"
CODE = "SplxlOBeZQQYbYS6WxSbIA"
WAIT = 5.0


def unsigned_jwt(**claims: Any) -> str:
    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'kid': 'k'})}.{part(claims)}.c2lnbmF0dXJl"


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class FakeClient:
    """An OIDCClient stand-in: real spec/metadata, real Authlib session, recorded exchanges."""

    oauth_session = OIDCClient.oauth_session

    def __init__(
        self,
        *,
        kind: str = "oidc",
        iss_supported: bool = True,
        scopes: tuple[str, ...] = ("openid", "offline_access", "email"),
        authorize_params: tuple[tuple[str, str], ...] = (),
        redirect_uris: tuple[str, ...] = (),
        authorization_endpoint: str | None = f"{ISSUER}/protocol/openid-connect/auth",
        exchange_error: BaseException | None = None,
    ) -> None:
        self.clock = FakeClock()
        self.spec = ProviderSpec(
            name="corp",
            issuer=ISSUER,
            client_id=CLIENT_ID,
            scopes=scopes,
            authorize_params=authorize_params,
            redirect_uris=redirect_uris,
            kind=kind,
        )
        self.metadata = ProviderMetadata(
            issuer=ISSUER,
            token_endpoint=f"{ISSUER}/protocol/openid-connect/token",
            jwks_uri=f"{ISSUER}/certs",
            authorization_endpoint=authorization_endpoint,
            code_challenge_methods_supported=("S256",),
            authorization_response_iss_parameter_supported=iss_supported,
        )
        self.exchange_error = exchange_error
        self.exchanges: list[dict[str, Any]] = []

    def token_request(self, what: str, grant: dict[str, str]) -> dict[str, Any]:
        url = self.metadata.token_endpoint
        self.exchanges.append({"what": what, "url": url, **grant})
        if self.exchange_error is not None:
            raise self.exchange_error
        exp = int(self.clock()) + 3600
        return {
            "access_token": unsigned_jwt(iss=ISSUER, sub="alice", exp=exp),
            "id_token": unsigned_jwt(iss=ISSUER, sub="alice", aud=CLIENT_ID, exp=exp),
            "refresh_token": "refresh-secret",
            "expires_in": 3600,
        }


class Recorder:
    """``on_tokens(tokens, nonce, custom_state)``."""

    def __init__(self) -> None:
        self.calls: list[tuple[OIDCTokens, str, str | None]] = []

    def __call__(self, tokens: OIDCTokens, nonce: str, custom_state: str | None) -> str:
        self.calls.append((tokens, nonce, custom_state))
        return "session-for-alice"


def start(
    client: FakeClient | None = None,
    *,
    mode: str = "paste",
    custom_state: str | None = None,
    timeout: float = 30.0,
    **kw: Any,
) -> tuple[RedirectSignIn, FakeClient, Recorder]:
    client = client or FakeClient()
    recorder = Recorder()
    handle = start_redirect(
        client,  # type: ignore[arg-type]
        scopes=None,
        custom_state=custom_state,
        mode=mode,
        on_tokens=recorder,
        timeout=timeout,
        **kw,
    )
    return handle, client, recorder


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def callback(handle: RedirectSignIn, **params: str | None) -> str:
    """The redirect URL the IdP would send the browser to (``None`` drops a parameter)."""
    sent = query(handle.url)
    values: dict[str, str | None] = {"code": CODE, "state": sent["state"], "iss": ISSUER}
    values.update(params)
    return f"{handle.redirect_uri}?{urlencode({k: v for k, v in values.items() if v is not None})}"


def rejected(handle: RedirectSignIn, url: str, cls: type[AuthError] = CallbackValidationError):
    with pytest.raises(cls) as info:
        handle.complete(url)
    error = info.value
    assert error.recovery_suggestion
    assert CODE not in str(error)
    return error


# -- state encoding --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "custom", ["/reports?tab=2", "", "über ✓ 日本語", "a-b-c", '{"json": [1, 2]}']
)
def test_custom_state_round_trips(custom: str) -> None:
    state = encode_state(custom)
    assert decode_custom_state(state) == custom
    assert re.fullmatch(r"[A-Za-z0-9_\-]+", state)


def test_state_without_custom_state_is_random_and_carries_nothing() -> None:
    states = {encode_state(None) for _ in range(20)}
    assert len(states) == 20
    for state in states:
        assert "-" not in state
        assert decode_custom_state(state) is None
        assert len(state) >= 32


def test_decode_custom_state_ignores_a_state_that_is_not_hex() -> None:
    assert decode_custom_state("random-nothex!") is None


# -- the authorization URL ---------------------------------------------------------------------


def test_the_authorization_url_carries_pkce_state_nonce_and_redirect_uri() -> None:
    handle, _, _ = start(custom_state="/reports")
    url = urlsplit(handle.url)
    params = query(handle.url)

    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{ISSUER}/protocol/openid-connect/auth"
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["scope"] == "openid offline_access email"
    assert params["code_challenge_method"] == "S256"
    assert re.fullmatch(r"[A-Za-z0-9_\-]{43}", params["code_challenge"])
    assert len(params["nonce"]) >= 22
    assert decode_custom_state(params["state"]) == "/reports"
    assert params["redirect_uri"] == handle.redirect_uri == "http://127.0.0.1/callback"
    assert params["prompt"] == "consent"
    assert handle.status == "pending"
    assert handle.mode == "paste"
    assert handle.custom_state == "/reports"


def test_each_sign_in_gets_its_own_state_nonce_and_challenge() -> None:
    first, second = query(start()[0].url), query(start()[0].url)
    for name in ("state", "nonce", "code_challenge"):
        assert first[name] != second[name]


def test_offline_access_asks_for_consent_only_for_generic_oidc_providers() -> None:
    assert "prompt" not in query(start(FakeClient(kind="cognito"))[0].url)
    assert "prompt" not in query(start(FakeClient(scopes=("openid", "email")))[0].url)


def test_a_configured_prompt_wins_over_the_consent_default() -> None:
    client = FakeClient(authorize_params=(("prompt", "login"),))
    assert query(start(client)[0].url)["prompt"] == "login"


def test_authorize_params_and_extra_params_reach_the_url() -> None:
    client = FakeClient(kind="cognito", authorize_params=(("identity_provider", "Google"),))
    handle, _, _ = start(client, extra_params={"login_hint": "alice@example.com"})
    params = query(handle.url)
    assert params["identity_provider"] == "Google"
    assert params["login_hint"] == "alice@example.com"


def test_a_registered_loopback_redirect_uri_is_used_in_paste_mode() -> None:
    client = FakeClient(redirect_uris=("https://app.example.com/cb", "http://127.0.0.1:8765/cb"))
    handle, _, _ = start(client)
    assert handle.redirect_uri == "http://127.0.0.1:8765/cb"
    assert query(handle.url)["redirect_uri"] == "http://127.0.0.1:8765/cb"


@pytest.mark.parametrize("mode", ["popup", "", "LOOPBACK", None])
def test_an_unknown_mode_is_an_invalid_parameter(mode: Any) -> None:
    with pytest.raises(InvalidParameterError) as info:
        start(mode=mode)
    assert info.value.recovery_suggestion


def test_jupyter_mode_without_the_server_extension_is_an_invalid_parameter(monkeypatch) -> None:
    monkeypatch.delenv("NBAUTH_JUPYTER_CALLBACK_DIR", raising=False)  # as in a JupyterLab terminal
    with pytest.raises(InvalidParameterError) as info:
        start(mode="jupyter")
    assert "paste" in info.value.recovery_suggestion


def test_an_unknown_mode_names_the_known_ones() -> None:
    with pytest.raises(InvalidParameterError) as info:
        start(mode="popup")
    assert info.value.message == "mode must be one of loopback, paste, jupyter, got 'popup'."


def test_without_its_entry_point_jupyter_mode_says_how_to_install_it(monkeypatch) -> None:
    monkeypatch.setattr(redirect_receivers, "_registered", {})  # nothing loaded yet either
    monkeypatch.setattr(redirect_receivers, "entry_points", lambda group: [])
    with pytest.raises(ConfigurationError) as info:
        start(mode="jupyter")
    assert "pip install" in info.value.recovery_suggestion
    assert "mode='paste'" in info.value.recovery_suggestion


class RelayReceiver:
    """A receiver of one's own: it delivers the redirect it is handed."""

    def __init__(self, redirect_uri: str, timeout: float) -> None:
        self.redirect_uri = redirect_uri
        self.timeout = timeout
        self.state: str | None = None
        self.deliver: Callable[[str], None] | None = None
        self.reports: list[tuple[str, str]] = []
        self.closed = 0

    def start(
        self, state: str, deliver: Callable[[str], None], on_timeout: Callable[[str], None]
    ) -> None:
        self.state, self.deliver = state, deliver

    def report(self, status: str, message: str) -> None:
        self.reports.append((status, message))

    def close(self) -> None:
        self.closed += 1


@pytest.fixture
def relay(monkeypatch) -> Iterator[list[RelayReceiver]]:
    made: list[RelayReceiver] = []

    def factory(
        *, redirect_uri: str | None, registered_uris: tuple[str, ...], timeout: float
    ) -> RelayReceiver:
        made.append(RelayReceiver(redirect_uri or "https://relay.example.com/cb", timeout))
        return made[-1]

    monkeypatch.setattr(redirect_receivers, "_registered", {})
    register_redirect_receiver("relay", factory)
    yield made


def test_a_registered_receiver_serves_its_mode(relay: list[RelayReceiver]) -> None:
    handle, _, recorder = start(mode="relay", custom_state="/r", timeout=12.0)
    (receiver,) = relay
    assert handle.receiver is receiver
    assert receiver.timeout == 12.0
    assert handle.redirect_uri == query(handle.url)["redirect_uri"] == receiver.redirect_uri
    assert receiver.state == query(handle.url)["state"]
    assert receiver.deliver is not None
    receiver.deliver(callback(handle))
    assert handle.wait(WAIT) == "session-for-alice"
    assert receiver.reports == [("signed_in", "You are signed in. Return to your notebook.")]
    assert recorder.calls[0][2] == "/r"
    assert "relay" in redirect_receivers.redirect_receiver_modes()


def test_a_forged_redirect_through_a_receiver_is_refused_and_the_sign_in_waits(
    relay: list[RelayReceiver],
) -> None:
    """Issue 11: ``state`` is checked before anything is marked done; the real redirect wins."""
    handle, client, _ = start(mode="relay")
    (receiver,) = relay
    assert receiver.deliver is not None
    with pytest.raises(CallbackValidationError) as info:
        receiver.deliver(callback(handle, state="forged"))
    assert info.value.name == "state_mismatch"
    assert handle.status == "pending" and not handle.done
    assert client.exchanges == [] and receiver.reports == []
    receiver.deliver(callback(handle))
    assert handle.wait(WAIT) == "session-for-alice"
    assert [status for status, _ in receiver.reports] == ["signed_in"]


def test_built_in_modes_cannot_be_replaced() -> None:
    with pytest.raises(InvalidParameterError):
        register_redirect_receiver("paste", redirect_receivers.paste_receiver)


def test_a_provider_without_an_authorization_endpoint_fails_at_start() -> None:
    with pytest.raises(DiscoveryError) as info:
        start(FakeClient(authorization_endpoint=None))
    assert "authorization_endpoint" in info.value.message


# -- complete(): the callback checks -----------------------------------------------------------


def test_the_right_callback_exchanges_the_code_with_the_verifier() -> None:
    handle, client, recorder = start(custom_state="/reports")
    sent = query(handle.url)

    assert handle.complete(callback(handle)) == "session-for-alice"

    assert handle.status == "signed_in"
    assert handle.result == "session-for-alice"
    ((tokens, nonce, custom_state),) = recorder.calls
    assert nonce == sent["nonce"]
    assert custom_state == "/reports"
    assert tokens.id_claims["sub"] == "alice"
    (exchange,) = client.exchanges
    assert exchange["url"] == f"{ISSUER}/protocol/openid-connect/token"
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["code"] == CODE
    assert "state" not in exchange  # RFC 6749 §4.1.3: the token request carries no state
    assert exchange["redirect_uri"] == handle.redirect_uri
    verifier = exchange["code_verifier"]
    assert 43 <= len(verifier) <= 128
    assert s256(verifier) == sent["code_challenge"]
    assert verifier not in handle.url
    assert verifier not in repr(handle)


def test_complete_after_the_end_returns_the_same_result_without_a_second_exchange() -> None:
    handle, client, _ = start()
    url = callback(handle)
    handle.complete(url)
    assert handle.complete(url) == "session-for-alice"
    assert len(client.exchanges) == 1


def test_surrounding_whitespace_in_a_pasted_url_is_ignored() -> None:
    handle, _, _ = start()
    assert handle.complete(f"  {callback(handle)}\n") == "session-for-alice"


def test_a_wrong_state_is_refused_before_any_exchange_and_the_user_may_paste_again() -> None:
    handle, client, recorder = start()
    error = rejected(handle, callback(handle, state="forged-state"))
    assert error.name == "state_mismatch"
    assert "still waiting" in error.message
    assert handle.status == "pending"  # issue 11: a wrong paste does not end the sign-in
    assert client.exchanges == []
    assert recorder.calls == []
    assert rejected(handle, callback(handle, state=None)).name == "state_mismatch"
    assert handle.complete(callback(handle)) == "session-for-alice"
    assert handle.status == "signed_in"


def test_a_missing_state_is_refused() -> None:
    handle, client, _ = start()
    assert rejected(handle, callback(handle, state=None)).name == "state_mismatch"
    assert client.exchanges == []


def test_a_response_from_another_issuer_is_refused() -> None:
    """RFC 9207: a mix-up attack answers with another provider's iss."""
    handle, client, _ = start()
    error = rejected(handle, callback(handle, iss="https://evil.example.com"))
    assert error.name == "issuer_mismatch"
    assert client.exchanges == []


def test_a_missing_iss_is_refused_when_the_provider_promises_it() -> None:
    handle, client, _ = start()
    assert rejected(handle, callback(handle, iss=None)).name == "issuer_missing"
    assert client.exchanges == []


def test_a_missing_iss_is_fine_when_the_provider_does_not_send_it() -> None:
    handle, _, _ = start(FakeClient(iss_supported=False))
    assert handle.complete(callback(handle, iss=None)) == "session-for-alice"


def test_access_denied_ends_the_flow_as_denied() -> None:
    handle, client, _ = start()
    url = callback(handle, code=None, error="access_denied", error_description="User said no")
    error = rejected(handle, url, AccessDeniedError)
    assert error.name == "access_denied"
    assert handle.status == "denied"
    assert client.exchanges == []
    with pytest.raises(AccessDeniedError):
        handle.wait(0)


def test_another_oauth_error_in_the_callback_fails_the_flow() -> None:
    handle, _, _ = start()
    url = callback(handle, code=None, error="invalid_scope")
    with pytest.raises(AuthError) as info:
        handle.complete(url)
    assert info.value.name == "invalid_scope"
    assert handle.status == "failed"


def test_a_callback_without_a_code_is_refused() -> None:
    handle, client, _ = start()
    assert rejected(handle, callback(handle, code=None)).name == "code_missing"
    assert client.exchanges == []


@pytest.mark.parametrize("pasted", ["hello", "", "SplxlOBeZQQYbYS6WxSbIA", None, 42])
def test_something_that_is_not_the_redirect_url_is_an_invalid_parameter(pasted: Any) -> None:
    handle, client, _ = start()
    with pytest.raises(InvalidParameterError) as info:
        handle.complete(pasted)
    assert info.value.recovery_suggestion
    assert handle.status == "pending"  # the user can paste again
    assert client.exchanges == []
    assert handle.complete(callback(handle)) == "session-for-alice"


def test_a_failed_code_exchange_fails_the_flow() -> None:
    refused = oauth_error("invalid_grant", "code already used", "Code exchange")
    handle, _, recorder = start(FakeClient(exchange_error=refused))
    with pytest.raises(InvalidGrantError):
        handle.complete(callback(handle))
    assert handle.status == "failed"
    assert recorder.calls == []


def test_cancel_then_complete_raises_cancelled() -> None:
    handle, client, _ = start()
    handle.cancel()
    with pytest.raises(SignInCancelledError):
        handle.complete(callback(handle))
    assert handle.status == "cancelled"
    assert client.exchanges == []


# -- loopback mode: a real listener on 127.0.0.1 ---------------------------------------------


@pytest.fixture
def loopback() -> Iterator[Callable[..., tuple[RedirectSignIn, FakeClient, Recorder]]]:
    handles: list[RedirectSignIn] = []

    def make(**kw: Any) -> tuple[RedirectSignIn, FakeClient, Recorder]:
        handle, client, recorder = start(mode="loopback", **kw)
        handles.append(handle)
        return handle, client, recorder

    yield make
    for handle in handles:
        handle.cancel()


def get(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def refuses_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except OSError:
        return True


def listener(handle: RedirectSignIn) -> LoopbackReceiver:
    receiver = handle.receiver
    assert isinstance(receiver, LoopbackReceiver)
    return receiver


def stopped(handle: RedirectSignIn, wait: float = WAIT) -> bool:
    return listener(handle).join(wait)


def test_the_loopback_listener_binds_127_0_0_1_on_a_random_port(loopback) -> None:
    handle, _, _ = loopback()
    assert listener(handle).address[0] == "127.0.0.1"
    port = listener(handle).port
    assert port > 0
    assert handle.redirect_uri == f"http://127.0.0.1:{port}/callback"
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/callback", handle.redirect_uri)
    assert query(handle.url)["redirect_uri"] == handle.redirect_uri


def test_the_loopback_callback_completes_the_flow_and_closes_the_listener(loopback) -> None:
    handle, client, recorder = loopback(custom_state="/nb")
    port = listener(handle).port
    path = urlsplit(callback(handle))
    status, page = get(port, f"{path.path}?{path.query}")

    assert status == 200
    assert "Signed in" in page
    assert CODE not in page
    assert handle.wait(WAIT) == "session-for-alice"
    assert handle.status == "signed_in"
    assert recorder.calls[0][2] == "/nb"
    assert client.exchanges[0]["redirect_uri"] == handle.redirect_uri
    assert stopped(handle)
    assert refuses_connections(port)


def test_other_paths_get_404_and_the_listener_keeps_waiting(loopback) -> None:
    handle, _, _ = loopback()
    port = listener(handle).port

    assert get(port, "/favicon.ico")[0] == 404
    assert get(port, "/")[0] == 404
    assert handle.status == "pending"
    assert not listener(handle).closed

    path = urlsplit(callback(handle))
    assert get(port, f"{path.path}?{path.query}")[0] == 200
    assert handle.wait(WAIT) == "session-for-alice"


def test_a_denied_loopback_callback_shows_a_failure_page(loopback) -> None:
    handle, _, _ = loopback()
    port = listener(handle).port
    path = urlsplit(callback(handle, code=None, error="access_denied"))
    status, page = get(port, f"{path.path}?{path.query}")
    assert status == 200
    assert "Sign-in failed" in page
    with pytest.raises(AccessDeniedError):
        handle.wait(WAIT)
    assert handle.status == "denied"
    assert stopped(handle)


def test_cancel_closes_the_listener(loopback) -> None:
    handle, _, _ = loopback()
    port = listener(handle).port
    handle.cancel()
    assert handle.status == "cancelled"
    assert stopped(handle)
    assert refuses_connections(port)
    with pytest.raises(SignInCancelledError):
        handle.wait(0)


def test_a_short_timeout_ends_the_flow_as_timed_out(loopback) -> None:
    handle, _, _ = loopback(timeout=0.3)
    port = listener(handle).port
    with pytest.raises(SignInTimeoutError) as info:
        handle.wait(WAIT)
    assert handle.status == "timed_out"
    assert info.value.recovery_suggestion
    assert stopped(handle)
    assert refuses_connections(port)


def test_an_idle_connection_does_not_stop_the_callback_from_arriving(loopback) -> None:
    """Browsers open speculative connections they never use; the listener must not hang on one
    (invariant 4: never a hang)."""
    handle, _, _ = loopback()
    port = listener(handle).port
    idle = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    try:
        path = urlsplit(callback(handle))
        results: list[Any] = []

        def send() -> None:
            try:
                results.append(get(port, f"{path.path}?{path.query}"))
            except OSError as exc:  # reset when the test tears the listener down
                results.append(exc)

        threading.Thread(target=send, daemon=True).start()
        outcome = handle.wait_done(WAIT)
        status = handle.status
    finally:
        idle.close()
    assert outcome, "the callback is stuck behind an idle connection"
    assert status == "signed_in"


def test_cancel_closes_the_listener_even_with_an_idle_connection_open(loopback) -> None:
    handle, _, _ = loopback()
    port = listener(handle).port
    idle = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    try:
        handle.cancel()
        closed = stopped(handle, wait=1.0)  # on top of the 2 s cancel() itself waits
    finally:
        idle.close()
    assert closed, "the listener thread is stuck reading an idle connection"


def test_a_loopback_redirect_uri_must_be_plain_http_on_loopback() -> None:
    for uri in ("https://app.example.com/cb", "https://127.0.0.1:8080/cb"):
        with pytest.raises(InvalidParameterError):
            start(mode="loopback", redirect_uri=uri)
