"""The redacting log record factory, installed by ``import nbauth`` (see
:mod:`nbauth.core.log_redaction` for what is redacted and why a record factory).

This module is kept tiny so that ``import nbauth`` stays cheap: the patterns and botocore's
sensitive names (:mod:`nbauth.core.log_redaction`, :mod:`nbauth.core.sensitive_fields`) are
loaded by the first record of a covered logger, never at import.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

__all__ = ["COVERED", "install_factory"]

#: Loggers (and all their children, present and future) whose records are redacted.
COVERED = (
    "botocore",
    "boto3",
    "s3transfer",
    "urllib3",
    "requests",  # requests, requests_oauthlib
    "authlib",
    "oauthlib",
    "werkzeug",
    "flask",
    "moto",
    "nbauth",
    "py.warnings",
)


class _RedactingFactory:
    """A log record factory: the previous factory's record, scrubbed when its logger is covered."""

    def __init__(self, previous: Any) -> None:
        self.previous = previous

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self.previous(*args, **kwargs)
        if record.name.startswith(COVERED):
            from .log_redaction import scrub

            scrub(record)
            record.nbauth_scrubbed = True
        return record


_install_lock = threading.Lock()
_factory: _RedactingFactory | None = None


def install_factory() -> None:
    """Chain the redacting factory in front of the current one (idempotent)."""
    global _factory
    if _factory is None:
        with _install_lock:
            if _factory is None:
                _factory = _RedactingFactory(logging.getLogRecordFactory())
                logging.setLogRecordFactory(_factory)
