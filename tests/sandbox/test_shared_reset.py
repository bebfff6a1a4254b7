"""The shared sandbox is reset after every test that used it (``tests.support.sandbox_fixtures``).

The first test calls the reset itself. The other two rely on file order: one leaves every piece
of state changed, the next finds it all back through the autouse fixture (run alone, it passes
trivially).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import datetime, timezone
from typing import Any

import pytest
import requests

from tests.support.sandbox_fixtures import CREDENTIALS_LIFETIME, reset_shared_sandbox

SIGNED_UP = f"reset-{uuid.uuid4().hex[:10]}"


def _refuse(event: dict[str, Any]) -> dict[str, Any]:
    raise RuntimeError("refused by the test")


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _change_everything(sb: Any, cognito_idp: Any, username: str) -> None:
    cognito_idp.sign_up(
        ClientId=sb.user_pool_client_id,
        Username=username,
        Password="Pw-reset-123",
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
    )
    assert sb.sent_messages(username)
    sb.fail_next("GetId", times=5)
    sb.set_down("GetCredentialsForIdentity")
    sb.idp_fail_next("discovery", times=5)
    sb.set_credentials_lifetime(90)
    sb.set_token_lifetimes(access=5, id=5, device_code=5, device_interval=1)
    sb.set_trigger("pre_authentication", _refuse)
    sb.advance_time(3 * 86400)
    sb.set_mfa("ON", sms=False, totp=True, email=False)
    sb.set_user_pool_token_lifetimes(access=300, id=300, refresh=600)
    sb.set_guest_access(False)


def _assert_everything_is_back(sb: Any, identity: Any, idp: Any, username: str) -> None:
    assert sb.calls("GetId") == 0
    assert sb.idp_calls("discovery") == 0
    assert sb.config["auth"]["unauthenticated_identities_enabled"] is True
    # no injected AWS fault, guests allowed, the credentials lifetime the run started with
    guest = identity.get_id(IdentityPoolId=sb.identity_pool_id)["IdentityId"]
    credentials = identity.get_credentials_for_identity(IdentityId=guest)["Credentials"]
    left = (credentials["Expiration"] - datetime.now(timezone.utc)).total_seconds()
    assert CREDENTIALS_LIFETIME - 10 <= left <= CREDENTIALS_LIFETIME + 1
    # the IdP: no injected failure, the lifetimes it started with
    discovery = requests.get(f"{sb.issuer}/.well-known/openid-configuration", timeout=10)
    assert discovery.status_code == 200
    assert idp.tokens()["expires_in"] == 3600
    assert idp.start_device()["interval"] == 5
    # the user pool: no trigger, no MFA (else a challenge, not tokens), real time, default
    # token lifetimes, no sent messages
    claims = _claims(sb.user_pool_tokens()["IdToken"])
    assert abs(claims["iat"] - time.time()) < 60
    assert claims["exp"] - claims["iat"] == 3600
    assert sb.sent_messages(username) == []


def test_reset_restores_everything_a_test_can_change(
    sb: Any, identity: Any, idp: Any, cognito_idp: Any
) -> None:
    username = f"reset-{uuid.uuid4().hex[:10]}"
    _change_everything(sb, cognito_idp, username)
    with pytest.raises(identity.exceptions.TooManyRequestsException):
        identity.get_id(IdentityPoolId=sb.identity_pool_id)
    reset_shared_sandbox(sb)
    _assert_everything_is_back(sb, identity, idp, username)


def test_a_test_leaves_everything_changed(sb: Any, cognito_idp: Any) -> None:
    _change_everything(sb, cognito_idp, SIGNED_UP)
    assert sb.config["auth"]["unauthenticated_identities_enabled"] is False


def test_the_next_test_finds_everything_back(sb: Any, identity: Any, idp: Any) -> None:
    _assert_everything_is_back(sb, identity, idp, SIGNED_UP)
