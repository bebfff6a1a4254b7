"""Cognito managed login (the Hosted UI) as an OAuth 2.0 provider.

``sign_in_with_redirect(provider="Google")`` against the configured ``auth.oauth.domain`` sends
Cognito's ``identity_provider`` parameter, as Amplify does. The paths are Cognito's
(``/oauth2/authorize``, ``/oauth2/token``, ``/oauth2/revoke``, ``/oauth2/userInfo``, ``/logout``)
and the tokens are user-pool tokens: issuer ``https://cognito-idp.<region>.amazonaws.com/<pool>``,
verified against the pool's JWKS, federated under the user pool's Logins key. The JWKS URL follows
botocore's endpoint for ``cognito-idp`` (``AWS_ENDPOINT_URL``…), so a local emulator works too.
"""

from __future__ import annotations

from ..config import AuthConfig
from ..errors import ConfigurationError
from ..oidc.client import ProviderSpec
from ..oidc.discovery import ProviderMetadata

__all__ = ["IDENTITY_PROVIDERS", "identity_provider_name", "managed_login_spec"]

#: Amplify's names (and Gen 2 outputs' upper-case ones) → Cognito's identity_provider values.
IDENTITY_PROVIDERS = {
    "google": "Google",
    "facebook": "Facebook",
    "amazon": "LoginWithAmazon",
    "loginwithamazon": "LoginWithAmazon",
    "login_with_amazon": "LoginWithAmazon",
    "apple": "SignInWithApple",
    "signinwithapple": "SignInWithApple",
    "sign_in_with_apple": "SignInWithApple",
    "cognito": "COGNITO",
}


def identity_provider_name(provider: str) -> str:
    """Cognito's ``identity_provider`` value for an Amplify-style provider name."""
    return IDENTITY_PROVIDERS.get(provider.lower(), provider)


def _base_url(domain: str) -> str:
    if domain.startswith(("http://", "https://")):
        return domain.rstrip("/")
    host = domain.split("/", 1)[0].split(":", 1)[0]
    scheme = "http" if host in ("127.0.0.1", "localhost") else "https"
    return f"{scheme}://{domain.rstrip('/')}"


def _cognito_idp_endpoint(region: str, configured: str | None) -> str:
    """Where the user pool's JWKS is served: the configured ``user_pool_endpoint``, else
    botocore's endpoint for ``cognito-idp`` in ``region``."""
    if configured:
        return configured.rstrip("/")
    import boto3

    client = boto3.Session().client("cognito-idp", region_name=region)
    try:
        return str(client.meta.endpoint_url).rstrip("/")
    finally:
        client.close()


def managed_login_spec(config: AuthConfig, provider: str | None) -> ProviderSpec:
    """The provider spec for Cognito managed login with ``identity_provider=provider``."""
    oauth = config.oauth
    if oauth is None:
        raise ConfigurationError(
            "auth.oauth is not configured, so there is no Cognito managed login to sign in with.",
            "Add auth.oauth (domain, scopes, redirect_sign_in_uri) or configure an OIDC provider "
            "in nbauth.oidc_providers.",
        )
    if not (config.region and config.user_pool_id and config.user_pool_client_id):
        raise ConfigurationError(
            "Cognito managed login needs auth.aws_region, auth.user_pool_id and "
            "auth.user_pool_client_id.",
        )
    base = _base_url(oauth.domain)
    issuer = f"https://cognito-idp.{config.region}.amazonaws.com/{config.user_pool_id}"
    endpoint = _cognito_idp_endpoint(config.region, config.user_pool_endpoint)
    jwks_uri = f"{endpoint}/{config.user_pool_id}/.well-known/jwks.json"
    metadata = ProviderMetadata(
        issuer=issuer,
        token_endpoint=f"{base}/oauth2/token",
        jwks_uri=jwks_uri,
        authorization_endpoint=f"{base}/oauth2/authorize",
        revocation_endpoint=f"{base}/oauth2/revoke",
        userinfo_endpoint=f"{base}/oauth2/userInfo",
        end_session_endpoint=f"{base}/logout",
        code_challenge_methods_supported=("S256",),
    )
    params: tuple[tuple[str, str], ...] = ()
    if provider:
        params = (("identity_provider", identity_provider_name(provider)),)
    return ProviderSpec(
        name=f"cognito:{provider or 'managed-login'}",
        issuer=issuer,
        client_id=config.user_pool_client_id,
        scopes=oauth.scopes,
        logins_key=config.user_pool_logins_key,
        metadata=metadata,
        authorize_params=params,
        cognito=True,
        redirect_uris=oauth.redirect_sign_in_uri,
        kind="cognito",
    )
