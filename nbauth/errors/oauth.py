"""OAuth 2.0 / OpenID Connect errors and the sign-in lifecycle."""

from __future__ import annotations

from .base import AuthError, InvalidStateError, NotAuthorizedError

__all__ = [
    "AccessDeniedError",
    "CallbackValidationError",
    "DiscoveryError",
    "ExpiredDeviceCodeError",
    "InvalidClientError",
    "InvalidGrantError",
    "InvalidScopeError",
    "MissingIdTokenError",
    "OAuthError",
    "SignInCancelledError",
    "SignInTimeoutError",
    "TokenVerificationError",
    "UnauthorizedClientError",
    "UserAlreadyAuthenticatedError",
]


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


class MissingIdTokenError(OAuthError):
    """The identity provider answered a sign-in without an ID token (an OAuth answer, not an
    OpenID Connect one): nbauth cannot tell who signed in, nor federate into an identity pool."""

    default_recovery = (
        "Add 'openid' to the provider's scopes in the configuration (nbauth.oidc_providers.<name>"
        ".scopes, or auth.oauth.scopes for Cognito managed login) and allow the openid scope "
        "for this client at the identity provider, then sign in again."
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
