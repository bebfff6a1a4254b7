"""Parity with Amplify JS 6 over the wire, against the sandbox's strict user pool:
``client_metadata`` per call exactly as Amplify sends it (checked by recording triggers — the
README's table), ``USER_AUTH`` choice-based sign-in, ``autoSignIn`` after ``confirmSignUp``, and
``get_current_user()`` from the tokens only (0 calls, counted server-side)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from nbauth.errors import InvalidParameterError, InvalidStateError, NoCredentialsError

PHONE = "+12065550177"
TRIGGERS = (
    "pre_sign_up",
    "post_confirmation",
    "pre_authentication",
    "post_authentication",
    "pre_token_generation",
    "custom_message",
)


def _step(result) -> str:
    return result.next_step["sign_in_step"]


@pytest.fixture
def seen(sb) -> list[tuple[str, Any, Any]]:
    """Every trigger call as (triggerSource, clientMetadata, validationData)."""
    calls: list[tuple[str, Any, Any]] = []

    def record(event: dict[str, Any]) -> dict[str, Any]:
        request = event["request"]
        calls.append(
            (event["triggerSource"], request.get("clientMetadata"), request.get("validationData"))
        )
        return event

    for name in TRIGGERS:
        sb.set_trigger(name, record)
    return calls


def _otp_user(pool_user):
    return pool_user(email_verified="true", phone_number=PHONE, phone_number_verified="true")


# -- client_metadata, call by call ----------------------------------------------------------


def test_new_password_confirm_sends_only_its_own_metadata(sb, make_auth, seen):
    """The finding from Amplify JS 6: post authentication got ``{step}`` from Amplify's
    ``confirmSignIn``, not the ``signIn`` metadata as well."""
    name = f"meta-np-{uuid.uuid4().hex[:6]}"
    sb.create_user(name, temporary_password="Temp-pass-9", attributes={"email": "n@example.com"})
    auth = make_auth()
    result = auth.sign_in(
        name, "Temp-pass-9", client_metadata={"purpose": "test", "source": "notebook"}
    )
    assert _step(result) == "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED"
    assert auth.confirm_sign_in("Final-pass-9", client_metadata={"step": "np"}).is_signed_in
    assert seen == [
        ("PreAuthentication_Authentication", None, {"purpose": "test", "source": "notebook"}),
        ("PostAuthentication_Authentication", {"step": "np"}, None),
        ("TokenGeneration_NewPasswordChallenge", {"step": "np"}, None),
    ]


def test_srp_sign_in_sends_its_metadata_on_both_requests_with_provider_defaults(
    sb, make_auth, pool_user, seen
):
    username, password = pool_user()
    auth = make_auth(client_metadata_provider=lambda: {"app": "nbauth"})
    assert auth.sign_in(username, password, client_metadata={"source": "nb"}).is_signed_in
    both = {"app": "nbauth", "source": "nb"}
    assert seen == [
        ("PreAuthentication_Authentication", None, both),  # InitiateAuth
        ("PostAuthentication_Authentication", both, None),  # RespondToAuthChallenge (SRP)
        ("TokenGeneration_Authentication", both, None),
    ]


def test_user_auth_metadata_per_call(sb, make_auth, pool_user, seen):
    sb.allow_user_auth()
    username, _ = _otp_user(pool_user)
    auth = make_auth()
    result = auth.sign_in(username, auth_flow="USER_AUTH", client_metadata={"call": "sign_in"})
    assert _step(result) == "CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION"
    result = auth.confirm_sign_in("EMAIL_OTP", client_metadata={"call": "select"})
    assert _step(result) == "CONFIRM_SIGN_IN_WITH_EMAIL_CODE"
    assert auth.confirm_sign_in(sb.last_code(username), client_metadata={"call": "code"})
    assert seen == [
        ("PreAuthentication_Authentication", None, {"call": "sign_in"}),
        ("CustomMessage_Authentication", {"call": "select"}, None),
        ("PostAuthentication_Authentication", {"call": "code"}, None),
        ("TokenGeneration_Authentication", {"call": "code"}, None),
    ]
    # A code sent by InitiateAuth itself: its metadata does not reach custom message.
    auth.sign_out()
    seen.clear()
    auth.sign_in(
        username,
        auth_flow="USER_AUTH",
        preferred_challenge="SMS_OTP",
        client_metadata={"call": "sign_in"},
    )
    assert seen == [
        ("PreAuthentication_Authentication", None, {"call": "sign_in"}),
        ("CustomMessage_Authentication", None, None),
    ]


def test_account_calls_metadata(sb, make_auth, seen):
    auth = make_auth()
    name = f"meta-acct-{uuid.uuid4().hex[:6]}"
    auth.sign_up(
        name,
        "Passw0rd!-acct",
        user_attributes={"email": f"{name}@example.com"},
        client_metadata={"call": "sign_up"},
    )
    auth.resend_sign_up_code(name, client_metadata={"call": "resend"})
    auth.confirm_sign_up(name, sb.last_code(name), client_metadata={"call": "confirm"})
    auth.reset_password(name, client_metadata={"call": "reset"})
    auth.confirm_reset_password(
        name, "Passw0rd!-new", sb.last_code(name), client_metadata={"call": "confirm_reset"}
    )
    assert [(s, m) for s, m, _ in seen] == [
        ("PreSignUp_SignUp", {"call": "sign_up"}),
        ("CustomMessage_SignUp", {"call": "sign_up"}),
        ("CustomMessage_ResendCode", {"call": "resend"}),
        ("PostConfirmation_ConfirmSignUp", {"call": "confirm"}),
        ("CustomMessage_ForgotPassword", {"call": "reset"}),
        ("PostConfirmation_ConfirmForgotPassword", {"call": "confirm_reset"}),
    ]
    seen.clear()
    auth.sign_in(name, "Passw0rd!-new")
    seen.clear()
    auth.update_user_attributes(
        {"email": f"new-{name}@example.com"}, client_metadata={"call": "update"}
    )
    assert [(s, m) for s, m, _ in seen] == [
        ("CustomMessage_UpdateUserAttribute", {"call": "update"})
    ]


# -- USER_AUTH ------------------------------------------------------------------------------


@pytest.mark.parametrize("factor", ["PASSWORD", "PASSWORD_SRP"])
def test_user_auth_preferred_password_factors(sb, make_auth, pool_user, factor):
    sb.allow_user_auth()
    username, password = pool_user()
    auth = make_auth()
    sb.reset_calls()
    result = auth.sign_in(username, password, auth_flow="USER_AUTH", preferred_challenge=factor)
    assert result.is_signed_in and _step(result) == "DONE"
    rounds = 1 if factor == "PASSWORD" else 2  # SRP answers PASSWORD_VERIFIER by itself
    assert sb.calls("InitiateAuth") + sb.calls("RespondToAuthChallenge") == rounds
    assert auth.get_current_user()["username"] == username


@pytest.mark.parametrize(
    ("factor", "step"),
    [
        ("EMAIL_OTP", "CONFIRM_SIGN_IN_WITH_EMAIL_CODE"),
        ("SMS_OTP", "CONFIRM_SIGN_IN_WITH_SMS_CODE"),
    ],
)
def test_user_auth_preferred_otp(sb, make_auth, pool_user, factor, step):
    sb.allow_user_auth()
    username, _ = _otp_user(pool_user)
    auth = make_auth()
    result = auth.sign_in(username, auth_flow="USER_AUTH", preferred_challenge=factor)
    assert _step(result) == step
    assert result.next_step["code_delivery_details"]["delivery_medium"] in ("EMAIL", "SMS")
    assert auth.confirm_sign_in(sb.last_code(username)).is_signed_in


@pytest.mark.parametrize("factor", ["PASSWORD", "PASSWORD_SRP"])
def test_user_auth_select_then_password(sb, make_auth, pool_user, factor):
    sb.allow_user_auth()
    username, password = _otp_user(pool_user)
    auth = make_auth()
    result = auth.sign_in(username, auth_flow="USER_AUTH")
    assert _step(result) == "CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION"
    assert result.next_step["available_challenges"] == [
        "PASSWORD",
        "PASSWORD_SRP",
        "EMAIL_OTP",
        "SMS_OTP",
    ]
    sb.reset_calls()
    picked = auth.confirm_sign_in(factor.lower())
    assert _step(picked) == "CONFIRM_SIGN_IN_WITH_PASSWORD"
    assert sb.calls("RespondToAuthChallenge") == 0  # as Amplify: ask for the password first
    assert auth.confirm_sign_in(password).is_signed_in


def test_user_auth_refusals(sb, make_auth, pool_user):
    username, password = _otp_user(pool_user)
    auth = make_auth()
    with pytest.raises(InvalidParameterError, match="USER_AUTH flow not enabled"):
        auth.sign_in(username, password, auth_flow="USER_AUTH", preferred_challenge="PASSWORD")
    sb.allow_user_auth()
    sb.reset_calls()
    with pytest.raises(InvalidParameterError, match="WebAuthn") as err:
        auth.sign_in(username, auth_flow="USER_AUTH", preferred_challenge="WEB_AUTHN")
    assert err.value.name == "PasskeyNotSupportedException"
    with pytest.raises(InvalidParameterError, match="needs the password"):
        auth.sign_in(username, auth_flow="USER_AUTH", preferred_challenge="PASSWORD")
    with pytest.raises(InvalidParameterError, match="USER_AUTH"):
        auth.sign_in(username, password, preferred_challenge="PASSWORD")
    assert sb.calls("InitiateAuth") == 0  # refused before any call
    auth.sign_in(username, auth_flow="USER_AUTH")
    with pytest.raises(InvalidParameterError, match="WebAuthn"):
        auth.confirm_sign_in("WEB_AUTHN")
    with pytest.raises(InvalidParameterError, match="available"):
        auth.confirm_sign_in("TOTP")
    assert _step(auth.confirm_sign_in("EMAIL_OTP")) == "CONFIRM_SIGN_IN_WITH_EMAIL_CODE"


# -- autoSignIn -----------------------------------------------------------------------------


@pytest.mark.parametrize("option", [True, {"auth_flow": "USER_AUTH"}])
def test_auto_sign_in_after_confirm_sign_up(sb, make_auth, option):
    sb.allow_user_auth()
    auth = make_auth()
    name = f"auto-{uuid.uuid4().hex[:6]}"
    up = auth.sign_up(
        name, "Auto-pass-77", user_attributes={"email": f"{name}@example.com"}, auto_sign_in=option
    )
    assert up.next_step["sign_up_step"] == "CONFIRM_SIGN_UP"
    with pytest.raises(InvalidStateError) as err:
        auth.auto_sign_in()  # not confirmed yet
    assert err.value.name == "AutoSignInException"
    done = auth.confirm_sign_up(name, sb.last_code(name))
    assert done.is_sign_up_complete
    assert done.next_step == {"sign_up_step": "COMPLETE_AUTO_SIGN_IN"}
    sb.reset_calls()
    result = auth.auto_sign_in()
    assert result.is_signed_in and auth.state == "signed_in"
    by_session = option is not True
    assert sb.calls("RespondToAuthChallenge") == (0 if by_session else 1)
    assert auth.get_current_user()["username"] == name
    with pytest.raises(InvalidStateError):
        auth.auto_sign_in()  # completed


def test_auto_sign_in_when_pre_sign_up_confirms(sb, make_auth):
    @sb.trigger("pre_sign_up")
    def confirm(event):
        event["response"]["autoConfirmUser"] = True
        return event

    auth = make_auth()
    name = f"auto-c-{uuid.uuid4().hex[:6]}"
    up = auth.sign_up(name, "Auto-pass-78", auto_sign_in=True)
    assert up.is_sign_up_complete and up.next_step == {"sign_up_step": "COMPLETE_AUTO_SIGN_IN"}
    assert auth.auto_sign_in().is_signed_in


def test_confirm_sign_up_without_auto_sign_in_is_done(sb, make_auth):
    auth = make_auth()
    name = f"auto-n-{uuid.uuid4().hex[:6]}"
    auth.sign_up(name, "Auto-pass-79", user_attributes={"email": f"{name}@example.com"})
    assert auth.confirm_sign_up(name, sb.last_code(name)).next_step == {"sign_up_step": "DONE"}
    with pytest.raises(InvalidStateError):
        auth.auto_sign_in()


# -- getCurrentUser -------------------------------------------------------------------------

_OPERATIONS = (
    "GetId",
    "GetCredentialsForIdentity",
    "InitiateAuth",
    "RespondToAuthChallenge",
    "GetTokensFromRefreshToken",
    "GetUser",
)


def test_get_current_user_makes_no_call_and_survives_an_identity_pool_outage(
    sb, make_auth, pool_user
):
    username, password = pool_user()
    auth = make_auth()
    with pytest.raises(NoCredentialsError):
        auth.get_current_user()
    auth.sign_in(username, password)
    sb.reset_calls()
    sb.set_down()  # every cognito-identity operation answers 503
    user = auth.get_current_user()
    assert user["username"] == username and user["user_id"]
    assert {op: sb.calls(op) for op in _OPERATIONS} == dict.fromkeys(_OPERATIONS, 0)
