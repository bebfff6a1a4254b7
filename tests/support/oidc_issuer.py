"""A tiny OpenID provider on 127.0.0.1: discovery + JWKS, keys that can rotate, a token mint.

No sign-in pages: tests mint the ID tokens themselves (``issuer.token(sub=...)``) and hand them
to the identity pool, which fetches this issuer's keys to verify them.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

#: The audience of minted tokens, and the client id the identity pool trusts for this issuer.
OIDC_CLIENT_ID = "nbauth-test-client"


class OidcTestIssuer:
    """Discovery + JWKS on 127.0.0.1, keys that can rotate, and a token mint."""

    def __init__(self, path: str = "/realms/test") -> None:
        self.keys = [self._new_key()]
        self.jwks_fetches = 0
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self._server.server_port}{path}"
        self._path = path
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="test-oidc-issuer", daemon=True
        )
        self._thread.start()

    @staticmethod
    def _new_key() -> RSAKey:
        return RSAKey.generate_key(
            2048, parameters={"kid": uuid.uuid4().hex[:12], "alg": "RS256", "use": "sig"}
        )

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path == f"{self._path}/.well-known/openid-configuration":
            body = {"issuer": self.issuer, "jwks_uri": f"{self.issuer}/jwks"}
        elif request.path == f"{self._path}/jwks":
            with self._lock:
                self.jwks_fetches += 1
                body = {"keys": [k.as_dict(private=False) for k in self.keys]}
        else:
            return Response("not found", status=404)(environ, start_response)
        return Response(json.dumps(body), mimetype="application/json")(environ, start_response)

    def rotate(self) -> RSAKey:
        """Publish a new signing key (the old one stays published)."""
        key = self._new_key()
        with self._lock:
            self.keys.insert(0, key)
        return key

    def token(
        self,
        *,
        sub: str = "bob",
        aud: Any = OIDC_CLIENT_ID,
        exp_in: int = 300,
        key: RSAKey | None = None,
        iss: str | None = None,
        **claims: Any,
    ) -> str:
        signing_key = key or self.keys[0]
        now = int(time.time())
        payload = {
            "iss": iss or self.issuer,
            "sub": sub,
            "aud": aud,
            "iat": now,
            "exp": now + exp_in,
            **claims,
        }
        return jwt.encode({"alg": "RS256", "kid": signing_key.kid}, payload, signing_key)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
