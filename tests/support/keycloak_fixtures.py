"""Fixtures for Keycloak 26, the third, independent IdP: ``tests/peers``.

Loaded by ``tests/peers/conftest.py`` with ``from tests.support.keycloak_fixtures import *``;
it brings the sandbox fixtures along (the Keycloak tests federate into the sandbox identity
pool). See ``tests/peers/keycloak_peer.py``; Keycloak needs Java 21+ and its distribution in
``$NBAUTH_KEYCLOAK_CACHE`` (downloaded on first use; ``.ci/run`` downloads it first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import nbauth
from tests.support.amplify_config import with_oidc_provider
from tests.support.aws_env import isolate_from_machine
from tests.support.sandbox_fixtures import *  # noqa: F403
from tests.support.sandbox_fixtures import __all__ as _sandbox_fixtures

__all__ = [
    "keycloak",
    "keycloak_auth",
    "keycloak_config",
    "no_ambient_aws",
    "trust_keycloak",
    *_sandbox_fixtures,
]

_PEER = pytest.StashKey[Any]()


@pytest.fixture(scope="session")
def keycloak(request: pytest.FixtureRequest) -> Any:
    """A running ``KeycloakPeer`` with the ``nbauth`` realm: one per run (stopped, and its
    database deleted, when pytest unconfigures). A missing Java 21+ fails the tests."""
    peer = request.config.stash.get(_PEER, None)
    if peer is None:
        from tests.peers.keycloak_peer import KeycloakPeer

        peer = KeycloakPeer.start()
        request.config.stash[_PEER] = peer
        request.config.add_cleanup(peer.close)
    return peer


def trust_keycloak(sb: Any, keycloak: Any) -> str:
    """Make the sandbox identity pool trust Keycloak's issuer for every client of the realm;
    returns the Logins key. All client ids at once: moto's AddClientIDToOpenIDConnectProvider
    fails, so the list is the same wherever this is called (trusted issuers outlive a test)."""
    return str(sb.add_oidc_provider(keycloak.issuer, keycloak.client_ids))


@pytest.fixture
def no_ambient_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS keys, profiles or endpoints from the machine: the config alone must do."""
    isolate_from_machine(monkeypatch, tmp_path)


@pytest.fixture
def keycloak_config(sb: Any, keycloak: Any) -> Callable[..., dict[str, Any]]:
    """``keycloak_config(client_id=..., storage=..., refresh=..., **provider)``: the sandbox
    config with Keycloak as the default provider, the sandbox identity pool trusting it."""

    def make(
        client_id: str | None = None,
        *,
        storage: dict[str, Any] | None = None,
        refresh: dict[str, Any] | None = None,
        **provider: Any,
    ) -> dict[str, Any]:
        client_id = client_id or keycloak.client_id
        trust_keycloak(sb, keycloak)
        provider.setdefault("scopes", ["openid", "offline_access", "email", "profile"])
        config = with_oidc_provider(sb.config, "keycloak", keycloak.issuer, client_id, **provider)
        nb = dict(config["nbauth"])
        if storage is not None:
            nb["storage"] = storage
        if refresh is not None:
            nb["refresh"] = refresh
        return {**config, "nbauth": nb}

    return make


@pytest.fixture
def keycloak_auth(
    keycloak_config: Callable[..., dict[str, Any]], no_ambient_aws: None
) -> Iterator[Callable[..., nbauth.Auth]]:
    """``keycloak_auth(client_id=None, *, storage=None, refresh=None, **auth_kwargs)``: an
    ``nbauth.Auth`` on Keycloak with its own Hub and memory storage; closed after the test."""
    made: list[nbauth.Auth] = []

    def make(
        client_id: str | None = None,
        *,
        storage: dict[str, Any] | None = None,
        refresh: dict[str, Any] | None = None,
        scopes: list[str] | None = None,
        **kwargs: Any,
    ) -> nbauth.Auth:
        provider = {"scopes": scopes} if scopes else {}
        config = keycloak_config(client_id, storage=storage, refresh=refresh, **provider)
        kwargs.setdefault("hub", nbauth.Hub())
        if storage is None:
            kwargs.setdefault("storage", nbauth.MemoryStorage())
        auth = nbauth.Auth(config, **kwargs)
        made.append(auth)
        return auth

    yield make
    for auth in made:
        auth.close()
