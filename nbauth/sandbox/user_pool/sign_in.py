"""``InitiateAuth`` and ``RespondToAuthChallenge``: the sign-in flows.

``USER_PASSWORD_AUTH``, ``USER_SRP_AUTH``, ``CUSTOM_AUTH`` (with or without
``SRP_A``), ``REFRESH_TOKEN_AUTH``/``REFRESH_TOKEN``, ``USER_AUTH`` (see
:mod:`.user_auth`). Each must be allowed by
the app client's ``ExplicitAuthFlows`` (Cognito's default when none are set:
SRP, custom and refresh). Order of checks on ``InitiateAuth``: flow, client,
``SECRET_HASH``, user (migration / unknown user), disabled, pre
authentication (InitiateAuth's ``ClientMetadata`` as ``validationData``),
password, status (unconfirmed, reset required), then the challenges.
"""

from __future__ import annotations

import hmac
from typing import Any

from . import events, users
from .challenges import HANDLERS as CHALLENGE_HANDLERS
from .challenges import after_password
from .custom_auth import answer_custom_challenge, next_custom_step, require_custom_triggers
from .errors import (
    invalid_parameter,
    missing_parameter,
    not_authorized,
    session_invalid,
    user_disabled,
    user_not_found,
)
from .migration import migrate_user
from .params import Params, optional_str, require_str, string_map
from .password_verifier import (
    answer_password_verifier,
    check_status_after_password,
    start_password_verifier,
)
from .refresh import initiate_refresh
from .secret_hash import check_secret_hash
from .state import Call, UserPoolState
from .user_auth import HANDLERS as USER_AUTH_HANDLERS
from .user_auth import initiate_user_auth

__all__ = ["initiate_auth", "respond_to_auth_challenge"]

AUTH_FLOWS = (
    "USER_SRP_AUTH",
    "REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN",
    "CUSTOM_AUTH",
    "ADMIN_NO_SRP_AUTH",
    "USER_PASSWORD_AUTH",
    "ADMIN_USER_PASSWORD_AUTH",
    "USER_AUTH",
)
_DEFAULT_FLOWS = ("USER_SRP_AUTH", "CUSTOM_AUTH")
_HANDLERS = {
    **CHALLENGE_HANDLERS,
    **USER_AUTH_HANDLERS,
    "PASSWORD_VERIFIER": answer_password_verifier,
    "CUSTOM_CHALLENGE": answer_custom_challenge,
}


def _flow_allowed(call: Call, flow: str) -> bool:
    if not call.app.client.extended_config.get("ExplicitAuthFlows"):
        return flow in _DEFAULT_FLOWS
    return call.app.allows(flow)


def _pre_authentication(call: Call, user: Any, metadata: dict[str, str]) -> None:
    call.trigger(
        "pre_authentication",
        "PreAuthentication_Authentication",
        str(user.username),
        events.pre_authentication(users.event_attributes(user), metadata, False),
    )


def initiate_auth(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``InitiateAuth``."""
    flow = require_str(params, "AuthFlow")
    if flow not in AUTH_FLOWS:
        raise invalid_parameter(
            f"1 validation error detected: Value '{flow}' at 'authFlow' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(AUTH_FLOWS)}]"
        )
    call = Call(state, users.find_client(require_str(params, "ClientId")))
    auth = string_map(params, "AuthParameters")
    metadata = string_map(params, "ClientMetadata")
    if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        return initiate_refresh(call, auth)
    if flow.startswith("ADMIN_"):
        raise invalid_parameter("Initiate Auth method not supported.")
    if flow == "USER_AUTH":
        return initiate_user_auth(call, auth, metadata, optional_str(params, "Session"))
    if not _flow_allowed(call, flow):
        raise invalid_parameter(f"{flow} flow not enabled for this client")
    username = auth.get("USERNAME")
    if not username:
        raise missing_parameter("USERNAME")
    password = auth.get("PASSWORD")
    srp_a = auth.get("SRP_A")
    if flow == "USER_PASSWORD_AUTH" and not password:
        raise missing_parameter("PASSWORD")
    if flow == "USER_SRP_AUTH" and not srp_a:
        raise missing_parameter("SRP_A")
    if flow == "CUSTOM_AUTH":
        require_custom_triggers(call, "define_auth_challenge")
    user = users.find_user(call.pool, username)
    check_secret_hash(
        call.app,
        auth.get("SECRET_HASH"),
        [username, *((str(user.username), str(user.id)) if user else ())],
        initiate=True,
    )
    if user is None and flow == "USER_PASSWORD_AUTH":
        user = migrate_user(call, username, password=password, validation_data=metadata)
    if user is None:
        if not call.app.prevents_user_existence_errors:
            raise user_not_found()
        if flow == "USER_SRP_AUTH" and srp_a:
            return start_password_verifier(call, None, srp_a, flow=flow, shown_username=username)
        raise not_authorized()
    if not user.enabled:
        raise user_disabled()
    _pre_authentication(call, user, metadata)
    if flow == "USER_PASSWORD_AUTH":
        assert password is not None
        if not hmac.compare_digest((user.password or "").encode(), password.encode()):
            raise not_authorized()
        check_status_after_password(user)
        return after_password(call, user, flow=flow, client_metadata=None)
    if flow == "USER_SRP_AUTH":
        assert srp_a is not None
        return start_password_verifier(call, user, srp_a, flow=flow)
    # CUSTOM_AUTH: InitiateAuth's ClientMetadata does not reach define/create (AWS)
    if srp_a and auth.get("CHALLENGE_NAME") == "SRP_A":
        results = [{"challengeName": "SRP_A", "challengeResult": True, "challengeMetadata": None}]
        return next_custom_step(call, user, results, None, srp_a=srp_a)
    if users.status(user) == "UNCONFIRMED":
        check_status_after_password(user)
    return next_custom_step(call, user, [], None)


def respond_to_auth_challenge(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``RespondToAuthChallenge``."""
    call = Call(state, users.find_client(require_str(params, "ClientId")))
    name = require_str(params, "ChallengeName")
    answer = string_map(params, "ChallengeResponses")
    metadata = string_map(params, "ClientMetadata")
    handler = _HANDLERS.get(name)
    if handler is None:
        raise invalid_parameter(f"Challenge {name} is not supported by the sandbox.")
    username = answer.get("USERNAME")
    if not username:
        raise missing_parameter("USERNAME")
    block = answer.get("PASSWORD_CLAIM_SECRET_BLOCK") if name == "PASSWORD_VERIFIER" else None
    session = state.sessions.get(optional_str(params, "Session"), state.now(), secret_block=block)
    if session.client_id != call.app.client_id or session.challenge != name:
        raise session_invalid()
    user = users.find_user(call.pool, username)
    if session.username is not None and (user is None or str(user.username) != session.username):
        raise session_invalid()
    check_secret_hash(
        call.app,
        answer.get("SECRET_HASH"),
        [username, session.username, str(user.id) if user else None],
    )
    if user is not None and not user.enabled:
        raise user_disabled()
    return handler(call, session, user, answer, metadata)
