"""HTTP for the OIDC flows: one ``requests`` session per provider, JSON with typed errors.

Every identity-provider call goes through :func:`json_request`, so a 5xx, an HTML error page,
garbage JSON or an unreachable host becomes one of nbauth's typed, retryable errors, and an OAuth
error body (``{"error": ..., "error_description": ...}``) becomes an :class:`OAuthError` subclass.

Sessions come from :func:`new_session`: every request has a total deadline and a size cap
(:mod:`nbauth.net.bounded_http`). Redirects are never followed on a POST (token, device and
revocation endpoints: following would re-send a code or a refresh token to another address —
:class:`~nbauth.errors.RedirectRefusedError`); a GET (discovery, JWKS) may follow a few, each to
an https URL only (:mod:`nbauth.net.secure_urls`).
"""

from __future__ import annotations

from typing import Any

import requests

from .. import errors
from ..core.log_redaction import install_redaction
from ..net.bounded_http import mount_bounded
from ..net.secure_urls import check_secure_url

__all__ = ["json_request", "new_session", "oauth_error", "parse_json_response"]

#: Redirects a GET may follow (discovery and JWKS documents moved); a POST follows none.
MAX_GET_REDIRECTS = 3

_OAUTH_ERRORS: dict[str, type[errors.OAuthError]] = {
    "access_denied": errors.AccessDeniedError,
    "expired_token": errors.ExpiredDeviceCodeError,
    "invalid_grant": errors.InvalidGrantError,
    "invalid_scope": errors.InvalidScopeError,
    "invalid_client": errors.InvalidClientError,
    "unauthorized_client": errors.UnauthorizedClientError,
}


def new_session() -> requests.Session:
    """A ``requests`` session for one identity provider: connection reuse, JSON accept, a total
    deadline and a size cap on every request, redirects only to https URLs."""
    install_redaction()
    session = mount_bounded(requests.Session())
    session.headers["Accept"] = "application/json"
    session.headers["User-Agent"] = "nbauth"
    session.max_redirects = MAX_GET_REDIRECTS
    session.hooks["response"].append(_check_redirect)
    return session


def _check_redirect(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """A response hook (runs before requests follows a redirect): refuse the unsafe ones."""
    if not response.is_redirect:
        return
    from urllib.parse import urljoin

    target = urljoin(response.url, response.headers.get("Location", ""))
    if response.request.method != "GET":
        raise errors.RedirectRefusedError(
            f"{_host(response.url)} answered a {response.request.method} with a redirect "
            f"(HTTP {response.status_code}) to {_host(target)}; nbauth does not re-send it."
        )
    check_secure_url(target, f"The redirect from {_host(response.url)}")


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
    kwargs.setdefault("allow_redirects", method == "GET")
    try:
        response = session.request(method, url, **kwargs)
    except requests.TooManyRedirects:
        raise errors.ServiceError(f"{what} failed: {_host(url)} redirects in a loop.") from None
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
    if response.is_redirect:  # allow_redirects=False: a POST answered with a redirect
        _check_redirect(response)
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
