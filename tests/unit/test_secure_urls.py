"""https everywhere, plain http on loopback only: issuers, discovery endpoints, device links."""

from __future__ import annotations

from typing import Any

import pytest

from nbauth import errors
from nbauth.config import load_config
from nbauth.net.secure_urls import check_secure_url, is_loopback_host, is_secure_url
from nbauth.oidc.discovery import ProviderMetadata

ISSUER = "https://id.example.com"

SECURE = [
    "https://id.example.com",
    "https://id.example.com:8443/realms/x/protocol/openid-connect/token",
    "http://127.0.0.1:8080/token",
    "http://127.5.6.7/x",
    "http://[::1]:9000/x",
    "http://localhost:3000/x",
    "http://app.localhost/x",
]
INSECURE = [
    "http://id.example.com/token",
    "javascript:alert(document.cookie)",
    "JAVASCRIPT:alert(1)",
    "file:///etc/passwd",
    "ftp://id.example.com/x",
    "data:text/html,<script>alert(1)</script>",
    "https://user:pw@id.example.com/x",
    "//id.example.com/x",
    "/relative/path",
    "https://",
    " https://id.example.com",
    "https://id.example.com/\nx",
    "https://id.example.com:99999/x",
    "http://127.0.0.1.evil.example/x",
    "http://localhost.evil.example/x",
    "",
]


@pytest.mark.parametrize("url", SECURE)
def test_https_and_loopback_http_are_secure(url: str) -> None:
    assert is_secure_url(url)
    assert check_secure_url(url, "x") == url


@pytest.mark.parametrize("url", INSECURE)
def test_anything_else_is_refused_with_a_typed_error(url: str) -> None:
    assert not is_secure_url(url)
    with pytest.raises(errors.InsecureEndpointError) as info:
        check_secure_url(url, "The token endpoint")
    assert "https://" in info.value.message and "?" not in info.value.message


@pytest.mark.parametrize("value", [None, 5, b"https://x", ["https://x"]])
def test_non_strings_are_not_urls(value: Any) -> None:
    assert not is_secure_url(value)
    with pytest.raises(errors.InsecureEndpointError):
        check_secure_url(value, "x")


def test_loopback_hosts() -> None:
    assert is_loopback_host("127.0.0.1") and is_loopback_host("[::1]")
    assert not is_loopback_host("10.0.0.1") and not is_loopback_host(None)


def _document(**overrides: Any) -> dict[str, Any]:
    doc = {
        "issuer": ISSUER,
        "token_endpoint": f"{ISSUER}/token",
        "jwks_uri": f"{ISSUER}/jwks",
        "authorization_endpoint": f"{ISSUER}/authorize",
        "device_authorization_endpoint": f"{ISSUER}/device",
    }
    doc.update(overrides)
    return doc


@pytest.mark.parametrize(
    "key",
    [
        "token_endpoint",
        "jwks_uri",
        "authorization_endpoint",
        "device_authorization_endpoint",
        "revocation_endpoint",
        "userinfo_endpoint",
        "end_session_endpoint",
    ],
)
@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://x/y", "http://id.example.com/x"]
)
def test_a_discovery_document_with_an_unsafe_endpoint_is_refused(key: str, url: str) -> None:
    with pytest.raises(errors.DiscoveryError) as info:
        ProviderMetadata.from_document(_document(**{key: url}), ISSUER)
    assert key in info.value.message


def test_an_http_issuer_on_another_host_fails_configuration() -> None:
    config = {
        "auth": {
            "aws_region": "us-east-1",
            "identity_pool_id": "us-east-1:11111111-2222-3333-4444-555555555555",
        },
        "nbauth": {
            "oidc_providers": {"corp": {"issuer": "http://id.example.com", "client_id": "c"}}
        },
    }
    with pytest.raises(errors.InsecureEndpointError) as info:
        load_config(config)
    assert "nbauth.oidc_providers.corp.issuer" in info.value.message


def test_an_http_issuer_on_loopback_is_accepted() -> None:
    config = {
        "auth": {
            "aws_region": "us-east-1",
            "identity_pool_id": "us-east-1:11111111-2222-3333-4444-555555555555",
        },
        "nbauth": {
            "oidc_providers": {"dev": {"issuer": "http://127.0.0.1:9000", "client_id": "c"}}
        },
    }
    assert load_config(config).oidc_providers["dev"].issuer == "http://127.0.0.1:9000"
