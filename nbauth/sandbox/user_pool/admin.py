"""Admin operations the layer answers (moto lacks what Cognito does here).

``AdminUserGlobalSignOut`` revokes the user's refresh and access tokens;
``SetUserPoolMfaConfig``/``GetUserPoolMfaConfig`` also keep the email-OTP
factor (``EmailMfaConfiguration``), which moto drops. Signatures of admin
calls are not checked. Other admin operations (``AdminCreateUser``,
``AdminGetUser``, ``AdminDisableUser``…) go to moto unchanged.
"""

from __future__ import annotations

from typing import Any

from . import users
from .errors import invalid_parameter, user_not_found
from .params import Params, optional_str, require_str
from .state import UserPoolState

__all__ = ["admin_user_global_sign_out", "get_user_pool_mfa_config", "set_user_pool_mfa_config"]

_DEFAULT_EMAIL_MFA = {"Message": "Your authentication code is {####}. ", "Subject": "Your code"}


def admin_user_global_sign_out(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``AdminUserGlobalSignOut``."""
    pool = users.find_pool(require_str(params, "UserPoolId"))
    user = users.find_user(pool, require_str(params, "Username"))
    if user is None:
        raise user_not_found()
    state.tokens.revoke_user(str(pool.id), str(user.id))
    return {}


def mfa_config_body(state: UserPoolState, pool: Any) -> dict[str, Any]:
    """``GetUserPoolMfaConfig``'s body."""
    body: dict[str, Any] = {"MfaConfiguration": pool.mfa_config or "OFF"}
    if pool.sms_mfa_config:
        body["SmsMfaConfiguration"] = pool.sms_mfa_config
    if pool.token_mfa_config:
        body["SoftwareTokenMfaConfiguration"] = pool.token_mfa_config
    if state.extras.pool_email(pool.id):
        body["EmailMfaConfiguration"] = dict(_DEFAULT_EMAIL_MFA)
    return body


def set_user_pool_mfa_config(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``SetUserPoolMfaConfig``."""
    pool = users.find_pool(require_str(params, "UserPoolId"))
    mode = optional_str(params, "MfaConfiguration")
    if mode is not None and mode not in ("OFF", "ON", "OPTIONAL"):
        raise invalid_parameter(f"Invalid MfaConfiguration {mode}.")
    if "SmsMfaConfiguration" in params:
        pool.sms_mfa_config = params["SmsMfaConfiguration"] or None
    if "SoftwareTokenMfaConfiguration" in params:
        pool.token_mfa_config = params["SoftwareTokenMfaConfiguration"] or None
    if "EmailMfaConfiguration" in params:
        state.extras.set_pool_email(pool.id, bool(params["EmailMfaConfiguration"]))
    if mode is not None:
        pool.mfa_config = mode
    return mfa_config_body(state, pool)


def get_user_pool_mfa_config(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``GetUserPoolMfaConfig``."""
    return mfa_config_body(state, users.find_pool(require_str(params, "UserPoolId")))
