"""Configuration: Amplify Gen 2 ``amplify_outputs.json`` plus an ``nbauth`` section.

``load_config`` accepts a path, a dict, or nothing (then ``$NBAUTH_CONFIG``,
then ``./amplify_outputs.json``). Keys are checked strictly against Amplify Gen 2's outputs schema
(the top level, ``auth``, ``auth.oauth``) and nbauth's own section: a typo is reported with the
closest allowed key (:mod:`nbauth.config_checks`), an Amplify Gen 1 or Amplify JS configuration
with its Gen 2 equivalent (:mod:`nbauth.config_gen1`). Of Amplify's sections only ``auth`` is
read. A configuration with no identity pool, no user pool and no OpenID provider is refused: it
could give neither tokens nor credentials. Providers may name a ``preset``
(:mod:`nbauth.oidc.presets`) that fills scopes, ``authorize_params`` and ``device_flow``.

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
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config_checks import (
    AUTH_KEYS,
    AUTH_OVERRIDES,
    NBAUTH_KEYS,
    OAUTH_KEYS,
    OIDC_PROVIDER_KEYS,
    REFRESH_KEYS,
    STORAGE_KEYS,
    TOP_LEVEL_KEYS,
    authorize_params,
    bool_value,
    check_keys,
    did_you_mean,
    fail,
    number_value,
    section,
    str_list,
    str_value,
    unknown_key,
)
from .config_gen1 import javascript_object, refuse_other_formats
from .errors import ConfigurationError, InsecureEndpointError
from .net.secure_urls import is_secure_url
from .oidc.presets import PRESETS

__all__ = ["AuthConfig", "OAuthConfig", "OIDCProviderConfig", "load_config"]

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}\Z")
_USER_POOL_ID = re.compile(r"^([a-z]{2}(?:-[a-z]+)+-\d{1,2})_[0-9A-Za-z]+\Z")
_IDENTITY_POOL_ID = re.compile(
    r"^([a-z]{2}(?:-[a-z]+)+-\d{1,2}):[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\Z"
)
_CLIENT_ID = re.compile(r"^[\w+]+\Z")


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
    #: A well-known provider (:mod:`nbauth.oidc.presets`) whose defaults filled the rest.
    preset: str | None = None
    #: Extra authorization-request parameters (e.g. Google's ``access_type=offline``); never
    #: one nbauth sets itself (state, nonce, PKCE, redirect_uri, scope, ...).
    authorize_params: Mapping[str, str] = field(default_factory=dict)
    #: Whether the provider offers the device flow: ``False`` refuses it before any network
    #: call; ``None``: unknown, allowed (the provider's discovery document decides).
    device_flow: bool | None = None


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
        if path.suffix.lower() in (".js", ".mjs", ".cjs", ".ts"):
            refuse_other_formats(javascript_object(text), str(path), javascript=True)
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigurationError(
                f"{str(path)!r} is not valid JSON ({exc}).",
                "Regenerate amplify_outputs.json (npx ampx generate outputs) or fix the JSON.",
                underlying=exc,
            ) from None
        if not isinstance(data, Mapping):
            raise fail(str(path), "a JSON object", type(data).__name__)
        return data, str(path)
    raise ConfigurationError(
        f"configure() takes a path, a dict or None, not {type(config).__name__}.",
        "Pass the path of amplify_outputs.json or its content as a dict.",
    )


def _oauth(auth: Mapping[str, Any]) -> OAuthConfig | None:
    oauth = section(auth, "oauth", "auth.")
    if not oauth:
        return None
    check_keys(oauth, OAUTH_KEYS, "auth.oauth")
    domain = str_value(oauth, "domain", "auth.oauth", expected="the Cognito domain")
    if domain is None:
        raise fail("auth.oauth.domain", "the Cognito domain", None)
    return OAuthConfig(
        domain=domain,
        scopes=str_list(oauth, "scopes", "auth.oauth", ("openid",)),
        redirect_sign_in_uri=str_list(oauth, "redirect_sign_in_uri", "auth.oauth"),
        redirect_sign_out_uri=str_list(oauth, "redirect_sign_out_uri", "auth.oauth"),
        response_type=str_value(oauth, "response_type", "auth.oauth") or "code",
        identity_providers=str_list(oauth, "identity_providers", "auth.oauth"),
    )


def _endpoint(section: Mapping[str, Any], key: str, path: str) -> str | None:
    """An endpoint URL: https, or http on this machine only (credentials travel through it)."""
    value = str_value(section, key, path, re.compile(r"^https?://[^\s/?#]+/?\Z"), "an https:// URL")
    if value is not None and not is_secure_url(value):
        error = fail(f"{path}.{key}", "an https:// URL (http:// only on this machine)", value)
        raise InsecureEndpointError(error.message, error.recovery_suggestion)
    return value.rstrip("/") if value is not None else None


def _display_name(spec: Mapping[str, Any], path: str) -> str | None:
    value = str_value(
        spec,
        "display_name",
        path,
        re.compile(r"^(?=.*\S)[^\x00-\x1f\x7f]{1,64}$"),
        "a name of 1 to 64 printable characters",
    )
    return value.strip() if value is not None else None


def _oidc_provider(name: str, spec: Any) -> OIDCProviderConfig:
    path = f"nbauth.oidc_providers.{name}"
    if not isinstance(spec, Mapping):
        raise fail(path, "an object with issuer and client_id", spec)
    check_keys(spec, OIDC_PROVIDER_KEYS, path)
    issuer = str_value(spec, "issuer", path, re.compile(r"^https?://[^\s/]+"), "an https:// URL")
    client_id = str_value(spec, "client_id", path)
    if issuer is None:
        raise fail(f"{path}.issuer", "an https:// URL", None)
    if not is_secure_url(issuer):  # tokens and codes would travel in clear
        expected = "an https:// URL (http:// only on this machine)"
        error = fail(f"{path}.issuer", expected, issuer)
        raise InsecureEndpointError(error.message, error.recovery_suggestion)
    if client_id is None:
        raise fail(f"{path}.client_id", "the OAuth client id", None)
    preset_name = str_value(spec, "preset", path, expected=f"one of {', '.join(PRESETS)}")
    preset = None
    if preset_name is not None:
        preset = PRESETS.get(preset_name)
        if preset is None:
            raise ConfigurationError(
                f"{path}.preset: unknown preset {preset_name!r}"
                f"{did_you_mean(preset_name, PRESETS)}",
                f"Use one of: {', '.join(PRESETS)}; or remove 'preset' and give scopes and "
                "authorize_params yourself.",
            )
        preset.check_issuer(issuer, f"{path}.issuer")
    device_flow = spec.get("device_flow")
    if device_flow is not None and not isinstance(device_flow, bool):
        raise fail(f"{path}.device_flow", "true, false or null", device_flow)
    # What the user wrote wins; the preset fills the rest.
    params = dict(preset.authorize_params) if preset else {}
    params.update(authorize_params(spec, path))
    default_scopes = preset.scopes if preset else OIDCProviderConfig.scopes
    return OIDCProviderConfig(
        name=name,
        issuer=issuer,
        client_id=client_id,
        client_secret=str_value(spec, "client_secret", path),
        scopes=str_list(spec, "scopes", path, default_scopes),
        logins_key=str_value(spec, "logins_key", path),
        display_name=_display_name(spec, path),
        preset=preset_name,
        authorize_params=params,
        device_flow=device_flow if device_flow is not None or not preset else preset.device_flow,
    )


def _oidc_providers(nb: Mapping[str, Any]) -> dict[str, OIDCProviderConfig]:
    providers = section(nb, "oidc_providers", "nbauth.")
    return {name: _oidc_provider(name, spec) for name, spec in providers.items()}


def load_config(config: Any = None, **overrides: Any) -> AuthConfig:
    """Read and validate a configuration; raises :class:`ConfigurationError` naming the key."""
    data, source = _read_source(config)
    refuse_other_formats(data, source)
    check_keys(data, TOP_LEVEL_KEYS, "")
    auth = dict(section(data, "auth", ""))
    nb = dict(section(data, "nbauth", ""))
    for key, value in overrides.items():
        if key in AUTH_OVERRIDES:
            auth[key] = value
        elif key in NBAUTH_KEYS:
            nb[key] = value
        else:
            raise unknown_key(key, AUTH_OVERRIDES | NBAUTH_KEYS, "configure()")
    check_keys(auth, AUTH_KEYS, "auth")
    check_keys(nb, NBAUTH_KEYS, "nbauth")

    region = str_value(auth, "aws_region", "auth", _REGION, "an AWS region such as 'us-east-1'")
    region_from = "auth.aws_region"
    user_pool_id = str_value(
        auth, "user_pool_id", "auth", _USER_POOL_ID, "a user pool id such as 'us-east-1_AbC123'"
    )
    identity_pool_id = str_value(
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
        if match is None:  # str_value() has checked the form already
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
    default_provider = str_value(nb, "default_provider", "nbauth")
    if default_provider is not None and default_provider not in oidc:
        raise fail(
            "nbauth.default_provider",
            f"one of nbauth.oidc_providers ({', '.join(oidc) or 'none configured'})",
            default_provider,
        )
    refresh = section(nb, "refresh", "nbauth.")
    check_keys(refresh, REFRESH_KEYS, "nbauth.refresh")
    storage = section(nb, "storage", "nbauth.")
    check_keys(storage, STORAGE_KEYS, "nbauth.storage")
    kind = storage.get("kind", "memory")
    if kind not in ("memory", "file", "keyring"):
        raise fail("nbauth.storage.kind", "'memory', 'file' or 'keyring'", kind)

    result = AuthConfig(
        region=region,
        user_pool_id=user_pool_id,
        user_pool_client_id=str_value(
            auth, "user_pool_client_id", "auth", _CLIENT_ID, "an app client id"
        ),
        identity_pool_id=identity_pool_id,
        allow_guest=bool_value(auth, "unauthenticated_identities_enabled", "auth", False),
        oauth=_oauth(auth),
        oidc_providers=oidc,
        default_provider=default_provider,
        refresh_margin_seconds=number_value(refresh, "margin_seconds", "nbauth.refresh", 300.0),
        refresh_jitter_seconds=number_value(refresh, "jitter_seconds", "nbauth.refresh", 30.0),
        background_refresh=bool_value(refresh, "background", "nbauth.refresh", True),
        storage_kind=kind,
        storage_path=str_value(storage, "path", "nbauth.storage"),
        user_pool_client_secret=str_value(nb, "user_pool_client_secret", "nbauth"),
        user_pool_endpoint=_endpoint(auth, "user_pool_endpoint", "auth"),
        identity_pool_endpoint=_endpoint(auth, "identity_pool_endpoint", "auth"),
        aws_endpoint_url=_endpoint(nb, "aws_endpoint_url", "nbauth"),
        source=source,
    )
    _refuse_useless(result)
    return result


def _refuse_useless(config: AuthConfig) -> None:
    """A configuration must lead somewhere: an identity pool (AWS credentials, guest or
    federated), a user pool (sign-in with Cognito) or an OpenID provider (sign-in, tokens).

    Code that brings its own credentials or tokens and needs no pool can pass an
    :class:`AuthConfig` to ``configure()`` directly (it is used as given).
    """
    if config.identity_pool_id or config.user_pool_id or config.oidc_providers:
        return
    where = "The configuration" if config.source == "dict" else repr(config.source)
    raise ConfigurationError(
        f"{where} can give neither tokens nor AWS credentials: it names no identity pool, no "
        "user pool and no OpenID provider.",
        "Add auth.identity_pool_id (AWS credentials), auth.user_pool_id with "
        "auth.user_pool_client_id (sign-in with a Cognito user pool) or nbauth.oidc_providers "
        "(sign-in with an OpenID provider). To try nbauth locally: 'nbauth sandbox "
        "--write-config amplify_outputs.json'.",
    )
