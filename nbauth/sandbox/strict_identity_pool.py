"""The strict Cognito Identity layer: a WSGI middleware in front of moto.

moto's ``cognito-identity`` accepts any ``Logins``, hands out a new identity
id per ``GetId`` and fixed credentials. This layer answers the identity
operations itself, the way Cognito does — verifying every login token, keeping
one identity per user, linking, merging, refusing — and mints credentials with
moto's STS. Pool configuration (providers, guest access, developer provider
name) is read live from moto, so ``UpdateIdentityPool`` takes effect at once.
Every other request passes through to moto untouched.

Operations handled here: ``GetId``, ``GetCredentialsForIdentity``,
``GetOpenIdToken``, ``GetOpenIdTokenForDeveloperIdentity``,
``SetIdentityPoolRoles``, ``GetIdentityPoolRoles`` (moto lacks both),
``DescribeIdentity``, ``ListIdentities`` and ``DeleteIdentities``.
Every set of credentials minted is recorded in :attr:`StrictIdentityPool.issued`
(with its identity), and ``DeleteIdentities`` revokes the identity's sets, so the
signed-request layer (:mod:`nbauth.sandbox.signed_requests`) can check them.
Signatures are checked there, not here. ``RoleMappings`` are stored and
returned but not evaluated.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from . import moto_backends
from .aws_errors import (
    AwsError,
    StartResponse,
    json_error_response,
    json_response,
    read_json_body,
)
from .faults import COGNITO_IDENTITY_PREFIX
from .identity_store import Identity, IdentityStore, LoginRef
from .identity_tokens import IdentityTokenIssuer
from .issued_credentials import IssuedCredentials, IssuedCredentialsRegistry
from .logins import LoginVerifier, VerifiedLogin
from .moto_backends import IdentityPoolConfig
from .token_verification import JwksCache

__all__ = ["IDENTITY_JWKS_PATH", "StrictIdentityPool"]

_logger = logging.getLogger("nbauth.sandbox")

IDENTITY_JWKS_PATH = "/_nbauth/cognito-identity/.well-known/jwks.json"
_ID_PATTERN = r"[\w-]+:[0-9a-f-]+"
_ID_RE = re.compile(rf"^{_ID_PATTERN}$")
_ROLE_ARN_RE = re.compile(r"^arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_MAX_LOGINS = 10
_OPEN_ID_TOKEN_SECONDS = 600  # GetOpenIdToken: "valid for 10 minutes"
_DEVELOPER_TOKEN_DEFAULT_SECONDS = 900
_DEVELOPER_TOKEN_MAX_SECONDS = 86400
_SESSION_NAME = "CognitoIdentityCredentials"
_GUEST_REFUSED = "Unauthenticated access is not supported for this identity pool."

Params = dict[str, Any]


def _validation(value: Any, member: str, constraint: str) -> AwsError:
    return AwsError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: {constraint}",
    )


def _require_id(params: Params, name: str) -> str:
    value = params.get(name)
    member = name[0].lower() + name[1:]
    if not isinstance(value, str) or not value:
        raise _validation(value, member, "Member must not be null")
    if len(value) > 55:
        raise _validation(value, member, "Member must have length less than or equal to 55")
    if not _ID_RE.match(value):
        raise _validation(
            value, member, f"Member must satisfy regular expression pattern: {_ID_PATTERN}"
        )
    return value


def _logins_param(params: Params) -> dict[str, Any]:
    logins = params.get("Logins") or {}
    if not isinstance(logins, dict):
        raise AwsError("SerializationException", "Logins must be a map.")
    if len(logins) > _MAX_LOGINS:
        raise _validation(
            "{...}", "logins", f"Member must have length less than or equal to {_MAX_LOGINS}"
        )
    return logins


def _split(verified: Iterable[VerifiedLogin]) -> tuple[list[LoginRef], list[str]]:
    """Logins to link, and identity ids asserted by ``cognito-identity`` tokens."""
    refs: list[LoginRef] = []
    asserted: list[str] = []
    for login in verified:
        if login.kind == "identity":
            asserted.append(login.subject)
        else:
            refs.append(login.ref)
    return refs, asserted


class StrictIdentityPool:
    """WSGI middleware answering Cognito Identity operations like Cognito.

    ``credentials_lifetime`` (seconds) is the ``DurationSeconds`` of minted
    credentials; change it at any time. ``issued`` records what was minted
    (moto's other STS credentials are found through it too). Thread-safe.
    """

    def __init__(
        self,
        app: Any,
        *,
        credentials_lifetime: int = 3600,
        clock: Callable[[], float] = time.time,
        issued: IssuedCredentialsRegistry | None = None,
    ) -> None:
        self._app = app
        self.credentials_lifetime = credentials_lifetime
        self.issued = issued or IssuedCredentialsRegistry(
            fallback=moto_backends.assumed_role_credentials, clock=clock
        )
        self.store = IdentityStore(clock=clock)
        self.identity_tokens = IdentityTokenIssuer()
        self.jwks = JwksCache()
        self.verifier = LoginVerifier(self.jwks, self.identity_tokens, clock=clock)
        self._clock = clock
        self._roles: dict[str, dict[str, Any]] = {}
        self._roles_lock = threading.Lock()
        self._handlers: dict[str, Callable[[Params, str], dict[str, Any]]] = {
            "GetId": self._get_id,
            "GetCredentialsForIdentity": self._get_credentials_for_identity,
            "GetOpenIdToken": self._get_open_id_token,
            "GetOpenIdTokenForDeveloperIdentity": self._get_open_id_token_for_developer_identity,
            "SetIdentityPoolRoles": self._set_identity_pool_roles,
            "GetIdentityPoolRoles": self._get_identity_pool_roles,
            "DescribeIdentity": self._describe_identity,
            "ListIdentities": self._list_identities,
            "DeleteIdentities": self._delete_identities,
        }

    # -- WSGI ----------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if environ.get("PATH_INFO") == IDENTITY_JWKS_PATH and method in ("GET", "HEAD"):
            return json_response(
                start_response, self.identity_tokens.jwks, content_type="application/json"
            )
        service, _, operation = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")
        handler = self._handlers.get(operation) if service == COGNITO_IDENTITY_PREFIX else None
        if handler is None:
            return self._app(environ, start_response)
        try:
            params = read_json_body(environ)
            body = handler(params, _endpoint_url(environ))
        except AwsError as err:
            return json_error_response(start_response, err.code, err.message, err.status)
        except Exception:
            _logger.exception("sandbox: %s failed", operation)
            return json_error_response(
                start_response, "InternalErrorException", "An internal error occurred.", 500
            )
        return json_response(start_response, body)

    # -- configuration -------------------------------------------------------
    def _pool(self, identity_pool_id: str) -> IdentityPoolConfig:
        pool = moto_backends.identity_pool_config(identity_pool_id)
        if pool is None:
            raise AwsError(
                "ResourceNotFoundException", f"IdentityPool '{identity_pool_id}' not found."
            )
        return pool

    def _pool_of_identity(self, identity_id: str) -> IdentityPoolConfig:
        identity = self.store.describe(identity_id)
        if identity is None:
            raise AwsError("ResourceNotFoundException", f"Identity '{identity_id}' not found.")
        return self._pool(identity.identity_pool_id)

    def roles(self, identity_pool_id: str) -> dict[str, str]:
        """The pool's ``Roles`` map (``authenticated``/``unauthenticated`` → ARN)."""
        with self._roles_lock:
            return dict(self._roles.get(identity_pool_id, {}).get("Roles", {}))

    # -- operations ----------------------------------------------------------
    def _get_id(self, params: Params, endpoint: str) -> dict[str, Any]:
        pool = self._pool(_require_id(params, "IdentityPoolId"))
        logins = _logins_param(params)
        if not logins:
            if not pool.allow_unauthenticated:
                raise AwsError("NotAuthorizedException", _GUEST_REFUSED)
            return {"IdentityId": self.store.create_guest(pool.identity_pool_id)}
        refs, asserted = _split(self.verifier.verify(pool, logins, endpoint))
        return {"IdentityId": self.store.get_or_create(pool.identity_pool_id, refs, asserted)}

    def _authorize(self, params: Params, endpoint: str) -> tuple[IdentityPoolConfig, Identity]:
        identity_id = _require_id(params, "IdentityId")
        pool = self._pool_of_identity(identity_id)
        logins = _logins_param(params)
        refs, asserted = _split(self.verifier.verify(pool, logins, endpoint))
        identity = self.store.authorize(pool.identity_pool_id, identity_id, refs, asserted)
        if not identity.authenticated and not pool.allow_unauthenticated:
            raise AwsError("NotAuthorizedException", _GUEST_REFUSED)
        return pool, identity

    def _get_credentials_for_identity(self, params: Params, endpoint: str) -> dict[str, Any]:
        pool, identity = self._authorize(params, endpoint)
        roles = self.roles(pool.identity_pool_id)
        role_arn = roles.get("authenticated" if identity.authenticated else "unauthenticated")
        custom_role = params.get("CustomRoleArn")
        if custom_role:
            self._check_custom_role(custom_role, roles)
            role_arn = custom_role
        if not role_arn:
            raise AwsError(
                "InvalidIdentityPoolConfigurationException",
                "Invalid identity pool configuration. Check assigned IAM roles for this pool.",
            )
        credentials = moto_backends.assume_role_with_web_identity(
            role_arn=role_arn,
            session_name=_SESSION_NAME,
            duration_seconds=int(self.credentials_lifetime),
            region=pool.region,
        )
        self.issued.record(
            IssuedCredentials(
                access_key_id=credentials.access_key_id,
                secret_key=credentials.secret_key,
                session_token=credentials.session_token,
                expiration=credentials.expiration,
                role_arn=role_arn,
                session_name=_SESSION_NAME,
                identity_id=identity.identity_id,
            )
        )
        return {
            "IdentityId": identity.identity_id,
            "Credentials": {
                "AccessKeyId": credentials.access_key_id,
                "SecretKey": credentials.secret_key,
                "SessionToken": credentials.session_token,
                "Expiration": credentials.expiration,
            },
        }

    @staticmethod
    def _check_custom_role(role_arn: Any, roles: dict[str, str]) -> None:
        """Simplified Cognito rule: the pool's own roles, or any role IAM has."""
        if not isinstance(role_arn, str) or not _ROLE_ARN_RE.match(role_arn):
            raise AwsError("InvalidParameterException", f"Invalid CustomRoleArn '{role_arn}'.")
        if role_arn not in roles.values() and not moto_backends.role_exists(role_arn):
            raise AwsError("NotAuthorizedException", f"Access to Role '{role_arn}' is forbidden.")

    def _get_open_id_token(self, params: Params, endpoint: str) -> dict[str, Any]:
        pool, identity = self._authorize(params, endpoint)
        amr = (
            ["authenticated", *identity.logins_keys()]
            if identity.authenticated
            else ["unauthenticated"]
        )
        token = self.identity_tokens.mint(
            identity_pool_id=pool.identity_pool_id,
            identity_id=identity.identity_id,
            amr=amr,
            duration_seconds=_OPEN_ID_TOKEN_SECONDS,
            now=self._clock(),
        )
        return {"IdentityId": identity.identity_id, "Token": token}

    def _get_open_id_token_for_developer_identity(
        self, params: Params, endpoint: str
    ) -> dict[str, Any]:
        pool = self._pool(_require_id(params, "IdentityPoolId"))
        identity_id = params.get("IdentityId")
        if identity_id is not None:
            identity_id = _require_id(params, "IdentityId")
        duration = params.get("TokenDuration", _DEVELOPER_TOKEN_DEFAULT_SECONDS)
        if (
            isinstance(duration, bool)
            or not isinstance(duration, int)
            or not 1 <= duration <= _DEVELOPER_TOKEN_MAX_SECONDS
        ):
            raise _validation(
                duration,
                "tokenDuration",
                f"Member must be between 1 and {_DEVELOPER_TOKEN_MAX_SECONDS}",
            )
        logins = _logins_param(params)
        if not logins:
            raise AwsError("InvalidParameterException", "Logins must not be empty.")
        developer = pool.developer_provider_name
        refs: list[LoginRef] = []
        developer_amr: list[str] = []
        for key, value in logins.items():
            if developer is not None and key == developer:
                if not isinstance(value, str) or not 1 <= len(value) <= 2048:
                    raise AwsError(
                        "InvalidParameterException", "Invalid developer user identifier."
                    )
                refs.append((key, value))
                developer_amr = [key, f"{key}:{pool.identity_pool_id}:{value}"]
                continue
            login = self.verifier.verify_one(pool, key, value, endpoint)
            if login.kind == "identity":
                if identity_id is not None and login.subject != identity_id:
                    raise AwsError(
                        "NotAuthorizedException",
                        f"Access to Identity '{identity_id}' is forbidden.",
                    )
                identity_id = login.subject
            else:
                refs.append(login.ref)
        linked = self.store.link_developer(pool.identity_pool_id, identity_id, refs)
        other_keys = sorted({key for key, _ in refs if key != developer})
        token = self.identity_tokens.mint(
            identity_pool_id=pool.identity_pool_id,
            identity_id=linked,
            amr=["authenticated", *developer_amr, *other_keys],
            duration_seconds=duration,
            now=self._clock(),
        )
        return {"IdentityId": linked, "Token": token}

    def _set_identity_pool_roles(self, params: Params, endpoint: str) -> dict[str, Any]:
        pool = self._pool(_require_id(params, "IdentityPoolId"))
        roles = params.get("Roles")
        if not isinstance(roles, dict):
            raise _validation(roles, "roles", "Member must not be null")
        for kind, arn in roles.items():
            if kind not in ("authenticated", "unauthenticated"):
                raise AwsError("InvalidParameterException", f"Invalid role type '{kind}'.")
            if not isinstance(arn, str) or not moto_backends.role_exists(arn):
                raise AwsError("NotAuthorizedException", f"Access to Role '{arn}' is forbidden.")
        role_mappings = params.get("RoleMappings") or {}
        with self._roles_lock:
            self._roles[pool.identity_pool_id] = {
                "Roles": dict(roles),
                "RoleMappings": dict(role_mappings),
            }
        return {}

    def _get_identity_pool_roles(self, params: Params, endpoint: str) -> dict[str, Any]:
        pool = self._pool(_require_id(params, "IdentityPoolId"))
        with self._roles_lock:
            entry = self._roles.get(pool.identity_pool_id, {})
            body: dict[str, Any] = {
                "IdentityPoolId": pool.identity_pool_id,
                "Roles": dict(entry.get("Roles", {})),
            }
            if entry.get("RoleMappings"):
                body["RoleMappings"] = dict(entry["RoleMappings"])
        return body

    @staticmethod
    def _describe(identity: Identity) -> dict[str, Any]:
        body: dict[str, Any] = {
            "IdentityId": identity.identity_id,
            "CreationDate": identity.creation_date,
            "LastModifiedDate": identity.last_modified_date,
        }
        if identity.authenticated:
            body["Logins"] = identity.logins_keys()
        return body

    def _describe_identity(self, params: Params, endpoint: str) -> dict[str, Any]:
        identity_id = _require_id(params, "IdentityId")
        identity = self.store.describe(identity_id)
        if identity is None:
            raise AwsError("ResourceNotFoundException", f"Identity '{identity_id}' not found.")
        return self._describe(identity)

    def _list_identities(self, params: Params, endpoint: str) -> dict[str, Any]:
        pool = self._pool(_require_id(params, "IdentityPoolId"))
        max_results = params.get("MaxResults", 60)
        if (
            isinstance(max_results, bool)
            or not isinstance(max_results, int)
            or not (1 <= max_results <= 60)
        ):
            raise _validation(max_results, "maxResults", "Member must be between 1 and 60")
        try:
            start = int(params.get("NextToken") or 0)
        except (TypeError, ValueError):
            raise AwsError("InvalidParameterException", "Invalid NextToken.") from None
        identities = self.store.list(pool.identity_pool_id)
        page = identities[start : start + max_results]
        body: dict[str, Any] = {
            "IdentityPoolId": pool.identity_pool_id,
            "Identities": [self._describe(i) for i in page],
        }
        if start + max_results < len(identities):
            body["NextToken"] = str(start + max_results)
        return body

    def _delete_identities(self, params: Params, endpoint: str) -> dict[str, Any]:
        ids = params.get("IdentityIdsToDelete")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 60:
            raise _validation(
                ids, "identityIdsToDelete", "Member must have length between 1 and 60"
            )
        for identity_id in ids:
            if isinstance(identity_id, str):
                self.store.delete(identity_id)
                self.issued.revoke_identity(identity_id)
        return {"UnprocessedIdentityIds": []}


def _endpoint_url(environ: dict[str, Any]) -> str:
    """This server's own base URL (where moto serves user-pool JWKS)."""
    return f"{environ.get('wsgi.url_scheme', 'http')}://{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
