"""Cognito user pools, as a service the facade composes: Amplify's ``signIn``,
``confirmSignIn``, ``signUp``, ``resetPassword``, user attributes and global sign-out.

After a user-pool sign-in, credentials come from the identity pool under the Logins key
``cognito-idp.<region>.amazonaws.com/<pool_id>`` and follow the tokens, which refresh themselves
(``GetTokensFromRefreshToken``, or ``REFRESH_TOKEN_AUTH`` where that isn't offered).

``client_metadata`` is accepted by every call whose Cognito operation takes ``ClientMetadata``
and is sent on that call's own requests only, as Amplify sends it (``confirm_sign_in`` does not
re-send ``sign_in``'s). ``configure(client_metadata_provider=...)`` supplies defaults for *each*
call (a callable returning a dict of strings, asked once per call), which per-call values
override. Which triggers receive it is Cognito's rule — see :mod:`nbauth.cognito.sign_in` and
the README's table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..core.values import SignInResult
from ..errors import ConfigurationError
from .sign_in_host import SignInHost
from .user_session import UserSession

if TYPE_CHECKING:
    from ..cognito.account import ResetPasswordResult, SignUpResult, UserPoolAccount
    from ..cognito.auto_sign_in import AutoSignIn
    from ..cognito.sign_in import UserPoolSignIn
    from ..cognito.user_pool_client import UserPoolClient
    from ..oidc.tokens import OIDCTokens

__all__ = ["USER_POOL_PROVIDER", "UserPoolSignInService"]

log = logging.getLogger("nbauth")

#: The provider name of a user-pool sign-in (in events and in the stored session record).
USER_POOL_PROVIDER = "userPool"


class UserPoolSignInService:
    """Sign-in and self-service against the configured user pool."""

    def __init__(
        self,
        host: SignInHost,
        client_metadata_provider: Callable[[], Mapping[str, str]] | None = None,
    ) -> None:
        if client_metadata_provider is not None and not callable(client_metadata_provider):
            raise ConfigurationError(
                "client_metadata_provider must be a callable returning a dict of strings."
            )
        self._host = host
        self.client_metadata_provider = client_metadata_provider
        self._client: UserPoolClient | None = None
        self._flow: UserPoolSignIn | None = None
        self._auto: AutoSignIn | None = None

    # -- plumbing -------------------------------------------------------------------------

    def client(self) -> UserPoolClient:
        if self._client is None:
            from ..cognito.user_pool_client import UserPoolClient

            self._client = UserPoolClient(self._host.config, clock=self._host.clock)
        return self._client

    def owns(self, user: UserSession) -> bool:
        """Whether ``user`` signed in through this user pool."""
        return self._client is not None and getattr(user, "client", None) is self._client

    def _sign_in_flow(self) -> UserPoolSignIn:
        if self._flow is None:
            from ..cognito.sign_in import UserPoolSignIn

            self._flow = UserPoolSignIn(self.client(), clock=self._host.clock)
        return self._flow

    def account(self) -> UserPoolAccount:
        from ..cognito.account import UserPoolAccount

        return UserPoolAccount(self.client())

    def metadata(self, explicit: Mapping[str, str] | None) -> dict[str, str] | None:
        """Defaults from ``client_metadata_provider``, overridden by ``explicit``."""
        from ..cognito.user_pool_client import check_client_metadata

        defaults = None
        if self.client_metadata_provider is not None:
            defaults = check_client_metadata(self.client_metadata_provider())
        merged = {**(defaults or {}), **(check_client_metadata(explicit) or {})}
        return merged or None

    # -- sign-in --------------------------------------------------------------------------

    def sign_in(
        self,
        username: str,
        password: str | None,
        *,
        auth_flow: str,
        client_metadata: Mapping[str, str] | None,
        preferred_challenge: str | None = None,
    ) -> SignInResult:
        """Sign in to the user pool (Amplify's ``signIn``).

        ``auth_flow``: ``USER_SRP_AUTH`` (default; the password never leaves the kernel),
        ``USER_PASSWORD_AUTH``, ``CUSTOM_WITH_SRP``, ``CUSTOM_WITHOUT_SRP`` or ``USER_AUTH``
        (choice-based: ``preferred_challenge`` ``PASSWORD``, ``PASSWORD_SRP``, ``EMAIL_OTP`` or
        ``SMS_OTP``; without one, ``CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION`` lists
        ``available_challenges`` and ``confirm_sign_in("EMAIL_OTP")`` picks one). When
        ``next_step["sign_in_step"]`` is not ``"DONE"``, answer with :meth:`confirm_sign_in`.

        Example::

            result = auth.sign_in("ada", password, client_metadata={"source": "notebook"})
            if result.next_step["sign_in_step"] == "CONFIRM_SIGN_IN_WITH_TOTP_CODE":
                auth.confirm_sign_in("123456")
            auth.sign_in("ada", auth_flow="USER_AUTH", preferred_challenge="EMAIL_OTP")
            auth.confirm_sign_in(code_from_email)
        """
        self._host.check_can_sign_in()
        self._auto = None
        return self._start(
            username,
            password,
            auth_flow=auth_flow,
            client_metadata=client_metadata,
            preferred_challenge=preferred_challenge,
        )

    def _start(
        self,
        username: str,
        password: str | None,
        *,
        auth_flow: str,
        client_metadata: Mapping[str, str] | None,
        preferred_challenge: str | None = None,
        session: str | None = None,
    ) -> SignInResult:
        result, tokens = self._sign_in_flow().start(
            username,
            password,
            auth_flow=auth_flow,
            client_metadata=self.metadata(client_metadata),
            preferred_challenge=preferred_challenge,
            session=session,
        )
        return self._after_step(result, tokens)

    def confirm_sign_in(
        self,
        challenge_response: str,
        *,
        client_metadata: Mapping[str, str] | None,
        user_attributes: Mapping[str, str] | None,
        friendly_device_name: str | None,
    ) -> SignInResult:
        """Answer the pending challenge (Amplify's ``confirmSignIn``): a new password, an
        SMS/email/TOTP code, ``"TOTP"``/``"SMS"``/``"EMAIL"`` to pick an MFA type, the TOTP
        code of a new authenticator (MFA setup), a custom challenge's answer, or for
        ``USER_AUTH`` a first factor (``"EMAIL_OTP"``, ``"SMS_OTP"``, ``"PASSWORD"``,
        ``"PASSWORD_SRP"``), the password, or the emailed/texted code. Only this call's
        ``client_metadata`` is sent (with the provider's defaults), as Amplify does."""
        result, tokens = self._sign_in_flow().confirm(
            challenge_response,
            client_metadata=self.metadata(client_metadata),
            user_attributes=user_attributes,
            friendly_device_name=friendly_device_name,
        )
        return self._after_step(result, tokens)

    def _after_step(self, result: SignInResult, tokens: OIDCTokens | None) -> SignInResult:
        if tokens is None:
            return result
        user = self._host.new_user(self.client(), tokens)
        username = tokens.id_claims.get("cognito:username")
        self._host.enter_signed_in(user, provider=USER_POOL_PROVIDER, username=username)
        return result

    def clear_pending(self) -> None:
        """Forget a challenge in progress and an auto sign-in waiting (on sign-out)."""
        self._auto = None
        if self._flow is not None:
            self._flow.clear()

    def global_sign_out(self, user: UserSession) -> bool:
        """``GlobalSignOut`` with the user's access token; errors never block the sign-out."""
        current = user.current
        if current is None or self._client is None:
            return False
        try:
            self.account().global_sign_out(current.access_token)
            return True
        except Exception as exc:
            log.warning("GlobalSignOut failed (%s); signed out locally anyway", type(exc).__name__)
            return False

    # -- self-service ---------------------------------------------------------------------

    def sign_up(
        self,
        username: str,
        password: str,
        *,
        user_attributes: Mapping[str, str] | None,
        validation_data: Mapping[str, str] | None,
        client_metadata: Mapping[str, str] | None,
        auto_sign_in: bool | Mapping[str, Any] = False,
    ) -> SignUpResult:
        """Amplify's ``signUp``; ``validation_data``/``client_metadata`` reach pre sign-up.

        ``auto_sign_in=True`` (or a dict with ``auth_flow``, ``preferred_challenge``,
        ``client_metadata``) starts Amplify's auto sign-in: once the user is confirmed
        (``next_step["sign_up_step"] == "COMPLETE_AUTO_SIGN_IN"``, from this call or from
        :meth:`confirm_sign_up`), :meth:`auto_sign_in` signs them in. See
        :mod:`nbauth.cognito.auto_sign_in`.

        Example::

            auth.sign_up("ada", password, user_attributes={"email": "ada@example.com"},
                         auto_sign_in=True)
            auth.confirm_sign_up("ada", code)   # next_step: COMPLETE_AUTO_SIGN_IN
            auth.auto_sign_in()                 # SignInResult(is_signed_in=True, ...)
        """
        from ..cognito.auto_sign_in import start_auto_sign_in

        auto = (
            start_auto_sign_in(auto_sign_in, username, password)
            if isinstance(username, str) and isinstance(password, str)
            else None
        )
        self._auto = None
        result, session = self.account().sign_up_with_session(
            username,
            password,
            user_attributes=user_attributes,
            validation_data=validation_data,
            client_metadata=self.metadata(client_metadata),
        )
        if auto is None:
            return result
        auto.session = session
        self._auto = auto
        if result.is_sign_up_complete:
            auto.ready = True
            return result._replace(next_step={"sign_up_step": "COMPLETE_AUTO_SIGN_IN"})
        return result

    def confirm_sign_up(
        self, username: str, code: str, *, client_metadata: Mapping[str, str] | None
    ) -> SignUpResult:
        """Amplify's ``confirmSignUp``; ``COMPLETE_AUTO_SIGN_IN`` after an auto sign-in's
        ``sign_up`` for the same username (then call :meth:`auto_sign_in`)."""
        result, session = self.account().confirm_sign_up_with_session(
            username, code, client_metadata=self.metadata(client_metadata)
        )
        auto = self._auto
        if auto is None or auto.username != username.strip():
            self._auto = None
            return result
        auto.session = session
        auto.ready = True
        return result._replace(next_step={"sign_up_step": "COMPLETE_AUTO_SIGN_IN"})

    def auto_sign_in(self) -> SignInResult:
        """Amplify's ``autoSignIn``: complete the sign-in that ``sign_up(auto_sign_in=...)``
        started, once :meth:`confirm_sign_up` (or ``SignUp`` itself) confirmed the user.
        ``USER_AUTH`` uses ``ConfirmSignUp``'s session (no password sent); other flows sign
        in with the sign-up's password. Raises ``AutoSignInException`` when no auto sign-in
        is ready."""
        from ..cognito.auto_sign_in import auto_sign_in_not_started

        auto = self._auto
        if auto is None or not auto.ready:
            raise auto_sign_in_not_started()
        self._host.check_can_sign_in()
        self._auto = None
        by_session = auto.auth_flow == "USER_AUTH" and auto.session is not None
        return self._start(
            auto.username,
            auto.password,
            auth_flow=auto.auth_flow,
            client_metadata=auto.client_metadata,
            preferred_challenge=None if by_session else auto.preferred_challenge,
            session=auto.session if by_session else None,
        )

    def resend_sign_up_code(
        self, username: str, *, client_metadata: Mapping[str, str] | None
    ) -> dict[str, Any]:
        """Amplify's ``resendSignUpCode``."""
        return self.account().resend_sign_up_code(
            username, client_metadata=self.metadata(client_metadata)
        )

    def reset_password(
        self, username: str, *, client_metadata: Mapping[str, str] | None
    ) -> ResetPasswordResult:
        """Amplify's ``resetPassword``."""
        return self.account().reset_password(
            username, client_metadata=self.metadata(client_metadata)
        )

    def confirm_reset_password(
        self,
        username: str,
        new_password: str,
        code: str,
        *,
        client_metadata: Mapping[str, str] | None,
    ) -> ResetPasswordResult:
        """Amplify's ``confirmResetPassword``."""
        return self.account().confirm_reset_password(
            username, new_password, code, client_metadata=self.metadata(client_metadata)
        )

    def fetch_user_attributes(self, access_token: str) -> dict[str, str]:
        return self.account().fetch_user_attributes(access_token)

    def update_user_attributes(
        self,
        access_token: str,
        user_attributes: Mapping[str, str],
        *,
        client_metadata: Mapping[str, str] | None,
    ) -> dict[str, dict[str, Any]]:
        return self.account().update_user_attributes(
            access_token, user_attributes, client_metadata=self.metadata(client_metadata)
        )
