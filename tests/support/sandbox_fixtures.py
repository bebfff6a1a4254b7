"""Fixtures for the tiers that run against the sandbox: integration, sandbox, notebook, browser.

A tier's ``conftest.py`` loads them with::

    from tests.support.sandbox_fixtures import *  # noqa: F403

so pytest registers them for that directory only: ``tests/unit`` never sees them, and never
imports moto or ``nbauth.sandbox`` (``pytest_plugins`` would do, but only in the root conftest,
which every tier loads). ``__all__`` lists the fixtures.

One sandbox serves the whole run, whichever and however many tiers load these fixtures: ``sb``
is session-scoped in each tier, and all of them hand out the same running sandbox (kept in the
pytest config's stash; stopped when pytest unconfigures). The same holds for ``oidc_issuer``.

``_reset_shared_sandbox`` (autouse) restores everything a test can change on the shared
sandbox, after every test that used it (see :func:`reset_shared_sandbox`). Tests change what
they need and leave the restoring to it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.aws_clients import unsigned_client
from tests.support.idp_client import IdpTestClient
from tests.support.oidc_issuer import OIDC_CLIENT_ID, OidcTestIssuer
from tests.support.user_pool_tokens import UserPoolTokenMint, moto_user_pool_key

if TYPE_CHECKING:
    from nbauth.sandbox import Sandbox

__all__ = [
    "_reset_shared_sandbox",
    "admin",
    "cognito_idp",
    "identity",
    "idp",
    "mint_user_pool_token",
    "new_user",
    "oidc_issuer",
    "oidc_key",
    "pool_user",
    "sb",
]

#: What the shared sandbox starts with, and what :func:`reset_shared_sandbox` restores.
CREDENTIALS_LIFETIME = 3600
ALLOW_GUEST = True

_SANDBOX = pytest.StashKey["Sandbox"]()
_OIDC_ISSUER = pytest.StashKey[OidcTestIssuer]()


def shared_sandbox(config: pytest.Config) -> Sandbox:
    """The run's sandbox, started on first use and stopped when pytest unconfigures."""
    running = config.stash.get(_SANDBOX, None)
    if running is None:
        import nbauth.sandbox

        running = nbauth.sandbox.start(
            credentials_lifetime=CREDENTIALS_LIFETIME, allow_guest=ALLOW_GUEST
        )
        config.stash[_SANDBOX] = running
        config.add_cleanup(running.stop)
    return running


def reset_shared_sandbox(sb: Sandbox) -> None:
    """Back to how the shared sandbox started, as far as a test can change it.

    Restored: injected faults and outages (AWS and IdP), call counts (AWS and IdP), the
    credentials lifetime, the IdP's token and device-code lifetimes, the user pool (triggers,
    its clock, sent messages, token lifetimes, pool MFA), guest access.

    Not restored (additive, and harmless to other tests, which make their own): users,
    identities and their merges, trusted OIDC issuers, per-user MFA, disabled users, revoked
    refresh tokens.
    """
    sb.clear_faults()
    sb.reset_calls()
    sb.reset_idp_calls()
    sb.set_credentials_lifetime(CREDENTIALS_LIFETIME)
    sb.reset_token_lifetimes()
    sb.reset_user_pool()
    if sb.config["auth"]["unauthenticated_identities_enabled"] != ALLOW_GUEST:
        sb.set_guest_access(ALLOW_GUEST)


@pytest.fixture(autouse=True)
def _reset_shared_sandbox(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test that used ``sb`` (directly or through another fixture)."""
    yield
    if "sb" not in request.fixturenames:
        return
    shared = request.config.stash.get(_SANDBOX, None)
    if shared is not None and shared.running:
        reset_shared_sandbox(shared)


@pytest.fixture(scope="session")
def sb(request: pytest.FixtureRequest) -> Sandbox:
    """The shared sandbox. Tests may change it: ``_reset_shared_sandbox`` restores it."""
    return shared_sandbox(request.config)


@pytest.fixture(scope="session")
def identity(sb: Sandbox) -> Any:
    """Unsigned cognito-identity client, as Amplify in a browser would use."""
    return unsigned_client("cognito-identity", sb.aws_endpoint_url, max_pool_connections=40)


@pytest.fixture(scope="session")
def admin(sb: Sandbox) -> Any:
    """Signed cognito-identity client with the fake admin keys."""
    return sb.client("cognito-identity")


@pytest.fixture(scope="session")
def cognito_idp(sb: Sandbox) -> Any:
    """Unsigned cognito-idp client, as Amplify in a browser would use."""
    return unsigned_client("cognito-idp", sb.aws_endpoint_url)


@pytest.fixture(scope="session")
def mint_user_pool_token(sb: Sandbox) -> UserPoolTokenMint:
    """Tokens that look like the sandbox user pool's (see ``tests.support.user_pool_tokens``)."""
    return UserPoolTokenMint(sb, moto_user_pool_key())


@pytest.fixture(scope="session")
def oidc_issuer(request: pytest.FixtureRequest) -> OidcTestIssuer:
    """A test OpenID issuer on 127.0.0.1 (one per run, closed when pytest unconfigures)."""
    issuer = request.config.stash.get(_OIDC_ISSUER, None)
    if issuer is None:
        issuer = OidcTestIssuer()
        request.config.stash[_OIDC_ISSUER] = issuer
        request.config.add_cleanup(issuer.close)
    return issuer


@pytest.fixture(scope="session")
def oidc_key(sb: Sandbox, oidc_issuer: OidcTestIssuer) -> str:
    """The test issuer, trusted by the shared sandbox; returns its Logins key."""
    return sb.add_oidc_provider(oidc_issuer.issuer, [OIDC_CLIENT_ID])


@pytest.fixture(scope="session")
def idp(sb: Sandbox) -> IdpTestClient:
    """A test client for the shared sandbox's IdP."""
    return IdpTestClient(sb)


@pytest.fixture
def new_user(sb: Sandbox) -> Callable[[], tuple[str, str]]:
    """``new_user()``: a fresh confirmed user; (username, id token)."""

    def make() -> tuple[str, str]:
        username = f"user-{uuid.uuid4().hex[:10]}"
        sb.create_user(username, "Passw0rd!-x", {"email": f"{username}@example.com"})
        return username, sb.id_token(username)

    return make


@pytest.fixture
def pool_user(sb: Sandbox) -> Callable[..., tuple[str, str]]:
    """``pool_user(**attributes)``: a fresh confirmed user with an email; (username, password)."""

    def make(**attributes: str) -> tuple[str, str]:
        username = f"up-{uuid.uuid4().hex[:10]}"
        password = f"Pw-{uuid.uuid4().hex[:12]}!"
        sb.create_user(username, password, {"email": f"{username}@example.com", **attributes})
        return username, password

    return make
