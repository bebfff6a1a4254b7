"""Federation to the identity pool over the real wire (sandbox: moto + strict identity layer)."""

from __future__ import annotations

import pytest

import nbauth
from nbauth.errors import (
    InvalidParameterError,
    InvalidStateError,
    InvalidTokenError,
    NoCredentialsError,
    NotAuthorizedError,
    ResourceNotFoundError,
)


def test_user_pool_token_federates_and_lists_the_bucket(
    sb, make_auth, recorder, new_user, user_pool_provider
):
    auth = make_auth()
    events = recorder(auth)
    _, token = new_user()
    result = auth.federate_to_identity_pool(token, user_pool_provider)
    assert result.identity_id.startswith(f"{sb.region}:")
    assert result.credentials.access_key_id and result.credentials.session_token
    assert result.credentials.expiration is not None
    assert auth.state == "federated"

    s3 = auth.boto3_session().client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=sb.bucket, Prefix="public/")["Contents"]]
    assert "public/hello.txt" in keys
    body = s3.get_object(Bucket=sb.bucket, Key="public/hello.txt")["Body"].read()
    assert body.startswith(b"Hello from the nbauth sandbox")

    session = auth.fetch_auth_session()
    assert session.identity_id == result.identity_id
    assert session.credentials == result.credentials
    assert session.tokens is None
    assert session.user_sub == nbauth.decode_jwt(token).subject
    assert events.names() == ["federatedToIdentityPool"]
    assert events.events[0]["payload"]["data"] == {
        "identity_id": result.identity_id,
        "provider": user_pool_provider.logins_key,
    }


def test_oidc_issuer_token_federates_with_the_issuer_as_logins_key(
    sb, make_auth, oidc_issuer, oidc_key
):
    auth = make_auth()
    token = oidc_issuer.token(sub="oidc-user-1")
    result = auth.federate_to_identity_pool(token, nbauth.AuthProvider.oidc(oidc_issuer.issuer))
    assert nbauth.AuthProvider.oidc(oidc_issuer.issuer).logins_key == oidc_key
    # The issuer URL itself is accepted as the provider too.
    again = make_auth().federate_to_identity_pool(token, oidc_issuer.issuer)
    assert again.identity_id == result.identity_id


def test_developer_provided_identity_id_skips_get_id(sb, make_auth):
    identity_id, token = sb.developer_identity("dev-login-42")
    auth = make_auth()
    sb.reset_calls()
    result = auth.federate_to_identity_pool(
        token, nbauth.AuthProvider.DEVELOPER, developer_provided_identity_id=identity_id
    )
    assert result.identity_id == identity_id
    assert sb.calls("GetId") == 0
    assert sb.calls("GetCredentialsForIdentity") == 1
    # The same identity on "another device": same id again.
    other = make_auth().federate_to_identity_pool(
        token, "cognito-identity.amazonaws.com", developer_provided_identity_id=identity_id
    )
    assert other.identity_id == identity_id


def test_custom_role_arn_is_passed_on(sb, make_auth, new_user, user_pool_provider):
    _, token = new_user()
    auth = make_auth()
    result = auth.federate_to_identity_pool(
        token, user_pool_provider, custom_role_arn=sb.authenticated_role_arn
    )
    assert result.credentials.access_key_id
    with pytest.raises(InvalidParameterError):
        make_auth().federate_to_identity_pool(
            token, user_pool_provider, custom_role_arn="not-an-arn"
        )


def test_clear_federation_falls_back_to_guest_credentials(
    sb, make_auth, recorder, new_user, user_pool_provider
):
    auth = make_auth()
    events = recorder(auth)
    _, token = new_user()
    federated = auth.federate_to_identity_pool(token, user_pool_provider)
    auth.clear_federation_to_identity_pool()
    assert auth.state == "signed_out"
    guest = auth.fetch_auth_session()
    assert guest.credentials is not None
    assert guest.identity_id != federated.identity_id
    assert guest.user_sub is None
    assert events.names()[-2:] == ["federationToIdentityPoolCleared", "credentialsRefresh"]
    with pytest.raises(InvalidStateError) as err:
        auth.clear_federation_to_identity_pool()
    assert "federate_to_identity_pool" in err.value.recovery_suggestion


def test_guest_identity_is_reused_from_the_cache(sb, make_auth):
    storage = nbauth.MemoryStorage()
    first_auth = make_auth(storage=storage)
    first = first_auth.fetch_auth_session()
    sb.reset_calls()
    second = make_auth(storage=storage).fetch_auth_session()
    assert second.identity_id == first.identity_id
    # Guest credentials are shared too (issue 10): still good, so no call at all.
    assert (sb.calls("GetId"), sb.calls("GetCredentialsForIdentity")) == (0, 0)
    # Without them (as if expired) only the identity id is reused: one call.
    storage.remove(first_auth.identity_pool.credentials_key({}))
    third = make_auth(storage=storage).fetch_auth_session()
    assert third.identity_id == first.identity_id
    assert (sb.calls("GetId"), sb.calls("GetCredentialsForIdentity")) == (0, 1)


