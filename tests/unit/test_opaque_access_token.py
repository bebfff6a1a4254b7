"""Issue 13, item 6: access tokens as the IdP issued them, JWT or not.

An opaque access token (Google, Auth0 without an API audience, oidc-provider by default) is kept
as an :class:`~nbauth.OpaqueToken`: readable with ``to_string()`` like a JWT, never shown in a
repr, expiring when the token response's ``expires_in`` said (counted on nbauth's clock), stored
with the session and refreshed on its own lifetime. Time is a fake clock; nothing sleeps.
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import pickle
from dataclasses import replace
from typing import Any

import pytest

import nbauth
from nbauth.core.refresh import RefreshPolicy, RefreshState
from nbauth.core.session_record import SessionRecord
from nbauth.core.storage import MemoryStorage
from nbauth.core.values import AuthSession, AuthTokens, OpaqueToken
from nbauth.errors import InvalidTokenError, MissingIdTokenError
from nbauth.oidc.client import ProviderSpec
from nbauth.oidc.token_provider import OIDCTokenProvider
from nbauth.oidc.tokens import OIDCTokens
from tests.support.fakes import FakeClock

ISSUER = "https://idp.example.com"
CLIENT_ID = "nbauth-notebook"
STORAGE_KEY = f"nbauth.oidc.{ISSUER}.{CLIENT_ID}"
ID_LIFETIME = 3600
ACCESS_LIFETIME = 60

_serial = itertools.count(1)


def unsigned_jwt(**claims: Any) -> str:
    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'kid': 'k'})}.{part(claims)}.c2lnbmF0dXJl"


def opaque_value() -> str:
    return f"opaque-access-{next(_serial)}-Zx8kQ2"


def token_response(
    clock: FakeClock,
    *,
    expires_in: Any = ACCESS_LIFETIME,
    id_lifetime: int = ID_LIFETIME,
    refresh_token: str | None = None,
) -> dict[str, Any]:
    """What oidc-provider answers: an opaque access token, a JWT ID token."""
    now = int(clock())
    response: dict[str, Any] = {
        "access_token": opaque_value(),
        "id_token": unsigned_jwt(
            iss=ISSUER, sub="alice", aud=CLIENT_ID, iat=now, exp=now + id_lifetime
        ),
        "token_type": "Bearer",
    }
    if expires_in is not None:
        response["expires_in"] = expires_in
    if refresh_token is not None:
        response["refresh_token"] = refresh_token
    return response


# -- the value type ------------------------------------------------------------------------------


def test_opaque_token_reads_like_a_jwt() -> None:
    token = OpaqueToken("abc.def-opaque", expires_at=1_800_000_060)
    assert token.to_string() == "abc.def-opaque"
    assert token.expires_at == 1_800_000_060.0
    assert token.payload == {} and token.header == {}
    assert token.issuer is None and token.subject is None
    assert OpaqueToken("x").expires_at is None  # the IdP did not say


def test_opaque_token_is_exported_where_jwt_is() -> None:
    assert nbauth.OpaqueToken is OpaqueToken
    assert "OpaqueToken" in nbauth.__all__ and "JWT" in nbauth.__all__


def test_repr_and_str_never_show_the_value() -> None:
    secret = "s3cr3t-opaque-value-9f2"
    token = OpaqueToken(secret, expires_at=1_800_000_060.5)
    for text in (repr(token), str(token), f"{token}", f"{token!r}", format(token, "")):
        assert secret not in text
        assert "<redacted>" in text
    assert repr(token) == "OpaqueToken(expires_at=1800000060, token=<redacted>)"
    tokens = AuthTokens(access_token=token, id_token=unsigned_jwt(sub="alice", exp=2_000_000_000))
    session = AuthSession(tokens, None, None, "alice")
    assert secret not in repr(tokens) and secret not in repr(session)


def test_equality_and_hash_follow_the_value() -> None:
    a, b = OpaqueToken("same", expires_at=1.0), OpaqueToken("same", expires_at=2.0)
    assert a == b and hash(a) == hash(b)
    assert a != OpaqueToken("other")
    jwt = nbauth.decode_jwt(unsigned_jwt(sub="alice"))
    assert a != jwt and jwt != a


def test_pickles_like_a_jwt() -> None:
    token = OpaqueToken("pickled-opaque", expires_at=1_800_000_060.0)
    back = pickle.loads(pickle.dumps(token))
    assert back == token and back.expires_at == token.expires_at
    jwt = nbauth.decode_jwt(unsigned_jwt(sub="alice"))
    assert pickle.loads(pickle.dumps(jwt)) == jwt
    tokens = AuthTokens(access_token=token, id_token=jwt)
    assert pickle.loads(pickle.dumps(tokens)) == tokens


@pytest.mark.parametrize("value", ["", "   ", None, 42])
def test_bad_values_are_refused(value: Any) -> None:
    with pytest.raises(InvalidTokenError):
        OpaqueToken(value)


@pytest.mark.parametrize("expires_at", [float("nan"), float("inf"), "60", True])
def test_bad_expiries_are_refused(expires_at: Any) -> None:
    with pytest.raises(InvalidTokenError):
        OpaqueToken("value", expires_at=expires_at)


# -- AuthTokens ----------------------------------------------------------------------------------


def test_auth_tokens_hold_an_opaque_access_token_beside_a_jwt_id_token() -> None:
    id_token = unsigned_jwt(iss=ISSUER, sub="alice", exp=1_800_003_600)
    access = OpaqueToken("opaque-1", expires_at=1_800_000_060)
    tokens = AuthTokens(access_token=access, id_token=id_token)
    assert tokens.access_token is access
    assert isinstance(tokens.id_token, nbauth.JWT)
    assert tokens.access_token.to_string() == "opaque-1"
    assert tokens.federation_token is tokens.id_token  # never the opaque token
    assert tokens.expires_at == 1_800_000_060  # the earliest of the two
    same = AuthTokens(access_token=OpaqueToken("opaque-1"), id_token=id_token)
    assert same == tokens
    assert AuthTokens(access_token=OpaqueToken("opaque-2"), id_token=id_token) != tokens


def test_auth_tokens_expiry_is_the_earliest_known() -> None:
    early_id = unsigned_jwt(sub="alice", exp=1_800_000_030)
    tokens = AuthTokens(access_token=OpaqueToken("o", expires_at=1_800_000_060), id_token=early_id)
    assert tokens.expires_at == 1_800_000_030
    jwt_access = unsigned_jwt(sub="alice", exp=1_800_000_010)
    assert AuthTokens(access_token=jwt_access, id_token=early_id).expires_at == 1_800_000_010
    no_exp = AuthTokens(access_token=OpaqueToken("o"), id_token=unsigned_jwt(sub="alice"))
    assert no_exp.expires_at is None


def test_an_opaque_access_token_alone_is_refused() -> None:
    with pytest.raises(InvalidTokenError, match="needs an id_token"):
        AuthTokens(access_token=OpaqueToken("opaque"))


def test_strings_are_still_read_as_jwts() -> None:
    """A custom provider's malformed JWT stays an error, not a silent opaque token."""
    with pytest.raises(InvalidTokenError):
        AuthTokens(access_token="not-a-jwt", id_token=unsigned_jwt(sub="alice"))
    coerced = AuthTokens.coerce(
        {"accessToken": OpaqueToken("opaque"), "idToken": unsigned_jwt(sub="alice")}
    )
    assert coerced is not None and isinstance(coerced.access_token, OpaqueToken)


