"""The end of a sign-in or refresh: post authentication, pre token generation, tokens.

Order on sign-in: ``post_authentication`` (``PostAuthentication_Authentication``)
then ``pre_token_generation`` (``TokenGeneration_Authentication``, or
``TokenGeneration_NewPasswordChallenge`` when the last step set a new
password), then the tokens are signed. A refresh runs only
``pre_token_generation`` (``TokenGeneration_RefreshTokens``), keeps the
original ``auth_time`` and ``origin_jti``, and returns no new refresh token
(unless rotation is on, for ``GetTokensFromRefreshToken``).
"""

from __future__ import annotations

from typing import Any

from . import events, users
from .claims import apply_overrides
from .state import Call
from .tokens import ACCESS_SCOPE, RefreshRecord

__all__ = ["issue_tokens", "refresh_tokens"]


def _mint(
    call: Call,
    user: Any,
    *,
    origin_jti: str,
    auth_time: int,
    trigger_source: str,
    client_metadata: dict[str, str] | None,
) -> dict[str, Any]:
    tokens = call.state.tokens
    id_claims = tokens.id_claims(
        call.pool,
        call.app.client_id,
        user,
        origin_jti=origin_jti,
        auth_time=auth_time,
        read_attributes=call.app.read_attributes,
    )
    access_claims = tokens.access_claims(
        call.pool, call.app.client_id, user, origin_jti=origin_jti, auth_time=auth_time
    )
    version = call.state.triggers.version("pre_token_generation")
    response = call.trigger(
        "pre_token_generation",
        trigger_source,
        str(user.username),
        events.pre_token_generation(
            users.event_attributes(user),
            sorted(group.group_name for group in user.groups),
            client_metadata,
            version=version,
            scopes=[ACCESS_SCOPE],
        ),
    )
    if response is not None:
        apply_overrides(response, version, id_claims, access_claims)
    access_token = tokens.sign(access_claims)
    tokens.remember_access(call.pool, access_token, access_claims)
    return {
        "AccessToken": access_token,
        "ExpiresIn": tokens.lifetimes.access,
        "TokenType": "Bearer",
        "IdToken": tokens.sign(id_claims),
    }


def issue_tokens(
    call: Call,
    user: Any,
    *,
    client_metadata: dict[str, str] | None,
    trigger_source: str = "TokenGeneration_Authentication",
) -> dict[str, Any]:
    """A successful sign-in's response body (``AuthenticationResult``)."""
    call.trigger(
        "post_authentication",
        "PostAuthentication_Authentication",
        str(user.username),
        events.post_authentication(users.event_attributes(user), client_metadata),
    )
    auth_time = int(call.state.now())
    refresh_token, origin_jti = call.state.tokens.new_refresh_token(
        call.pool, call.app.client_id, user, auth_time
    )
    result = _mint(
        call,
        user,
        origin_jti=origin_jti,
        auth_time=auth_time,
        trigger_source=trigger_source,
        client_metadata=client_metadata,
    )
    result["RefreshToken"] = refresh_token
    return {"ChallengeParameters": {}, "AuthenticationResult": result}


def refresh_tokens(
    call: Call, user: Any, record: RefreshRecord, *, client_metadata: dict[str, str] | None
) -> dict[str, Any]:
    """New ID and access tokens for a refresh token's authentication."""
    return _mint(
        call,
        user,
        origin_jti=record.origin_jti,
        auth_time=record.auth_time,
        trigger_source="TokenGeneration_RefreshTokens",
        client_metadata=client_metadata,
    )
