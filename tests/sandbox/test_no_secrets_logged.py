"""Invariant 1: the sandbox logs and prints no token and no secret key."""

from __future__ import annotations

import logging
from typing import Any

import pytest


def test_no_secrets_in_logs_or_output(
    sb: Any, identity: Any, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    # botocore itself logs request bodies at DEBUG; only the sandbox's loggers are in scope.
    caplog.set_level(logging.DEBUG, logger="nbauth")
    caplog.set_level(logging.DEBUG, logger="werkzeug")
    token = sb.id_token()
    logins = {sb.user_pool_provider_name: token}
    identity_id = identity.get_id(IdentityPoolId=sb.identity_pool_id, Logins=logins)["IdentityId"]
    credentials = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)[
        "Credentials"
    ]
    _, developer_token = sb.developer_identity("logging-check")
    with pytest.raises(identity.exceptions.NotAuthorizedException):
        identity.get_id(IdentityPoolId=sb.identity_pool_id, Logins={"accounts.google.com": token})
    sandbox_records = [
        r for r in caplog.records if r.name.startswith(("werkzeug", "nbauth.sandbox"))
    ]
    assert sandbox_records == []  # the server is quiet
    out, err = capfd.readouterr()
    everything = caplog.text + out + err
    for secret in (token, credentials["SecretKey"], credentials["SessionToken"], developer_token):
        assert secret not in everything
