"""Bad input over the real wire: broken discovery, tampered redirects. Nothing is left behind."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from nbauth.errors import CallbackValidationError, DiscoveryError
from nbauth.oidc import discovery
from tests.support.amplify_config import with_oidc_provider


class BrokenIssuer:
    """An issuer on 127.0.0.1 whose discovery answer the test chooses."""

    def __init__(self) -> None:
        self.answer: tuple[int, str, str] = (200, "{}", "application/json")
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        Request(environ)
        status, body, kind = self.answer
        return Response(body, status=status, content_type=kind)(environ, start_response)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def broken_issuer() -> Iterator[BrokenIssuer]:
    issuer = BrokenIssuer()
    yield issuer
    issuer.close()
    discovery.forget(issuer.issuer)


@pytest.mark.parametrize(
    ("answer", "retryable", "says"),
    [
        ((500, "<html>down</html>", "text/html"), True, "HTTP 500"),
        ((200, "{not json", "application/json"), True, "not a JSON object"),
        ((200, json.dumps({"issuer": "ISSUER"}), "application/json"), False, "lacks"),
        (
            (
                200,
                json.dumps(
                    {"issuer": "https://elsewhere.example", "token_endpoint": "x", "jwks_uri": "y"}
                ),
                "application/json",
            ),
            False,
            "answered with issuer",
        ),
        (
            (
                200,
                json.dumps(
                    {
                        "issuer": "ISSUER",
                        "token_endpoint": "ISSUER/token",
                        "jwks_uri": "ISSUER/jwks",
                    }
                ),
                "application/json",
            ),
            False,
            "device_authorization_endpoint",
        ),
    ],
    ids=["5xx", "garbage", "missing-fields", "wrong-issuer", "no-device-endpoint"],
)
def test_broken_discovery_is_a_clear_error(sb, make_auth, broken_issuer, answer, retryable, says):
    status, body, kind = answer
    broken_issuer.answer = (status, body.replace("ISSUER", broken_issuer.issuer), kind)
    config = with_oidc_provider(sb.config, "broken", broken_issuer.issuer, "client")
    auth = make_auth(config=config)
    with pytest.raises(DiscoveryError) as err:
        auth.sign_in_with_device_code()
    assert says in err.value.message
    assert err.value.retryable is retryable
    assert err.value.recovery_suggestion
    assert auth.state == "signed_out"


def test_unreachable_discovery(sb, make_auth):
    config = with_oidc_provider(sb.config, "gone", "http://127.0.0.1:9", "client")
    with pytest.raises(DiscoveryError) as err:
        make_auth(config=config).sign_in_with_redirect(mode="paste")
    assert err.value.retryable


def _tamper(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_a_callback_from_another_issuer_ends_the_sign_in(oidc_provider, peer_auth):
    auth = peer_auth(oidc_provider)
    events: list[str] = []
    auth.hub.listen("auth", lambda c: events.append(c["payload"]["event"]))
    handle = auth.sign_in_with_redirect(mode="paste")
    redirect = oidc_provider.sign_in_at(handle.url)
    with pytest.raises(CallbackValidationError) as err:
        handle.complete(_tamper(redirect, iss="http://127.0.0.1:1"))
    assert err.value.name == "issuer_mismatch"
    assert handle.status == "failed" and auth.state == "signed_out"
    assert events == ["signInWithRedirect_failure"]


def test_a_callback_with_a_forged_state_is_refused_and_the_real_one_still_works(
    oidc_provider, peer_auth
):
    """state is checked before anything is marked done: a forged or stale URL (another tab,
    a mistyped paste) is refused and the sign-in keeps waiting for the genuine redirect."""
    auth = peer_auth(oidc_provider)
    events: list[str] = []
    auth.hub.listen("auth", lambda c: events.append(c["payload"]["event"]))
    handle = auth.sign_in_with_redirect(mode="paste")
    redirect = oidc_provider.sign_in_at(handle.url)
    with pytest.raises(CallbackValidationError) as err:
        handle.complete(_tamper(redirect, state="forged"))
    assert err.value.name == "state_mismatch"
    assert handle.status == "pending" and auth.state == "signed_out"
    assert events == []
    handle.complete(redirect)
    assert handle.status == "signed_in" and auth.state == "signed_in"


def test_cancel_while_polling(oidc_provider, peer_auth):
    from nbauth.errors import SignInCancelledError

    auth = peer_auth(oidc_provider)
    handle = auth.sign_in_with_device_code()
    handle.cancel()
    with pytest.raises(SignInCancelledError):
        handle.wait(timeout=10)
    oidc_provider.approve_device_code(handle.user_code)  # too late: nothing signs in
    assert handle.status == "cancelled" and auth.state == "signed_out"
