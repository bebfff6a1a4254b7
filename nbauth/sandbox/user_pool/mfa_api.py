"""MFA set-up operations: ``AssociateSoftwareToken``, ``VerifySoftwareToken``,
``SetUserMFAPreference`` and ``AdminSetUserMFAPreference``.

Both TOTP operations work with an ``MFA_SETUP`` sign-in ``Session`` (each
returns a new session; after a successful verify,
``RespondToAuthChallenge(MFA_SETUP)`` finishes the sign-in) or with a signed-in
user's ``AccessToken`` (then ``SetUserMFAPreference`` turns the factor on).
A wrong code is ``EnableSoftwareTokenMFAException`` "Code mismatch and fail
enable Software Token MFA", Cognito's answer for this operation.
"""

from __future__ import annotations

from typing import Any

from . import users
from .access import authorized_user
from .challenge_io import new_session
from .errors import AwsError, invalid_parameter, session_invalid, user_not_found
from .mfa import EMAIL_OTP, SMS_MFA, SOFTWARE_TOKEN_MFA, new_totp_secret, totp_matches
from .params import Params, optional_str, require_str
from .state import Call, UserPoolState
from .users import UserExtras

__all__ = [
    "admin_set_user_mfa_preference",
    "associate_software_token",
    "set_factors",
    "set_user_mfa_preference",
    "verify_software_token",
]

_SETTINGS = (
    ("SMSMfaSettings", SMS_MFA),
    ("SoftwareTokenMfaSettings", SOFTWARE_TOKEN_MFA),
    ("EmailMfaSettings", EMAIL_OTP),
)


def _setup_session(state: UserPoolState, params: Params) -> Any:
    session = state.sessions.get(optional_str(params, "Session"), state.now())
    if session.challenge != "MFA_SETUP" or session.username is None:
        raise session_invalid()
    return session


def _session_call(state: UserPoolState, session: Any) -> tuple[Call, Any]:
    app = users.find_client(session.client_id)
    user = app.pool.users.get(session.username)
    if user is None:
        raise user_not_found()
    return Call(state, app), user


def associate_software_token(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``AssociateSoftwareToken``: a new TOTP secret for the user."""
    secret = new_totp_secret()
    if params.get("Session"):
        session = _setup_session(state, params)
        call, user = _session_call(state, session)
        state.sessions.consume(session)
        follow = new_session(
            call,
            user,
            "MFA_SETUP",
            session.flow,
            token_source=session.token_source,
            pending_totp_secret=secret,
        )
        return {"SecretCode": secret, "Session": follow.session_id}
    _, user, _ = authorized_user(state, params)
    state.extras.of(user).pending_totp_secret = secret
    return {"SecretCode": secret}


def _accept_totp(state: UserPoolState, user: Any, secret: str | None, code: str) -> None:
    if secret is None:
        raise AwsError("SoftwareTokenMFANotFoundException", "Software token TOTP not found.")
    if not totp_matches(secret, code, state.now()):
        raise AwsError(
            "EnableSoftwareTokenMFAException", "Code mismatch and fail enable Software Token MFA"
        )
    extras = state.extras.of(user)
    extras.totp_secret = secret
    extras.pending_totp_secret = None
    user.token_verified = True


def verify_software_token(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``VerifySoftwareToken``: prove the authenticator app holds the secret."""
    code = require_str(params, "UserCode")
    if params.get("Session"):
        session = _setup_session(state, params)
        call, user = _session_call(state, session)
        _accept_totp(state, user, session.pending_totp_secret, code)
        state.sessions.consume(session)
        follow = new_session(
            call,
            user,
            "MFA_SETUP",
            session.flow,
            token_source=session.token_source,
            totp_verified=True,
        )
        return {"Status": "SUCCESS", "Session": follow.session_id}
    _, user, _ = authorized_user(state, params)
    _accept_totp(state, user, state.extras.of(user).pending_totp_secret, code)
    return {"Status": "SUCCESS"}


def set_factors(
    user: Any,
    extras: UserExtras,
    *,
    enabled: dict[str, bool | None],
    preferred: str | None = None,
    check: bool = True,
) -> None:
    """Turn factors on/off (None: unchanged) and set the preferred one.

    With ``check``: SMS needs a ``phone_number``, EMAIL_OTP an ``email``, TOTP
    a verified software token (``InvalidParameterException`` otherwise).
    """
    lookup = user.attribute_lookup
    state = extras.of(user)
    needs = {
        SMS_MFA: (
            "phone_number" in lookup,
            "User does not have delivery config set to turn on SMS_MFA",
        ),
        EMAIL_OTP: (
            "email" in lookup,
            "User does not have delivery config set to turn on EMAIL_OTP",
        ),
        SOFTWARE_TOKEN_MFA: (
            bool(user.token_verified and state.totp_secret),
            "User has not verified software token mfa",
        ),
    }
    for factor, on in enabled.items():
        if on and check and not needs[factor][0]:
            raise invalid_parameter(needs[factor][1])
    current = {
        SMS_MFA: bool(user.sms_mfa_enabled),
        SOFTWARE_TOKEN_MFA: bool(user.software_token_mfa_enabled),
        EMAIL_OTP: state.email_mfa,
    }
    current.update({k: v for k, v in enabled.items() if v is not None})
    if preferred is not None and not current.get(preferred):
        raise invalid_parameter(f"Cannot set {preferred} as preferred: it is not enabled.")
    user.sms_mfa_enabled = current[SMS_MFA]
    user.software_token_mfa_enabled = current[SOFTWARE_TOKEN_MFA]
    state.email_mfa = current[EMAIL_OTP]
    if preferred is not None:
        user.preferred_mfa_setting = preferred
    elif user.preferred_mfa_setting and not current.get(user.preferred_mfa_setting):
        user.preferred_mfa_setting = ""


def _apply_settings(state: UserPoolState, user: Any, params: Params) -> None:
    enabled: dict[str, bool | None] = {}
    preferred: str | None = None
    for key, factor in _SETTINGS:
        settings = params.get(key)
        if settings is None:
            continue
        if not isinstance(settings, dict):
            raise invalid_parameter(f"{key} must be an object.")
        if "Enabled" in settings:
            enabled[factor] = bool(settings["Enabled"])
        if settings.get("PreferredMfa"):
            if preferred is not None:
                raise invalid_parameter("Only one MFA method can be preferred.")
            preferred = factor
    set_factors(user, state.extras, enabled=enabled, preferred=preferred)


def set_user_mfa_preference(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``SetUserMFAPreference`` (the signed-in user)."""
    _, user, _ = authorized_user(state, params)
    _apply_settings(state, user, params)
    return {}


def admin_set_user_mfa_preference(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``AdminSetUserMFAPreference``."""
    pool = users.find_pool(require_str(params, "UserPoolId"))
    user = users.find_user(pool, require_str(params, "Username"))
    if user is None:
        raise user_not_found()
    _apply_settings(state, user, params)
    return {}
