"""Identity-pool ``Logins`` keys: which provider a token comes from.

Cognito identity pools take a map ``{provider_key: token}``. The keys are
fixed strings for the well-known social providers, the issuer without its
scheme for OpenID Connect providers, and
``cognito-idp.<region>.amazonaws.com/<pool id>`` for a user pool.

Example::

    >>> from nbauth import AuthProvider
    >>> AuthProvider.GOOGLE.logins_key
    'accounts.google.com'
    >>> AuthProvider.oidc("https://login.example.com/tenant/").logins_key
    'login.example.com/tenant'
    >>> AuthProvider.resolve("facebook").logins_key
    'graph.facebook.com'
"""

from __future__ import annotations

from ..errors import InvalidParameterError

__all__ = ["AuthProvider", "LoginsProvider", "logins_key_from_issuer"]


def logins_key_from_issuer(issuer: str) -> str:
    """The Logins key of an OpenID Connect issuer: the URL without scheme or trailing slash."""
    if not isinstance(issuer, str):
        raise InvalidParameterError(
            f"An issuer must be a URL string, got {type(issuer).__name__}.",
            "Pass the issuer URL of your OpenID Connect provider, e.g. https://idp.example.com.",
        )
    key = issuer.strip()
    for scheme in ("https://", "http://"):
        if key.lower().startswith(scheme):
            key = key[len(scheme) :]
            break
    key = key.rstrip("/")
    if not key or not key.split("/", 1)[0] or " " in key:
        raise InvalidParameterError(
            f"Cannot derive an identity-pool Logins key from issuer {issuer!r}.",
            "Pass the issuer URL of your OpenID Connect provider, e.g. https://idp.example.com.",
        )
    return key


class LoginsProvider:
    """A provider as the identity pool knows it; ``logins_key`` is its Logins map key."""

    __slots__ = ("logins_key", "name")

    def __init__(self, name: str, logins_key: str) -> None:
        self.name = name
        self.logins_key = logins_key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LoginsProvider) and other.logins_key == self.logins_key

    def __hash__(self) -> int:
        return hash(self.logins_key)

    def __repr__(self) -> str:
        return (
            f"AuthProvider.{self.name}"
            if self.name.isupper()
            else (f"LoginsProvider({self.name!r}, {self.logins_key!r})")
        )


class AuthProvider:
    """The providers an identity pool can federate (Amplify's ``AuthProvider``)."""

    GOOGLE = LoginsProvider("GOOGLE", "accounts.google.com")
    FACEBOOK = LoginsProvider("FACEBOOK", "graph.facebook.com")
    AMAZON = LoginsProvider("AMAZON", "www.amazon.com")
    APPLE = LoginsProvider("APPLE", "appleid.apple.com")
    TWITTER = LoginsProvider("TWITTER", "api.twitter.com")
    DEVELOPER = LoginsProvider("DEVELOPER", "cognito-identity.amazonaws.com")

    _NAMED = {p.name.lower(): p for p in (GOOGLE, FACEBOOK, AMAZON, APPLE, TWITTER, DEVELOPER)}
    _NAMED.update({"loginwithamazon": AMAZON, "signinwithapple": APPLE})

    @staticmethod
    def oidc(issuer: str) -> LoginsProvider:
        """An OpenID Connect provider, by its issuer URL."""
        return LoginsProvider("oidc", logins_key_from_issuer(issuer))

    @staticmethod
    def saml(provider_arn: str) -> LoginsProvider:
        """A SAML provider, by its IAM provider ARN."""
        if not isinstance(provider_arn, str) or not provider_arn.startswith("arn:"):
            raise InvalidParameterError(
                f"A SAML provider is named by its IAM ARN, got {provider_arn!r}.",
                "Pass arn:aws:iam::<account>:saml-provider/<name>.",
            )
        return LoginsProvider("saml", provider_arn)

    @staticmethod
    def custom(logins_key: str) -> LoginsProvider:
        """Any Logins key, verbatim."""
        if not isinstance(logins_key, str) or not logins_key.strip():
            raise InvalidParameterError("A custom provider needs a non-empty Logins key.")
        return LoginsProvider("custom", logins_key.strip())

    @staticmethod
    def user_pool(region: str, user_pool_id: str) -> LoginsProvider:
        """A Cognito user pool."""
        if not all(isinstance(v, str) and v.strip() for v in (region, user_pool_id)):
            raise InvalidParameterError(
                f"user_pool() needs a region and a user pool id, got {region!r}, {user_pool_id!r}.",
                "Pass e.g. AuthProvider.user_pool('us-east-1', 'us-east-1_AbC123').",
            )
        return LoginsProvider("user_pool", f"cognito-idp.{region}.amazonaws.com/{user_pool_id}")

    @classmethod
    def resolve(cls, provider: LoginsProvider | str) -> LoginsProvider:
        """Accept an ``AuthProvider``, a name (``"google"``), an issuer URL or a Logins key."""
        if isinstance(provider, LoginsProvider):
            return provider
        if not isinstance(provider, str) or not provider.strip():
            raise InvalidParameterError(
                f"provider must be an AuthProvider or a string, got {provider!r}.",
                "Use e.g. AuthProvider.GOOGLE, AuthProvider.oidc(issuer) or a Logins key.",
            )
        text = provider.strip()
        named = cls._NAMED.get(text.lower())
        if named is not None:
            return named
        if text.lower().startswith(("https://", "http://")):
            return cls.oidc(text)
        return cls.custom(text)
