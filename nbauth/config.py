"""Configuration: Amplify Gen 2 ``amplify_outputs.json`` plus an ``nbauth`` section.

``load_config`` accepts a path, a dict, or nothing (then ``$NBAUTH_CONFIG``,
then ``./amplify_outputs.json``). Only the ``auth`` section of Amplify's file
is read (unknown Amplify keys are ignored, as Amplify itself does); the
``nbauth`` section holds what Amplify has no key for and is checked strictly,
so a typo is reported instead of silently ignored.

Endpoints: on AWS nothing is needed (botocore finds Cognito and S3). A local emulator such as
the sandbox is named in the configuration itself, as Amplify v6 does
(``auth.user_pool_endpoint`` and ``auth.identity_pool_endpoint``, Amplify's ``userPoolEndpoint``
and ``identityPoolEndpoint``), plus ``nbauth.aws_endpoint_url`` for the AWS clients made from
``boto3_session()``; nothing process-wide is set. Without them botocore's own conventions apply
(``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_<SERVICE>``, a profile's ``services`` section).

Example::

    cfg = load_config({"auth": {"aws_region": "eu-west-1",
                                "identity_pool_id": "eu-west-1:0f3d…"}})
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigurationError, InsecureEndpointError
from .net.secure_urls import is_secure_url

__all__ = ["AuthConfig", "OAuthConfig", "OIDCProviderConfig", "load_config"]

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}\Z")
_USER_POOL_ID = re.compile(r"^([a-z]{2}(?:-[a-z]+)+-\d{1,2})_[0-9A-Za-z]+\Z")
_IDENTITY_POOL_ID = re.compile(
    r"^([a-z]{2}(?:-[a-z]+)+-\d{1,2}):[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\Z"
)
_CLIENT_ID = re.compile(r"^[\w+]+\Z")
_AUTH_OVERRIDES = {
    "aws_region",
    "user_pool_id",
    "user_pool_client_id",
    "identity_pool_id",
    "unauthenticated_identities_enabled",
    "user_pool_endpoint",
    "identity_pool_endpoint",
}
_NBAUTH_KEYS = {
    "oidc_providers",
    "default_provider",
    "refresh",
    "storage",
    "user_pool_client_secret",
    "aws_endpoint_url",
}


@dataclass(frozen=True)
class OIDCProviderConfig:
    """One OpenID Connect provider from ``nbauth.oidc_providers``."""

    name: str
    issuer: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    scopes: tuple[str, ...] = ("openid", "offline_access", "email", "profile")
    logins_key: str | None = None
    #: The name people see in the provider picker ("Corporate SSO"); ``None``: from ``name``.
    display_name: str | None = None


@dataclass(frozen=True)
class OAuthConfig:
    """Amplify's ``auth.oauth`` section (Cognito managed login)."""

    domain: str
    scopes: tuple[str, ...] = ("openid",)
    redirect_sign_in_uri: tuple[str, ...] = ()
    redirect_sign_out_uri: tuple[str, ...] = ()
    response_type: str = "code"
    identity_providers: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuthConfig:
    """Everything nbauth reads from configuration, validated."""

    region: str | None = None
    user_pool_id: str | None = None
    user_pool_client_id: str | None = None
    identity_pool_id: str | None = None
    allow_guest: bool = False
    oauth: OAuthConfig | None = None
    oidc_providers: Mapping[str, OIDCProviderConfig] = field(default_factory=dict)
    default_provider: str | None = None
    refresh_margin_seconds: float = 300.0
    refresh_jitter_seconds: float = 30.0
    background_refresh: bool = True
    storage_kind: str = "memory"
    storage_path: str | None = None
    #: For app clients with a secret (SECRET_HASH); Amplify's outputs never hold one.
    user_pool_client_secret: str | None = field(default=None, repr=False)
    #: Amplify v6's ``userPoolEndpoint``: where Cognito user-pool calls go (``None``: AWS).
    user_pool_endpoint: str | None = None
    #: Amplify v6's ``identityPoolEndpoint``: where identity-pool calls go (``None``: AWS).
    identity_pool_endpoint: str | None = None
    #: The endpoint of every client made from ``boto3_session()`` (``None``: botocore decides).
    aws_endpoint_url: str | None = None
    source: str = "dict"

    @property
    def user_pool_logins_key(self) -> str | None:
        if self.region and self.user_pool_id:
            return f"cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"
        return None

    def require_identity_pool(self) -> str:
        if not self.identity_pool_id:
            raise ConfigurationError(
                "auth.identity_pool_id is not configured, so no AWS credentials can be had.",
                "Add auth.identity_pool_id (e.g. 'us-east-1:<uuid>') to amplify_outputs.json.",
            )
        return self.identity_pool_id


def _fail(key: str, expected: str, got: Any) -> ConfigurationError:
    shown = got if not isinstance(got, str) or len(got) < 80 else got[:77] + "..."
    return ConfigurationError(
        f"{key}: expected {expected}, got {shown!r}.",
        f"Fix '{key}' in your configuration (amplify_outputs.json or the dict given to "
        "configure()).",
    )


