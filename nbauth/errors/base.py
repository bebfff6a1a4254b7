"""The base class and the errors of configuration, state, input, authorization and resources."""

from __future__ import annotations

__all__ = [
    "AuthError",
    "ConfigurationError",
    "IdentityForbiddenError",
    "IdentityNotFoundError",
    "IdentityPoolNotFoundError",
    "InvalidIdentityPoolConfigurationError",
    "InvalidParameterError",
    "InvalidStateError",
    "InvalidTokenError",
    "LoginTokenExpiredError",
    "NoCredentialsError",
    "NotAuthorizedError",
    "ProviderTokenExpiredError",
    "ResourceConflictError",
    "ResourceNotFoundError",
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
