"""Turning botocore exceptions into typed :mod:`nbauth.errors`.

The service's message is kept (it never holds a secret: Cognito echoes
identity ids, not tokens); the recovery suggestion says what to do.

The error's class is decided here, once: code for code, and where Cognito gives one code to
answers that call for different handling (a forbidden identity and an untrusted token are both
``NotAuthorizedException``), by the service's fixed message, the only other signal it sends.
Callers switch on the class, never on the message.
"""

from __future__ import annotations

import re

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ReadTimeoutError,
)
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from .. import errors

__all__ = [
    "IDENTITY_POOL_OPERATIONS",
    "USER_POOL_OPERATIONS",
    "aws_operation",
    "aws_service",
    "aws_situation",
    "map_aws_error",
]

#: Cognito identity pools' operations (``cognito-identity``).
IDENTITY_POOL_OPERATIONS = frozenset(
    {
        "GetId",
        "GetCredentialsForIdentity",
        "GetOpenIdToken",
        "GetOpenIdTokenForDeveloperIdentity",
        "UnlinkIdentity",
        "DescribeIdentity",
    }
)

#: Cognito user pools' operations a signed-in (or signing-in) person calls (``cognito-idp``).
USER_POOL_OPERATIONS = frozenset(
    {
        "InitiateAuth",
        "RespondToAuthChallenge",
        "SignUp",
        "ConfirmSignUp",
        "ResendConfirmationCode",
        "ForgotPassword",
        "ConfirmForgotPassword",
        "ChangePassword",
        "GetUser",
        "GlobalSignOut",
        "RevokeToken",
        "AssociateSoftwareToken",
        "VerifySoftwareToken",
        "SetUserMFAPreference",
        "UpdateUserAttributes",
        "DeleteUserAttributes",
        "VerifyUserAttribute",
        "GetUserAttributeVerificationCode",
        "DeleteUser",
        "ConfirmDevice",
        "ForgetDevice",
        "GetDevice",
        "ListDevices",
        "UpdateDeviceStatus",
        "GetTokensFromRefreshToken",
        "StartWebAuthnRegistration",
        "CompleteWebAuthnRegistration",
        "ListWebAuthnCredentials",
        "DeleteWebAuthnCredential",
    }
)

_BY_CODE: dict[str, type[errors.AuthError]] = {
    "NotAuthorizedException": errors.NotAuthorizedError,
    "ResourceConflictException": errors.ResourceConflictError,
    "TooManyRequestsException": errors.TooManyRequestsError,
    "ThrottlingException": errors.TooManyRequestsError,
    "Throttling": errors.TooManyRequestsError,
    "LimitExceededException": errors.TooManyRequestsError,
    "InvalidIdentityPoolConfigurationException": errors.InvalidIdentityPoolConfigurationError,
    "ResourceNotFoundException": errors.ResourceNotFoundError,
    "InvalidParameterException": errors.InvalidParameterError,
    "ValidationException": errors.InvalidParameterError,
    "ExternalServiceException": errors.ServiceError,
    "InternalErrorException": errors.ServiceError,
    "ServiceUnavailable": errors.ServiceError,
    # user pools
    "UserNotFoundException": errors.UserNotFoundError,
    "UserNotConfirmedException": errors.UserNotConfirmedError,
    "UsernameExistsException": errors.UsernameExistsError,
    "InvalidPasswordException": errors.InvalidPasswordError,
    "PasswordResetRequiredException": errors.PasswordResetRequiredError,
    "CodeMismatchException": errors.CodeMismatchError,
    "ExpiredCodeException": errors.ExpiredCodeError,
    "CodeDeliveryFailureException": errors.CodeDeliveryFailureError,
    "UserLambdaValidationException": errors.LambdaValidationError,
    "InvalidLambdaResponseException": errors.InvalidLambdaResponseError,
    "UnexpectedLambdaException": errors.InvalidLambdaResponseError,
    "TooManyFailedAttemptsException": errors.NotAuthorizedError,
    "AliasExistsException": errors.UsernameExistsError,
}

# Cognito's answers that share a code but call for different handling: (code, pattern of the
# service's message) -> the subclass. The first pattern that matches wins.
_REFINED: dict[str, tuple[tuple[re.Pattern[str], type[errors.AuthError]], ...]] = {
    "NotAuthorizedException": (
        # GetCredentialsForIdentity / GetOpenIdToken: the identity id isn't this login's.
        (
            re.compile(r"^Access to Identity '[^']*' is forbidden", re.I),
            errors.IdentityForbiddenError,
        ),
        # Identity pools: "Invalid login token. Token expired: <now> >= <exp>".
        (re.compile(r"^Invalid login token\b.*\bexpired\b", re.I), errors.LoginTokenExpiredError),
        # User pools, RespondToAuthChallenge: the 3-minute challenge session ended.
        (
            re.compile(r"^Invalid session for the user, session is expired\b", re.I),
            errors.SignInSessionExpiredError,
        ),
    ),
    "ResourceNotFoundException": (
        (re.compile(r"^Identity '[^']*' not found", re.I), errors.IdentityNotFoundError),
        (re.compile(r"^IdentityPool '[^']*' not found", re.I), errors.IdentityPoolNotFoundError),
    ),
}

# Recovery suggestions by code, for every service; the user pools' own (below) come first for
# their operations: one code can mean different things to each (NotAuthorizedException is a
# wrong password to InitiateAuth, an untrusted token to GetId).
_RECOVERY = {
    "ValidationException": "Check identity_pool_id (it looks like 'us-east-1:<uuid>') and the "
    "identity id.",
    "ResourceNotFoundException": "Check auth.identity_pool_id and auth.aws_region; if the "
    "identity was deleted, nbauth gets a new one on the next call.",
    "ExternalServiceException": "The identity provider behind the pool failed; try again shortly.",
}


