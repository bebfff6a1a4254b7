"""Verifying the ID token a JupyterHub hands a single-user server (as nbauth verifies any).

The hub's authenticator got the token from its OpenID provider; nbauth checks it again before
federating it: signature against the issuer's JWKS (found through the issuer's discovery
document), the algorithm allow-list, ``iss``, ``exp``/``iat``/``nbf`` and the audience
(:class:`~nbauth.oidc.token_verification.TokenVerifier`). Only ``issuer`` and ``jwks_uri`` are
needed from discovery: the hub, not nbauth, talks to the provider's other endpoints.
"""

from __future__ import annotations

from ..core.jwt import JWT
from ..errors import DiscoveryError, NotAuthorizedError
from ..net.secure_urls import check_secure_url
from ..oidc.token_verification import JWKSCache, TokenVerifier
from ..oidc.transport import json_request, new_session
from .jupyterhub import CLIENT_ID_ENV

__all__ = ["single_audience", "verifier_for"]


def verifier_for(issuer: str, client_id: str) -> TokenVerifier:
    """A verifier of ``issuer``'s ID tokens for ``client_id`` (one discovery request)."""
    check_secure_url(issuer, "The ID token's issuer")
    session = new_session()
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    document = json_request(session, "GET", url, "OpenID Connect discovery")
    jwks_uri = document.get("jwks_uri")
    if document.get("issuer") != issuer or not isinstance(jwks_uri, str):
        raise DiscoveryError(
            f"The discovery document of {issuer} does not name this issuer and a jwks_uri.",
        )
    check_secure_url(jwks_uri, "The issuer's jwks_uri")
    return TokenVerifier(issuer=issuer, client_id=client_id, jwks=JWKSCache(jwks_uri, session))


def single_audience(jwt: JWT) -> str:
    """The client the token was issued to (``azp``, else a single ``aud``)."""
    payload = jwt.payload
    azp = payload.get("azp")
    if isinstance(azp, str) and azp:
        return azp
    aud = payload.get("aud")
    if isinstance(aud, str) and aud:
        return aud
    if isinstance(aud, list) and len(aud) == 1 and isinstance(aud[0], str):
        return aud[0]
    raise NotAuthorizedError(
        "The ID token from JupyterHub names several audiences and no azp.",
        f"Set ${CLIENT_ID_ENV} to the hub's OAuth client id.",
    )
