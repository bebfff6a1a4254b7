"""Sign-in challenges: new password, SMS/email/TOTP MFA, choosing and setting up MFA, sessions."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

UserFactory = Callable[..., tuple[str, str]]
PHONE = "+12065550100"


def _sign_in(sb: Any, client: Any, username: str, password: str) -> dict[str, Any]:
    return dict(
        client.initiate_auth(
            ClientId=sb.user_pool_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
    )


def _answer(sb: Any, client: Any, step: dict[str, Any], username: str, **answers: str) -> Any:
    return client.respond_to_auth_challenge(
        ClientId=sb.user_pool_client_id,
        ChallengeName=step["ChallengeName"],
        Session=step["Session"],
        ChallengeResponses={"USERNAME": username, **answers},
    )


def test_new_password_required(sb: Any, cognito_idp: Any) -> None:
    username = f"up-new-{uuid.uuid4().hex[:8]}"
    sb.create_user(
        username, temporary_password="Temp-pass-1", attributes={"email": "n@example.com"}
    )
    step = _sign_in(sb, cognito_idp, username, "Temp-pass-1")
    assert step["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    params = step["ChallengeParameters"]
    assert params["USER_ID_FOR_SRP"] == username
    assert json.loads(params["userAttributes"]) == {"email": "n@example.com"}
    with pytest.raises(cognito_idp.exceptions.InvalidPasswordException, match="not long enough"):
        _answer(sb, cognito_idp, step, username, NEW_PASSWORD="x")
    done = _answer(
        sb, cognito_idp, step, username, NEW_PASSWORD="Final-pass-1", **{"userAttributes.name": "N"}
    )
    assert done["AuthenticationResult"]["IdToken"]
    assert _sign_in(sb, cognito_idp, username, "Final-pass-1")["AuthenticationResult"]
    user = sb.client("cognito-idp").admin_get_user(UserPoolId=sb.user_pool_id, Username=username)
    assert user["UserStatus"] == "CONFIRMED"
    assert {"Name": "name", "Value": "N"} in user["UserAttributes"]


@pytest.mark.parametrize(("factor", "channel"), [("sms", "sms"), ("email", "email")])
def test_sms_and_email_codes(
    sb: Any, cognito_idp: Any, pool_user: UserFactory, factor: str, channel: str
) -> None:
    username, password = pool_user(phone_number=PHONE)
    sb.set_mfa("OPTIONAL")
    sb.set_user_mfa(username, **{factor: True})
    step = _sign_in(sb, cognito_idp, username, password)
    name = "SMS_MFA" if factor == "sms" else "EMAIL_OTP"
    assert step["ChallengeName"] == name
    medium = step["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"]
    assert medium == ("SMS" if channel == "sms" else "EMAIL")
    sent = sb.sent_messages(username)[-1]
    assert sent["channel"] == channel
    assert sent["trigger_source"] == "CustomMessage_Authentication"
    assert sent["code"] in sent["message"] and len(sent["code"]) == 6
    code_key = f"{name}_CODE" if name == "SMS_MFA" else "EMAIL_OTP_CODE"
    wrong = "000000" if sent["code"] != "000000" else "111111"
    with pytest.raises(cognito_idp.exceptions.CodeMismatchException) as mismatch:
        _answer(sb, cognito_idp, step, username, **{code_key: wrong})
    assert mismatch.value.response["Error"]["Message"] == "Invalid code or auth state for the user."
    done = _answer(sb, cognito_idp, step, username, **{code_key: sent["code"]})  # retry allowed
    assert done["AuthenticationResult"]["AccessToken"]


def test_software_token_mfa(sb: Any, cognito_idp: Any, pool_user: UserFactory) -> None:
    username, password = pool_user()
    sb.set_mfa("ON")
    secret = sb.set_user_mfa(username, totp=True)
    assert secret
    step = _sign_in(sb, cognito_idp, username, password)
    assert step["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    code = sb.totp_code(secret)
    bad = f"{(int(code) + 500000) % 1000000:06d}"
    with pytest.raises(cognito_idp.exceptions.CodeMismatchException):
        _answer(sb, cognito_idp, step, username, SOFTWARE_TOKEN_MFA_CODE=bad)
    done = _answer(sb, cognito_idp, step, username, SOFTWARE_TOKEN_MFA_CODE=code)
    assert done["AuthenticationResult"]["IdToken"]


def test_select_mfa_type(sb: Any, cognito_idp: Any, pool_user: UserFactory) -> None:
    username, password = pool_user(phone_number=PHONE)
    sb.set_mfa("OPTIONAL")
    secret = sb.set_user_mfa(username, sms=True, totp=True)
    assert secret
    step = _sign_in(sb, cognito_idp, username, password)
    assert step["ChallengeName"] == "SELECT_MFA_TYPE"
    assert json.loads(step["ChallengeParameters"]["MFAS_CAN_CHOOSE"]) == [
        "SMS_MFA",
        "SOFTWARE_TOKEN_MFA",
    ]
    with pytest.raises(cognito_idp.exceptions.InvalidParameterException):
        _answer(sb, cognito_idp, step, username, ANSWER="EMAIL_OTP")
    totp_step = _answer(sb, cognito_idp, step, username, ANSWER="SOFTWARE_TOKEN_MFA")
    assert totp_step["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    done = _answer(
        sb, cognito_idp, totp_step, username, SOFTWARE_TOKEN_MFA_CODE=sb.totp_code(secret)
    )
    assert done["AuthenticationResult"]
    sb.set_user_mfa(username, preferred="sms")  # a preference skips the choice
    assert _sign_in(sb, cognito_idp, username, password)["ChallengeName"] == "SMS_MFA"


def test_mfa_setup(sb: Any, cognito_idp: Any, pool_user: UserFactory) -> None:
    username, password = pool_user()
    sb.set_mfa("ON", sms=True, totp=True, email=False)
    step = _sign_in(sb, cognito_idp, username, password)
    assert step["ChallengeName"] == "MFA_SETUP"
    assert json.loads(step["ChallengeParameters"]["MFAS_CAN_SETUP"]) == [
        "SMS_MFA",
        "SOFTWARE_TOKEN_MFA",
    ]
    with pytest.raises(cognito_idp.exceptions.SoftwareTokenMFANotFoundException):
        _answer(sb, cognito_idp, step, username)
    step = _sign_in(sb, cognito_idp, username, password)
    associated = cognito_idp.associate_software_token(Session=step["Session"])
    secret = associated["SecretCode"]
    with pytest.raises(cognito_idp.exceptions.EnableSoftwareTokenMFAException):
        cognito_idp.verify_software_token(
            Session=associated["Session"],
            UserCode="000000" if sb.totp_code(secret) != "000000" else "111111",
        )
    verified = cognito_idp.verify_software_token(
        Session=associated["Session"], UserCode=sb.totp_code(secret)
    )
    assert verified["Status"] == "SUCCESS"
    done = cognito_idp.respond_to_auth_challenge(
        ClientId=sb.user_pool_client_id,
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": username},
    )
    assert done["AuthenticationResult"]["IdToken"]
    assert _sign_in(sb, cognito_idp, username, password)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_totp_for_a_signed_in_user_and_preferences_through_the_api(
    sb: Any, cognito_idp: Any, pool_user: UserFactory
) -> None:
    username, password = pool_user()
    sb.set_mfa("OPTIONAL")
    access = _sign_in(sb, cognito_idp, username, password)["AuthenticationResult"]["AccessToken"]
    with pytest.raises(cognito_idp.exceptions.InvalidParameterException, match="not verified"):
        cognito_idp.set_user_mfa_preference(
            AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True}
        )
    secret = cognito_idp.associate_software_token(AccessToken=access)["SecretCode"]
    assert (
        cognito_idp.verify_software_token(
            AccessToken=access, UserCode=sb.totp_code(secret), FriendlyDeviceName="phone"
        )["Status"]
        == "SUCCESS"
    )
    cognito_idp.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    user = cognito_idp.get_user(AccessToken=access)
    assert user["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"
    assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert _sign_in(sb, cognito_idp, username, password)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    sb.client("cognito-idp").admin_set_user_mfa_preference(
        UserPoolId=sb.user_pool_id,
        Username=username,
        SoftwareTokenMfaSettings={"Enabled": False},
        EmailMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    assert _sign_in(sb, cognito_idp, username, password)["ChallengeName"] == "EMAIL_OTP"


def test_pool_mfa_config_through_the_api(sb: Any, cognito_idp: Any) -> None:
    admin = sb.client("cognito-idp")
    admin.set_user_pool_mfa_config(
        UserPoolId=sb.user_pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
        EmailMfaConfiguration={"Message": "Code {####}", "Subject": "Code"},
    )
    config = admin.get_user_pool_mfa_config(UserPoolId=sb.user_pool_id)
    assert config["MfaConfiguration"] == "OPTIONAL"
    assert config["SoftwareTokenMfaConfiguration"] == {"Enabled": True}
    assert "EmailMfaConfiguration" in config


def test_sessions_expire_after_three_minutes_and_are_single_use(
    sb: Any, cognito_idp: Any, pool_user: UserFactory
) -> None:
    username, password = pool_user(phone_number=PHONE)
    sb.set_mfa("OPTIONAL")
    sb.set_user_mfa(username, sms=True)
    step = _sign_in(sb, cognito_idp, username, password)
    sb.advance_time(181)
    with pytest.raises(cognito_idp.exceptions.NotAuthorizedException) as expired:
        _answer(sb, cognito_idp, step, username, SMS_MFA_CODE=sb.last_code(username))
    assert expired.value.response["Error"]["Message"] == (
        "Invalid session for the user, session is expired."
    )
    step = _sign_in(sb, cognito_idp, username, password)
    sb.advance_time(170)
    code = sb.last_code(username)
    assert _answer(sb, cognito_idp, step, username, SMS_MFA_CODE=code)["AuthenticationResult"]
    with pytest.raises(cognito_idp.exceptions.NotAuthorizedException) as used:
        _answer(sb, cognito_idp, step, username, SMS_MFA_CODE=code)
    assert used.value.response["Error"]["Message"] == "Invalid session for the user."
    with pytest.raises(cognito_idp.exceptions.NotAuthorizedException, match="Invalid session"):
        _answer(
            sb,
            cognito_idp,
            {"ChallengeName": "SMS_MFA", "Session": "x" * 40},
            username,
            SMS_MFA_CODE=code,
        )


def test_set_user_mfa_refuses_factors_without_a_destination(
    sb: Any, pool_user: UserFactory
) -> None:
    username, _ = pool_user()
    with pytest.raises(ValueError, match="SMS_MFA"):
        sb.set_user_mfa(username, sms=True)
    with pytest.raises(LookupError):
        sb.set_user_mfa("nobody-at-all", sms=True)