def test_current_user_reads_the_id_token_when_the_access_token_is_opaque() -> None:
    from nbauth.auth.current_user import current_user

    tokens = AuthTokens(
        access_token=OpaqueToken("opaque"),
        id_token=unsigned_jwt(sub="alice", preferred_username="al", email="a@example.com"),
    )
    assert current_user(tokens) == {
        "username": "al",
        "user_id": "alice",
        "sign_in_details": {"login_id": "a@example.com"},
    }


# -- a token response ----------------------------------------------------------------------------


def test_a_token_response_keeps_the_opaque_token_and_its_expiry() -> None:
    clock = FakeClock()
    response = token_response(clock)
    tokens = OIDCTokens.from_response(response, now=clock())
    access = tokens.auth_tokens.access_token
    assert isinstance(access, OpaqueToken)
    assert access.to_string() == response["access_token"]
    assert access.expires_at == clock() + ACCESS_LIFETIME  # taken at receipt, on nbauth's clock
    assert tokens.access_token_expires_at == clock() + ACCESS_LIFETIME
    assert tokens.expires_at == clock() + ACCESS_LIFETIME  # before the 1-hour ID token
    assert response["access_token"] not in repr(tokens)


@pytest.mark.parametrize("expires_in", [None, "60", -5, float("nan"), True])
def test_without_a_usable_expires_in_the_id_token_sets_the_pace(expires_in: Any) -> None:
    clock = FakeClock()
    tokens = OIDCTokens.from_response(token_response(clock, expires_in=expires_in), now=clock())
    access = tokens.auth_tokens.access_token
    assert isinstance(access, OpaqueToken) and access.expires_at is None
    assert tokens.expires_at == clock() + ID_LIFETIME


