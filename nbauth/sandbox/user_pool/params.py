"""Reading a request's parameters the way Cognito's validation does.

Cognito answers malformed input with ``InvalidParameterException`` and a
"1 validation error detected" message naming the member in camelCase. Values
are never echoed back (they may be passwords or codes).
"""

from __future__ import annotations

from typing import Any

from .errors import AwsError, invalid_parameter

__all__ = ["Params", "attribute_map", "optional_str", "require_str", "string_map"]

Params = dict[str, Any]


def _member(name: str) -> str:
    return name[0].lower() + name[1:]


def _validation(member: str, constraint: str) -> AwsError:
    return invalid_parameter(
        f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
        f"{constraint}"
    )


def require_str(params: Params, name: str) -> str:
    """A required, non-empty string member."""
    value = params.get(name)
    if value is None or value == "":
        raise _validation(_member(name), "Member must not be null")
    if not isinstance(value, str):
        raise _validation(_member(name), "Member must be a string")
    return value


def optional_str(params: Params, name: str) -> str | None:
    """An optional string member (None when absent or empty)."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _validation(_member(name), "Member must be a string")
    return value


def string_map(params: Params, name: str) -> dict[str, str]:
    """A ``map<string,string>`` member such as ``ClientMetadata`` or ``AuthParameters``.

    A non-string value is refused with ``InvalidParameterException``; boto3
    refuses it on the client side already (``ParamValidationError``) unless
    ``parameter_validation`` is off.
    """
    value = params.get(name)
    if value is None:
        return {}
    member = _member(name)
    if not isinstance(value, dict):
        raise _validation(member, "Member must be a map of strings to strings")
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise _validation(
                f"{member}.{key}", "Map value must satisfy constraint: [Member must be a string]"
            )
    return dict(value)


def attribute_map(params: Params, name: str) -> dict[str, str] | None:
    """A list of ``{"Name": ..., "Value": ...}`` (``UserAttributes``, ``ValidationData``)
    as a dict; None when the member is absent."""
    value = params.get(name)
    if value is None:
        return None
    member = _member(name)
    if not isinstance(value, list):
        raise _validation(member, "Member must be a list of attributes")
    result: dict[str, str] = {}
    for index, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("Name"), str):
            raise _validation(f"{member}.{index + 1}.member.name", "Member must not be null")
        attribute_value = item.get("Value", "")
        if not isinstance(attribute_value, str):
            raise _validation(f"{member}.{index + 1}.member.value", "Member must be a string")
        result[item["Name"]] = attribute_value
    return result
