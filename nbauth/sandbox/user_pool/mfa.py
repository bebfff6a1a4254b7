"""MFA building blocks: TOTP (RFC 6238), one-time codes, masked destinations, MFA choice.

TOTP is HMAC-SHA1 over 30-second steps, 6 digits, with one step of drift
either way accepted (RFC 6238 section 5.2), as authenticator apps and Cognito
do. Secrets are base32 without padding (Cognito's ``SecretCode`` form).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import struct
from dataclasses import dataclass

__all__ = [
    "EMAIL_OTP",
    "SMS_MFA",
    "SOFTWARE_TOKEN_MFA",
    "MfaDecision",
    "PoolMfa",
    "UserMfa",
    "decide_mfa",
    "mask_email",
    "mask_phone",
    "new_code",
    "new_totp_secret",
    "totp_at",
    "totp_matches",
]

SMS_MFA = "SMS_MFA"
SOFTWARE_TOKEN_MFA = "SOFTWARE_TOKEN_MFA"
EMAIL_OTP = "EMAIL_OTP"
MFA_TYPES = (SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP)
STEP_SECONDS = 30
DIGITS = 6


def new_totp_secret() -> str:
    """A fresh TOTP secret: 32 random bytes in base32 without padding (52 characters)."""
    return base64.b32encode(secrets.token_bytes(32)).decode().rstrip("=")


def _key(secret: str) -> bytes:
    cleaned = secret.strip().replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def totp_at(secret: str, when: float) -> str:
    """The RFC 6238 code for ``secret`` at epoch second ``when``."""
    counter = int(when // STEP_SECONDS)
    digest = hmac.new(_key(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**DIGITS:0{DIGITS}d}"


def totp_matches(secret: str, code: str, now: float) -> bool:
    """True if ``code`` is the code of the current, previous or next step."""
    if not isinstance(code, str) or len(code) != DIGITS or not code.isdigit():
        return False
    return any(
        hmac.compare_digest(totp_at(secret, now + drift * STEP_SECONDS), code)
        for drift in (-1, 0, 1)
    )


def new_code() -> str:
    """A 6-digit one-time code."""
    return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


def mask_email(email: str) -> str:
    """``d***@e***`` as in Cognito's ``CodeDeliveryDetails``."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain[:1]}***"


def mask_phone(phone: str) -> str:
    """``+*******0100``: Cognito shows the last four digits."""
    return "+" + "*" * max(len(phone) - 5, 0) + phone[-4:]


@dataclass(frozen=True)
class PoolMfa:
    """The pool's MFA configuration: ``mode`` OFF/OPTIONAL/ON and the enabled factors."""

    mode: str
    sms: bool
    totp: bool
    email: bool

    def enabled_types(self) -> list[str]:
        """Factors the pool allows, in Cognito's order."""
        flags = {SMS_MFA: self.sms, SOFTWARE_TOKEN_MFA: self.totp, EMAIL_OTP: self.email}
        return [name for name in MFA_TYPES if flags[name]]


@dataclass(frozen=True)
class UserMfa:
    """A user's MFA settings; ``has_phone``/``has_email`` say where codes can go."""

    sms: bool
    totp: bool
    email: bool
    preferred: str | None
    has_phone: bool

    def enabled_types(self, pool: PoolMfa) -> list[str]:
        """Factors both the user and the pool have enabled."""
        flags = {
            SMS_MFA: self.sms and pool.sms,
            SOFTWARE_TOKEN_MFA: self.totp and pool.totp,
            EMAIL_OTP: self.email and pool.email,
        }
        return [name for name in MFA_TYPES if flags[name]]


@dataclass(frozen=True)
class MfaDecision:
    """What sign-in asks next: nothing, one factor, a choice, or a TOTP setup.

    ``challenge`` is None (no MFA), a factor name, ``SELECT_MFA_TYPE`` (then
    ``choices``) or ``MFA_SETUP`` (then ``choices`` are the factors that can be
    set up).
    """

    challenge: str | None
    choices: tuple[str, ...] = ()

    def choices_json(self) -> str:
        """The JSON list Cognito sends as ``MFAS_CAN_CHOOSE``/``MFAS_CAN_SETUP``."""
        return json.dumps(list(self.choices))


def decide_mfa(pool: PoolMfa, user: UserMfa) -> MfaDecision:
    """Cognito's choice of MFA step after the password (or SRP) step.

    * pool ``OFF``: none;
    * the user has factors enabled (and the pool allows them): the preferred
      one, the only one, or ``SELECT_MFA_TYPE`` among them;
    * none enabled, pool ``OPTIONAL``: none;
    * none enabled, pool ``ON``: SMS when the pool allows SMS and the user has a
      ``phone_number`` (Cognito's implicit SMS factor), else ``MFA_SETUP``.
    """
    if pool.mode == "OFF":
        return MfaDecision(None)
    enabled = user.enabled_types(pool)
    if enabled:
        if user.preferred in enabled:
            return MfaDecision(user.preferred)
        if len(enabled) == 1:
            return MfaDecision(enabled[0])
        return MfaDecision("SELECT_MFA_TYPE", tuple(enabled))
    if pool.mode != "ON":
        return MfaDecision(None)
    if pool.sms and user.has_phone:
        return MfaDecision(SMS_MFA)
    return MfaDecision("MFA_SETUP", tuple(pool.enabled_types()))
