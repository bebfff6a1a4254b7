"""nbauth's user-pool sign-in over the real wire, against the sandbox's strict user pool
(SRP verified server-side, challenges, MFA, custom auth, Python Lambda triggers)."""

from __future__ import annotations

import time
import uuid

import pytest

import nbauth
from nbauth.errors import (
    CodeMismatchError,
    InvalidGrantError,
    InvalidParameterError,
    InvalidStateError,
    LambdaValidationError,
    NotAuthorizedError,
    SignInSessionExpiredError,
    UserAlreadyAuthenticatedError,
    UserNotFoundError,
)
from tests.support.fakes import FakeClock


@pytest.fixture
def up(sb):
    """The shared sandbox (its user pool is reset after the test, as all of it is)."""
    return sb


def _step(result) -> str:
    return result.next_step["sign_in_step"]


def test_srp_sign_in_federates_and_reaches_s3(up, make_auth, pool_user, user_pool_provider):
    username, password = pool_user()
    auth = make_auth()
    events: list[str] = []
    auth.hub.listen("auth", lambda c: events.append(c["payload"]["event"]))
    up.reset_calls()
    result = auth.sign_in(username, password)
    assert result.is_signed_in and _step(result) == "DONE"
    assert (up.calls("InitiateAuth"), up.calls("RespondToAuthChallenge")) == (1, 1)  # SRP
    session = auth.fetch_auth_session()
    assert session.tokens.id_token.payload["cognito:username"] == username
    # The Logins key is the user pool's: the same identity as federating its ID token by hand.
    by_hand = make_auth().federate_to_identity_pool(
        session.tokens.id_token.to_string(), user_pool_provider
    )
    assert session.identity_id == by_hand.identity_id
    assert (
        auth.boto3_session()
        .client("s3")
        .list_objects_v2(Bucket=up.bucket, Prefix="public/")["KeyCount"]
        >= 1
    )
    assert auth.get_current_user()["username"] == username
    assert auth.fetch_user_attributes()["email"] == f"{username}@example.com"
    assert events[0] == "signedIn"
    # State rules: no second sign-in, no federation while signed in.
    with pytest.raises(UserAlreadyAuthenticatedError):
        auth.sign_in(username, password)
    with pytest.raises(InvalidStateError):
        auth.federate_to_identity_pool(session.tokens.id_token.to_string(), user_pool_provider)


def test_wrong_password_fails_as_on_aws(up, make_auth, pool_user):
    username, _ = pool_user()
    auth = make_auth()
    with pytest.raises(NotAuthorizedError) as err:
        auth.sign_in(username, "not-the-password")
    assert "Incorrect username or password" in err.value.message
    assert auth.state == "signed_out"
    with pytest.raises(NotAuthorizedError):
        auth.sign_in(username, "not-the-password", auth_flow="USER_PASSWORD_AUTH")


def test_unknown_unconfirmed_and_disabled_users(up, make_auth, pool_user):
    auth = make_auth()
    with pytest.raises((UserNotFoundError, NotAuthorizedError)):
        auth.sign_in(f"nobody-{uuid.uuid4().hex[:6]}", "Whatever-1!")
    name = f"unconfirmed-{uuid.uuid4().hex[:6]}"
    up.create_user(name, "Passw0rd!-x", {"email": f"{name}@example.com"}, confirmed=False)
    assert _step(auth.sign_in(name, "Passw0rd!-x")) == "CONFIRM_SIGN_UP"
    username, password = pool_user()
    up.disable_user(username)
    with pytest.raises(NotAuthorizedError) as err:
        auth.sign_in(username, password)
    assert "disabled" in err.value.message
    assert auth.state == "signed_out"


def test_new_password_required(up, make_auth):
    name = f"temp-{uuid.uuid4().hex[:6]}"
    up.create_user(
        name, attributes={"email": f"{name}@example.com"}, temporary_password="Temp-Passw0rd!"
    )
    auth = make_auth()
    result = auth.sign_in(name, "Temp-Passw0rd!")
    assert _step(result) == "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED"
    assert auth.confirm_sign_in("Brand-New-Passw0rd!").is_signed_in
    auth.sign_out()
    assert auth.sign_in(name, "Brand-New-Passw0rd!").is_signed_in


@pytest.mark.parametrize(
    ("channel", "step"),
    [
        ("sms", "CONFIRM_SIGN_IN_WITH_SMS_CODE"),
        ("email", "CONFIRM_SIGN_IN_WITH_EMAIL_CODE"),
    ],
)
def test_sms_and_email_codes(up, make_auth, pool_user, channel, step):
    up.set_mfa("OPTIONAL", sms=True, totp=True, email=True)
    username, password = pool_user(phone_number="+15555550100")
    up.set_user_mfa(username, **{channel: True}, preferred=channel)
    auth = make_auth()
    result = auth.sign_in(username, password)
    assert _step(result) == step
    assert result.next_step["code_delivery_details"]["destination"]
    with pytest.raises(CodeMismatchError):
        auth.confirm_sign_in("000000")
    assert auth.confirm_sign_in(up.last_code(username)).is_signed_in  # the session survived


