"""Typed errors: every failure nbauth reports is an :class:`AuthError`.

Each error carries Amplify's fields: ``name`` (a stable identifier you can
switch on), ``message``, ``recovery_suggestion`` (what to do about it) and
``underlying`` (the exception that caused it, if any).

Errors are split by what a caller can do about them:

* ``retryable = True`` — network failures, throttling, 5xx: nothing is wrong
  with the session; nbauth keeps tokens, identity ids and cached credentials
  and retries with backoff.
* ``retryable = False`` — definitive answers (not authorized, bad input,
  misconfiguration): retrying the same call will not help.

Example::

    from nbauth.errors import AuthError, NotAuthorizedError
    try:
        nbauth.federate_to_identity_pool(token, "accounts.google.com")
    except NotAuthorizedError as err:
        print(err.message, "->", err.recovery_suggestion)
"""

from __future__ import annotations

from .base import (
    AuthError,
    ConfigurationError,
    IdentityForbiddenError,
    IdentityNotFoundError,
    IdentityPoolNotFoundError,
    InvalidIdentityPoolConfigurationError,
    InvalidParameterError,
    InvalidStateError,
    InvalidTokenError,
    LoginTokenExpiredError,
    NoCredentialsError,
    NotAuthorizedError,
    ProviderTokenExpiredError,
    ResourceConflictError,
    ResourceNotFoundError,
)
from .oauth import (
    AccessDeniedError,
    CallbackValidationError,
    DiscoveryError,
    ExpiredDeviceCodeError,
    InvalidClientError,
    InvalidGrantError,
    InvalidScopeError,
    MissingIdTokenError,
    OAuthError,
    SignInCancelledError,
    SignInTimeoutError,
    TokenVerificationError,
    UnauthorizedClientError,
    UserAlreadyAuthenticatedError,
)
from .sharing import SharedCredentialsLapsedError
from .transport import (
    DeadlineExceededError,
    InsecureEndpointError,
    NetworkError,
    RedirectRefusedError,
    ResponseTooLargeError,
    ServiceError,
    TooManyRequestsError,
    UnsafeStorageError,
)
from .user_pool import (
    CodeDeliveryFailureError,
    CodeMismatchError,
    ExpiredCodeError,
    InvalidLambdaResponseError,
    InvalidPasswordError,
    LambdaValidationError,
    PasswordResetRequiredError,
    SignInSessionExpiredError,
    UsernameExistsError,
    UserNotConfirmedError,
    UserNotFoundError,
)

__all__ = [
    "AccessDeniedError",
    "AuthError",
    "CallbackValidationError",
    "CodeDeliveryFailureError",
    "CodeMismatchError",
    "ConfigurationError",
    "DeadlineExceededError",
    "DiscoveryError",
    "ExpiredCodeError",
    "ExpiredDeviceCodeError",
    "IdentityForbiddenError",
    "IdentityNotFoundError",
    "IdentityPoolNotFoundError",
    "InsecureEndpointError",
    "InvalidClientError",
    "InvalidGrantError",
    "InvalidIdentityPoolConfigurationError",
    "InvalidLambdaResponseError",
    "InvalidParameterError",
    "InvalidPasswordError",
    "InvalidScopeError",
    "InvalidStateError",
    "InvalidTokenError",
    "LambdaValidationError",
    "LoginTokenExpiredError",
    "MissingIdTokenError",
    "NetworkError",
    "NoCredentialsError",
    "NotAuthorizedError",
    "OAuthError",
    "PasswordResetRequiredError",
    "ProviderTokenExpiredError",
    "RedirectRefusedError",
    "ResourceConflictError",
    "ResourceNotFoundError",
    "ResponseTooLargeError",
    "ServiceError",
    "SharedCredentialsLapsedError",
    "SignInCancelledError",
    "SignInSessionExpiredError",
    "SignInTimeoutError",
    "TokenVerificationError",
    "TooManyRequestsError",
    "UnauthorizedClientError",
    "UnsafeStorageError",
    "UserAlreadyAuthenticatedError",
    "UserNotConfirmedError",
    "UserNotFoundError",
    "UsernameExistsError",
]

# One public home: tracebacks, reprs and pickles name nbauth.errors.<Class>.
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
