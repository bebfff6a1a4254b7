"""App clients with a secret: ``SECRET_HASH`` and ``ClientSecret`` checks.

``SECRET_HASH = base64(HMAC-SHA256(client secret, username + client id))``.
Cognito requires it on every public call of a client that has a secret —
``InitiateAuth`` (``AuthParameters.SECRET_HASH``), ``RespondToAuthChallenge``
(``ChallengeResponses.SECRET_HASH``), ``SignUp``, ``ConfirmSignUp``,
``ResendConfirmationCode``, ``ForgotPassword``, ``ConfirmForgotPassword``
(``SecretHash``) — and the secret itself on ``RevokeToken`` and
``GetTokensFromRefreshToken`` (``ClientSecret``). The hash may be computed
over the name the user typed, the internal username or the ``sub`` (after an
alias sign-in clients only know the internal one).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

from .errors import not_authorized
from .users import AppClient

__all__ = ["check_client_secret", "check_secret_hash", "secret_hash"]


def secret_hash(client_secret: str, username: str, client_id: str) -> str:
    """The ``SECRET_HASH`` a client sends for ``username``."""
    digest = hmac.new(
        client_secret.encode(), (username + client_id).encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def check_secret_hash(
    app: AppClient, provided: str | None, usernames: Iterable[str | None], *, initiate: bool = False
) -> None:
    """Refuse a missing or wrong ``SECRET_HASH`` for a client with a secret.

    Missing on ``InitiateAuth``: "Client <id> is configured with secret but
    SECRET_HASH was not received" (Cognito's words there); otherwise, and when
    wrong: "Unable to verify secret hash for client <id>".
    """
    secret = app.secret
    if secret is None:
        return
    if not provided:
        if initiate:
            raise not_authorized(
                f"Client {app.client_id} is configured with secret but SECRET_HASH was not received"
            )
        raise not_authorized(f"Unable to verify secret hash for client {app.client_id}")
    for username in usernames:
        if username and hmac.compare_digest(
            provided.encode(), secret_hash(secret, username, app.client_id).encode()
        ):
            return
    raise not_authorized(f"Unable to verify secret hash for client {app.client_id}")


def check_client_secret(app: AppClient, provided: str | None) -> None:
    """``ClientSecret`` must be the client's secret (when it has one)."""
    secret = app.secret
    if secret is None:
        return
    if not provided or not hmac.compare_digest(provided.encode(), secret.encode()):
        raise not_authorized(f"Unable to verify secret hash for client {app.client_id}")
