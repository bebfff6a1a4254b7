"""Types as a tested contract.

* mypy passes with ``pyproject.toml``'s ``[tool.mypy]`` config (strict for ``core``, ``aws``,
  ``oidc``, ``cognito`` and ``auth``; default elsewhere);
* the module-level functions of :mod:`nbauth.api` spell out the keywords and return types of the
  :class:`~nbauth.Auth` methods they delegate to (no ``**kwargs: Any``, no ``-> Any``);
* AWS's answers become typed errors once, at :func:`nbauth.aws.error_mapping.map_aws_error`,
  and the code that reacts to them switches on the type, not on the message.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from nbauth import api, errors
from nbauth.auth import Auth
from nbauth.aws.credentials_provider import IdentityPoolCredentialsProvider
from nbauth.aws.error_mapping import map_aws_error
from nbauth.core.storage import MemoryStorage
from nbauth.core.values import AWSCredentials

ROOT = Path(__file__).resolve().parent.parent


# -- mypy -------------------------------------------------------------------------------------


@pytest.mark.timeout(600)
def test_mypy_passes_with_the_project_config() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],  # files and flags from pyproject.toml's [tool.mypy]
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=570,
        check=False,
    )
    output = result.stdout + result.stderr
    if "No module named mypy" in output:
        pytest.fail("mypy is not installed: pip install -e '.[dev]'")
    assert result.returncode == 0, f"mypy found errors:\n{output}"


# -- the module-level API mirrors Auth ----------------------------------------------------------


def _delegating_functions() -> list[str]:
    return sorted(name for name in api.__all__ if callable(getattr(Auth, name, None)))


def _shape(parameters: Mapping[str, inspect.Parameter]) -> list[tuple[str, Any, Any, Any]]:
    return [
        (p.name, p.kind, p.default, p.annotation) for p in parameters.values() if p.name != "self"
    ]


def test_every_delegating_function_is_checked() -> None:
    names = _delegating_functions()
    assert "sign_in" in names and "sign_in_with_redirect" in names
    assert len(names) >= 18


@pytest.mark.parametrize("name", _delegating_functions())
def test_api_function_mirrors_the_auth_method(name: str) -> None:
    function: Callable[..., Any] = getattr(api, name)
    method: Callable[..., Any] = getattr(Auth, name)
    ours, theirs = inspect.signature(function), inspect.signature(method)
    assert _shape(ours.parameters) == _shape(theirs.parameters)
    assert ours.return_annotation == theirs.return_annotation
    assert ours.return_annotation not in ("Any", inspect.Signature.empty)


def test_configure_takes_what_auth_takes() -> None:
    ours = _shape(inspect.signature(api.configure).parameters)
    theirs = {p[0]: p for p in _shape(inspect.signature(Auth.__init__).parameters)}
    for parameter in ours:
        assert parameter == theirs[parameter[0]]


def test_no_api_function_returns_any_or_forwards_untyped_keywords() -> None:
    for name in api.__all__:
        signature = inspect.signature(getattr(api, name))
        assert signature.return_annotation not in ("Any", inspect.Signature.empty), name
        for parameter in signature.parameters.values():
            if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                # Only where the Auth method forwards them too: settings, boto3.Session's.
                assert name in ("configure", "boto3_session"), name


# -- AWS's answers become typed errors once ------------------------------------------------------


def _client_error(code: str, message: str, operation: str = "GetCredentialsForIdentity") -> Any:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}},
        operation,
    )


@pytest.mark.parametrize(
    ("code", "message", "cls"),
    [
        (
            "NotAuthorizedException",
            "Access to Identity 'us-east-1:0000' is forbidden.",
            errors.IdentityForbiddenError,
        ),
        (
            "NotAuthorizedException",
            "Invalid login token. Token expired: 1700000100 >= 1700000000",
            errors.LoginTokenExpiredError,
        ),
        (
            "NotAuthorizedException",
            "Invalid session for the user, session is expired.",
            errors.SignInSessionExpiredError,
        ),
        (
            "NotAuthorizedException",
            "Invalid login token. Issuer doesn't match providerName",
            errors.NotAuthorizedError,
        ),
        ("NotAuthorizedException", "Invalid session for the user.", errors.NotAuthorizedError),
        (
            "NotAuthorizedException",
            "Access to Role 'arn:aws:iam::1:role/x' is forbidden.",
            errors.NotAuthorizedError,
        ),
        (
            "ResourceNotFoundException",
            "Identity 'us-east-1:0000' not found.",
            errors.IdentityNotFoundError,
        ),
        (
            "ResourceNotFoundException",
            "IdentityPool 'us-east-1:1111' not found.",
            errors.IdentityPoolNotFoundError,
        ),
        (
            "ResourceNotFoundException",
            "User pool client 123 does not exist.",
            errors.ResourceNotFoundError,
        ),
    ],
)
def test_one_code_different_meanings_become_subclasses(
    code: str, message: str, cls: type[errors.AuthError]
) -> None:
    err = map_aws_error(_client_error(code, message), "GetCredentialsForIdentity")
    assert type(err) is cls
    assert err.name == code  # the AWS code, whatever the class
    assert message in err.message
    if cls not in (errors.NotAuthorizedError, errors.ResourceNotFoundError):
        assert err.recovery_suggestion == cls.default_recovery  # the subclass's own advice


def test_new_error_classes_are_exported_and_documented() -> None:
    for cls in (
        errors.IdentityForbiddenError,
        errors.IdentityNotFoundError,
        errors.IdentityPoolNotFoundError,
        errors.LoginTokenExpiredError,
    ):
        assert cls.__name__ in errors.__all__
        assert cls.__doc__ and cls.default_recovery != errors.AuthError.default_recovery
        assert cls.retryable is False
    assert issubclass(errors.LoginTokenExpiredError, errors.ProviderTokenExpiredError)
    assert issubclass(errors.IdentityForbiddenError, errors.NotAuthorizedError)
    assert issubclass(errors.IdentityNotFoundError, errors.ResourceNotFoundError)


class _FakePool:
    """An identity-pool client whose GetCredentialsForIdentity refuses chosen ids."""

    identity_pool_id = "us-east-1:pool"

    def __init__(self, refusals: dict[str, errors.AuthError]) -> None:
        self.refusals = refusals
        self.new_ids = iter(["us-east-1:new-1", "us-east-1:new-2"])
        self.get_id_calls = 0

    def get_id(self, logins: Mapping[str, str]) -> str:
        self.get_id_calls += 1
        return next(self.new_ids)

    def get_credentials_for_identity(
        self, identity_id: str, logins: Mapping[str, str], custom_role_arn: str | None = None
    ) -> tuple[str, AWSCredentials]:
        if identity_id in self.refusals:
            raise self.refusals[identity_id]
        return identity_id, AWSCredentials("AKIA", "secret", "token", 4102444800.0)


def _provider(refusal: errors.AuthError) -> tuple[IdentityPoolCredentialsProvider, _FakePool]:
    pool = _FakePool({"us-east-1:cached": refusal})
    storage = MemoryStorage()
    provider = IdentityPoolCredentialsProvider(pool, storage)  # type: ignore[arg-type]  # a fake
    storage.set(provider.cache_key({}), "us-east-1:cached")
    return provider, pool


@pytest.mark.parametrize(
    "refusal",
    [
        map_aws_error(
            _client_error("NotAuthorizedException", "Access to Identity 'x' is forbidden."), "G"
        ),
        map_aws_error(_client_error("ResourceNotFoundException", "Identity 'x' not found."), "G"),
    ],
    ids=["forbidden", "not-found"],
)
def test_a_cached_identity_id_the_pool_rejects_is_replaced_once(
    refusal: errors.AuthError,
) -> None:
    provider, pool = _provider(refusal)
    result = provider.credentials_for({})
    assert result.identity_id == "us-east-1:new-1"
    assert pool.get_id_calls == 1
    assert provider.cached_identity_id({}) == "us-east-1:new-1"


@pytest.mark.parametrize(
    "refusal",
    [
        # Same code, other meanings: the cached id is not the problem, so it is kept.
        map_aws_error(_client_error("NotAuthorizedException", "Invalid login token."), "G"),
        map_aws_error(
            _client_error("ResourceNotFoundException", "IdentityPool 'x' not found."), "G"
        ),
        # A message that merely mentions an identity, as a plain error: the type decides.
        errors.NotAuthorizedError("Access to Identity 'x' is forbidden."),
    ],
    ids=["untrusted-token", "pool-not-found", "untyped"],
)
def test_other_refusals_keep_the_cached_identity_id(refusal: errors.AuthError) -> None:
    provider, pool = _provider(refusal)
    with pytest.raises(type(refusal)):
        provider.credentials_for({})
    assert pool.get_id_calls == 0
    assert provider.cached_identity_id({}) == "us-east-1:cached"
