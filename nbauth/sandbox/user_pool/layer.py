"""The strict user-pool layer: a WSGI middleware answering Cognito user-pool operations.

Dispatches on ``X-Amz-Target: AWSCognitoIdentityProviderService.<Op>``; the
operations in :data:`OPERATIONS` are answered here, like Cognito, with moto's
backend as the user store; every other request goes to moto unchanged.
Public operations need no signature (as in AWS); admin signatures are not
checked. Errors are AWS JSON (HTTP 400 ``{"__type", "message"}``) so boto3
raises the typed exception. Nothing from a request body is logged.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from ..aws_errors import (
    AwsError,
    StartResponse,
    json_error_response,
    json_response,
    read_json_body,
)
from ..faults import COGNITO_IDP_PREFIX
from . import accounts, admin, mfa_api, refresh, self_service, sign_in
from .params import Params
from .state import UserPoolState

__all__ = ["OPERATIONS", "StrictUserPool"]

_logger = logging.getLogger("nbauth.sandbox")

Handler = Callable[[UserPoolState, Params], dict[str, Any]]

OPERATIONS: dict[str, Handler] = {
    "InitiateAuth": sign_in.initiate_auth,
    "RespondToAuthChallenge": sign_in.respond_to_auth_challenge,
    "GetTokensFromRefreshToken": refresh.get_tokens_from_refresh_token,
    "SignUp": accounts.sign_up,
    "ConfirmSignUp": accounts.confirm_sign_up,
    "ResendConfirmationCode": accounts.resend_confirmation_code,
    "ForgotPassword": accounts.forgot_password,
    "ConfirmForgotPassword": accounts.confirm_forgot_password,
    "GetUser": self_service.get_user,
    "UpdateUserAttributes": self_service.update_user_attributes,
    "VerifyUserAttribute": self_service.verify_user_attribute,
    "GetUserAttributeVerificationCode": self_service.get_user_attribute_verification_code,
    "ChangePassword": self_service.change_password,
    "GlobalSignOut": self_service.global_sign_out,
    "DeleteUser": self_service.delete_user,
    "RevokeToken": self_service.revoke_token,
    "AssociateSoftwareToken": mfa_api.associate_software_token,
    "VerifySoftwareToken": mfa_api.verify_software_token,
    "SetUserMFAPreference": mfa_api.set_user_mfa_preference,
    "AdminSetUserMFAPreference": mfa_api.admin_set_user_mfa_preference,
    "AdminUserGlobalSignOut": admin.admin_user_global_sign_out,
    "SetUserPoolMfaConfig": admin.set_user_pool_mfa_config,
    "GetUserPoolMfaConfig": admin.get_user_pool_mfa_config,
}


class StrictUserPool:
    """WSGI middleware in front of moto for the Cognito user-pool API.

    ``state`` holds sessions, codes, tokens, triggers and the clock; the
    sandbox reaches it for its helpers (``sb.set_trigger``, ``sb.advance_time``…).
    """

    def __init__(self, app: Any, state: UserPoolState | None = None) -> None:
        self._app = app
        self.state = state or UserPoolState()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        service, _, operation = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")
        handler = OPERATIONS.get(operation) if service == COGNITO_IDP_PREFIX else None
        if handler is None:
            return self._app(environ, start_response)
        try:
            body = handler(self.state, read_json_body(environ))
        except AwsError as err:
            return json_error_response(start_response, err.code, err.message, err.status)
        except Exception as exc:
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            _logger.error(  # type and place only: messages may carry request values
                "sandbox: %s failed with %s at %s:%s",
                operation,
                type(exc).__name__,
                frame.filename,
                frame.lineno,
            )
            return json_error_response(
                start_response, "InternalErrorException", "An internal error occurred.", 500
            )
        return json_response(start_response, body)
