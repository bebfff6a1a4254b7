"""Refresh over the real wire: backoff on throttling, outages, provider tokens, token providers."""

from __future__ import annotations

import time

import pytest

import nbauth
from nbauth.errors import ProviderTokenExpiredError, ServiceError, TooManyRequestsError
from tests.support.fakes import FakeClock


def _federated(sb, make_auth, token, provider, **kwargs):
    clock = FakeClock(start=time.time())
    auth = make_auth(clock=clock, refresh={"background": False}, **kwargs)
    events: list[str] = []
    auth.hub.listen("auth", lambda c: events.append(c["payload"]["event"]))
    first = auth.federate_to_identity_pool(token, provider)
    return auth, clock, first, events


def test_throttled_refresh_serves_stale_credentials_then_recovers(
    sb, make_auth, new_user, user_pool_provider
):
    _, token = new_user()
    auth, clock, first, events = _federated(sb, make_auth, token, user_pool_provider)
    engine = auth.credentials_engine
    clock.advance(engine.refresh_at - clock() + 1)  # stale, still valid
    sb.fail_next("GetCredentialsForIdentity", code="TooManyRequestsException", times=1)
    session = auth.fetch_auth_session()
    assert session.credentials == first.credentials  # stale but valid: served
    assert events[-1] == "credentialsRefresh_failure"
    assert engine.failures == 1 and isinstance(engine.last_error, TooManyRequestsError)
    # During the backoff, callers keep the stale credentials without calling the service.
    sb.reset_calls()
    for _ in range(20):
        assert auth.fetch_auth_session().credentials == first.credentials
    assert sb.calls("GetCredentialsForIdentity") == 0
    clock.advance(engine.retry_at - clock())
    refreshed = auth.fetch_auth_session()
    assert refreshed.credentials != first.credentials
    assert refreshed.identity_id == first.identity_id
    assert events[-1] == "credentialsRefresh"


def test_outage_until_expiry_never_hands_out_expired_credentials(
    sb, make_auth, new_user, user_pool_provider
):
    _, token = new_user()
    sb.set_credentials_lifetime(900)
    auth, clock, first, _ = _federated(sb, make_auth, token, user_pool_provider)
    sb.set_credentials_lifetime(3600)
    storage_key = auth.identity_pool.cache_key({user_pool_provider.logins_key: token})
    sb.set_down("GetCredentialsForIdentity")
    try:
        clock.advance(auth.credentials_engine.refresh_at - clock() + 1)
        assert auth.fetch_auth_session().credentials == first.credentials
        clock.advance(first.credentials.expires_at - clock())  # now truly expired
        with pytest.raises(ServiceError) as err:
            auth.fetch_auth_session()
        assert err.value.retryable
        with pytest.raises(ServiceError):
            auth.current_credentials()
        assert auth.storage.get(storage_key) == first.identity_id  # nothing lost
        assert auth.state == "federated"
    finally:
        sb.set_down("GetCredentialsForIdentity", down=False)
    clock.advance(auth.credentials_engine.retry_at - clock())
    recovered = auth.fetch_auth_session()
    assert recovered.credentials.expires_at > clock()
    assert recovered.identity_id == first.identity_id


def test_expired_provider_token_asks_the_token_provider(sb, make_auth, oidc_issuer, oidc_key):
    asked = []

    class Refresher:
        def get_tokens(self, *, force_refresh=False):
            asked.append(force_refresh)
            return {"id_token": oidc_issuer.token(sub="refreshing-user", exp_in=3600)}

    token = oidc_issuer.token(sub="refreshing-user", exp_in=600)
    auth, clock, first, events = _federated(
        sb, make_auth, token, oidc_issuer.issuer, token_provider=Refresher()
    )
    clock.advance(601)  # the provider token has expired; the credentials have not
    refreshed = auth.fetch_auth_session(force_refresh=True)
    assert asked == [True]
    assert refreshed.identity_id == first.identity_id
    assert refreshed.credentials != first.credentials
    # The new provider token is kept: the next refresh doesn't ask again.
    auth.fetch_auth_session(force_refresh=True)
    assert asked == [True]
    assert "sessionExpired" not in events


def test_expired_provider_token_without_a_provider_expires_the_session(
    sb, make_auth, oidc_issuer, oidc_key
):
    token = oidc_issuer.token(sub="short-lived", exp_in=600)
    auth, clock, first, events = _federated(sb, make_auth, token, oidc_issuer.issuer)
    clock.advance(601)
    # Credentials are still valid: they keep serving.
    assert auth.fetch_auth_session().credentials == first.credentials
    with pytest.raises(ProviderTokenExpiredError) as err:
        auth.fetch_auth_session(force_refresh=True)
    assert "federate_to_identity_pool" in err.value.recovery_suggestion
    assert "sessionExpired" in events
    assert auth.state == "federated"  # the user can federate again with a new token
    fresh = oidc_issuer.token(sub="short-lived", exp_in=3600)
    assert (
        auth.federate_to_identity_pool(fresh, oidc_issuer.issuer).identity_id == first.identity_id
    )