def test_totp_setup_then_totp_sign_in(up, make_auth, pool_user):
    up.set_mfa("ON", sms=False, totp=True, email=False)
    username, password = pool_user()
    auth = make_auth()
    result = auth.sign_in(username, password)
    assert _step(result) == "CONTINUE_SIGN_IN_WITH_TOTP_SETUP"
    setup = result.next_step["totp_setup_details"]
    assert setup.shared_secret not in repr(result)
    assert setup.setup_uri("nbauth").startswith("otpauth://totp/nbauth:")
    assert auth.confirm_sign_in(up.totp_code(setup.shared_secret)).is_signed_in
    auth.sign_out()
    result = auth.sign_in(username, password)
    assert _step(result) == "CONFIRM_SIGN_IN_WITH_TOTP_CODE"
    assert auth.confirm_sign_in(up.totp_code(setup.shared_secret, at=time.time() + 30)).is_signed_in


def test_select_mfa_type(up, make_auth, pool_user):
    up.set_mfa("OPTIONAL", sms=True, totp=True, email=False)
    username, password = pool_user(phone_number="+15555550101")
    secret = up.set_user_mfa(username, sms=True, totp=True)
    auth = make_auth()
    result = auth.sign_in(username, password)
    assert _step(result) == "CONTINUE_SIGN_IN_WITH_MFA_SELECTION"
    assert set(result.next_step["allowed_mfa_types"]) == {"SMS", "TOTP"}
    assert _step(auth.confirm_sign_in("TOTP")) == "CONFIRM_SIGN_IN_WITH_TOTP_CODE"
    assert auth.confirm_sign_in(up.totp_code(secret)).is_signed_in


def _math_challenge(up):
    @up.trigger("define_auth_challenge")
    def define(event):
        session = event["request"]["session"]
        if session and session[-1]["challengeName"] == "CUSTOM_CHALLENGE":
            won = session[-1]["challengeResult"]
            event["response"].update(issueTokens=won, failAuthentication=not won)
        else:
            event["response"].update(
                challengeName="CUSTOM_CHALLENGE", issueTokens=False, failAuthentication=False
            )
        return event

    @up.trigger("create_auth_challenge")
    def create(event):
        event["response"].update(
            publicChallengeParameters={"question": "6 x 7?"},
            privateChallengeParameters={"answer": "42"},
        )
        return event

    @up.trigger("verify_auth_challenge_response")
    def verify(event):
        expected = event["request"]["privateChallengeParameters"]["answer"]
        event["response"]["answerCorrect"] = event["request"]["challengeAnswer"] == expected
        return event


@pytest.mark.parametrize("flow", ["CUSTOM_WITHOUT_SRP", "CUSTOM_WITH_SRP"])
def test_custom_auth_runs_the_challenge_triggers(up, make_auth, pool_user, flow):
    _math_challenge(up)
    username, password = pool_user()
    auth = make_auth()
    result = auth.sign_in(username, password if flow == "CUSTOM_WITH_SRP" else None, auth_flow=flow)
    assert _step(result) == "CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE"
    assert result.next_step["additional_info"]["question"] == "6 x 7?"
    assert auth.confirm_sign_in("42").is_signed_in


