"""Scan everything a person could see for every secret a run issued (invariant 1).

* :class:`Visible`: what a person sees — every log record of every logger at DEBUG (message,
  traceback and stack, as a formatter renders them), every warning, and whatever a test adds
  (reprs, Hub payloads, exception messages and recovery suggestions).
* :class:`WireTap`: the secrets, taken from the wire rather than guessed — every request and
  response body nbauth (or the sandbox's own seeding) exchanges through ``requests`` and
  botocore, with the values of the secret fields picked out (form bodies, JSON, nested maps).
  The field list here is written independently of nbauth's redaction on purpose.
* :func:`secret_values`: the same picking, for a stored record or any JSON-like value.

Access tokens are secrets whatever their form: JWTs, and the opaque strings many IdPs issue
(panva's oidc-provider by default), which match no pattern a scanner could guess — only the wire
knows them. :attr:`WireTap.opaque_access_tokens` lists those the run issued (so a test can insist
that some were scanned for), and bearer tokens sent in ``Authorization`` headers count too.

Sandbox-using tiers only (it patches botocore and requests while active).
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, suppress
from typing import Any
from urllib.parse import parse_qsl

import pytest

#: Field names whose values are secrets (exact, as the protocols spell them).
SECRET_FIELDS = frozenset(
    {
        # OAuth 2.0 / OIDC (RFC 6749, 7636, 8628, 7009) and what the IdP answers
        "access_token",
        "id_token",
        "refresh_token",
        "client_secret",
        "code",
        "code_verifier",
        "device_code",
        "password",
        "client_assertion",
        "assertion",
        # Cognito user pools (AuthParameters / ChallengeResponses keys and members)
        "PASSWORD",
        "NEW_PASSWORD",
        "SECRET_HASH",
        "Password",
        "ProposedPassword",
        "PreviousPassword",
        "TemporaryPassword",
        "ClientSecret",
        "SecretCode",
        "Session",
        "AccessToken",
        "IdToken",
        "RefreshToken",
        # identity pool and STS credentials
        "SecretKey",
        "SecretAccessKey",
        "SessionToken",
        "Token",
        # nbauth's stored records
        "secret_access_key",
        "session_token",
    }
)
#: Shorter values (six-digit codes, a custom-challenge answer) would match by chance.
MIN_LENGTH = 8


def secret_values(
    value: Any, *, field: str | None = None, fields: frozenset[str] = SECRET_FIELDS
) -> set[str]:
    """Every string under a secret field name in ``value`` (dicts, lists, JSON text, forms);
    ``fields`` narrows the names (e.g. ``frozenset({"access_token"})``)."""
    found: set[str] = set()
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        if field in fields and len(value) >= MIN_LENGTH:
            found.add(value)
        text = value.strip()
        if text[:1] in "{[":
            with suppress(ValueError):
                found |= secret_values(json.loads(text), fields=fields)
        elif "=" in text and " " not in text:
            found |= secret_values(dict(parse_qsl(text.split("?", 1)[-1])), fields=fields)
    elif isinstance(value, dict):
        for key, item in value.items():
            if str(key) in fields and isinstance(item, dict | list):
                found |= {str(v) for v in _leaves(item) if len(str(v)) >= MIN_LENGTH}
            found |= secret_values(item, field=str(key), fields=fields)
    elif isinstance(value, list | tuple):
        for item in value:
            found |= secret_values(item, field=field, fields=fields)
    return found


def is_jwt(value: str) -> bool:
    """Whether ``value`` looks like a compact JWS (three dot-separated parts)."""
    return value.count(".") == 2


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif value is not None:
        yield value


class WireTap:
    """Collects secret values from every HTTP exchange of ``requests`` and botocore."""

    def __init__(self) -> None:
        self.secrets: set[str] = set()
        self.access_tokens: set[str] = set()
        self.exchanges = 0

    @property
    def opaque_access_tokens(self) -> set[str]:
        """The access tokens the run issued that are not JWTs (all also in ``secrets``)."""
        return {token for token in self.access_tokens if not is_jwt(token)}

    def add(self, *values: str | None) -> None:
        """Also count these values (typed passwords, a TOTP seed shown on screen, …)."""
        self.secrets |= {v for v in values if v and len(v) >= MIN_LENGTH}

    def _body(self, body: Any) -> None:
        self.exchanges += 1
        with suppress(Exception):  # a body that is neither text nor JSON: nothing to pick
            self.secrets |= secret_values(body)
            self.access_tokens |= secret_values(body, fields=frozenset({"access_token"}))

    def _authorization(self, header: Any) -> None:
        """A bearer token sent in an ``Authorization`` header (``requests_auth``, userinfo)."""
        if isinstance(header, bytes):
            header = header.decode("latin-1")
        if isinstance(header, str) and header[:7].lower() == "bearer ":
            self.add(header[7:].strip())

    def install(self, monkeypatch: pytest.MonkeyPatch) -> WireTap:
        """Patch botocore's and requests' send paths (undone with ``monkeypatch``)."""
        import botocore.endpoint
        import requests

        endpoint_send = botocore.endpoint.Endpoint._send  # type: ignore[attr-defined]
        session_send = requests.Session.send

        def tapped_endpoint_send(endpoint: Any, request: Any) -> Any:
            self._body(request.body)
            response = endpoint_send(endpoint, request)
            self._body(response.content)
            return response

        def tapped_session_send(session: Any, request: Any, **kwargs: Any) -> Any:
            self._body(request.body)
            self._body(request.url)
            self._authorization(request.headers.get("Authorization"))
            response = session_send(session, request, **kwargs)
            for each in (*response.history, response):
                if each.headers.get("Location"):
                    self._body(each.headers["Location"])
            if not kwargs.get("stream"):  # a streamed body is the caller's to read
                self._body(response.content)
            return response

        # requests.Session.send, not the adapter: nbauth's adapter reads the raw stream itself
        monkeypatch.setattr(botocore.endpoint.Endpoint, "_send", tapped_endpoint_send)
        monkeypatch.setattr(requests.Session, "send", tapped_session_send)
        return self


class _Keep(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.sink = sink
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        self.sink.append(self.format(record))


class Visible:
    """Everything a person could see during a run; a context manager turning DEBUG on."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self._handler = _Keep(self.texts)
        self._stack = ExitStack()
        self._warnings: list[warnings.WarningMessage] = []

    @property
    def records(self) -> int:
        """How many log records were captured."""
        return self._handler.count

    def __enter__(self) -> Visible:
        manager = logging.Logger.manager
        loggers = [logging.getLogger()] + [
            lg for lg in manager.loggerDict.values() if isinstance(lg, logging.Logger)
        ]
        for logger in loggers:
            old_level, old_disabled = logger.level, logger.disabled
            logger.setLevel(logging.DEBUG)
            logger.disabled = False
            logger.addHandler(self._handler) if not logger.propagate else None
            self._stack.callback(self._restore, logger, old_level, old_disabled)
        logging.getLogger().addHandler(self._handler)
        self._stack.callback(logging.getLogger().removeHandler, self._handler)
        self._warnings = self._stack.enter_context(warnings.catch_warnings(record=True))
        warnings.simplefilter("always")
        return self

    def _restore(self, logger: logging.Logger, level: int, disabled: bool) -> None:
        logger.setLevel(level)
        logger.disabled = disabled
        if self._handler in logger.handlers and logger is not logging.getLogger():
            logger.removeHandler(self._handler)

    def __exit__(self, *exc: object) -> None:
        self.texts.extend(str(w.message) for w in self._warnings)
        self._stack.close()

    def add(self, *objects: Any) -> None:
        """What the person sees of these objects: repr and str (and an error's advice)."""
        for obj in objects:
            self.texts.append(repr(obj))
            self.texts.append(str(obj))
            for attr in ("message", "recovery_suggestion", "__cause__", "__context__"):
                part = getattr(obj, attr, None) if isinstance(obj, BaseException) else None
                if part is not None:
                    self.texts.append(repr(part))

    def warnings_seen(self) -> int:
        """How many warnings were recorded so far."""
        return len(self._warnings)

    def hits(self, secrets: Iterable[str]) -> list[str]:
        """The secrets (shortened) that appear anywhere in what was seen."""
        everything = "\n".join(self.texts)
        return sorted(s[:6] + "…" for s in secrets if s in everything)
