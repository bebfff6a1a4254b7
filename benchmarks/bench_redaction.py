"""What the log redaction costs per record (issue 11): ``python -m benchmarks.bench_redaction``.

Times :func:`nbauth.core.log_redaction.redact` on a typical botocore request record (~440
characters, with ``AuthParameters``), on a short hook record, and a whole DEBUG record made
through the redacting record factory versus the plain factory.
"""

from __future__ import annotations

import logging
import timeit

import botocore.loaders  # noqa: F401  (botocore loaded: the model-derived names are in use)

from nbauth.core import log_redaction, sensitive_fields

REQUEST = (
    "Making request for OperationModel(name=InitiateAuth) with params: {'url_path': '/', "
    "'query_string': '', 'method': 'POST', 'headers': {'X-Amz-Target': "
    "'AWSCognitoIdentityProviderService.InitiateAuth', 'Content-Type': "
    "'application/x-amz-json-1.1', 'User-Agent': 'Boto3/1.43 md/Botocore#1.43'}, 'body': "
    'b\'{"AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "demo", '
    '"PASSWORD": "S3cret-pw!"}, "ClientId": "abc"}\', \'url\': \'http://127.0.0.1:5000/\'}'
)
HOOK = "Event before-parameter-build.s3.ListObjects: calling handler <function f at 0x7f>"


def _per_call(fn, number: int = 20000) -> float:
    return min(timeit.repeat(fn, number=number, repeat=3)) / number * 1e6


def main() -> None:
    """Print microseconds per call."""
    sensitive_fields.refresh_from_botocore()
    log_redaction.install_redaction()
    factory = logging.getLogRecordFactory()
    plain = logging.LogRecord
    args = ("botocore.endpoint", logging.DEBUG, __file__, 1, "%s", (REQUEST,), None)
    request = _per_call(lambda: log_redaction.redact(REQUEST))
    hook = _per_call(lambda: log_redaction.redact(HOOK))
    print(f"redact(botocore request, {len(REQUEST)} chars): {request:.1f} µs")
    print(f"redact(short hook record, {len(HOOK)} chars): {hook:.1f} µs")
    print(f"record via redacting factory: {_per_call(lambda: factory(*args)):.1f} µs")
    print(f"record via plain LogRecord:   {_per_call(lambda: plain(*args)):.1f} µs")
    other = ("someone.else", logging.DEBUG, __file__, 1, "%s", (REQUEST,), None)
    print(f"uncovered logger via factory: {_per_call(lambda: factory(*other)):.1f} µs")


if __name__ == "__main__":
    main()