def test_client_metadata_reaches_exactly_the_triggers_cognito_passes_it_to(
    up, make_auth, pool_user
):
    """Sign-up, confirmation and a custom sign-in, each with its own metadata: every trigger
    records what it received, and each value arrived exactly where Cognito routes it."""
    _math_challenge(up)
    seen: dict[str, list[dict]] = {}

    def recorder(name):
        def record(event):
            request = event["request"]
            seen.setdefault(name, []).append(
                {
                    "clientMetadata": request.get("clientMetadata"),
                    "validationData": request.get("validationData"),
                }
            )
            return event

        return record

    for name in (
        "pre_sign_up",
        "post_confirmation",
        "pre_authentication",
        "post_authentication",
        "pre_token_generation",
        "custom_message",
    ):
        up.set_trigger(name, recorder(name))
    defined = []

    @up.trigger("define_auth_challenge")
    def define(event):
        defined.append(event["request"].get("clientMetadata"))
        session = event["request"]["session"]
        if session and session[-1]["challengeName"] == "CUSTOM_CHALLENGE":
            won = session[-1]["challengeResult"]
            event["response"].update(issueTokens=won, failAuthentication=not won)
        else:
            event["response"].update(
                challengeName="CUSTOM_CHALLENGE", issueTokens=False, failAuthentication=False
            )
        return event

    auth = make_auth(client_metadata_provider=lambda: {"app": "nbauth-tests"})
    name = f"meta-{uuid.uuid4().hex[:6]}"
    auth.sign_up(
        name,
        "Passw0rd!-meta",
        user_attributes={"email": f"{name}@example.com"},
        validation_data={"invite": "abc"},
        client_metadata={"step": "signup"},
    )
    auth.confirm_sign_up(name, up.last_code(name), client_metadata={"step": "confirm"})
    result = auth.sign_in(
        name, None, auth_flow="CUSTOM_WITHOUT_SRP", client_metadata={"step": "initiate"}
    )
    assert _step(result) == "CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE"
    assert auth.confirm_sign_in("42", client_metadata={"step": "respond"}).is_signed_in

    assert seen["pre_sign_up"] == [
        {
            "clientMetadata": {"app": "nbauth-tests", "step": "signup"},
            "validationData": {"invite": "abc"},
        }
    ]
    assert seen["post_confirmation"][0]["clientMetadata"] == {
        "app": "nbauth-tests",
        "step": "confirm",
    }
    # InitiateAuth's metadata: pre authentication, as validationData.
    assert seen["pre_authentication"][0]["validationData"] == {
        "app": "nbauth-tests",
        "step": "initiate",
    }
    # The first define auth challenge never sees InitiateAuth's metadata; later rounds see the
    # RespondToAuthChallenge metadata: confirm_sign_in's own (with the provider's defaults),
    # never sign_in's — as Amplify sends it (tests/integration/test_user_pool_amplify_parity.py).
    assert defined[0] is None
    assert defined[-1] == {"app": "nbauth-tests", "step": "respond"}
    assert seen["post_authentication"][-1]["clientMetadata"] == {
        "app": "nbauth-tests",
        "step": "respond",
    }
    assert seen["pre_token_generation"][-1]["clientMetadata"] == {
        "app": "nbauth-tests",
        "step": "respond",
    }


def test_pre_token_generation_overrides_and_failing_triggers(up, make_auth, pool_user):
    @up.trigger("pre_token_generation")
    def claims(event):
        event["response"]["claimsOverrideDetails"] = {
            "claimsToAddOrOverride": {"team": "data-science"}
        }
        return event

    username, password = pool_user()
    auth = make_auth()
    auth.sign_in(username, password)
    assert auth.fetch_auth_session().tokens.id_token.payload["team"] == "data-science"
    auth.sign_out()

    @up.trigger("pre_authentication")
    def refuse(event):
        raise Exception("Notebook sign-in is closed on Sundays")

    with pytest.raises(LambdaValidationError) as err:
        auth.sign_in(username, password)
    assert err.value.message.endswith(
        "PreAuthentication failed with error Notebook sign-in is closed on Sundays."
    )
    assert err.value.name == "UserLambdaValidationException"
    assert auth.state == "signed_out"


def test_expired_challenge_session(up, make_auth, pool_user):
    up.set_mfa("OPTIONAL", sms=True, totp=False, email=False)
    username, password = pool_user(phone_number="+15555550102")
    up.set_user_mfa(username, sms=True, preferred="sms")
    clock = FakeClock(start=time.time())
    auth = make_auth(clock=clock)
    assert _step(auth.sign_in(username, password)) == "CONFIRM_SIGN_IN_WITH_SMS_CODE"
    clock.advance(181)
    with pytest.raises(SignInSessionExpiredError):
        auth.confirm_sign_in(up.last_code(username))
    with pytest.raises(InvalidStateError):  # nothing pending any more
        auth.confirm_sign_in("123456")
    # The server enforces the same 3 minutes.
    assert _step(auth.sign_in(username, password)) == "CONFIRM_SIGN_IN_WITH_SMS_CODE"
    up.advance_time(181)
    clock.advance(0)  # the client's clock stays put: only Cognito's session has expired
    with pytest.raises(SignInSessionExpiredError) as err:
        auth.confirm_sign_in(up.last_code(username))
    assert "expired" in err.value.message
    with pytest.raises(InvalidStateError):
        auth.confirm_sign_in(up.last_code(username))


def test_bad_metadata_is_refused_before_any_call(up, make_auth, pool_user):
    username, password = pool_user()
    auth = make_auth()
    up.reset_calls()
    with pytest.raises(InvalidParameterError):
        auth.sign_in(username, password, client_metadata={"count": 3})
    with pytest.raises(InvalidParameterError):
        make_auth(client_metadata_provider=lambda: {"n": None}).sign_in(username, password)
    assert up.calls("InitiateAuth") == 0


