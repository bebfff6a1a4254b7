"""OpenID Connect sign-in: discovery, RFC 8628 device code, RFC 7636 PKCE with RFC 8252
loopback or paste redirects, token verification, and a token provider that refreshes itself.

Modules are named after what they implement (``rfc8628``, ``rfc7636``, ``rfc8252``, ``rfc7009``),
as Authlib does. Authlib's ``OAuth2Session`` and joserfc are the engine; this package is imported
only when a flow needs it.
"""


def session_storage_key(issuer: str, client_id: str) -> str:
    """Where a signed-in user's refresh token is kept in the storage backend."""
    return f"nbauth.oidc.{issuer}.{client_id}"