def test_no_guest_access_means_no_credentials(sb, make_auth):
    sb.set_guest_access(False)
    try:
        config = {
            **sb.config,
            "auth": {**sb.config["auth"], "unauthenticated_identities_enabled": False},
        }
        auth = make_auth(config=config)
        session = auth.fetch_auth_session()
        assert session.credentials is None and session.identity_id is None
        with pytest.raises(NoCredentialsError):
            auth.boto3_session().client("s3").list_buckets()
        # A config that claims guests are allowed meets the pool's refusal.
        claims_guests = {
            **sb.config,
            "auth": {**sb.config["auth"], "unauthenticated_identities_enabled": True},
        }
        with pytest.raises(NotAuthorizedError) as err:
            make_auth(config=claims_guests).fetch_auth_session()
        assert "Unauthenticated" in err.value.message
    finally:
        sb.set_guest_access(True)


def test_state_rules(sb, make_auth, new_user, user_pool_provider):
    auth = make_auth()
    _, token = new_user()
    auth.federate_to_identity_pool(token, user_pool_provider)
    with pytest.raises(InvalidStateError) as err:
        auth.sign_out()
    assert "clear_federation_to_identity_pool" in err.value.recovery_suggestion
    assert auth.state == "federated"
    # Re-federating while federated replaces the federation.
    _, other = new_user()
    auth.federate_to_identity_pool(other, user_pool_provider)
    assert auth.fetch_auth_session().user_sub == nbauth.decode_jwt(other).subject


def test_federation_refused_while_a_user_is_signed_in(sb, make_auth, new_user, user_pool_provider):
    username, token = new_user()
    auth = make_auth()
    assert auth.sign_in(username, "Passw0rd!-x").is_signed_in
    with pytest.raises(InvalidStateError) as err:
        auth.federate_to_identity_pool(token, user_pool_provider)
    assert "sign_out" in err.value.recovery_suggestion
    # The signed-in user gets credentials automatically (Logins key from the token's iss).
    session = auth.fetch_auth_session()
    assert session.credentials is not None
    assert session.tokens.id_token.subject == nbauth.decode_jwt(token).subject
    auth.sign_out()
    assert auth.state == "signed_out"
    auth.federate_to_identity_pool(token, user_pool_provider)  # allowed now


@pytest.mark.parametrize(
    ("token", "error"),
    [
        ("not-a-jwt", NotAuthorizedError),
        ("", InvalidTokenError),
    ],
)
def test_malformed_tokens(make_auth, user_pool_provider, token, error):
    auth = make_auth()
    with pytest.raises(error) as err:
        auth.federate_to_identity_pool(token, user_pool_provider)
    assert err.value.recovery_suggestion
    assert auth.state == "signed_out"


def test_untrusted_provider_is_refused(make_auth, oidc_issuer):
    token = oidc_issuer.token(sub="x", iss="https://accounts.google.com")
    with pytest.raises(NotAuthorizedError) as err:
        make_auth().federate_to_identity_pool(token, nbauth.AuthProvider.GOOGLE)
    assert err.value.name == "NotAuthorizedException"


def test_a_token_federated_as_another_provider_names_the_issuer_not_the_expiry(
    sb, make_auth, oidc_issuer
):
    """The real reason first: a token from one issuer presented as another is refused before
    anything else (it was reported as "expired" when it was also close to its exp), and without
    a call to the identity pool, which would refuse it anyway."""
    sb.reset_calls()
    token = oidc_issuer.token(sub="x", exp_in=2)  # inside the expiry skew, too
    with pytest.raises(NotAuthorizedError) as err:
        make_auth().federate_to_identity_pool(token, nbauth.AuthProvider.GOOGLE)
    assert err.value.name == "IssuerMismatch"
    assert oidc_issuer.issuer in err.value.message and "accounts.google.com" in err.value.message
    assert "AuthProvider.oidc" in err.value.recovery_suggestion
    assert sb.calls("GetId") == 0


def test_expired_token_is_refused_without_a_network_call(sb, make_auth, oidc_issuer, oidc_key):
    token = oidc_issuer.token(sub="late", exp_in=-60)
    auth = make_auth()
    events = []
    auth.hub.listen("auth", events.append)
    sb.reset_calls()
    with pytest.raises(nbauth.errors.ProviderTokenExpiredError):
        auth.federate_to_identity_pool(token, oidc_issuer.issuer)
    assert sb.calls("GetId") == 0
    assert [e["payload"]["event"] for e in events] == ["sessionExpired"]
    assert auth.state == "signed_out"


