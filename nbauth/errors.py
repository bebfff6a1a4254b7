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


class AuthError(Exception):
    """Base class of every nbauth error.

    Attributes:
        name: stable identifier, e.g. ``"NotAuthorizedException"``.
        message: what went wrong, in one sentence; never contains a secret.
        recovery_suggestion: what the user can do next.
        underlying: the original exception, if any.
    """

    retryable: bool = False
    default_recovery = "See the message for details."

    def __init__(
        self,
        message: str,
        recovery_suggestion: str | None = None,
        *,
        name: str | None = None,
        underlying: BaseException | None = None,
    ) -> None:
        super().__init__(message)
        self.name = name or type(self).__name__
        self.message = message
        self.recovery_suggestion = recovery_suggestion or self.default_recovery
        self.underlying = underlying

    def __str__(self) -> str:
        return f"{self.message} (recovery: {self.recovery_suggestion})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, message={self.message!r})"


class ConfigurationError(AuthError):
    """The configuration is missing a key or has a value of the wrong form."""

    default_recovery = (
        "Fix the named key in amplify_outputs.json or the dict passed to configure()."
    )


class InvalidStateError(AuthError):
    """The call is not allowed in the current auth state (e.g. federating while signed in)."""

    default_recovery = "Check the current state with fetch_auth_session() before calling this."


class InvalidParameterError(AuthError):
    """An argument, or a value the service rejected as malformed."""

    default_recovery = "Check the arguments passed to the call."


class InvalidTokenError(InvalidParameterError):
    """A token that is not a well-formed JWT (or not the kind of token expected)."""

    default_recovery = "Pass the raw ID token string issued by your identity provider."


class NotAuthorizedError(AuthError):
    """The service refused the login (bad, expired or untrusted token; guest access disabled)."""

    default_recovery = (
        "Sign in again to get a fresh token, and check that the identity pool trusts this provider."
    )


class ProviderTokenExpiredError(NotAuthorizedError):
    """The federated provider's token expired and no token provider supplied a new one."""

    default_recovery = (
        "Sign in to your identity provider again and call federate_to_identity_pool() with the new "
        "token, or configure(token_provider=...) so nbauth can ask for one."
    )


class LoginTokenExpiredError(ProviderTokenExpiredError):
    """The identity pool refused a login token because it has expired.

    Cognito's ``NotAuthorizedException`` "Invalid login token. Token expired". When federated
    with a token provider configured, nbauth asks it for a new token once before giving up with
    this error.
    """

    default_recovery = (
        "Sign in to your identity provider again and pass the new token, or "
        "configure(token_provider=...) so nbauth can ask for one when the token expires."
    )


class IdentityForbiddenError(NotAuthorizedError):
    """The identity id does not belong to the logins sent with it.

    Cognito's ``NotAuthorizedException`` "Access to Identity '<id>' is forbidden": the
    identity belongs to another login, or the login was unlinked from it. nbauth drops a
    cached identity id that gets this answer and fetches a new one, once.
    """

    default_recovery = (
        "Let nbauth fetch the identity id (GetId); with developer_provided_identity_id, pass "
        "the identity id that belongs to this login."
    )


class NoCredentialsError(AuthError):
    """No AWS credentials can be had in the current state."""

    default_recovery = "Federate or sign in first, or enable guest access on the identity pool."


class ResourceConflictError(AuthError):
    """The login is already linked to a different identity."""

    default_recovery = (
        "Use the identity the login already belongs to, or unlink the login from it first."
    )


class ResourceNotFoundError(AuthError):
    """The identity pool or identity does not exist."""

    default_recovery = "Check identity_pool_id and region in the configuration."


class IdentityNotFoundError(ResourceNotFoundError):
    """The identity does not exist (any more): Cognito's "Identity '<id>' not found".

    A cached identity id that gets this answer is dropped and a new one fetched, once.
    """

    default_recovery = (
        "The identity was deleted from the identity pool; nbauth gets a new identity id on the "
        "next call. With developer_provided_identity_id, pass an identity id that exists."
    )


class IdentityPoolNotFoundError(ResourceNotFoundError):
    """The identity pool does not exist: Cognito's "IdentityPool '<id>' not found"."""

    default_recovery = (
        "Check auth.identity_pool_id and auth.aws_region in the configuration (the pool must "
        "exist in that region)."
    )


class InvalidIdentityPoolConfigurationError(AuthError):
    """The identity pool's roles or trust policy are not usable."""

    default_recovery = (
        "Check the identity pool's authenticated/unauthenticated roles and their trust policies."
    )


