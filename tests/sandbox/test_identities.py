"""Identity ids: stability, linking, refusals, merging, deleting, guests, developers."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError
from joserfc import jws
from joserfc.jwk import KeySet

from nbauth.sandbox.token_verification import parse_jwt

DEVELOPER_KEY = "cognito-identity.amazonaws.com"


def _get_id(identity: Any, sb: Any, logins: dict[str, str] | None = None) -> str:
    params: dict[str, Any] = {"IdentityPoolId": sb.identity_pool_id}
    if logins:
        params["Logins"] = logins
    return identity.get_id(**params)["IdentityId"]


def test_same_login_same_identity(sb: Any, identity: Any) -> None:
    key = sb.user_pool_provider_name
    first = _get_id(identity, sb, {key: sb.id_token()})
    second = _get_id(identity, sb, {key: sb.id_token()})  # a new token, same user
    assert first == second
    credentials = identity.get_credentials_for_identity(
        IdentityId=first, Logins={key: sb.id_token()}
    )
    assert credentials["IdentityId"] == first


def test_different_users_different_identities(sb: Any, identity: Any, new_user: Any) -> None:
    _, token = new_user()
    other = _get_id(identity, sb, {sb.user_pool_provider_name: token})
    assert other != _get_id(identity, sb, {sb.user_pool_provider_name: sb.id_token()})


def test_malformed_and_unknown_ids(sb: Any, identity: Any) -> None:
    with pytest.raises(identity.exceptions.ClientError) as exc_info:
        identity.get_id(IdentityPoolId="not-a-pool-id")
    assert exc_info.value.response["Error"]["Code"] == "ValidationException"
    unknown_pool = "us-east-1:00000000-0000-0000-0000-000000000000"
    with pytest.raises(identity.exceptions.ResourceNotFoundException, match="IdentityPool"):
        identity.get_id(IdentityPoolId=unknown_pool)
    unknown_identity = "us-east-1:11111111-1111-1111-1111-111111111111"
    with pytest.raises(identity.exceptions.ResourceNotFoundException, match="Identity '"):
        identity.get_credentials_for_identity(IdentityId=unknown_identity)


def test_identity_of_someone_else_is_forbidden(sb: Any, identity: Any, new_user: Any) -> None:
    key = sb.user_pool_provider_name
    demo_id = _get_id(identity, sb, {key: sb.id_token()})
    _, other_token = new_user()
    _get_id(identity, sb, {key: other_token})
    for token in (other_token, new_user()[1]):  # another user's identity; a fresh user
        with pytest.raises(identity.exceptions.NotAuthorizedException) as exc_info:
            identity.get_credentials_for_identity(IdentityId=demo_id, Logins={key: token})
        message = exc_info.value.response["Error"]["Message"]
        assert message == f"Access to Identity '{demo_id}' is forbidden."
    with pytest.raises(identity.exceptions.NotAuthorizedException, match="Logins don't match"):
        identity.get_credentials_for_identity(IdentityId=demo_id)  # no logins at all


def test_linking_and_resource_conflict(
    sb: Any, identity: Any, new_user: Any, oidc_issuer: Any, oidc_key: str
) -> None:
    key = sb.user_pool_provider_name
    _, token = new_user()
    linked = _get_id(identity, sb, {key: token, oidc_key: oidc_issuer.token(sub="erin")})
    assert _get_id(identity, sb, {oidc_key: oidc_issuer.token(sub="erin")}) == linked
    described = sb.client("cognito-identity").describe_identity(IdentityId=linked)
    assert sorted(described["Logins"]) == sorted([key, oidc_key])

    frank = _get_id(identity, sb, {oidc_key: oidc_issuer.token(sub="frank")})
    assert frank != linked
    with pytest.raises(identity.exceptions.ResourceConflictException, match="different identity"):
        _get_id(identity, sb, {key: token, oidc_key: oidc_issuer.token(sub="frank")})
    with pytest.raises(identity.exceptions.ResourceConflictException):
        identity.get_credentials_for_identity(
            IdentityId=linked, Logins={key: token, oidc_key: oidc_issuer.token(sub="frank")}
        )


def test_merge_identities(
    sb: Any, identity: Any, new_user: Any, oidc_issuer: Any, oidc_key: str
) -> None:
    key = sb.user_pool_provider_name
    _, token = new_user()
    target = _get_id(identity, sb, {key: token})
    source = _get_id(identity, sb, {oidc_key: oidc_issuer.token(sub="grace")})
    sb.merge_identities(source, target)
    assert _get_id(identity, sb, {oidc_key: oidc_issuer.token(sub="grace")}) == target
    answer = identity.get_credentials_for_identity(
        IdentityId=source, Logins={oidc_key: oidc_issuer.token(sub="grace")}
    )
    assert answer["IdentityId"] == target
    with pytest.raises(LookupError):
        sb.merge_identities("us-east-1:22222222-2222-2222-2222-222222222222", target)


def test_delete_identity(sb: Any, identity: Any, new_user: Any) -> None:
    key = sb.user_pool_provider_name
    _, token = new_user()
    doomed = _get_id(identity, sb, {key: token})
    sb.delete_identity(doomed)
    with pytest.raises(identity.exceptions.ResourceNotFoundException, match="not found"):
        identity.get_credentials_for_identity(IdentityId=doomed, Logins={key: token})
    assert _get_id(identity, sb, {key: token}) != doomed  # the user gets a new identity


def test_guest_identities(sb: Any, identity: Any) -> None:
    first = _get_id(identity, sb)
    assert first != _get_id(identity, sb)  # every guest GetId makes a new identity
    credentials = identity.get_credentials_for_identity(IdentityId=first)
    assert credentials["IdentityId"] == first
    assert credentials["Credentials"]["AccessKeyId"]


def test_guest_signs_in(sb: Any, identity: Any, new_user: Any) -> None:
    key = sb.user_pool_provider_name
    # A guest whose user has no identity yet: the guest identity becomes theirs.
    guest = _get_id(identity, sb)
    _, token = new_user()
    upgraded = identity.get_credentials_for_identity(IdentityId=guest, Logins={key: token})
    assert upgraded["IdentityId"] == guest
    assert _get_id(identity, sb, {key: token}) == guest
    # A guest whose user already has an identity: merged into it.
    another_guest = _get_id(identity, sb)
    merged = identity.get_credentials_for_identity(IdentityId=another_guest, Logins={key: token})
    assert merged["IdentityId"] == guest


def test_guest_access_can_be_switched_off(sb: Any, identity: Any) -> None:
    guest = _get_id(identity, sb)
    sb.set_guest_access(False)
    try:
        assert sb.config["auth"]["unauthenticated_identities_enabled"] is False
        with pytest.raises(identity.exceptions.NotAuthorizedException, match="Unauthenticated"):
            _get_id(identity, sb)
        with pytest.raises(identity.exceptions.NotAuthorizedException, match="Unauthenticated"):
            identity.get_credentials_for_identity(IdentityId=guest)
        # Signed-in users are unaffected.
        _get_id(identity, sb, {sb.user_pool_provider_name: sb.id_token()})
    finally:
        sb.set_guest_access(True)
    identity.get_credentials_for_identity(IdentityId=guest)


def _identity_jwks(sb: Any) -> KeySet:
    with urllib.request.urlopen(sb.identity_jwks_url) as response:
        return KeySet.import_key_set(json.load(response))


def test_developer_authenticated_identity(sb: Any, identity: Any) -> None:
    identity_id, token = sb.developer_identity("alice")
    assert sb.developer_identity("alice")[0] == identity_id  # stable per login id
    assert sb.developer_identity("bob")[0] != identity_id

    compact = jws.extract_compact(token.encode())
    assert jws.validate_compact(compact, _identity_jwks(sb), algorithms=["RS256"])
    claims = parse_jwt(token).claims
    assert compact.headers()["alg"] == "RS256"
    assert claims["iss"] == "https://cognito-identity.amazonaws.com"
    assert claims["aud"] == sb.identity_pool_id
    assert claims["sub"] == identity_id
    assert claims["amr"][:2] == ["authenticated", "login.nbauth.sandbox"]
    assert 890 <= claims["exp"] - time.time() <= 910

    answer = identity.get_credentials_for_identity(
        IdentityId=identity_id, Logins={DEVELOPER_KEY: token}
    )
    assert answer["IdentityId"] == identity_id
    other_id, _ = sb.developer_identity("carol")
    with pytest.raises(identity.exceptions.NotAuthorizedException, match="forbidden"):
        identity.get_credentials_for_identity(IdentityId=other_id, Logins={DEVELOPER_KEY: token})


def test_developer_identity_linking(sb: Any, identity: Any) -> None:
    guest = _get_id(identity, sb)
    linked_id, _token = sb.developer_identity("heidi", identity_id=guest)
    assert linked_id == guest
    assert sb.developer_identity("heidi")[0] == guest
    with pytest.raises(ClientError) as exc_info:  # sb's own client: its own exception classes
        sb.developer_identity("heidi", identity_id=_get_id(identity, sb))
    assert exc_info.value.response["Error"]["Code"] == "ResourceConflictException"
    _, short = sb.developer_identity("heidi", token_duration=60)
    claims = parse_jwt(short).claims
    assert claims["exp"] - claims["iat"] == 60


def test_developer_token_for_another_pool_is_refused(sb: Any, identity: Any) -> None:
    # A token whose aud is another pool (tampering aud breaks the signature, so
    # use GetOpenIdToken on a second pool sharing the same moto state).
    other = sb.client("cognito-identity").create_identity_pool(
        IdentityPoolName="other_pool", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    guest = identity.get_id(IdentityPoolId=other)["IdentityId"]
    token = identity.get_open_id_token(IdentityId=guest)["Token"]
    assert parse_jwt(token).claims["amr"] == ["unauthenticated"]
    identity_id, _ = sb.developer_identity("ivan")
    with pytest.raises(identity.exceptions.NotAuthorizedException, match="audience"):
        identity.get_credentials_for_identity(IdentityId=identity_id, Logins={DEVELOPER_KEY: token})


def test_get_open_id_token(sb: Any, identity: Any) -> None:
    key = sb.user_pool_provider_name
    identity_id = _get_id(identity, sb, {key: sb.id_token()})
    answer = identity.get_open_id_token(IdentityId=identity_id, Logins={key: sb.id_token()})
    assert answer["IdentityId"] == identity_id
    claims = parse_jwt(answer["Token"]).claims
    assert claims["sub"] == identity_id
    assert claims["amr"] == ["authenticated", key]
    # The token itself now proves the identity.
    again = identity.get_credentials_for_identity(
        IdentityId=identity_id, Logins={DEVELOPER_KEY: answer["Token"]}
    )
    assert again["IdentityId"] == identity_id


def test_list_identities(sb: Any, identity: Any) -> None:
    guest = _get_id(identity, sb)
    listed = sb.client("cognito-identity").list_identities(
        IdentityPoolId=sb.identity_pool_id, MaxResults=60
    )
    assert listed["IdentityPoolId"] == sb.identity_pool_id
    ids = [i["IdentityId"] for i in listed["Identities"]]
    while "NextToken" in listed:
        listed = sb.client("cognito-identity").list_identities(
            IdentityPoolId=sb.identity_pool_id, MaxResults=60, NextToken=listed["NextToken"]
        )
        ids += [i["IdentityId"] for i in listed["Identities"]]
    assert guest in ids
