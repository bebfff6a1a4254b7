"""Secrets never reach a log record: redaction of every record of the libraries nbauth drives.

What is redacted (:func:`redact`): the value of every field whose name is a secret field name
(:mod:`nbauth.core.sensitive_fields`: botocore's ``sensitive`` members plus the OAuth/OIDC and
Cognito names, matched case-insensitively and ignoring ``_``/``-``) — whole values, whether a
string, a number, a dict, a list or something nested, in JSON, Python reprs (either quote,
``b'…'`` bytes, escaped JSON inside a string), form bodies and query strings (``a=b&c=d``),
header lines (``Authorization: Bearer …``) and XML elements (``<SessionToken>…``); plus
anything shaped like a JWT, any ``Bearer``/``Basic`` credential, exact values nbauth was told
about (:func:`remember_secret`, for opaque tokens), and all but the last characters of access
key ids.

Where it runs — a **log record factory** (:func:`logging.setLogRecordFactory`), chained with
the factory that was there before, installed by ``import nbauth`` (so by ``import
nbauth.sandbox`` and the CLI too) and again by every nbauth entry point that makes a call
(:func:`install_redaction`, idempotent). Why a factory:

* a filter on a logger is not applied to records of its child loggers (``botocore.endpoint``
  escapes a filter on ``botocore``), nor to loggers created later, so a list of named loggers
  always misses some;
* a filter on handlers misses handlers added later (pytest's ``caplog``, IPython's, a user's
  ``basicConfig`` after ``import nbauth``);
* the factory sees every record of every logger, existing or future, before any handler or
  filter, at one place; it is only called for records that pass the logger's level, so with
  DEBUG off it costs nothing, and records of loggers outside :data:`COVERED` are passed through
  with a single ``str.startswith``.

A covered record's message is formatted once, at creation, and replaced (with ``args``
cleared) only when something was redacted; a traceback (``exc_info``) is formatted, redacted
and stored in ``exc_text`` (which formatters reuse), as is ``stack_info``. Code that replaces
the record factory later without chaining the previous one would drop this; nothing nbauth
uses does. :class:`RedactingFilter` does the same work as a filter, for handlers that receive
records made elsewhere (e.g. unpickled from another process).
"""

from __future__ import annotations

import logging
import re

from .log_records import COVERED, install_factory
from .redaction import REDACTED, hint
from .sensitive_fields import normalize, sensitive_names

__all__ = ["COVERED", "RedactingFilter", "install_redaction", "redact", "remember_secret"]

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_AUTH_SCHEME = re.compile(r"(?i)\b(Bearer|Basic|DPoP)(\s+)[A-Za-z0-9._~+/=-]{4,}")
_SCHEME_REPLACEMENT = r"\1\2" + REDACTED
_ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b")
# A field name followed by ':' or '=' (quoted or not, quotes possibly escaped), or an XML tag.
_FIELD = re.compile(
    r"""(?<![\w-])(?P<q>\\*["']?)(?P<key>[A-Za-z_][\w-]*+)(?P=q)[ \t]*[:=][ \t]*"""
    r"""|<(?P<tag>[A-Za-z_][\w-]*+)>"""
)
_SCHEMES = frozenset({"bearer", "basic", "digest", "negotiate", "dpop", "token"})
_STOP = frozenset(" \t\r\n&,;}])\"'<>")
_CLOSE = {"{": "}", "[": "]", "(": ")"}

_known_secrets: list[str] = []
_KNOWN_LIMIT = 64


def remember_secret(value: str | None) -> None:
    """Redact this exact value wherever it appears (e.g. opaque tokens no pattern can spot)."""
    if value and len(value) >= 12 and value not in _known_secrets:
        _known_secrets.append(value)
        del _known_secrets[:-_KNOWN_LIMIT]


def _quoted_end(text: str, quote_at: int, escapes: int) -> int:
    """Index just past the quote closing the string opened at ``quote_at``.

    The closing quote is the same character preceded by exactly ``escapes`` backslashes (a
    string inside a string is quoted with escaped quotes); anything else is content. No close:
    the end of the text (more is redacted rather than less).
    """
    quote, n = text[quote_at], len(text)
    p = quote_at + 1
    while p < n:
        p = text.find(quote, p)
        if p < 0:
            return n
        b = 0
        while p - b - 1 > quote_at and text[p - b - 1] == "\\":
            b += 1
        if b == escapes:
            return p + 1
        p += 1
    return n


