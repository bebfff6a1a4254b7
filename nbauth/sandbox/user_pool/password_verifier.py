"""``PASSWORD_VERIFIER``: the SRP round trip of ``USER_SRP_AUTH`` and ``CUSTOM_AUTH`` + ``SRP_A``.

``InitiateAuth`` answers with ``SALT``, ``SRP_B``, ``SECRET_BLOCK`` (random,
base64; also how the session is found again), ``USER_ID_FOR_SRP`` and
``USERNAME`` (both the internal username), plus a ``Session``.
``RespondToAuthChallenge`` must bring ``PASSWORD_CLAIM_SECRET_BLOCK``,
``PASSWORD_CLAIM_SIGNATURE`` and ``TIMESTAMP``; a signature that does not
verify is "Incorrect username or password.". The session is used up either
way.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from . import users
from .challenge_io import challenge_body, new_session
from .challenges import after_password
from .errors import AwsError, invalid_parameter, missing_parameter, not_authorized
from .sessions import AuthSession
from .srp_server import SrpError, SrpServerSession, new_salt_hex, password_verifier
from .state import Call

__all__ = ["answer_password_verifier", "check_status_after_password", "start_password_verifier"]

_SECRET_BLOCK_BYTES = 512


def check_status_after_password(user: Any) -> None:
    """Statuses that stop a sign-in once the password is proven."""
    current = users.status(user)
    if current == "UNCONFIRMED":
        raise AwsError("UserNotConfirmedException", "User is not confirmed.")
    if current == "RESET_REQUIRED":
        raise AwsError("PasswordResetRequiredException", "Password reset required for the user")


def start_password_verifier(
    call: Call,
    user: Any | None,
    srp_a: str,
    *,
    flow: str,
    custom_results: list[dict[str, Any]] | None = None,
    shown_username: str | None = None,
) -> dict[str, Any]:
    """The ``PASSWORD_VERIFIER`` challenge for ``user`` (None: a decoy for an unknown user)."""
    if user is not None:
        salt = call.state.extras.of(user).srp_salt
        user_id = str(user.username)
        verifier = password_verifier(call.app.pool_name, user_id, user.password or "", salt)
    else:  # PreventUserExistenceErrors: look like a real challenge, then fail
        salt, user_id = new_salt_hex(), shown_username or ""
        verifier = pow(2, secrets.randbits(256), 2**3072)
    try:
        srp = SrpServerSession.start(srp_a, verifier, salt)
    except SrpError:
        raise invalid_parameter("SRP_A is invalid.") from None
    block = base64.b64encode(secrets.token_bytes(_SECRET_BLOCK_BYTES)).decode()
    session = new_session(
        call,
        user,
        "PASSWORD_VERIFIER",
        flow,
        srp=srp,
        secret_block=block,
        custom_results=list(custom_results or []),
    )
    return challenge_body(
        session,
        {
            "SALT": salt,
            "SRP_B": srp.srp_b_hex,
            "SECRET_BLOCK": block,
            "USER_ID_FOR_SRP": user_id,
            "USERNAME": user_id,
        },
    )


def answer_password_verifier(
    call: Call, session: AuthSession, user: Any, answer: dict[str, str], metadata: dict[str, str]
) -> dict[str, Any]:
    """Check the client's proof; then what follows the password."""
    from .custom_auth import next_custom_step  # custom_auth starts PASSWORD_VERIFIER too

    for key in ("PASSWORD_CLAIM_SECRET_BLOCK", "PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP"):
        if not answer.get(key):
            raise missing_parameter(key)
    call.state.sessions.consume(session)
    srp = session.srp
    if (
        srp is None
        or session.username is None
        or answer["PASSWORD_CLAIM_SECRET_BLOCK"] != session.secret_block
    ):
        raise not_authorized()
    secret_block = base64.b64decode(session.secret_block or "")
    if not srp.verify(
        pool_name=call.app.pool_name,
        user_id_for_srp=session.username,
        secret_block=secret_block,
        timestamp=answer["TIMESTAMP"],
        signature_b64=answer["PASSWORD_CLAIM_SIGNATURE"],
    ):
        raise not_authorized()
    check_status_after_password(user)
    if session.flow == "CUSTOM_AUTH":
        results = [
            *session.custom_results,
            {
                "challengeName": "PASSWORD_VERIFIER",
                "challengeResult": True,
                "challengeMetadata": None,
            },
        ]
        return next_custom_step(call, user, results, metadata)
    return after_password(call, user, flow=session.flow, client_metadata=metadata)
