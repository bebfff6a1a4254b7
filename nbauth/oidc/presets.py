"""Presets for well-known OpenID providers: ``nbauth.oidc_providers.<name>.preset``.

A preset fills what the user did not write (scopes, extra authorization-request parameters,
whether the provider has a device flow) and checks the issuer's form, so a typo in a tenant URL
is reported at ``configure()`` time instead of as a failed discovery or an identity pool that
refuses the token. What the user writes always wins over the preset.

Each default has a reason (see ``docs/identity-providers.md``):

* ``google``: ``offline_access`` is not a Google scope (Google refuses the request); a refresh
  token comes from ``access_type=offline``, and again on later sign-ins only with
  ``prompt=consent``. The device flow works only for "TVs and Limited Input devices" clients,
  so it is left to the client (``device_flow`` unknown).
* ``entra``, ``okta``, ``auth0``, ``keycloak``: ``offline_access`` asks for a refresh token.
* ``cognito`` (a user pool as an OpenID provider): Cognito issues refresh tokens without
  ``offline_access`` and refuses scopes the app client does not allow; managed login has no
  device authorization endpoint.

This module is data and pure checks only (no network, no Authlib), so ``nbauth.config`` can
import it without making ``import nbauth`` heavier.

Example::

    preset = PRESETS["google"]
    preset.check_issuer("https://accounts.google.com", "nbauth.oidc_providers.g.issuer")
    preset.scopes  # ("openid", "email", "profile")
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ConfigurationError

__all__ = ["FORBIDDEN_AUTHORIZE_PARAMS", "PRESETS", "Preset"]

#: Parameters nbauth sets itself on every authorization request: configuration may not override
#: them (they carry PKCE, CSRF and replay protection, or name the client and where the code goes).
FORBIDDEN_AUTHORIZE_PARAMS = frozenset(
    {
        "client_id",
        "code_challenge",
        "code_challenge_method",
        "nonce",
        "redirect_uri",
        "response_type",
        "scope",
        "state",
    }
)


@dataclass(frozen=True)
class Preset:
    """What nbauth knows about one kind of provider."""

    name: str
    #: The provider's name as people know it.
    title: str
    #: The issuer, as the provider writes it in its ID tokens' ``iss``.
    issuer_pattern: re.Pattern[str]
    #: The expected issuer form, in words, for error messages.
    issuer_form: str
    scopes: tuple[str, ...]
    authorize_params: tuple[tuple[str, str], ...] = ()
    #: ``True``: offered; ``False``: the provider has none; ``None``: depends on the client.
    device_flow: bool | None = None
    #: Why ``device_flow`` is what it is, for messages and docs.
    device_flow_note: str = ""

    def check_issuer(self, issuer: str, path: str) -> None:
        """Raise :class:`ConfigurationError` when ``issuer`` is not of this provider's form."""
        if not self.issuer_pattern.match(issuer):
            raise ConfigurationError(
                f"{path}: {issuer!r} is not a {self.title} issuer; preset {self.name!r} expects "
                f"{self.issuer_form}.",
                f"Use the issuer exactly as {self.title} writes it in its ID tokens ('iss'; it is "
                "also the 'issuer' of <issuer>/.well-known/openid-configuration), or remove "
                "'preset' for another provider.",
            )


_SEGMENT = r"[A-Za-z0-9._~-]+"

PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            name="google",
            title="Google",
            issuer_pattern=re.compile(r"^https://accounts\.google\.com\Z"),
            issuer_form="'https://accounts.google.com' (no trailing slash)",
            scopes=("openid", "email", "profile"),
            authorize_params=(("access_type", "offline"), ("prompt", "consent")),
            device_flow=None,
            device_flow_note=(
                "Google offers the device flow only to OAuth clients of type "
                "'TVs and Limited Input devices'"
            ),
        ),
        Preset(
            name="entra",
            title="Microsoft Entra ID",
            # A tenant id or domain; 'common', 'organizations' and 'consumers' are sign-in
            # endpoints for many tenants whose tokens name the user's own tenant in 'iss'.
            issuer_pattern=re.compile(
                r"^https://login\.microsoftonline\.com/"
                r"(?!(?:common|organizations|consumers)/)[A-Za-z0-9.-]+/v2\.0\Z"
            ),
            issuer_form=(
                "'https://login.microsoftonline.com/<tenant id>/v2.0' (a tenant id or domain, "
                "not 'common', 'organizations' or 'consumers')"
            ),
            scopes=("openid", "profile", "email", "offline_access"),
            device_flow=True,
            device_flow_note="Entra ID needs 'Allow public client flows' on the app registration",
        ),
        Preset(
            name="okta",
            title="Okta",
            issuer_pattern=re.compile(rf"^https://{_SEGMENT}(?:/oauth2/[A-Za-z0-9_-]+)?\Z"),
            issuer_form=(
                "'https://<org>.okta.com' (the org authorization server) or "
                "'https://<org>.okta.com/oauth2/<server id>' (e.g. /oauth2/default), "
                "no trailing slash"
            ),
            scopes=("openid", "profile", "email", "offline_access"),
            device_flow=True,
            device_flow_note="Okta needs the Device Authorization grant enabled on the app",
        ),
        Preset(
            name="auth0",
            title="Auth0",
            # Auth0 writes its issuer with a trailing slash, and tokens' 'iss' has it too.
            issuer_pattern=re.compile(rf"^https://{_SEGMENT}/\Z"),
            issuer_form=(
                "'https://<tenant>.auth0.com/' (or '<tenant>.<region>.auth0.com/' or your "
                "custom domain) WITH the trailing slash, as Auth0 writes it in 'iss'"
            ),
            scopes=("openid", "profile", "email", "offline_access"),
            device_flow=True,
            device_flow_note=(
                "Auth0 needs the Device Code grant enabled in the application's advanced settings"
            ),
        ),
        Preset(
            name="keycloak",
            title="Keycloak",
            issuer_pattern=re.compile(rf"^https://{_SEGMENT}(?:/{_SEGMENT})*?/realms/{_SEGMENT}\Z"),
            issuer_form=(
                "'https://<host>/realms/<realm>' ('https://<host>/auth/realms/<realm>' on "
                "Keycloak before 17)"
            ),
            scopes=("openid", "profile", "email", "offline_access"),
            device_flow=True,
            device_flow_note=(
                "Keycloak needs 'OAuth 2.0 Device Authorization Grant' enabled on the client"
            ),
        ),
        Preset(
            name="cognito",
            title="an Amazon Cognito user pool",
            issuer_pattern=re.compile(
                r"^https://cognito-idp\.([a-z]{2}(?:-[a-z]+)+-\d{1,2})\.amazonaws\.com/"
                r"\1_[0-9A-Za-z]+\Z"
            ),
            issuer_form="'https://cognito-idp.<region>.amazonaws.com/<user pool id>'",
            scopes=("openid", "email", "profile"),
            device_flow=False,
            device_flow_note="Cognito managed login has no device authorization endpoint",
        ),
    )
}
