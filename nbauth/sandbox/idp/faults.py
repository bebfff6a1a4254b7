"""Call counts and injected failures for the IdP's endpoints (a WSGI middleware).

Endpoints are named after what they are: ``discovery``, ``jwks``,
``authorize``, ``token``, ``device_authorization``, ``device``, ``revoke``,
``userinfo``, ``logout``, and for the managed-login paths ``oauth2/authorize``,
``oauth2/token``, ``oauth2/revoke``, ``oauth2/userInfo``. Every request to one
is counted, including the ones answered with an injected failure.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["ENDPOINTS", "IdpFaults"]

#: request path -> endpoint name
ENDPOINTS: dict[str, str] = {
    "/.well-known/openid-configuration": "discovery",
    "/jwks": "jwks",
    "/authorize": "authorize",
    "/token": "token",
    "/device_authorization": "device_authorization",
    "/device": "device",
    "/revoke": "revoke",
    "/userinfo": "userinfo",
    "/logout": "logout",
    "/oauth2/authorize": "oauth2/authorize",
    "/oauth2/token": "oauth2/token",
    "/oauth2/revoke": "oauth2/revoke",
    "/oauth2/userInfo": "oauth2/userInfo",
    "/oauth2/userinfo": "oauth2/userInfo",
}
_NAMES = frozenset(ENDPOINTS.values())
_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable", 504: "Gateway Timeout"}  # fmt: skip


@dataclass(frozen=True)
class _Fault:
    status: int
    body: bytes
    content_type: str


def check_endpoint(endpoint: str) -> str:
    """``endpoint`` if it names an IdP endpoint; ``ValueError`` otherwise."""
    if endpoint not in _NAMES:
        raise ValueError(f"unknown IdP endpoint {endpoint!r}; one of {', '.join(sorted(_NAMES))}")
    return endpoint


class IdpFaults:
    """Counts requests per endpoint and answers chosen ones with a failure; thread-safe."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._pending: dict[str, deque[_Fault]] = {}

    def calls(self, endpoint: str) -> int:
        """Requests that reached ``endpoint``."""
        with self._lock:
            return self._calls[check_endpoint(endpoint)]

    def reset_calls(self) -> None:
        """Set every count back to zero (pending failures stay)."""
        with self._lock:
            self._calls.clear()

    def fail_next(
        self,
        endpoint: str,
        *,
        status: int | None = None,
        body: str = "<html>oops</html>",
        content_type: str = "text/html",
        times: int = 1,
        oauth_error: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests to ``endpoint`` with a failure.

        With ``oauth_error`` the body is an RFC 6749 §5.2 JSON error (status 400
        unless given); otherwise ``body`` as ``content_type`` (status 500 unless
        given) — HTML from a proxy, or broken JSON such as ``"{not json"``, which a
        misbehaving gateway may even send with status 200.
        """
        check_endpoint(endpoint)
        if times < 1:
            raise ValueError("times must be at least 1")
        if oauth_error is not None:
            payload = {"error": oauth_error, "error_description": "Injected by the nbauth sandbox."}
            fault = _Fault(status or 400, json.dumps(payload).encode(), "application/json")
        else:
            fault = _Fault(status or 500, body.encode(), content_type)
        if not (400 <= fault.status <= 599 or (fault.status == 200 and oauth_error is None)):
            raise ValueError("status must be an HTTP error status (400-599), or 200 for garbage")
        with self._lock:
            self._pending.setdefault(endpoint, deque()).extend([fault] * times)

    def clear_faults(self) -> None:
        """Drop pending failures."""
        with self._lock:
            self._pending.clear()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        endpoint = ENDPOINTS.get(environ.get("PATH_INFO", ""))
        if endpoint is None:
            return self._app(environ, start_response)
        with self._lock:
            self._calls[endpoint] += 1
            queue = self._pending.get(endpoint)
            fault = queue.popleft() if queue else None
            if queue is not None and not queue:
                del self._pending[endpoint]
        if fault is None:
            return self._app(environ, start_response)
        _drain(environ)
        reason = _REASONS.get(fault.status, "Error")
        start_response(
            f"{fault.status} {reason}",
            [
                ("Content-Type", fault.content_type),
                ("Content-Length", str(len(fault.body))),
                ("Cache-Control", "no-store"),
            ],
        )
        return [fault.body]


def _drain(environ: dict[str, Any]) -> None:
    """Read the unused request body so a keep-alive connection stays in sync."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    if length > 0:
        environ["wsgi.input"].read(length)
