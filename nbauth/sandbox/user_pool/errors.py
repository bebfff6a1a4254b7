"""Cognito's errors, with the messages Cognito uses (``AwsError`` → AWS JSON shape).

Messages were taken from Cognito's own answers as reported in SDK issues and
AWS documentation; where Cognito's wording is unknown the sandbox says what
happened plainly. botocore raises each one as the typed exception named by its
code (``client.exceptions.NotAuthorizedException``).
"""

from __future__ import annotations

from ..aws_errors import AwsError

__all__ = [
    "INCORRECT_CREDENTIALS",
    "AwsError",
    "code_mismatch",
    "expired_code",
    "invalid_parameter",
    "missing_parameter",
    "not_authorized",
    "session_expired",
    "session_invalid",
    "user_disabled",
    "user_not_confirmed",
    "user_not_found",
]

INCORRECT_CREDENTIALS = "Incorrect username or password."


def not_authorized(message: str = INCORRECT_CREDENTIALS) -> AwsError:
    """``NotAuthorizedException`` (wrong password by default)."""
    return AwsError("NotAuthorizedException", message)


def invalid_parameter(message: str) -> AwsError:
    """``InvalidParameterException``."""
    return AwsError("InvalidParameterException", message)


def missing_parameter(name: str) -> AwsError:
    """A required auth/challenge parameter is absent."""
    return invalid_parameter(f"Missing required parameter {name}")


def user_not_found(message: str = "User does not exist.") -> AwsError:
    """``UserNotFoundException``."""
    return AwsError("UserNotFoundException", message)


def user_not_confirmed() -> AwsError:
    """``UserNotConfirmedException``."""
    return AwsError("UserNotConfirmedException", "User is not confirmed.")


def user_disabled() -> AwsError:
    """A disabled user signs in or uses a token."""
    return not_authorized("User is disabled.")


def session_expired() -> AwsError:
    """An auth session older than the app client's ``AuthSessionValidity``."""
    return not_authorized("Invalid session for the user, session is expired.")


def session_invalid() -> AwsError:
    """An unknown, already used or mismatched auth session."""
    return not_authorized("Invalid session for the user.")


def code_mismatch(
    message: str = "Invalid verification code provided, please try again.",
) -> AwsError:
    """``CodeMismatchException`` (MFA challenges use "Invalid code or auth state for the user.")."""
    return AwsError("CodeMismatchException", message)


def expired_code() -> AwsError:
    """``ExpiredCodeException``: the code expired, was replaced, or was never sent."""
    return AwsError("ExpiredCodeException", "Invalid code provided, please request a code again.")
