"""Unit tests of the user-pool layer's building blocks (no server)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from nbauth.sandbox.aws_errors import AwsError
from nbauth.sandbox.user_pool.claims import apply_overrides
from nbauth.sandbox.user_pool.clock import Clock
from nbauth.sandbox.user_pool.mfa import (
    PoolMfa,
    UserMfa,
    decide_mfa,
    mask_email,
    mask_phone,
    totp_at,
    totp_matches,
)
from nbauth.sandbox.user_pool.outbox import CodeBook
from nbauth.sandbox.user_pool.params import attribute_map, string_map
from nbauth.sandbox.user_pool.triggers import Caller, TriggerRegistry

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("when", "code"),
    [
        (59, "287082"),
        (1111111109, "081804"),
        (1111111111, "050471"),
        (1234567890, "005924"),
        (2000000000, "279037"),
        (20000000000, "353130"),
    ],
)
def test_totp_rfc6238_vectors(when: int, code: str) -> None:
    assert totp_at(RFC_SECRET, when) == code


def test_totp_accepts_one_step_of_drift() -> None:
    now = 1_700_000_000.0
    assert totp_matches(RFC_SECRET, totp_at(RFC_SECRET, now - 30), now)
    assert totp_matches(RFC_SECRET, totp_at(RFC_SECRET, now + 30), now)
    assert not totp_matches(RFC_SECRET, totp_at(RFC_SECRET, now - 90), now)
    assert not totp_matches(RFC_SECRET, "12345", now)


def _pool(mode: str, sms: bool = True, totp: bool = True, email: bool = False) -> PoolMfa:
    return PoolMfa(mode, sms, totp, email)


def _user(**kwargs: Any) -> UserMfa:
    defaults: dict[str, Any] = {
        "sms": False,
        "totp": False,
        "email": False,
        "preferred": None,
        "has_phone": False,
    }
    return UserMfa(**{**defaults, **kwargs})


def test_mfa_decision() -> None:
    assert decide_mfa(_pool("OFF"), _user(sms=True)).challenge is None
    assert decide_mfa(_pool("OPTIONAL"), _user()).challenge is None
    assert decide_mfa(_pool("OPTIONAL"), _user(totp=True)).challenge == "SOFTWARE_TOKEN_MFA"
    both = decide_mfa(_pool("OPTIONAL"), _user(sms=True, totp=True))
    assert both.challenge == "SELECT_MFA_TYPE"
    assert both.choices == ("SMS_MFA", "SOFTWARE_TOKEN_MFA")
    preferred = _user(sms=True, totp=True, preferred="SMS_MFA")
    assert decide_mfa(_pool("ON"), preferred).challenge == "SMS_MFA"
    assert decide_mfa(_pool("ON"), _user(has_phone=True)).challenge == "SMS_MFA"
    setup = decide_mfa(_pool("ON", sms=False), _user(has_phone=True))
    assert setup.challenge == "MFA_SETUP" and setup.choices_json() == '["SOFTWARE_TOKEN_MFA"]'
    # a factor the pool does not allow does not count
    assert decide_mfa(_pool("OPTIONAL", email=False), _user(email=True)).challenge is None


def test_masks() -> None:
    assert mask_email("demo@example.com") == "d***@e***"
    assert mask_phone("+12065550100") == "+*******0100"


def test_code_book() -> None:
    book = CodeBook()
    key = ("pool", "sub", "sign_up")
    code = book.issue(key, 60, now=1000, note="email")
    with pytest.raises(AwsError) as mismatch:
        book.redeem(key, "x", now=1001)
    assert mismatch.value.code == "CodeMismatchException"
    assert book.redeem(key, code, now=1001) == "email"
    with pytest.raises(AwsError) as used:
        book.redeem(key, code, now=1002)
    assert used.value.code == "ExpiredCodeException"
    code = book.issue(key, 60, now=1000)
    with pytest.raises(AwsError) as expired:
        book.redeem(key, code, now=1060)
    assert expired.value.code == "ExpiredCodeException"


def test_clock() -> None:
    clock = Clock(base=lambda: 100.0)
    assert clock.now() == 100.0
    assert clock.advance(5) == 5.0
    assert clock.now() == 105.0
    with pytest.raises(ValueError):
        clock.advance(-1)
    clock.reset()
    assert clock.now() == 100.0


def test_params() -> None:
    assert string_map({"ClientMetadata": {"a": "b"}}, "ClientMetadata") == {"a": "b"}
    with pytest.raises(AwsError) as refused:
        string_map({"ClientMetadata": {"a": 1}}, "ClientMetadata")
    assert refused.value.code == "InvalidParameterException"
    assert "clientMetadata.a" in refused.value.message
    assert attribute_map({"UserAttributes": [{"Name": "a", "Value": "b"}]}, "UserAttributes") == {
        "a": "b"
    }
    assert attribute_map({}, "ValidationData") is None


def test_trigger_registry_maps_errors_and_copies_events() -> None:
    registry = TriggerRegistry()
    caller = Caller("us-east-1", "us-east-1_x", "client")
    request = {"userAttributes": {"a": "1"}}

    def mutate(event: dict[str, Any]) -> dict[str, Any]:
        event["request"]["userAttributes"]["a"] = "2"
        event["response"]["ok"] = True
        return event

    registry.set("post_confirmation", mutate)
    response = registry.invoke(
        "post_confirmation",
        caller=caller,
        trigger_source="PostConfirmation_ConfirmSignUp",
        username="u",
        request=request,
        response={},
    )
    assert response == {"ok": True} and request["userAttributes"]["a"] == "1"
    registry.set("post_confirmation", lambda event: {"response": {"bad": object()}})
    with pytest.raises(AwsError) as malformed:
        registry.invoke(
            "post_confirmation",
            caller=caller,
            trigger_source="x",
            username="u",
            request={},
            response={},
        )
    assert malformed.value.code == "InvalidLambdaResponseException"
    assert (
        registry.invoke(
            "pre_sign_up", caller=caller, trigger_source="x", username="u", request={}, response={}
        )
        is None
    )


def test_claim_overrides_suppress_wins_and_reserved_claims_stay() -> None:
    id_claims: dict[str, Any] = {"sub": "s", "email": "e", "cognito:groups": ["g"]}
    access: dict[str, Any] = {"sub": "s", "scope": "aws.cognito.signin.user.admin"}
    response = {
        "claimsOverrideDetails": {
            "claimsToAddOrOverride": {"x": "1", "sub": "evil"},
            "claimsToSuppress": ["x", "email"],
        }
    }
    apply_overrides(response, "1", id_claims, access)
    assert id_claims == {"sub": "s", "cognito:groups": ["g"]}
    with pytest.raises(AwsError):
        apply_overrides(
            {"claimsOverrideDetails": {"claimsToAddOrOverride": {"n": 1}}}, "1", {}, access
        )
