"""Lambda triggers as Python callables: registry, invocation, and Cognito's error mapping.

A trigger is ``fn(event: dict) -> dict``: it gets AWS's documented event (a
deep copy; see :mod:`.events` for the shapes) and returns the event with its
``response`` filled in, as a Lambda function would. The sandbox then:

* maps an exception raised by ``fn`` to ``UserLambdaValidationException``
  "<TriggerName> failed with error <str(exception)>." (HTTP 400), Cognito's
  message for a Lambda that fails (``PreSignUp``, ``PreAuthentication``,
  ``PostAuthentication``, ``PostConfirmation``, ``DefineAuthChallenge``,
  ``CreateAuthChallenge``, ``VerifyAuthChallengeResponse``,
  ``PreTokenGeneration``, ``CustomMessage``, ``UserMigration``);
* refuses a result that is not a JSON object with a ``response`` object, or
  whose response fields have the wrong types, with
  ``InvalidLambdaResponseException`` "Unrecognizable lambda output" (the
  classic result of a Python handler that forgets ``return event``).

The event's ``version`` is "1", or the registered version for
``pre_token_generation`` ("1" or "2", Cognito's ``V1_0``/``V2_0`` events).
"""

from __future__ import annotations

import copy
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import AwsError

__all__ = [
    "TRIGGER_NAMES",
    "Caller",
    "TriggerFn",
    "TriggerRegistry",
    "invalid_lambda_response",
    "optional_bool",
    "optional_str_map",
]

_logger = logging.getLogger("nbauth.sandbox")

TriggerFn = Callable[[dict[str, Any]], dict[str, Any]]

#: sandbox name → the name Cognito uses in error messages
TRIGGER_NAMES: dict[str, str] = {
    "pre_sign_up": "PreSignUp",
    "pre_authentication": "PreAuthentication",
    "post_authentication": "PostAuthentication",
    "post_confirmation": "PostConfirmation",
    "define_auth_challenge": "DefineAuthChallenge",
    "create_auth_challenge": "CreateAuthChallenge",
    "verify_auth_challenge_response": "VerifyAuthChallengeResponse",
    "pre_token_generation": "PreTokenGeneration",
    "custom_message": "CustomMessage",
    "user_migration": "UserMigration",
}
_AWS_SDK_VERSION = "aws-sdk-unknown-unknown"  # what Cognito reports for most callers


def invalid_lambda_response() -> AwsError:
    """``InvalidLambdaResponseException`` "Unrecognizable lambda output"."""
    return AwsError("InvalidLambdaResponseException", "Unrecognizable lambda output")


def optional_bool(response: dict[str, Any], key: str) -> bool:
    """A boolean response field (absent or null: False)."""
    value = response.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise invalid_lambda_response()
    return value


def optional_str_map(response: dict[str, Any], key: str) -> dict[str, str]:
    """A ``map<string,string>`` response field (absent or null: empty)."""
    value = response.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise invalid_lambda_response()
    return dict(value)


@dataclass(frozen=True)
class Caller:
    """Who is calling: the event's ``region``, ``userPoolId`` and ``callerContext``."""

    region: str
    user_pool_id: str
    client_id: str


@dataclass(frozen=True)
class _Registered:
    fn: TriggerFn
    version: str


class TriggerRegistry:
    """The user pool's triggers, by sandbox name; thread-safe."""

    def __init__(self) -> None:
        self._triggers: dict[str, _Registered] = {}
        self._lock = threading.Lock()

    @staticmethod
    def check_name(name: str) -> None:
        """``ValueError`` for an unknown trigger name."""
        if name not in TRIGGER_NAMES:
            known = ", ".join(sorted(TRIGGER_NAMES))
            raise ValueError(f"unknown trigger {name!r}; known triggers: {known}")

    def set(self, name: str, fn: TriggerFn | None, *, version: str = "1") -> None:
        """Register ``fn`` for ``name`` (None removes it)."""
        self.check_name(name)
        if version not in ("1", "2") or (version == "2" and name != "pre_token_generation"):
            raise ValueError('version must be "1" ("2" is for pre_token_generation only)')
        if fn is not None and not callable(fn):
            raise TypeError(f"trigger {name!r} must be callable")
        with self._lock:
            if fn is None:
                self._triggers.pop(name, None)
            else:
                self._triggers[name] = _Registered(fn, version)

    def clear(self) -> None:
        """Remove every trigger."""
        with self._lock:
            self._triggers.clear()

    def has(self, name: str) -> bool:
        """Whether a trigger is registered for ``name``."""
        with self._lock:
            return name in self._triggers

    def version(self, name: str) -> str:
        """The event version of the registered trigger ("1" if none)."""
        with self._lock:
            registered = self._triggers.get(name)
        return registered.version if registered else "1"

    def invoke(
        self,
        name: str,
        *,
        caller: Caller,
        trigger_source: str,
        username: str | None,
        request: dict[str, Any],
        response: dict[str, Any],
    ) -> dict[str, Any] | None:
        """Run the trigger for ``name``; its ``response`` dict, or None if none is set."""
        with self._lock:
            registered = self._triggers.get(name)
        if registered is None:
            return None
        event = {
            "version": registered.version,
            "triggerSource": trigger_source,
            "region": caller.region,
            "userPoolId": caller.user_pool_id,
            "userName": username,
            "callerContext": {"awsSdkVersion": _AWS_SDK_VERSION, "clientId": caller.client_id},
            "request": copy.deepcopy(request),
            "response": copy.deepcopy(response),
        }
        try:
            result = registered.fn(event)
        except Exception as exc:  # the Lambda "failed": Cognito relays its error message
            _logger.debug("sandbox: trigger %s raised %s", name, type(exc).__name__)
            raise AwsError(
                "UserLambdaValidationException",
                f"{TRIGGER_NAMES[name]} failed with error {exc}.",
            ) from None
        try:  # what a Lambda returns crosses the wire as JSON
            result = json.loads(json.dumps(result))
        except (TypeError, ValueError):
            raise invalid_lambda_response() from None
        if not isinstance(result, dict) or not isinstance(result.get("response"), dict):
            raise invalid_lambda_response()
        return dict(result["response"])
