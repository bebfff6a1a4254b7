"""OpenID discovery documents for moto's user pools.

moto serves a user pool's JWKS at ``<endpoint>/<pool id>/.well-known/jwks.json``
but (5.2.1) answers ``/.well-known/openid-configuration`` with a 500. This
middleware serves the document, with Cognito's AWS-style ``issuer`` and the
sandbox's JWKS URL, so OIDC client code can discover a sandbox user pool.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from . import moto_backends
from .aws_errors import StartResponse, json_response

__all__ = ["UserPoolDiscovery"]

_PATH_RE = re.compile(r"^/(?P<pool>[\w-]+_[0-9A-Za-z]+)/\.well-known/openid-configuration$")


class UserPoolDiscovery:
    """WSGI middleware answering ``GET /<user pool id>/.well-known/openid-configuration``."""

    def __init__(self, app: Any) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        match = _PATH_RE.match(environ.get("PATH_INFO", ""))
        if (
            match is None
            or environ.get("REQUEST_METHOD") not in ("GET", "HEAD")
            or not moto_backends.user_pool_exists(match["pool"])
        ):
            return self._app(environ, start_response)
        pool_id = match["pool"]
        region = pool_id.rsplit("_", 1)[0]
        base = f"{environ.get('wsgi.url_scheme', 'http')}://{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        document = {
            "issuer": f"https://cognito-idp.{region}.amazonaws.com/{pool_id}",
            "jwks_uri": f"{base}/{pool_id}/.well-known/jwks.json",
            "response_types_supported": ["code", "token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "phone", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }
        return json_response(start_response, document, content_type="application/json")
