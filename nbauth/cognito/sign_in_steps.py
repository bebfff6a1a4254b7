"""Amplify's sign-in steps: Cognito challenges → ``SignInResult.next_step``.

``next_step`` is a dict with ``sign_in_step`` (Amplify's names) and what that step needs
(``code_delivery_details``, ``allowed_mfa_types``, ``totp_setup_details``, ``missing_attributes``,
``available_challenges``, ``additional_info``). ``USER_AUTH`` (choice-based sign-in) adds
``CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION`` (``SELECT_CHALLENGE``) and
``CONFIRM_SIGN_IN_WITH_PASSWORD`` (``PASSWORD``/``PASSWORD_SRP``); its ``EMAIL_OTP``/``SMS_OTP``
first factors are ``CONFIRM_SIGN_IN_WITH_EMAIL_CODE``/``CONFIRM_SIGN_IN_WITH_SMS_CODE``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ..core.redaction import REDACTED

__all__ = ["MFA_ANSWERS", "TotpSetupDetails", "step_for_challenge"]

#: Amplify's MFA type names → Cognito's challenge answers.
MFA_ANSWERS = {"SMS": "SMS_MFA", "TOTP": "SOFTWARE_TOKEN_MFA", "EMAIL": "EMAIL_OTP"}
_MFA_NAMES = {v: k for k, v in MFA_ANSWERS.items()}


class TotpSetupDetails:
    """The shared secret of a TOTP setup; ``setup_uri(app)`` gives the ``otpauth://`` URI.

    The secret is for the user's authenticator app: it is shown on purpose by ``setup_uri``,
    never by ``repr``.
    """

    __slots__ = ("shared_secret", "username")

    def __init__(self, shared_secret: str, username: str) -> None:
        self.shared_secret = shared_secret
        self.username = username

    def setup_uri(self, app_name: str, account_name: str | None = None) -> str:
        account = quote(account_name or self.username)
        return (
            f"otpauth://totp/{quote(app_name)}:{account}?secret={self.shared_secret}"
            f"&issuer={quote(app_name)}"
        )

    def __repr__(self) -> str:
        return f"TotpSetupDetails(username={self.username!r}, shared_secret={REDACTED!r})"


def _delivery(parameters: dict[str, str], medium: str) -> dict[str, Any]:
    return {
        "delivery_medium": parameters.get("CODE_DELIVERY_DELIVERY_MEDIUM", medium),
        "destination": parameters.get("CODE_DELIVERY_DESTINATION"),
    }


def _list(value: str | None) -> list[str]:
    import json

    if not value:
        return []
    try:
        parsed = json.loads(value)
    except ValueError:
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in parsed] if isinstance(parsed, list) else [str(parsed)]


def step_for_challenge(
    name: str,
    parameters: dict[str, str],
    totp_setup: TotpSetupDetails | None = None,
    available: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The ``next_step`` for a Cognito challenge the user must answer (``available``: the
    ``AvailableChallenges`` of a ``SELECT_CHALLENGE``)."""
    if name == "NEW_PASSWORD_REQUIRED":
        required = [
            a.removeprefix("userAttributes.") for a in _list(parameters.get("requiredAttributes"))
        ]
        return {
            "sign_in_step": "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED",
            "missing_attributes": required,
        }
    if name == "SELECT_CHALLENGE":
        return {
            "sign_in_step": "CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION",
            "available_challenges": list(available),
        }
    if name in ("PASSWORD", "PASSWORD_SRP"):
        return {"sign_in_step": "CONFIRM_SIGN_IN_WITH_PASSWORD"}
    if name in ("SMS_MFA", "SMS_OTP"):
        return {
            "sign_in_step": "CONFIRM_SIGN_IN_WITH_SMS_CODE",
            "code_delivery_details": _delivery(parameters, "SMS"),
        }
    if name == "EMAIL_OTP":  # an MFA code, or USER_AUTH's email one-time password
        return {
            "sign_in_step": "CONFIRM_SIGN_IN_WITH_EMAIL_CODE",
            "code_delivery_details": _delivery(parameters, "EMAIL"),
        }
    if name == "SOFTWARE_TOKEN_MFA":
        return {"sign_in_step": "CONFIRM_SIGN_IN_WITH_TOTP_CODE"}
    if name == "SELECT_MFA_TYPE":
        allowed = [_MFA_NAMES.get(m, m) for m in _list(parameters.get("MFAS_CAN_CHOOSE"))]
        return {"sign_in_step": "CONTINUE_SIGN_IN_WITH_MFA_SELECTION", "allowed_mfa_types": allowed}
    if name == "MFA_SETUP":
        return {
            "sign_in_step": "CONTINUE_SIGN_IN_WITH_TOTP_SETUP",
            "totp_setup_details": totp_setup,
        }
    if name == "CUSTOM_CHALLENGE":
        return {
            "sign_in_step": "CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE",
            "additional_info": dict(parameters),
        }
    return {"sign_in_step": name, "additional_info": dict(parameters)}
