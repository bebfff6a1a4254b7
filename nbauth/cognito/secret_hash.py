"""Cognito's ``SECRET_HASH`` for app clients that have a client secret.

Cognito wants ``SECRET_HASH`` on every user-pool call that names a user (``InitiateAuth``,
``RespondToAuthChallenge``, ``SignUp``, ``ForgotPassword``, …) when the app client was created
with a secret: Base64(HMAC-SHA256(key=client secret, message=username + client id)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

__all__ = ["secret_hash"]


def secret_hash(username: str, client_id: str, client_secret: str) -> str:
    """Base64 of HMAC-SHA256 keyed with ``client_secret`` over ``username + client_id`` (UTF-8).

    ``username`` is the name Cognito will see in the same request (for ``RespondToAuthChallenge``
    that is the ``USERNAME`` of the challenge response, which may be Cognito's internal name).
    """
    digest = hmac.new(
        client_secret.encode("utf-8"), (username + client_id).encode("utf-8"), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")
