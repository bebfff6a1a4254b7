"""USER_AUTH and autoSignIn pieces of the user-pool client, without a network: argument checks,
Amplify's step names, and no secret in a repr or an error message."""

from __future__ import annotations

import pytest

from nbauth.cognito.auto_sign_in import auto_sign_in_not_started, start_auto_sign_in
from nbauth.cognito.sign_in_steps import step_for_challenge
from nbauth.cognito.user_auth import check_preferred_challenge, factor_choice
from nbauth.errors import InvalidParameterError

SECRET = "Hunter2-secret!"


def test_preferred_challenge_checks():
    assert check_preferred_challenge(None, None, "USER_SRP_AUTH") is None
    assert check_preferred_challenge("email_otp", None, "USER_AUTH") == "EMAIL_OTP"
    assert check_preferred_challenge("PASSWORD_SRP", SECRET, "USER_AUTH") == "PASSWORD_SRP"
    with pytest.raises(InvalidParameterError, match="needs the password"):
        check_preferred_challenge("PASSWORD", None, "USER_AUTH")
    with pytest.raises(InvalidParameterError, match="USER_AUTH"):
        check_preferred_challenge("PASSWORD", SECRET, "USER_SRP_AUTH")
    with pytest.raises(InvalidParameterError) as err:
        check_preferred_challenge("WEB_AUTHN", None, "USER_AUTH")
    assert err.value.name == "PasskeyNotSupportedException"
    with pytest.raises(InvalidParameterError) as err:
        check_preferred_challenge(SECRET, None, "USER_AUTH")
    assert SECRET not in str(err.value)


def test_factor_choice_never_echoes_the_answer():
    available = ("PASSWORD", "PASSWORD_SRP", "EMAIL_OTP")
    assert factor_choice(" email_otp ", available) == "EMAIL_OTP"
    with pytest.raises(InvalidParameterError) as err:
        factor_choice(SECRET, available)  # a password typed at the factor prompt
    assert SECRET not in str(err.value) and "EMAIL_OTP" in err.value.message
    with pytest.raises(InvalidParameterError, match="WebAuthn"):
        factor_choice("web_authn", (*available, "WEB_AUTHN"))


def test_amplify_step_names_for_user_auth():
    select = step_for_challenge("SELECT_CHALLENGE", {}, None, ("PASSWORD", "EMAIL_OTP"))
    assert select == {
        "sign_in_step": "CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION",
        "available_challenges": ["PASSWORD", "EMAIL_OTP"],
    }
    for name in ("PASSWORD", "PASSWORD_SRP"):
        assert step_for_challenge(name, {})["sign_in_step"] == "CONFIRM_SIGN_IN_WITH_PASSWORD"
    sms = step_for_challenge("SMS_OTP", {"CODE_DELIVERY_DESTINATION": "+*******0177"})
    assert sms["sign_in_step"] == "CONFIRM_SIGN_IN_WITH_SMS_CODE"
    assert step_for_challenge("EMAIL_OTP", {})["sign_in_step"] == "CONFIRM_SIGN_IN_WITH_EMAIL_CODE"


def test_auto_sign_in_options_and_repr():
    assert start_auto_sign_in(False, "ada", SECRET) is None
    auto = start_auto_sign_in(True, " ada ", SECRET)
    assert auto is not None and (auto.username, auto.auth_flow) == ("ada", "USER_SRP_AUTH")
    auto.session = "session-value"
    assert SECRET not in repr(auto) and "session-value" not in repr(auto)
    custom = start_auto_sign_in({"auth_flow": "CUSTOM_WITHOUT_SRP"}, "ada", SECRET)
    assert custom is not None and custom.password is None  # as Amplify
    with pytest.raises(InvalidParameterError, match="unknown"):
        start_auto_sign_in({"authFlowType": "USER_AUTH"}, "ada", SECRET)
    with pytest.raises(InvalidParameterError):
        start_auto_sign_in({"client_metadata": {"n": 1}}, "ada", SECRET)
    assert auto_sign_in_not_started().name == "AutoSignInException"
