"""Amplify's ``getCurrentUser`` and the access token the self-service calls need.

``getCurrentUser`` reads the tokens only: no identity-pool call (``GetId``,
``GetCredentialsForIdentity``) and no network at all — it works while the identity pool is down.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core.values import AuthTokens
from ..errors import InvalidParameterError, NoCredentialsError
from .token_sources import UserTokenSource
from .user_session import UserSession

__all__ = ["access_token", "check_user_attributes", "current_user", "held_tokens"]


def held_tokens(user: UserSession | None, custom: UserTokenSource | None) -> AuthTokens | None:
    """The tokens held now: the signed-in user's (read without a refresh), else those of a
    custom token provider; no credentials, no network call of nbauth's."""
    if user is not None:
        current = user.current
        return current.auth_tokens if current is not None else None
    return custom.tokens() if custom is not None else None


def current_user(tokens: AuthTokens | None) -> dict[str, Any]:
    """``{"username", "user_id", "sign_in_details"}`` from the user's tokens."""
    if tokens is None:
        raise NoCredentialsError("No user is signed in.", "Sign in first.")
    claims = tokens.federation_token.payload
    access = tokens.access_token.payload if tokens.access_token is not None else {}
    username = (
        access.get("username")
        or claims.get("cognito:username")
        or claims.get("preferred_username")
        or claims.get("sub")
    )
    return {
        "username": username,
        "user_id": claims.get("sub"),
        "sign_in_details": {"login_id": claims.get("email") or username},
    }


def access_token(tokens: AuthTokens | None) -> str:
    """The signed-in user-pool user's access token, or a typed error."""
    if tokens is None or tokens.access_token is None:
        raise NoCredentialsError("No user is signed in to the user pool.", "Call sign_in() first.")
    return tokens.access_token.to_string()


def check_user_attributes(user_attributes: object) -> None:
    if not isinstance(user_attributes, Mapping):
        raise InvalidParameterError("user_attributes must be a dict of strings.")
