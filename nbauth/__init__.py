"""nbauth — AWS Amplify's advanced auth workflows for Jupyter.

Sign in from a notebook, federate into a Cognito identity pool, and get AWS
credentials that refresh themselves::

    import nbauth
    nbauth.configure("amplify_outputs.json")
    nbauth.federate_to_identity_pool(id_token, nbauth.AuthProvider.oidc(issuer))
    s3 = nbauth.boto3_session().client("s3")

``import nbauth`` is light: names are imported on first use, and boto3 only
when a call needs AWS.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from .core.log_records import install_factory as _install_redaction

_install_redaction()  # before anything can log: every record of botocore, urllib3, … is redacted

_EXPORTS = {
    # module-level API (a default Auth)
    "configure": "api",
    "current_auth": "api",
    "configured_auth": "api",
    "federate_to_identity_pool": "api",
    "clear_federation_to_identity_pool": "api",
    "fetch_auth_session": "api",
    "fetch_auth_session_async": "api",
    "fsspec_storage_options": "api",
    "boto3_session": "api",
    "current_credentials": "api",
    "sign_out": "api",
    "sign_in": "api",
    "confirm_sign_in": "api",
    "sign_up": "api",
    "confirm_sign_up": "api",
    "auto_sign_in": "api",
    "resend_sign_up_code": "api",
    "reset_password": "api",
    "confirm_reset_password": "api",
    "get_current_user": "api",
    "fetch_user_attributes": "api",
    "update_user_attributes": "api",
    "sign_in_with_device_code": "api",
    "sign_in_with_redirect": "api",
    "requests_auth": "api",
    "SignInResult": "core.values",
    "integrations": None,
    # classes and values
    "Auth": "auth",
    "AuthConfig": "config",
    "AuthProvider": "core.logins",
    "LoginsProvider": "core.logins",
    "JWT": "core.jwt",
    "OpaqueToken": "core.values",
    "decode_jwt": "core.jwt",
    "AWSCredentials": "core.values",
    "AuthSession": "core.values",
    "AuthTokens": "core.values",
    "CredentialsAndIdentityId": "core.values",
    "FederateToIdentityPoolResult": "core.values",
    "TokenProvider": "core.protocols",
    "CredentialsProvider": "core.protocols",
    "MemoryStorage": "core.storage",
    "FileStorage": "core.storage",
    "KeyringStorage": "core.storage",
    "RefreshPolicy": "core.refresh",
    "hub": "events",
    "Hub": "events",
    "errors": None,
    "LoginWidget": "notebook.widget",
    # the notebook layer: %load_ext nbauth, and @nbauth.token_provider for cell functions
    "load_ipython_extension": "notebook.extension",
    "unload_ipython_extension": "notebook.extension",
    "token_provider": "notebook.extension",
}

__all__ = [
    "JWT",
    "AWSCredentials",
    "Auth",
    "AuthConfig",
    "AuthProvider",
    "AuthSession",
    "AuthTokens",
    "CredentialsAndIdentityId",
    "CredentialsProvider",
    "FederateToIdentityPoolResult",
    "FileStorage",
    "Hub",
    "KeyringStorage",
    "LoginWidget",
    "LoginsProvider",
    "MemoryStorage",
    "OpaqueToken",
    "RefreshPolicy",
    "SignInResult",
    "TokenProvider",
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
    "decode_jwt",
    "errors",
    "federate_to_identity_pool",
    "fetch_auth_session",
    "fetch_auth_session_async",
    "fetch_user_attributes",
    "fsspec_storage_options",
    "get_current_user",
    "hub",
    "integrations",
    "load_ipython_extension",
    "requests_auth",
    "resend_sign_up_code",
    "reset_password",
    "sign_in",
    "sign_in_with_device_code",
    "sign_in_with_redirect",
    "sign_out",
    "sign_up",
    "token_provider",
    "unload_ipython_extension",
    "update_user_attributes",
]


def __getattr__(name: str) -> Any:
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'nbauth' has no attribute {name!r}") from None
    if module is None:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        value = getattr(_import_layer(name, module), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from . import errors, integrations
    from .api import (
        auto_sign_in,
        boto3_session,
        clear_federation_to_identity_pool,
        configure,
        configured_auth,
        confirm_reset_password,
        confirm_sign_in,
        confirm_sign_up,
        current_auth,
        current_credentials,
        federate_to_identity_pool,
        fetch_auth_session,
        fetch_auth_session_async,
        fetch_user_attributes,
        fsspec_storage_options,
        get_current_user,
        requests_auth,
        resend_sign_up_code,
        reset_password,
        sign_in,
        sign_in_with_device_code,
        sign_in_with_redirect,
        sign_out,
        sign_up,
        update_user_attributes,
    )
    from .auth import Auth
    from .config import AuthConfig
    from .core.jwt import JWT, decode_jwt
    from .core.logins import AuthProvider, LoginsProvider
    from .core.protocols import CredentialsProvider, TokenProvider
    from .core.refresh import RefreshPolicy
    from .core.storage import FileStorage, KeyringStorage, MemoryStorage
    from .core.values import (
        AuthSession,
        AuthTokens,
        AWSCredentials,
        CredentialsAndIdentityId,
        FederateToIdentityPoolResult,
        OpaqueToken,
        SignInResult,
    )
    from .events import Hub, hub
    from .notebook.extension import (
        load_ipython_extension,
        token_provider,
        unload_ipython_extension,
    )
    from .notebook.widget import LoginWidget


def _import_layer(name: str, module: str) -> Any:
    """Import ``nbauth.<module>``; the notebook layer's missing packages say how to install them."""
    try:
        return importlib.import_module(f"{__name__}.{module}")
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").split(".")[0]
        if not module.startswith("notebook.") or not missing or missing == __name__:
            raise
        from .core.install_hints import pip_install_hint

        raise ModuleNotFoundError(
            f"nbauth.{name} needs nbauth's notebook extra ({missing} is not installed): "
            f"{pip_install_hint('notebook')}",
            name=exc.name,
        ) from exc
