"""The login widget's provider picker: which sign-in methods a configuration offers.

Example::

    >>> from nbauth.config import load_config
    >>> config = load_config({"nbauth": {"oidc_providers": {
    ...     "corp": {"issuer": "https://idp.example.com", "client_id": "abc"}}}})
    >>> [o.label for o in provider_options(config)]
    ['Corp']

Labels are what a person reads: an OIDC provider's ``display_name`` from the configuration, else
its name with capitalised words ("corp-sso" → "Corp Sso"); Cognito managed login's providers by
their brand names ("Google", "Sign in with Apple"; SAML and OIDC providers as configured); the
user pool "Username and password".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from ..errors import ConfigurationError, InvalidParameterError

__all__ = [
    "USER_POOL_LABEL",
    "ProviderOption",
    "provider_label",
    "provider_options",
    "readable_name",
]

#: The picker's label for the Cognito user pool (username + password).
USER_POOL_LABEL = "Username and password"

# Cognito managed login's providers (auth.oauth.identity_providers, as Amplify spells them):
# (the brand's name for signing in with it, a short name the widget's providers= accepts).
_SOCIAL: dict[str, tuple[str, str]] = {
    "google": ("Google", "google"),
    "facebook": ("Facebook", "facebook"),
    "amazon": ("Login with Amazon", "amazon"),
    "loginwithamazon": ("Login with Amazon", "amazon"),
    "login_with_amazon": ("Login with Amazon", "amazon"),
    "apple": ("Sign in with Apple", "apple"),
    "signinwithapple": ("Sign in with Apple", "apple"),
    "sign_in_with_apple": ("Sign in with Apple", "apple"),
    "cognito": ("Username and password (sign-in page)", "cognito"),
}


def readable_name(name: str) -> str:
    """``name`` with capitalised words: "corp-sso" → "Corp Sso"; a word that already has a
    capital ("GitHub") is kept as written."""
    words = [w for w in re.split(r"[\s_\-.]+", name) if w]
    return " ".join(w if w != w.lower() else w.capitalize() for w in words) or name


def provider_label(config: Any, kind: str, name: str | None) -> str:
    """The label a person reads for one provider of ``config`` (see the module's docstring)."""
    if kind == "user_pool" or name is None:
        return USER_POOL_LABEL
    if kind == "oidc":
        provider = config.oidc_providers.get(name)
        display = getattr(provider, "display_name", None)
        return str(display) if display else readable_name(name)
    return _SOCIAL.get(name.lower(), (name, ""))[0]  # SAML/OIDC: the name configured


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
            names |= {self.name.lower(), _SOCIAL.get(self.name.lower(), ("", ""))[1]}
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
    options = [ProviderOption("oidc", name, provider_label(config, "oidc", name)) for name in oidc]
    if config.user_pool_id and config.user_pool_client_id:
        options.append(ProviderOption("user_pool", None, USER_POOL_LABEL))
    if config.oauth is not None:
        for idp in config.oauth.identity_providers:
            label = provider_label(config, "managed_login", idp)
            options.append(ProviderOption("managed_login", idp, label))
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
