"""Unit tests for nbauth.notebook.error_messages.describe: every error in words a person reads."""

from __future__ import annotations

import re

import pytest
import requests
from botocore.exceptions import ClientError, EndpointConnectionError

from nbauth import errors
from nbauth.aws.error_mapping import map_aws_error
from nbauth.notebook.error_messages import HumanMessage, describe

EXCEPTION_NAME = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+(?:Error|Exception)\b|failed:")


def aws(code: str, message: str, operation: str, status: int = 400) -> errors.AuthError:
    """The typed error nbauth raises for Cognito's answer ``code`` to ``operation``."""
    exc = ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        operation,
    )
    return map_aws_error(exc, operation)


def _check_words(words: HumanMessage, error: errors.AuthError) -> None:
    assert words.title and words.advice
    assert not EXCEPTION_NAME.search(words.title), words.title
    assert error.name not in words.title
    assert words.details == f"{error.name}: {error.message}"


# (error, words expected in the title, words expected in the advice, words the advice lacks)
CASES: list[tuple[errors.AuthError, str, str, str | None]] = [
    (
        aws("NotAuthorizedException", "Incorrect username or password.", "RespondToAuthChallenge"),
        "Wrong username or password",
        "case-sensitive",
        "identity pool",
    ),
    (
        aws("NotAuthorizedException", "Incorrect username or password.", "InitiateAuth"),
        "Wrong username or password",
        "try again",
        "trusts",
    ),
    (
        aws("NotAuthorizedException", "Invalid login token. Issuer doesn't match.", "GetId"),
        "identity pool refused",
        "trusts this provider",
        None,
    ),
    (
        aws("NotAuthorizedException", "Password attempts exceeded", "InitiateAuth"),
        "Too many wrong passwords",
        "Wait a few minutes",
        "trusts",
    ),
    (
        aws("NotAuthorizedException", "User is disabled.", "InitiateAuth"),
        "account is disabled",
        "administrator",
        None,
    ),
    (
        aws(
            "NotAuthorizedException",
            "Unauthenticated access is not supported for this identity pool.",
            "GetId",
        ),
        "Guest access is off",
        "Sign in first",
        None,
    ),
    (
        aws(
            "TooManyFailedAttemptsException", "Too many failed attempts.", "RespondToAuthChallenge"
        ),
        "Too many wrong attempts",
        "Wait",
        "trusts",
    ),
    (
        aws(
            "NotAuthorizedException",
            "Invalid session for the user, session is expired.",
            "RespondToAuthChallenge",
        ),
        "sign-in step expired",
        "3 minutes",
        "trusts",
    ),
    (
        aws("NotAuthorizedException", "Invalid login token. Token expired: 1 >= 0", "GetId"),
        "sign-in has expired",
        "Sign in again",
        None,
    ),
    (
        aws("CodeMismatchException", "Invalid code received for user", "RespondToAuthChallenge"),
        "Wrong code",
        "type it again",
        None,
    ),
    (
        aws(
            "ExpiredCodeException",
            "Invalid code provided, please request a code again.",
            "ConfirmSignUp",
        ),
        "code has expired",
        "new code",
        None,
    ),
    (
        aws("UserNotFoundException", "User does not exist.", "InitiateAuth"),
        "No account with that username",
        "username",
        None,
    ),
    (
        aws(
            "PasswordResetRequiredException", "Password reset required for the user", "InitiateAuth"
        ),
        "reset your password",
        "Reset the password",
        None,
    ),
    (
        aws(
            "LimitExceededException",
            "Attempt limit exceeded, please try after some time.",
            "ForgotPassword",
        ),
        "Too many attempts",
        "Wait",
        None,
    ),
    (aws("TooManyRequestsException", "Rate exceeded", "GetId"), "Too many attempts", "Wait", None),
    (
        aws(
            "InvalidPasswordException",
            "Password does not conform to policy: Password not long enough",
            "RespondToAuthChallenge",
        ),
        "password rules",
        "rules in the details",
        None,
    ),
    (
        aws("EnableSoftwareTokenMFAException", "Code mismatch", "VerifySoftwareToken"),
        "Wrong code",
        "authenticator app",
        None,
    ),
    (
        aws("UserNotConfirmedException", "User is not confirmed.", "InitiateAuth"),
        "isn't confirmed",
        "confirmation code",
        None,
    ),
    (
        aws("ResourceNotFoundException", "User pool client abc does not exist.", "InitiateAuth"),
        "user pool or its app client",
        "user_pool_client_id",
        "identity_pool_id",
    ),
    (
        aws("ResourceNotFoundException", "IdentityPool 'us-east-1:x' not found.", "GetId"),
        "identity pool doesn't exist",
        "identity_pool_id",
        None,
    ),
    (
        aws("InternalErrorException", "boom", "GetId", 500),
        "service had a problem",
        "Try again",
        None,
    ),
    (
        errors.AccessDeniedError(
            "Sign-in failed: access_denied: The resource owner denied the request",
            name="access_denied",
        ),
        "declined",
        "Allow",
        "trusts",
    ),
    (
        errors.ExpiredDeviceCodeError(
            "The device code expired before it was approved.", name="expired_token"
        ),
        "code expired",
        "before it expires",
        None,
    ),
    (
        errors.CallbackValidationError(
            "The redirect's state does not match this sign-in.", name="state_mismatch"
        ),
        "another sign-in",
        "newest",
        None,
    ),
    (
        errors.CallbackValidationError(
            "The redirect came from issuer 'x', not 'y'.", name="issuer_mismatch"
        ),
        "different provider",
        "issuer",
        None,
    ),
    (
        errors.CallbackValidationError(
            "The redirect carries no authorization code.", name="code_missing"
        ),
        "incomplete",
        "whole address",
        None,
    ),
    (
        errors.SignInSessionExpiredError("The sign-in challenge expired."),
        "step expired",
        "3 minutes",
        None,
    ),
    (errors.UserNotFoundError("User does not exist."), "No account", "sign up", None),
    (
        errors.PasswordResetRequiredError("Password reset required."),
        "reset your password",
        "code",
        None,
    ),
    (
        errors.InsecureEndpointError("The issuer http://idp.example is not https."),
        "isn't secure",
        "https://",
        None,
    ),
    (
        errors.MissingIdTokenError("The token response has no id_token.", name="missing_id_token"),
        "didn't say who signed in",
        "openid",
        None,
    ),
    (
        errors.TokenVerificationError("The ID token's audience is not this client."),
        "couldn't be verified",
        "clock",
        None,
    ),
    (
        errors.InvalidGrantError("Token refresh failed: invalid_grant", name="invalid_grant"),
        "session at the identity provider has ended",
        "Sign in again",
        None,
    ),
    (errors.SignInCancelledError("The sign-in was cancelled."), "cancelled", "ready", None),
    (errors.SignInTimeoutError("The sign-in timed out."), "took too long", "time shown", None),
    (
        errors.DiscoveryError("Discovery failed: HTTP 404."),
        "identity provider's settings",
        "openid-configuration",
        None,
    ),
]


