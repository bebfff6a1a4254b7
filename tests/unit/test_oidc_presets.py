"""Presets for real IdPs (issue 13, item 4): defaults, issuer checks, authorize_params and
device_flow."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

import nbauth
from nbauth.config import OIDCProviderConfig, load_config
from nbauth.errors import ConfigurationError
from nbauth.oidc.authorization_code import start_redirect
from nbauth.oidc.client import OIDCClient, ProviderSpec
from nbauth.oidc.discovery import ProviderMetadata
from nbauth.oidc.presets import FORBIDDEN_AUTHORIZE_PARAMS, PRESETS

ISSUERS = {
    "google": "https://accounts.google.com",
    "entra": "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
    "okta": "https://dev-123456.okta.com/oauth2/default",
    "auth0": "https://example-tenant.eu.auth0.com/",
    "keycloak": "https://sso.example.com/realms/research",
    "cognito": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz",
}

EXPECTED = {
    # preset: (scopes, authorize_params, device_flow)
    "google": (
        ("openid", "email", "profile"),
        {"access_type": "offline", "prompt": "consent"},
        None,
    ),
    "entra": (("openid", "profile", "email", "offline_access"), {}, True),
    "okta": (("openid", "profile", "email", "offline_access"), {}, True),
    "auth0": (("openid", "profile", "email", "offline_access"), {}, True),
    "keycloak": (("openid", "profile", "email", "offline_access"), {}, True),
    "cognito": (("openid", "email", "profile"), {}, False),
}


def provider(**spec: Any) -> OIDCProviderConfig:
    spec.setdefault("client_id", "nbauth-client")
    return load_config({"nbauth": {"oidc_providers": {"p": spec}}}).oidc_providers["p"]


def error(**spec: Any) -> ConfigurationError:
    with pytest.raises(ConfigurationError) as info:
        provider(**spec)
    assert info.value.recovery_suggestion
    return info.value


def test_every_preset_is_covered() -> None:
    assert set(PRESETS) == set(EXPECTED) == set(ISSUERS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_preset_fills_its_defaults(name: str) -> None:
    scopes, params, device_flow = EXPECTED[name]
    cfg = provider(issuer=ISSUERS[name], preset=name)
    assert cfg.preset == name
    assert cfg.scopes == scopes
    assert dict(cfg.authorize_params) == params
    assert cfg.device_flow is device_flow


def test_google_never_asks_for_offline_access() -> None:
    # Google refuses the scope; a refresh token comes from access_type=offline instead.
    cfg = provider(issuer=ISSUERS["google"], preset="google")
    assert "offline_access" not in cfg.scopes
    assert cfg.authorize_params["access_type"] == "offline"


def test_what_the_user_writes_wins_over_the_preset() -> None:
    cfg = provider(
        issuer=ISSUERS["google"],
        preset="google",
        scopes=["openid", "email"],
        authorize_params={"prompt": "select_account", "hd": "example.com"},
        device_flow=True,
    )
    assert cfg.scopes == ("openid", "email")
    assert dict(cfg.authorize_params) == {
        "access_type": "offline",
        "prompt": "select_account",
        "hd": "example.com",
    }
    assert cfg.device_flow is True


def test_without_a_preset_nothing_changes() -> None:
    cfg = provider(issuer="https://idp.example.com")
    assert cfg.preset is None and dict(cfg.authorize_params) == {} and cfg.device_flow is None
    assert cfg.scopes == OIDCProviderConfig.scopes


def test_authorize_params_work_without_a_preset() -> None:
    cfg = provider(issuer="https://idp.example.com", authorize_params={"acr_values": "mfa"})
    assert dict(cfg.authorize_params) == {"acr_values": "mfa"}


def test_an_unknown_preset_gets_a_suggestion() -> None:
    err = error(issuer=ISSUERS["google"], preset="gogle")
    assert "nbauth.oidc_providers.p.preset" in err.message
    assert "did you mean 'google'?" in err.message
    assert "keycloak" in err.recovery_suggestion


@pytest.mark.parametrize(
    ("name", "issuer"),
    [
        ("google", "https://accounts.google.com/"),
        ("google", "https://login.microsoftonline.com/x/v2.0"),
        ("entra", "https://login.microsoftonline.com/common/v2.0"),
        ("entra", "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47"),
        ("entra", "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/"),
        ("okta", "https://dev-123456.okta.com/oauth2/default/"),
        ("okta", "https://dev-123456.okta.com/other/path"),
        ("auth0", "https://example-tenant.eu.auth0.com"),
        ("keycloak", "https://sso.example.com/research"),
        ("cognito", "https://cognito-idp.eu-west-1.amazonaws.com/us-east-1_AbC123xyz"),
        ("cognito", "https://example.auth.eu-west-1.amazoncognito.com"),
    ],
)
def test_an_issuer_of_the_wrong_form_is_explained(name: str, issuer: str) -> None:
    err = error(issuer=issuer, preset=name)
    assert "nbauth.oidc_providers.p.issuer" in err.message
    assert f"preset {name!r} expects" in err.message
    assert PRESETS[name].issuer_form in err.message


@pytest.mark.parametrize(
    "issuer",
    [
        "https://dev-123456.okta.com",
        "https://login.example.com/oauth2/aus1a2b3c4d5e6f7",
        "https://id.example.com/auth/realms/x",
    ],
)
def test_other_accepted_issuer_forms(issuer: str) -> None:
    preset = "keycloak" if "realms" in issuer else "okta"
    assert provider(issuer=issuer, preset=preset).issuer == issuer


@pytest.mark.parametrize("key", [*sorted(FORBIDDEN_AUTHORIZE_PARAMS), "State", "REDIRECT_URI"])
def test_authorize_params_cannot_replace_nbauths_own(key: str) -> None:
    err = error(issuer="https://idp.example.com", authorize_params={key: "x"})
    assert f"nbauth.oidc_providers.p.authorize_params.{key}" in err.message
    assert "itself" in err.message


@pytest.mark.parametrize("bad", ["access_type=offline", ["a"], {"a": 1}, {"": "x"}])
def test_authorize_params_must_be_strings(bad: Any) -> None:
    err = error(issuer="https://idp.example.com", authorize_params=bad)
    assert "authorize_params" in err.message


def test_device_flow_must_be_a_boolean() -> None:
    err = error(issuer="https://idp.example.com", device_flow="no")
    assert "nbauth.oidc_providers.p.device_flow" in err.message


# --- the authorization URL ------------------------------------------------------------------------


def _client(authorize_params: tuple[tuple[str, str], ...]) -> OIDCClient:
    issuer = "https://idp.example.com"
    metadata = ProviderMetadata(
        issuer=issuer,
        token_endpoint=f"{issuer}/token",
        jwks_uri=f"{issuer}/jwks",
        authorization_endpoint=f"{issuer}/authorize",
        code_challenge_methods_supported=("S256",),
    )
    spec = ProviderSpec(
        name="p",
        issuer=issuer,
        client_id="nbauth-client",
        scopes=("openid", "email"),
        metadata=metadata,
        authorize_params=authorize_params,
    )
    return OIDCClient(spec)


def test_the_authorization_url_carries_the_extra_params_and_keeps_nbauths_own() -> None:
    client = _client(
        (("access_type", "offline"), ("prompt", "consent"), ("state", "evil"), ("scope", "x"))
    )
    handle = start_redirect(
        client, scopes=None, custom_state=None, mode="paste", on_tokens=lambda *a: None
    )
    try:
        query = parse_qs(urlsplit(handle.url).query)
        assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
        assert query["state"] != ["evil"] and query["scope"] == ["openid email"]
        assert query["code_challenge_method"] == ["S256"] and query["response_type"] == ["code"]
    finally:
        handle.cancel()


# --- device_flow: false ---------------------------------------------------------------------------


def test_device_flow_false_refuses_the_device_code_before_any_network_call() -> None:
    auth = nbauth.Auth(
        {
            "nbauth": {
                "oidc_providers": {
                    "pool": {"issuer": ISSUERS["cognito"], "client_id": "x", "preset": "cognito"}
                }
            }
        },
        storage=nbauth.MemoryStorage(),
        hub=nbauth.Hub(),
    )
    with pytest.raises(ConfigurationError) as info:
        auth.sign_in_with_device_code(provider="pool")  # no network here: it would fail otherwise
    assert "no device-code sign-in" in info.value.message
    assert "Cognito managed login has no device authorization endpoint" in info.value.message
    assert "sign_in_with_redirect(provider='pool')" in info.value.recovery_suggestion
    with pytest.raises(ConfigurationError):
        auth.sign_in_with_device_code()  # the only provider, by default


def test_device_flow_false_without_a_preset() -> None:
    auth = nbauth.Auth(
        {
            "nbauth": {
                "oidc_providers": {
                    "corp": {
                        "issuer": "https://idp.example.com",
                        "client_id": "x",
                        "device_flow": False,
                    }
                }
            }
        },
        storage=nbauth.MemoryStorage(),
        hub=nbauth.Hub(),
    )
    with pytest.raises(ConfigurationError, match="no device-code sign-in"):
        auth.sign_in_with_device_code(provider="corp")
