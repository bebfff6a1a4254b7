"""Every request nbauth makes has a total deadline and a size cap; POSTs follow no redirect.

A scripted HTTP server on 127.0.0.1 stalls, drips, floods, truncates and redirects; the IdP
session (``nbauth.oidc.transport.new_session``) and nbauth's botocore clients
(``nbauth.aws.bounded_send``) must end each call on time with a typed error.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from nbauth import errors
from nbauth.aws.bounded_send import bound_client
from nbauth.net.bounded_http import current_limits
from nbauth.oidc.transport import json_request, new_session
from tests.support.scripted_http import (
    Handler,
    ScriptedServer,
    drip,
    drip_headers,
    flood_chunked,
    gzip_bomb,
    json_answer,
    redirect,
    send_raw,
    stall,
    truncated,
)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    s = ScriptedServer()
    yield s
    s.close()


@pytest.fixture
def short_deadline(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setenv("NBAUTH_HTTP_DEADLINE_SECONDS", "1.5")
    return 1.5


def _timed(call: Callable[[], Any]) -> tuple[BaseException, float]:
    start = time.monotonic()
    with pytest.raises(errors.AuthError) as info:
        call()
    return info.value, time.monotonic() - start


def test_the_limits_default_to_30_s_and_1_mib_and_follow_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert (current_limits().total_seconds, current_limits().max_bytes) == (30.0, 1024 * 1024)
    monkeypatch.setenv("NBAUTH_HTTP_DEADLINE_SECONDS", "2.5")
    monkeypatch.setenv("NBAUTH_HTTP_MAX_BYTES", "100")
    assert (current_limits().total_seconds, current_limits().max_bytes) == (2.5, 100)
    monkeypatch.setenv("NBAUTH_HTTP_DEADLINE_SECONDS", "nan-sense")
    monkeypatch.setenv("NBAUTH_HTTP_MAX_BYTES", "-5")
    assert (current_limits().total_seconds, current_limits().max_bytes) == (30.0, 1024 * 1024)


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    "handler", [stall, drip, drip_headers], ids=["stall", "slow-drip", "dripping-headers"]
)
def test_a_stalled_or_dripping_idp_ends_at_the_total_deadline(
    server: ScriptedServer, short_deadline: float, handler: Handler
) -> None:
    server.routes["/.well-known/openid-configuration"] = handler
    error, took = _timed(
        lambda: json_request(
            new_session(), "GET", server.base + "/.well-known/openid-configuration", "discovery"
        )
    )
    assert isinstance(error, errors.DeadlineExceededError) and error.retryable
    assert took < short_deadline + 1.0, took


@pytest.mark.timeout(30)
@pytest.mark.parametrize("handler", [flood_chunked, gzip_bomb], ids=["64MB-chunked", "gzip-bomb"])
def test_an_oversized_answer_is_cut_at_the_size_cap(
    server: ScriptedServer, handler: Handler
) -> None:
    server.routes["/jwks"] = handler
    error, took = _timed(lambda: json_request(new_session(), "GET", server.base + "/jwks", "JWKS"))
    assert isinstance(error, errors.ResponseTooLargeError)
    assert took < 5


def test_an_announced_oversized_body_is_refused_before_reading(server: ScriptedServer) -> None:
    def announce(conn: socket.socket, body: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 67108864\r\n\r\n{")
        time.sleep(2)

    server.routes["/jwks"] = announce
    error, took = _timed(lambda: json_request(new_session(), "GET", server.base + "/jwks", "JWKS"))
    assert isinstance(error, errors.ResponseTooLargeError) and took < 1.5


def test_a_truncated_body_is_a_retryable_network_error(server: ScriptedServer) -> None:
    server.routes["/token"] = truncated
    error, _ = _timed(
        lambda: json_request(new_session(), "POST", server.base + "/token", "Token refresh")
    )
    assert isinstance(error, errors.NetworkError) and error.retryable


def test_a_307_from_the_token_endpoint_is_refused_and_the_secret_is_not_re_posted(
    server: ScriptedServer,
) -> None:
    other = ScriptedServer()
    try:
        server.routes["/token"] = redirect(other.base + "/steal")
        error, _ = _timed(
            lambda: json_request(
                new_session(),
                "POST",
                server.base + "/token",
                "Token refresh",
                data={"grant_type": "refresh_token", "refresh_token": "rt-secret"},
            )
        )
        assert isinstance(error, errors.RedirectRefusedError)
        assert "rt-secret" not in error.message
        time.sleep(0.2)
        assert other.seen == []  # the refresh token never reached the other origin
    finally:
        other.close()


def test_a_get_follows_a_redirect_to_a_secure_url_only(server: ScriptedServer) -> None:
    server.routes["/moved"] = json_answer({"keys": []})
    server.routes["/old"] = redirect(server.base + "/moved", "301 Moved Permanently")
    assert json_request(new_session(), "GET", server.base + "/old", "JWKS") == {"keys": []}
    server.routes["/old"] = redirect("http://idp.example.com/jwks", "302 Found")
    error, _ = _timed(lambda: json_request(new_session(), "GET", server.base + "/old", "JWKS"))
    assert isinstance(error, errors.InsecureEndpointError)


def _cognito_identity(server: ScriptedServer) -> Any:
    client = boto3.Session().client(
        "cognito-identity",
        region_name="us-east-1",
        endpoint_url=server.base,
        config=Config(
            signature_version=UNSIGNED, retries={"total_max_attempts": 1}, read_timeout=60
        ),
    )
    return bound_client(client)


@pytest.mark.timeout(20)
def test_a_dripping_cognito_endpoint_ends_at_the_deadline(
    server: ScriptedServer, short_deadline: float
) -> None:
    server.routes["/"] = drip
    client = _cognito_identity(server)
    error, took = _timed(lambda: client.get_id(IdentityPoolId="us-east-1:x"))
    assert isinstance(error, errors.DeadlineExceededError)
    assert took < short_deadline + 1.0


def test_cognito_answers_pass_through_the_bounded_transport(server: ScriptedServer) -> None:
    server.routes["/"] = json_answer({"IdentityId": "us-east-1:abc"})
    assert _cognito_identity(server).get_id(IdentityPoolId="us-east-1:x")["IdentityId"] == (
        "us-east-1:abc"
    )
    ((method, _, body),) = server.seen
    assert method == "POST" and b"IdentityPoolId" in body


def test_a_flooding_cognito_endpoint_is_cut_at_the_size_cap(server: ScriptedServer) -> None:
    server.routes["/"] = flood_chunked
    error, _ = _timed(lambda: _cognito_identity(server).get_id(IdentityPoolId="us-east-1:x"))
    assert isinstance(error, errors.ResponseTooLargeError)


def test_a_fully_read_answer_leaves_the_connection_in_the_pool() -> None:
    """Bounded reads keep keep-alive (and so TLS session) reuse: one connection, three calls."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    ports: list[int] = []

    class KeepAlive(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            ports.append(self.client_address[1])
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), KeepAlive)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        session = new_session()
        for _ in range(3):
            assert json_request(session, "GET", f"http://127.0.0.1:{httpd.server_port}/", "x") == {}
        assert len(ports) == 3 and len(set(ports)) == 1
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_cognito_200_that_is_not_json_is_a_retryable_service_error(
    server: ScriptedServer,
) -> None:
    """botocore parses an HTML 200 (a captive portal, a proxy's page) as an empty result, and
    nbauth then failed with a bare KeyError('IdentityId')."""

    def portal(conn: socket.socket, body: bytes) -> None:
        page = b"<html><body>Please log in to the Wi-Fi</body></html>"
        send_raw(
            conn, "200 OK", {"Content-Type": "text/html", "Content-Length": str(len(page))}, page
        )

    server.routes["/"] = portal
    error, _ = _timed(lambda: _cognito_identity(server).get_id(IdentityPoolId="us-east-1:x"))
    assert isinstance(error, errors.ServiceError) and error.retryable
    assert "not the service's JSON" in error.message
