"""Self-service accounts: ``SignUp``, ``ConfirmSignUp``, ``ResendConfirmationCode``,
``ForgotPassword`` and ``ConfirmForgotPassword``.

``SignUp`` runs pre sign-up (``PreSignUp_SignUp``; ``ValidationData`` as
``request.validationData``, ``ClientMetadata`` as ``request.clientMetadata``),
creates an ``UNCONFIRMED`` user and "sends" a confirmation code by the pool's
``AutoVerifiedAttributes`` (``CustomMessage_SignUp``) — unless the trigger
answers ``autoConfirmUser``, which confirms at once and runs post
confirmation with SignUp's ``ClientMetadata`` (the AWS SignUp reference lists
post confirmation among the triggers SignUp's metadata reaches).
``ConfirmSignUp`` checks the code (24 hours), marks the delivery attribute
verified and runs ``PostConfirmation_ConfirmSignUp``. ``ForgotPassword``
"sends" a reset code (1 hour, ``CustomMessage_ForgotPassword``) to a verified
email or phone; ``ConfirmForgotPassword`` sets the new password and runs
``PostConfirmation_ConfirmForgotPassword``.

When the app client allows ``USER_AUTH``, ``SignUp`` answers a ``Session``
(to pass to ``ConfirmSignUp``) and ``ConfirmSignUp`` answers one for
``InitiateAuth(USER_AUTH, Session)``: sign-in without asking for the
password again (the confirmation code was the first factor); an auto-confirmed
``SignUp`` answers the latter at once. Sessions last the client's
``AuthSessionValidity``.
"""

from __future__ import annotations

from typing import Any

from . import events, users
from .challenge_io import new_session
from .delivery import channel_for_verification, send_code
from .errors import AwsError, invalid_parameter, not_authorized, session_invalid, user_disabled
from .migration import migrate_user
from .outbox import FORGOT_PASSWORD_CODE_SECONDS, SIGN_UP_CODE_SECONDS
from .params import Params, attribute_map, optional_str, require_str, string_map
from .secret_hash import check_secret_hash
from .state import Call, UserPoolState
from .triggers import invalid_lambda_response, optional_bool
from .user_auth import SIGN_UP_CONFIRMED, SIGN_UP_SESSION

__all__ = [
    "confirm_forgot_password",
    "confirm_sign_up",
    "forgot_password",
    "resend_confirmation_code",
    "sign_up",
]

_CLIENT_USER_NOT_FOUND = "Username/client id combination not found."
_NO_RECOVERY = (
    "Cannot reset password for the user as there is no registered/verified email or phone_number"
)


def _call(state: UserPoolState, params: Params) -> tuple[Call, str]:
    call = Call(state, users.find_client(require_str(params, "ClientId")))
    return call, require_str(params, "Username")


def _existing_user(call: Call, username: str) -> Any:
    user = users.find_user(call.pool, username)
    if user is None:
        raise AwsError("UserNotFoundException", _CLIENT_USER_NOT_FOUND)
    return user


def _send_sign_up_code(
    call: Call, user: Any, trigger_source: str, metadata: dict[str, str]
) -> dict[str, str] | None:
    channel = channel_for_verification(call.pool, user)
    code = call.state.codes.issue(
        call.code_key(user, "sign_up"), SIGN_UP_CODE_SECONDS, call.state.now(), note=channel
    )
    if channel is None:
        return None
    return send_code(
        call,
        user,
        channel=channel,
        code=code,
        trigger_source=trigger_source,
        client_metadata=metadata,
    )


def _sign_in_session(call: Call, user: Any, waiting_for: str) -> str | None:
    """A session for auto sign-in, when the client allows ``USER_AUTH``."""
    if not call.app.allows("USER_AUTH"):
        return None
    return new_session(call, user, waiting_for, "USER_AUTH").session_id


def _post_confirmation(call: Call, user: Any, source: str, metadata: dict[str, str]) -> None:
    call.trigger(
        "post_confirmation",
        source,
        str(user.username),
        events.post_confirmation(users.event_attributes(user), metadata),
    )


