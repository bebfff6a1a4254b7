"""OpenID Connect sign-in: discovery, the authorization code grant with PKCE, RFC 8628 device
code, token verification, and a token provider that refreshes itself.

Modules are named after what they implement, as Authlib does: ``authorization_code`` (RFC 6749
§4.1 + RFC 9207), ``rfc7636`` (PKCE), ``rfc8252`` (the loopback redirect receiver), ``rfc8628``
(device code); ``redirect_receivers`` is the receiver protocol and the ``mode`` registry (the
Jupyter receiver is the notebook layer's, found through an entry point: nothing here imports
Jupyter or IPython). Authlib's ``OAuth2Session`` and joserfc are the engine; this package is
imported only when a flow needs it.
"""

from ..core.session_record import session_storage_key

__all__ = ["session_storage_key"]
