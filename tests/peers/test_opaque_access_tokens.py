"""Issue 13, item 6 over the real wire: panva's oidc-provider issues opaque access tokens by
default, and nbauth hands them out as issued — ``fetch_auth_session().tokens.access_token`` is an
:class:`~nbauth.OpaqueToken` whose value the provider's own userinfo endpoint accepts, that a
refresh replaces, whose expiry follows ``expires_in``, and that a restarted kernel resumes with.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

import nbauth
from nbauth.errors import InvalidTokenError
from tests.peers.oidc_provider_peer import OidcProviderPeer

pytestmark = pytest.mark.timeout(90)

SCOPES = ["openid", "offline_access", "email", "profile"]


def config(peer: OidcProviderPeer) -> dict[str, Any]:
    """Only the provider: no identity pool (the session holds tokens, no AWS credentials)."""
    provider = {"issuer": peer.issuer, "client_id": peer.client_id, "scopes": SCOPES}
    return {
        "version": "1.3",
        "nbauth": {"oidc_providers": {"panva": provider}, "default_provider": "panva"},
    }


def storage_key(peer: OidcProviderPeer) -> str:
    return f"nbauth.oidc.{peer.issuer}.{peer.client_id}"


def metadata(peer: OidcProviderPeer) -> dict[str, Any]:
    return requests.get(peer.discovery_url, timeout=10).json()


def introspect(peer: OidcProviderPeer, token: str) -> dict[str, Any]:
    response = requests.post(
        metadata(peer)["introspection_endpoint"],
        data={"client_id": peer.client_id, "token": token},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def userinfo(peer: OidcProviderPeer, **kwargs: Any) -> requests.Response:
    return requests.get(metadata(peer)["userinfo_endpoint"], timeout=10, **kwargs)


@pytest.fixture
def signed_in(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[..., nbauth.Auth]]:
    """``signed_in(peer, username=..., storage=...)``: the default Auth (as ``nbauth.configure``
    makes it), signed in at ``peer`` with code + PKCE in paste mode; closed after the test."""
    import nbauth.api

    monkeypatch.setattr(nbauth.api, "_default", None)  # restored after the test
    made: list[nbauth.Auth] = []

    def sign_in(peer: OidcProviderPeer, username: str = "olga", storage: Any = None) -> nbauth.Auth:
        auth = nbauth.configure(config(peer), storage=storage or nbauth.MemoryStorage())
        made.append(auth)
        handle = auth.sign_in_with_redirect(mode="paste")
        assert handle.complete(peer.sign_in_at(handle.url, username=username)).is_signed_in
        return auth

    yield sign_in
    for auth in made:
        auth.close()


def test_the_access_token_is_the_opaque_token_userinfo_accepts(
    oidc_provider: OidcProviderPeer, signed_in: Callable[..., nbauth.Auth]
) -> None:
    received = time.time()
    auth = signed_in(oidc_provider, username="olga")
    session = nbauth.fetch_auth_session()
    access = session.tokens.access_token
    assert isinstance(access, nbauth.OpaqueToken)
    value = access.to_string()
    with pytest.raises(InvalidTokenError):
        nbauth.decode_jwt(value)  # really not a JWT
    assert value not in repr(session) and value not in repr(auth.status())
    assert session.tokens.id_token.subject == "olga"  # the user comes from the ID token
    # the provider itself says what it is: an active access token of this user
    info = introspect(oidc_provider, value)
    assert info["active"] is True and info["sub"] == "olga"
    assert info["token_type"] == "Bearer"
    assert abs(access.expires_at - info["exp"]) <= 2
    assert received <= access.expires_at - oidc_provider.ttls["ACCESS_TOKEN_TTL"] <= time.time()
    # and it accepts it as a bearer token, sent by nbauth.requests_auth()
    answer = userinfo(oidc_provider, auth=nbauth.requests_auth())
    assert answer.status_code == 200, answer.text
    assert answer.json()["sub"] == "olga"
    assert answer.request.headers["Authorization"] == f"Bearer {value}"


def test_requests_oauthlib_sends_the_opaque_token(
    oidc_provider: OidcProviderPeer,
    signed_in: Callable[..., nbauth.Auth],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("requests_oauthlib")
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the peer is http on 127.0.0.1
    from nbauth.integrations.requests_oauthlib import oauth2_session

    auth = signed_in(oidc_provider, username="pia")
    session = oauth2_session(auth)
    answer = session.get(metadata(oidc_provider)["userinfo_endpoint"], timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["sub"] == "pia"
    token = auth.fetch_auth_session().tokens.access_token
    assert session.token["access_token"] == token.to_string()
    assert session.token["expires_at"] == token.expires_at


def test_a_refresh_replaces_the_opaque_token_and_stores_it(
    oidc_provider: OidcProviderPeer, signed_in: Callable[..., nbauth.Auth]
) -> None:
    storage = nbauth.MemoryStorage()
    signed_in(oidc_provider, username="quinn", storage=storage)
    before = nbauth.fetch_auth_session().tokens.access_token
    refreshed = nbauth.fetch_auth_session(force_refresh=True).tokens.access_token
    assert isinstance(refreshed, nbauth.OpaqueToken)
    assert refreshed != before and refreshed.to_string() != before.to_string()
    assert refreshed.expires_at >= before.expires_at
    answer = userinfo(oidc_provider, auth=nbauth.requests_auth())
    assert answer.status_code == 200 and answer.json()["sub"] == "quinn"
    assert answer.request.headers["Authorization"] == f"Bearer {refreshed.to_string()}"
    assert introspect(oidc_provider, refreshed.to_string())["active"] is True
    stored = json.loads(storage.get(storage_key(oidc_provider)))
    assert stored["access_token"] == refreshed.to_string()
    assert stored["access_token_expires_at"] == refreshed.expires_at


def test_expiry_follows_expires_in_and_sets_the_refresh_time(
    start_oidc_provider: Callable[..., OidcProviderPeer], signed_in: Callable[..., nbauth.Auth]
) -> None:
    """A 60 s access token beside a 1-hour ID token: refresh is timed by the access token."""
    peer = start_oidc_provider(access_token_ttl=60, id_token_ttl=3600)
    received = time.time()
    auth = signed_in(peer, username="rosa")
    done = time.time()
    tokens = nbauth.fetch_auth_session().tokens
    assert isinstance(tokens.access_token, nbauth.OpaqueToken)
    assert received + 60 <= tokens.access_token.expires_at <= done + 60
    assert tokens.id_token.expires_at >= received + 3600 - 2
    refresh = auth.status().tokens
    # RefreshPolicy: margin half the 60 s lifetime, then up to half the 30 s fresh time earlier
    assert received + 60 - 30 - 15 <= refresh.refresh_at <= done + 60 - 30
    assert refresh.usable_until < tokens.access_token.expires_at


def test_a_short_lived_opaque_token_is_refreshed_in_the_background(
    start_oidc_provider: Callable[..., OidcProviderPeer], signed_in: Callable[..., nbauth.Auth]
) -> None:
    """4 s access tokens, 1-hour ID tokens: the background timer replaces the access token
    before it lapses, and the new one works."""
    peer = start_oidc_provider(access_token_ttl=4, id_token_ttl=3600)
    signed_in(peer, username="sven")
    first = nbauth.fetch_auth_session().tokens.access_token
    deadline = time.monotonic() + 15
    current = first
    while current == first:
        assert time.monotonic() < deadline, "the opaque token was never refreshed"
        time.sleep(0.1)
        current = nbauth.fetch_auth_session().tokens.access_token
    assert time.time() < first.expires_at  # refreshed before the old one lapsed
    assert current.expires_at > first.expires_at
    answer = userinfo(peer, auth=nbauth.requests_auth())
    assert answer.status_code == 200 and answer.json()["sub"] == "sven"


def test_a_restarted_kernel_resumes_with_the_stored_opaque_token(
    oidc_provider: OidcProviderPeer, signed_in: Callable[..., nbauth.Auth], tmp_path: Any
) -> None:
    storage = nbauth.FileStorage(tmp_path / "store")
    first = signed_in(oidc_provider, username="tess", storage=storage)
    held = nbauth.fetch_auth_session().tokens.access_token
    first.close()
    restarted = nbauth.Auth(config(oidc_provider), storage=nbauth.FileStorage(tmp_path / "store"))
    try:
        resumed = restarted.fetch_auth_session().tokens.access_token
        assert isinstance(resumed, nbauth.OpaqueToken)
        assert resumed == held and resumed.expires_at == held.expires_at  # no refresh needed
        answer = userinfo(oidc_provider, auth=nbauth.requests_auth(auth=restarted))
        assert answer.status_code == 200 and answer.json()["sub"] == "tess"
    finally:
        restarted.close()
