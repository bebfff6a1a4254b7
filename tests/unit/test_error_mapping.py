"""Unit tests for nbauth.aws.error_mapping.map_aws_error: botocore exceptions -> typed errors."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoRegionError,
    ProxyConnectionError,
    ReadTimeoutError,
)

from nbauth import errors
from nbauth.aws.error_mapping import map_aws_error


def client_error(code: str, message: str, status: int, operation: str = "GetId") -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        operation,
    )


def _check_common(err: errors.AuthError, underlying: BaseException, operation: str) -> None:
    assert isinstance(err, errors.AuthError)
    assert err.underlying is underlying
    assert operation in err.message
    assert isinstance(err.recovery_suggestion, str) and err.recovery_suggestion.strip()
    assert operation in str(err)


@pytest.mark.parametrize(
    ("code", "status", "cls", "retryable"),
    [
        ("NotAuthorizedException", 400, errors.NotAuthorizedError, False),
        ("ResourceConflictException", 400, errors.ResourceConflictError, False),
        ("TooManyRequestsException", 400, errors.TooManyRequestsError, True),
        ("ThrottlingException", 400, errors.TooManyRequestsError, True),
        ("LimitExceededException", 400, errors.TooManyRequestsError, True),
        (
            "InvalidIdentityPoolConfigurationException",
            400,
            errors.InvalidIdentityPoolConfigurationError,
            False,
        ),
        ("ResourceNotFoundException", 400, errors.ResourceNotFoundError, False),
        ("ValidationException", 400, errors.InvalidParameterError, False),
        ("InvalidParameterException", 400, errors.InvalidParameterError, False),
        ("InternalErrorException", 500, errors.ServiceError, True),
        ("ExternalServiceException", 400, errors.ServiceError, True),
        ("SomethingNewException", 503, errors.ServiceError, True),
        ("SomethingNewException", 500, errors.ServiceError, True),
    ],
)
def test_client_errors(code: str, status: int, cls: type, retryable: bool) -> None:
    exc = client_error(code, "The service said no.", status)

    err = map_aws_error(exc, "GetId")

    assert type(err) is cls
    assert err.name == code
    assert err.retryable is retryable
    assert "The service said no." in err.message
    assert code in err.message
    _check_common(err, exc, "GetId")


def test_unknown_code_with_4xx_is_a_plain_auth_error() -> None:
    exc = client_error("SomethingNewException", "Nope.", 400)
    err = map_aws_error(exc, "GetCredentialsForIdentity")
    assert type(err) is errors.AuthError
    assert err.name == "SomethingNewException"
    assert err.retryable is False
    assert "Nope." in err.message
    _check_common(err, exc, "GetCredentialsForIdentity")


def test_http_429_without_an_aws_error_code_is_retryable_throttling() -> None:
    """A proxy's or load balancer's 429 page has no AWS error body: botocore names the error
    after the status ("429"). It is throttling all the same: retry with backoff."""
    exc = client_error("429", "<html>Too Many Requests</html>", 429)
    err = map_aws_error(exc, "GetCredentialsForIdentity")
    assert isinstance(err, errors.TooManyRequestsError) and err.retryable
    assert "<html>" not in err.message


@pytest.mark.parametrize("operation", ["GetId", "GetCredentialsForIdentity", "GetOpenIdToken"])
def test_message_names_the_operation(operation: str) -> None:
    exc = client_error("NotAuthorizedException", "Invalid login token.", 400, operation)
    err = map_aws_error(exc, operation)
    assert err.message.startswith(operation)
    assert "Invalid login token." in err.message


@pytest.mark.parametrize(
    "body",
    [
        "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>",
        "\n  <!DOCTYPE html><html><head><title>Error</title></head></html>",
    ],
)
def test_html_body_is_not_echoed(body: str) -> None:
    exc = client_error("BadGateway", body, 502)
    err = map_aws_error(exc, "GetId")
    assert isinstance(err, errors.ServiceError)
    assert err.retryable is True
    assert "<" not in err.message
    assert "html" not in err.message.lower()
    assert "502" in err.message
    assert "<html" not in str(err).lower()


def test_empty_message_falls_back_to_status() -> None:
    err = map_aws_error(client_error("InternalErrorException", "", 500), "GetId")
    assert "HTTP 500" in err.message


def test_client_error_without_error_details() -> None:
    exc = ClientError({"ResponseMetadata": {"HTTPStatusCode": 502}}, "GetId")
    err = map_aws_error(exc, "GetId")
    assert isinstance(err, errors.ServiceError)
    assert err.retryable is True
    assert err.underlying is exc


@pytest.mark.parametrize(
    "exc",
    [
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
        ConnectTimeoutError(endpoint_url="http://127.0.0.1:1"),
        ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
        ConnectionClosedError(endpoint_url="http://127.0.0.1:1"),
        ProxyConnectionError(proxy_url="http://proxy.invalid:3128", error="refused"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_network_errors(exc: Exception) -> None:
    err = map_aws_error(exc, "GetCredentialsForIdentity")
    assert type(err) is errors.NetworkError
    assert err.name == "NetworkError"
    assert err.retryable is True
    _check_common(err, exc, "GetCredentialsForIdentity")


def test_other_botocore_error_is_a_service_error() -> None:
    exc = NoRegionError()
    err = map_aws_error(exc, "GetId")
    assert isinstance(err, errors.ServiceError)
    _check_common(err, exc, "GetId")


def test_unexpected_exception_does_not_echo_its_text() -> None:
    exc = RuntimeError("token=eyJhbGciOiJSUzI1NiJ9.secret.sig")
    err = map_aws_error(exc, "GetId")
    assert isinstance(err, errors.ServiceError)
    assert "eyJhbGciOiJSUzI1NiJ9" not in err.message
    _check_common(err, exc, "GetId")


def test_auth_errors_pass_through() -> None:
    original = errors.NotAuthorizedError("already typed")
    assert map_aws_error(original, "GetId") is original


@pytest.mark.parametrize(
    ("cls", "retryable"),
    [
        (errors.NotAuthorizedError, False),
        (errors.ResourceConflictError, False),
        (errors.InvalidParameterError, False),
        (errors.ResourceNotFoundError, False),
        (errors.InvalidIdentityPoolConfigurationError, False),
        (errors.TooManyRequestsError, True),
        (errors.ServiceError, True),
        (errors.NetworkError, True),
        (errors.AuthError, False),
    ],
)
def test_only_throttling_5xx_and_network_are_retryable(cls: type, retryable: bool) -> None:
    assert cls("x").retryable is retryable


# -- the recovery suggestion depends on the service that answered ---------------------------


@pytest.mark.parametrize("operation", ["InitiateAuth", "RespondToAuthChallenge"])
def test_wrong_password_does_not_advise_the_identity_pools_trust(operation: str) -> None:
    """Regression (issue 12): a user pool's NotAuthorizedException (wrong password) got the
    identity pool's advice "check that the identity pool trusts this provider"."""
    exc = client_error("NotAuthorizedException", "Incorrect username or password.", 400, operation)

    err = map_aws_error(exc, operation)

    assert type(err) is errors.NotAuthorizedError
    assert "trust" not in err.recovery_suggestion
    assert "identity pool" not in err.recovery_suggestion
    assert "password" in err.recovery_suggestion


