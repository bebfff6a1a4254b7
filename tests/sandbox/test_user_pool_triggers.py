"""Lambda triggers in Python: event shapes, ClientMetadata/ValidationData routing, responses,
errors."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from joserfc import jwt
from pycognito.aws_srp import AWSSRP

import nbauth.sandbox as sandbox

UserFactory = Callable[..., tuple[str, str]]
PHONE = "+12065550100"
Record = tuple[str, str, Any, Any]


class Recorder:
    """A full trigger set that records (trigger, triggerSource, clientMetadata, validationData)."""

    def __init__(self) -> None:
        self.calls: list[Record] = []
        self.events: list[dict[str, Any]] = []

    def take(self) -> list[Record]:
        calls, self.calls = self.calls, []
        return calls

    def _record(self, name: str, event: dict[str, Any]) -> None:
        self.events.append(event)
        request = event["request"]
        self.calls.append(
            (
                name,
                event["triggerSource"],
                request.get("clientMetadata"),
                request.get("validationData"),
            )
        )

    def triggers(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        def plain(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
            def fn(event: dict[str, Any]) -> dict[str, Any]:
                self._record(name, event)
                return event

            return fn

        def define(event: dict[str, Any]) -> dict[str, Any]:
            self._record("define_auth_challenge", event)
            session = event["request"]["session"]
            if session and session[-1]["challengeName"] == "SRP_A":
                event["response"]["challengeName"] = "PASSWORD_VERIFIER"
            elif session and session[-1]["challengeName"] == "CUSTOM_CHALLENGE":
                event["response"]["issueTokens"] = bool(session[-1]["challengeResult"])
                event["response"]["failAuthentication"] = not session[-1]["challengeResult"]
            else:
                event["response"]["challengeName"] = "CUSTOM_CHALLENGE"
            return event

        def create(event: dict[str, Any]) -> dict[str, Any]:
            self._record("create_auth_challenge", event)
            event["response"]["publicChallengeParameters"] = {"q": "1+1"}
            event["response"]["privateChallengeParameters"] = {"a": "2"}
            return event

        def verify(event: dict[str, Any]) -> dict[str, Any]:
            self._record("verify_auth_challenge_response", event)
            event["response"]["answerCorrect"] = event["request"]["challengeAnswer"] == "2"
            return event

        def migrate(event: dict[str, Any]) -> dict[str, Any]:
            self._record("user_migration", event)
            event["response"]["userAttributes"] = {
                "email": "m@example.com",
                "email_verified": "true",
            }
            event["response"]["finalUserStatus"] = "CONFIRMED"
            return event

        names = (
            "pre_sign_up",
            "pre_authentication",
            "post_authentication",
            "post_confirmation",
            "pre_token_generation",
            "custom_message",
        )
        return {
            **{name: plain(name) for name in names},
            "define_auth_challenge": define,
            "create_auth_challenge": create,
            "verify_auth_challenge_response": verify,
            "user_migration": migrate,
        }


@pytest.fixture
def recorder(sb: Any) -> Recorder:
    rec = Recorder()
    sb.set_triggers(rec.triggers())
    return rec


def _cm(tag: str) -> dict[str, str]:
    return {"from": tag}


def test_sign_up_and_confirm_sign_up_routing(sb: Any, cognito_idp: Any, recorder: Recorder) -> None:
    username = f"up-rec-{uuid.uuid4().hex[:8]}"
    signed_up = cognito_idp.sign_up(
        ClientId=sb.user_pool_client_id,
        Username=username,
        Password="Pw-signup-1",
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
        ValidationData=[{"Name": "captcha", "Value": "ok"}],
        ClientMetadata=_cm("SignUp"),
    )
    assert signed_up["UserConfirmed"] is False
    assert signed_up["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert recorder.take() == [
        ("pre_sign_up", "PreSignUp_SignUp", _cm("SignUp"), {"captcha": "ok"}),
        ("custom_message", "CustomMessage_SignUp", _cm("SignUp"), None),
    ]
    cognito_idp.confirm_sign_up(
        ClientId=sb.user_pool_client_id,
        Username=username,
        ConfirmationCode=sb.last_code(username),
        ClientMetadata=_cm("ConfirmSignUp"),
    )
    assert recorder.take() == [
        ("post_confirmation", "PostConfirmation_ConfirmSignUp", _cm("ConfirmSignUp"), None)
    ]
    pre_sign_up = recorder.events[0]
    assert pre_sign_up["version"] == "1"
    assert pre_sign_up["region"] == sb.region and pre_sign_up["userPoolId"] == sb.user_pool_id
    assert pre_sign_up["userName"] == username
    assert pre_sign_up["callerContext"]["clientId"] == sb.user_pool_client_id
    assert pre_sign_up["callerContext"]["awsSdkVersion"]
    assert pre_sign_up["response"] == {
        "autoConfirmUser": False,
        "autoVerifyPhone": False,
        "autoVerifyEmail": False,
    }
    post_confirmation = recorder.events[-1]
    assert post_confirmation["request"]["userAttributes"]["cognito:user_status"] == "CONFIRMED"
    assert post_confirmation["request"]["userAttributes"]["email_verified"] == "true"


def test_password_sign_in_with_sms_mfa_routing(
    sb: Any, cognito_idp: Any, recorder: Recorder, pool_user: UserFactory
) -> None:
    username, password = pool_user(phone_number=PHONE)
    sb.set_mfa("OPTIONAL")
    sb.set_user_mfa(username, sms=True)
    recorder.take()
    step = cognito_idp.initiate_auth(
        ClientId=sb.user_pool_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
        ClientMetadata=_cm("InitiateAuth"),
    )
    assert recorder.take() == [
        ("pre_authentication", "PreAuthentication_Authentication", None, _cm("InitiateAuth")),
        ("custom_message", "CustomMessage_Authentication", None, None),
    ]
    cognito_idp.respond_to_auth_challenge(
        ClientId=sb.user_pool_client_id,
        ChallengeName="SMS_MFA",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": username, "SMS_MFA_CODE": sb.last_code(username)},
        ClientMetadata=_cm("RespondToAuthChallenge"),
    )
    assert recorder.take() == [
        (
            "post_authentication",
            "PostAuthentication_Authentication",
            _cm("RespondToAuthChallenge"),
            None,
        ),
        (
            "pre_token_generation",
            "TokenGeneration_Authentication",
            _cm("RespondToAuthChallenge"),
            None,
        ),
    ]


def test_srp_sign_in_routing(
    sb: Any, cognito_idp: Any, recorder: Recorder, pool_user: UserFactory
) -> None:
    username, password = pool_user()
    recorder.take()
    srp = AWSSRP(username, password, sb.user_pool_id, sb.user_pool_client_id, client=cognito_idp)
    params = srp.get_auth_params()
    step = cognito_idp.initiate_auth(
        ClientId=sb.user_pool_client_id,
        AuthFlow="USER_SRP_AUTH",
        AuthParameters=params,
        ClientMetadata=_cm("InitiateAuth"),
    )
    cognito_idp.respond_to_auth_challenge(
        ClientId=sb.user_pool_client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=srp.process_challenge(step["ChallengeParameters"], params),
        ClientMetadata=_cm("PasswordVerifier"),
    )
    assert recorder.take() == [
        ("pre_authentication", "PreAuthentication_Authentication", None, _cm("InitiateAuth")),
        ("post_authentication", "PostAuthentication_Authentication", _cm("PasswordVerifier"), None),
        ("pre_token_generation", "TokenGeneration_Authentication", _cm("PasswordVerifier"), None),
    ]


def test_custom_with_srp_routing(
    sb: Any, cognito_idp: Any, recorder: Recorder, pool_user: UserFactory
) -> None:
    username, password = pool_user()
    recorder.take()
    srp = AWSSRP(username, password, sb.user_pool_id, sb.user_pool_client_id, client=cognito_idp)
    params = {**srp.get_auth_params(), "CHALLENGE_NAME": "SRP_A"}
    step = cognito_idp.initiate_auth(
        ClientId=sb.user_pool_client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters=params,
        ClientMetadata=_cm("InitiateAuth"),
    )
    assert recorder.take() == [
        ("pre_authentication", "PreAuthentication_Authentication", None, _cm("InitiateAuth")),
        ("define_auth_challenge", "DefineAuthChallenge_Authentication", None, None),
    ]
    step = cognito_idp.respond_to_auth_challenge(
        ClientId=sb.user_pool_client_id,
        ChallengeName="PASSWORD_VERIFIER",
        Session=step["Session"],
        ChallengeResponses=srp.process_challenge(step["ChallengeParameters"], params),
        ClientMetadata=_cm("PasswordVerifier"),
    )
    assert recorder.take() == [
        (
            "define_auth_challenge",
            "DefineAuthChallenge_Authentication",
            _cm("PasswordVerifier"),
            None,
        ),
        (
            "create_auth_challenge",
            "CreateAuthChallenge_Authentication",
            _cm("PasswordVerifier"),
            None,
        ),
    ]
    cognito_idp.respond_to_auth_challenge(
        ClientId=sb.user_pool_client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": username, "ANSWER": "2"},
        ClientMetadata=_cm("CustomChallenge"),
    )
    source = "VerifyAuthChallengeResponse_Authentication"
    assert recorder.take() == [
        ("verify_auth_challenge_response", source, _cm("CustomChallenge"), None),
        (
            "define_auth_challenge",
            "DefineAuthChallenge_Authentication",
            _cm("CustomChallenge"),
            None,
        ),
        ("post_authentication", "PostAuthentication_Authentication", _cm("CustomChallenge"), None),
        ("pre_token_generation", "TokenGeneration_Authentication", _cm("CustomChallenge"), None),
    ]
    define_events = [e for e in recorder.events if e["triggerSource"].startswith("Define")]
    assert define_events[-1]["request"]["session"] == [
        {"challengeName": "SRP_A", "challengeResult": True, "challengeMetadata": None},
        {"challengeName": "PASSWORD_VERIFIER", "challengeResult": True, "challengeMetadata": None},
        {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": True, "challengeMetadata": None},
    ]
    assert define_events[-1]["request"]["userNotFound"] is False


def test_refresh_and_account_operations_routing(
    sb: Any, cognito_idp: Any, recorder: Recorder, pool_user: UserFactory
) -> None:
    username, password = pool_user(email_verified="true")
    recorder.take()
    tokens = cognito_idp.initiate_auth(
        ClientId=sb.user_pool_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
        ClientMetadata=_cm("InitiateAuth"),
    )["AuthenticationResult"]
    assert recorder.take() == [
        ("pre_authentication", "PreAuthentication_Authentication", None, _cm("InitiateAuth")),
        ("post_authentication", "PostAuthentication_Authentication", None, None),
        ("pre_token_generation", "TokenGeneration_Authentication", None, None),
    ]
    cognito_idp.initiate_auth(
        ClientId=sb.user_pool_client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        ClientMetadata=_cm("Refresh"),
    )
    cognito_idp.get_tokens_from_refresh_token(
        ClientId=sb.user_pool_client_id,
        RefreshToken=tokens["RefreshToken"],
        ClientMetadata=_cm("GetTokensFromRefreshToken"),
    )
    cognito_idp.update_user_attributes(
        AccessToken=tokens["AccessToken"],
        UserAttributes=[{"Name": "email", "Value": f"new-{username}@example.com"}],
        ClientMetadata=_cm("UpdateUserAttributes"),
    )
    cognito_idp.verify_user_attribute(
        AccessToken=tokens["AccessToken"], AttributeName="email", Code=sb.last_code(username)
    )
    cognito_idp.forgot_password(
        ClientId=sb.user_pool_client_id, Username=username, ClientMetadata=_cm("ForgotPassword")
    )
    cognito_idp.confirm_forgot_password(
        ClientId=sb.user_pool_client_id,
        Username=username,
        ConfirmationCode=sb.last_code(username),
        Password="Pw-reset-22",
        ClientMetadata=_cm("ConfirmForgotPassword"),
    )
    assert recorder.take() == [
        ("pre_token_generation", "TokenGeneration_RefreshTokens", None, None),
        (
            "pre_token_generation",
            "TokenGeneration_RefreshTokens",
            _cm("GetTokensFromRefreshToken"),
            None,
        ),
        ("custom_message", "CustomMessage_UpdateUserAttribute", _cm("UpdateUserAttributes"), None),
        ("custom_message", "CustomMessage_ForgotPassword", _cm("ForgotPassword"), None),
        (
            "post_confirmation",
            "PostConfirmation_ConfirmForgotPassword",
            _cm("ConfirmForgotPassword"),
            None,
        ),
    ]
    unconfirmed = f"{username}-u"
    sb.create_user(unconfirmed, password, {"email": "u@example.com"}, confirmed=False)
    cognito_idp.resend_confirmation_code(
        ClientId=sb.user_pool_client_id, Username=unconfirmed, ClientMetadata=_cm("Resend")
    )
    assert recorder.take() == [("custom_message", "CustomMessage_ResendCode", _cm("Resend"), None)]


def test_user_migration_routing(sb: Any, cognito_idp: Any, recorder: Recorder) -> None:
    username = f"up-legacy-{uuid.uuid4().hex[:8]}"
    tokens = cognito_idp.initiate_auth(
        ClientId=sb.user_pool_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": "Legacy-pass-1"},
        ClientMetadata=_cm("InitiateAuth"),
    )
    assert tokens["AuthenticationResult"]["IdToken"]
    calls = recorder.take()
    assert calls[:2] == [
        ("user_migration", "UserMigration_Authentication", None, _cm("InitiateAuth")),
        ("pre_authentication", "PreAuthentication_Authentication", None, _cm("InitiateAuth")),
    ]
    assert recorder.events[0]["request"]["password"] == "Legacy-pass-1"
    user = sb.client("cognito-idp").admin_get_user(UserPoolId=sb.user_pool_id, Username=username)
    assert user["UserStatus"] == "CONFIRMED"
    cognito_idp.forgot_password(
        ClientId=sb.user_pool_client_id, Username=f"{username}-2", ClientMetadata=_cm("Forgot")
    )
    assert recorder.take()[0] == (
        "user_migration",
        "UserMigration_ForgotPassword",
        _cm("Forgot"),
        None,
    )


def test_auto_confirm_and_auto_verify(sb: Any, cognito_idp: Any) -> None:
    seen: list[dict[str, Any]] = []

    @sb.trigger("pre_sign_up")
    def auto(event: dict[str, Any]) -> dict[str, Any]:
        event["response"]["autoConfirmUser"] = True
        event["response"]["autoVerifyEmail"] = True
        return event

    @sb.trigger("post_confirmation")
    def welcome(event: dict[str, Any]) -> dict[str, Any]:
        seen.append(event)
        return event

    username = f"up-auto-{uuid.uuid4().hex[:8]}"
    result = cognito_idp.sign_up(
        ClientId=sb.user_pool_client_id,
        Username=username,
        Password="Pw-auto-1",
        UserAttributes=[{"Name": "email", "Value": "auto@example.com"}],
        ClientMetadata=_cm("SignUp"),
    )
    assert result["UserConfirmed"] is True and "CodeDeliveryDetails" not in result
    assert sb.sent_messages(username) == []
    assert [e["request"].get("clientMetadata") for e in seen] == [_cm("SignUp")]
    tokens = cognito_idp.initiate_auth(
        ClientId=sb.user_pool_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": "Pw-auto-1"},
    )["AuthenticationResult"]
    claims = jwt.decode(tokens["IdToken"], sb._user_pool.state.tokens.key.private).claims
    assert claims["email_verified"] is True


def _id_and_access(sb: Any, tokens: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    key = sb._user_pool.state.tokens.key.private
    return (
        dict(jwt.decode(tokens["IdToken"], key).claims),
        dict(jwt.decode(tokens["AccessToken"], key).claims),
    )


def test_pre_token_generation_v1_overrides(
    sb: Any, cognito_idp: Any, pool_user: UserFactory
) -> None:
    username, password = pool_user(name="Grace")

    @sb.trigger("pre_token_generation")
    def customize(event: dict[str, Any]) -> dict[str, Any]:
        assert event["version"] == "1"
        assert event["request"]["groupConfiguration"]["groupsToOverride"] == []
        event["response"]["claimsOverrideDetails"] = {
            "claimsToAddOrOverride": {"tier": "gold", "email": "o@example.com", "sub": "nope"},
            "claimsToSuppress": ["name", "tier2"],
            "groupOverrideDetails": {"groupsToOverride": ["analysts"], "iamRolesToOverride": []},
        }
        return event

    tokens = cognito_idp.initiate_auth(
        ClientId=sb.user_pool_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )["AuthenticationResult"]
    id_claims, access = _id_and_access(sb, tokens)
    assert id_claims["tier"] == "gold" and id_claims["email"] == "o@example.com"
    assert "name" not in id_claims
    assert id_claims["sub"] != "nope"  # Cognito does not let triggers change sub
    assert id_claims["cognito:groups"] == access["cognito:groups"] == ["analysts"]
    assert "tier" not in access
    identity = sb.client("cognito-identity", signed=False)
    assert identity.get_id(
        IdentityPoolId=sb.identity_pool_id, Logins={sb.user_pool_provider_name: tokens["IdToken"]}
    )["IdentityId"]


def test_pre_token_generation_v2_overrides(
    sb: Any, cognito_idp: Any, pool_user: UserFactory
) -> None:
    username, password = pool_user()

    def customize(event: dict[str, Any]) -> dict[str, Any]:
        assert event["version"] == "2"
        assert event["request"]["scopes"] == ["aws.cognito.signin.user.admin"]
        event["response"]["claimsAndScopeOverrideDetails"] = {
            "idTokenGeneration": {"claimsToAddOrOverride": {"roles": ["a", "b"], "n": 3}},
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {"tenant": "t1"},
                "scopesToAdd": ["custom/read"],
                "scopesToSuppress": ["aws.cognito.signin.user.admin"],
            },
        }
        return event

    sb.set_trigger("pre_token_generation", customize, version="2")
    tokens = cognito_idp.initiate_auth(
        ClientId=sb.user_pool_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )["AuthenticationResult"]
    id_claims, access = _id_and_access(sb, tokens)
    assert id_claims["roles"] == ["a", "b"] and id_claims["n"] == 3
    assert access["tenant"] == "t1" and access["scope"] == "custom/read"
    with pytest.raises(ValueError):
        sb.set_trigger("pre_sign_up", customize, version="2")


def test_trigger_errors(sb: Any, cognito_idp: Any, pool_user: UserFactory) -> None:
    username, password = pool_user()

    @sb.trigger("pre_authentication")
    def deny(event: dict[str, Any]) -> dict[str, Any]:
        raise Exception("Access denied from trigger")

    auth = {"USERNAME": username, "PASSWORD": password}
    with pytest.raises(cognito_idp.exceptions.UserLambdaValidationException) as failed:
        cognito_idp.initiate_auth(
            ClientId=sb.user_pool_client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=auth
        )
    assert failed.value.response["Error"]["Message"] == (
        "PreAuthentication failed with error Access denied from trigger."
    )
    assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    sb.set_trigger("pre_authentication", None)
    sb.set_trigger("pre_token_generation", lambda event: None)  # forgot `return event`
    with pytest.raises(cognito_idp.exceptions.InvalidLambdaResponseException) as malformed:
        cognito_idp.initiate_auth(
            ClientId=sb.user_pool_client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=auth
        )
    assert malformed.value.response["Error"]["Message"] == "Unrecognizable lambda output"
    sb.clear_triggers()
    sb.set_trigger("pre_sign_up", lambda e: {**e, "response": {"autoConfirmUser": "yes"}})
    with pytest.raises(cognito_idp.exceptions.InvalidLambdaResponseException):
        cognito_idp.sign_up(
            ClientId=sb.user_pool_client_id, Username=f"{username}-x", Password="Pw-xyz-123"
        )
    with pytest.raises(ValueError, match="unknown trigger"):
        sb.set_trigger("pre_signup", lambda e: e)


def test_custom_message_texts(sb: Any, cognito_idp: Any) -> None:
    @sb.trigger("custom_message")
    def texts(event: dict[str, Any]) -> dict[str, Any]:
        code = event["request"]["codeParameter"]
        if event["triggerSource"] == "CustomMessage_SignUp":
            event["response"]["emailSubject"] = "Welcome!"
            event["response"]["emailMessage"] = f"Your code: {code} (thanks)"
        else:
            event["response"]["emailMessage"] = "no placeholder: ignored"
        return event

    username = f"up-msg-{uuid.uuid4().hex[:8]}"
    cognito_idp.sign_up(
        ClientId=sb.user_pool_client_id,
        Username=username,
        Password="Pw-msg-123",
        UserAttributes=[{"Name": "email", "Value": "msg@example.com"}],
    )
    first = sb.sent_messages(username)[-1]
    assert first["subject"] == "Welcome!"
    assert first["message"] == f"Your code: {first['code']} (thanks)"
    assert first["destination"] == "msg@example.com"
    cognito_idp.resend_confirmation_code(ClientId=sb.user_pool_client_id, Username=username)
    second = sb.sent_messages(username)[-1]
    assert second["trigger_source"] == "CustomMessage_ResendCode"
    assert second["message"] == f"Your verification code is {second['code']}. "


def test_start_with_triggers() -> None:
    calls: list[str] = []

    def pre_auth(event: dict[str, Any]) -> dict[str, Any]:
        calls.append(event["triggerSource"])
        return event

    with pytest.raises(ValueError, match="unknown trigger"):
        sandbox.start(triggers={"no_such_trigger": pre_auth})
    with sandbox.start(triggers={"pre_authentication": pre_auth}) as other:
        assert other.id_token()
    assert calls == ["PreAuthentication_Authentication"]


def test_a_trigger_may_call_the_sandbox_back(sb: Any, cognito_idp: Any) -> None:
    """A post confirmation trigger adds the user to a group over HTTP (no deadlock); pre token
    generation then sees the group and the ID token carries it."""
    admin = sb.client("cognito-idp")
    group = f"g-{uuid.uuid4().hex[:6]}"
    admin.create_group(UserPoolId=sb.user_pool_id, GroupName=group)
    seen_groups: list[list[str]] = []

    @sb.trigger("post_confirmation")
    def add_to_group(event: dict[str, Any]) -> dict[str, Any]:
        admin.admin_add_user_to_group(
            UserPoolId=event["userPoolId"], Username=event["userName"], GroupName=group
        )
        return event

    @sb.trigger("pre_token_generation")
    def look(event: dict[str, Any]) -> dict[str, Any]:
        seen_groups.append(event["request"]["groupConfiguration"]["groupsToOverride"])
        return event

    username = f"up-grp-{uuid.uuid4().hex[:8]}"
    _ = cognito_idp.sign_up(
        ClientId=sb.user_pool_client_id,
        Username=username,
        Password="Pw-group-1",
        UserAttributes=[{"Name": "email", "Value": "g@example.com"}],
    )
    cognito_idp.confirm_sign_up(
        ClientId=sb.user_pool_client_id, Username=username, ConfirmationCode=sb.last_code(username)
    )
    tokens = sb.user_pool_tokens(username, "Pw-group-1")
    claims = jwt.decode(tokens["IdToken"], sb._user_pool.state.tokens.key.private).claims
    assert claims["cognito:groups"] == [group]
    assert seen_groups == [[group]]