def sign_up(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``SignUp``."""
    call, username = _call(state, params)
    password = require_str(params, "Password")
    attributes = attribute_map(params, "UserAttributes") or {}
    validation_data = attribute_map(params, "ValidationData")
    metadata = string_map(params, "ClientMetadata")
    check_secret_hash(call.app, optional_str(params, "SecretHash"), [username])
    if users.find_user(call.pool, username) is not None:
        raise AwsError("UsernameExistsException", "User already exists")
    users.check_password_policy(call.pool, password)
    response = (
        call.trigger(
            "pre_sign_up",
            "PreSignUp_SignUp",
            username,
            events.pre_sign_up(dict(attributes), validation_data, metadata),
        )
        or {}
    )
    auto_confirm = optional_bool(response, "autoConfirmUser")
    verified: dict[str, str] = {}
    for flag, attribute in (("autoVerifyEmail", "email"), ("autoVerifyPhone", "phone_number")):
        if optional_bool(response, flag):
            if not attributes.get(attribute):
                raise invalid_lambda_response()
            verified[f"{attribute}_verified"] = "true"
    status = "CONFIRMED" if auto_confirm else "UNCONFIRMED"
    user = users.create_user(call.pool, username, password, {**attributes, **verified}, status)
    body: dict[str, Any] = {"UserConfirmed": auto_confirm, "UserSub": str(user.id)}
    if auto_confirm:
        _post_confirmation(call, user, "PostConfirmation_ConfirmSignUp", metadata)
    else:
        details = _send_sign_up_code(call, user, "CustomMessage_SignUp", metadata)
        if details is not None:
            body["CodeDeliveryDetails"] = details
    session = _sign_in_session(call, user, SIGN_UP_CONFIRMED if auto_confirm else SIGN_UP_SESSION)
    if session is not None:
        body["Session"] = session
    return body


def confirm_sign_up(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``ConfirmSignUp``."""
    call, username = _call(state, params)
    code = require_str(params, "ConfirmationCode")
    metadata = string_map(params, "ClientMetadata")
    check_secret_hash(call.app, optional_str(params, "SecretHash"), [username])
    user = _existing_user(call, username)
    current = users.status(user)
    if current != "UNCONFIRMED":
        raise not_authorized(f"User cannot be confirmed. Current status is {current}")
    given = optional_str(params, "Session")
    if given:  # SignUp's session, optional: it must be this user's
        session = state.sessions.get(given, state.now())
        if session.challenge != SIGN_UP_SESSION or session.username != str(user.username):
            raise session_invalid()
    channel = state.codes.redeem(call.code_key(user, "sign_up"), code, state.now())
    if given:
        state.sessions.consume(session)
    users.set_status(user, "CONFIRMED")
    if channel is not None:
        users.update_attributes(
            user, {"email_verified" if channel == "email" else "phone_number_verified": "true"}
        )
    _post_confirmation(call, user, "PostConfirmation_ConfirmSignUp", metadata)
    sign_in = _sign_in_session(call, user, SIGN_UP_CONFIRMED)
    return {"Session": sign_in} if sign_in is not None else {}


def resend_confirmation_code(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``ResendConfirmationCode``."""
    call, username = _call(state, params)
    metadata = string_map(params, "ClientMetadata")
    check_secret_hash(call.app, optional_str(params, "SecretHash"), [username])
    user = _existing_user(call, username)
    if users.status(user) != "UNCONFIRMED":
        raise invalid_parameter("User is already confirmed.")
    details = _send_sign_up_code(call, user, "CustomMessage_ResendCode", metadata)
    if details is None:
        raise invalid_parameter(
            "Cannot send a confirmation code: the user has no email or phone_number to verify."
        )
    return {"CodeDeliveryDetails": details}


_DEFAULT_RECOVERY = (
    {"Priority": 1, "Name": "verified_email"},
    {"Priority": 2, "Name": "verified_phone_number"},
)


def _recovery_channel(pool: Any, user: Any) -> str | None:
    setting = pool.extended_config.get("AccountRecoverySetting") or {}
    # Cognito's default when the pool sets none (moto stopped storing it in 5.2.5).
    configured = setting.get("RecoveryMechanisms") or _DEFAULT_RECOVERY
    mechanisms = sorted(configured, key=lambda m: m.get("Priority", 9))
    lookup = user.attribute_lookup
    for mechanism in mechanisms:
        name = mechanism.get("Name")
        if name == "admin_only":
            raise not_authorized("Contact administrator to reset password.")
        if name == "verified_email" and lookup.get("email_verified") == "true":
            return "email"
        if name == "verified_phone_number" and lookup.get("phone_number_verified") == "true":
            return "sms"
    return None


def forgot_password(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``ForgotPassword``."""
    call, username = _call(state, params)
    metadata = string_map(params, "ClientMetadata")
    check_secret_hash(call.app, optional_str(params, "SecretHash"), [username])
    user = users.find_user(call.pool, username)
    if user is None:
        user = migrate_user(call, username, password=None, client_metadata=metadata)
    if user is None:
        raise AwsError("UserNotFoundException", _CLIENT_USER_NOT_FOUND)
    if not user.enabled:
        raise user_disabled()
    channel = _recovery_channel(call.pool, user)
    if channel is None:
        raise invalid_parameter(_NO_RECOVERY)
    key = call.code_key(user, "forgot_password")
    code = state.codes.issue(key, FORGOT_PASSWORD_CODE_SECONDS, state.now())
    details = send_code(
        call,
        user,
        channel=channel,
        code=code,
        trigger_source="CustomMessage_ForgotPassword",
        client_metadata=metadata,
    )
    return {"CodeDeliveryDetails": details}


def confirm_forgot_password(state: UserPoolState, params: Params) -> dict[str, Any]:
    """``ConfirmForgotPassword``."""
    call, username = _call(state, params)
    code = require_str(params, "ConfirmationCode")
    password = require_str(params, "Password")
    metadata = string_map(params, "ClientMetadata")
    check_secret_hash(call.app, optional_str(params, "SecretHash"), [username])
    user = _existing_user(call, username)
    users.check_password_policy(call.pool, password)
    state.codes.redeem(call.code_key(user, "forgot_password"), code, state.now())
    user.password = password
    if users.status(user) in ("RESET_REQUIRED", "FORCE_CHANGE_PASSWORD"):
        users.set_status(user, "CONFIRMED")
    _post_confirmation(call, user, "PostConfirmation_ConfirmForgotPassword", metadata)
    return {}
