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

__all__ = ["map_aws_error"]

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

_RECOVERY = {
    "ValidationException": "Check identity_pool_id (it looks like 'us-east-1:<uuid>') and the "
    "identity id.",
    "ResourceNotFoundException": "Check auth.identity_pool_id and auth.aws_region; if the "
    "identity was deleted, nbauth gets a new one on the next call.",
    "ExternalServiceException": "The identity provider behind the pool failed; try again shortly.",
}


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
        recovery = _RECOVERY.get(code)
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