def test_an_opaque_access_token_without_an_id_token_is_refused() -> None:
    clock = FakeClock()
    response = token_response(clock)
    del response["id_token"]
    with pytest.raises(MissingIdTokenError):
        OIDCTokens.from_response(response, now=clock())


def test_a_jwt_access_token_is_still_a_jwt() -> None:
    clock = FakeClock()
    response = token_response(clock)
    response["access_token"] = unsigned_jwt(iss=ISSUER, sub="alice", exp=int(clock()) + 600)
    response["expires_in"] = 600
    tokens = OIDCTokens.from_response(response, now=clock())
    assert isinstance(tokens.auth_tokens.access_token, nbauth.JWT)
    assert tokens.expires_at == clock() + 600


def test_log_records_never_carry_the_opaque_value(caplog: pytest.LogCaptureFixture) -> None:
    from nbauth.core.log_redaction import install_redaction

    install_redaction()
    clock = FakeClock()
    response = token_response(clock)
    OIDCTokens.from_response(response, now=clock())  # remembers the secret for the filter
    caplog.set_level(logging.DEBUG, logger="nbauth")
    logging.getLogger("nbauth.test").debug("header: Bearer %s", response["access_token"])
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "Bearer" in text and response["access_token"] not in text


# -- the session record --------------------------------------------------------------------------


def _record(tokens: OIDCTokens, refresh: str = "refresh-1") -> SessionRecord:
    return SessionRecord(ISSUER, CLIENT_ID, "corp", refresh).with_tokens(
        access_token=tokens.access_token,
        id_token=tokens.id_token,
        expires_at=tokens.expires_at,
        scope="openid",
        access_token_expires_at=tokens.access_token_expires_at,
    )


def test_the_record_keeps_the_opaque_token_and_its_expiry() -> None:
    clock = FakeClock()
    tokens = OIDCTokens.from_response(token_response(clock), now=clock())
    storage = MemoryStorage()
    _record(tokens).save(storage)
    stored = json.loads(storage.get(STORAGE_KEY))
    assert stored["access_token"] == tokens.access_token
    assert stored["access_token_expires_at"] == clock() + ACCESS_LIFETIME
    loaded = SessionRecord.load(storage, ISSUER, CLIENT_ID)
    assert loaded is not None
    assert loaded.access_token == tokens.access_token
    assert loaded.access_token_expires_at == clock() + ACCESS_LIFETIME
    assert tokens.access_token not in repr(loaded)


def test_records_written_before_keep_loading() -> None:
    """An old record has no ``access_token_expires_at``: it loads, and its ``expires_at`` (which
    already bounded the access token) stands in for it."""
    clock = FakeClock()
    tokens = OIDCTokens.from_response(token_response(clock), now=clock())
    storage = MemoryStorage()
    old = {
        "provider": "corp",
        "refresh_token": "refresh-1",
        "access_token": tokens.access_token,
        "id_token": tokens.id_token,
        "expires_at": tokens.expires_at,
    }
    storage.set(STORAGE_KEY, json.dumps(old))
    loaded = SessionRecord.load(storage, ISSUER, CLIENT_ID)
    assert loaded is not None and loaded.access_token_expires_at is None
    provider = _provider(clock, storage, tokens=None, refresh_token="refresh-1")
    try:
        held = provider.get_tokens()
        assert held is not None and isinstance(held.access_token, OpaqueToken)
        assert held.access_token.to_string() == tokens.access_token
        assert held.access_token.expires_at == tokens.expires_at
    finally:
        provider.close()
    # even older: the refresh token only
    storage.set(STORAGE_KEY, json.dumps({"provider": "corp", "refresh_token": "refresh-1"}))
    loaded = SessionRecord.load(storage, ISSUER, CLIENT_ID)
    assert loaded is not None and loaded.access_token is None


def test_a_record_names_the_access_tokens_expiry_old_or_new() -> None:
    new = SessionRecord(ISSUER, CLIENT_ID, "corp", "r", expires_at=50.0)
    assert new.access_token_expiry == 50.0  # written before: the record's expiry bounds it
    assert replace(new, access_token_expires_at=40.0).access_token_expiry == 40.0


