"""The keys a configuration may have, and the checks every value goes through.

One place says which keys exist (Amplify Gen 2's outputs schema, nbauth's own section) and one
helper reports an unknown key with the closest allowed one (``difflib``): a typo such as
``auth.identiy_pool_id`` gets "did you mean 'identity_pool_id'?" wherever it is.

Example::

    check_keys({"atuh": {}}, TOP_LEVEL_KEYS, "")   # ConfigurationError: ... did you mean 'auth'?
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import ConfigurationError
from .oidc.presets import FORBIDDEN_AUTHORIZE_PARAMS

__all__ = [
    "AUTH_KEYS",
    "AUTH_OVERRIDES",
    "NBAUTH_KEYS",
    "OAUTH_KEYS",
    "OIDC_PROVIDER_KEYS",
    "REFRESH_KEYS",
    "STORAGE_KEYS",
    "TOP_LEVEL_KEYS",
    "authorize_params",
    "bool_value",
    "check_keys",
    "did_you_mean",
    "fail",
    "number_value",
    "section",
    "str_list",
    "str_value",
    "unknown_key",
]

AUTH_OVERRIDES = {
    "aws_region",
    "user_pool_id",
    "user_pool_client_id",
    "identity_pool_id",
    "unauthenticated_identities_enabled",
    "user_pool_endpoint",
    "identity_pool_endpoint",
}
NBAUTH_KEYS = {
    "oidc_providers",
    "default_provider",
    "refresh",
    "storage",
    "user_pool_client_secret",
    "aws_endpoint_url",
}
#: The top level of Amplify Gen 2's outputs schema (schema_v1.5.json), plus nbauth's section.
TOP_LEVEL_KEYS = frozenset(
    {
        "$schema",
        "version",
        "analytics",
        "auth",
        "custom",
        "data",
        "geo",
        "notifications",
        "storage",
        "nbauth",
    }
)
#: ``auth`` in Amplify Gen 2's outputs schema (v1 to v1.5; ``authentication_flow_type`` is read by
#: Amplify JS), plus the endpoints of Amplify v6's ``userPoolEndpoint``/``identityPoolEndpoint``.
AUTH_KEYS = frozenset(
    {
        "aws_region",
        "authentication_flow_type",
        "user_pool_id",
        "user_pool_client_id",
        "identity_pool_id",
        "password_policy",
        "oauth",
        "standard_required_attributes",
        "username_attributes",
        "user_verification_types",
        "unauthenticated_identities_enabled",
        "mfa_configuration",
        "mfa_methods",
        "passwordless",
        "groups",
        "user_pool_endpoint",
        "identity_pool_endpoint",
    }
)
OAUTH_KEYS = frozenset(
    {
        "identity_providers",
        "domain",
        "scopes",
        "redirect_sign_in_uri",
        "redirect_sign_out_uri",
        "response_type",
    }
)
REFRESH_KEYS = frozenset({"margin_seconds", "jitter_seconds", "background"})
STORAGE_KEYS = frozenset({"kind", "path"})


OIDC_PROVIDER_KEYS = (
    "issuer",
    "client_id",
    "client_secret",
    "scopes",
    "logins_key",
    "display_name",
    "preset",
    "authorize_params",
    "device_flow",
)


def fail(key: str, expected: str, got: Any) -> ConfigurationError:
    shown = got if not isinstance(got, str) or len(got) < 80 else got[:77] + "..."
    return ConfigurationError(
        f"{key}: expected {expected}, got {shown!r}.",
        f"Fix '{key}' in your configuration (amplify_outputs.json or the dict given to "
        "configure()).",
    )


def did_you_mean(key: object, allowed: Iterable[str]) -> str:
    """ ": did you mean 'auth'?" for the closest of ``allowed`` (difflib), else "."."""
    close = difflib.get_close_matches(str(key), sorted(allowed), n=1, cutoff=0.6)
    return f": did you mean {close[0]!r}?" if close else "."


def unknown_key(key: object, allowed: Iterable[str], where: str) -> ConfigurationError:
    """The error for ``key``, not one of ``allowed`` in section ``where`` ('' = the top level,
    'configure()' = a keyword setting), with the closest allowed key as a suggestion."""
    choices = sorted(allowed)
    hint = did_you_mean(key, choices)
    if hint == ".":  # nothing close: say what is allowed in the message itself
        hint = f" (allowed: {', '.join(choices)})."
    if where == "configure()":
        message = f"configure() got an unknown setting {key!r}{hint}"
    elif where:
        message = f"Unknown configuration key {f'{where}.{key}'!r}{hint}"
    else:
        message = f"Unknown top-level section {key!r} in the configuration{hint}"
    place = where or "the top level"
    return ConfigurationError(
        message,
        f"Rename or remove it ({place} allows: {', '.join(choices)}).",
    )


def check_keys(section: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    """Raise :func:`unknown_key` for the first (sorted) key of ``section`` not in ``allowed``."""
    allowed = frozenset(allowed)
    unknown = sorted(str(k) for k in section if k not in allowed)
    if unknown:
        raise unknown_key(unknown[0], allowed, where)


def str_value(
    section: Mapping[str, Any],
    key: str,
    path: str,
    pattern: re.Pattern[str] | None = None,
    expected: str = "a string",
) -> str | None:
    value = section.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value or (pattern and not pattern.match(value)):
        raise fail(f"{path}.{key}", expected, value)
    return value


def bool_value(section: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise fail(f"{path}.{key}", "true or false", value)
    return value


def number_value(section: Mapping[str, Any], key: str, path: str, default: float) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise fail(f"{path}.{key}", "a number of seconds ≥ 0", value)
    return float(value)


def str_list(
    section: Mapping[str, Any], key: str, path: str, default: tuple[str, ...] = ()
) -> tuple[str, ...]:
    value = section.get(key)
    if value is None:
        return default
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise fail(f"{path}.{key}", "a list of strings", value)
    return tuple(value)


def section(parent: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    value = parent.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise fail(f"{path}{key}", "an object", value)
    return value


def authorize_params(spec: Mapping[str, Any], path: str) -> dict[str, str]:
    """``authorize_params``: string to string, never a parameter nbauth sets itself."""
    value = spec.get("authorize_params")
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and k and isinstance(v, str) for k, v in value.items()
    ):
        raise fail(f"{path}.authorize_params", "an object of strings", value)
    reserved = sorted(k for k in value if k.lower() in FORBIDDEN_AUTHORIZE_PARAMS)
    if reserved:
        raise ConfigurationError(
            f"{path}.authorize_params.{reserved[0]}: nbauth sets {reserved[0]!r} itself on every "
            "authorization request; configuration cannot override it.",
            f"Remove {reserved[0]!r} from authorize_params (for scopes, use {path}.scopes). "
            f"Not allowed there: {', '.join(sorted(FORBIDDEN_AUTHORIZE_PARAMS))}.",
        )
    return dict(value)
