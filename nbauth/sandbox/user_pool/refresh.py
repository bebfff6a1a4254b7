"""Refreshing: ``InitiateAuth(REFRESH_TOKEN_AUTH)`` and ``GetTokensFromRefreshToken``.

A refresh token is refused with ``NotAuthorizedException`` "Invalid Refresh
Token" (unknown, or another client's), "Refresh Token has been revoked"
(``GlobalSignOut``, ``AdminUserGlobalSignOut``, ``RevokeToken``, rotation) or
"Refresh Token has expired". InitiateAuth's ``ClientMetadata`` does not reach
pre token generation; ``GetTokensFromRefreshToken``'s does.
"""

from __future__ import annotations

from typing import Any

from . import users
from .errors import missing_parameter, user_disabled, user_not_found
from .issuance import refresh_tokens
from .params import Params, optional_str, require_str, string_map
from .secret_hash import check_client_secret, check_secret_hash
from .state import Call, UserPoolState
from .tokens import RefreshRecord

__all__ = ["get_tokens_from_refresh_token", "initiate_refresh"]


def _user_of(call: Call, record: RefreshRecord) -> Any:
    user = call.pool.users.get(record.username)
    if user is None or str(user.id) != record.sub:
        raise user_not_found()
    if not user.enabled:
        raise user_disabled()
    return user


def initiate_refresh(call: Call, auth: dict[str, str]) -> dict[str, Any]:
    """``REFRESH_TOKEN_AUTH``: new ID and access tokens, no new refresh token."""
    token = auth.get("REFRESH_TOKEN")
    if not token:
        raise missing_parameter("REFRESH_TOKEN")
    record = call.state.tokens.redeem_refresh(token, call.app.client_id)
    check_secret_hash(
        call.app,
        auth.get("SECRET_HASH"),
        [auth.get("USERNAME"), record.username, record.sub],
        initiate=True,
    )
    user = _user_of(call, record)
    result = refresh_tokens(call, user, record, client_metadata=None)
    return {"ChallengeParameters": {}, "AuthenticationResult": result}


def get_tokens_from_refresh_token(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``GetTokensFromRefreshToken`` (a new refresh token only with rotation enabled)."""
    call = Call(state, users.find_client(require_str(params, "ClientId")))
    token = require_str(params, "RefreshToken")
    metadata = string_map(params, "ClientMetadata")
    check_client_secret(call.app, optional_str(params, "ClientSecret"))
    record = state.tokens.redeem_refresh(token, call.app.client_id)
    user = _user_of(call, record)
    result = refresh_tokens(call, user, record, client_metadata=metadata)
    if call.app.refresh_token_rotation:
        result["RefreshToken"] = state.tokens.rotate_refresh(token)
    return {"AuthenticationResult": result}
