"""``CUSTOM_AUTH``: the define → create → verify loop of the custom challenge triggers.

``define_auth_challenge`` sees the session so far (a list of
``{challengeName, challengeResult, challengeMetadata}``) and answers with
``issueTokens``, ``failAuthentication`` or the next ``challengeName``
(``CUSTOM_CHALLENGE``, or ``PASSWORD_VERIFIER`` right after ``SRP_A`` —
``CUSTOM_WITH_SRP``). For ``CUSTOM_CHALLENGE``, ``create_auth_challenge``
returns ``publicChallengeParameters`` (sent to the client with ``USERNAME``),
``privateChallengeParameters`` and ``challengeMetadata``; the client's
``ANSWER`` goes to ``verify_auth_challenge_response`` whose ``answerCorrect``
is appended to the session before define runs again. Without a define
trigger (or a create/verify trigger when needed) ``InitiateAuth`` fails with
``InvalidParameterException`` "Custom auth lambda trigger is not configured
for the user pool.".
"""

from __future__ import annotations

from typing import Any

from . import events, users
from .challenge_io import challenge_body, new_session
from .errors import invalid_parameter, missing_parameter, not_authorized
from .issuance import issue_tokens
from .password_verifier import start_password_verifier
from .sessions import AuthSession
from .state import Call
from .triggers import invalid_lambda_response, optional_bool, optional_str_map

__all__ = ["answer_custom_challenge", "next_custom_step", "require_custom_triggers"]

NOT_CONFIGURED = "Custom auth lambda trigger is not configured for the user pool."


def require_custom_triggers(call: Call, *names: str) -> None:
    """``InvalidParameterException`` unless every named trigger is registered."""
    if not all(call.state.triggers.has(name) for name in names):
        raise invalid_parameter(NOT_CONFIGURED)


def next_custom_step(
    call: Call,
    user: Any,
    results: list[dict[str, Any]],
    client_metadata: dict[str, str] | None,
    *,
    srp_a: str | None = None,
) -> dict[str, Any]:
    """Ask define auth challenge what comes next, and do it."""
    require_custom_triggers(call, "define_auth_challenge")
    username = str(user.username)
    attributes = users.event_attributes(user)
    response = (
        call.trigger(
            "define_auth_challenge",
            "DefineAuthChallenge_Authentication",
            username,
            events.define_auth_challenge(attributes, results, client_metadata, False),
        )
        or {}
    )
    if optional_bool(response, "failAuthentication"):
        raise not_authorized()
    if optional_bool(response, "issueTokens"):
        return issue_tokens(call, user, client_metadata=client_metadata)
    name = response.get("challengeName")
    if name == "PASSWORD_VERIFIER" and srp_a is not None:
        return start_password_verifier(
            call, user, srp_a, flow="CUSTOM_AUTH", custom_results=results
        )
    if name != "CUSTOM_CHALLENGE":
        raise invalid_lambda_response()
    require_custom_triggers(call, "create_auth_challenge")
    created = (
        call.trigger(
            "create_auth_challenge",
            "CreateAuthChallenge_Authentication",
            username,
            events.create_auth_challenge(attributes, name, results, client_metadata, False),
        )
        or {}
    )
    public = optional_str_map(created, "publicChallengeParameters")
    private = created.get("privateChallengeParameters") or {}
    metadata = created.get("challengeMetadata")
    if not isinstance(private, dict) or (metadata is not None and not isinstance(metadata, str)):
        raise invalid_lambda_response()
    session = new_session(
        call,
        user,
        "CUSTOM_CHALLENGE",
        "CUSTOM_AUTH",
        custom_results=results,
        private_parameters=private,
        challenge_metadata=metadata,
    )
    return challenge_body(session, {**public, "USERNAME": username})


def answer_custom_challenge(
    call: Call, session: AuthSession, user: Any, answer: dict[str, str], metadata: dict[str, str]
) -> dict[str, Any]:
    """Verify an ``ANSWER``, record the result, and ask define again."""
    value = answer.get("ANSWER")
    if value is None:
        raise missing_parameter("ANSWER")
    require_custom_triggers(call, "verify_auth_challenge_response")
    call.state.sessions.consume(session)
    verified = (
        call.trigger(
            "verify_auth_challenge_response",
            "VerifyAuthChallengeResponse_Authentication",
            str(user.username),
            events.verify_auth_challenge(
                users.event_attributes(user), session.private_parameters, value, metadata, False
            ),
        )
        or {}
    )
    results = [
        *session.custom_results,
        {
            "challengeName": "CUSTOM_CHALLENGE",
            "challengeResult": optional_bool(verified, "answerCorrect"),
            "challengeMetadata": session.challenge_metadata,
        },
    ]
    return next_custom_step(call, user, results, metadata)
