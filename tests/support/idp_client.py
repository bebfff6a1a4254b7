"""The sandbox IdP (``nbauth.sandbox.idp``) seen from outside, for the tests.

An independent client: Authlib's ``OAuth2Session`` and plain ``requests``, not nbauth's own
OIDC code, so a test of the IdP does not lean on the code it is meant to check.
"""

from __future__ import annotations

from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc.jwk import KeySet

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class IdpTestClient:
    """The sandbox IdP seen from outside: Authlib's ``OAuth2Session`` + plain ``requests``.

    ``tokens()`` runs the whole code + PKCE flow (the person's part through
    ``sb.sign_in_at``) and returns the token response.
    """

    def __init__(self, sb: Any) -> None:
        self.sb = sb
        self.issuer: str = sb.issuer
        self.http = requests.Session()

    def session(self, *, client_id: str | None = None, **kwargs: Any) -> Any:
        """An Authlib ``OAuth2Session`` for the IdP (public client with S256 by default)."""
        kwargs.setdefault("redirect_uri", "http://127.0.0.1:8765/callback")
        kwargs.setdefault("scope", "openid offline_access email profile")
        kwargs.setdefault("code_challenge_method", "S256")
        if client_id is None or client_id == self.sb.oidc_client_id:
            kwargs.setdefault("token_endpoint_auth_method", "none")
        return OAuth2Session(client_id or self.sb.oidc_client_id, **kwargs)

    def authorization_url(self, client: Any, **params: Any) -> tuple[str, str, str]:
        """``(url, state, code_verifier)`` for ``/authorize`` (or ``endpoint=``)."""
        endpoint = params.pop("endpoint", f"{self.issuer}/authorize")
        verifier = params.pop("code_verifier", generate_token(48))
        url, state = client.create_authorization_url(endpoint, code_verifier=verifier, **params)
        return url, state, verifier

    def tokens(
        self,
        *,
        scope: str = "openid offline_access email profile",
        username: str = "demo",
        nonce: str | None = None,
        client_id: str | None = None,
        **session_kwargs: Any,
    ) -> dict[str, Any]:
        """Sign in with code + PKCE; the token response."""
        client = self.session(client_id=client_id, scope=scope, **session_kwargs)
        params = {"nonce": nonce} if nonce else {}
        url, state, verifier = self.authorization_url(client, **params)
        redirect = self.sb.sign_in_at(url, username)
        token = client.fetch_token(
            f"{self.issuer}/token",
            authorization_response=redirect,
            code_verifier=verifier,
            state=state,
        )
        return dict(token)

    def token_request(self, path: str = "/token", **data: Any) -> Any:
        """POST form ``data`` to the token endpoint (``client_id`` defaults to the notebook's).

        No shared session: tests call this from several threads at once.
        """
        data.setdefault("client_id", self.sb.oidc_client_id)
        return requests.post(f"{self.issuer}{path}", data=data, timeout=10)

    def refresh(self, refresh_token: str, path: str = "/token", **data: Any) -> Any:
        """A refresh request."""
        return self.token_request(
            path, grant_type="refresh_token", refresh_token=refresh_token, **data
        )

    def start_device(self, scope: str = "openid offline_access email profile") -> dict[str, Any]:
        """POST ``/device_authorization``; the response."""
        response = self.http.post(
            f"{self.issuer}/device_authorization",
            data={"client_id": self.sb.oidc_client_id, "scope": scope},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def poll(self, device_code: str) -> Any:
        """One device-code token request."""
        return self.token_request(grant_type=DEVICE_GRANT, device_code=device_code)

    def keys(self) -> Any:
        """The IdP's JWKS as a joserfc ``KeySet``."""
        return KeySet.import_key_set(self.http.get(f"{self.issuer}/jwks", timeout=10).json())
