"""Who an access token speaks for: the user-pool operations that take ``AccessToken``."""

from __future__ import annotations

from typing import Any

from . import users
from .errors import AwsError, not_authorized, user_disabled, user_not_found
from .params import Params, require_str
from .state import Call, UserPoolState
from .tokens import pool_of_issuer

__all__ = ["authorized_user"]


def authorized_user(state: UserPoolState, params: Params) -> tuple[Call, Any, dict[str, Any]]:
    """``(call, user, claims)`` for the request's live ``AccessToken``.

    ``NotAuthorizedException`` for an invalid, expired or revoked token or a
    disabled user; ``UserNotFoundException`` when the user is gone.
    """
    claims = state.tokens.verify_access(require_str(params, "AccessToken"))
    _, pool_id = pool_of_issuer(claims.get("iss"))
    try:
        pool = users.find_pool(pool_id)
    except AwsError:
        raise not_authorized("Invalid Access Token") from None
    client = pool.clients.get(claims.get("client_id"))
    if client is None:
        raise not_authorized("Invalid Access Token")
    user = pool.users.get(claims["username"])
    if user is None or str(user.id) != claims.get("sub"):
        raise user_not_found()
    if not user.enabled:
        raise user_disabled()
    return Call(state, users.AppClient(pool, client)), user, claims
