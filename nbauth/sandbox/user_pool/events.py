"""Trigger events: each trigger's ``request`` and initial ``response``, as AWS documents them.

Where ``clientMetadata``/``validationData`` come from (see the package README
for the whole table): callers pass only what Cognito routes to that trigger
from that API call. ``validationData`` is always present (null when empty)
for pre sign-up and pre authentication; ``clientMetadata`` appears only when
the call routes non-empty metadata to the trigger.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CODE_PARAMETER",
    "create_auth_challenge",
    "custom_message",
    "define_auth_challenge",
    "post_authentication",
    "post_confirmation",
    "pre_authentication",
    "pre_sign_up",
    "pre_token_generation",
    "user_migration",
    "verify_auth_challenge",
]

CODE_PARAMETER = "{####}"
USERNAME_PARAMETER = "{username}"
Shape = tuple[dict[str, Any], dict[str, Any]]


def _with_metadata(request: dict[str, Any], client_metadata: dict[str, str] | None) -> dict:
    if client_metadata:
        request["clientMetadata"] = dict(client_metadata)
    return request


def pre_sign_up(
    attributes: dict[str, str],
    validation_data: dict[str, str] | None,
    client_metadata: dict[str, str] | None,
) -> Shape:
    """``PreSignUp_SignUp``: may auto-confirm and auto-verify."""
    request = {"userAttributes": attributes, "validationData": validation_data or None}
    response = {"autoConfirmUser": False, "autoVerifyPhone": False, "autoVerifyEmail": False}
    return _with_metadata(request, client_metadata), response


def pre_authentication(
    attributes: dict[str, str], validation_data: dict[str, str] | None, user_not_found: bool
) -> Shape:
    """``PreAuthentication_Authentication``: InitiateAuth's ClientMetadata is ``validationData``."""
    request: dict[str, Any] = {
        "userAttributes": attributes,
        "validationData": validation_data or None,
    }
    if user_not_found:
        request["userNotFound"] = True
    return request, {}


def post_authentication(
    attributes: dict[str, str], client_metadata: dict[str, str] | None
) -> Shape:
    """``PostAuthentication_Authentication``."""
    request = {"userAttributes": attributes, "newDeviceUsed": False}
    return _with_metadata(request, client_metadata), {}


def post_confirmation(attributes: dict[str, str], client_metadata: dict[str, str] | None) -> Shape:
    """``PostConfirmation_ConfirmSignUp`` / ``PostConfirmation_ConfirmForgotPassword``."""
    return _with_metadata({"userAttributes": attributes}, client_metadata), {}


def define_auth_challenge(
    attributes: dict[str, str],
    session: list[dict[str, Any]],
    client_metadata: dict[str, str] | None,
    user_not_found: bool,
) -> Shape:
    """``DefineAuthChallenge_Authentication``: decides the next step."""
    request = {"userAttributes": attributes, "session": session, "userNotFound": user_not_found}
    response = {"challengeName": None, "issueTokens": False, "failAuthentication": False}
    return _with_metadata(request, client_metadata), response


def create_auth_challenge(
    attributes: dict[str, str],
    challenge_name: str,
    session: list[dict[str, Any]],
    client_metadata: dict[str, str] | None,
    user_not_found: bool,
) -> Shape:
    """``CreateAuthChallenge_Authentication``: makes the challenge."""
    request = {
        "userAttributes": attributes,
        "challengeName": challenge_name,
        "session": session,
        "userNotFound": user_not_found,
    }
    response = {
        "publicChallengeParameters": None,
        "privateChallengeParameters": None,
        "challengeMetadata": None,
    }
    return _with_metadata(request, client_metadata), response


def verify_auth_challenge(
    attributes: dict[str, str],
    private_parameters: dict[str, Any],
    answer: str,
    client_metadata: dict[str, str] | None,
    user_not_found: bool,
) -> Shape:
    """``VerifyAuthChallengeResponse_Authentication``: judges the answer."""
    request = {
        "userAttributes": attributes,
        "privateChallengeParameters": private_parameters,
        "challengeAnswer": answer,
        "userNotFound": user_not_found,
    }
    return _with_metadata(request, client_metadata), {"answerCorrect": None}


def pre_token_generation(
    attributes: dict[str, str],
    groups: list[str],
    client_metadata: dict[str, str] | None,
    *,
    version: str,
    scopes: list[str],
) -> Shape:
    """``TokenGeneration_*``: V1 customises the ID token, V2 both tokens and scopes."""
    request: dict[str, Any] = {
        "userAttributes": attributes,
        "groupConfiguration": {
            "groupsToOverride": list(groups),
            "iamRolesToOverride": [],
            "preferredRole": None,
        },
    }
    if version == "2":
        request["scopes"] = list(scopes)
        response: dict[str, Any] = {"claimsAndScopeOverrideDetails": None}
    else:
        response = {"claimsOverrideDetails": None}
    return _with_metadata(request, client_metadata), response


def custom_message(
    attributes: dict[str, str], client_metadata: dict[str, str] | None, *, admin: bool = False
) -> Shape:
    """``CustomMessage_*``: ``codeParameter`` is the placeholder the code replaces."""
    request: dict[str, Any] = {
        "userAttributes": attributes,
        "codeParameter": CODE_PARAMETER,
        "usernameParameter": USERNAME_PARAMETER if admin else None,
        "linkParameter": "{##Click Here##}",
    }
    response = {"smsMessage": None, "emailMessage": None, "emailSubject": None}
    return _with_metadata(request, client_metadata), response


def user_migration(
    password: str | None,
    validation_data: dict[str, str] | None,
    client_metadata: dict[str, str] | None,
) -> Shape:
    """``UserMigration_Authentication`` (with the password) or ``_ForgotPassword``."""
    request: dict[str, Any] = {}
    if password is not None:
        request["password"] = password
        request["validationData"] = validation_data or None
    response = {
        "userAttributes": None,
        "finalUserStatus": None,
        "messageAction": None,
        "desiredDeliveryMediums": None,
        "forceAliasCreation": None,
        "enableSMSMFA": None,
    }
    return _with_metadata(request, client_metadata), response
