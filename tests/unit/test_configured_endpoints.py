"""Endpoints carried by the configuration (Amplify v6's ``userPoolEndpoint`` /
``identityPoolEndpoint``, plus ``nbauth.aws_endpoint_url``): they reach every client nbauth
makes, and nothing process-wide is read or set."""

from __future__ import annotations

import os
from typing import Any

import pytest

from nbauth.aws.boto3_credentials import LiveCredentials, make_boto3_session
from nbauth.aws.unsigned_clients import unsigned_client
from nbauth.config import load_config
from nbauth.core.values import AWSCredentials
from nbauth.errors import ConfigurationError, InsecureEndpointError

REGION = "eu-west-1"
POOL = "eu-west-1:00000000-0000-0000-0000-000000000000"


def _config(**auth: Any) -> dict[str, Any]:
    return {"auth": {"aws_region": REGION, "identity_pool_id": POOL, **auth}}


@pytest.fixture(autouse=True)
def _no_endpoint_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(name)


def test_endpoints_are_read_and_normalised() -> None:
    cfg = load_config(
        {
            **_config(
                user_pool_endpoint="http://127.0.0.1:5000/",
                identity_pool_endpoint="https://cognito.internal.example",
            ),
            "nbauth": {"aws_endpoint_url": "http://localhost:4566"},
        }
    )
    assert cfg.user_pool_endpoint == "http://127.0.0.1:5000"
    assert cfg.identity_pool_endpoint == "https://cognito.internal.example"
    assert cfg.aws_endpoint_url == "http://localhost:4566"


def test_no_endpoints_means_aws() -> None:
    cfg = load_config(_config())
    assert (cfg.user_pool_endpoint, cfg.identity_pool_endpoint, cfg.aws_endpoint_url) == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    "url", ["http://cognito.example.com", "http://10.0.0.5:5000", "http://[2001:db8::1]/"]
)
def test_plain_http_endpoints_off_this_machine_are_refused(url: str) -> None:
    with pytest.raises(InsecureEndpointError) as raised:
        load_config(_config(identity_pool_endpoint=url))
    assert "auth.identity_pool_endpoint" in raised.value.message


@pytest.mark.parametrize(
    "url",
    ["127.0.0.1:5000", "ftp://127.0.0.1", "https://host/path", "https://host?x=1", "", 5000],
)
def test_malformed_endpoints_are_refused(url: Any) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_config({**_config(), "nbauth": {"aws_endpoint_url": url}})
    assert "nbauth.aws_endpoint_url" in raised.value.message


def test_endpoints_can_be_overridden_in_configure_keywords() -> None:
    cfg = load_config(_config(), identity_pool_endpoint="http://127.0.0.1:1")
    assert cfg.identity_pool_endpoint == "http://127.0.0.1:1"


def _live() -> LiveCredentials:
    creds = AWSCredentials("ASIAEXAMPLEEXAMPLE00", "secret", "token", 4102444800.0)
    return LiveCredentials(lambda: creds)


def test_boto3_session_clients_and_resources_go_to_the_configured_endpoint() -> None:
    session = make_boto3_session(_live(), REGION, "http://127.0.0.1:4566")
    assert session.client("s3").meta.endpoint_url == "http://127.0.0.1:4566"
    assert session.resource("dynamodb").meta.client.meta.endpoint_url == "http://127.0.0.1:4566"
    explicit = session.client("s3", endpoint_url="http://127.0.0.1:9")
    assert explicit.meta.endpoint_url == "http://127.0.0.1:9"  # a call's own endpoint wins
    assert "AWS_ENDPOINT_URL" not in os.environ


def test_boto3_session_without_endpoint_is_botocores_choice() -> None:
    session = make_boto3_session(_live(), REGION)
    assert session.client("s3").meta.endpoint_url == f"https://s3.{REGION}.amazonaws.com"


def test_unsigned_clients_are_shared_per_endpoint() -> None:
    a = unsigned_client("cognito-identity", REGION, "http://127.0.0.1:4566")
    b = unsigned_client("cognito-identity", REGION, "http://127.0.0.1:4566")
    c = unsigned_client("cognito-identity", REGION, "http://127.0.0.1:4567")
    aws = unsigned_client("cognito-identity", REGION)
    assert a is b and a is not c
    assert a.meta.endpoint_url == "http://127.0.0.1:4566"
    assert aws.meta.endpoint_url == f"https://cognito-identity.{REGION}.amazonaws.com"


def test_the_auth_facades_clients_use_the_configured_endpoints() -> None:
    import nbauth

    auth = nbauth.Auth(
        {
            **_config(
                user_pool_id="eu-west-1_Example1",
                user_pool_client_id="exampleclient",
                user_pool_endpoint="http://127.0.0.1:4001",
                identity_pool_endpoint="http://127.0.0.1:4002",
            ),
            "nbauth": {"aws_endpoint_url": "http://127.0.0.1:4003"},
        }
    )
    try:
        pool = auth._pipeline.identity_pool()
        assert pool.client.client.meta.endpoint_url == "http://127.0.0.1:4002"
        assert auth._user_pool.client().client.meta.endpoint_url == "http://127.0.0.1:4001"
        assert auth.boto3_session().client("s3").meta.endpoint_url == "http://127.0.0.1:4003"
    finally:
        auth.close()


def test_fsspec_options_carry_the_endpoint() -> None:
    pytest.importorskip("aiobotocore")
    import nbauth
    from nbauth.integrations.fsspec import fsspec_storage_options

    auth = nbauth.Auth({**_config(), "nbauth": {"aws_endpoint_url": "http://127.0.0.1:4003"}})
    try:
        options = fsspec_storage_options(auth)
        assert options["client_kwargs"] == {
            "region_name": REGION,
            "endpoint_url": "http://127.0.0.1:4003",
        }
    finally:
        auth.close()