def test_failed_federation_leaves_the_previous_federation_in_place(
    sb, make_auth, new_user, user_pool_provider, oidc_issuer
):
    auth = make_auth()
    _, token = new_user()
    good = auth.federate_to_identity_pool(token, user_pool_provider)
    with pytest.raises(NotAuthorizedError):
        auth.federate_to_identity_pool(oidc_issuer.token(aud="someone-else"), oidc_issuer.issuer)
    session = auth.fetch_auth_session()
    assert session.identity_id == good.identity_id and auth.state == "federated"


def test_unknown_identity_pool(sb, make_auth, new_user, user_pool_provider):
    unknown = f"{sb.region}:00000000-0000-0000-0000-000000000000"
    config = {**sb.config, "auth": {**sb.config["auth"], "identity_pool_id": unknown}}
    _, token = new_user()
    with pytest.raises(ResourceNotFoundError) as err:
        make_auth(config=config).federate_to_identity_pool(token, user_pool_provider)
    assert "identity_pool_id" in err.value.recovery_suggestion


def test_malformed_identity_pool_id_and_region_mismatch_are_configuration_errors(sb):
    auth_section = sb.config["auth"]
    with pytest.raises(nbauth.errors.ConfigurationError) as err:
        nbauth.Auth({"auth": {**auth_section, "identity_pool_id": "pool-1"}})
    assert "auth.identity_pool_id" in err.value.message
    with pytest.raises(nbauth.errors.ConfigurationError) as err:
        nbauth.Auth({"auth": {**auth_section, "aws_region": "eu-west-1"}})
    assert "eu-west-1" in err.value.message and sb.region in err.value.message


def _without_endpoints(config):
    """The sandbox's configuration as one for AWS would be: no endpoints in it, so botocore's
    conventions (``AWS_ENDPOINT_URL``…) decide."""
    config["auth"].pop("identity_pool_endpoint")
    config["auth"].pop("user_pool_endpoint")
    config["nbauth"].pop("aws_endpoint_url")
    return config


def test_unreachable_configured_endpoint_is_a_network_error(
    sb, make_auth, new_user, user_pool_provider
):
    _, token = new_user()
    config = sb.config
    config["auth"]["identity_pool_endpoint"] = "http://127.0.0.1:9"
    with pytest.raises(nbauth.errors.NetworkError) as err:
        make_auth(config=config).federate_to_identity_pool(token, user_pool_provider)
    assert err.value.retryable


def test_unreachable_service_is_a_network_error(
    sb, make_auth, monkeypatch, new_user, user_pool_provider
):
    _, token = new_user()
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    with pytest.raises(nbauth.errors.NetworkError) as err:
        make_auth(config=_without_endpoints(sb.config)).federate_to_identity_pool(
            token, user_pool_provider
        )
    assert err.value.retryable


def test_the_configured_endpoints_win_over_the_environment(
    sb, make_auth, monkeypatch, new_user, user_pool_provider
):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # would fail if used
    _, token = new_user()
    auth = make_auth()
    auth.federate_to_identity_pool(token, user_pool_provider)
    s3 = auth.boto3_session().client("s3")
    assert s3.list_objects_v2(Bucket=sb.bucket, Prefix="public/")["KeyCount"] >= 1


def test_service_specific_endpoint_variables_are_honoured(
    sb, make_auth, monkeypatch, new_user, user_pool_provider
):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # would fail if used
    monkeypatch.setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY", sb.aws_endpoint_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", sb.aws_endpoint_url)
    _, token = new_user()
    auth = make_auth(config=_without_endpoints(sb.config))
    auth.federate_to_identity_pool(token, user_pool_provider)
    assert (
        auth.boto3_session()
        .client("s3")
        .list_objects_v2(Bucket=sb.bucket, Prefix="public/")["KeyCount"]
        >= 1
    )


def test_profile_services_section_is_honoured(
    sb, make_auth, monkeypatch, tmp_path, new_user, user_pool_provider
):
    """botocore's shared-config ``services`` section decides the endpoints, as for boto3."""
    config = tmp_path / "aws-config"
    config.write_text(
        "[profile sandbox]\n"
        "services = nbauth-sandbox\n\n"
        "[services nbauth-sandbox]\n"
        f"cognito_identity =\n  endpoint_url = {sb.aws_endpoint_url}\n"
        f"s3 =\n  endpoint_url = {sb.aws_endpoint_url}\n"
    )
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_PROFILE", "sandbox")
    _, token = new_user()
    auth = make_auth()
    auth.federate_to_identity_pool(token, user_pool_provider)
    assert (
        auth.boto3_session()
        .client("s3")
        .list_objects_v2(Bucket=sb.bucket, Prefix="public/")["KeyCount"]
        >= 1
    )
