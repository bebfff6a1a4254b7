"""The user migration trigger: import a user Cognito does not know yet.

``UserMigration_Authentication`` runs when ``USER_PASSWORD_AUTH`` names an
unknown user (``request.password`` and, from InitiateAuth's ClientMetadata,
``request.validationData``); ``UserMigration_ForgotPassword`` when
``ForgotPassword`` does (``request.clientMetadata``). The response's
``userAttributes`` and ``finalUserStatus`` (``CONFIRMED`` or
``RESET_REQUIRED``) create the user; on sign-in the typed password becomes
theirs.
"""

from __future__ import annotations

from typing import Any

from . import events, users
from .state import Call
from .triggers import invalid_lambda_response, optional_str_map

__all__ = ["migrate_user"]


def migrate_user(
    call: Call,
    username: str,
    *,
    password: str | None,
    validation_data: dict[str, str] | None = None,
    client_metadata: dict[str, str] | None = None,
) -> Any | None:
    """Run the trigger; the new moto user, or None when no trigger is set."""
    source = (
        "UserMigration_Authentication" if password is not None else "UserMigration_ForgotPassword"
    )
    response = call.trigger(
        "user_migration",
        source,
        username,
        events.user_migration(password, validation_data, client_metadata),
    )
    if response is None:
        return None
    attributes = optional_str_map(response, "userAttributes")
    final_status = response.get("finalUserStatus") or "CONFIRMED"
    if final_status not in ("CONFIRMED", "RESET_REQUIRED"):
        raise invalid_lambda_response()
    if password is None and final_status == "CONFIRMED":
        final_status = "RESET_REQUIRED"  # no password is known yet
    return users.create_user(call.pool, username, password, attributes, final_status)