def _str(
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
        raise _fail(f"{path}.{key}", expected, value)
    return value


def _bool(section: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise _fail(f"{path}.{key}", "true or false", value)
    return value


def _number(section: Mapping[str, Any], key: str, path: str, default: float) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise _fail(f"{path}.{key}", "a number of seconds ≥ 0", value)
    return float(value)


def _str_list(
    section: Mapping[str, Any], key: str, path: str, default: tuple[str, ...] = ()
) -> tuple[str, ...]:
    value = section.get(key)
    if value is None:
        return default
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise _fail(f"{path}.{key}", "a list of strings", value)
    return tuple(value)


def _section(parent: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    value = parent.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _fail(f"{path}{key}", "an object", value)
    return value


def _read_source(config: Any) -> tuple[Mapping[str, Any], str]:
    if isinstance(config, Mapping):
        return config, "dict"
    if config is None:
        env = os.environ.get("NBAUTH_CONFIG")
        if env:
            config = env
        elif Path("amplify_outputs.json").is_file():
            config = "amplify_outputs.json"
        else:
            raise ConfigurationError(
                "No configuration: configure() got none, $NBAUTH_CONFIG is unset and there is no "
                "./amplify_outputs.json.",
                "Pass the path of amplify_outputs.json or a dict to nbauth.configure(), or run "
                "'nbauth sandbox --write-config amplify_outputs.json' to try the local sandbox.",
            )
    if isinstance(config, (str, os.PathLike)):
        path = Path(config).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise ConfigurationError(
                f"Cannot read configuration file {str(path)!r}: {reason}.",
                "Check the path; it should point at amplify_outputs.json.",
                underlying=exc,
            ) from None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigurationError(
                f"{str(path)!r} is not valid JSON ({exc}).",
                "Regenerate amplify_outputs.json (npx ampx generate outputs) or fix the JSON.",
                underlying=exc,
            ) from None
        if not isinstance(data, Mapping):
            raise _fail(str(path), "a JSON object", type(data).__name__)
        return data, str(path)
    raise ConfigurationError(
        f"configure() takes a path, a dict or None, not {type(config).__name__}.",
        "Pass the path of amplify_outputs.json or its content as a dict.",
    )


def _oauth(auth: Mapping[str, Any]) -> OAuthConfig | None:
    oauth = _section(auth, "oauth", "auth.")
    if not oauth:
        return None
    domain = _str(oauth, "domain", "auth.oauth", expected="the Cognito domain")
    if domain is None:
        raise _fail("auth.oauth.domain", "the Cognito domain", None)
    return OAuthConfig(
        domain=domain,
        scopes=_str_list(oauth, "scopes", "auth.oauth", ("openid",)),
        redirect_sign_in_uri=_str_list(oauth, "redirect_sign_in_uri", "auth.oauth"),
        redirect_sign_out_uri=_str_list(oauth, "redirect_sign_out_uri", "auth.oauth"),
        response_type=_str(oauth, "response_type", "auth.oauth") or "code",
        identity_providers=_str_list(oauth, "identity_providers", "auth.oauth"),
    )


_OIDC_PROVIDER_KEYS = (
    "issuer",
    "client_id",
    "client_secret",
    "scopes",
    "logins_key",
    "display_name",
)


def _endpoint(section: Mapping[str, Any], key: str, path: str) -> str | None:
    """An endpoint URL: https, or http on this machine only (credentials travel through it)."""
    value = _str(section, key, path, re.compile(r"^https?://[^\s/?#]+/?\Z"), "an https:// URL")
    if value is not None and not is_secure_url(value):
        error = _fail(f"{path}.{key}", "an https:// URL (http:// only on this machine)", value)
        raise InsecureEndpointError(error.message, error.recovery_suggestion)
    return value.rstrip("/") if value is not None else None


def _display_name(spec: Mapping[str, Any], path: str) -> str | None:
    value = _str(
        spec,
        "display_name",
        path,
        re.compile(r"^(?=.*\S)[^\x00-\x1f\x7f]{1,64}$"),
        "a name of 1 to 64 printable characters",
    )
    return value.strip() if value is not None else None


def _oidc_providers(nb: Mapping[str, Any]) -> dict[str, OIDCProviderConfig]:
    providers = _section(nb, "oidc_providers", "nbauth.")
    result = {}
    for name, spec in providers.items():
        path = f"nbauth.oidc_providers.{name}"
        if not isinstance(spec, Mapping):
            raise _fail(path, "an object with issuer and client_id", spec)
        unknown = set(spec) - set(_OIDC_PROVIDER_KEYS)
        if unknown:
            raise _fail(
                f"{path}.{sorted(unknown)[0]}",
                f"no such key ({', '.join(_OIDC_PROVIDER_KEYS)})",
                sorted(unknown)[0],
            )
        issuer = _str(spec, "issuer", path, re.compile(r"^https?://[^\s/]+"), "an https:// URL")
        client_id = _str(spec, "client_id", path)
        if issuer is None:
            raise _fail(f"{path}.issuer", "an https:// URL", None)
        if not is_secure_url(issuer):  # tokens and codes would travel in clear
            expected = "an https:// URL (http:// only on this machine)"
            error = _fail(f"{path}.issuer", expected, issuer)
            raise InsecureEndpointError(error.message, error.recovery_suggestion)
        if client_id is None:
            raise _fail(f"{path}.client_id", "the OAuth client id", None)
        result[name] = OIDCProviderConfig(
            name=name,
            issuer=issuer,
            client_id=client_id,
            client_secret=_str(spec, "client_secret", path),
            scopes=_str_list(spec, "scopes", path, OIDCProviderConfig.scopes),
            logins_key=_str(spec, "logins_key", path),
            display_name=_display_name(spec, path),
        )
    return result


def load_config(config: Any = None, **overrides: Any) -> AuthConfig:
    """Read and validate a configuration; raises :class:`ConfigurationError` naming the key."""
    data, source = _read_source(config)
    auth = dict(_section(data, "auth", ""))
    nb = dict(_section(data, "nbauth", ""))
    for key, value in overrides.items():
        if key in _AUTH_OVERRIDES:
            auth[key] = value
        elif key in _NBAUTH_KEYS:
            nb[key] = value
        else:
            raise ConfigurationError(
                f"configure() got an unknown setting {key!r}.",
                f"Use one of: {', '.join(sorted(_AUTH_OVERRIDES | _NBAUTH_KEYS))}.",
            )
    unknown = set(nb) - _NBAUTH_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise _fail(f"nbauth.{key}", f"no such key (one of {', '.join(sorted(_NBAUTH_KEYS))})", key)

    region = _str(auth, "aws_region", "auth", _REGION, "an AWS region such as 'us-east-1'")
    region_from = "auth.aws_region"
    user_pool_id = _str(
        auth, "user_pool_id", "auth", _USER_POOL_ID, "a user pool id such as 'us-east-1_AbC123'"
    )
    identity_pool_id = _str(
        auth,
        "identity_pool_id",
        "auth",
        _IDENTITY_POOL_ID,
        "an identity pool id such as 'us-east-1:<uuid>'",
    )
    for key, value, pattern in (
        ("user_pool_id", user_pool_id, _USER_POOL_ID),
        ("identity_pool_id", identity_pool_id, _IDENTITY_POOL_ID),
    ):
        if value is None:
            continue
        match = pattern.match(value)
        if match is None:  # _str() has checked the form already
            continue
        own_region = match.group(1)
        if region is None:
            region, region_from = own_region, f"auth.{key}"
        elif own_region != region:
            raise ConfigurationError(
                f"auth.{key} is in region {own_region!r} but {region_from} is in {region!r}.",
                f"Use one region: set auth.aws_region to {own_region!r}, or use the {key} from "
                f"{region!r}.",
            )

    oidc = _oidc_providers(nb)
    default_provider = _str(nb, "default_provider", "nbauth")
    if default_provider is not None and default_provider not in oidc:
        raise _fail(
            "nbauth.default_provider",
            f"one of nbauth.oidc_providers ({', '.join(oidc) or 'none configured'})",
            default_provider,
        )
    refresh = _section(nb, "refresh", "nbauth.")
    unknown = set(refresh) - {"margin_seconds", "jitter_seconds", "background"}
    if unknown:
        raise _fail(
            f"nbauth.refresh.{sorted(unknown)[0]}",
            "no such key (margin_seconds, jitter_seconds, background)",
            sorted(unknown)[0],
        )
    storage = _section(nb, "storage", "nbauth.")
    unknown = set(storage) - {"kind", "path"}
    if unknown:
        raise _fail(
            f"nbauth.storage.{sorted(unknown)[0]}", "no such key (kind, path)", sorted(unknown)[0]
        )
    kind = storage.get("kind", "memory")
    if kind not in ("memory", "file", "keyring"):
        raise _fail("nbauth.storage.kind", "'memory', 'file' or 'keyring'", kind)

    return AuthConfig(
        region=region,
        user_pool_id=user_pool_id,
        user_pool_client_id=_str(
            auth, "user_pool_client_id", "auth", _CLIENT_ID, "an app client id"
        ),
        identity_pool_id=identity_pool_id,
        allow_guest=_bool(auth, "unauthenticated_identities_enabled", "auth", False),
        oauth=_oauth(auth),
        oidc_providers=oidc,
        default_provider=default_provider,
        refresh_margin_seconds=_number(refresh, "margin_seconds", "nbauth.refresh", 300.0),
        refresh_jitter_seconds=_number(refresh, "jitter_seconds", "nbauth.refresh", 30.0),
        background_refresh=_bool(refresh, "background", "nbauth.refresh", True),
        storage_kind=kind,
        storage_path=_str(storage, "path", "nbauth.storage"),
        user_pool_client_secret=_str(nb, "user_pool_client_secret", "nbauth"),
        user_pool_endpoint=_endpoint(auth, "user_pool_endpoint", "auth"),
        identity_pool_endpoint=_endpoint(auth, "identity_pool_endpoint", "auth"),
        aws_endpoint_url=_endpoint(nb, "aws_endpoint_url", "nbauth"),
        source=source,
    )
