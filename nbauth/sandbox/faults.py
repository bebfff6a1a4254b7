"""Call counting and fault injection, as a WSGI middleware in front of everything.

Requests are keyed by the operation named in ``X-Amz-Target``
(``AWSCognitoIdentityService.GetId`` → ``"GetId"``), which covers Cognito
Identity and the Cognito user-pool API. A request is counted before the fault
decision, so ``calls("GetId")`` includes requests that were then failed.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .aws_errors import StartResponse, html_response, json_error_response

__all__ = ["COGNITO_IDENTITY_PREFIX", "COGNITO_IDP_PREFIX", "FaultInjector", "operation_of"]

COGNITO_IDENTITY_PREFIX = "AWSCognitoIdentityService"
COGNITO_IDP_PREFIX = "AWSCognitoIdentityProviderService"
_SERVICES = (COGNITO_IDENTITY_PREFIX, COGNITO_IDP_PREFIX)

_OUTAGE_PAGE = (
    "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n"
    "<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n"
    "</body>\r\n</html>\r\n"
)
_ALL_IDENTITY_OPS = object()  # marker in the "down" set: every cognito-identity op


def operation_of(environ: dict[str, Any]) -> tuple[str, str] | None:
    """Return ``(service prefix, operation)`` from ``X-Amz-Target``, or None."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    service, _, operation = target.partition(".")
    if service in _SERVICES and operation:
        return service, operation
    return None


@dataclass(frozen=True)
class _Fault:
    code: str
    status: int
    message: str


class FaultInjector:
    """Counts requests per operation and fails chosen ones; a WSGI middleware.

    Thread-safe: the server runs one thread per connection.
    """

    def __init__(self, app: Any) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._pending: dict[str, deque[_Fault]] = {}
        self._down: set[object] = set()

    # -- control -------------------------------------------------------------
    def calls(self, operation: str) -> int:
        """How many requests for ``operation`` reached the server."""
        with self._lock:
            return self._calls[operation]

    def reset_calls(self) -> None:
        """Forget all counts (pending faults stay)."""
        with self._lock:
            self._calls.clear()

    def fail_next(
        self,
        operation: str,
        *,
        code: str = "TooManyRequestsException",
        status: int = 400,
        message: str = "Rate exceeded",
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests for ``operation`` with an AWS JSON error."""
        if times < 1:
            raise ValueError("times must be at least 1")
        if not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        fault = _Fault(code=code, status=status, message=message)
        with self._lock:
            self._pending.setdefault(operation, deque()).extend([fault] * times)

    def clear_faults(self) -> None:
        """Drop pending ``fail_next`` faults and bring every operation back up."""
        with self._lock:
            self._pending.clear()
            self._down.clear()

    def set_down(self, operation: str | None = None, down: bool = True) -> None:
        """Take ``operation`` (every cognito-identity operation if None) down or up.

        While down, matching requests get HTTP 503 with an HTML body, as from a
        load balancer whose targets are gone.
        """
        key: object = _ALL_IDENTITY_OPS if operation is None else operation
        with self._lock:
            if down:
                self._down.add(key)
            else:
                self._down.discard(key)

    # -- WSGI ----------------------------------------------------------------
    def _decide(self, service: str, operation: str) -> _Fault | str | None:
        with self._lock:
            self._calls[operation] += 1
            if operation in self._down or (
                service == COGNITO_IDENTITY_PREFIX and _ALL_IDENTITY_OPS in self._down
            ):
                return "down"
            queue = self._pending.get(operation)
            if queue:
                fault = queue.popleft()
                if not queue:
                    del self._pending[operation]
                return fault
        return None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        op = operation_of(environ)
        if op is None:
            return self._app(environ, start_response)
        decision = self._decide(*op)
        if decision is None:
            return self._app(environ, start_response)
        _drain(environ)
        if decision == "down":
            return html_response(start_response, 503, _OUTAGE_PAGE)
        assert isinstance(decision, _Fault)
        return json_error_response(start_response, decision.code, decision.message, decision.status)


def _drain(environ: dict[str, Any]) -> None:
    """Read the unused request body so a keep-alive connection stays in sync."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    if length > 0:
        environ["wsgi.input"].read(length)
