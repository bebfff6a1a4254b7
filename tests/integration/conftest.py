"""Fixtures for integration tests: nbauth talking HTTP to the sandbox on 127.0.0.1."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import nbauth
from nbauth.core.storage import MemoryStorage
from tests.support.amplify_config import with_oidc_provider
from tests.support.aws_env import use_sandbox
from tests.support.hub_recorder import Recorder
from tests.support.peer_fixtures import *  # noqa: F403
from tests.support.sandbox_fixtures import *  # noqa: F403


@pytest.fixture(autouse=True)
def _aws_env(sb: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Point botocore at the sandbox through its own convention, with no ambient credentials."""
    use_sandbox(sb, monkeypatch, tmp_path)


@pytest.fixture
def make_auth(sb: Any) -> Iterator[Callable[..., nbauth.Auth]]:
    """``make_auth(**kwargs)``: an Auth on the sandbox config with its own Hub; closed after."""
    made: list[nbauth.Auth] = []

    def make(**kwargs: Any) -> nbauth.Auth:
        kwargs.setdefault("hub", nbauth.Hub())
        kwargs.setdefault("storage", MemoryStorage())
        config = kwargs.pop("config", sb.config)
        auth = nbauth.Auth(config, **kwargs)
        made.append(auth)
        return auth

    yield make
    for auth in made:
        auth.close()


@pytest.fixture
def recorder() -> Callable[[nbauth.Auth], Recorder]:
    return lambda auth: Recorder(auth.hub)


@pytest.fixture
def user_pool_provider(sb: Any) -> nbauth.LoginsProvider:
    return nbauth.AuthProvider.user_pool(sb.region, sb.user_pool_id)


@pytest.fixture
def nbauth_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="nbauth")
    caplog.set_level(logging.DEBUG, logger="botocore")
    return caplog


@pytest.fixture
def peer_auth(sb: Any, make_auth: Callable[..., nbauth.Auth]) -> Callable[..., nbauth.Auth]:
    """``peer_auth(peer, **kwargs)``: an Auth whose default provider is that oidc-provider peer,
    with the sandbox identity pool trusting it."""

    def make(peer: Any, **kwargs: Any) -> nbauth.Auth:
        sb.add_oidc_provider(peer.issuer, [peer.client_id])
        config = with_oidc_provider(sb.config, "panva", peer.issuer, peer.client_id)
        return make_auth(config=config, **kwargs)

    return make
