"""Fixtures for panva's oidc-provider (node), a second, independent IdP: integration, peers.

Loaded by a tier's ``conftest.py`` with ``from tests.support.peer_fixtures import *``.
See ``tests/peers/oidc_provider_peer.py``; needs ``npm ci --prefix tests/peers/oidc_provider``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

__all__ = ["oidc_provider", "start_oidc_provider"]

_PEER = pytest.StashKey[Any]()


@pytest.fixture(scope="session")
def oidc_provider(request: pytest.FixtureRequest) -> Any:
    """A running ``OidcProviderPeer`` with the default TTLs: one per run, whichever tiers use
    it (stopped when pytest unconfigures)."""
    peer = request.config.stash.get(_PEER, None)
    if peer is None:
        from tests.peers.oidc_provider_peer import OidcProviderPeer

        peer = OidcProviderPeer.start()
        request.config.stash[_PEER] = peer
        request.config.add_cleanup(peer.stop)
    return peer


@pytest.fixture
def start_oidc_provider() -> Iterator[Callable[..., Any]]:
    """``start_oidc_provider(access_token_ttl=20, ...)``: a fresh peer, stopped after the test."""
    from tests.peers.oidc_provider_peer import OidcProviderPeer

    started: list[Any] = []

    def start(**ttls: int) -> Any:
        peer = OidcProviderPeer.start(**ttls)
        started.append(peer)
        return peer

    yield start
    for peer in started:
        peer.stop()
