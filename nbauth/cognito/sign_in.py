"""Signing in to a Cognito user pool: SRP, passwords, custom auth, ``USER_AUTH``, every challenge.

:class:`UserPoolSignIn` drives ``InitiateAuth`` and ``RespondToAuthChallenge`` like Amplify's
``signIn``/``confirmSignIn``: the SRP ``PASSWORD_VERIFIER`` round is answered by itself; the
challenges a person must answer come back as a ``next_step`` (see
:mod:`nbauth.cognito.sign_in_steps`; ``USER_AUTH`` in :mod:`nbauth.cognito.user_auth`). A pending
challenge expires after 3 minutes, like Cognito's session.

``client_metadata`` is sent exactly as Amplify sends it: each call's own metadata goes on every
request *that call* makes — ``sign_in``'s on its ``InitiateAuth`` and on the automatic SRP
``RespondToAuthChallenge(PASSWORD_VERIFIER)``; ``confirm_sign_in``'s on its
``RespondToAuthChallenge``. Nothing is carried from ``sign_in`` to a later ``confirm_sign_in``.

Which Lambda triggers receive it is Cognito's rule, not ours: ``InitiateAuth``'s reaches pre
authentication and user migration as ``validationData``; ``RespondToAuthChallenge``'s reaches
define/create/verify auth challenge, post authentication, pre token generation and custom message
as ``clientMetadata`` (the table is in the README's user-pool section).
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
from .user_auth import (
    OTP_CHALLENGES,
    PASSWORD_FACTORS,
    check_preferred_challenge,
    factor_choice,
    passkeys_unsupported,
)
from .user_pool_client import UserPoolClient, check_client_metadata

__all__ = ["AUTH_FLOWS", "CHALLENGE_TTL_SECONDS", "UserPoolSignIn"]

AUTH_FLOWS = (
    "USER_SRP_AUTH",
    "USER_PASSWORD_AUTH",
    "CUSTOM_WITH_SRP",
    "CUSTOM_WITHOUT_SRP",
    "USER_AUTH",
)
#: Cognito keeps a challenge session for 3 minutes.
CHALLENGE_TTL_SECONDS = 180.0

_RESPONSE_KEYS = {
    "SMS_MFA": "SMS_MFA_CODE",
    **OTP_CHALLENGES,
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
    expires_at: float
    auth_flow: str
    totp_setup: TotpSetupDetails | None = None
    available: tuple[str, ...] = ()  # SELECT_CHALLENGE's AvailableChallenges
    selected: str | None = None  # a password factor picked at SELECT_CHALLENGE


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
        preferred_challenge: str | None = None,
        session: str | None = None,
    ) -> tuple[SignInResult, OIDCTokens | None]:
        """``InitiateAuth`` (``session``: the one ``ConfirmSignUp`` returned, for auto sign-in
        with ``USER_AUTH``)."""
        if not isinstance(username, str) or not username.strip():
            raise InvalidParameterError("sign_in() needs a username.")
        if auth_flow not in AUTH_FLOWS:
            raise InvalidParameterError(
                f"auth_flow must be one of {', '.join(AUTH_FLOWS)}, got {auth_flow!r}."
            )
        preferred = check_preferred_challenge(preferred_challenge, password, auth_flow)
        if auth_flow == "CUSTOM_WITHOUT_SRP" or (auth_flow == "USER_AUTH" and not preferred):
            password = None
        elif auth_flow != "USER_AUTH" and (not isinstance(password, str) or not password):
            raise InvalidParameterError(
                f"{auth_flow} needs a password.",
                "Pass password=..., or use auth_flow='CUSTOM_WITHOUT_SRP' or 'USER_AUTH'.",
            )
        metadata = check_client_metadata(client_metadata)
        username = username.strip()
        self._pending = None
        srp = None
        params: dict[str, str] = {"USERNAME": username}
        cognito_flow = "CUSTOM_AUTH" if auth_flow.startswith("CUSTOM") else auth_flow
        if auth_flow in ("USER_SRP_AUTH", "CUSTOM_WITH_SRP") or preferred == "PASSWORD_SRP":
            srp = self._srp()
            params["SRP_A"] = srp.srp_a
        if auth_flow == "CUSTOM_WITH_SRP":
            params["CHALLENGE_NAME"] = "SRP_A"
        if preferred:
            params["PREFERRED_CHALLENGE"] = preferred
        if password is not None and (auth_flow == "USER_PASSWORD_AUTH" or preferred == "PASSWORD"):
            params["PASSWORD"] = password
        try:
            answer = self.client.call(
                "InitiateAuth",
                AuthFlow=cognito_flow,
                ClientId=self.client.client_id,
                AuthParameters=self.client.with_secret_hash(params, username),
                ClientMetadata=metadata,
                Session=session,
            )
            return self._handle(answer, username, auth_flow, metadata, srp, password)
        except UserNotConfirmedError:
            return SignInResult(False, {"sign_in_step": "CONFIRM_SIGN_UP"}), None
        except PasswordResetRequiredError:
            return SignInResult(False, {"sign_in_step": "RESET_PASSWORD"}), None

    def _srp(self) -> SrpSession:
        return SrpSession(
            self.client.user_pool_id, random_bytes=self._random_bytes or secrets.token_bytes
        )

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
            if challenge == "WEB_AUTHN":
                self._pending = None
                raise passkeys_unsupported()
            totp_setup = None
            if challenge == "MFA_SETUP":
                setup = self.client.call("AssociateSoftwareToken", Session=session)
                session = setup.get("Session") or session
                totp_setup = TotpSetupDetails(setup["SecretCode"], username)
            available = tuple(str(c) for c in answer.get("AvailableChallenges") or ())
            self._pending = _Pending(
                username,
                challenge,
                parameters,
                session,
                self.clock() + CHALLENGE_TTL_SECONDS,
                auth_flow,
                totp_setup,
                available,
            )
            step = step_for_challenge(challenge, parameters, totp_setup, available)
            return SignInResult(False, step), None

    # -- confirm_sign_in ------------------------------------------------------------------

    def confirm(
        self,
        challenge_response: str,
        *,
        client_metadata: Mapping[str, str] | None,
        user_attributes: Mapping[str, str] | None = None,
        friendly_device_name: str | None = None,
    ) -> tuple[SignInResult, OIDCTokens | None]:
        """``RespondToAuthChallenge`` with this call's ``client_metadata`` only (Amplify's
        ``confirmSignIn`` sends its own ``options.clientMetadata``, nothing from ``signIn``)."""
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
        metadata = check_client_metadata(client_metadata)
        challenge = pending.challenge
        if challenge == "SELECT_CHALLENGE" and pending.selected is None:
            choice = factor_choice(answer_text, pending.available)
            if choice in PASSWORD_FACTORS:  # Amplify asks for the password first, no call
                pending.selected = choice
                return SignInResult(False, {"sign_in_step": "CONFIRM_SIGN_IN_WITH_PASSWORD"}), None
            return self._respond(pending, challenge, {"ANSWER": choice}, pending.session, metadata)
        if challenge == "SELECT_CHALLENGE" or challenge in PASSWORD_FACTORS:
            return self._password_factor(pending, challenge_response, metadata)
        session = pending.session
        responses: dict[str, str] = {}
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
        return self._respond(pending, challenge, responses, session, metadata)

    def _password_factor(
        self, pending: _Pending, password: str, metadata: dict[str, str] | None
    ) -> tuple[SignInResult, OIDCTokens | None]:
        """The password of ``USER_AUTH``: at ``PASSWORD``/``PASSWORD_SRP``, or after picking
        one of them at ``SELECT_CHALLENGE`` (then ``ANSWER`` names it)."""
        factor = pending.selected or pending.challenge
        responses: dict[str, str] = {}
        if pending.selected is not None:
            responses["ANSWER"] = factor
        srp = None
        if factor == "PASSWORD_SRP":
            srp = self._srp()
            responses["SRP_A"] = srp.srp_a
        else:
            responses["PASSWORD"] = password
        return self._respond(
            pending, pending.challenge, responses, pending.session, metadata, srp, password
        )

    def _respond(
        self,
        pending: _Pending,
        challenge: str,
        responses: dict[str, str],
        session: str | None,
        metadata: dict[str, str] | None,
        srp: SrpSession | None = None,
        password: str | None = None,
    ) -> tuple[SignInResult, OIDCTokens | None]:
        responses = {"USERNAME": pending.username, **responses}
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
        return self._handle(answer, pending.username, pending.auth_flow, metadata, srp, password)
