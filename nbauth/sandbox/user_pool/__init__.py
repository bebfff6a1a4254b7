"""The strict Cognito user-pool layer: sign-in flows, challenges, tokens and Lambda triggers.

moto's ``cognito-idp`` accepts flows loosely (it checks no SRP proof, has no
triggers, mints tokens it cannot revoke individually). :class:`StrictUserPool`
is a WSGI middleware in front of it that answers the user-pool operations a
client such as Amplify or nbauth uses, like Cognito, with moto's backend as
the user store — SRP-6a (server half), ``USER_PASSWORD_AUTH``,
``CUSTOM_AUTH`` (with and without SRP), ``USER_AUTH`` (choice-based), refresh,
``NEW_PASSWORD_REQUIRED``,
SMS/email/TOTP MFA with ``SELECT_MFA_TYPE`` and ``MFA_SETUP``, sign-up,
confirmation, password reset, attribute verification, sign-out and
revocation — and that runs Lambda triggers written in Python.

Modules, one job each:

=====================  ==========================================================
``layer``              WSGI dispatch on ``X-Amz-Target``; AWS JSON errors
``sign_in``            ``InitiateAuth`` / ``RespondToAuthChallenge``
``password_verifier``  the SRP round trip (``PASSWORD_VERIFIER``)
``srp_server``         SRP-6a math, server side (RFC 5054 group, Cognito's HKDF)
``challenges``         ``NEW_PASSWORD_REQUIRED`` and the MFA challenges
``custom_auth``        define → create → verify loop
``user_auth``          ``USER_AUTH``: first factors, ``SELECT_CHALLENGE``, sign-up sessions
``challenge_io``       new auth sessions and challenge bodies
``sessions``           auth sessions (3 minutes, single use)
``issuance``           post authentication → pre token generation → tokens
``refresh``            ``REFRESH_TOKEN_AUTH`` and ``GetTokensFromRefreshToken``
``tokens``             JWT minting, refresh tokens, revocation, access checks
``claims``             pre token generation overrides (V1 and V2)
``accounts``           sign-up, confirmation, password reset
``self_service``       ``GetUser``, attributes, ``ChangePassword``, sign-out, ``RevokeToken``
``access``             resolving an ``AccessToken`` to its user
``mfa``                TOTP (RFC 6238), codes, masking, the MFA decision
``mfa_api``            ``AssociateSoftwareToken``, ``VerifySoftwareToken``, MFA preferences
``admin``              ``AdminUserGlobalSignOut``, ``Set/GetUserPoolMfaConfig``
``triggers``           trigger registry, invocation, error mapping
``events``             each trigger's event shape
``delivery``           "sending" codes through the custom message trigger
``outbox``             sent messages and one-time codes
``migration``          the user migration trigger
``secret_hash``        ``SECRET_HASH`` / ``ClientSecret`` checks
``users``              moto's pools, clients and users; per-user extras
``params``             request validation
``errors``             Cognito's error codes and messages
``clock``              the injectable clock (``sb.advance_time``)
``state``              the layer's stores and one call's context
``sandbox_api``        the ``Sandbox`` methods (a mixin)
=====================  ==========================================================

Where ``ClientMetadata`` and ``ValidationData`` reach the triggers (AWS's API
reference for each operation and each trigger's "request parameters"; the
README next to this file explains the choices where AWS is ambiguous):

=======================================  ==================================================
API call (parameter)                     trigger ← event field
=======================================  ==================================================
SignUp ``ClientMetadata``                pre sign-up, custom message (CustomMessage_SignUp),
                                         post confirmation (when pre sign-up auto-confirms)
                                         ← ``request.clientMetadata``
SignUp ``ValidationData``                pre sign-up ← ``request.validationData``
ConfirmSignUp ``ClientMetadata``         post confirmation (PostConfirmation_ConfirmSignUp)
ResendConfirmationCode ``ClientMetadata``  custom message (CustomMessage_ResendCode)
ForgotPassword ``ClientMetadata``        custom message (CustomMessage_ForgotPassword),
                                         user migration (UserMigration_ForgotPassword)
ConfirmForgotPassword ``ClientMetadata``  post confirmation (..._ConfirmForgotPassword)
UpdateUserAttributes ``ClientMetadata``  custom message (CustomMessage_UpdateUserAttribute)
GetUserAttributeVerificationCode ``CM``  custom message (CustomMessage_VerifyUserAttribute)
InitiateAuth ``ClientMetadata``          pre authentication, user migration
                                         ← ``request.validationData``; NOT define/create
                                         auth challenge, post authentication, pre token
                                         generation or custom message
RespondToAuthChallenge ``ClientMetadata``  define/create/verify auth challenge, post
                                         authentication, pre token generation, custom
                                         message (MFA code sent by that call)
                                         ← ``request.clientMetadata``
GetTokensFromRefreshToken ``CM``         pre token generation (TokenGeneration_RefreshTokens)
=======================================  ==================================================
"""

from __future__ import annotations

from .layer import OPERATIONS, StrictUserPool
from .sandbox_api import TRIGGER_NAMES, UserPoolControls
from .state import UserPoolState
from .triggers import TriggerFn

__all__ = [
    "OPERATIONS",
    "TRIGGER_NAMES",
    "StrictUserPool",
    "TriggerFn",
    "UserPoolControls",
    "UserPoolState",
]
