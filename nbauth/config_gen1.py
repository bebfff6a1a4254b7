"""Amplify Gen 1 and Amplify JS configurations: recognised, and translated in the error.

nbauth reads Amplify Gen 2's ``amplify_outputs.json``. Given an Amplify Gen 1 ``aws-exports.js`` or
``amplifyconfiguration.json`` (flat ``aws_*`` keys), or the object of Amplify JS's
``Amplify.configure({Auth: {Cognito: {...}}})``, :func:`refuse_other_formats` raises a
:class:`~nbauth.errors.ConfigurationError` whose suggestion is the ``amplify_outputs.json`` that
says the same, built from the values found, ready to save.

Example::

    refuse_other_formats({"aws_user_pools_id": "eu-west-1_AbC"}, "aws-exports.js")  # raises
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .errors import ConfigurationError

__all__ = ["javascript_object", "refuse_other_formats"]

# -- -------------------------------

#: Amplify Gen 1 (aws-exports.js, amplifyconfiguration.json for JS): flat aws_* keys.
_GEN1_KEYS = frozenset(
    {
        "aws_project_region",
        "aws_cognito_region",
        "aws_cognito_identity_pool_id",
        "aws_user_pools_id",
        "aws_user_pools_web_client_id",
    }
)
#: Cognito managed login's providers, as Gen 1 / Amplify JS name them → as Gen 2 does.
_GEN2_IDP_NAMES = {
    "google": "GOOGLE",
    "facebook": "FACEBOOK",
    "amazon": "LOGIN_WITH_AMAZON",
    "login_with_amazon": "LOGIN_WITH_AMAZON",
    "apple": "SIGN_IN_WITH_APPLE",
    "sign_in_with_apple": "SIGN_IN_WITH_APPLE",
}


def javascript_object(text: str) -> Mapping[str, Any]:
    """The object literal of a generated ``aws-exports.js`` (``const awsmobile = {...}``), read
    as JSON after removing comments and trailing commas and quoting bare keys; ``{}`` if not."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"(?m)^\s*//.*$", "", text)
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        return {}
    body = text[start : end + 1]
    # Outside strings only: drop trailing commas, quote bare keys.
    body = re.sub(
        r'("(?:\\.|[^"\\])*")|,(\s*[}\]])|([{,]\s*)([A-Za-z_$][\w$]*)(\s*:)',
        lambda m: m.group(1) or m.group(2) or f'{m.group(3)}"{m.group(4)}"{m.group(5)}',
        body,
    )
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, Mapping) else {}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str)]
    return []


def _idp_names(values: Any) -> list[str]:
    names = []
    for value in values if isinstance(values, (list, tuple)) else []:
        if isinstance(value, Mapping):  # Amplify JS v6: {"custom": "MyOIDC"}
            value = value.get("custom")
        if isinstance(value, str):
            names.append(_GEN2_IDP_NAMES.get(value.lower(), value))
    return names


def _gen2_oauth(
    domain: Any, scopes: Any, sign_in: Any, sign_out: Any, response_type: Any, idps: Any
) -> dict[str, Any] | None:
    if not isinstance(domain, str) or not domain:
        return None
    return {
        "identity_providers": _idp_names(idps),
        "domain": domain,
        "scopes": _as_list(scopes),
        "redirect_sign_in_uri": _as_list(sign_in),
        "redirect_sign_out_uri": _as_list(sign_out),
        "response_type": response_type if response_type in ("code", "token") else "code",
    }


