"""[9] What the hardening of issue 11 costs: bounded HTTP and log redaction.

* **Bounded HTTP**: a GET of a small JSON document (a JWKS-sized answer) from a local server
  through nbauth's IdP session (``nbauth.oidc.transport.new_session``: total deadline, size
  cap, redirect checks) against a plain ``requests.Session`` in the same run, interleaved.
* **Redaction**: one DEBUG record of a botocore request (``AuthParameters`` with a password)
  made through the redacting record factory, against the plain ``logging.LogRecord`` — and a
  record of a logger outside the covered ones. With DEBUG off no record is made: it costs 0.

Run alone: ``python benchmarks/bench_hardening.py``.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
from harness import Row, format_ratio, measure_calls, measure_samples

from nbauth.core import log_redaction
from nbauth.oidc.transport import new_session

SECTION = "9 hardening costs: bounded HTTP, log redaction"

BODY = json.dumps(
    {"keys": [{"kty": "RSA", "kid": f"k{i}", "n": "x" * 342, "e": "AQAB"} for i in range(2)]}
).encode()
REQUEST = (
    "Making request for OperationModel(name=InitiateAuth) with params: {'url_path': '/', "
    "'method': 'POST', 'headers': {'X-Amz-Target': "
    "'AWSCognitoIdentityProviderService.InitiateAuth'}, 'body': "
    'b\'{"AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "demo", '
    '"PASSWORD": "S3cret-pw!"}, "ClientId": "abc"}\', \'url\': \'http://127.0.0.1:5000/\'}'
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 65536  # one write per answer (no Nagle / delayed-ACK stall on keep-alive)

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: Any) -> None:
        pass


def run(samples: int = 300) -> list[Row]:
    """Rows of section [9]."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/jwks"
    plain, bounded = requests.Session(), new_session()
    try:
        timed = measure_samples(
            {
                "plain": lambda: plain.get(url, timeout=30).content,
                "bounded": lambda: bounded.get(url).content,
            },
            samples,
        )
    finally:
        server.shutdown()
        server.server_close()
    (base, base_bodies), (ours, our_bodies) = timed["plain"], timed["bounded"]
    assert base_bodies[0] == our_bodies[0] == BODY
    log_redaction.install_redaction()
    factory = logging.getLogRecordFactory()
    record = ("botocore.endpoint", logging.DEBUG, __file__, 1, "%s", (REQUEST,), None)
    other = ("someone.else", logging.DEBUG, __file__, 1, "%s", (REQUEST,), None)
    records = measure_calls(
        {
            "plain": ("make(*args)", {"make": logging.LogRecord, "args": record}),
            "covered": ("make(*args)", {"make": factory, "args": record}),
            "other": ("make(*args)", {"make": factory, "args": other}),
        }
    )
    return [
        Row(SECTION, "GET 1 KB JSON, plain requests.Session [baseline]", base),
        Row(
            SECTION,
            "GET 1 KB JSON, nbauth bounded session",
            ours,
            ratio=format_ratio(ours.median_ns / base.median_ns) + " time",
        ),
        Row(SECTION, "DEBUG record, plain LogRecord [baseline]", records["plain"]),
        Row(
            SECTION,
            "DEBUG record of botocore, redacted",
            records["covered"],
            ratio=format_ratio(records["covered"].median_ns / records["plain"].median_ns) + " time",
        ),
        Row(
            SECTION,
            "DEBUG record of another logger",
            records["other"],
            ratio=format_ratio(records["other"].median_ns / records["plain"].median_ns) + " time",
        ),
    ]


if __name__ == "__main__":
    from harness import render_table

    print(render_table(run()))
