"""Applying a pre token generation trigger's response to the token claims.

* V1 (``claimsOverrideDetails``): ``claimsToAddOrOverride`` (string values)
  and ``claimsToSuppress`` change the ID token; ``groupOverrideDetails``
  replaces ``cognito:groups`` in both tokens (an empty list removes it) and
  sets ``cognito:roles``/``cognito:preferred_role`` in the ID token.
* V2 (``claimsAndScopeOverrideDetails``): ``idTokenGeneration`` and
  ``accessTokenGeneration`` each with ``claimsToAddOrOverride`` (any JSON
  value) and ``claimsToSuppress``; the access token also takes
  ``scopesToAdd``/``scopesToSuppress``; ``groupOverrideDetails`` as in V1.

A claim both added and suppressed is suppressed (AWS). Claims Cognito does
not let a trigger change (``sub``, ``iss``, ``aud``, ``exp``, ``token_use``,
``cognito:username``, ``origin_jti``…) are left as they are: the sandbox
ignores such overrides silently. A response of the wrong shape is
``InvalidLambdaResponseException``.
"""

from __future__ import annotations

from typing import Any

from .triggers import invalid_lambda_response, optional_str_map

__all__ = ["RESERVED_CLAIMS", "apply_overrides"]

RESERVED_CLAIMS = frozenset(
    {
        "acr",
        "amr",
        "aud",
        "at_hash",
        "auth_time",
        "azp",
        "cognito:username",
        "exp",
        "iat",
        "identities",
        "iss",
        "jti",
        "nbf",
        "nonce",
        "origin_jti",
        "sub",
        "token_use",
    }
)
_RESERVED_ACCESS = RESERVED_CLAIMS | {"client_id", "scope", "username", "version", "event_id"}


def _object(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid_lambda_response()
    return value


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid_lambda_response()
    return list(value)


def _change(
    claims: dict[str, Any], add: dict[str, Any], suppress: list[str], reserved: frozenset[str]
) -> None:
    for name, value in add.items():
        if name not in reserved:
            claims[name] = value
    for name in suppress:
        if name not in reserved:
            claims.pop(name, None)


def _groups(id_claims: dict[str, Any], access_claims: dict[str, Any], details: Any) -> None:
    if details is None:
        return
    details = _object(details)
    groups = _names(details.get("groupsToOverride"))
    roles = _names(details.get("iamRolesToOverride"))
    preferred = details.get("preferredRole")
    if preferred is not None and not isinstance(preferred, str):
        raise invalid_lambda_response()
    for claims in (id_claims, access_claims):
        if groups:
            claims["cognito:groups"] = groups
        else:
            claims.pop("cognito:groups", None)
    if roles:
        id_claims["cognito:roles"] = roles
    if preferred:
        id_claims["cognito:preferred_role"] = preferred


def _v2_claims(value: Any) -> dict[str, Any]:
    claims = _object(value)
    if any(not isinstance(k, str) for k in claims):
        raise invalid_lambda_response()
    return claims


def apply_overrides(
    response: dict[str, Any], version: str, id_claims: dict[str, Any], access_claims: dict[str, Any]
) -> None:
    """Change ``id_claims``/``access_claims`` in place as the trigger asked."""
    if version == "2":
        details = _object(response.get("claimsAndScopeOverrideDetails"))
        id_part = _object(details.get("idTokenGeneration"))
        _change(
            id_claims,
            _v2_claims(id_part.get("claimsToAddOrOverride")),
            _names(id_part.get("claimsToSuppress")),
            RESERVED_CLAIMS,
        )
        access_part = _object(details.get("accessTokenGeneration"))
        _change(
            access_claims,
            _v2_claims(access_part.get("claimsToAddOrOverride")),
            _names(access_part.get("claimsToSuppress")),
            _RESERVED_ACCESS,
        )
        scopes = access_claims["scope"].split()
        scopes += [s for s in _names(access_part.get("scopesToAdd")) if s not in scopes]
        suppressed = set(_names(access_part.get("scopesToSuppress")))
        access_claims["scope"] = " ".join(s for s in scopes if s not in suppressed)
        _groups(id_claims, access_claims, details.get("groupOverrideDetails"))
        return
    details = _object(response.get("claimsOverrideDetails"))
    _change(
        id_claims,
        optional_str_map(details, "claimsToAddOrOverride"),
        _names(details.get("claimsToSuppress")),
        RESERVED_CLAIMS,
    )
    _groups(id_claims, access_claims, details.get("groupOverrideDetails"))
