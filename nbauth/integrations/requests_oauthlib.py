"""A requests-oauthlib ``OAuth2Session`` pre-wired to nbauth's token provider.

For code built on requests-oauthlib: the session's token is taken from nbauth before every
request (so it is always the fresh, nbauth-refreshed one; JWT or opaque, as the IdP issued
it), and requests-oauthlib never sees the refresh token. Its DEBUG logs print tokens; nbauth's
logging filter redacts them.

Example::

    session = nbauth.integrations.requests_oauthlib.oauth2_session()
    session.get("https://api.example.com/me")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.install_hints import pip_install_hint
from ..core.log_redaction import install_redaction
from ..errors import ConfigurationError, NoCredentialsError

if TYPE_CHECKING:
    import requests
    from requests_oauthlib import OAuth2Session

    from ..auth import Auth

__all__ = ["oauth2_session"]


def oauth2_session(auth: Auth | None = None, *, token: str = "access") -> OAuth2Session:
    """An ``OAuth2Session`` whose token always comes from ``auth`` (default: the default Auth)."""
    try:
        from requests_oauthlib import OAuth2Session
    except ImportError as exc:
        raise ConfigurationError(
            "requests-oauthlib is not installed.",
            pip_install_hint("requests-oauthlib"),
            underlying=exc,
        ) from None
    if auth is None:
        from ..api import current_auth

        auth = current_auth()
    install_redaction()
    bound = auth

    def current_token() -> dict[str, Any]:
        tokens = bound.fetch_auth_session().tokens
        held = None  # a JWT or an OpaqueToken (its expires_at from expires_in)
        if tokens is not None:
            held = tokens.access_token if token == "access" else tokens.id_token
        if held is None:
            raise NoCredentialsError(f"No {token} token: nobody is signed in.")
        expires_at = held.expires_at
        return {
            "access_token": held.to_string(),
            "token_type": "Bearer",
            **({"expires_at": expires_at} if expires_at else {}),
        }

    class NbauthOAuth2Session(OAuth2Session):
        """requests-oauthlib's session; nbauth supplies (and refreshes) its token."""

        def request(
            self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
        ) -> requests.Response:
            self.token = current_token()
            return super().request(method, url, *args, **kwargs)

        def __repr__(self) -> str:
            return "NbauthOAuth2Session()"

    return NbauthOAuth2Session(token=current_token())