def test_app_client_secret(up, make_auth, pool_user):
    username, password = pool_user()
    config = {
        **up.config,
        "auth": {**up.config["auth"], "user_pool_client_id": up.secret_client_id},
    }
    with pytest.raises(NotAuthorizedError) as err:
        make_auth(config=config).sign_in(username, password)
    assert "SECRET_HASH" in err.value.message or "secret hash" in err.value.message
    with_secret = {
        **config,
        "nbauth": {**config["nbauth"], "user_pool_client_secret": up.secret_client_secret},
    }
    auth = make_auth(config=with_secret)
    assert auth.sign_in(username, password).is_signed_in
    assert auth.fetch_auth_session(force_refresh=True).tokens is not None


def test_sign_up_confirm_and_reset_password(up, make_auth):
    auth = make_auth()
    name = f"new-{uuid.uuid4().hex[:6]}"
    result = auth.sign_up(name, "Passw0rd!-one", user_attributes={"email": f"{name}@example.com"})
    assert not result.is_sign_up_complete
    assert result.next_step["sign_up_step"] == "CONFIRM_SIGN_UP"
    assert auth.resend_sign_up_code(name)["delivery_medium"] == "EMAIL"
    with pytest.raises(CodeMismatchError):
        auth.confirm_sign_up(name, "000000")
    assert auth.confirm_sign_up(name, up.last_code(name)).is_sign_up_complete
    reset = auth.reset_password(name)
    assert reset.next_step["reset_password_step"] == "CONFIRM_RESET_PASSWORD_WITH_CODE"
    assert auth.confirm_reset_password(name, "Passw0rd!-two", up.last_code(name)).is_password_reset
    assert auth.sign_in(name, "Passw0rd!-two").is_signed_in
    updated = auth.update_user_attributes({"email": f"{name}+new@example.com", "name": "Ada"})
    assert updated["name"]["is_updated"]
    assert updated["email"]["next_step"]["update_attribute_step"] == "CONFIRM_ATTRIBUTE_WITH_CODE"


def test_auto_confirm_by_pre_sign_up(up, make_auth):
    @up.trigger("pre_sign_up")
    def auto(event):
        event["response"].update(autoConfirmUser=True, autoVerifyEmail=True)
        return event

    name = f"auto-{uuid.uuid4().hex[:6]}"
    auth = make_auth()
    assert auth.sign_up(
        name, "Passw0rd!-auto", user_attributes={"email": f"{name}@example.com"}
    ).is_sign_up_complete
    assert auth.sign_in(name, "Passw0rd!-auto").is_signed_in


def test_refresh_and_global_sign_out(up, make_auth, pool_user):
    username, password = pool_user()
    laptop = make_auth(refresh={"background": False})
    notebook = make_auth(refresh={"background": False})
    laptop.sign_in(username, password)
    notebook.sign_in(username, password)
    before = notebook.fetch_auth_session()
    up.reset_calls()
    after = notebook.fetch_auth_session(force_refresh=True)
    assert up.calls("GetTokensFromRefreshToken") == 1
    assert after.tokens.id_token != before.tokens.id_token
    assert after.identity_id == before.identity_id
    laptop.sign_out(global_sign_out=True)  # every device
    assert up.calls("GlobalSignOut") == 1
    with pytest.raises(InvalidGrantError):
        notebook.fetch_auth_session(force_refresh=True)
    assert notebook.state == "signed_out"


def test_a_restarted_kernel_resumes_the_user_pool_session(up, make_auth, pool_user, tmp_path):
    username, password = pool_user()
    first = make_auth(storage=nbauth.FileStorage(tmp_path / "cache"))
    first.sign_in(username, password)
    identity = first.fetch_auth_session().identity_id
    first.close()
    second = make_auth(storage=nbauth.FileStorage(tmp_path / "cache"))
    assert second.state == "signed_in"
    assert second.fetch_auth_session().identity_id == identity
    assert second.get_current_user()["username"] == username


def test_refresh_falls_back_to_refresh_token_auth(up, make_auth, pool_user):
    """Where the endpoint doesn't offer GetTokensFromRefreshToken, REFRESH_TOKEN_AUTH does it."""
    username, password = pool_user()
    auth = make_auth(refresh={"background": False})
    auth.sign_in(username, password)
    before = auth.fetch_auth_session()
    up.reset_calls()
    up.fail_next(
        "GetTokensFromRefreshToken", code="UnknownOperationException", message="Unknown operation"
    )
    after = auth.fetch_auth_session(force_refresh=True)
    assert after.tokens.id_token != before.tokens.id_token
    assert up.calls("InitiateAuth") == 1  # REFRESH_TOKEN_AUTH
    auth.fetch_auth_session(force_refresh=True)
    assert up.calls("GetTokensFromRefreshToken") == 1  # remembered: not asked again
