"""The logging filter nbauth installs: secrets never reach a log line or a logged traceback."""

from __future__ import annotations

import io
import logging

import pytest

from nbauth.core.log_redaction import install_redaction, redact, remember_secret

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGEiLCJleHAiOjF9.c2lnbmF0dXJlLWJ5dGVz"


@pytest.mark.parametrize(
    "line",
    [
        f"params: {{'Logins': {{'cognito-idp.x/y': '{JWT}'}}}}",
        'Response body: b\'{"Credentials":{"SecretKey":"abc/def+ghi","SessionToken":"FQo+x=="}}\'',
        "x-amz-security-token:FQoGZXIvYXdzEJr//////////wEaDAnotherToken",
        f"Adding token {JWT} to request.",
    ],
)
def test_known_shapes_are_redacted(line):
    cleaned = redact(line)
    for secret in (JWT, "abc/def+ghi", "FQo+x==", "FQoGZXIvYXdzEJr"):
        assert secret not in cleaned


def test_access_key_ids_keep_only_a_hint():
    assert redact("Credential=ASIAABCDEFGHIJKLMNOP/2026") == "Credential=****MNOP/2026"


@pytest.mark.parametrize("logger", ["botocore.parsers", "nbauth.oidc", "requests_oauthlib"])
def test_messages_and_tracebacks_of_filtered_loggers_are_redacted(logger):
    install_redaction()
    opaque = "opaque-refresh-token-0123456789"
    remember_secret(opaque)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    root = logging.getLogger()
    root.addHandler(handler)
    level = logging.getLogger(logger).level
    logging.getLogger(logger).setLevel(logging.DEBUG)
    try:
        try:
            raise ValueError(f"IdP said no to {opaque} and {JWT}")
        except ValueError:
            logging.getLogger(logger).exception("refresh with %s failed", opaque)
    finally:
        root.removeHandler(handler)
        logging.getLogger(logger).setLevel(level)
    text = buffer.getvalue()
    assert "ValueError" in text and "refresh with" in text
    assert opaque not in text and JWT not in text
