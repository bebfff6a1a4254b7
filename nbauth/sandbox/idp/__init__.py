"""The sandbox's OpenID provider, built on Authlib's authorization server.

One Flask app on ``http://127.0.0.1:<port>`` (its own port, next to the AWS
endpoint) serves two Authlib ``AuthorizationServer`` instances:

* the **OpenID provider** (issuer ``http://127.0.0.1:<port>``): discovery,
  JWKS, code + PKCE S256 (RFC 7636, loopback redirects on any port per RFC
  8252, RFC 9207 ``iss``), device authorization (RFC 8628), rotating refresh
  tokens, revocation (RFC 7009), userinfo, RP-initiated logout; JWT access
  tokens (RFC 9068) and RS256 ID tokens;
* **Cognito managed login** (``/oauth2/authorize``, ``/oauth2/token``,
  ``/oauth2/revoke``, ``/oauth2/userInfo``, ``/logout``) issuing tokens that
  look like the sandbox user pool's own (moto's key), for Google, Facebook,
  Login with Amazon, Sign in with Apple, COGNITO or any custom provider name.

Modules: :mod:`.models` (clients, users, codes, tokens, device requests),
:mod:`.store` (where they are kept),
:mod:`.grants` and :mod:`.openid` (Authlib grant subclasses and ID-token
extensions), :mod:`.endpoints` (device authorization, revocation, userinfo,
end session), :mod:`.tokens` (RFC 9068 access tokens), :mod:`.servers`
(wiring), :mod:`.realm` and :mod:`.managed_login` (who issues what),
:mod:`.authorize`, :mod:`.app` and :mod:`.pages` (routes and HTML),
:mod:`.sessions` (browser sign-in cookie), :mod:`.faults` (counts, injected
failures), :mod:`.browser` (the scripted person), :mod:`.keys`,
:mod:`.settings`, :mod:`.rfc8252`, :mod:`.quiet_logs`, :mod:`.provider`,
:mod:`.public_url` (the pages through the Jupyter server on Binder and JupyterHub).

``nbauth.sandbox.start()`` runs one; tests use it through the ``Sandbox``.
"""

from __future__ import annotations

from .browser import SignInError
from .faults import ENDPOINTS
from .provider import (
    CONFIDENTIAL_CLIENT_ID,
    NOTEBOOK_CLIENT_ID,
    OIDC_SCOPES,
    IdentityProvider,
    UserPool,
)
from .settings import Lifetimes

__all__ = [
    "CONFIDENTIAL_CLIENT_ID",
    "ENDPOINTS",
    "NOTEBOOK_CLIENT_ID",
    "OIDC_SCOPES",
    "IdentityProvider",
    "Lifetimes",
    "SignInError",
    "UserPool",
]
