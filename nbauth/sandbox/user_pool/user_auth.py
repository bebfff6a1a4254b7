"""``USER_AUTH``: choice-based sign-in, as Cognito answers it.

``InitiateAuth(AuthFlow=USER_AUTH)`` needs ``ALLOW_USER_AUTH`` in the app
client's ``ExplicitAuthFlows`` ("USER_AUTH flow not enabled for this client"
otherwise). The pool's ``Policies.SignInPolicy.AllowedFirstAuthFactors``
(default ``["PASSWORD"]``) and the user decide the available first factors:
``PASSWORD`` and ``PASSWORD_SRP`` (the user has a password), ``EMAIL_OTP``
(a verified ``email``), ``SMS_OTP`` (a verified ``phone_number``). The sandbox
has no passkeys, so ``WEB_AUTHN`` is never available; choosing it is
``InvalidParameterException``.

* ``PREFERRED_CHALLENGE`` that is available → that factor at once:
  ``PASSWORD`` with ``PASSWORD`` (tokens or MFA; without it, a ``PASSWORD``
  challenge), ``PASSWORD_SRP`` with ``SRP_A`` (``PASSWORD_VERIFIER``),
  ``EMAIL_OTP``/``SMS_OTP`` (a code is sent: ``CustomMessage_Authentication``,
  recorded in the outbox).
* otherwise → ``SELECT_CHALLENGE`` with ``AvailableChallenges``, answered by
  ``RespondToAuthChallenge(SELECT_CHALLENGE, ANSWER=<factor>)`` (+ ``PASSWORD``
  or ``SRP_A``).
* ``Session`` from ``ConfirmSignUp`` (auto sign-in): the confirmation code was
  the first factor; what follows the password follows (MFA, tokens).

Triggers as for the other flows: pre authentication at ``InitiateAuth``
(its ``ClientMetadata`` as ``validationData``); post authentication and pre
token generation (``TokenGeneration_Authentication``) when tokens are issued,
with the ``ClientMetadata`` of the ``RespondToAuthChallenge`` that issues them
(none when ``InitiateAuth`` issues them); custom message for a code, with the
metadata of the call that sends it (none from ``InitiateAuth``).
"""

from __future__ import annotations

import hmac
from typing import Any

from . import events, users
from .challenge_io import challenge_body, new_session
from .challenges import after_password
from .delivery import send_code
from .errors import (
    invalid_parameter,
    missing_parameter,
    not_authorized,
    session_invalid,
    user_disabled,
    user_not_found,
)
from .mfa import new_code
from .password_verifier import check_status_after_password, start_password_verifier
from .secret_hash import check_secret_hash
from .sessions import AuthSession
from .state import Call

__all__ = ["HANDLERS", "SIGN_UP_CONFIRMED", "SIGN_UP_SESSION", "initiate_user_auth"]

FLOW = "USER_AUTH"
#: What a ``SignUp`` / ``ConfirmSignUp`` session waits for (never a challenge name).
SIGN_UP_SESSION = "CONFIRM_SIGN_UP"
SIGN_UP_CONFIRMED = "SIGN_UP_CONFIRMED"
_FACTORS = ("PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN")
_NO_PASSKEYS = "WEB_AUTHN is not supported by the sandbox: it has no passkeys (WebAuthn)."


def allowed_first_factors(pool: Any) -> tuple[str, ...]:
    """``SignInPolicy.AllowedFirstAuthFactors`` (Cognito's default: password only)."""
    policy = (pool.extended_config.get("Policies") or {}).get("SignInPolicy") or {}
    return tuple(policy.get("AllowedFirstAuthFactors") or ("PASSWORD",))


def available_challenges(pool: Any, user: Any) -> list[str]:
    """The first factors ``user`` can use in ``pool``, in Cognito's order."""
    allowed = allowed_first_factors(pool)
    lookup = user.attribute_lookup
    available = []
    if "PASSWORD" in allowed and user.password:
        available += ["PASSWORD", "PASSWORD_SRP"]
    if "EMAIL_OTP" in allowed and lookup.get("email") and lookup.get("email_verified") == "true":
        available.append("EMAIL_OTP")
    if (
        "SMS_OTP" in allowed
        and lookup.get("phone_number")
        and lookup.get("phone_number_verified") == "true"
    ):
        available.append("SMS_OTP")
    return available


