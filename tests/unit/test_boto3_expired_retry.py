"""A client from nbauth's boto3 session refreshes once when AWS says the credentials expired.

A tiny S3-shaped server on 127.0.0.1 answers ``ExpiredToken`` to requests signed with the old
access key and lists the bucket for the new one; the refresh is counted.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from nbauth.aws.boto3_credentials import LiveCredentials, make_boto3_session
from nbauth.core.values import AWSCredentials

EXPIRED = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>ExpiredToken</Code>'
    b"<Message>The provided token has expired.</Message></Error>"
)
LISTING = (
    b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><KeyCount>0</KeyCount>'
    b"<IsTruncated>false</IsTruncated></ListBucketResult>"
)


class Server:
    def __init__(self) -> None:
        self.accepted: set[str] = set()
        self.seen: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                auth = self.headers.get("Authorization", "")
                key = auth.split("Credential=")[1].split("/")[0] if "Credential=" in auth else ""
                server.seen.append(key)
                ok = key in server.accepted
                body = LISTING if ok else EXPIRED
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_HEAD(self) -> None:  # S3 answers a HEAD error without a body
                auth = self.headers.get("Authorization", "")
                key = auth.split("Credential=")[1].split("/")[0] if "Credential=" in auth else ""
                server.seen.append(key)
                self.send_response(200 if key in server.accepted else 400)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.httpd.shutdown()


class Engine:
    """Old credentials until refreshed; counts refreshes."""

    def __init__(self, new_key: str | None = "NEWKEY") -> None:
        self.current = AWSCredentials("OLDKEY", "secret", "token", 4_000_000_000.0)
        self.new_key = new_key
        self.refreshes = 0

    def get(self) -> AWSCredentials:
        return self.current

    def refresh(self) -> AWSCredentials:
        self.refreshes += 1
        if self.new_key is not None:
            self.current = AWSCredentials(self.new_key, "secret2", "token2", 4_000_000_000.0)
        return self.current


def s3_client(engine: Engine, url: str, refresh: bool = True) -> Any:
    live = LiveCredentials(engine.get, refresh=engine.refresh if refresh else None)
    session = make_boto3_session(live, "us-east-1")
    config = Config(
        retries={"mode": "standard", "total_max_attempts": 3}, s3={"addressing_style": "path"}
    )
    return session.client("s3", endpoint_url=url, config=config)


def test_expired_token_refreshes_once_and_the_call_succeeds(server: Server) -> None:
    server.accepted = {"NEWKEY"}
    engine = Engine()
    s3 = s3_client(engine, server.url)
    assert s3.list_objects_v2(Bucket="b")["KeyCount"] == 0
    assert engine.refreshes == 1 and server.seen == ["OLDKEY", "NEWKEY"]
    s3.list_objects_v2(Bucket="b")  # the refreshed credentials serve on
    assert engine.refreshes == 1 and server.seen[-1] == "NEWKEY"


def test_a_refresh_that_does_not_help_surfaces_aws_error_after_one_retry(server: Server) -> None:
    server.accepted = set()  # the service keeps refusing
    engine = Engine()
    s3 = s3_client(engine, server.url)
    with pytest.raises(ClientError) as err:
        s3.list_objects_v2(Bucket="b")
    assert err.value.response["Error"]["Code"] == "ExpiredToken"
    assert engine.refreshes == 1 and len(server.seen) == 2  # one refresh, one retry, no loop


def test_without_a_refresh_hook_the_error_is_aws_own(server: Server) -> None:
    engine = Engine()
    s3 = s3_client(engine, server.url, refresh=False)
    with pytest.raises(ClientError) as err:
        s3.list_objects_v2(Bucket="b")
    assert err.value.response["Error"]["Code"] == "ExpiredToken"
    assert engine.refreshes == 0 and server.seen == ["OLDKEY"]


def test_a_bodiless_head_refusal_refreshes_once_too(server: Server) -> None:
    server.accepted = {"NEWKEY"}
    engine = Engine()
    s3 = s3_client(engine, server.url)
    s3.head_bucket(Bucket="b")
    assert engine.refreshes == 1 and server.seen == ["OLDKEY", "NEWKEY"]
