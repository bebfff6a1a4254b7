"""OpenID Connect Discovery: the provider's metadata, fetched once per issuer and cached.

Checks the document as the spec asks (OIDC Discovery §4.3: ``issuer`` must equal the URL it was
fetched for) and that the endpoints a flow needs are there, so a broken provider fails at the
start with a clear :class:`~nbauth.errors.DiscoveryError` instead of half-way through a sign-in.
Every URL in it must be https (http on loopback only): a ``javascript:``, ``file:`` or
plain-http endpoint is refused, never called and never shown as a link.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from ..errors import AuthError, DiscoveryError
from ..net.secure_urls import check_secure_url
from .transport import json_request

__all__ = ["ProviderMetadata", "discover", "forget"]

_TTL_SECONDS = 3600.0
#: The endpoints nbauth may call or show; each must be a secure URL when present.
_ENDPOINTS = (
    "token_endpoint",
    "jwks_uri",
    "authorization_endpoint",
    "device_authorization_endpoint",
    "revocation_endpoint",
    "userinfo_endpoint",
    "end_session_endpoint",
)
_cache: dict[str, tuple[float, ProviderMetadata]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class ProviderMetadata:
    """The parts of a discovery document nbauth uses."""

    issuer: str
    token_endpoint: str
    jwks_uri: str
    authorization_endpoint: str | None = None
    device_authorization_endpoint: str | None = None
    revocation_endpoint: str | None = None
    userinfo_endpoint: str | None = None
    end_session_endpoint: str | None = None
    code_challenge_methods_supported: tuple[str, ...] = ()
    authorization_response_iss_parameter_supported: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def require(self, endpoint: str, flow: str) -> str:
        """The endpoint ``flow`` needs, or a :class:`DiscoveryError` naming it."""
        value = getattr(self, endpoint, None)
        if not isinstance(value, str) or not value:
            raise DiscoveryError(
                f"{self.issuer} does not offer {flow}: its discovery document has no {endpoint}.",
                f"Use a provider (or an app client) with {flow} enabled, or another sign-in flow.",
            )
        return value

    @classmethod
    def from_document(cls, document: dict[str, Any], expected_issuer: str) -> ProviderMetadata:
        issuer = document.get("issuer")
        if issuer != expected_issuer and issuer != expected_issuer.rstrip("/"):
            raise DiscoveryError(
                f"Discovery for {expected_issuer} answered with issuer {issuer!r}.",
                "Configure the issuer exactly as the provider names itself (OIDC Discovery 4.3).",
            )
        missing = [
            k for k in ("token_endpoint", "jwks_uri") if not isinstance(document.get(k), str)
        ]
        if missing:
            raise DiscoveryError(
                f"The discovery document of {issuer} lacks {', '.join(missing)}.",
            )

        for key in ("issuer", *_ENDPOINTS):
            required = key in ("issuer", "token_endpoint", "jwks_uri")
            if required or (isinstance(document.get(key), str) and document[key]):  # else ignored
                what = f"The discovery document's {key}"
                check_secure_url(document.get(key), what, DiscoveryError)

        def opt(key: str) -> str | None:
            value = document.get(key)
            return value if isinstance(value, str) and value else None

        methods = document.get("code_challenge_methods_supported")
        methods = methods if isinstance(methods, list) else ()
        return cls(
            issuer=issuer,
            token_endpoint=document["token_endpoint"],
            jwks_uri=document["jwks_uri"],
            authorization_endpoint=opt("authorization_endpoint"),
            device_authorization_endpoint=opt("device_authorization_endpoint"),
            revocation_endpoint=opt("revocation_endpoint"),
            userinfo_endpoint=opt("userinfo_endpoint"),
            end_session_endpoint=opt("end_session_endpoint"),
            code_challenge_methods_supported=tuple(m for m in methods if isinstance(m, str)),
            authorization_response_iss_parameter_supported=bool(
                document.get("authorization_response_iss_parameter_supported")
            ),
            raw=document,
        )


def discover(
    issuer: str, session: requests.Session, *, clock: Callable[[], float] = time.time
) -> ProviderMetadata:
    """The metadata of ``issuer`` (cached for an hour per process)."""
    check_secure_url(issuer, "The issuer")
    now = clock()
    with _lock:
        hit = _cache.get(issuer)
    if hit is not None and now - hit[0] < _TTL_SECONDS:
        return hit[1]
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        document = json_request(session, "GET", url, "OpenID Connect discovery")
    except AuthError as exc:
        error = DiscoveryError(
            f"Could not read the discovery document of {issuer}: {exc.message}",
            "Check the issuer URL and that the provider is reachable.",
            underlying=exc,
        )
        error.retryable = exc.retryable
        raise error from None
    metadata = ProviderMetadata.from_document(document, issuer)
    with _lock:
        _cache[issuer] = (now, metadata)
    return metadata


def forget(issuer: str | None = None) -> None:
    """Drop cached metadata (all issuers when ``issuer`` is None)."""
    with _lock:
        if issuer is None:
            _cache.clear()
        else:
            _cache.pop(issuer, None)