def test_identity_pools_not_authorized_keeps_the_trust_advice() -> None:
    exc = client_error("NotAuthorizedException", "Invalid login token. Issuer mismatch.", 400)
    err = map_aws_error(exc, "GetId")
    assert "trusts this provider" in err.recovery_suggestion


def test_user_pools_resource_not_found_names_the_user_pool_keys() -> None:
    exc = client_error("ResourceNotFoundException", "User pool client x does not exist.", 400)
    err = map_aws_error(exc, "InitiateAuth")
    assert "user_pool_client_id" in err.recovery_suggestion
    assert "identity_pool_id" not in err.recovery_suggestion


@pytest.mark.parametrize(
    ("message", "operation", "situation", "advice"),
    [
        ("Password attempts exceeded", "InitiateAuth", "attempts_exceeded", "wait a few minutes"),
        ("User is disabled.", "InitiateAuth", "user_disabled", "administrator"),
        (
            "Unauthenticated access is not supported for this identity pool.",
            "GetId",
            "guest_disabled",
            "guest access",
        ),
    ],
)
def test_situations_told_apart_by_message(
    message: str, operation: str, situation: str, advice: str
) -> None:
    from nbauth.aws.error_mapping import aws_situation

    err = map_aws_error(client_error("NotAuthorizedException", message, 400, operation), operation)
    assert type(err) is errors.NotAuthorizedError
    assert aws_situation(err) == situation
    assert advice in err.recovery_suggestion


def test_service_of_an_operation() -> None:
    from nbauth.aws.error_mapping import aws_operation, aws_service

    assert aws_service("InitiateAuth") == "user_pool"
    assert aws_service("GetCredentialsForIdentity") == "identity_pool"
    assert aws_service("Unknown") is None and aws_service(None) is None
    err = map_aws_error(
        client_error("NotAuthorizedException", "x", 400, "GetOpenIdToken"), "GetOpenIdToken"
    )
    assert aws_operation(err) == "GetOpenIdToken"
    assert aws_operation(errors.NetworkError("offline")) is None
