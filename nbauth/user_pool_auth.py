"""The user-pool half of the :class:`~nbauth.Auth` facade (a mixin): Amplify's ``signIn``,
``confirmSignIn``, ``signUp``, ``resetPassword``, user attributes and global sign-out.

After a user-pool sign-in, credentials come from the identity pool under the Logins key
``cognito-idp.<region>.amazonaws.com/<pool_id>`` and follow the tokens, which refresh themselves
(``GetTokensFromRefreshToken``, or ``REFRESH_TOKEN_AUTH`` where that isn't offered).

``client_metadata`` is accepted by every call whose Cognito operation takes ``ClientMetadata``;
``configure(client_metadata_provider=...)`` supplies defaults (a callable returning a dict of
strings), which per-call values override. Which triggers receive it is Cognito's rule — see
:mod:`nbauth.cognito.sign_in`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .core.values import SignInResult
from .errors import InvalidParameterError, NoCredentialsError, UserAlreadyAuthenticatedError

if TYPE_CHECKING:
    from .cognito.account import ResetPasswordResult, SignUpResult, UserPoolAccount
    from .cognito.sign_in import UserPoolSignIn
    from .cognito.user_pool_client import UserPoolClient

__all__ = ["UserPoolMixin"]


class UserPoolMixin:
    """Methods of :class:`~nbauth.Auth` for Cognito user pools."""

    client_metadata_provider: Callable[[], Mapping[str, str]] | None
    _user_pool_client: UserPoolClient | None
    _user_pool_sign_in: UserPoolSignIn | None

    # provided by Auth
    _check_can_sign_in: Callable[[], None]
    _oidc_token_provider: Callable[..., Any]
    _enter_signed_in: Callable[[Any], None]
    _emit: Callable[..., None]
    _clock: Callable[[], float]
    _signed_in: Any
    config: Any

    # -- plumbing -------------------------------------------------------------------------

    def _user_pool(self) -> UserPoolClient:
        if self._user_pool_client is None:
            from .cognito.user_pool_client import UserPoolClient

            self._user_pool_client = UserPoolClient(self.config, clock=self._clock)
        return self._user_pool_client

    def _sign_in_flow(self) -> UserPoolSignIn:
        if self._user_pool_sign_in is None:
            from .cognito.sign_in import UserPoolSignIn

            self._user_pool_sign_in = UserPoolSignIn(self._user_pool(), clock=self._clock)
        return self._user_pool_sign_in

    def _account(self) -> UserPoolAccount:
        from .cognito.account import UserPoolAccount

        return UserPoolAccount(self._user_pool())

    def _metadata(self, explicit: Mapping[str, str] | None) -> dict[str, str] | None:
        """Defaults from ``client_metadata_provider``, overridden by ``explicit``."""
        from .cognito.user_pool_client import check_client_metadata

        defaults = None
        if self.client_metadata_provider is not None:
            defaults = check_client_metadata(self.client_metadata_provider())
        merged = {**(defaults or {}), **(check_client_metadata(explicit) or {})}
        return merged or None

    def _access_token(self) -> str:
        tokens = self.fetch_auth_session().tokens  # type: ignore[attr-defined]
        if tokens is None or tokens.access_token is None:
            raise NoCredentialsError(
                "No user is signed in to the user pool.", "Call sign_in() first."
            )
        return str(tokens.access_token.to_string())

    # -- sign-in --------------------------------------------------------------------------

    def sign_in(
        self,
        username: str,
        password: str | None = None,
        *,
        auth_flow: str = "USER_SRP_AUTH",
        client_metadata: Mapping[str, str] | None = None,
    ) -> SignInResult:
        """Sign in to the user pool (Amplify's ``signIn``).

        ``auth_flow``: ``USER_SRP_AUTH`` (default; the password never leaves the kernel),
        ``USER_PASSWORD_AUTH``, ``CUSTOM_WITH_SRP`` or ``CUSTOM_WITHOUT_SRP``. Returns
        ``SignInResult(is_signed_in, next_step)``; when ``next_step["sign_in_step"]`` is not
        ``"DONE"``, answer with :meth:`confirm_sign_in`.

        Example::

            result = auth.sign_in("ada", password, client_metadata={"source": "notebook"})
            if result.next_step["sign_in_step"] == "CONFIRM_SIGN_IN_WITH_TOTP_CODE":
                auth.confirm_sign_in("123456")
        """
        if self._signed_in is not None:
            raise UserAlreadyAuthenticatedError(
                "A user is already signed in.", "Call sign_out() first."
            )
        self._check_can_sign_in()
        flow = self._sign_in_flow()
        result, tokens = flow.start(
            username, password, auth_flow=auth_flow, client_metadata=self._metadata(client_metadata)
        )
        return self._after_user_pool_step(result, tokens)

    def confirm_sign_in(
        self,
        challenge_response: str,
        *,
        client_metadata: Mapping[str, str] | None = None,
        user_attributes: Mapping[str, str] | None = None,
        friendly_device_name: str | None = None,
    ) -> SignInResult:
        """Answer the pending challenge (Amplify's ``confirmSignIn``): a new password, an
        SMS/email/TOTP code, ``"TOTP"``/``"SMS"``/``"EMAIL"`` to pick an MFA type, the TOTP
        code of a new authenticator (MFA setup), or a custom challenge's answer."""
        flow = self._sign_in_flow()
        result, tokens = flow.confirm(
            challenge_response,
            client_metadata=self._metadata(client_metadata),
            user_attributes=user_attributes,
            friendly_device_name=friendly_device_name,
        )
        return self._after_user_pool_step(result, tokens)

    def _after_user_pool_step(self, result: SignInResult, tokens: Any) -> SignInResult:
        if tokens is None:
            return result
        provider = self._oidc_token_provider(self._user_pool(), tokens)
        try:
            self._enter_signed_in(provider)
        except Exception:
            provider.sign_out(revoke=True)
            raise
        claims = tokens.id_claims
        self._emit(
            "signedIn",
            {"username": claims.get("cognito:username"), "provider": "userPool"},
            "Signed in",
        )
        return result

    # -- self-service ---------------------------------------------------------------------

    def sign_up(
        self,
        username: str,
        password: str,
        *,
        user_attributes: Mapping[str, str] | None = None,
        validation_data: Mapping[str, str] | None = None,
        client_metadata: Mapping[str, str] | None = None,
    ) -> SignUpResult:
        """Amplify's ``signUp``; ``validation_data``/``client_metadata`` reach pre sign-up."""
        return self._account().sign_up(
            username,
            password,
            user_attributes=user_attributes,
            validation_data=validation_data,
            client_metadata=self._metadata(client_metadata),
        )

    def confirm_sign_up(
        self, username: str, code: str, *, client_metadata: Mapping[str, str] | None = None
    ) -> SignUpResult:
        """Amplify's ``confirmSignUp``."""
        return self._account().confirm_sign_up(
            username, code, client_metadata=self._metadata(client_metadata)
        )

    def resend_sign_up_code(
        self, username: str, *, client_metadata: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """Amplify's ``resendSignUpCode``."""
        return self._account().resend_sign_up_code(
            username, client_metadata=self._metadata(client_metadata)
        )

    def reset_password(
        self, username: str, *, client_metadata: Mapping[str, str] | None = None
    ) -> ResetPasswordResult:
        """Amplify's ``resetPassword``."""
        return self._account().reset_password(
            username, client_metadata=self._metadata(client_metadata)
        )

    def confirm_reset_password(
        self,
        username: str,
        new_password: str,
        code: str,
        *,
        client_metadata: Mapping[str, str] | None = None,
    ) -> ResetPasswordResult:
        """Amplify's ``confirmResetPassword``."""
        return self._account().confirm_reset_password(
            username, new_password, code, client_metadata=self._metadata(client_metadata)
        )

    def get_current_user(self) -> dict[str, Any]:
        """Amplify's ``getCurrentUser``: ``{"username", "user_id", "sign_in_details"}``."""
        tokens = self.fetch_auth_session().tokens  # type: ignore[attr-defined]
        if tokens is None:
            raise NoCredentialsError("No user is signed in.", "Sign in first.")
        claims = (tokens.id_token or tokens.access_token).payload
        access = tokens.access_token.payload if tokens.access_token is not None else {}
        username = (
            access.get("username")
            or claims.get("cognito:username")
            or claims.get("preferred_username")
            or claims.get("sub")
        )
        return {
            "username": username,
            "user_id": claims.get("sub"),
            "sign_in_details": {"login_id": claims.get("email") or username},
        }

    def fetch_user_attributes(self) -> dict[str, str]:
        """Amplify's ``fetchUserAttributes`` (``GetUser``)."""
        return self._account().fetch_user_attributes(self._access_token())

    def update_user_attributes(
        self,
        user_attributes: Mapping[str, str],
        *,
        client_metadata: Mapping[str, str] | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Amplify's ``updateUserAttributes``."""
        if not isinstance(user_attributes, Mapping):
            raise InvalidParameterError("user_attributes must be a dict of strings.")
        return self._account().update_user_attributes(
            self._access_token(), user_attributes, client_metadata=self._metadata(client_metadata)
        )
