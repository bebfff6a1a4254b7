"""Turning botocore exceptions into typed :mod:`nbauth.errors`.

The service's message is kept (it never holds a secret: Cognito echoes
identity ids, not tokens); the recovery suggestion says what to do.
"""

from __future__ import annotations

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
        if cls is None:
            cls = errors.ServiceError if status >= 500 or not status else errors.AuthError
        if not message or message.startswith("<"):
            message = f"HTTP {status}" if status else "no message"
        return cls(
            f"{operation} failed: {code}: {message}",
            _RECOVERY.get(code),
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