def test_identity_pool_saying_expired_asks_the_token_provider_once(
    sb, make_auth, oidc_issuer, oidc_key
):
    asked = []

    class Refresher:
        def get_tokens(self, *, force_refresh=False):
            asked.append(force_refresh)
            return {"id_token": oidc_issuer.token(sub="skewed")}

    auth = make_auth(token_provider=Refresher(), refresh={"background": False})
    auth.federate_to_identity_pool(oidc_issuer.token(sub="skewed"), oidc_issuer.issuer)
    sb.fail_next(
        "GetCredentialsForIdentity",
        code="NotAuthorizedException",
        message="Invalid login token. Token expired: 1 >= 0",
    )
    assert auth.fetch_auth_session(force_refresh=True).credentials is not None
    assert asked == [True]


def test_custom_token_provider_federates_automatically(sb, make_auth, oidc_issuer, oidc_key):
    current = {"sub": "tp-user-1"}

    class MyTokens:
        def get_tokens(self, *, force_refresh=False):
            if current["sub"] is None:
                return None
            return nbauth.AuthTokens(id_token=oidc_issuer.token(sub=current["sub"]))

    auth = make_auth(token_provider=MyTokens())
    session = auth.fetch_auth_session()
    assert session.tokens is not None and session.user_sub == "tp-user-1"
    explicit = make_auth().federate_to_identity_pool(
        oidc_issuer.token(sub="tp-user-1"), nbauth.AuthProvider.oidc(oidc_issuer.issuer)
    )
    assert session.identity_id == explicit.identity_id  # Logins key came from iss
    # Another user behind the provider: credentials follow the tokens.
    current["sub"] = "tp-user-2"
    other = auth.fetch_auth_session()
    assert other.user_sub == "tp-user-2" and other.identity_id != session.identity_id
    # No user: guest credentials.
    current["sub"] = None
    guest = auth.fetch_auth_session()
    assert guest.tokens is None and guest.credentials is not None
    assert guest.identity_id not in (session.identity_id, other.identity_id)


def test_custom_credentials_provider_is_used(sb, make_auth):
    creds = nbauth.AWSCredentials(
        "AKIDCUSTOM000000", "custom-secret", "custom-token", time.time() + 3600
    )

    class MyCredentials:
        calls = 0

        def get_credentials_and_identity_id(self, *, tokens, authenticated, force_refresh=False):
            MyCredentials.calls += 1
            return nbauth.CredentialsAndIdentityId(creds, "us-east-1:custom")

        def clear_credentials_and_identity_id(self):
            pass

    auth = make_auth(credentials_provider=MyCredentials())
    session = auth.fetch_auth_session()
    assert session.credentials is creds and session.identity_id == "us-east-1:custom"
    frozen = auth.boto3_session().get_credentials().get_frozen_credentials()
    assert frozen.access_key == "AKIDCUSTOM000000"
    assert MyCredentials.calls == 1


def test_bad_token_provider_is_a_configuration_error(make_auth):
    with pytest.raises(nbauth.errors.ConfigurationError):
        make_auth(token_provider=object())


def test_failing_token_provider_gives_a_typed_error(make_auth):
    class Broken:
        def get_tokens(self, *, force_refresh=False):
            raise RuntimeError("IdP SDK exploded")

    with pytest.raises(nbauth.errors.AuthError) as err:
        make_auth(token_provider=Broken()).fetch_auth_session()
    assert "token provider" in err.value.message


@pytest.mark.slow
def test_client_made_before_a_real_expiry_keeps_working(
    sb, make_auth, new_user, user_pool_provider
):
    """Real time: 20-second credentials, refreshed in the background, one S3 client throughout."""
    _, token = new_user()
    sb.set_credentials_lifetime(20)
    auth = make_auth()
    first = auth.federate_to_identity_pool(token, user_pool_provider)
    s3 = auth.boto3_session().client("s3")
    signed_with: list[str] = []

    def capture(request, **_):
        header = request.headers.get("Authorization", b"")
        header = header.decode() if isinstance(header, bytes) else header
        signed_with.append(header.split("Credential=")[1].split("/")[0])

    s3.meta.events.register("before-send.s3.*", capture)
    assert s3.list_objects_v2(Bucket=sb.bucket, Prefix="public/")["KeyCount"] >= 1
    refreshed = []
    auth.hub.listen("auth", lambda c: refreshed.append(c["payload"]["event"]))
    deadline = first.credentials.expires_at + 1
    while time.time() < deadline:
        time.sleep(0.5)
    assert "credentialsRefresh" in refreshed  # the background timer did it, ahead of expiry
    assert s3.list_objects_v2(Bucket=sb.bucket, Prefix="public/")["KeyCount"] >= 1
    assert signed_with[0] == first.credentials.access_key_id
    assert signed_with[-1] != first.credentials.access_key_id
    current = auth.current_credentials()
    assert signed_with[-1] == current.access_key_id and current.expires_at > time.time()
