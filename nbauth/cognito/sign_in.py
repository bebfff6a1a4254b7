"""Signing in to a Cognito user pool: SRP, passwords, custom auth, and every challenge.

:class:`UserPoolSignIn` drives ``InitiateAuth`` and ``RespondToAuthChallenge`` like Amplify's
``signIn``/``confirmSignIn``: the SRP ``PASSWORD_VERIFIER`` round is answered by itself; the
challenges a person must answer come back as a ``next_step`` (see
:mod:`nbauth.cognito.sign_in_steps`). ``client_metadata`` goes on the ``InitiateAuth`` **and**
on every ``RespondToAuthChallenge`` of one sign-in. A pending challenge expires after 3 minutes,
like Cognito's session.

Which Lambda triggers receive ``client_metadata`` is Cognito's rule, not ours: ``InitiateAuth``'s
reaches pre authentication and user migration as ``validationData`` (and pre sign-up, for
``SignUp``'s own); ``RespondToAuthChallenge``'s reaches define/create/verify auth challenge, post
authentication, pre token generation and custom message as ``clientMetadata`` — so the first
define/create auth challenge of a custom flow never sees the ``InitiateAuth`` metadata.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.values import SignInResult
from ..errors import (
    InvalidParameterError,
    InvalidStateError,
    NotAuthorizedError,
    PasswordResetRequiredError,
    SignInSessionExpiredError,
    UserNotConfirmedError,
)
from ..oidc.tokens import OIDCTokens
from .sign_in_steps import MFA_ANSWERS, TotpSetupDetails, step_for_challenge
from .srp import SrpSession
from .user_pool_client import UserPoolClient, check_client_metadata

__all__ = ["AUTH_FLOWS", "CHALLENGE_TTL_SECONDS", "UserPoolSignIn"]

AUTH_FLOWS = ("USER_SRP_AUTH", "USER_PASSWORD_AUTH", "CUSTOM_WITH_SRP", "CUSTOM_WITHOUT_SRP")
#: Cognito keeps a challenge session for 3 minutes.
CHALLENGE_TTL_SECONDS = 180.0

_RESPONSE_KEYS = {
    "SMS_MFA": "SMS_MFA_CODE",
    "EMAIL_OTP": "EMAIL_OTP_CODE",
    "SOFTWARE_TOKEN_MFA": "SOFTWARE_TOKEN_MFA_CODE",
    "CUSTOM_CHALLENGE": "ANSWER",
    "SELECT_MFA_TYPE": "ANSWER",
    "NEW_PASSWORD_REQUIRED": "NEW_PASSWORD",
}


@dataclass
class _Pending:
    """A challenge waiting for the person (never printed: it holds the session)."""

    username: str
    challenge: str
    parameters: dict[str, str]
    session: str | None = field(repr=False)
    client_metadata: dict[str, str] | None
    expires_at: float
    auth_flow: str
    totp_setup: TotpSetupDetails | None = None


class UserPoolSignIn:
    """One app client's sign-in state machine; ``done(tokens, username, flow)`` ends a sign-in."""

    def __init__(
        self,
        client: UserPoolClient,
        *,
        clock: Callable[[], float] = time.time,
        random_bytes: Callable[[int], bytes] | None = None,
    ) -> None:
        self.client = client
        self.clock = clock
        self._random_bytes = random_bytes
        self._pending: _Pending | None = None
        self._lock = threading.Lock()

    @property
    def pending_step(self) -> str | None:
        """The challenge waiting for an answer, if any."""
        p = self._pending
        return p.challenge if p is not None and self.clock() < p.expires_at else None

    def clear(self) -> None:
        self._pending = None

    # -- sign_in --------------------------------------------------------------------------

    def start(
        self,
        username: str,
        password: str | None,
        *,
        auth_flow: str,
        client_metadata: Mapping[str, str] | None,
    ) -> tuple[SignInResult, OIDCTokens | None]:
        if not isinstance(username, str) or not username.strip():
            raise InvalidParameterError("sign_in() needs a username.")
        if auth_flow not in AUTH_FLOWS:
            raise InvalidParameterError(
                f"auth_flow must be one of {', '.join(AUTH_FLOWS)}, got {auth_flow!r}."
            )
        if auth_flow == "CUSTOM_WITHOUT_SRP":
            password = None
        elif not isinstance(password, str) or not password:
            raise InvalidParameterError(
                f"{auth_flow} needs a password.",
                "Pass password=..., or use auth_flow='CUSTOM_WITHOUT_SRP'.",
            )
        metadata = check_client_metadata(client_metadata)
        username = username.strip()
        self._pending = None
        srp = None
        params: dict[str, str] = {"USERNAME": username}
        cognito_flow = auth_flow
        if auth_flow in ("USER_SRP_AUTH", "CUSTOM_WITH_SRP"):
            srp = SrpSession(
                self.client.user_pool_id, random_bytes=self._random_bytes or secrets.token_bytes
            )
            params["SRP_A"] = srp.srp_a
        if auth_flow == "CUSTOM_WITH_SRP":
            params["CHALLENGE_NAME"] = "SRP_A"
        if auth_flow.startswith("CUSTOM"):
            cognito_flow = "CUSTOM_AUTH"
        if auth_flow == "USER_PASSWORD_AUTH" and password is not None:
            params["PASSWORD"] = password
        try:
            answer = self.client.call(
                "InitiateAuth",
                AuthFlow=cognito_flow,
                ClientId=self.client.client_id,
                AuthParameters=self.client.with_secret_hash(params, username),
                ClientMetadata=metadata,
            )
            return self._handle(answer, username, auth_flow, metadata, srp, password)
        except UserNotConfirmedError:
            return SignInResult(False, {"sign_in_step": "CONFIRM_SIGN_UP"}), None
        except PasswordResetRequiredError:
            return SignInResult(False, {"sign_in_step": "RESET_PASSWORD"}), None

    def _handle(
        self,
        answer: dict[str, Any],
        username: str,
        auth_flow: str,
        metadata: dict[str, str] | None,
        srp: SrpSession | None,
        password: str | None,
    ) -> tuple[SignInResult, OIDCTokens | None]:
        while True:
            result = answer.get("AuthenticationResult")
            if result:
                self._pending = None
                tokens = self.client.tokens_from_result(result)
                return SignInResult(True, {"sign_in_step": "DONE"}), tokens
            challenge = answer.get("ChallengeName")
            parameters = dict(answer.get("ChallengeParameters") or {})
            session = answer.get("Session")
            username = parameters.get("USERNAME") or username
            if challenge == "PASSWORD_VERIFIER":
                if srp is None or password is None:
                    raise InvalidStateError(
                        "Cognito asked for an SRP password verifier outside an SRP sign-in."
                    )
                responses = srp.process_challenge(parameters, password)
                user_id = responses["USERNAME"]
                answer = self.client.call(
                    "RespondToAuthChallenge",
                    ClientId=self.client.client_id,
                    ChallengeName="PASSWORD_VERIFIER",
                    Session=session,
                    ChallengeResponses=self.client.with_secret_hash(responses, user_id),
                    ClientMetadata=metadata,
                )
                continue
            if not challenge:
                raise InvalidStateError("Cognito answered with neither tokens nor a challenge.")
            totp_setup = None
            if challenge == "MFA_SETUP":
                setup = self.client.call("AssociateSoftwareToken", Session=session)
                session = setup.get("Session") or session
                totp_setup = TotpSetupDetails(setup["SecretCode"], username)
            self._pending = _Pending(
                username,
                challenge,
                parameters,
                session,
                metadata,
                self.clock() + CHALLENGE_TTL_SECONDS,
                auth_flow,
                totp_setup,
            )
            return SignInResult(False, step_for_challenge(challenge, parameters, totp_setup)), None

    # -- confirm_sign_in ------------------------------------------------------------------

    def confirm(
        self,
        challenge_response: str,
        *,
        client_metadata: Mapping[str, str] | None,
        user_attributes: Mapping[str, str] | None = None,
        friendly_device_name: str | None = None,
    ) -> tuple[SignInResult, OIDCTokens | None]:
        pending = self._pending
        if pending is None:
            raise InvalidStateError(
                "There is no sign-in waiting for an answer.", "Call sign_in() first."
            )
        if self.clock() >= pending.expires_at:
            self._pending = None
            raise SignInSessionExpiredError(
                "The sign-in challenge expired (Cognito keeps it for 3 minutes)."
            )
        if not isinstance(challenge_response, str) or not challenge_response.strip():
            raise InvalidParameterError("confirm_sign_in() needs the answer to the challenge.")
        answer_text = challenge_response.strip()
        metadata = {
            **(pending.client_metadata or {}),
            **(check_client_metadata(client_metadata) or {}),
        } or None
        session = pending.session
        responses: dict[str, str] = {"USERNAME": pending.username}
        challenge = pending.challenge
        if challenge == "MFA_SETUP":
            verified = self.client.call(
                "VerifySoftwareToken",
                Session=session,
                UserCode=answer_text,
                FriendlyDeviceName=friendly_device_name,
            )
            session = verified.get("Session") or session
        elif challenge in _RESPONSE_KEYS:
            if challenge == "SELECT_MFA_TYPE":
                answer_text = MFA_ANSWERS.get(answer_text.upper(), answer_text)
            responses[_RESPONSE_KEYS[challenge]] = answer_text
            if challenge == "NEW_PASSWORD_REQUIRED":
                for name, value in (user_attributes or {}).items():
                    responses[f"userAttributes.{name}"] = value
        else:
            raise InvalidStateError(f"nbauth cannot answer the {challenge} challenge.")
        try:
            answer = self.client.call(
                "RespondToAuthChallenge",
                ClientId=self.client.client_id,
                ChallengeName=challenge,
                Session=session,
                ClientMetadata=metadata,
                ChallengeResponses=self.client.with_secret_hash(responses, pending.username),
            )
        except NotAuthorizedError:
            # Cognito ended the session (SignInSessionExpiredError when it expired, classified
            # by nbauth.aws.error_mapping); a wrong code keeps it instead.
            self._pending = None
            raise
        return self._handle(answer, pending.username, pending.auth_flow, metadata, None, None)
