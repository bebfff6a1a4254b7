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
from typing import Any

from ..errors import InvalidTokenError
from .redaction import REDACTED

__all__ = ["JWT", "decode_jwt"]


def _b64url_json(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


class JWT:
    """A decoded (not verified) JSON Web Token.

    ``payload`` holds the claims; ``to_string()`` gives the raw token back.
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
        iss = self.payload.get("iss")
        return iss if isinstance(iss, str) else None

    @property
    def subject(self) -> str | None:
        sub = self.payload.get("sub")
        return sub if isinstance(sub, str) else None

    @property
    def expires_at(self) -> float | None:
        """``exp`` as epoch seconds, or ``None`` when the token has no expiry."""
        exp = self.payload.get("exp")
        return float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JWT) and other._raw == self._raw

    def __hash__(self) -> int:
        return hash(self._raw)

    def __repr__(self) -> str:
        claims = {k: self.payload[k] for k in ("iss", "sub", "aud", "exp") if k in self.payload}
        return f"JWT({claims!r}, token={REDACTED})"

    __str__ = __repr__


def decode_jwt(token: str | JWT) -> JWT:
    """Split and decode a compact JWT; raises :class:`InvalidTokenError` if it isn't one."""
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
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise InvalidTokenError(
            "Not a JWT: its header or payload is not base64url-encoded JSON.", underlying=exc
        ) from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise InvalidTokenError("Not a JWT: its header and payload must be JSON objects.")
    return JWT(token.strip(), header, payload)
