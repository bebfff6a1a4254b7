"""Decoding JWTs without verification (Amplify's ``decodeJWT``).

Verification belongs to the flows that receive tokens (the OIDC and user-pool
flows, and the identity pool itself); here a token is only split and read so
that nbauth knows its issuer, subject and expiry.

Example::

    >>> from nbauth.core.jwt import decode_jwt
    >>> jwt = decode_jwt(id_token_string)        # doctest: +SKIP
    >>> jwt.payload["iss"], jwt.expires_at       # doctest: +SKIP
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

from ..errors import InvalidTokenError
from .redaction import REDACTED

__all__ = [
    "JWT",
    "MAX_NUMERIC_DATE",
    "NUMERIC_DATE_CLAIMS",
    "decode_jwt",
    "epoch_or_none",
    "numeric_date",
]

#: The claims RFC 7519 (and OIDC Core, for ``auth_time``) define as NumericDates.
NUMERIC_DATE_CLAIMS = ("exp", "nbf", "iat", "auth_time")
#: 9999-12-31T23:59:59Z: the largest NumericDate nbauth accepts (any later date is a forgery or a
#: bug, and every date up to it converts to a ``datetime`` without overflowing).
MAX_NUMERIC_DATE = 253_402_300_799


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python's json would accept NaN and Infinity


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member names")  # RFC 7519 §4: names MUST be unique
    return result


def _b64url_json(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    data = base64.urlsafe_b64decode(padded.encode("ascii"))
    return json.loads(data, parse_constant=_refuse_constant, object_pairs_hook=_unique_object)


def epoch_or_none(value: object) -> float | None:
    """``value`` as epoch seconds if it is a finite JSON number from 1970 to the year 9999, else
    ``None`` (NaN, infinities, 10**400, strings, booleans): for stored times, where a bad value
    means "not usable", never "valid forever"."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not 0 <= value <= MAX_NUMERIC_DATE:  # also false for NaN; never converts a huge int
        return None
    return float(value)


def numeric_date(payload: dict[str, Any], name: str) -> float | None:
    """The NumericDate claim ``name`` as epoch seconds; ``None`` when the claim is absent.

    RFC 7519 §2: a JSON number of seconds since 1970. A present value that is not one — a
    string, a boolean, NaN or an infinity, a negative number or one past the year 9999 — raises
    :class:`InvalidTokenError` naming the claim: such a token is never read as "no expiry".
    """
    if name not in payload:
        return None
    value = payload[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = "null" if value is None else type(value).__name__
        raise InvalidTokenError(
            f"The token's {name!r} claim must be a NumericDate (a JSON number), got {kind}.",
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidTokenError(f"The token's {name!r} claim is not a finite number.")
    if not 0 <= value <= MAX_NUMERIC_DATE:
        raise InvalidTokenError(
            f"The token's {name!r} claim is out of range (before 1970 or after the year 9999).",
        )
    return float(value)


class JWT:
    """A decoded (not verified) JSON Web Token.

    ``payload`` holds the claims; ``to_string()`` gives the raw token back. Its NumericDate
    claims (``exp``, ``nbf``, ``iat``, ``auth_time``) were checked by :func:`decode_jwt`.
    ``repr()``/``str()`` never show the raw token.
    """

    __slots__ = ("_raw", "header", "payload")

    def __init__(self, raw: str, header: dict[str, Any], payload: dict[str, Any]) -> None:
        self._raw = raw
        self.header = header
        self.payload = payload

    def to_string(self) -> str:
        """The encoded token, as issued (Amplify's ``toString()``)."""
        return self._raw

    @property
    def issuer(self) -> str | None:
        """``iss`` when it is a string, else ``None``."""
        iss = self.payload.get("iss")
        return iss if isinstance(iss, str) else None

    @property
    def subject(self) -> str | None:
        """``sub`` when it is a string, else ``None``."""
        sub = self.payload.get("sub")
        return sub if isinstance(sub, str) else None

    @property
    def expires_at(self) -> float | None:
        """``exp`` as finite epoch seconds, or ``None`` when the token has no ``exp`` claim.

        Never NaN or an infinity: :func:`decode_jwt` refuses such a token, and a payload changed
        after decoding raises :class:`InvalidTokenError` here rather than read as "no expiry".
        """
        return numeric_date(self.payload, "exp")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JWT) and other._raw == self._raw

    def __hash__(self) -> int:
        return hash(self._raw)

    def __repr__(self) -> str:
        claims = {k: self.payload[k] for k in ("iss", "sub", "aud", "exp") if k in self.payload}
        return f"JWT({claims!r}, token={REDACTED})"

    __str__ = __repr__


def decode_jwt(token: str | JWT) -> JWT:
    """Split and decode a compact JWT; raises :class:`InvalidTokenError` if it isn't one.

    Nothing is verified, but the token must be well formed: base64url JSON objects (no NaN or
    Infinity literals, no duplicate member names) whose NumericDate claims, when present, are
    finite JSON numbers between 1970 and the year 9999 (see :func:`numeric_date`).
    """
    if isinstance(token, JWT):
        return token
    if not isinstance(token, str):
        raise InvalidTokenError(
            f"A token must be a string, got {type(token).__name__}.",
        )
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise InvalidTokenError(
            f"Not a JWT: expected three dot-separated parts, got {len(parts)}.",
        )
    try:
        header = _b64url_json(parts[0])
        payload = _b64url_json(parts[1])
    except (ValueError, binascii.Error, UnicodeError, RecursionError) as exc:
        raise InvalidTokenError(
            "Not a JWT: its header or payload is not base64url-encoded JSON.", underlying=exc
        ) from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise InvalidTokenError("Not a JWT: its header and payload must be JSON objects.")
    for name in NUMERIC_DATE_CLAIMS:
        numeric_date(payload, name)
    return JWT(token.strip(), header, payload)
