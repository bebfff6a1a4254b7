"""What follows the password: ``NEW_PASSWORD_REQUIRED`` and the MFA challenges.

After a correct password (``USER_PASSWORD_AUTH``, or ``PASSWORD_VERIFIER`` of
``USER_SRP_AUTH``): a user in ``FORCE_CHANGE_PASSWORD`` gets
``NEW_PASSWORD_REQUIRED``; then MFA as :func:`.mfa.decide_mfa` says —
``SMS_MFA``/``EMAIL_OTP`` (a 6-digit code is "sent", see ``sb.sent_messages``),
``SOFTWARE_TOKEN_MFA`` (TOTP), ``SELECT_MFA_TYPE`` (``ANSWER`` names the
factor), ``MFA_SETUP`` (``AssociateSoftwareToken``/``VerifySoftwareToken``
with the session, then ``RespondToAuthChallenge(MFA_SETUP)``) — and finally
tokens. A wrong code is ``CodeMismatchException`` "Invalid code or auth state
for the user." and the session stays usable for another try.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from . import users
from .challenge_io import challenge_body, new_session
from .delivery import send_code
from .errors import AwsError, code_mismatch, invalid_parameter, missing_parameter
from .issuance import issue_tokens
from .mfa import EMAIL_OTP, SMS_MFA, SOFTWARE_TOKEN_MFA, decide_mfa, new_code, totp_matches
from .sessions import AuthSession
from .state import Call

__all__ = ["HANDLERS", "after_password"]

_MFA_MISMATCH = "Invalid code or auth state for the user."
_CODE_KEYS = {
    SMS_MFA: "SMS_MFA_CODE",
    EMAIL_OTP: "EMAIL_OTP_CODE",
    SOFTWARE_TOKEN_MFA: "SOFTWARE_TOKEN_MFA_CODE",
    "SMS_OTP": "SMS_OTP_CODE",  # USER_AUTH's first factor (EMAIL_OTP shares the MFA name)
}
_NEW_PASSWORD_SOURCE = "TokenGeneration_NewPasswordChallenge"
_READ_ONLY_ATTRIBUTES = {"sub", "email_verified", "phone_number_verified", "cognito:user_status"}


def after_password(
    call: Call,
    user: Any,
    *,
    flow: str,
    client_metadata: dict[str, str] | None,
    token_source: str = "TokenGeneration_Authentication",
) -> dict[str, Any]:
    """The next step once the password is proven."""
    if users.status(user) == "FORCE_CHANGE_PASSWORD":
        session = new_session(call, user, "NEW_PASSWORD_REQUIRED", flow)
        attributes = {k: v for k, v in users.attributes(user).items() if k != "sub"}
        return challenge_body(
            session,
            {
                "USER_ID_FOR_SRP": str(user.username),
                "requiredAttributes": "[]",
                "userAttributes": json.dumps(attributes),
            },
        )
    return _mfa_step(
        call, user, flow=flow, client_metadata=client_metadata, token_source=token_source
    )


def _mfa_step(
    call: Call, user: Any, *, flow: str, client_metadata: dict[str, str] | None, token_source: str
) -> dict[str, Any]:
    extras = call.state.extras
    decision = decide_mfa(users.pool_mfa(call.pool, extras), users.user_mfa(user, extras))
    if decision.challenge is None:
        return issue_tokens(
            call, user, client_metadata=client_metadata, trigger_source=token_source
        )
    if decision.challenge == "SELECT_MFA_TYPE":
        session = new_session(
            call, user, "SELECT_MFA_TYPE", flow, choices=decision.choices, token_source=token_source
        )
        return challenge_body(session, {"MFAS_CAN_CHOOSE": decision.choices_json()})
    if decision.challenge == "MFA_SETUP":
        session = new_session(call, user, "MFA_SETUP", flow, token_source=token_source)
        return challenge_body(session, {"MFAS_CAN_SETUP": decision.choices_json()})
    return _factor_challenge(call, user, decision.challenge, flow, client_metadata, token_source)


def _factor_challenge(
    call: Call,
    user: Any,
    factor: str,
    flow: str,
    client_metadata: dict[str, str] | None,
    token_source: str,
) -> dict[str, Any]:
    if factor == SOFTWARE_TOKEN_MFA:
        session = new_session(call, user, SOFTWARE_TOKEN_MFA, flow, token_source=token_source)
        return challenge_body(session, {})
    code = new_code()
    details = send_code(
        call,
        user,
        channel="sms" if factor == SMS_MFA else "email",
        code=code,
        trigger_source="CustomMessage_Authentication",
        client_metadata=client_metadata,
    )
    session = new_session(call, user, factor, flow, mfa_code=code, token_source=token_source)
    return challenge_body(
        session,
        {
            "CODE_DELIVERY_DELIVERY_MEDIUM": details["DeliveryMedium"],
            "CODE_DELIVERY_DESTINATION": details["Destination"],
        },
    )


# -- answers -------------------------------------------------------------------------
Answer = dict[str, str]


def _new_password(
    call: Call, session: AuthSession, user: Any, answer: Answer, metadata: dict[str, str]
) -> dict[str, Any]:
    password = answer.get("NEW_PASSWORD")
    if not password:
        raise missing_parameter("NEW_PASSWORD")
    users.check_password_policy(call.pool, password)
    changes = {
        key.split(".", 1)[1]: value
        for key, value in answer.items()
        if key.startswith("userAttributes.")
    }
    refused = sorted(set(changes) & _READ_ONLY_ATTRIBUTES)
    if refused:
        raise invalid_parameter(f"Cannot modify the non-mutable attribute {refused[0]}")
    call.state.sessions.consume(session)
    user.password = password
    users.update_attributes(user, changes)
    users.set_status(user, "CONFIRMED")
    return _mfa_step(
        call, user, flow=session.flow, client_metadata=metadata, token_source=_NEW_PASSWORD_SOURCE
    )


def _factor_answer(
    call: Call, session: AuthSession, user: Any, answer: Answer, metadata: dict[str, str]
) -> dict[str, Any]:
    key = _CODE_KEYS[session.challenge]
    code = answer.get(key)
    if not code:
        raise missing_parameter(key)
    if session.challenge == SOFTWARE_TOKEN_MFA:
        secret = call.state.extras.of(user).totp_secret
        ok = secret is not None and totp_matches(secret, code, call.state.now())
    else:
        ok = session.mfa_code is not None and hmac.compare_digest(session.mfa_code, code)
    if not ok:
        raise code_mismatch(_MFA_MISMATCH)
    call.state.sessions.consume(session)
    return issue_tokens(call, user, client_metadata=metadata, trigger_source=session.token_source)


def _select_mfa_type(
    call: Call, session: AuthSession, user: Any, answer: Answer, metadata: dict[str, str]
) -> dict[str, Any]:
    choice = answer.get("ANSWER")
    if not choice:
        raise missing_parameter("ANSWER")
    if choice not in session.choices:
        raise invalid_parameter(f"Invalid MFA type {choice} for the user.")
    call.state.sessions.consume(session)
    return _factor_challenge(call, user, choice, session.flow, metadata, session.token_source)


def _mfa_setup(
    call: Call, session: AuthSession, user: Any, answer: Answer, metadata: dict[str, str]
) -> dict[str, Any]:
    if not session.totp_verified:
        raise AwsError(
            "SoftwareTokenMFANotFoundException", "Software token TOTP not verified for the user."
        )
    call.state.sessions.consume(session)
    user.software_token_mfa_enabled = True
    if not user.preferred_mfa_setting:
        user.preferred_mfa_setting = SOFTWARE_TOKEN_MFA
    return issue_tokens(call, user, client_metadata=metadata, trigger_source=session.token_source)


HANDLERS = {
    "NEW_PASSWORD_REQUIRED": _new_password,
    SMS_MFA: _factor_answer,
    EMAIL_OTP: _factor_answer,
    SOFTWARE_TOKEN_MFA: _factor_answer,
    "SMS_OTP": _factor_answer,
    "SELECT_MFA_TYPE": _select_mfa_type,
    "MFA_SETUP": _mfa_setup,
}
