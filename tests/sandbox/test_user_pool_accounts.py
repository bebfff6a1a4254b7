"""Sign-up, confirmation, password reset, attributes, password change, and input validation."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError

UserFactory = Callable[..., tuple[str, str]]


def _new_name() -> str:
    return f"up-acct-{uuid.uuid4().hex[:8]}"


def _sign_up(sb: Any, client: Any, username: str, password: str = "Pw-acct-123") -> Any:
    return client.sign_up(
        ClientId=sb.user_pool_client_id,
        Username=username,
        Password=password,
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
    )


def test_sign_up_confirm_and_sign_in(sb: Any, cognito_idp: Any) -> None:
    username = _new_name()
    result = _sign_up(sb, cognito_idp, username)
    assert result["UserConfirmed"] is False and result["UserSub"]
    assert result["CodeDeliveryDetails"] == {
        "Destination": "u***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    with pytest.raises(cognito_idp.exceptions.UsernameExistsException):
        _sign_up(sb, cognito_idp, username)
    with pytest.raises(cognito_idp.exceptions.UserNotConfirmedException):
        cognito_idp.initiate_auth(
            ClientId=sb.user_pool_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": "Pw-acct-123"},
        )
    code = sb.last_code(username)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(cognito_idp.exceptions.CodeMismatchException):
        cognito_idp.confirm_sign_up(
            ClientId=sb.user_pool_client_id, Username=username, ConfirmationCode=wrong
        )
    cognito_idp.confirm_sign_up(
        ClientId=sb.user_pool_client_id, Username=username, ConfirmationCode=code
    )
    with pytest.raises(
        cognito_idp.exceptions.NotAuthorizedException, match="Current status is CONFIRMED"
    ):
        cognito_idp.confirm_sign_up(
            ClientId=sb.user_pool_client_id, Username=username, ConfirmationCode=code
        )
    tokens = cognito_idp.initiate_auth(
        ClientId=sb.user_pool_client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": "Pw-acct-123"},
    )["AuthenticationResult"]
    attributes = {
        a["Name"]: a["Value"]
        for a in cognito_idp.get_user(AccessToken=tokens["AccessToken"])["UserAttributes"]
    }
    assert attributes["email_verified"] == "true"


def test_confirmation_codes_expire_and_are_replaced(sb: Any, cognito_idp: Any) -> None:
    username = _new_name()
    _sign_up(sb, cognito_idp, username)
    first = sb.last_code(username)
    sb.advance_time(24 * 3600 + 1)
    with pytest.raises(cognito_idp.exceptions.ExpiredCodeException) as expired:
        cognito_idp.confirm_sign_up(
            ClientId=sb.user_pool_client_id, Username=username, ConfirmationCode=first
        )
    assert expired.value.response["Error"]["Message"] == (
        "Invalid code provided, please request a code again."
    )
    resent = cognito_idp.resend_confirmation_code(
        ClientId=sb.user_pool_client_id, Username=username
    )
    assert resent["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    cognito_idp.confirm_sign_up(
        ClientId=sb.user_pool_client_id, Username=username, ConfirmationCode=sb.last_code(username)
    )
    with pytest.raises(cognito_idp.exceptions.InvalidParameterException, match="already confirmed"):
        cognito_idp.resend_confirmation_code(ClientId=sb.user_pool_client_id, Username=username)
    with pytest.raises(cognito_idp.exceptions.UserNotFoundException):
        cognito_idp.resend_confirmation_code(ClientId=sb.user_pool_client_id, Username="nobody-zz")


def test_sign_up_password_policy_and_secret_client(sb: Any, cognito_idp: Any) -> None:
    with pytest.raises(cognito_idp.exceptions.InvalidPasswordException, match="not long enough"):
        _sign_up(sb, cognito_idp, _new_name(), password="abc")
    username = _new_name()
    with pytest.raises(cognito_idp.exceptions.NotAuthorizedException) as missing:
        cognito_idp.sign_up(ClientId=sb.secret_client_id, Username=username, Password="Pw-acct-123")
    assert missing.value.response["Error"]["Message"] == (
        f"Unable to verify secret hash for client {sb.secret_client_id}"
    )
    result = cognito_idp.sign_up(
        ClientId=sb.secret_client_id,
        Username=username,
        Password="Pw-acct-123",
        SecretHash=sb.secret_hash(username),
        UserAttributes=[{"Name": "email", "Value": "s@example.com"}],
    )
    assert result["UserConfirmed"] is False
    with pytest.raises(cognito_idp.exceptions.NotAuthorizedException, match="secret hash"):
        cognito_idp.confirm_sign_up(
            ClientId=sb.secret_client_id, Username=username, ConfirmationCode=sb.last_code(username)
        )


def test_forgot_and_confirm_forgot_password(
    sb: Any, cognito_idp: Any, pool_user: UserFactory
) -> None:
    username, password = pool_user(email_verified="true")
    details = cognito_idp.forgot_password(ClientId=sb.user_pool_client_id, Username=username)
    assert details["CodeDeliveryDetails"]["AttributeName"] == "email"
    sent = sb.sent_messages(username)[-1]
    assert sent["trigger_source"] == "CustomMessage_ForgotPassword"
    with pytest.raises(cognito_idp.exceptions.CodeMismatchException):
        cognito_idp.confirm_forgot_password(
            ClientId=sb.user_pool_client_id,
            Username=username,
            ConfirmationCode="000000" if sent["code"] != "000000" else "111111",
            Password="Pw-new-456",
        )
    cognito_idp.confirm_forgot_password(
        ClientId=sb.user_pool_client_id,
        Username=username,
        ConfirmationCode=sent["code"],
        Password="Pw-new-456",
    )
    with pytest.raises(ClientError) as old_password:  # sb's own client: another class
        sb.user_pool_tokens(username, password)
    assert old_password.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert sb.user_pool_tokens(username, "Pw-new-456")["IdToken"]
    with pytest.raises(cognito_idp.exceptions.ExpiredCodeException):
        cognito_idp.confirm_forgot_password(
            ClientId=sb.user_pool_client_id,
            Username=username,
            ConfirmationCode=sent["code"],
            Password="Pw-new-789",
        )
    unverified, _ = pool_user()
    with pytest.raises(cognito_idp.exceptions.InvalidParameterException, match="no registered"):
        cognito_idp.forgot_password(ClientId=sb.user_pool_client_id, Username=unverified)
    with pytest.raises(cognito_idp.exceptions.UserNotFoundException):
        cognito_idp.forgot_password(ClientId=sb.user_pool_client_id, Username="nobody-yy")


def test_update_and_verify_email_and_change_password(
    sb: Any, cognito_idp: Any, pool_user: UserFactory
) -> None:
    username, password = pool_user(email_verified="true")
    access = sb.user_pool_tokens(username, password)["AccessToken"]
    result = cognito_idp.update_user_attributes(
        AccessToken=access,
        UserAttributes=[
            {"Name": "email", "Value": "changed@example.com"},
            {"Name": "name", "Value": "Changed"},
        ],
    )
    assert result["CodeDeliveryDetailsList"] == [
        {"Destination": "c***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    ]

    def attributes() -> dict[str, str]:
        user = cognito_idp.get_user(AccessToken=access)
        return {a["Name"]: a["Value"] for a in user["UserAttributes"]}

    assert attributes()["email_verified"] == "false" and attributes()["name"] == "Changed"
    cognito_idp.verify_user_attribute(
        AccessToken=access, AttributeName="email", Code=sb.last_code(username)
    )
    assert attributes()["email_verified"] == "true"
    with pytest.raises(cognito_idp.exceptions.InvalidParameterException, match="non-mutable"):
        cognito_idp.update_user_attributes(
            AccessToken=access, UserAttributes=[{"Name": "sub", "Value": "x"}]
        )
    with pytest.raises(cognito_idp.exceptions.NotAuthorizedException):
        cognito_idp.change_password(
            AccessToken=access, PreviousPassword="Wrong-one-1", ProposedPassword="Pw-next-1"
        )
    cognito_idp.change_password(
        AccessToken=access, PreviousPassword=password, ProposedPassword="Pw-next-1"
    )
    assert sb.user_pool_tokens(username, "Pw-next-1")["AccessToken"]
    with pytest.raises(cognito_idp.exceptions.NotAuthorizedException, match="Invalid Access Token"):
        cognito_idp.get_user(AccessToken="not.a.token")


def test_client_metadata_values_must_be_strings(sb: Any, cognito_idp: Any) -> None:
    """boto3 refuses non-strings itself; with its validation off, the sandbox refuses them."""
    with pytest.raises(ParamValidationError):
        cognito_idp.sign_up(
            ClientId=sb.user_pool_client_id, Username="x", Password="y", ClientMetadata={"n": 1}
        )
    raw = boto3.session.Session().client(
        "cognito-idp",
        endpoint_url=sb.aws_endpoint_url,
        region_name=sb.region,
        config=Config(
            signature_version=UNSIGNED,
            parameter_validation=False,
            retries={"total_max_attempts": 1},
        ),
    )
    for call in (
        lambda: raw.sign_up(
            ClientId=sb.user_pool_client_id,
            Username=_new_name(),
            Password="Pw-acct-123",
            ClientMetadata={"n": 1},
        ),
        lambda: raw.initiate_auth(
            ClientId=sb.user_pool_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": sb.demo_username, "PASSWORD": sb.demo_password},
            ClientMetadata={"flag": True},
        ),
    ):
        with pytest.raises(raw.exceptions.InvalidParameterException, match="clientMetadata"):
            call()