class TooManyRequestsError(AuthError):
    """The service throttled the request."""

    retryable = True
    default_recovery = "nbauth retries with backoff; wait a moment and try again."


class ServiceError(AuthError):
    """The service failed (HTTP 5xx or an unexpected answer)."""

    retryable = True
    default_recovery = "The service had a problem; nbauth keeps the session and retries later."


class NetworkError(AuthError):
    """The service could not be reached."""

    retryable = True
    default_recovery = (
        "Check the network and the endpoint (AWS_ENDPOINT_URL); nbauth retries later."
    )


class DeadlineExceededError(NetworkError):
    """A call to a service did not finish within its total deadline (connect, send and read)."""

    default_recovery = (
        "The service is slow or not answering; nbauth keeps the session and retries later."
    )


class ResponseTooLargeError(ServiceError):
    """A service answered with a body larger than nbauth accepts for that call."""

    default_recovery = (
        "The endpoint answered with far more data than its protocol needs; check the URL "
        "(it may point at the wrong server). nbauth keeps the session."
    )


class RedirectRefusedError(ServiceError):
    """An endpoint answered with a redirect where nbauth never follows one (token, device,
    revocation endpoints: following would re-send a secret to another address)."""

    retryable = False
    default_recovery = (
        "Configure the endpoint's final address (the issuer's discovery document must name it)."
    )


class InsecureEndpointError(ConfigurationError):
    """An issuer or endpoint URL is not https (plain http is accepted on loopback only)."""

    default_recovery = (
        "Use the provider's https:// URL; http:// is accepted only for 127.0.0.1, ::1 and "
        "localhost."
    )


class UnsafeStorageError(AuthError):
    """A credential store file or directory is owned by another user or writable by others."""

    default_recovery = (
        "Remove the file (or fix its owner and permissions: owner = you, mode 0600 in a 0700 "
        "directory); nbauth will write it again."
    )


class UserAlreadyAuthenticatedError(InvalidStateError):
    """A sign-in was started while a user is already signed in."""

    default_recovery = "Call sign_out() first, or keep using the current session."


class DiscoveryError(AuthError):
    """The identity provider's discovery document is unreachable, malformed or incomplete."""

    default_recovery = (
        "Check the provider's issuer URL; <issuer>/.well-known/openid-configuration must answer "
        "with the provider's metadata."
    )


class TokenVerificationError(NotAuthorizedError):
    """A token failed verification (signature, algorithm, issuer, audience, expiry or nonce)."""

    default_recovery = (
        "Sign in again. If it keeps failing, check the provider's issuer and client_id in the "
        "configuration, and the machine's clock."
    )


class OAuthError(AuthError):
    """The authorization server answered with an OAuth 2.0 error (``name`` is its code)."""

    default_recovery = "Sign in again; if it keeps failing, check the provider configuration."


class AccessDeniedError(OAuthError):
    """The user (or the authorization server) denied the request."""

    default_recovery = "Start the sign-in again and approve it at the identity provider."


class ExpiredDeviceCodeError(OAuthError):
    """The device code expired before the user approved it."""

    default_recovery = "Start a new device-code sign-in and approve it before the code expires."


class InvalidGrantError(OAuthError):
    """The authorization server rejected a code or refresh token (revoked, expired, reused)."""

    default_recovery = "Sign in again: the session at the identity provider has ended."


class InvalidScopeError(OAuthError):
    """The authorization server refused the requested scope (``invalid_scope``)."""

    default_recovery = (
        "Sign in again; if it keeps failing, remove scopes the provider does not grant this "
        "client from the configuration."
    )


class InvalidClientError(OAuthError):
    """The authorization server does not accept this client (``invalid_client``)."""

    default_recovery = (
        "Check the provider's client_id (and client_secret) in the configuration, then sign in "
        "again."
    )


class UnauthorizedClientError(OAuthError):
    """This client may not use the grant it asked for (``unauthorized_client``)."""

    default_recovery = (
        "Enable the grant (refresh tokens, device code, authorization code) for this client at "
        "the identity provider, then sign in again."
    )


class CallbackValidationError(OAuthError):
    """The redirect back from the identity provider failed a check (state, issuer, error)."""

    default_recovery = (
        "Start the sign-in again from this notebook and complete it in one browser tab."
    )


class SignInCancelledError(AuthError):
    """The sign-in was cancelled before it completed."""

    default_recovery = "Start the sign-in again when you are ready."


class SignInTimeoutError(AuthError):
    """The sign-in did not complete in time."""

    default_recovery = "Start the sign-in again and complete it within the time allowed."


# -- Cognito user pools ---------------------------------------------------------------------


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