def test_a_jwt_access_token_record_keeps_its_old_form() -> None:
    """A JWT carries its own ``exp``: its record has no ``access_token_expires_at`` key."""
    clock = FakeClock()
    response = token_response(clock)
    response["access_token"] = unsigned_jwt(iss=ISSUER, sub="alice", exp=int(clock()) + 60)
    tokens = OIDCTokens.from_response(response, now=clock())
    assert tokens.access_token_expires_at is None
    storage = MemoryStorage()
    _record(tokens).save(storage)
    assert "access_token_expires_at" not in json.loads(storage.get(STORAGE_KEY))


@pytest.mark.parametrize("bad", ["soon", float("inf"), -1, 10**400, None, True])
def test_a_bad_stored_access_expiry_reads_as_unknown(bad: Any) -> None:
    storage = MemoryStorage()
    storage.set(
        STORAGE_KEY,
        json.dumps(
            {
                "provider": "corp",
                "refresh_token": "r",
                "access_token": "opaque",
                "expires_at": 1_800_000_060,
                "access_token_expires_at": bad,
            }
        ),
    )
    loaded = SessionRecord.load(storage, ISSUER, CLIENT_ID)
    assert loaded is not None and loaded.access_token_expires_at is None


# -- the token provider: restore and refresh timing ---------------------------------------------


