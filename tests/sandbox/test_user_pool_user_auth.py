"""The sandbox user pool's USER_AUTH (choice-based sign-in), over boto3, as Cognito answers it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

UserFactory = Callable[..., tuple[str, str]]
PHONE = "+12065550123"


def _initiate(sb: Any, client: Any, username: str, **params: str) -> dict[str, Any]:
    return dict(
        client.initiate_auth(
            ClientId=sb.user_pool_client_id,
            AuthFlow="USER_AUTH",
            AuthParameters={"USERNAME": username, **params},
        )
    )


def _answer(sb: Any, client: Any, step: dict[str, Any], username: str, **answers: str) -> Any:
    return client.respond_to_auth_challenge(
        ClientId=sb.user_pool_client_id,
        ChallengeName=step["ChallengeName"],
        Session=step["Session"],
        ChallengeResponses={"USERNAME": username, **answers},
    )


def _otp_user(pool_user: UserFactory) -> tuple[str, str]:
    return pool_user(email_verified="true", phone_number=PHONE, phone_number_verified="true")


def test_refused_without_allow_user_auth(sb: Any, cognito_idp: Any, pool_user: UserFactory):
    username, password = pool_user()
    with pytest.raises(cognito_idp.exceptions.InvalidParameterException, match="USER_AUTH flow"):
        _initiate(sb, cognito_idp, username, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=password)


def test_select_challenge_lists_the_factors_the_pool_and_user_allow(
    sb: Any, cognito_idp: Any, pool_user: UserFactory
) -> None:
    sb.allow_user_auth(["PASSWORD"])
    username, _ = _otp_user(pool_user)
    step = _initiate(sb, cognito_idp, username)
    assert step["ChallengeName"] == "SELECT_CHALLENGE"
    assert step["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP"]
    sb.allow_user_auth(["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"])
    step = _initiate(sb, cognito_idp, username)
    assert step["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP"]
    unverified, _ = pool_user()  # email not verified, no phone: password only
    assert _initiate(sb, cognito_idp, unverified)["AvailableChallenges"] == [
        "PASSWORD",
        "PASSWORD_SRP",
    ]
    # A preference the user cannot use (passkeys: none in the sandbox) → the choice.
    assert _initiate(sb, cognito_idp, username, PREFERRED_CHALLENGE="WEB_AUTHN")[
        "ChallengeName"
    ] == ("SELECT_CHALLENGE")
    with pytest.raises(cognito_idp.exceptions.InvalidParameterException, match="passkeys"):
        _answer(sb, cognito_idp, step, username, ANSWER="WEB_AUTHN")


def test_preferred_password_signs_in_at_once_and_wrong_one_fails(
    sb: Any, cognito_idp: Any, pool_user: UserFactory
) -> None:
    sb.allow_user_auth()
    username, password = pool_user()
    done = _initiate(sb, cognito_idp, username, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=password)
    assert done["AuthenticationResult"]["IdToken"]
    with pytest.raises(cognito_idp.exceptions.NotAuthorizedException):
        _initiate(sb, cognito_idp, username, PREFERRED_CHALLENGE="PASSWORD", PASSWORD="nope")
    # Preferred PASSWORD without the password: a PASSWORD challenge to answer.
    step = _initiate(sb, cognito_idp, username, PREFERRED_CHALLENGE="PASSWORD")
    assert step["ChallengeName"] == "PASSWORD"
    assert _answer(sb, cognito_idp, step, username, PASSWORD=password)["AuthenticationResult"]


@pytest.mark.parametrize(
    ("factor", "channel", "key"),
    [
        ("EMAIL_OTP", "email", "EMAIL_OTP_CODE"),
        ("SMS_OTP", "sms", "SMS_OTP_CODE"),
    ],
)
def test_otp_first_factor_through_the_outbox(
    sb: Any, cognito_idp: Any, pool_user: UserFactory, factor: str, channel: str, key: str
) -> None:
    sb.allow_user_auth()
    username, _ = _otp_user(pool_user)
    step = _initiate(sb, cognito_idp, username, PREFERRED_CHALLENGE=factor)
    assert step["ChallengeName"] == factor
    assert step["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == channel.upper()
    sent = sb.sent_messages(username)[-1]
    assert (sent["channel"], sent["trigger_source"]) == (channel, "CustomMessage_Authentication")
    with pytest.raises(cognito_idp.exceptions.CodeMismatchException):
        _answer(sb, cognito_idp, step, username, **{key: "000000"})
    done = _answer(sb, cognito_idp, step, username, **{key: sb.last_code(username)})
    assert done["AuthenticationResult"]["AccessToken"]


def test_select_challenge_then_email_code(sb: Any, cognito_idp: Any, pool_user: UserFactory):
    sb.allow_user_auth()
    username, _ = _otp_user(pool_user)
    select = _initiate(sb, cognito_idp, username)
    step = _answer(sb, cognito_idp, select, username, ANSWER="EMAIL_OTP")
    assert step["ChallengeName"] == "EMAIL_OTP"
    done = _answer(sb, cognito_idp, step, username, EMAIL_OTP_CODE=sb.last_code(username))
    assert done["AuthenticationResult"]["IdToken"]
    with pytest.raises(cognito_idp.exceptions.NotAuthorizedException, match="Invalid session"):
        _answer(sb, cognito_idp, select, username, ANSWER="EMAIL_OTP")  # single use


def test_select_challenge_then_password(sb: Any, cognito_idp: Any, pool_user: UserFactory):
    sb.allow_user_auth(["PASSWORD"])
    username, password = pool_user()
    select = _initiate(sb, cognito_idp, username)
    with pytest.raises(cognito_idp.exceptions.InvalidParameterException, match="PASSWORD"):
        _answer(sb, cognito_idp, select, username, ANSWER="PASSWORD")  # missing PASSWORD
    select = _initiate(sb, cognito_idp, username)
    done = _answer(sb, cognito_idp, select, username, ANSWER="PASSWORD", PASSWORD=password)
    assert done["AuthenticationResult"]["RefreshToken"]


def test_otp_is_not_offered_for_an_unknown_factor(sb: Any, cognito_idp: Any, pool_user):
    sb.allow_user_auth(["PASSWORD"])
    username, _ = _otp_user(pool_user)
    select = _initiate(sb, cognito_idp, username)
    with pytest.raises(cognito_idp.exceptions.InvalidParameterException, match="Invalid challenge"):
        _answer(sb, cognito_idp, select, username, ANSWER="EMAIL_OTP")


def test_triggers_for_user_auth(sb: Any, cognito_idp: Any, pool_user: UserFactory) -> None:
    sb.allow_user_auth()
    username, _ = _otp_user(pool_user)
    seen: list[tuple[str, Any]] = []

    def record(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
        def fn(event: dict[str, Any]) -> dict[str, Any]:
            request = event["request"]
            seen.append(
                (
                    event["triggerSource"],
                    request.get("clientMetadata", request.get("validationData")),
                )
            )
            return event

        return fn

    for name in ("pre_authentication", "post_authentication", "pre_token_generation"):
        sb.set_trigger(name, record(name))
    step = cognito_idp.initiate_auth(
        ClientId=sb.user_pool_client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": username, "PREFERRED_CHALLENGE": "EMAIL_OTP"},
        ClientMetadata={"call": "initiate"},
    )
    cognito_idp.respond_to_auth_challenge(
        ClientId=sb.user_pool_client_id,
        ChallengeName="EMAIL_OTP",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": username, "EMAIL_OTP_CODE": sb.last_code(username)},
        ClientMetadata={"call": "respond"},
    )
    assert seen == [
        ("PreAuthentication_Authentication", {"call": "initiate"}),
        ("PostAuthentication_Authentication", {"call": "respond"}),
        ("TokenGeneration_Authentication", {"call": "respond"}),
    ]


def test_sign_up_session_signs_in_after_confirmation(sb: Any, cognito_idp: Any) -> None:
    sb.allow_user_auth()
    username = f"up-auto-{uuid.uuid4().hex[:8]}"
    up = cognito_idp.sign_up(
        ClientId=sb.user_pool_client_id,
        Username=username,
        Password="Auto-pass-1",
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
    )
    assert up["Session"]
    confirmed = cognito_idp.confirm_sign_up(
        ClientId=sb.user_pool_client_id,
        Username=username,
        ConfirmationCode=sb.last_code(username),
        Session=up["Session"],
    )
    step = cognito_idp.initiate_auth(
        ClientId=sb.user_pool_client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": username},
        Session=confirmed["Session"],
    )
    assert step["AuthenticationResult"]["IdToken"]
    with pytest.raises(cognito_idp.exceptions.NotAuthorizedException, match="Invalid session"):
        cognito_idp.initiate_auth(
            ClientId=sb.user_pool_client_id,
            AuthFlow="USER_AUTH",
            AuthParameters={"USERNAME": username},
            Session=confirmed["Session"],
        )


def test_no_sessions_from_sign_up_without_user_auth(sb: Any, cognito_idp: Any) -> None:
    username = f"up-plain-{uuid.uuid4().hex[:8]}"
    up = cognito_idp.sign_up(
        ClientId=sb.user_pool_client_id, Username=username, Password="Plain-pass-1"
    )
    assert "Session" not in up
