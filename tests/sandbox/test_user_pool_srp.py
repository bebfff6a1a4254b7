"""SRP-6a against the sandbox user pool, with pycognito's ``AWSSRP`` as the independent client.

pycognito (a test dependency) ports amazon-cognito-identity-js's
``AuthenticationHelper``; it talks to the sandbox through an unsigned boto3
client, exactly as it would talk to Cognito.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from joserfc import jwt
from pycognito.aws_srp import AWSSRP, N_HEX

from nbauth.sandbox.user_pool import srp_server


def _srp(sb: Any, client: Any, username: str, password: str, **kwargs: Any) -> AWSSRP:
    return AWSSRP(
        username,
        password,
        sb.user_pool_id,
        kwargs.pop("client_id", sb.user_pool_client_id),
        client=client,
        **kwargs,
    )


def test_srp_sign_in_succeeds_with_an_independent_client(
    sb: Any, cognito_idp: Any, pool_user: Callable[..., tuple[str, str]]
) -> None:
    username, password = pool_user()
    result = _srp(sb, cognito_idp, username, password).authenticate_user()
    tokens = result["AuthenticationResult"]
    claims = jwt.decode(tokens["IdToken"], sb._user_pool.state.tokens.key.private).claims
    assert claims["cognito:username"] == username
    assert claims["aud"] == sb.user_pool_client_id
    assert claims["token_use"] == "id"
    assert tokens["TokenType"] == "Bearer"
    assert tokens["ExpiresIn"] == 3600
    assert tokens["RefreshToken"]


def test_srp_wrong_password_is_refused(
    sb: Any, cognito_idp: Any, pool_user: Callable[..., tuple[str, str]]
) -> None:
    username, _ = pool_user()
    with pytest.raises(cognito_idp.exceptions.NotAuthorizedException) as refused:
        _srp(sb, cognito_idp, username, "not-the-password").authenticate_user()
    assert refused.value.response["Error"]["Message"] == "Incorrect username or password."


def test_srp_challenge_parameters_and_pinned_small_a(
    sb: Any, cognito_idp: Any, pool_user: Callable[..., tuple[str, str]]
) -> None:
    username, password = pool_user()
    srp = _srp(sb, cognito_idp, username, password)
    srp.small_a_value = 0x1234567890ABCDEF  # a small pinned private value still works
    srp.large_a_value = srp.calculate_a()
    params = srp.get_auth_params()
    started = cognito_idp.initiate_auth(
        ClientId=sb.user_pool_client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=params
    )
    assert started["ChallengeName"] == "PASSWORD_VERIFIER"
    challenge = started["ChallengeParameters"]
    assert set(challenge) == {"SALT", "SRP_B", "SECRET_BLOCK", "USER_ID_FOR_SRP", "USERNAME"}
    assert challenge["USER_ID_FOR_SRP"] == challenge["USERNAME"] == username
    assert challenge["SALT"][0] != "0"
    assert int(challenge["SRP_B"], 16) % int(N_HEX, 16) != 0
    base64.b64decode(challenge["SECRET_BLOCK"], validate=True)
    answer = srp.process_challenge(challenge, params)
    tokens = cognito_idp.respond_to_auth_challenge(  # no Session: found by the secret block
        ClientId=sb.user_pool_client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=answer,
    )
    assert tokens["AuthenticationResult"]["AccessToken"]
    with pytest.raises(cognito_idp.exceptions.NotAuthorizedException, match="Invalid session"):
        cognito_idp.respond_to_auth_challenge(  # a session is single-use
            ClientId=sb.user_pool_client_id,
            ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses=answer,
        )


@pytest.mark.parametrize("srp_a", [N_HEX, "0", format(2 * int(N_HEX, 16), "x")])
def test_srp_a_that_is_zero_mod_n_is_refused(sb: Any, cognito_idp: Any, srp_a: str) -> None:
    with pytest.raises(cognito_idp.exceptions.InvalidParameterException):
        cognito_idp.initiate_auth(
            ClientId=sb.user_pool_client_id,
            AuthFlow="USER_SRP_AUTH",
            AuthParameters={"USERNAME": sb.demo_username, "SRP_A": srp_a},
        )


def test_srp_timestamp_day_must_not_be_zero_padded(
    sb: Any, cognito_idp: Any, pool_user: Callable[..., tuple[str, str]]
) -> None:
    username, password = pool_user()
    for timestamp, accepted in (
        ("Thu Nov 05 08:00:00 UTC 2026", False),
        ("Thu Nov 5 08:00:00 UTC 2026", True),
    ):
        srp = _srp(sb, cognito_idp, username, password)
        srp.get_cognito_formatted_timestamp = lambda _dt, ts=timestamp: ts  # type: ignore[method-assign]
        if accepted:
            assert srp.authenticate_user()["AuthenticationResult"]["IdToken"]
        else:
            with pytest.raises(cognito_idp.exceptions.NotAuthorizedException):
                srp.authenticate_user()


def test_srp_with_a_client_secret(
    sb: Any, cognito_idp: Any, pool_user: Callable[..., tuple[str, str]]
) -> None:
    username, password = pool_user()
    srp = _srp(
        sb,
        cognito_idp,
        username,
        password,
        client_id=sb.secret_client_id,
        client_secret=sb.secret_client_secret,
    )
    assert srp.authenticate_user()["AuthenticationResult"]["IdToken"]
    without = _srp(sb, cognito_idp, username, password, client_id=sb.secret_client_id)
    with pytest.raises(cognito_idp.exceptions.NotAuthorizedException, match="SECRET_HASH"):
        without.authenticate_user()


def test_srp_unknown_user(sb: Any, cognito_idp: Any) -> None:
    srp = _srp(sb, cognito_idp, "nobody-here", "whatever1")
    with pytest.raises(
        cognito_idp.exceptions.UserNotFoundException, match=r"User does not exist\."
    ):
        srp.authenticate_user()


def test_server_math_matches_pycognito_without_http() -> None:
    """The two halves agree, and a wrong password or tampered block does not verify."""
    client = AWSSRP("alice", "Passw0rd!", "us-east-1_Abc", "client", client=object())
    salt = srp_server.new_salt_hex()
    verifier = srp_server.password_verifier("Abc", "alice", "Passw0rd!", salt)
    server = srp_server.SrpServerSession.start(format(client.large_a_value, "x"), verifier, salt)
    block = b"secret-block"
    challenge = {
        "USER_ID_FOR_SRP": "alice",
        "SALT": salt,
        "SRP_B": server.srp_b_hex,
        "SECRET_BLOCK": base64.b64encode(block).decode(),
    }
    answer = client.process_challenge(challenge, {"USERNAME": "alice"})
    common = {"pool_name": "Abc", "user_id_for_srp": "alice", "timestamp": answer["TIMESTAMP"]}
    signature = answer["PASSWORD_CLAIM_SIGNATURE"]
    assert server.verify(secret_block=block, signature_b64=signature, **common)
    assert not server.verify(secret_block=b"other", signature_b64=signature, **common)
    assert client.val_k == srp_server.K
    assert repr(server) == "<SrpServerSession>"
