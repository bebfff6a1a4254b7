"""Unit tests for nbauth.core.logins: identity-pool Logins keys and AuthProvider.resolve."""

from __future__ import annotations

from typing import Any

import pytest

from nbauth.core.logins import AuthProvider, LoginsProvider, logins_key_from_issuer
from nbauth.errors import AuthError, InvalidParameterError

SAML_ARN = "arn:aws:iam::123456789012:saml-provider/corp-adfs"


@pytest.mark.parametrize(
    ("provider", "key"),
    [
        (AuthProvider.GOOGLE, "accounts.google.com"),
        (AuthProvider.FACEBOOK, "graph.facebook.com"),
        (AuthProvider.AMAZON, "www.amazon.com"),
        (AuthProvider.APPLE, "appleid.apple.com"),
        (AuthProvider.TWITTER, "api.twitter.com"),
        (AuthProvider.DEVELOPER, "cognito-identity.amazonaws.com"),
    ],
)
def test_well_known_keys(provider: LoginsProvider, key: str) -> None:
    assert isinstance(provider, LoginsProvider)
    assert provider.logins_key == key
    assert repr(provider) == f"AuthProvider.{provider.name}"


@pytest.mark.parametrize(
    ("issuer", "key"),
    [
        ("https://idp.example.com", "idp.example.com"),
        ("https://idp.example.com/", "idp.example.com"),
        ("https://login.example.com/tenant/", "login.example.com/tenant"),
        ("http://127.0.0.1:8080/realms/demo", "127.0.0.1:8080/realms/demo"),
        ("HTTPS://idp.example.com", "idp.example.com"),
        ("  https://idp.example.com/  ", "idp.example.com"),
        ("idp.example.com", "idp.example.com"),
    ],
)
def test_oidc_key_is_issuer_without_scheme_or_trailing_slash(issuer: str, key: str) -> None:
    provider = AuthProvider.oidc(issuer)
    assert provider.logins_key == key
    assert logins_key_from_issuer(issuer) == key


def test_user_pool_key() -> None:
    provider = AuthProvider.user_pool("eu-west-1", "eu-west-1_AbC123")
    assert provider.logins_key == "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"


def test_saml_key_is_the_arn() -> None:
    assert AuthProvider.saml(SAML_ARN).logins_key == SAML_ARN


def test_custom_key_is_verbatim() -> None:
    assert AuthProvider.custom("login.mycompany.myapp").logins_key == "login.mycompany.myapp"
    assert AuthProvider.custom("  login.mycompany.myapp ").logins_key == "login.mycompany.myapp"


def test_equality_is_by_logins_key() -> None:
    assert AuthProvider.custom("accounts.google.com") == AuthProvider.GOOGLE
    assert AuthProvider.oidc("https://accounts.google.com/") == AuthProvider.GOOGLE
    assert hash(AuthProvider.custom("accounts.google.com")) == hash(AuthProvider.GOOGLE)
    assert AuthProvider.GOOGLE != AuthProvider.FACEBOOK
    assert AuthProvider.GOOGLE != "accounts.google.com"
    assert {AuthProvider.GOOGLE: 1}[AuthProvider.oidc("https://accounts.google.com")] == 1


# --- resolve ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("google", AuthProvider.GOOGLE),
        ("GOOGLE", AuthProvider.GOOGLE),
        ("Google", AuthProvider.GOOGLE),
        ("  facebook ", AuthProvider.FACEBOOK),
        ("Amazon", AuthProvider.AMAZON),
        ("LoginWithAmazon", AuthProvider.AMAZON),
        ("apple", AuthProvider.APPLE),
        ("SignInWithApple", AuthProvider.APPLE),
        ("twitter", AuthProvider.TWITTER),
        ("developer", AuthProvider.DEVELOPER),
    ],
)
def test_resolve_names(name: str, expected: LoginsProvider) -> None:
    assert AuthProvider.resolve(name) is expected


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://idp.example.com", "idp.example.com"),
        ("https://idp.example.com/tenant/", "idp.example.com/tenant"),
        ("http://localhost:9000", "localhost:9000"),
        ("HTTPS://IdP.example.com/x", "IdP.example.com/x"),
    ],
)
def test_resolve_urls(url: str, key: str) -> None:
    provider = AuthProvider.resolve(url)
    assert provider.logins_key == key
    assert provider == AuthProvider.oidc(url)


@pytest.mark.parametrize(
    "key",
    [
        "accounts.google.com",
        "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
        SAML_ARN,
        "login.mycompany.myapp",
    ],
)
def test_resolve_raw_keys(key: str) -> None:
    assert AuthProvider.resolve(key).logins_key == key


def test_resolve_raw_user_pool_key_matches_user_pool() -> None:
    key = "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
    assert AuthProvider.resolve(key) == AuthProvider.user_pool("eu-west-1", "eu-west-1_AbC123")


@pytest.mark.parametrize(
    "provider",
    [
        AuthProvider.GOOGLE,
        AuthProvider.oidc("https://idp.example.com"),
        AuthProvider.saml(SAML_ARN),
        LoginsProvider("mine", "my.key"),
    ],
)
def test_resolve_passes_providers_through(provider: LoginsProvider) -> None:
    assert AuthProvider.resolve(provider) is provider


# --- bad input ----------------------------------------------------------------------------------


def _assert_invalid(call: Any, *args: Any) -> InvalidParameterError:
    with pytest.raises(InvalidParameterError) as info:
        call(*args)
    assert isinstance(info.value, AuthError)
    assert info.value.recovery_suggestion
    return info.value


@pytest.mark.parametrize("bad", ["", "   ", None, 42, 4.2, b"accounts.google.com", ["google"]])
def test_resolve_bad_input(bad: Any) -> None:
    _assert_invalid(AuthProvider.resolve, bad)


@pytest.mark.parametrize("bad", ["corp-adfs", "", "saml-provider/corp", None, 42])
def test_saml_without_arn(bad: Any) -> None:
    _assert_invalid(AuthProvider.saml, bad)


@pytest.mark.parametrize("bad", ["", "   ", None, 42])
def test_custom_bad_key(bad: Any) -> None:
    _assert_invalid(AuthProvider.custom, bad)


@pytest.mark.parametrize(
    "bad", ["", "https://", "http:///", "https:///tenant", "https://idp example.com", None, 42]
)
def test_oidc_bad_issuer(bad: Any) -> None:
    _assert_invalid(AuthProvider.oidc, bad)


@pytest.mark.parametrize(
    ("region", "pool_id"), [("", "eu-west-1_AbC123"), ("eu-west-1", ""), (None, None)]
)
def test_user_pool_bad_input(region: Any, pool_id: Any) -> None:
    _assert_invalid(AuthProvider.user_pool, region, pool_id)
