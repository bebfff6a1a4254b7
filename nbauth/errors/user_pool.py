"""Cognito user-pool errors (sign-up, passwords, codes, Lambda triggers, challenges)."""

from __future__ import annotations

from .base import AuthError, InvalidParameterError, NotAuthorizedError

__all__ = [
    "CodeDeliveryFailureError",
    "CodeMismatchError",
    "ExpiredCodeError",
    "InvalidLambdaResponseError",
    "InvalidPasswordError",
    "LambdaValidationError",
    "PasswordResetRequiredError",
    "SignInSessionExpiredError",
    "UserNotConfirmedError",
    "UserNotFoundError",
    "UsernameExistsError",
]


class UserNotFoundError(AuthError):
    """The user pool has no such user."""

    default_recovery = "Check the username, or sign up first."


class UserNotConfirmedError(AuthError):
    """The user signed up but has not confirmed the account yet."""

    default_recovery = "Call confirm_sign_up() with the code that was sent (resend_sign_up_code())."


class UsernameExistsError(AuthError):
    """Signing up with a username that is taken."""

    default_recovery = "Sign in instead, or choose another username."


class InvalidPasswordError(InvalidParameterError):
    """The password does not meet the user pool's policy."""

    default_recovery = "Choose a password that meets the user pool's password policy."


class PasswordResetRequiredError(AuthError):
    """An administrator requires a password reset before the user can sign in."""

    default_recovery = "Call reset_password() and then confirm_reset_password()."


class CodeMismatchError(AuthError):
    """A confirmation or MFA code is wrong."""

    default_recovery = "Check the code and try again; ask for a new one if it keeps failing."


class ExpiredCodeError(AuthError):
    """A confirmation code expired."""

    default_recovery = "Ask for a new code (resend_sign_up_code() or reset_password())."


class CodeDeliveryFailureError(AuthError):
    """Cognito could not deliver a code by SMS or email."""

    retryable = True
    default_recovery = "Check the user's email/phone attributes and try again."


class LambdaValidationError(AuthError):
    """A Lambda trigger of the user pool rejected the request (``UserLambdaValidationException``).

    ``message`` carries the trigger's own message, as Cognito reports it.
    """

    default_recovery = "The user pool's Lambda trigger refused this request; see its message."


class InvalidLambdaResponseError(AuthError):
    """A Lambda trigger answered with something Cognito cannot use."""

    default_recovery = "Fix the Lambda trigger's response (see the user pool's trigger docs)."


class SignInSessionExpiredError(NotAuthorizedError):
    """The pending sign-in challenge expired (Cognito keeps it for 3 minutes)."""

    default_recovery = "Call sign_in() again and answer the challenge within 3 minutes."
