"""Unit tests for the provider picker's readable labels and the ``display_name`` setting."""

from __future__ import annotations

from typing import Any

import pytest

from nbauth.config import load_config
from nbauth.errors import ConfigurationError
from nbauth.notebook.widget_providers import (
    USER_POOL_LABEL,
    provider_label,
    provider_options,
    readable_name,
)

ISSUER = "https://idp.example.com"


def config(providers: dict[str, Any] | None = None, **auth: Any) -> Any:
    return load_config(
        {
            "auth": {"aws_region": "eu-west-1", **auth},
            "nbauth": {"oidc_providers": providers or {}},
        }
    )


def test_display_name_is_read_and_carried() -> None:
    cfg = config({"corp": {"issuer": ISSUER, "client_id": "a", "display_name": " Corporate SSO "}})
    assert cfg.oidc_providers["corp"].display_name == "Corporate SSO"
    assert (
        config({"corp": {"issuer": ISSUER, "client_id": "a"}}).oidc_providers["corp"].display_name
        is None
    )


@pytest.mark.parametrize("value", ["", "   ", 42, ["x"], "a\nb", "x" * 65])
def test_display_name_is_validated(value: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        config({"corp": {"issuer": ISSUER, "client_id": "a", "display_name": value}})
    assert "nbauth.oidc_providers.corp.display_name" in caught.value.message


def test_unknown_key_lists_display_name_among_the_allowed() -> None:
    with pytest.raises(ConfigurationError) as caught:
        config({"corp": {"issuer": ISSUER, "client_id": "a", "label": "x"}})
    assert "display_name" in caught.value.message
    assert "nbauth.oidc_providers.corp.label" in caught.value.message


@pytest.mark.parametrize(
    ("name", "readable"),
    [
        ("sandbox", "Sandbox"),
        ("corp-sso", "Corp Sso"),
        ("my_idp", "My Idp"),
        ("GitHub", "GitHub"),
        ("okta.prod", "Okta Prod"),
        ("---", "---"),
    ],
)
def test_readable_name(name: str, readable: str) -> None:
    assert readable_name(name) == readable


def test_oidc_labels_use_display_name_else_a_readable_name() -> None:
    cfg = config(
        {
            "sandbox": {"issuer": ISSUER, "client_id": "a"},
            "corp": {"issuer": ISSUER, "client_id": "b", "display_name": "Example Corp"},
        }
    )
    assert [o.label for o in provider_options(cfg)] == ["Sandbox", "Example Corp"]
    assert provider_label(cfg, "oidc", "corp") == "Example Corp"


def test_user_pool_and_managed_login_brand_names() -> None:
    cfg = config(
        user_pool_id="eu-west-1_Abc",
        user_pool_client_id="client",
        oauth={
            "domain": "x.auth.eu-west-1.amazoncognito.com",
            "identity_providers": [
                "GOOGLE",
                "FACEBOOK",
                "LoginWithAmazon",
                "SignInWithApple",
                "Okta-SAML",
                "COGNITO",
            ],
        },
    )
    labels = [o.label for o in provider_options(cfg)]
    assert labels == [
        USER_POOL_LABEL,
        "Google",
        "Facebook",
        "Login with Amazon",
        "Sign in with Apple",
        "Okta-SAML",
        "Username and password (sign-in page)",
    ]
    assert USER_POOL_LABEL == "Username and password"
    raw = {"Cognito managed login", "userPool", "Cognito user pool"}
    assert not any(r.lower() in label.lower() for r in raw for label in labels)


def test_short_names_and_labels_still_choose_options() -> None:
    cfg = config(
        {"corp-sso": {"issuer": ISSUER, "client_id": "a", "display_name": "Corporate"}},
        user_pool_id="eu-west-1_Abc",
        user_pool_client_id="client",
        oauth={
            "domain": "x.auth.eu-west-1.amazoncognito.com",
            "identity_providers": ["SignInWithApple", "LoginWithAmazon"],
        },
    )
    chosen = provider_options(cfg, ["apple", "Login with Amazon", "user_pool", "corporate"])
    assert [(o.kind, o.name) for o in chosen] == [
        ("managed_login", "SignInWithApple"),
        ("managed_login", "LoginWithAmazon"),
        ("user_pool", None),
        ("oidc", "corp-sso"),
    ]
    assert provider_options(cfg, ["corp-sso"])[0].label == "Corporate"
