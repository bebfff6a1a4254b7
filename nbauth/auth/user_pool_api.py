"""Amplify's user-pool API on :class:`~nbauth.Auth`: short delegations to
:class:`~nbauth.auth.user_pool_sign_in.UserPoolSignInService`, documented there.

A trait with a written contract: the class that uses it provides ``_user_pool`` (the service)
and ``fetch_auth_session`` (for the signed-in user's access token), nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ..core.values import AuthSession, SignInResult
from .user_pool_sign_in import UserPoolSignInService

if TYPE_CHECKING:
    from ..cognito.account import ResetPasswordResult, SignUpResult

__all__ = ["UserPoolAPI", "doc_from"]

_F = TypeVar("_F", bound=Callable[..., Any])


def doc_from(service_method: Callable[..., Any]) -> Callable[[_F], _F]:
    """A facade method documented where it is implemented (one text, shown by ``help``)."""

    def apply(method: _F) -> _F:
        method.__doc__ = service_method.__doc__
        return method

    return apply


class UserPoolAPI:
    """``sign_in``, ``confirm_sign_in``, ``sign_up`` … as Amplify names them."""

    _user_pool: UserPoolSignInService

    def fetch_auth_session(self, *, force_refresh: bool = False) -> AuthSession:
        raise NotImplementedError  # provided by Auth

    @doc_from(UserPoolSignInService.sign_in)
    def sign_in(
        self,
        username: str,
        password: str | None = None,
        *,
        auth_flow: str = "USER_SRP_AUTH",
        client_metadata: Mapping[str, str] | None = None,
        preferred_challenge: str | None = None,
    ) -> SignInResult:
        return self._user_pool.sign_in(
            username,
            password,
            auth_flow=auth_flow,
            client_metadata=client_metadata,
            preferred_challenge=preferred_challenge,
        )

    @doc_from(UserPoolSignInService.confirm_sign_in)
    def confirm_sign_in(
        self,
        challenge_response: str,
        *,
        client_metadata: Mapping[str, str] | None = None,
        user_attributes: Mapping[str, str] | None = None,
        friendly_device_name: str | None = None,
    ) -> SignInResult:
        return self._user_pool.confirm_sign_in(
            challenge_response,
            client_metadata=client_metadata,
            user_attributes=user_attributes,
            friendly_device_name=friendly_device_name,
        )

    @doc_from(UserPoolSignInService.sign_up)
    def sign_up(
        self,
        username: str,
        password: str,
        *,
        user_attributes: Mapping[str, str] | None = None,
        validation_data: Mapping[str, str] | None = None,
        client_metadata: Mapping[str, str] | None = None,
        auto_sign_in: bool | Mapping[str, Any] = False,
    ) -> SignUpResult:
        return self._user_pool.sign_up(
            username,
            password,
            user_attributes=user_attributes,
            validation_data=validation_data,
            client_metadata=client_metadata,
            auto_sign_in=auto_sign_in,
        )

    @doc_from(UserPoolSignInService.confirm_sign_up)
    def confirm_sign_up(
        self, username: str, code: str, *, client_metadata: Mapping[str, str] | None = None
    ) -> SignUpResult:
        return self._user_pool.confirm_sign_up(username, code, client_metadata=client_metadata)

    @doc_from(UserPoolSignInService.auto_sign_in)
    def auto_sign_in(self) -> SignInResult:
        return self._user_pool.auto_sign_in()

    @doc_from(UserPoolSignInService.resend_sign_up_code)
    def resend_sign_up_code(
        self, username: str, *, client_metadata: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        return self._user_pool.resend_sign_up_code(username, client_metadata=client_metadata)

    @doc_from(UserPoolSignInService.reset_password)
    def reset_password(
        self, username: str, *, client_metadata: Mapping[str, str] | None = None
    ) -> ResetPasswordResult:
        return self._user_pool.reset_password(username, client_metadata=client_metadata)

    @doc_from(UserPoolSignInService.confirm_reset_password)
    def confirm_reset_password(
        self,
        username: str,
        new_password: str,
        code: str,
        *,
        client_metadata: Mapping[str, str] | None = None,
    ) -> ResetPasswordResult:
        return self._user_pool.confirm_reset_password(
            username, new_password, code, client_metadata=client_metadata
        )

    def fetch_user_attributes(self) -> dict[str, str]:
        """Amplify's ``fetchUserAttributes`` (``GetUser``)."""
        return self._user_pool.fetch_user_attributes(self._access_token())

    def update_user_attributes(
        self,
        user_attributes: Mapping[str, str],
        *,
        client_metadata: Mapping[str, str] | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Amplify's ``updateUserAttributes``."""
        from .current_user import check_user_attributes

        check_user_attributes(user_attributes)
        return self._user_pool.update_user_attributes(
            self._access_token(), user_attributes, client_metadata=client_metadata
        )

    def _access_token(self) -> str:
        from .current_user import access_token

        return access_token(self.fetch_auth_session().tokens)

    # -- wiring --------------------------------------------------------------------------