def _gen1_auth(data: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(what the file is, the equivalent Gen 2 ``auth`` section) for an Amplify Gen 1 or Amplify
    JS configuration; ``None`` for anything else."""
    auth: dict[str, Any] = {}
    js = data.get("Auth")
    if isinstance(js, Mapping):  # Amplify.configure({Auth: {Cognito: {...}}}) (v6), or v5's
        cognito = _mapping(js.get("Cognito")) or js
        what = "an Amplify JS configuration (Amplify.configure({Auth: ...}))"
        for gen2, names in (
            ("aws_region", ("region",)),
            ("user_pool_id", ("userPoolId",)),
            ("user_pool_client_id", ("userPoolClientId", "userPoolWebClientId")),
            ("identity_pool_id", ("identityPoolId",)),
            ("unauthenticated_identities_enabled", ("allowGuestAccess",)),
            ("user_pool_endpoint", ("userPoolEndpoint",)),
            ("identity_pool_endpoint", ("identityPoolEndpoint",)),
        ):
            for name in names:
                if cognito.get(name) is not None:
                    auth[gen2] = cognito[name]
                    break
        oauth = _mapping(_mapping(cognito.get("loginWith")).get("oauth")) or _mapping(
            cognito.get("oauth")
        )
        gen2_oauth = _gen2_oauth(
            oauth.get("domain"),
            oauth.get("scopes", oauth.get("scope")),
            oauth.get("redirectSignIn"),
            oauth.get("redirectSignOut"),
            oauth.get("responseType"),
            oauth.get("providers"),
        )
    elif _GEN1_KEYS & set(data):
        what = "an Amplify Gen 1 configuration (aws-exports.js / amplifyconfiguration.json)"
        for gen2, name in (
            ("aws_region", "aws_cognito_region"),
            ("user_pool_id", "aws_user_pools_id"),
            ("user_pool_client_id", "aws_user_pools_web_client_id"),
            ("identity_pool_id", "aws_cognito_identity_pool_id"),
        ):
            if isinstance(data.get(name), str) and data[name]:
                auth[gen2] = data[name]
        if "aws_region" not in auth and isinstance(data.get("aws_project_region"), str):
            auth["aws_region"] = data["aws_project_region"]
        oauth = _mapping(data.get("oauth"))
        gen2_oauth = _gen2_oauth(
            oauth.get("domain"),
            oauth.get("scope"),
            oauth.get("redirectSignIn"),
            oauth.get("redirectSignOut"),
            oauth.get("responseType"),
            data.get("aws_cognito_social_providers"),
        )
    else:
        return None
    if "aws_region" not in auth:
        for key in ("user_pool_id", "identity_pool_id"):
            pool = auth.get(key)
            if isinstance(pool, str) and re.match(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}[_:]", pool):
                auth["aws_region"] = re.split(r"[_:]", pool, maxsplit=1)[0]
                break
    if gen2_oauth is not None:
        auth["oauth"] = gen2_oauth
    return what, dict(sorted(auth.items(), key=lambda item: _GEN2_ORDER.get(item[0], 99)))


_GEN2_ORDER = {
    key: i
    for i, key in enumerate(
        (
            "aws_region",
            "user_pool_id",
            "user_pool_client_id",
            "identity_pool_id",
            "unauthenticated_identities_enabled",
            "oauth",
        )
    )
}


def refuse_other_formats(data: Mapping[str, Any], source: str, *, javascript: bool = False) -> None:
    """Raise for an Amplify Gen 1 / Amplify JS configuration (or any JavaScript file), with the
    ``amplify_outputs.json`` that says the same, built from the values found."""
    found = _gen1_auth(data)
    where = "This configuration" if source == "dict" else repr(source)
    if found is None and not javascript:
        return
    if found is None:
        raise ConfigurationError(
            f"{where} is JavaScript; nbauth reads Amplify Gen 2's amplify_outputs.json (JSON).",
            "With an Amplify Gen 2 backend, run 'npx ampx generate outputs' and pass the "
            "amplify_outputs.json it writes. For an Amplify Gen 1 project, write an "
            "amplify_outputs.json whose auth section has aws_region, user_pool_id, "
            "user_pool_client_id and identity_pool_id (from aws-exports.js: "
            "aws_cognito_region, aws_user_pools_id, aws_user_pools_web_client_id, "
            "aws_cognito_identity_pool_id).",
        )
    what, auth = found
    text = json.dumps({"version": "1.4", "auth": auth}, indent=2)
    raise ConfigurationError(
        f"{where} is {what}; nbauth reads Amplify Gen 2's amplify_outputs.json, whose keys differ.",
        "Save this as amplify_outputs.json (or put its auth section into yours) and pass that "
        f"file instead:\n{text}",
    )
