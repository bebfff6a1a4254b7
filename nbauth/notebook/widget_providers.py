"""The login widget's provider picker: which sign-in methods a configuration offers.

Example::

    >>> from nbauth.config import load_config
    >>> config = load_config({"nbauth": {"oidc_providers": {
    ...     "corp": {"issuer": "https://idp.example.com", "client_id": "abc"}}}})
    >>> [o.label for o in provider_options(config)]
    ['corp']
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from ..errors import ConfigurationError, InvalidParameterError

__all__ = ["USER_POOL_LABEL", "ProviderOption", "provider_options"]

#: The picker's label for the Cognito user pool (username + password).
USER_POOL_LABEL = "Cognito user pool"

_SOCIAL_LABELS = {
    "google": "Google",
    "facebook": "Facebook",
    "amazon": "Amazon",
    "loginwithamazon": "Amazon",
    "login_with_amazon": "Amazon",
    "apple": "Apple",
    "signinwithapple": "Apple",
    "sign_in_with_apple": "Apple",
    "cognito": "Cognito",
}


class ProviderOption(NamedTuple):
    """One entry of the provider picker.

    ``kind`` is ``"oidc"`` (a provider of ``nbauth.oidc_providers``: device code and browser),
    ``"user_pool"`` (username + password; the browser button uses Cognito managed login) or
    ``"managed_login"`` (a social provider of ``auth.oauth.identity_providers``: browser only).
    """

    kind: str
    name: str | None
    label: str

    def matches(self, wanted: str) -> bool:
        """Whether ``wanted`` names this option (its name, label or short label; any case)."""
        key = wanted.strip().lower()
        names = {self.label.lower()}
        if self.name:
            names |= {self.name.lower(), _SOCIAL_LABELS.get(self.name.lower(), "").lower()}
        if self.kind == "user_pool":
            names |= {"user_pool", "userpool", "user pool", "cognito"}
        return key in names - {""}


def provider_options(config: Any, providers: Iterable[str] | None = None) -> list[ProviderOption]:
    """The picker's entries for an :class:`~nbauth.AuthConfig`: OIDC providers (the default
    first), the user pool when configured, then Cognito managed login's social providers.

    ``providers`` keeps only the named ones, in that order (names, labels, ``"user_pool"``).

    Example::

        options = provider_options(auth.config, ["sandbox", "user_pool"])
    """
    oidc = list(config.oidc_providers)
    if config.default_provider in oidc:
        oidc.remove(config.default_provider)
        oidc.insert(0, config.default_provider)
    options = [ProviderOption("oidc", name, name) for name in oidc]
    if config.user_pool_id and config.user_pool_client_id:
        options.append(ProviderOption("user_pool", None, USER_POOL_LABEL))
    if config.oauth is not None:
        for idp in config.oauth.identity_providers:
            label = _SOCIAL_LABELS.get(idp.lower(), idp)
            options.append(ProviderOption("managed_login", idp, f"{label} (Cognito managed login)"))
    if not options:
        raise ConfigurationError(
            "Nothing to sign in to: no OIDC provider, user pool or Cognito managed login is "
            "configured.",
            "Add nbauth.oidc_providers, auth.user_pool_id/user_pool_client_id or auth.oauth to "
            "amplify_outputs.json.",
        )
    if providers is None:
        return options
    chosen: list[ProviderOption] = []
    for wanted in [providers] if isinstance(providers, str) else providers:
        match = next((o for o in options if o.matches(str(wanted))), None)
        if match is None:
            known = ", ".join(o.label for o in options)
            raise InvalidParameterError(
                f"Unknown provider {wanted!r} for the login widget (configured: {known}).",
                "Pass names of configured providers, or leave providers out to offer them all.",
            )
        if match not in chosen:
            chosen.append(match)
    if not chosen:
        raise InvalidParameterError("providers must name at least one provider.")
    return chosen
