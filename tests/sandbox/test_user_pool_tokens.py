"""USER_PASSWORD_AUTH, refresh, revocation, token shape and federation through the identity pool."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from joserfc import jwt

UserFactory = Callable[..., tuple[str, str]]


def _password_auth(client: Any, client_id: str, username: str, password: str, **params: Any) -> Any:
    auth = {"USERNAME": username, "PASSWORD": password, **params.pop("extra", {})}
    return client.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=auth, **params
    )


def _claims(sb: Any, token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, sb._user_pool.state.tokens.key.private).claims)


def test_token_shapes(sb: Any, cognito_idp: Any, pool_user: UserFactory) -> None:
    username, password = pool_user(name="Ada")
    result = _password_auth(cognito_idp, sb.user_pool_client_id, username, password)
    tokens = result["AuthenticationResult"]
    assert result["ChallengeParameters"] == {}
    id_claims = _claims(sb, tokens["IdToken"])
    access = _claims(sb, tokens["AccessToken"])
    issuer = f"https://cognito-idp.{sb.region}.amazonaws.com/{sb.user_pool_id}"
    assert id_claims["iss"] == access["iss"] == issuer
    assert id_claims["aud"] == sb.user_pool_client_id
    assert id_claims["token_use"] == "id" and access["token_use"] == "access"
    assert id_claims["cognito:username"] == access["username"] == username
    assert id_claims["email"] == f"{username}@example.com" and id_claims["name"] == "Ada"
    assert id_claims["sub"] == access["sub"]
    assert access["client_id"] == sb.user_pool_client_id
    assert access["scope"] == "aws.cognito.signin.user.admin"
    assert id_claims["origin_jti"] == access["origin_jti"]
    assert id_claims["exp"] - id_claims["iat"] == 3600
    assert id_claims["auth_time"] == access["auth_time"]
    assert "aud" not in access


def test_wrong_password_unknown_user_unconfirmed_disabled(
    sb: Any, cognito_idp: Any, pool_user: UserFactory
) -> None:
    username, password = pool_user()
    errors = cognito_idp.exceptions
    with pytest.raises(
        errors.NotAuthorizedException, match=r"^.*Incorrect username or password\.$"
    ):
        _password_auth(cognito_idp, sb.user_pool_client_id, username, "Wrong-pass-1")
    with pytest.raises(errors.UserNotFoundException, match=r"User does not exist\."):
        _password_auth(cognito_idp, sb.user_pool_client_id, "no-such-user-x", password)
    sb.create_user(f"{username}-u", password, confirmed=False)
    with pytest.raises(errors.UserNotConfirmedException, match=r"User is not confirmed\."):
        _password_auth(cognito_idp, sb.user_pool_client_id, f"{username}-u", password)
    sb.disable_user(username)
    try:
        with pytest.raises(errors.NotAuthorizedException, match=r"User is disabled\."):
            _password_auth(cognito_idp, sb.user_pool_client_id, username, password)
    finally:
        sb.enable_user(username)
    assert _password_auth(cognito_idp, sb.user_pool_client_id, username, password)


def test_flow_must_be_enabled_for_the_client(sb: Any, cognito_idp: Any) -> None:
    srp_only = sb.client("cognito-idp").create_user_pool_client(
        UserPoolId=sb.user_pool_id, ClientName="srp-only", ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"]
    )["UserPoolClient"]["ClientId"]
    with pytest.raises(cognito_idp.exceptions.InvalidParameterException, match="not enabled"):
        _password_auth(cognito_idp, srp_only, sb.demo_username, sb.demo_password)
    with pytest.raises(cognito_idp.exceptions.ResourceNotFoundException):
        _password_auth(cognito_idp, "nosuchclient", sb.demo_username, sb.demo_password)


def test_secret_hash_required_and_verified(
    sb: Any, cognito_idp: Any, pool_user: UserFactory
) -> None:
    username, password = pool_user()
    client_id = sb.secret_client_id
    with pytest.raises(cognito_idp.exceptions.NotAuthorizedException) as missing:
        _password_auth(cognito_idp, client_id, username, password)
    assert missing.value.response["Error"]["Message"] == (
        f"Client {client_id} is configured with secret but SECRET_HASH was not received"
    )
    with pytest.raises(cognito_idp.exceptions.NotAuthorizedException) as wrong:
        _password_auth(
            cognito_idp, client_id, username, password, extra={"SECRET_HASH": "bm9wZQ=="}
        )
    assert wrong.value.response["Error"]["Message"] == (
        f"Unable to verify secret hash for client {client_id}"
    )
    good = {"SECRET_HASH": sb.secret_hash(username)}
    tokens = _password_auth(cognito_idp, client_id, username, password, extra=good)
    refresh = tokens["AuthenticationResult"]["RefreshToken"]
    with pytest.raises(cognito_idp.exceptions.NotAuthorizedException, match="SECRET_HASH"):
        cognito_idp.initiate_auth(
            ClientId=client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh},
        )
    refreshed = cognito_idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": refresh, **good},
    )
    assert refreshed["AuthenticationResult"]["IdToken"]
    with pytest.raises(cognito_idp.exceptions.NotAuthorizedException, match="Unable to verify"):
        cognito_idp.sign_up(ClientId=client_id, Username=f"{username}-2", Password=password)


def test_refresh_keeps_auth_time_and_gives_no_new_refresh_token(
    sb: Any, cognito_idp: Any, pool_user: UserFactory
) -> None:
    username, password = pool_user()
    first = _password_auth(cognito_idp, sb.user_pool_client_id, username, password)
    tokens = first["AuthenticationResult"]
    sb.advance_time(600)
    refreshed = cognito_idp.initiate_auth(
        ClientId=sb.user_pool_client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )["AuthenticationResult"]
    assert "RefreshToken" not in refreshed
    old, new = _claims(sb, tokens["IdToken"]), _claims(sb, refreshed["IdToken"])
    assert new["auth_time"] == old["auth_time"] and new["iat"] >= old["iat"] + 600
    assert new["origin_jti"] == old["origin_jti"]
    via_api = cognito_idp.get_tokens_from_refresh_token(
        ClientId=sb.user_pool_client_id, RefreshToken=tokens["RefreshToken"]
    )["AuthenticationResult"]
    assert via_api["AccessToken"] and "RefreshToken" not in via_api
    with pytest.raises(
        cognito_idp.exceptions.NotAuthorizedException, match="Invalid Refresh Token"
    ):
        cognito_idp.get_tokens_from_refresh_token(
            ClientId=sb.user_pool_client_id, RefreshToken="not-a-refresh-token"
        )


@pytest.mark.parametrize("how", ["GlobalSignOut", "RevokeToken", "AdminUserGlobalSignOut"])
def test_revoked_refresh_and_access_tokens(
    sb: Any, cognito_idp: Any, pool_user: UserFactory, how: str
) -> None:
    username, password = pool_user()
    tokens = _password_auth(cognito_idp, sb.user_pool_client_id, username, password)[
        "AuthenticationResult"
    ]
    assert cognito_idp.get_user(AccessToken=tokens["AccessToken"])["Username"] == username
    if how == "GlobalSignOut":
        cognito_idp.global_sign_out(AccessToken=tokens["AccessToken"])
    elif how == "RevokeToken":
        cognito_idp.revoke_token(Token=tokens["RefreshToken"], ClientId=sb.user_pool_client_id)
    else:
        sb.client("cognito-idp").admin_user_global_sign_out(
            UserPoolId=sb.user_pool_id, Username=username
        )
    for call in (
        lambda: cognito_idp.initiate_auth(
            ClientId=sb.user_pool_client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        ),
        lambda: cognito_idp.get_tokens_from_refresh_token(
            ClientId=sb.user_pool_client_id, RefreshToken=tokens["RefreshToken"]
        ),
    ):
        with pytest.raises(cognito_idp.exceptions.NotAuthorizedException) as revoked:
            call()
        assert revoked.value.response["Error"]["Message"] == "Refresh Token has been revoked"
    with pytest.raises(
        cognito_idp.exceptions.NotAuthorizedException, match="Access Token has been revoked"
    ):
        cognito_idp.get_user(AccessToken=tokens["AccessToken"])
    again = _password_auth(cognito_idp, sb.user_pool_client_id, username, password)
    assert cognito_idp.get_user(AccessToken=again["AuthenticationResult"]["AccessToken"])


def test_revoke_token_refuses_access_tokens(
    sb: Any, cognito_idp: Any, pool_user: UserFactory
) -> None:
    username, password = pool_user()
    tokens = _password_auth(cognito_idp, sb.user_pool_client_id, username, password)[
        "AuthenticationResult"
    ]
    with pytest.raises(cognito_idp.exceptions.UnsupportedTokenTypeException):
        cognito_idp.revoke_token(Token=tokens["AccessToken"], ClientId=sb.user_pool_client_id)


def test_lifetimes_and_expiry_follow_the_layer_clock(
    sb: Any, cognito_idp: Any, pool_user: UserFactory
) -> None:
    username, password = pool_user()
    sb.set_user_pool_token_lifetimes(access=300, id=600)
    tokens = _password_auth(cognito_idp, sb.user_pool_client_id, username, password)[
        "AuthenticationResult"
    ]
    assert tokens["ExpiresIn"] == 300
    id_claims = _claims(sb, tokens["IdToken"])
    assert id_claims["exp"] - id_claims["iat"] == 600
    sb.advance_time(301)
    with pytest.raises(
        cognito_idp.exceptions.NotAuthorizedException, match="Access Token has expired"
    ):
        cognito_idp.get_user(AccessToken=tokens["AccessToken"])
    with pytest.raises(ValueError):
        sb.set_user_pool_token_lifetimes(access=0)


def test_user_pool_tokens_federate_through_the_strict_identity_pool(
    sb: Any, cognito_idp: Any, identity: Any, pool_user: UserFactory
) -> None:
    username, password = pool_user()
    for client_id, extra in (
        (sb.user_pool_client_id, {}),
        (sb.secret_client_id, {"SECRET_HASH": sb.secret_hash(username)}),
    ):
        id_token = _password_auth(cognito_idp, client_id, username, password, extra=extra)[
            "AuthenticationResult"
        ]["IdToken"]
        logins = {sb.user_pool_provider_name: id_token}
        identity_id = identity.get_id(IdentityPoolId=sb.identity_pool_id, Logins=logins)[
            "IdentityId"
        ]
        credentials = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)
        assert credentials["Credentials"]["AccessKeyId"]
    access_token = _password_auth(cognito_idp, sb.user_pool_client_id, username, password)[
        "AuthenticationResult"
    ]["AccessToken"]
    with pytest.raises(identity.exceptions.NotAuthorizedException):
        identity.get_id(
            IdentityPoolId=sb.identity_pool_id, Logins={sb.user_pool_provider_name: access_token}
        )


def test_counting_and_faults_still_apply(sb: Any, cognito_idp: Any, pool_user: UserFactory) -> None:
    username, password = pool_user()
    sb.reset_calls()
    _password_auth(cognito_idp, sb.user_pool_client_id, username, password)
    assert sb.calls("InitiateAuth") == 1
    sb.fail_next("InitiateAuth", code="TooManyRequestsException")
    with pytest.raises(cognito_idp.exceptions.TooManyRequestsException):
        _password_auth(cognito_idp, sb.user_pool_client_id, username, password)
    assert sb.calls("InitiateAuth") == 2
    sb.fail_next("RespondToAuthChallenge", code="InternalErrorException", status=500)
    with pytest.raises(cognito_idp.exceptions.InternalErrorException):
        cognito_idp.respond_to_auth_challenge(
            ClientId=sb.user_pool_client_id, ChallengeName="SMS_MFA", ChallengeResponses={}
        )


def test_no_secret_reaches_the_logs(
    sb: Any,
    cognito_idp: Any,
    pool_user: UserFactory,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    import logging

    caplog.set_level(logging.DEBUG, logger="nbauth")
    caplog.set_level(logging.DEBUG, logger="werkzeug")
    username, password = pool_user(phone_number="+12065550100")
    sb.set_mfa("OPTIONAL")
    sb.set_user_mfa(username, sms=True)

    @sb.trigger("pre_token_generation")
    def boom(event: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("trigger says no")

    step = _password_auth(cognito_idp, sb.user_pool_client_id, username, password)
    code = sb.last_code(username)
    with pytest.raises(cognito_idp.exceptions.UserLambdaValidationException):
        cognito_idp.respond_to_auth_challenge(
            ClientId=sb.user_pool_client_id,
            ChallengeName="SMS_MFA",
            Session=step["Session"],
            ChallengeResponses={"USERNAME": username, "SMS_MFA_CODE": code},
        )
    sb.clear_triggers()
    step = _password_auth(cognito_idp, sb.user_pool_client_id, username, password)
    tokens = cognito_idp.respond_to_auth_challenge(
        ClientId=sb.user_pool_client_id,
        ChallengeName="SMS_MFA",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": username, "SMS_MFA_CODE": sb.last_code(username)},
    )["AuthenticationResult"]
    out, err = capfd.readouterr()
    everything = caplog.text + out + err
    secrets = [password, code, sb.last_code(username), step["Session"]]
    secrets += [tokens["AccessToken"], tokens["IdToken"], tokens["RefreshToken"]]
    for secret in secrets:
        assert str(secret) not in everything


def test_prevent_user_existence_errors_and_delete_user(
    sb: Any, cognito_idp: Any, pool_user: UserFactory
) -> None:
    from pycognito.aws_srp import AWSSRP

    client_id = sb.client("cognito-idp").create_user_pool_client(
        UserPoolId=sb.user_pool_id,
        ClientName="quiet",
        PreventUserExistenceErrors="ENABLED",
        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH"],
    )["UserPoolClient"]["ClientId"]
    ghost = AWSSRP("ghost-user", "Whatever-1", sb.user_pool_id, client_id, client=cognito_idp)
    with pytest.raises(cognito_idp.exceptions.NotAuthorizedException, match="Incorrect"):
        ghost.authenticate_user()  # a decoy PASSWORD_VERIFIER, then the usual refusal
    with pytest.raises(cognito_idp.exceptions.NotAuthorizedException, match="Incorrect"):
        _password_auth(cognito_idp, client_id, "ghost-user", "Whatever-1")
    username, password = pool_user()
    access = _password_auth(cognito_idp, client_id, username, password)["AuthenticationResult"][
        "AccessToken"
    ]
    cognito_idp.delete_user(AccessToken=access)
    with pytest.raises(cognito_idp.exceptions.NotAuthorizedException, match="Incorrect"):
        _password_auth(cognito_idp, client_id, username, password)
