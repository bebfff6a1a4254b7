"""HTTP for the OIDC flows: one ``requests`` session per provider, JSON with typed errors.

Every identity-provider call goes through :func:`json_request`, so a 5xx, an HTML error page,
garbage JSON or an unreachable host becomes one of nbauth's typed, retryable errors, and an OAuth
error body (``{"error": ..., "error_description": ...}``) becomes an :class:`OAuthError` subclass.
"""

from __future__ import annotations

from typing import Any

import requests

from .. import errors
from ..core.log_redaction import install_redaction

__all__ = ["TIMEOUT", "json_request", "new_session", "oauth_error"]

#: (connect, read) seconds for every IdP call.
TIMEOUT = (10, 30)

_OAUTH_ERRORS: dict[str, type[errors.OAuthError]] = {
    "access_denied": errors.AccessDeniedError,
    "expired_token": errors.ExpiredDeviceCodeError,
    "invalid_grant": errors.InvalidGrantError,
}


def new_session() -> requests.Session:
    """A ``requests`` session for one identity provider (connection reuse, JSON accept)."""
    install_redaction()
    session = requests.Session()
    session.headers["Accept"] = "application/json"
    session.headers["User-Agent"] = "nbauth"
    return session


def oauth_error(code: str, description: str | None, what: str) -> errors.OAuthError:
    """The typed error for an OAuth error ``code`` answered to ``what``."""
    cls = _OAUTH_ERRORS.get(code, errors.OAuthError)
    detail = f": {description}" if description else ""
    return cls(f"{what} failed: {code}{detail}", name=code)


def json_request(
    session: requests.Session,
    method: str,
    url: str,
    what: str,
    **kwargs: Any,
) -> dict[str, Any]:
    """``method url`` → the JSON object answered, or a typed :class:`~nbauth.errors.AuthError`.

    ``what`` names the call in messages ("discovery", "token refresh", ...).
    """
    kwargs.setdefault("timeout", TIMEOUT)
    try:
        response = session.request(method, url, **kwargs)
    except requests.RequestException as exc:
        raise errors.NetworkError(
            f"{what} failed: could not reach {_host(url)} ({type(exc).__name__}).",
            "Check the network and the provider's URL; nbauth will retry.",
            underlying=exc,
        ) from None
    return parse_json_response(response, what)


def parse_json_response(response: requests.Response, what: str) -> dict[str, Any]:
    """Turn an IdP response into its JSON object or a typed error."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code == 429:
        raise errors.TooManyRequestsError(
            f"{what} failed: {_host(response.url)} answered HTTP 429."
        )
    if isinstance(body, dict) and isinstance(body.get("error"), str) and response.status_code < 500:
        raise oauth_error(body["error"], body.get("error_description"), what)
    if response.status_code >= 500:
        raise errors.ServiceError(
            f"{what} failed: {_host(response.url)} answered HTTP {response.status_code}."
        )
    if response.status_code >= 400:  # a 4xx page: wrong URL or refused, retrying won't help
        raise errors.OAuthError(
            f"{what} failed: {_host(response.url)} answered HTTP {response.status_code}.",
            name=f"HTTP{response.status_code}",
        )
    if not isinstance(body, dict):
        raise errors.ServiceError(
            f"{what} failed: {_host(response.url)} answered HTTP {response.status_code} "
            "with a body that is not a JSON object.",
        )
    if response.status_code >= 400:
        raise errors.OAuthError(
            f"{what} failed: HTTP {response.status_code}.", name=f"HTTP{response.status_code}"
        )
    return body


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.netloc or url
