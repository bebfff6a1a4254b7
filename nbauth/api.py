"""The module-level API: Amplify's functions, acting on a default :class:`~nbauth.Auth`.

``configure()`` makes the default ``Auth``; every other function uses it
(configuring itself from ``$NBAUTH_CONFIG`` or ``./amplify_outputs.json`` on
first use if ``configure()`` was never called).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .auth import Auth
from .core.logins import LoginsProvider
from .core.protocols import CredentialsProvider, TokenProvider
from .core.storage import KeyValueStorage
from .core.values import AuthSession, AWSCredentials, FederateToIdentityPoolResult, SignInResult

if TYPE_CHECKING:
    import boto3

    from .cognito.account import ResetPasswordResult, SignUpResult
    from .config import AuthConfig
    from .integrations.requests_auth import BearerTokenAuth
    from .oidc.authorization_code import RedirectSignIn
    from .oidc.rfc8628 import DeviceCodeSignIn

__all__ = [
    "auto_sign_in",
    "boto3_session",
    "clear_federation_to_identity_pool",
    "configure",
    "configured_auth",
    "confirm_reset_password",
    "confirm_sign_in",
    "confirm_sign_up",
    "current_auth",
    "current_credentials",
    "federate_to_identity_pool",
    "fetch_auth_session",
    "fetch_auth_session_async",
    "fetch_user_attributes",
    "fsspec_storage_options",
    "get_current_user",
    "requests_auth",
    "resend_sign_up_code",
    "reset_password",
    "sign_in",
    "sign_in_with_device_code",
    "sign_in_with_redirect",
    "sign_out",
    "sign_up",
    "update_user_attributes",
]

_default: Auth | None = None
_default_lock = threading.Lock()


def configure(
    config: AuthConfig | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    *,
    token_provider: TokenProvider | None = None,
    credentials_provider: CredentialsProvider | None = None,
    storage: KeyValueStorage | None = None,
    client_metadata_provider: Callable[[], Mapping[str, str]] | None = None,
    **overrides: Any,
) -> Auth:
    """Configure nbauth (Amplify's ``Amplify.configure``) and return the default :class:`Auth`.

    ``config`` is the path of ``amplify_outputs.json``, its content as a dict,
    or ``None`` (then ``$NBAUTH_CONFIG``, then ``./amplify_outputs.json``).
    ``overrides`` replace single keys, e.g. ``identity_pool_id=...``.

    Example::

        import nbauth
        nbauth.configure("amplify_outputs.json")
        session = nbauth.fetch_auth_session()
    """
    global _default
    auth = Auth(
        config,
        token_provider=token_provider,
        credentials_provider=credentials_provider,
        storage=storage,
        client_metadata_provider=client_metadata_provider,
        **overrides,
    )
    with _default_lock:
        previous, _default = _default, auth
    if previous is not None:
        previous.close()
    return auth


def configured_auth() -> Auth | None:
    """The default :class:`Auth` if one was made (by :func:`configure` or on first use);
    ``None`` otherwise. Never configures anything."""
    return _default


def current_auth() -> Auth:
    """The default :class:`Auth`, configuring it from the environment on first use."""
    global _default
    auth = _default
    if auth is not None:
        return auth
    with _default_lock:
        auth = _default
        if auth is None:
            auth = _default = Auth(None)
        return auth


def federate_to_identity_pool(
    token: str,
    provider: LoginsProvider | str,
    *,
    developer_provided_identity_id: str | None = None,
    custom_role_arn: str | None = None,
) -> FederateToIdentityPoolResult:
    """See :meth:`Auth.federate_to_identity_pool`."""
    return current_auth().federate_to_identity_pool(
        token,
        provider,
        developer_provided_identity_id=developer_provided_identity_id,
        custom_role_arn=custom_role_arn,
    )


def clear_federation_to_identity_pool() -> None:
    """See :meth:`Auth.clear_federation_to_identity_pool`."""
    current_auth().clear_federation_to_identity_pool()


def fetch_auth_session(*, force_refresh: bool = False) -> AuthSession:
    """See :meth:`Auth.fetch_auth_session`."""
    auth = _default
    if auth is None:
        auth = current_auth()
    return auth.fetch_auth_session(force_refresh=force_refresh)


async def fetch_auth_session_async(*, force_refresh: bool = False) -> AuthSession:
    """:func:`fetch_auth_session` for code that awaits: the work runs in a worker thread
    (``asyncio.to_thread``), so the event loop is never blocked or patched. Example::

        session = await nbauth.fetch_auth_session_async()
    """
    return await asyncio.to_thread(fetch_auth_session, force_refresh=force_refresh)


def fsspec_storage_options(auth: Auth | None = None) -> dict[str, Any]:
    """``storage_options`` for pandas/fsspec/s3fs with live credentials (the default Auth's
    if ``auth`` is ``None``). Example::

        pd.read_csv("s3://bucket/key.csv", storage_options=nbauth.fsspec_storage_options())
    """
    from .integrations.fsspec import fsspec_storage_options as options

    return options(auth or current_auth())


def boto3_session(*, region_name: str | None = None, **kwargs: Any) -> boto3.Session:
    """See :meth:`Auth.boto3_session`."""
    return current_auth().boto3_session(region_name=region_name, **kwargs)


def current_credentials() -> AWSCredentials:
    """See :meth:`Auth.current_credentials`."""
    return current_auth().current_credentials()


def sign_out(*, global_sign_out: bool = False) -> None:
    """See :meth:`Auth.sign_out`."""
    current_auth().sign_out(global_sign_out=global_sign_out)


def sign_in(
    username: str,
    password: str | None = None,
    *,
    auth_flow: str = "USER_SRP_AUTH",
    client_metadata: Mapping[str, str] | None = None,
    preferred_challenge: str | None = None,
) -> SignInResult:
    """See :meth:`Auth.sign_in`."""
    return current_auth().sign_in(
        username,
        password,
        auth_flow=auth_flow,
        client_metadata=client_metadata,
        preferred_challenge=preferred_challenge,
    )


def confirm_sign_in(
    challenge_response: str,
    *,
    client_metadata: Mapping[str, str] | None = None,
    user_attributes: Mapping[str, str] | None = None,
    friendly_device_name: str | None = None,
) -> SignInResult:
    """See :meth:`Auth.confirm_sign_in`."""
    return current_auth().confirm_sign_in(
        challenge_response,
        client_metadata=client_metadata,
        user_attributes=user_attributes,
        friendly_device_name=friendly_device_name,
    )


def sign_up(
    username: str,
    password: str,
    *,
    user_attributes: Mapping[str, str] | None = None,
    validation_data: Mapping[str, str] | None = None,
    client_metadata: Mapping[str, str] | None = None,
    auto_sign_in: bool | Mapping[str, Any] = False,
) -> SignUpResult:
    """See :meth:`Auth.sign_up`."""
    return current_auth().sign_up(
        username,
        password,
        user_attributes=user_attributes,
        validation_data=validation_data,
        client_metadata=client_metadata,
        auto_sign_in=auto_sign_in,
    )


def confirm_sign_up(
    username: str, code: str, *, client_metadata: Mapping[str, str] | None = None
) -> SignUpResult:
    """See :meth:`Auth.confirm_sign_up`."""
    return current_auth().confirm_sign_up(username, code, client_metadata=client_metadata)


def auto_sign_in() -> SignInResult:
    """See :meth:`Auth.auto_sign_in`."""
    return current_auth().auto_sign_in()


def resend_sign_up_code(
    username: str, *, client_metadata: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """See :meth:`Auth.resend_sign_up_code`."""
    return current_auth().resend_sign_up_code(username, client_metadata=client_metadata)


def reset_password(
    username: str, *, client_metadata: Mapping[str, str] | None = None
) -> ResetPasswordResult:
    """See :meth:`Auth.reset_password`."""
    return current_auth().reset_password(username, client_metadata=client_metadata)


def confirm_reset_password(
    username: str,
    new_password: str,
    code: str,
    *,
    client_metadata: Mapping[str, str] | None = None,
) -> ResetPasswordResult:
    """See :meth:`Auth.confirm_reset_password`."""
    return current_auth().confirm_reset_password(
        username, new_password, code, client_metadata=client_metadata
    )


def get_current_user() -> dict[str, Any]:
    """See :meth:`Auth.get_current_user`."""
    return current_auth().get_current_user()


def fetch_user_attributes() -> dict[str, str]:
    """See :meth:`Auth.fetch_user_attributes`."""
    return current_auth().fetch_user_attributes()


def update_user_attributes(
    user_attributes: Mapping[str, str],
    *,
    client_metadata: Mapping[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """See :meth:`Auth.update_user_attributes`."""
    return current_auth().update_user_attributes(user_attributes, client_metadata=client_metadata)


def sign_in_with_device_code(
    *, provider: str | None = None, scopes: list[str] | tuple[str, ...] | None = None
) -> DeviceCodeSignIn:
    """See :meth:`Auth.sign_in_with_device_code`."""
    return current_auth().sign_in_with_device_code(provider=provider, scopes=scopes)


def sign_in_with_redirect(
    *,
    provider: str | None = None,
    custom_state: str | None = None,
    mode: str = "loopback",
    scopes: list[str] | tuple[str, ...] | None = None,
    timeout: float = 300.0,
    redirect_uri: str | None = None,
) -> RedirectSignIn:
    """See :meth:`Auth.sign_in_with_redirect`."""
    return current_auth().sign_in_with_redirect(
        provider=provider,
        custom_state=custom_state,
        mode=mode,
        scopes=scopes,
        timeout=timeout,
        redirect_uri=redirect_uri,
    )


def requests_auth(*, token: str = "access", auth: Auth | None = None) -> BearerTokenAuth:
    """A ``requests`` auth sending the signed-in user's ``"access"`` or ``"id"`` token.

    Tokens are refreshed as needed; a 401 makes it refresh once and resend. Example::

        requests.get(api_url, auth=nbauth.requests_auth())
    """
    from .integrations.requests_auth import BearerTokenAuth

    return BearerTokenAuth(auth or current_auth(), token=token)
