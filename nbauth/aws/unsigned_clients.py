"""Shared, unsigned boto3 clients for Cognito's public operations.

Cognito's identity-pool calls (``GetId``, ``GetCredentialsForIdentity``) and user-pool sign-in
calls (``InitiateAuth``, ``RespondToAuthChallenge``, ``SignUp``, …) are unauthenticated in AWS:
the tokens or passwords in them are the proof. So, like Amplify in a browser, nbauth calls them
unsigned. The endpoint is the configuration's (``auth.identity_pool_endpoint``,
``auth.user_pool_endpoint``, as Amplify v6's ``identityPoolEndpoint`` / ``userPoolEndpoint``)
when it names one; otherwise botocore's conventions decide (``AWS_ENDPOINT_URL``,
``AWS_ENDPOINT_URL_<SERVICE>``, a profile's ``services``).

botocore's own retries are off: nbauth's refresh engine owns retry and backoff, so throttling is
retried in one place, with jitter, and never blocks a caller that could use valid credentials.
Every request of these clients has a total deadline and a size cap
(:mod:`nbauth.aws.bounded_send`). Building a botocore client costs ~50 ms (endpoint data is
parsed per session) and clients are thread-safe, so one is shared per service, region and
endpoint configuration.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.config import Config

from ..core.log_redaction import install_redaction
from .bounded_send import bound_client

__all__ = ["CLIENT_CONFIG", "unsigned_client"]

CLIENT_CONFIG = Config(
    signature_version=UNSIGNED,
    retries={"total_max_attempts": 1, "mode": "standard"},
    connect_timeout=10,
    read_timeout=20,
    # botocore has taken user_agent_appid since 1.31; botocore-stubs' Config doesn't list it.
    user_agent_appid="nbauth",  # type: ignore[call-arg]
)

_CLIENTS: dict[tuple[str, ...], Any] = {}
_LOCK = threading.Lock()
_ENDPOINT_ENV = (
    "AWS_ENDPOINT_URL",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
)


def unsigned_client(service: str, region: str, endpoint_url: str | None = None) -> Any:
    """The shared unsigned client of ``service`` in ``region`` at ``endpoint_url`` (``None``:
    botocore's endpoint for the current environment)."""
    service_env = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")
    environment = (
        () if endpoint_url else (os.environ.get(n, "") for n in (*_ENDPOINT_ENV, service_env))
    )
    key = (service, region, endpoint_url or "", *environment)
    client = _CLIENTS.get(key)
    if client is None:
        with _LOCK:
            client = _CLIENTS.get(key)
            if client is None:
                install_redaction()
                client = boto3.Session().client(
                    service, region_name=region, endpoint_url=endpoint_url, config=CLIENT_CONFIG
                )
                _CLIENTS[key] = bound_client(client)  # a total deadline and a size cap
    return client
