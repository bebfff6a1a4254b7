"""A logging filter that removes secrets from other libraries' debug logs.

botocore logs request parameters and response bodies at DEBUG level —
including identity-pool ``Logins`` tokens and the ``SecretKey`` and
``SessionToken`` of fresh credentials. nbauth installs this filter on those
loggers when it first makes such a call, so turning on DEBUG logging in a
notebook never prints a secret.
"""

from __future__ import annotations

import logging
import re

from .redaction import REDACTED, hint

__all__ = ["RedactingFilter", "install_redaction", "redact"]

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
# "SecretKey": "...", 'SessionToken': '...', b'{"Token":"..."}' and friends.
_SECRET_FIELD = re.compile(
    r"""(?P<key>["']?(?:SecretKey|SecretAccessKey|SessionToken|Token|IdToken|AccessToken|"""
    r"""RefreshToken|Password|PreviousPassword|ProposedPassword|client_secret|access_token|"""
    r"""refresh_token|id_token|code_verifier|Session)["']?\s*[:=]\s*)"""
    r"""(?P<quote>\\?["'])(?P<value>.*?)(?P=quote)""",
)
# The session token as a signed header: canonical requests and header dicts.
_SECURITY_TOKEN_HEADER = re.compile(
    r"""(?P<key>x-amz-security-token["']?\s*[:=]\s*b?["']?)(?P<value>[^\s"',}]+)""", re.I
)
# Access key ids are identifiers, not secrets, but nbauth shows only their last characters.
_ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b")
_LOGINS = re.compile(r"""(["']Logins["']\s*:\s*)\{[^{}]*\}""")

#: Loggers of libraries whose DEBUG output can carry nbauth's secrets.
LOGGERS = (
    "botocore.endpoint",
    "botocore.parsers",
    "botocore.auth",
    "botocore.hooks",
    "botocore.retryhandler",
    "botocore.client",
    "botocore.credentials",
    "urllib3.connectionpool",
    "requests_oauthlib",
    "requests_oauthlib.oauth2_session",
    "oauthlib",
    "authlib",
    # nbauth's own: a traceback it logs may quote a third-party exception's text.
    "nbauth",
    "nbauth.events",
    "nbauth.identity_pool",
    "nbauth.notebook",
    "nbauth.oidc",
    "nbauth.refresh",
)


_known_secrets: list[str] = []
_KNOWN_LIMIT = 64


def remember_secret(value: str | None) -> None:
    """Redact this exact value wherever it appears (e.g. opaque tokens no pattern can spot)."""
    if value and len(value) >= 12 and value not in _known_secrets:
        _known_secrets.append(value)
        del _known_secrets[:-_KNOWN_LIMIT]


def redact(text: str) -> str:
    """``text`` with tokens, keys and secret fields replaced by ``<redacted>``."""
    for secret in list(_known_secrets):
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _LOGINS.sub(lambda m: f"{m.group(1)}{{{REDACTED}}}", text)
    text = _SECRET_FIELD.sub(
        lambda m: f"{m.group('key')}{m.group('quote')}{REDACTED}{m.group('quote')}", text
    )
    text = _SECURITY_TOKEN_HEADER.sub(lambda m: f"{m.group('key')}{REDACTED}", text)
    text = _ACCESS_KEY_ID.sub(lambda m: hint(m.group(0)) or "", text)
    return _JWT.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message through :func:`redact` (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text: format the traceback once, redacted.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


_installed = False
_FILTER = RedactingFilter()


def install_redaction() -> None:
    """Attach the filter to :data:`LOGGERS` (idempotent)."""
    global _installed
    if _installed:
        return
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    _installed = True
