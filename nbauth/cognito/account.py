"""The user-pool self-service API: sign-up, confirmation, password reset, user attributes.

Results follow Amplify's shapes: ``SignUpResult(is_sign_up_complete, user_id, next_step)`` with
``next_step["sign_up_step"]`` ``CONFIRM_SIGN_UP`` or ``DONE``;
``ResetPasswordResult(is_password_reset, next_step)`` with ``reset_password_step``
``CONFIRM_RESET_PASSWORD_WITH_CODE`` or ``DONE``; ``update_user_attributes`` answers per attribute
``{"is_updated": bool, "next_step": {"update_attribute_step": "CONFIRM_ATTRIBUTE_WITH_CODE" |
"DONE", ...}}``. Every call that Cognito passes to Lambda triggers takes ``client_metadata``.

``SignUp`` and ``ConfirmSignUp`` answer a ``Session`` when the app client allows ``USER_AUTH``;
``sign_up_with_session`` and ``confirm_sign_up_with_session`` return it for auto sign-in
(``InitiateAuth(USER_AUTH, Session)``); it is never part of a result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from ..errors import InvalidParameterError
from .user_pool_client import UserPoolClient, check_client_metadata

__all__ = ["ResetPasswordResult", "SignUpResult", "UserPoolAccount"]


class SignUpResult(NamedTuple):
    is_sign_up_complete: bool
    user_id: str | None
    next_step: dict[str, Any]


class ResetPasswordResult(NamedTuple):
    is_password_reset: bool
    next_step: dict[str, Any]


def _delivery(details: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not details:
        return None
    return {
        "delivery_medium": details.get("DeliveryMedium"),
        "destination": details.get("Destination"),
        "attribute_name": details.get("AttributeName"),
    }


def _attributes(attributes: Mapping[str, str] | None, what: str) -> list[dict[str, str]]:
    if attributes is None:
        return []
    if not isinstance(attributes, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in attributes.items()
    ):
        raise InvalidParameterError(
            f"{what} must be a dict of strings.", "Pass e.g. {'email': 'ada@example.com'}."
        )
    return [{"Name": k, "Value": v} for k, v in attributes.items()]


def _require(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameterError(f"{name} must be a non-empty string.")
    return value.strip() if name != "password" and name != "new_password" else value


class UserPoolAccount:
    """Sign-up, confirmation, password reset and attributes for one app client."""

    def __init__(self, client: UserPoolClient) -> None:
        self.client = client

    def _secret(self, username: str) -> str | None:
        return self.client.secret_hash(username)

    def sign_up(
        self,
        username: str,
        password: str,
        *,
        user_attributes: Mapping[str, str] | None = None,
        validation_data: Mapping[str, str] | None = None,
        client_metadata: Mapping[str, str] | None = None,
    ) -> SignUpResult:
        """``SignUp``; ``validation_data`` and ``client_metadata`` reach the pre sign-up trigger."""
        return self.sign_up_with_session(
            username,
            password,
            user_attributes=user_attributes,
            validation_data=validation_data,
            client_metadata=client_metadata,
        )[0]

    def sign_up_with_session(
        self,
        username: str,
        password: str,
        *,
        user_attributes: Mapping[str, str] | None = None,
        validation_data: Mapping[str, str] | None = None,
        client_metadata: Mapping[str, str] | None = None,
    ) -> tuple[SignUpResult, str | None]:
        """:meth:`sign_up`, and the ``Session`` that ``SignUp`` answered (if any)."""
        username = _require(username, "username")
        answer = self.client.call(
            "SignUp",
            ClientId=self.client.client_id,
            Username=username,
            Password=_require(password, "password"),
            SecretHash=self._secret(username),
            UserAttributes=_attributes(user_attributes, "user_attributes"),
            ValidationData=_attributes(validation_data, "validation_data") or None,
            ClientMetadata=check_client_metadata(client_metadata),
        )
        confirmed = bool(answer.get("UserConfirmed"))
        step: dict[str, Any] = {"sign_up_step": "DONE" if confirmed else "CONFIRM_SIGN_UP"}
        if not confirmed:
            step["code_delivery_details"] = _delivery(answer.get("CodeDeliveryDetails"))
        return SignUpResult(confirmed, answer.get("UserSub"), step), answer.get("Session")

    def confirm_sign_up(
        self, username: str, code: str, *, client_metadata: Mapping[str, str] | None = None
    ) -> SignUpResult:
        """``ConfirmSignUp``; ``client_metadata`` reaches the post confirmation trigger."""
        return self.confirm_sign_up_with_session(username, code, client_metadata=client_metadata)[0]

    def confirm_sign_up_with_session(
        self, username: str, code: str, *, client_metadata: Mapping[str, str] | None = None
    ) -> tuple[SignUpResult, str | None]:
        """:meth:`confirm_sign_up`, and the ``Session`` that ``ConfirmSignUp`` answered."""
        username = _require(username, "username")
        answer = self.client.call(
            "ConfirmSignUp",
            ClientId=self.client.client_id,
            Username=username,
            ConfirmationCode=_require(code, "code"),
            SecretHash=self._secret(username),
            ClientMetadata=check_client_metadata(client_metadata),
        )
        return SignUpResult(True, None, {"sign_up_step": "DONE"}), answer.get("Session")

    def resend_sign_up_code(
        self, username: str, *, client_metadata: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """``ResendConfirmationCode``; returns the code delivery details."""
        username = _require(username, "username")
        answer = self.client.call(
            "ResendConfirmationCode",
            ClientId=self.client.client_id,
            Username=username,
            SecretHash=self._secret(username),
            ClientMetadata=check_client_metadata(client_metadata),
        )
        return _delivery(answer.get("CodeDeliveryDetails")) or {}

    def reset_password(
        self, username: str, *, client_metadata: Mapping[str, str] | None = None
    ) -> ResetPasswordResult:
        """``ForgotPassword``: a code is sent; confirm with :meth:`confirm_reset_password`."""
        username = _require(username, "username")
        answer = self.client.call(
            "ForgotPassword",
            ClientId=self.client.client_id,
            Username=username,
            SecretHash=self._secret(username),
            ClientMetadata=check_client_metadata(client_metadata),
        )
        return ResetPasswordResult(
            False,
            {
                "reset_password_step": "CONFIRM_RESET_PASSWORD_WITH_CODE",
                "code_delivery_details": _delivery(answer.get("CodeDeliveryDetails")),
            },
        )

    def confirm_reset_password(
        self,
        username: str,
        new_password: str,
        code: str,
        *,
        client_metadata: Mapping[str, str] | None = None,
    ) -> ResetPasswordResult:
        """``ConfirmForgotPassword``; ``client_metadata`` reaches post confirmation."""
        username = _require(username, "username")
        self.client.call(
            "ConfirmForgotPassword",
            ClientId=self.client.client_id,
            Username=username,
            ConfirmationCode=_require(code, "code"),
            Password=_require(new_password, "new_password"),
            SecretHash=self._secret(username),
            ClientMetadata=check_client_metadata(client_metadata),
        )
        return ResetPasswordResult(True, {"reset_password_step": "DONE"})

    def fetch_user_attributes(self, access_token: str) -> dict[str, str]:
        """``GetUser``: the signed-in user's attributes."""
        answer = self.client.call("GetUser", AccessToken=access_token)
        return {a["Name"]: a.get("Value", "") for a in answer.get("UserAttributes", [])}

    def update_user_attributes(
        self,
        access_token: str,
        attributes: Mapping[str, str],
        *,
        client_metadata: Mapping[str, str] | None = None,
    ) -> dict[str, dict[str, Any]]:
        """``UpdateUserAttributes``; attributes needing verification report a code step."""
        items = _attributes(attributes, "user_attributes")
        if not items:
            raise InvalidParameterError("update_user_attributes() needs at least one attribute.")
        answer = self.client.call(
            "UpdateUserAttributes",
            AccessToken=access_token,
            UserAttributes=items,
            ClientMetadata=check_client_metadata(client_metadata),
        )
        pending = {d.get("AttributeName"): d for d in answer.get("CodeDeliveryDetailsList", [])}
        result = {}
        for name in attributes:
            if name in pending:
                result[name] = {
                    "is_updated": False,
                    "next_step": {
                        "update_attribute_step": "CONFIRM_ATTRIBUTE_WITH_CODE",
                        "code_delivery_details": _delivery(pending[name]),
                    },
                }
            else:
                result[name] = {"is_updated": True, "next_step": {"update_attribute_step": "DONE"}}
        return result

    def global_sign_out(self, access_token: str) -> None:
        """``GlobalSignOut``: every refresh token of the user stops working."""
        self.client.call("GlobalSignOut", AccessToken=access_token)
