"""Sending a code: pick the channel, run the custom message trigger, record it in the outbox.

The text is the pool's template (``EmailVerificationMessage``,
``SmsVerificationMessage``, the SMS MFA message…) unless a ``custom_message``
trigger returns its own; a custom text without the ``{####}`` placeholder is
ignored and the default is sent, as Cognito does. ``CodeDeliveryDetails``
name the masked destination.
"""

from __future__ import annotations

from typing import Any

from . import events, users
from .mfa import mask_email, mask_phone
from .outbox import SentMessage
from .state import Call
from .triggers import invalid_lambda_response

__all__ = ["channel_for_verification", "send_code"]

_DEFAULT_VERIFICATION = "Your verification code is {####}. "
_DEFAULT_SUBJECT = "Your verification code"
_DEFAULT_AUTHENTICATION = "Your authentication code is {####}. "


def channel_for_verification(pool: Any, user: Any) -> str | None:
    """Where sign-up codes go: ``email`` or ``sms`` per ``AutoVerifiedAttributes``, or None."""
    auto = pool.extended_config.get("AutoVerifiedAttributes") or []
    lookup = user.attribute_lookup
    if "email" in auto and lookup.get("email"):
        return "email"
    if "phone_number" in auto and lookup.get("phone_number"):
        return "sms"
    return None


def _defaults(pool: Any, trigger_source: str, channel: str) -> tuple[str, str | None]:
    config = pool.extended_config
    if trigger_source == "CustomMessage_Authentication":
        if channel == "sms":
            sms = (pool.sms_mfa_config or {}).get("SmsAuthenticationMessage")
            return sms or _DEFAULT_AUTHENTICATION, None
        return _DEFAULT_AUTHENTICATION, "Your authentication code"
    if channel == "sms":
        return config.get("SmsVerificationMessage") or _DEFAULT_VERIFICATION, None
    return (
        config.get("EmailVerificationMessage") or _DEFAULT_VERIFICATION,
        config.get("EmailVerificationSubject") or _DEFAULT_SUBJECT,
    )


def _custom_text(response: dict[str, Any] | None, key: str) -> str | None:
    if response is None:
        return None
    value = response.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_lambda_response()
    return value if events.CODE_PARAMETER in value else None


def send_code(
    call: Call,
    user: Any,
    *,
    channel: str,
    code: str,
    trigger_source: str,
    client_metadata: dict[str, str] | None,
) -> dict[str, str]:
    """ "Send" ``code`` to ``user`` by ``channel``; the ``CodeDeliveryDetails``."""
    attribute = "email" if channel == "email" else "phone_number"
    destination = user.attribute_lookup.get(attribute, "")
    text, subject = _defaults(call.pool, trigger_source, channel)
    response = call.trigger(
        "custom_message",
        trigger_source,
        str(user.username),
        events.custom_message(users.event_attributes(user), client_metadata),
    )
    if channel == "sms":
        text = _custom_text(response, "smsMessage") or text
    else:
        text = _custom_text(response, "emailMessage") or text
        custom_subject = response.get("emailSubject") if response else None
        if custom_subject is not None and not isinstance(custom_subject, str):
            raise invalid_lambda_response()
        subject = custom_subject or subject
    call.state.outbox.record(
        SentMessage(
            username=str(user.username),
            channel=channel,
            destination=destination,
            code=code,
            message=text.replace(events.CODE_PARAMETER, code),
            subject=subject,
            trigger_source=trigger_source,
            sent_at=call.state.now(),
        )
    )
    masked = mask_email(destination) if channel == "email" else mask_phone(destination)
    return {
        "Destination": masked,
        "DeliveryMedium": "EMAIL" if channel == "email" else "SMS",
        "AttributeName": attribute,
    }
