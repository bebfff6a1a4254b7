"""A signed-in user's own operations (``AccessToken``): ``GetUser``,
``UpdateUserAttributes``, ``VerifyUserAttribute``,
``GetUserAttributeVerificationCode``, ``ChangePassword``, ``GlobalSignOut``,
``DeleteUser`` (moto lacks it); and ``RevokeToken`` (a refresh token and its
client).

Changing ``email`` or ``phone_number`` (when the pool auto-verifies it) marks
it unverified and "sends" a code (``CustomMessage_UpdateUserAttribute`` with
UpdateUserAttributes' ``ClientMetadata``), listed in
``CodeDeliveryDetailsList``; ``VerifyUserAttribute`` takes the code.
"""

from __future__ import annotations

import hmac
from typing import Any

from . import users
from .access import authorized_user
from .delivery import send_code
from .errors import AwsError, invalid_parameter, not_authorized
from .outbox import ATTRIBUTE_CODE_SECONDS
from .params import Params, attribute_map, optional_str, require_str, string_map
from .secret_hash import check_client_secret
from .state import Call, UserPoolState

__all__ = [
    "change_password",
    "delete_user",
    "get_user",
    "get_user_attribute_verification_code",
    "global_sign_out",
    "revoke_token",
    "update_user_attributes",
    "verify_user_attribute",
]

_CHANNELS = {"email": "email", "phone_number": "sms"}
_IMMUTABLE = {"sub", "cognito:user_status"}


def user_description(user: Any) -> dict[str, Any]:
    """``GetUser``'s body (also the MFA settings Cognito reports)."""
    settings = []
    if user.sms_mfa_enabled:
        settings.append("SMS_MFA")
    if user.software_token_mfa_enabled:
        settings.append("SOFTWARE_TOKEN_MFA")
    body: dict[str, Any] = {
        "Username": str(user.username),
        "UserAttributes": [dict(a) for a in user.attributes],
        "UserMFASettingList": settings,
    }
    if user.preferred_mfa_setting:
        body["PreferredMfaSetting"] = user.preferred_mfa_setting
    return body


def get_user(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``GetUser``."""
    _, user, _ = authorized_user(state, params)
    body = user_description(user)
    if state.extras.of(user).email_mfa:
        body["UserMFASettingList"].append("EMAIL_OTP")
    return body


def _send_attribute_code(
    call: Call, user: Any, attribute: str, trigger_source: str, metadata: dict[str, str]
) -> dict[str, str]:
    code = call.state.codes.issue(
        call.code_key(user, f"verify:{attribute}"), ATTRIBUTE_CODE_SECONDS, call.state.now()
    )
    return send_code(
        call,
        user,
        channel=_CHANNELS[attribute],
        code=code,
        trigger_source=trigger_source,
        client_metadata=metadata,
    )


def update_user_attributes(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``UpdateUserAttributes``."""
    call, user, _ = authorized_user(state, params)
    changes = attribute_map(params, "UserAttributes")
    if not changes:
        raise invalid_parameter(
            "1 validation error detected: Value at 'userAttributes' failed to satisfy "
            "constraint: Member must not be null"
        )
    metadata = string_map(params, "ClientMetadata")
    refused = sorted(set(changes) & _IMMUTABLE)
    if refused:
        raise invalid_parameter(f"Cannot modify the non-mutable attribute {refused[0]}")
    auto = call.pool.extended_config.get("AutoVerifiedAttributes") or []
    before = users.attributes(user)
    to_verify = [
        name
        for name in _CHANNELS
        if name in changes and name in auto and changes[name] and changes[name] != before.get(name)
    ]
    for name in to_verify:
        changes[f"{name}_verified"] = "false"
    users.update_attributes(user, changes)
    details = [
        _send_attribute_code(call, user, name, "CustomMessage_UpdateUserAttribute", metadata)
        for name in to_verify
    ]
    return {"CodeDeliveryDetailsList": details}


def _verifiable(params: Params) -> str:
    name = require_str(params, "AttributeName")
    if name not in _CHANNELS:
        raise invalid_parameter(f"Attribute {name} cannot be verified.")
    return name


def get_user_attribute_verification_code(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``GetUserAttributeVerificationCode``."""
    call, user, _ = authorized_user(state, params)
    name = _verifiable(params)
    if not user.attribute_lookup.get(name):
        raise invalid_parameter(f"User has no attribute {name}.")
    metadata = string_map(params, "ClientMetadata")
    details = _send_attribute_code(call, user, name, "CustomMessage_VerifyUserAttribute", metadata)
    return {"CodeDeliveryDetails": details}


def verify_user_attribute(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``VerifyUserAttribute``."""
    call, user, _ = authorized_user(state, params)
    name = _verifiable(params)
    code = require_str(params, "Code")
    state.codes.redeem(call.code_key(user, f"verify:{name}"), code, state.now())
    users.update_attributes(user, {f"{name}_verified": "true"})
    return {}


def change_password(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``ChangePassword``."""
    call, user, _ = authorized_user(state, params)
    previous = require_str(params, "PreviousPassword")
    proposed = require_str(params, "ProposedPassword")
    if not hmac.compare_digest((user.password or "").encode(), previous.encode()):
        raise not_authorized()
    users.check_password_policy(call.pool, proposed)
    user.password = proposed
    return {}


def global_sign_out(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``GlobalSignOut``: every refresh token of the user, and their access tokens."""
    call, user, _ = authorized_user(state, params)
    state.tokens.revoke_user(call.app.pool_id, str(user.id))
    return {}


def delete_user(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``DeleteUser``: the user, their group memberships and their tokens."""
    call, user, _ = authorized_user(state, params)
    state.tokens.revoke_user(call.app.pool_id, str(user.id))
    for group in list(user.groups):
        group.users.discard(user)
    call.pool.users.pop(str(user.username), None)
    return {}


def revoke_token(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``RevokeToken``: a refresh token of this client (and its access tokens)."""
    token = require_str(params, "Token")
    app = users.find_client(require_str(params, "ClientId"))
    check_client_secret(app, optional_str(params, "ClientSecret"))
    if state.tokens.token_kind(token) is not None:
        raise AwsError("UnsupportedTokenTypeException", "Unsupported token type")
    record = state.tokens.lookup_refresh(token)
    if record is not None and record.client_id != app.client_id:
        raise AwsError("UnauthorizedException", "Token was not issued to this client")
    state.tokens.revoke_refresh(token)
    return {}
