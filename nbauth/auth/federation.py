"""``federate_to_identity_pool``: checks its arguments, gets the credentials, then enters the
federated state — a failed call leaves the previous state untouched."""

from __future__ import annotations

from collections.abc import Callable

from ..core.logins import AuthProvider, LoginsProvider
from ..core.protocols import TokenProvider
from ..core.values import FederateToIdentityPoolResult
from ..errors import InvalidParameterError, InvalidTokenError
from .credentials_pipeline import CredentialsPipeline
from .session_control import SessionControl
from .state import Federate, State, check_can_federate
from .token_sources import FederationTokenSource

__all__ = ["Federation", "check_federation_arguments"]


class Federation:
    """Federates a provider's token into the identity pool, as Amplify's native SDKs do."""

    def __init__(
        self,
        control: SessionControl,
        pipeline: CredentialsPipeline,
        token_provider: Callable[[], TokenProvider | None],
        *,
        clock: Callable[[], float],
    ) -> None:
        self._control = control
        self._pipeline = pipeline
        self._token_provider = token_provider
        self._clock = clock

    def federate(
        self,
        token: str,
        provider: LoginsProvider | str,
        *,
        developer_provided_identity_id: str | None = None,
        custom_role_arn: str | None = None,
    ) -> FederateToIdentityPoolResult:
        """Exchange an identity provider's token for identity-pool AWS credentials.

        ``provider`` is an :class:`~nbauth.AuthProvider` (``AuthProvider.GOOGLE``,
        ``AuthProvider.oidc(issuer)``, …), a provider name, an issuer URL or a Logins key.
        With ``developer_provided_identity_id`` (from ``GetOpenIdTokenForDeveloperIdentity``,
        used with ``AuthProvider.DEVELOPER``), ``GetId`` is skipped and that identity is used.
        Refused while a user-pool user is signed in (nbauth federates that user by itself).
        A failed call leaves the previous state untouched.

        Example::

            result = auth.federate_to_identity_pool(google_id_token, AuthProvider.GOOGLE)
            result.identity_id, result.credentials.expiration
        """
        check_federation_arguments(token, developer_provided_identity_id, custom_role_arn)
        resolved = AuthProvider.resolve(provider)
        self._pipeline.config.require_identity_pool()
        check_can_federate(self._control.state)  # again at the transition: a race is refused
        source = FederationTokenSource(
            resolved,
            token.strip(),
            developer_identity_id=developer_provided_identity_id,
            custom_role_arn=custom_role_arn,
            renew=self._token_provider(),
            clock=self._clock,
            on_expired=self._expired,
        )
        fetched = self._pipeline.credentials_for(source, source.login())  # before any change
        if fetched is None:  # pragma: no cover - a login yields credentials or raises
            raise InvalidTokenError("The identity pool gave no credentials for this token.")

        def install(_state: State) -> None:
            self._pipeline.engine.set(fetched)

        self._control.apply(Federate(source, fetched.identity_id), effect=install)
        return FederateToIdentityPoolResult(fetched.identity_id or "", fetched.credentials)

    def _expired(self, logins_key: str) -> None:
        self._control.emit(
            "sessionExpired", {"provider": logins_key}, "The federated provider's token expired"
        )


def check_federation_arguments(
    token: object, developer_provided_identity_id: object, custom_role_arn: object
) -> None:
    """Raise a typed error naming the bad argument and what to pass instead."""
    if not isinstance(token, str) or not token.strip():
        raise InvalidTokenError(
            "federate_to_identity_pool() needs the provider's token as a non-empty string.",
        )
    if developer_provided_identity_id is not None and (
        not isinstance(developer_provided_identity_id, str)
        or ":" not in developer_provided_identity_id
    ):
        raise InvalidParameterError(
            f"developer_provided_identity_id must look like '<region>:<uuid>', got "
            f"{developer_provided_identity_id!r}.",
            "Pass the IdentityId returned by GetOpenIdTokenForDeveloperIdentity.",
        )
    if custom_role_arn is not None and not str(custom_role_arn).startswith("arn:"):
        raise InvalidParameterError(
            f"custom_role_arn must be an IAM role ARN, got {custom_role_arn!r}.",
            "Pass arn:aws:iam::<account>:role/<name>, or leave it out.",
        )