def initiate_user_auth(
    call: Call, auth: dict[str, str], metadata: dict[str, str], session_id: str | None
) -> dict[str, Any]:
    """``InitiateAuth`` with ``AuthFlow=USER_AUTH`` (``session_id``: from ``ConfirmSignUp``)."""
    if not call.app.allows(FLOW):
        raise invalid_parameter("USER_AUTH flow not enabled for this client")
    username = auth.get("USERNAME")
    if not username:
        raise missing_parameter("USERNAME")
    user = users.find_user(call.pool, username)
    check_secret_hash(
        call.app,
        auth.get("SECRET_HASH"),
        [username, *((str(user.username), str(user.id)) if user else ())],
        initiate=True,
    )
    if user is None:
        raise not_authorized() if call.app.prevents_user_existence_errors else user_not_found()
    if not user.enabled:
        raise user_disabled()
    call.trigger(
        "pre_authentication",
        "PreAuthentication_Authentication",
        str(user.username),
        events.pre_authentication(users.event_attributes(user), metadata, False),
    )
    if session_id:
        return _after_sign_up(call, user, session_id)
    preferred = auth.get("PREFERRED_CHALLENGE")
    if preferred is not None and preferred not in _FACTORS:
        raise invalid_parameter(f"Invalid PREFERRED_CHALLENGE {preferred}.")
    available = available_challenges(call.pool, user)
    if preferred in available:
        return _start_factor(call, user, preferred, auth, None, required=False)
    if not available:
        raise not_authorized("No sign-in method is available for the user.")
    session = new_session(call, user, "SELECT_CHALLENGE", FLOW, choices=tuple(available))
    return {**challenge_body(session, {}), "AvailableChallenges": available}


def _after_sign_up(call: Call, user: Any, session_id: str) -> dict[str, Any]:
    """Auto sign-in: ``ConfirmSignUp``'s session stands for the first factor."""
    session = call.state.sessions.get(session_id, call.state.now())
    if (
        session.challenge != SIGN_UP_CONFIRMED
        or session.client_id != call.app.client_id
        or session.username != str(user.username)
    ):
        raise session_invalid()
    call.state.sessions.consume(session)
    check_status_after_password(user)
    return after_password(call, user, flow=FLOW, client_metadata=None)


def _start_factor(
    call: Call,
    user: Any,
    factor: str,
    answer: dict[str, str],
    metadata: dict[str, str] | None,
    *,
    required: bool,
) -> dict[str, Any]:
    """Begin (or, with its parameter, complete) first factor ``factor``."""
    if factor == "WEB_AUTHN":
        raise invalid_parameter(_NO_PASSKEYS)
    if factor in ("EMAIL_OTP", "SMS_OTP"):
        check_status_after_password(user)
        code = new_code()
        details = send_code(
            call,
            user,
            channel="email" if factor == "EMAIL_OTP" else "sms",
            code=code,
            trigger_source="CustomMessage_Authentication",
            client_metadata=metadata or None,
        )
        session = new_session(call, user, factor, FLOW, mfa_code=code)
        return challenge_body(
            session,
            {
                "CODE_DELIVERY_DELIVERY_MEDIUM": details["DeliveryMedium"],
                "CODE_DELIVERY_DESTINATION": details["Destination"],
            },
        )
    key = "PASSWORD" if factor == "PASSWORD" else "SRP_A"
    value = answer.get(key)
    if not value:
        if required:
            raise missing_parameter(key)
        return challenge_body(new_session(call, user, factor, FLOW), {})
    if factor == "PASSWORD_SRP":
        return start_password_verifier(call, user, value, flow=FLOW)
    if not hmac.compare_digest((user.password or "").encode(), value.encode()):
        raise not_authorized()
    check_status_after_password(user)
    return after_password(call, user, flow=FLOW, client_metadata=metadata or None)


def _select_challenge(
    call: Call, session: AuthSession, user: Any, answer: dict[str, str], metadata: dict[str, str]
) -> dict[str, Any]:
    choice = answer.get("ANSWER")
    if not choice:
        raise missing_parameter("ANSWER")
    if choice == "WEB_AUTHN":
        raise invalid_parameter(_NO_PASSKEYS)
    if choice not in session.choices:
        raise invalid_parameter(f"Invalid challenge {choice} for the user.")
    call.state.sessions.consume(session)
    return _start_factor(call, user, choice, answer, metadata, required=True)


def _password_challenge(
    call: Call, session: AuthSession, user: Any, answer: dict[str, str], metadata: dict[str, str]
) -> dict[str, Any]:
    call.state.sessions.consume(session)
    return _start_factor(call, user, session.challenge, answer, metadata, required=True)


HANDLERS = {
    "SELECT_CHALLENGE": _select_challenge,
    "PASSWORD": _password_challenge,
    "PASSWORD_SRP": _password_challenge,
}
