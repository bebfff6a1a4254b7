"""Network, throttling and service failures, and the limits nbauth puts on every call."""

from __future__ import annotations

from .base import AuthError, ConfigurationError

__all__ = [
    "DeadlineExceededError",
    "InsecureEndpointError",
    "NetworkError",
    "RedirectRefusedError",
    "ResponseTooLargeError",
    "ServiceError",
    "TooManyRequestsError",
    "UnsafeStorageError",
]


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