def _nested_end(text: str, start: int) -> int:
    """Index just past the bracket closing the one at ``start`` (quoted text skipped)."""
    depth, p, n = 0, start, len(text)
    while p < n:
        c = text[p]
        if c in "{[(":
            depth += 1
        elif c in "}])":
            depth -= 1
            if depth == 0:
                return p + 1
        elif c in "\"'":
            p = _quoted_end(text, p, 0) - 1
        elif c == "\\" and p + 1 < n and text[p + 1] in "\"'":
            p += 1
        p += 1
    return n


def _unquoted_end(text: str, start: int) -> int:
    """End of a bare value (``a=b&…``, ``Authorization: Bearer x``): up to a delimiter."""
    n, p = len(text), start
    while p < n and text[p] not in _STOP:
        p += 1
    if text[start:p].lower() in _SCHEMES and p < n and text[p] == " ":
        q = p + 1
        while q < n and text[q] not in _STOP:
            q += 1
        if q > p + 1:
            return q
    return p


def _redact_value(text: str, start: int) -> tuple[int, str]:
    """The end of the value starting at ``start`` and what replaces it."""
    n = len(text)
    if start >= n:
        return start, ""
    prefixed = text[start] in "bBuUrR" and start + 1 < n and text[start + 1] in "\"'"
    i = start + 1 if prefixed else start
    j = i
    while j < n and text[j] == "\\":
        j += 1
    if j < n and text[j] in "\"'":
        end = _quoted_end(text, j, j - i)
        closed = end - 1 > j and text[end - 1] == text[j]
        return end, text[start : j + 1] + REDACTED + (text[i : j + 1] if closed else "")
    if text[start] in _CLOSE:
        end = _nested_end(text, start)
        return end, text[start] + REDACTED + _CLOSE[text[start]]
    end = _unquoted_end(text, start)
    return end, (REDACTED if end > start else "")


def _redact_fields(text: str, names: frozenset[str]) -> str:
    out: list[str] = []
    pos = 0
    for_search = 0
    while True:
        m = _FIELD.search(text, for_search)
        if m is None:
            break
        key = m.group("key") or m.group("tag")
        if normalize(key) not in names:
            for_search = m.end() if m.end() > m.start() else m.start() + 1
            continue
        if m.group("tag") is not None:
            close = text.find("<", m.end())
            end = len(text) if close < 0 else close
            out.append(text[pos : m.end()] + REDACTED)
        else:
            end, replacement = _redact_value(text, m.end())
            out.append(text[pos : m.end()] + replacement)
        pos = for_search = max(end, m.end())
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def redact(text: str) -> str:
    """``text`` with secret fields, tokens and keys replaced by ``<redacted>``."""
    for secret in list(_known_secrets):
        if secret in text:
            text = text.replace(secret, REDACTED)
    if ":" in text or "=" in text or "<" in text:
        text = _redact_fields(text, sensitive_names())
    if "eyJ" in text:
        text = _JWT.sub(REDACTED, text)
    text = _AUTH_SCHEME.sub(_SCHEME_REPLACEMENT, text)
    if "AKIA" in text or "ASIA" in text:
        text = _ACCESS_KEY_ID.sub(lambda m: hint(m.group(0)) or "", text)
    return text


def scrub(record: logging.LogRecord) -> None:
    """Redact ``record`` in place: its message, its traceback text and its stack text."""
    try:
        message = record.getMessage()
    except Exception:
        message = None  # the handler reports the broken format string; nothing to redact
    if message is not None:
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
    if record.exc_info and not record.exc_text:
        # Formatters reuse exc_text: format the traceback once, redacted.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


class RedactingFilter(logging.Filter):
    """Rewrites each record through :func:`scrub` (never drops a record); for handlers."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` and keep it."""
        if not getattr(record, "nbauth_scrubbed", False):
            scrub(record)
        return True


def install_redaction() -> None:
    """Chain the redacting record factory in front of the current one (idempotent, cheap).

    Called by ``import nbauth``; nbauth's entry points call it again, which also picks up
    botocore's sensitive names once botocore is loaded.
    """
    install_factory()
    sensitive_names()
