"""Call counting and fault injection, as boto3 sees them."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError


def _guest(identity: Any, sb: Any) -> str:
    return identity.get_id(IdentityPoolId=sb.identity_pool_id)["IdentityId"]


def test_calls_are_counted(sb: Any, identity: Any) -> None:
    sb.reset_calls()
    assert sb.calls("GetId") == 0
    guest = _guest(identity, sb)
    _guest(identity, sb)
    identity.get_credentials_for_identity(IdentityId=guest)
    sb.id_token()
    assert sb.calls("GetId") == 2
    assert sb.calls("GetCredentialsForIdentity") == 1
    assert sb.calls("InitiateAuth") == 1
    sb.reset_calls()
    assert sb.calls("GetId") == 0


def test_fail_next_throttles_then_recovers(sb: Any, identity: Any) -> None:
    sb.reset_calls()
    sb.fail_next("GetId", times=2)
    for _ in range(2):
        with pytest.raises(identity.exceptions.TooManyRequestsException, match="Rate exceeded"):
            _guest(identity, sb)
    assert _guest(identity, sb)
    assert sb.calls("GetId") == 3  # failed requests are counted too


@pytest.mark.parametrize(
    ("code", "status"),
    [("InternalErrorException", 500), ("ServiceUnavailable", 503), ("NotAuthorizedException", 400)],
)
def test_fail_next_with_any_code_and_status(sb: Any, identity: Any, code: str, status: int) -> None:
    guest = _guest(identity, sb)
    sb.fail_next("GetCredentialsForIdentity", code=code, status=status, message="injected")
    with pytest.raises(ClientError) as exc_info:
        identity.get_credentials_for_identity(IdentityId=guest)
    response = exc_info.value.response
    assert response["Error"]["Code"] == code
    assert response["Error"]["Message"] == "injected"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert identity.get_credentials_for_identity(IdentityId=guest)["IdentityId"] == guest


def test_fail_next_on_user_pool_operation(sb: Any) -> None:
    sb.fail_next("InitiateAuth", code="NotAuthorizedException", message="Incorrect username")
    with pytest.raises(ClientError) as exc_info:
        sb.id_token()
    assert exc_info.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert sb.id_token()


def test_set_down_answers_503_html(sb: Any, identity: Any) -> None:
    guest = _guest(identity, sb)
    sb.set_down()
    try:
        for call in (
            lambda: _guest(identity, sb),
            lambda: identity.get_credentials_for_identity(IdentityId=guest),
        ):
            with pytest.raises(ClientError) as exc_info:
                call()
            assert exc_info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        assert sb.id_token()  # the user pool is a different service: still up
    finally:
        sb.set_down(down=False)
    assert _guest(identity, sb)


def test_set_down_one_operation(sb: Any, identity: Any) -> None:
    guest = _guest(identity, sb)
    sb.set_down("GetCredentialsForIdentity")
    try:
        with pytest.raises(ClientError) as exc_info:
            identity.get_credentials_for_identity(IdentityId=guest)
        assert exc_info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        assert _guest(identity, sb)  # other operations still answer
    finally:
        sb.set_down("GetCredentialsForIdentity", down=False)
    identity.get_credentials_for_identity(IdentityId=guest)


def test_fail_next_rejects_nonsense(sb: Any) -> None:
    with pytest.raises(ValueError):
        sb.fail_next("GetId", times=0)
    with pytest.raises(ValueError):
        sb.fail_next("GetId", status=200)
