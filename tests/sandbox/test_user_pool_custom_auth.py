"""CUSTOM_AUTH with define/create/verify triggers, with and without SRP (CUSTOM_WITH_SRP)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pycognito.aws_srp import AWSSRP

UserFactory = Callable[..., tuple[str, str]]


def _define(event: dict[str, Any]) -> dict[str, Any]:
    """One math question (after SRP when the client started with SRP_A); three tries."""
    session = event["request"]["session"]
    response = event["response"]
    last = session[-1] if session else None
    if last and last["challengeName"] == "SRP_A":
        response["challengeName"] = "PASSWORD_VERIFIER"
    elif last and last["challengeName"] == "CUSTOM_CHALLENGE" and last["challengeResult"]:
        response["issueTokens"] = True
    elif sum(1 for s in session if s["challengeName"] == "CUSTOM_CHALLENGE") >= 3:
        response["failAuthentication"] = True
    else:
        response["challengeName"] = "CUSTOM_CHALLENGE"
    return event


def _create(event: dict[str, Any]) -> dict[str, Any]:
    event["response"]["publicChallengeParameters"] = {"question": "6 * 7"}
    event["response"]["privateChallengeParameters"] = {"answer": "42"}
    event["response"]["challengeMetadata"] = "MATH"
    return event


def _verify(event: dict[str, Any]) -> dict[str, Any]:
    request = event["request"]
    event["response"]["answerCorrect"] = (
        request["challengeAnswer"] == request["privateChallengeParameters"]["answer"]
    )
    return event


@pytest.fixture
def math_sb(sb: Any) -> Any:
    sb.set_triggers(
        {
            "define_auth_challenge": _define,
            "create_auth_challenge": _create,
            "verify_auth_challenge_response": _verify,
        }
    )
    return sb


def _answer(sb: Any, client: Any, step: dict[str, Any], username: str, answer: str) -> Any:
    return client.respond_to_auth_challenge(
        ClientId=sb.user_pool_client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": username, "ANSWER": answer},
    )


def test_custom_auth_math_question(math_sb: Any, cognito_idp: Any, pool_user: UserFactory) -> None:
    username, _ = pool_user()
    step = cognito_idp.initiate_auth(
        ClientId=math_sb.user_pool_client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": username},
    )
    assert step["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert step["ChallengeParameters"] == {"question": "6 * 7", "USERNAME": username}
    step = _answer(math_sb, cognito_idp, step, username, "41")  # wrong: define asks again
    assert step["ChallengeName"] == "CUSTOM_CHALLENGE"
    done = _answer(math_sb, cognito_idp, step, username, "42")
    assert done["AuthenticationResult"]["IdToken"]


def test_custom_auth_fails_after_three_wrong_answers(
    math_sb: Any, cognito_idp: Any, pool_user: UserFactory
) -> None:
    username, _ = pool_user()
    step = cognito_idp.initiate_auth(
        ClientId=math_sb.user_pool_client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={"USERNAME": username},
    )
    step = _answer(math_sb, cognito_idp, step, username, "1")
    step = _answer(math_sb, cognito_idp, step, username, "2")
    with pytest.raises(cognito_idp.exceptions.NotAuthorizedException, match="Incorrect username"):
        _answer(math_sb, cognito_idp, step, username, "3")


def test_custom_with_srp(math_sb: Any, cognito_idp: Any, pool_user: UserFactory) -> None:
    username, password = pool_user()
    sessions: list[list[str]] = []

    def define(event: dict[str, Any]) -> dict[str, Any]:
        sessions.append([s["challengeName"] for s in event["request"]["session"]])
        return _define(event)

    math_sb.set_trigger("define_auth_challenge", define)
    srp = AWSSRP(
        username, password, math_sb.user_pool_id, math_sb.user_pool_client_id, client=cognito_idp
    )
    params = {**srp.get_auth_params(), "CHALLENGE_NAME": "SRP_A"}
    step = cognito_idp.initiate_auth(
        ClientId=math_sb.user_pool_client_id, AuthFlow="CUSTOM_AUTH", AuthParameters=params
    )
    assert step["ChallengeName"] == "PASSWORD_VERIFIER"
    answer = srp.process_challenge(step["ChallengeParameters"], params)
    step = cognito_idp.respond_to_auth_challenge(
        ClientId=math_sb.user_pool_client_id,
        ChallengeName="PASSWORD_VERIFIER",
        Session=step["Session"],
        ChallengeResponses=answer,
    )
    assert step["ChallengeName"] == "CUSTOM_CHALLENGE"
    done = _answer(math_sb, cognito_idp, step, username, "42")
    assert done["AuthenticationResult"]["AccessToken"]
    assert sessions == [
        ["SRP_A"],
        ["SRP_A", "PASSWORD_VERIFIER"],
        ["SRP_A", "PASSWORD_VERIFIER", "CUSTOM_CHALLENGE"],
    ]
    wrong = AWSSRP(
        username,
        "Wrong-pass-9",
        math_sb.user_pool_id,
        math_sb.user_pool_client_id,
        client=cognito_idp,
    )
    params = {**wrong.get_auth_params(), "CHALLENGE_NAME": "SRP_A"}
    step = cognito_idp.initiate_auth(
        ClientId=math_sb.user_pool_client_id, AuthFlow="CUSTOM_AUTH", AuthParameters=params
    )
    with pytest.raises(cognito_idp.exceptions.NotAuthorizedException):
        cognito_idp.respond_to_auth_challenge(
            ClientId=math_sb.user_pool_client_id,
            ChallengeName="PASSWORD_VERIFIER",
            Session=step["Session"],
            ChallengeResponses=wrong.process_challenge(step["ChallengeParameters"], params),
        )


def test_custom_auth_needs_the_triggers(sb: Any, cognito_idp: Any) -> None:
    with pytest.raises(cognito_idp.exceptions.InvalidParameterException) as refused:
        cognito_idp.initiate_auth(
            ClientId=sb.user_pool_client_id,
            AuthFlow="CUSTOM_AUTH",
            AuthParameters={"USERNAME": sb.demo_username},
        )
    assert refused.value.response["Error"]["Message"] == (
        "Custom auth lambda trigger is not configured for the user pool."
    )


def test_define_returning_nonsense_is_an_invalid_lambda_response(
    math_sb: Any, cognito_idp: Any
) -> None:
    math_sb.set_trigger("define_auth_challenge", lambda event: {**event, "response": {"x": 1}})
    with pytest.raises(cognito_idp.exceptions.InvalidLambdaResponseException):
        cognito_idp.initiate_auth(
            ClientId=math_sb.user_pool_client_id,
            AuthFlow="CUSTOM_AUTH",
            AuthParameters={"USERNAME": math_sb.demo_username},
        )
