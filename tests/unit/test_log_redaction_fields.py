"""Secret fields are found, not listed (invariant 10): botocore's ``sensitive`` members and the
OAuth/OIDC names, case-insensitive, whole values, in every format a library logs; and the
record factory that applies it to every record of the covered loggers, children included."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import uuid

import pytest

from nbauth.core import sensitive_fields
from nbauth.core.log_redaction import install_redaction, redact
from nbauth.core.sensitive_fields import FALLBACK_NAMES, normalize, sensitive_names

PW = "Pa55-w0rd'\"!x"  # both quote characters: reprs escape one of them


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        # botocore's request params: JSON body inside a bytes repr, upper-case Cognito keys
        (
            'params: {\'body\': b\'{"AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": '
            '{"USERNAME": "ada", "PASSWORD": "hunter22"}, "ClientId": "c"}\'}',
            "hunter22",
        ),
        ('{"ChallengeResponses": {"USERNAME": "ada", "NEW_PASSWORD": "N3w-pass!"}}', "N3w-pass!"),
        ('Response body:\nb\'{"SecretCode":"JBSWY3DPEHPK3PXP","Session":"s"}\'', "JBSWY3DP"),
        ("{'TemporaryPassword': 'Tmp-abcdef', 'Username': 'x'}", "Tmp-abcdef"),
        ('b\'{"UserPoolClient": {"ClientSecret": "cs-1234567"}}\'', "cs-1234567"),
        # case-insensitive, separators ignored
        ('{"password": "lower-case-pw"}', "lower-case-pw"),
        ("{'Client_Secret': 'mixed-case-secret'}", "mixed-case-secret"),
        ("CLIENT-SECRET: dashed-secret", "dashed-secret"),
        # form bodies and query strings
        ("grant_type=refresh_token&refresh_token=opaque-rt-123&client_id=x", "opaque-rt-123"),
        ("code=auth-code-1&code_verifier=verif-abc&state=s", "auth-code-1"),
        ("code=auth-code-1&code_verifier=verif-abc&state=s", "verif-abc"),
        ('"GET /callback?code=abc-code-99&state=xyz HTTP/1.1" 200', "abc-code-99"),
        ("b'grant_type=urn%3Aietf&device_code=dev-code-77'", "dev-code-77"),
        ("client_assertion=eyJh.x.y&assertion=saml-blob-1", "saml-blob-1"),
        # headers
        ("Authorization: Bearer opaque-access-1", "opaque-access-1"),
        ("{'Authorization': 'Basic Y2xpZW50OnNlY3JldA=='}", "Y2xpZW50OnNlY3JldA=="),
        ("x-amz-security-token:FQoGZXIvYXdzEJr+/x==", "FQoGZXIvYXdzEJr"),
        # XML (STS, S3)
        ("<SecretAccessKey>wJalr/x+y</SecretAccessKey>", "wJalr/x+y"),
        # keyword reprs
        ("AuthTokens(password='kw-pw-1', x=1)", "kw-pw-1"),
        # JSON escaped inside a JSON string
        ('{"body": "{\\"client_secret\\": \\"esc-secret\\"}"}', "esc-secret"),
    ],
)
def test_secret_values_are_hidden(line: str, secret: str) -> None:
    cleaned = redact(line)
    assert secret not in cleaned
    assert "<redacted>" in cleaned


def test_whole_nested_values_are_redacted_and_the_rest_kept() -> None:
    line = str(
        {
            "AuthFlow": "USER_SRP_AUTH",
            "AuthParameters": {"USERNAME": "ada", "SRP_A": "abc123", "nested": {"PASSWORD": PW}},
            "AnalyticsMetadata": {"AnalyticsEndpointId": "keep-me"},
        }
    )
    cleaned = redact(line)
    assert "abc123" not in cleaned and "Pa55" not in cleaned
    assert "'AuthParameters': {<redacted>}" in cleaned
    assert "USER_SRP_AUTH" in cleaned and "keep-me" in cleaned


@pytest.mark.parametrize("value", [PW, PW.encode(), {"k": [PW, {"x": PW}]}, [PW]])
def test_any_repr_of_a_value_is_redacted(value: object) -> None:
    for line in (repr({"Password": value}), repr({"ChallengeResponses": {"NEW_PASSWORD": value}})):
        cleaned = redact(line)
        assert "Pa55" not in cleaned, cleaned


def test_an_unterminated_value_is_redacted_to_the_end() -> None:
    assert "tail" not in redact("{'PASSWORD': 'abc tail")


def test_fields_that_are_not_secret_are_kept() -> None:
    line = "{'AuthFlow': 'USER_SRP_AUTH', 'ChallengeName': 'SOFTWARE_TOKEN_MFA', 'state': 'st-1'}"
    assert redact(line) == line


def test_botocore_sensitive_members_are_found_in_the_models() -> None:
    names = sensitive_fields.botocore_sensitive_names()
    for expected in (
        "AuthParameters",
        "ChallengeResponses",
        "SecretCode",
        "ClientSecret",
        "TemporaryPassword",
        "Password",
        "ProposedPassword",
        "SecretKey",  # cognito-identity credentials
        "SecretAccessKey",  # sts credentials
        "SessionToken",
        "Session",
        "RefreshToken",
    ):
        assert expected in names, expected
    # the hand-written fallback (botocore absent) already covers these
    assert {normalize(n) for n in ("AuthParameters", "SecretCode", "ClientSecret")} <= (
        FALLBACK_NAMES
    )


def test_lists_and_maps_of_sensitive_shapes_count() -> None:
    model = {
        "shapes": {
            "Secret": {"type": "string", "sensitive": True},
            "Secrets": {"type": "list", "member": {"shape": "Secret"}},
            "SecretMap": {"type": "map", "key": {"shape": "K"}, "value": {"shape": "Secrets"}},
            "K": {"type": "string"},
            "Req": {
                "type": "structure",
                "members": {
                    "A": {"shape": "Secrets"},
                    "B": {"shape": "SecretMap", "locationName": "x-b"},
                    "C": {"shape": "K"},
                    "D": {"shape": "K", "sensitive": True},
                },
            },
        }
    }
    assert sensitive_fields.names_in_model(model) == {"A", "B", "x-b", "D"}


def test_the_names_in_use_include_botocore_once_it_is_loaded() -> None:
    import botocore.loaders  # noqa: F401  (loaded: the walk may happen)

    assert sensitive_fields.refresh_from_botocore()
    names = sensitive_names()
    for name in ("authparameters", "challengeresponses", "secretcode", "password", "newpassword"):
        assert name in names


def test_records_of_child_and_later_loggers_are_redacted() -> None:
    install_redaction()
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    new = f"botocore.brand_new_{uuid.uuid4().hex[:6]}.child"  # created after the install
    loggers = [logging.getLogger(n) for n in (new, "urllib3.connectionpool", "nbauth.x.y")]
    try:
        for logger in loggers:
            logger.setLevel(logging.DEBUG)
            logger.debug("params: %s", {"AuthParameters": {"PASSWORD": PW}})
            try:
                raise ValueError(str({"SecretCode": "TOTPSEED1234", "Password": PW}))
            except ValueError:
                logger.exception("failed with %r", {"NEW_PASSWORD": PW})
    finally:
        root.removeHandler(handler)
        for logger in loggers:
            logger.setLevel(logging.NOTSET)
    text = buffer.getvalue()
    assert new in text and "ValueError" in text
    assert "Pa55" not in text
    assert "TOTPSEED1234" not in text


def test_records_of_uncovered_loggers_are_untouched() -> None:
    install_redaction()
    record = logging.getLogger("someone.else").makeRecord(
        "someone.else", logging.INFO, __file__, 1, "%s", ({"password": "x"},), None
    )
    assert record.msg == "%s" and record.args == {"password": "x"}


def test_import_nbauth_installs_the_factory_without_heavy_imports() -> None:
    code = (
        "import logging, sys, nbauth; "
        "r = logging.getLogger('botocore.endpoint').makeRecord("
        "'botocore.endpoint', 10, 'f', 1, '%s', ({'PASSWORD': 'pw-123456'},), None); "
        "print(r.getMessage()); "
        "print(sorted(m for m in ('botocore', 'requests', 'authlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    message, heavy = out.stdout.splitlines()
    assert "pw-123456" not in message and "<redacted>" in message
    assert heavy == "[]"
