"""The composition root of an ``Auth``: builds its parts and wires them to each other.

Credentials pipeline ← session reader (token sources, hooks) ← session control (the state
machine, the sign-in host) → OIDC and user-pool sign-in services, federation. A session an
earlier kernel left in storage is restored here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..config import AuthConfig
from ..core.protocols import CredentialsProvider, TokenProvider
from ..core.storage import KeyValueStorage
from ..events import Hub
from .credentials_pipeline import CredentialsPipeline
from .federation import Federation
from .oidc_sign_in import OIDCSignIn
from .session_control import SessionControl
from .session_reader import SessionReader
from .token_sources import UserTokenSource
from .user_pool_sign_in import USER_POOL_PROVIDER, UserPoolSignInService
from .user_session import UserSession

if TYPE_CHECKING:
    from ..oidc.token_client import TokenClient

__all__ = ["AuthParts", "assemble"]


@dataclass(frozen=True)
class AuthParts:
    pipeline: CredentialsPipeline
    control: SessionControl
    reader: SessionReader
    oidc: OIDCSignIn
    user_pool: UserPoolSignInService
    federation: Federation


def assemble(
    config: AuthConfig,
    storage: KeyValueStorage,
    *,
    hub: Hub,
    clock: Callable[[], float],
    random: Callable[[], float],
    credentials_provider: CredentialsProvider | None,
    client_metadata_provider: Callable[[], Mapping[str, str]] | None,
    token_provider: Callable[[], TokenProvider | None],
    custom_source: Callable[[], UserTokenSource | None],
) -> AuthParts:
    """Build the parts of one ``Auth`` (``token_provider``/``custom_source`` read its current
    custom token provider, which ``Auth.set_token_provider`` may change)."""
    reader: SessionReader | None = None

    def the_reader() -> SessionReader:
        assert reader is not None  # set below, before any hook can run
        return reader

    pipeline = CredentialsPipeline(
        config,
        storage,
        source=lambda: the_reader().token_source(),
        credentials_provider=credentials_provider,
        clock=clock,
        random=random,
        on_refreshed=lambda fetched: the_reader().on_credentials_refreshed(fetched),
        on_failed=lambda error: the_reader().on_credentials_failed(error),
    )
    control = SessionControl(
        config,
        storage,
        hub=hub,
        clock=clock,
        policy=pipeline.engine.policy,
        on_transition=lambda _state: the_reader().on_transition(),
        on_user_tokens_refreshed=lambda: the_reader().on_user_tokens_refreshed(),
    )
    reader = SessionReader(
        control,
        pipeline,
        custom_source=custom_source,
        clock=clock,
        guests_allowed=credentials_provider is None,
    )
    oidc = OIDCSignIn(control)
    user_pool = UserPoolSignInService(control, client_metadata_provider)

    def client_for_stored(name: str) -> TokenClient | None:
        if name == USER_POOL_PROVIDER:
            return user_pool.client()
        return oidc.client_for_stored(name)

    user = control.users.restore(client_for_stored)
    if user is not None:
        control.restore(user, _provider_of(user))
    federation = Federation(control, pipeline, token_provider, clock=clock)
    return AuthParts(pipeline, control, reader, oidc, user_pool, federation)


def _provider_of(user: UserSession) -> str:
    client = getattr(user, "client", None)
    spec = getattr(client, "spec", None)
    return str(getattr(spec, "name", "") or "")
