"""A ``requests`` auth that sends the signed-in user's token (Amplify's "OIDC auth to AppSync").

Each request carries ``Authorization: Bearer <token>`` with the current access (or ID) token,
as the IdP issued it (a JWT, or an opaque access token such as Google's), refreshed as needed
by nbauth's token provider. A ``401`` answer makes it refresh the tokens once
and resend the request.

Example::

    import requests, nbauth
    r = requests.post(appsync_url, json={"query": "{ me { id } }"},
                      auth=nbauth.requests_auth(token="id"))
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import requests
from requests.auth import AuthBase

from ..errors import InvalidParameterError, NoCredentialsError

if TYPE_CHECKING:
    from ..auth import Auth

__all__ = ["BearerTokenAuth"]


class BearerTokenAuth(AuthBase):
    """``requests`` auth with the current ``"access"`` or ``"id"`` token of ``auth``."""

    def __init__(self, auth: Auth, *, token: str = "access", retry_on_401: bool = True) -> None:
        if token not in ("access", "id"):
            raise InvalidParameterError(f"token must be 'access' or 'id', got {token!r}.")
        self._auth = auth
        self._kind = token
        self._retry_on_401 = retry_on_401
        # The resent requests: a 401 to one of these is final.
        self._resent: weakref.WeakSet[requests.PreparedRequest] = weakref.WeakSet()

    def _token(self, force_refresh: bool = False) -> str:
        tokens = self._auth.fetch_auth_session(force_refresh=force_refresh).tokens
        token = None  # a JWT or an OpaqueToken: to_string() is the bearer token either way
        if tokens is not None:
            token = tokens.access_token if self._kind == "access" else tokens.id_token
        if token is None:
            raise NoCredentialsError(
                f"No {self._kind} token: nobody is signed in.",
                "Sign in first (sign_in_with_device_code(), sign_in_with_redirect(), sign_in()).",
            )
        return token.to_string()

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token()}"
        if self._retry_on_401:
            request.register_hook("response", self._on_response)
        return request

    def _on_response(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        request = response.request
        if response.status_code != 401 or request in self._resent:
            return response
        response.content  # noqa: B018 - release the connection before resending
        response.close()
        retry = request.copy()
        self._resent.add(retry)
        retry.headers["Authorization"] = f"Bearer {self._token(force_refresh=True)}"
        return response.connection.send(retry, **kwargs)

    def __repr__(self) -> str:
        return f"BearerTokenAuth(token={self._kind!r})"