class FakeClient:
    """What OIDCTokenProvider uses of an OIDCClient: a token endpoint issuing opaque tokens."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.spec = ProviderSpec(name="corp", issuer=ISSUER, client_id=CLIENT_ID)
        self.refreshes = 0
        self.issued: list[str] = []

    def refresh_response(self, refresh_token: str, previous: Any = None) -> dict[str, Any]:
        self.refreshes += 1
        response = token_response(self.clock, refresh_token=f"refresh-{self.refreshes + 1}")
        self.issued.append(response["access_token"])
        return response

    def tokens_after_refresh(self, response: dict[str, Any], previous: Any) -> OIDCTokens:
        return OIDCTokens.from_response(response, now=self.clock(), previous=previous)

    def revoke(self, token: str) -> bool:
        return True


def _provider(
    clock: FakeClock,
    storage: MemoryStorage,
    *,
    tokens: OIDCTokens | None,
    refresh_token: str | None = None,
    client: FakeClient | None = None,
    events: list[Any] | None = None,
) -> OIDCTokenProvider:
    return OIDCTokenProvider(
        client or FakeClient(clock),  # type: ignore[arg-type]
        tokens,
        refresh_token=refresh_token,
        storage=storage,
        emit=lambda *event: (events if events is not None else []).append(event),
        policy=RefreshPolicy(jitter_seconds=0),
        clock=clock,
        background=False,
    )


def test_a_60_s_opaque_token_is_refreshed_before_it_lapses_despite_a_1_hour_id_token() -> None:
    clock = FakeClock()
    start = clock()
    client = FakeClient(clock)
    events: list[Any] = []
    first = OIDCTokens.from_response(token_response(clock, refresh_token="refresh-1"), now=start)
    provider = _provider(clock, MemoryStorage(), tokens=first, client=client, events=events)
    try:
        status = provider.status()
        # margin: half the 60 s lifetime (RefreshPolicy caps its 300 s margin), no jitter
        assert status.refresh_at == start + ACCESS_LIFETIME / 2
        assert status.usable_until == start + ACCESS_LIFETIME - 6  # skew: a tenth of 60 s
        assert status.usable_until < start + ACCESS_LIFETIME  # never handed out expired
        clock.advance(ACCESS_LIFETIME / 2 - 1)
        assert provider.get_tokens().access_token == first.auth_tokens.access_token
        assert client.refreshes == 0
        clock.advance(2)  # past refresh_at, 29 s before the opaque token lapses
        held = provider.get_tokens()
        assert client.refreshes == 1
        assert isinstance(held.access_token, OpaqueToken)
        assert held.access_token.to_string() == client.issued[0] != first.access_token
        assert held.access_token.expires_at == clock() + ACCESS_LIFETIME
        assert provider.status().state is RefreshState.FRESH
        # and again on the new token's own lifetime, long before the ID token's hour
        clock.advance(ACCESS_LIFETIME / 2 + 1)
        assert provider.get_tokens().access_token.to_string() == client.issued[1]
        assert client.refreshes == 2
        assert [e[0] for e in events] == ["tokenRefresh", "tokenRefresh"]
        for event in events:
            for value in (first.access_token, *client.issued):
                assert value not in repr(event)
    finally:
        provider.close()


def test_an_expired_opaque_token_is_never_handed_out() -> None:
    clock = FakeClock()
    client = FakeClient(clock)
    first = OIDCTokens.from_response(token_response(clock, refresh_token="refresh-1"), now=clock())
    provider = _provider(clock, MemoryStorage(), tokens=first, client=client)
    try:
        clock.advance(ACCESS_LIFETIME + 1)
        assert provider.current is None  # peek: nothing usable without a refresh
        held = provider.get_tokens()
        assert held.access_token.to_string() == client.issued[0]
        assert held.access_token.expires_at > clock()
    finally:
        provider.close()


def test_a_restarted_kernel_resumes_with_the_stored_opaque_token() -> None:
    clock = FakeClock()
    storage = MemoryStorage()
    client = FakeClient(clock)
    first = OIDCTokens.from_response(token_response(clock, refresh_token="refresh-1"), now=clock())
    _provider(clock, storage, tokens=first, client=client).close()
    clock.advance(10)
    later = FakeClient(clock)
    resumed = _provider(clock, storage, tokens=None, refresh_token="refresh-1", client=later)
    try:
        held = resumed.get_tokens()
        assert later.refreshes == 0  # no network: the record's tokens are valid
        assert held.access_token == first.auth_tokens.access_token
        assert held.access_token.expires_at == first.access_token_expires_at
        # the refresh comes on the opaque token's lifetime, not the ID token's
        clock.advance(ACCESS_LIFETIME / 2)
        resumed.get_tokens()
        assert later.refreshes == 1
        stored = json.loads(storage.get(STORAGE_KEY))
        assert stored["access_token"] == later.issued[0]
        assert stored["access_token_expires_at"] == clock() + ACCESS_LIFETIME
        assert stored["expires_at"] == clock() + ACCESS_LIFETIME
    finally:
        resumed.close()


def test_a_restarted_kernel_refreshes_an_opaque_token_that_lapsed_meanwhile() -> None:
    clock = FakeClock()
    storage = MemoryStorage()
    first = OIDCTokens.from_response(token_response(clock, refresh_token="refresh-1"), now=clock())
    _provider(clock, storage, tokens=first).close()
    clock.advance(ACCESS_LIFETIME + 5)  # the ID token is still valid for most of an hour
    later = FakeClient(clock)
    resumed = _provider(clock, storage, tokens=None, refresh_token="refresh-1", client=later)
    try:
        held = resumed.get_tokens()
        assert later.refreshes == 1
        assert held.access_token.to_string() == later.issued[0]
    finally:
        resumed.close()


# -- the integrations send it --------------------------------------------------------------------


class _StubAuth:
    def __init__(self, tokens: AuthTokens) -> None:
        self.tokens = tokens
        self.forced: list[bool] = []

    def fetch_auth_session(self, *, force_refresh: bool = False) -> AuthSession:
        self.forced.append(force_refresh)
        return AuthSession(self.tokens, None, None, "alice")


def _opaque_tokens() -> AuthTokens:
    return AuthTokens(
        access_token=OpaqueToken("opaque-bearer-7", expires_at=1_800_000_060),
        id_token=unsigned_jwt(iss=ISSUER, sub="alice", exp=1_800_003_600),
    )


def test_requests_auth_sends_the_opaque_token() -> None:
    import requests

    from nbauth.integrations.requests_auth import BearerTokenAuth

    auth = BearerTokenAuth(_StubAuth(_opaque_tokens()))  # type: ignore[arg-type]
    prepared = requests.Request("GET", "https://api.example.com/me", auth=auth).prepare()
    assert prepared.headers["Authorization"] == "Bearer opaque-bearer-7"
    assert "opaque-bearer-7" not in repr(auth)


def test_requests_oauthlib_sends_the_opaque_token_with_its_expiry() -> None:
    pytest.importorskip("requests_oauthlib")
    from nbauth.integrations.requests_oauthlib import oauth2_session

    session = oauth2_session(_StubAuth(_opaque_tokens()))  # type: ignore[arg-type]
    assert session.token["access_token"] == "opaque-bearer-7"
    assert session.token["token_type"] == "Bearer"
    assert session.token["expires_at"] == 1_800_000_060
    assert "opaque-bearer-7" not in repr(session)