@pytest.mark.parametrize(
    ("error", "title", "advice", "not_advice"), CASES, ids=lambda v: getattr(v, "name", None)
)
def test_catalogue_entry(
    error: errors.AuthError, title: str, advice: str, not_advice: str | None
) -> None:
    words = describe(error)
    _check_words(words, error)
    assert title.lower() in words.title.lower(), words.title
    assert advice.lower() in words.advice.lower(), words.advice
    if not_advice is not None:
        assert not_advice.lower() not in words.advice.lower(), words.advice


def test_wrong_password_never_advises_the_identity_pools_trust() -> None:
    for operation in ("InitiateAuth", "RespondToAuthChallenge"):
        error = aws("NotAuthorizedException", "Incorrect username or password.", operation)
        assert "trust" not in describe(error).advice
        assert "trust" not in error.recovery_suggestion


def test_network_error_names_the_host() -> None:
    underlying = requests.ConnectionError(
        "nope", request=requests.Request("POST", "https://idp.example.com/token").prepare()
    )
    error = errors.NetworkError(
        "Token request failed: could not reach idp.example.com.", underlying=underlying
    )
    words = describe(error)
    assert words.title == "Can't reach idp.example.com"
    assert "connection" in words.advice


def test_network_error_from_aws_names_the_endpoint() -> None:
    error = map_aws_error(
        EndpointConnectionError(endpoint_url="https://cognito-idp.eu-west-1.amazonaws.com/"),
        "InitiateAuth",
    )
    assert describe(error).title == "Can't reach cognito-idp.eu-west-1.amazonaws.com"


def test_deadline_and_unknown_place() -> None:
    words = describe(errors.DeadlineExceededError("Token request did not finish in 30 s."))
    assert words.title.startswith("Can't reach the sign-in service")
    assert "{where}" not in words.title


def test_unknown_name_falls_back_to_the_class_and_its_suggestion() -> None:
    error = errors.AuthError("Something new.", "Do the new thing.", name="SomethingNewException")
    words = describe(error)
    assert words.title == "Signing in didn't work"
    assert words.advice == "Do the new thing."


def test_not_an_auth_error_shows_only_its_type() -> None:
    words = describe(ValueError("password=hunter2"))
    assert "hunter2" not in words.title + words.advice + words.details
    assert words.details == "ValueError"


@pytest.mark.parametrize("name", errors.__all__)
def test_every_public_error_has_a_title_and_advice(name: str) -> None:
    cls = getattr(errors, name)
    assert issubclass(cls, errors.AuthError)
    error = cls("The message.")
    words = describe(error)
    assert words.title and words.title != name and name not in words.title
    assert not EXCEPTION_NAME.search(words.title), words.title
    assert words.advice.strip()
    assert words.details == f"{name}: The message."


def test_every_public_error_has_its_own_catalogue_entry() -> None:
    """Each public class is named in the catalogue (a new error class needs words of its own)."""
    from nbauth.notebook.error_messages import _BY_CLASS

    missing = [name for name in errors.__all__ if getattr(errors, name) not in _BY_CLASS]
    assert missing == []
