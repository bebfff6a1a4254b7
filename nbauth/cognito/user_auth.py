"""``USER_AUTH``: Cognito's choice-based sign-in, as Amplify v6's ``signIn`` drives it.

``InitiateAuth(AuthFlow=USER_AUTH)`` takes ``USERNAME`` and, optionally,
``PREFERRED_CHALLENGE`` (``PASSWORD`` with ``PASSWORD``, ``PASSWORD_SRP`` with ``SRP_A``,
``EMAIL_OTP``, ``SMS_OTP``). Cognito answers with that challenge directly (``PASSWORD_VERIFIER``
for SRP; ``EMAIL_OTP``/``SMS_OTP`` after sending a code) or, without a usable preference, with
``SELECT_CHALLENGE`` and ``AvailableChallenges``. A ``SELECT_CHALLENGE`` is answered with
``ANSWER=<challenge>`` (plus ``PASSWORD`` or ``SRP_A`` for the password factors). The app client
must allow ``ALLOW_USER_AUTH``, and the pool's ``SignInPolicy.AllowedFirstAuthFactors`` decides
which factors are offered.

Amplify's steps: ``CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION`` (``available_challenges``) →
``confirm_sign_in("EMAIL_OTP")`` picks a factor; ``CONFIRM_SIGN_IN_WITH_PASSWORD`` →
``confirm_sign_in(password)``; ``CONFIRM_SIGN_IN_WITH_EMAIL_CODE`` /
``CONFIRM_SIGN_IN_WITH_SMS_CODE`` → ``confirm_sign_in(code)``. ``WEB_AUTHN`` (passkeys) needs a
WebAuthn authenticator, which a kernel does not have: it is refused with a clear error.
"""

from __future__ import annotations

from ..errors import InvalidParameterError

__all__ = [
    "FIRST_FACTORS",
    "OTP_CHALLENGES",
    "PASSWORD_FACTORS",
    "check_preferred_challenge",
    "factor_choice",
    "passkeys_unsupported",
]

#: The first factors nbauth can answer (Amplify's ``AuthFactorType`` minus ``WEB_AUTHN``).
FIRST_FACTORS = ("PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP")
PASSWORD_FACTORS = ("PASSWORD", "PASSWORD_SRP")
#: One-time-password challenges and the ``ChallengeResponses`` key that carries the code.
OTP_CHALLENGES = {"EMAIL_OTP": "EMAIL_OTP_CODE", "SMS_OTP": "SMS_OTP_CODE"}


def passkeys_unsupported() -> InvalidParameterError:
    """The error for ``WEB_AUTHN``: a kernel has no WebAuthn authenticator."""
    return InvalidParameterError(
        "WEB_AUTHN (passkey) sign-in needs a WebAuthn authenticator in a browser; "
        "a Jupyter kernel has none.",
        "Choose PASSWORD, PASSWORD_SRP, EMAIL_OTP or SMS_OTP, or sign in with a passkey through "
        "sign_in_with_redirect() (managed login in the browser).",
        name="PasskeyNotSupportedException",
    )


def check_preferred_challenge(
    preferred: str | None, password: str | None, auth_flow: str
) -> str | None:
    """The preferred first factor, checked (a typed error for a bad one)."""
    if preferred is None:
        return None
    if auth_flow != "USER_AUTH":
        raise InvalidParameterError(
            "preferred_challenge is for auth_flow='USER_AUTH' only.",
            "Pass auth_flow='USER_AUTH', or drop preferred_challenge.",
        )
    if not isinstance(preferred, str):
        raise InvalidParameterError("preferred_challenge must be a string.")
    choice = preferred.strip().upper()
    if choice == "WEB_AUTHN":
        raise passkeys_unsupported()
    if choice not in FIRST_FACTORS:
        raise InvalidParameterError(
            f"preferred_challenge must be one of {', '.join(FIRST_FACTORS)}."
        )
    if choice in PASSWORD_FACTORS and not (isinstance(password, str) and password):
        raise InvalidParameterError(
            f"preferred_challenge={choice!r} needs the password.", "Pass password=..."
        )
    return choice


def factor_choice(answer: str, available: tuple[str, ...]) -> str:
    """The factor a ``confirm_sign_in`` answer picks at ``SELECT_CHALLENGE``."""
    choice = answer.strip().upper()
    if choice == "WEB_AUTHN":
        raise passkeys_unsupported()
    if choice not in available:
        offered = ", ".join(c for c in available if c != "WEB_AUTHN") or "none"
        raise InvalidParameterError(
            f"The answer names no available first factor (available: {offered}).",
            "Answer with one of next_step['available_challenges'].",
        )
    return choice