_USER_POOL_RECOVERY = {
    "NotAuthorizedException": "Check the username and password and try again (passwords are "
    "case-sensitive); reset the password if you have forgotten it.",
    "TooManyFailedAttemptsException": "Wait a few minutes before trying again.",
    "ResourceNotFoundException": "Check auth.user_pool_id, auth.user_pool_client_id and "
    "auth.aws_region in the configuration.",
    "InvalidParameterException": "Check the values entered; the app client may not allow this "
    "sign-in method (see the message).",
    "UserNotFoundException": "Check the username, or sign up first.",
    "LimitExceededException": "Too many attempts for now; wait a few minutes and try again.",
    "TooManyRequestsException": "Wait a moment and try again.",
}

_IDENTITY_POOL_RECOVERY = {
    "NotAuthorizedException": "Sign in again to get a fresh token, and check that the identity "
    "pool trusts this provider.",
}


# Situations Cognito tells apart only by its fixed message, under one code and class; a view
# words them differently (the class and its handling stay the same).
_SITUATIONS: tuple[tuple[str, re.Pattern[str], str, str], ...] = (
    (
        "NotAuthorizedException",
        re.compile(r"^Password attempts exceeded", re.I),
        "attempts_exceeded",
        "Too many wrong passwords: wait a few minutes before trying again, or reset the password.",
    ),
    (
        "NotAuthorizedException",
        re.compile(r"^User is disabled", re.I),
        "user_disabled",
        "The account is disabled; ask the user pool's administrator to enable it.",
    ),
    (
        "NotAuthorizedException",
        re.compile(r"^Unauthenticated access is not supported", re.I),
        "guest_disabled",
        "Sign in first, or turn on guest access in the identity pool.",
    ),
)


def _situation(code: str, message: str) -> tuple[str, str] | None:
    for known_code, pattern, key, recovery in _SITUATIONS:
        if code == known_code and pattern.search(message):
            return key, recovery
    return None


def aws_situation(error: BaseException) -> str | None:
    """A finer key (``"attempts_exceeded"``, ``"user_disabled"``, ``"guest_disabled"``) for an
    AWS answer whose code covers several situations, else ``None``."""
    underlying = getattr(error, "underlying", None)
    if not isinstance(underlying, ClientError):
        return None
    err = underlying.response.get("Error", {})
    found = _situation(str(err.get("Code") or ""), str(err.get("Message") or "").strip())
    return found[0] if found else None


def aws_service(operation: str | None) -> str | None:
    """``"user_pool"`` or ``"identity_pool"`` for a Cognito operation name, else ``None``."""
    if operation in USER_POOL_OPERATIONS:
        return "user_pool"
    if operation in IDENTITY_POOL_OPERATIONS:
        return "identity_pool"
    return None


def aws_operation(error: BaseException) -> str | None:
    """The AWS operation (``"InitiateAuth"``) whose answer ``error`` maps, when it is one."""
    underlying = getattr(error, "underlying", None)
    if isinstance(underlying, ClientError):
        return str(underlying.operation_name or "") or None
    return None


def _recovery(code: str, operation: str) -> str | None:
    service = aws_service(operation)
    if service == "user_pool" and code in _USER_POOL_RECOVERY:
        return _USER_POOL_RECOVERY[code]
    if service == "identity_pool" and code in _IDENTITY_POOL_RECOVERY:
        return _IDENTITY_POOL_RECOVERY[code]
    if code == "NotAuthorizedException":  # an unknown operation: neither service's words
        return "Sign in again; if it keeps failing, see the message."
    return _RECOVERY.get(code)


def map_aws_error(exc: BaseException, operation: str) -> errors.AuthError:
    """The typed error for a botocore exception raised by ``operation``."""
    if isinstance(exc, errors.AuthError):
        return exc
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code") or "Unknown")
        message = str(err.get("Message") or "").strip()
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        cls = _BY_CODE.get(code)
        if cls is None and status == 429:  # a proxy's or load balancer's page, no AWS error body
            cls = errors.TooManyRequestsError
        if cls is None:
            cls = errors.ServiceError if status >= 500 or not status else errors.AuthError
        situation = _situation(code, message)
        recovery = situation[1] if situation else _recovery(code, operation)
        refined = _refine(code, message)
        if refined is not None:
            cls, recovery = refined, None  # the subclass's own recovery suggestion
        if not message or message.startswith("<"):
            message = f"HTTP {status}" if status else "no message"
        return cls(
            f"{operation} failed: {code}: {message}",
            recovery,
            name=code,
            underlying=exc,
        )
    if isinstance(exc, (BotocoreConnectionError, ReadTimeoutError, ConnectionClosedError)):
        return errors.NetworkError(
            f"{operation} failed: could not reach the service ({type(exc).__name__}).",
            underlying=exc,
        )
    if isinstance(exc, BotoCoreError):
        return errors.ServiceError(
            f"{operation} failed: {type(exc).__name__}: {exc}", underlying=exc
        )
    return errors.ServiceError(
        f"{operation} failed unexpectedly: {type(exc).__name__}", underlying=exc
    )


def _refine(code: str, message: str) -> type[errors.AuthError] | None:
    """The subclass for an answer whose code alone doesn't say how to handle it."""
    for pattern, cls in _REFINED.get(code, ()):
        if pattern.search(message):
            return cls
    return None
