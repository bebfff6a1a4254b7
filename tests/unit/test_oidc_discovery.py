"""OpenID Connect Discovery (metadata checks, per-issuer cache) and the JSON transport's typed
errors: OAuth error bodies, 5xx, 429, HTML and garbage become the right ``AuthError``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from nbauth import errors
from nbauth.errors import AuthError, DiscoveryError
from nbauth.oidc import discovery
from nbauth.oidc.discovery import ProviderMetadata, discover
from nbauth.oidc.transport import json_request, oauth_error, parse_json_response
from tests.support.fakes import FakeClock

ISSUER = "https://idp.example.com/realms/team"
WELL_KNOWN = f"{ISSUER}/.well-known/openid-configuration"


def document(**overrides: Any) -> dict[str, Any]:
    doc = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/auth",
        "token_endpoint": f"{ISSUER}/token",
        "jwks_uri": f"{ISSUER}/certs",
        "device_authorization_endpoint": f"{ISSUER}/device",
        "revocation_endpoint": f"{ISSUER}/revoke",
        "userinfo_endpoint": f"{ISSUER}/userinfo",
        "end_session_endpoint": f"{ISSUER}/logout",
        "code_challenge_methods_supported": ["plain", "S256"],
        "authorization_response_iss_parameter_supported": True,
    }
    doc.update(overrides)
    return {k: v for k, v in doc.items() if v is not None}


class FakeResponse:
    is_redirect = False

    def __init__(self, status_code: int, body: Any, url: str = WELL_KNOWN) -> None:
        self.status_code = status_code
        self._body = body
        self.url = url

    def json(self) -> Any:
        if isinstance(self._body, str):
            raise ValueError("Expecting value: line 1 column 1 (char 0)")
        return self._body


class FakeSession:
    """Answers every request with the next scripted answer (the last one repeats)."""

    def __init__(self, *answers: tuple[int, Any] | BaseException) -> None:
        self.answers = list(answers)
        self.requests: list[tuple[str, str]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> FakeResponse:
        # the deadline lives in new_session()'s adapter; redirects only for GET
        assert kwargs.get("allow_redirects") is (method == "GET")
        self.requests.append((method, url))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, BaseException):
            raise answer
        return FakeResponse(answer[0], answer[1], url)


@pytest.fixture(autouse=True)
def _empty_discovery_cache() -> Iterator[None]:
    discovery.forget()
    yield
    discovery.forget()


def assert_typed(error: BaseException) -> None:
    assert isinstance(error, AuthError)
    assert error.name
    assert error.message
    assert error.recovery_suggestion


# -- ProviderMetadata.from_document ------------------------------------------------------------


def test_a_complete_document_becomes_metadata() -> None:
    doc = document()
    metadata = ProviderMetadata.from_document(doc, ISSUER)

    assert metadata.issuer == ISSUER
    assert metadata.token_endpoint == f"{ISSUER}/token"
    assert metadata.jwks_uri == f"{ISSUER}/certs"
    assert metadata.authorization_endpoint == f"{ISSUER}/auth"
    assert metadata.device_authorization_endpoint == f"{ISSUER}/device"
    assert metadata.revocation_endpoint == f"{ISSUER}/revoke"
    assert metadata.userinfo_endpoint == f"{ISSUER}/userinfo"
    assert metadata.end_session_endpoint == f"{ISSUER}/logout"
    assert metadata.code_challenge_methods_supported == ("plain", "S256")
    assert metadata.authorization_response_iss_parameter_supported is True
    assert metadata.raw is doc


def test_a_minimal_document_leaves_the_optional_endpoints_empty() -> None:
    doc = {"issuer": ISSUER, "token_endpoint": f"{ISSUER}/token", "jwks_uri": f"{ISSUER}/certs"}
    metadata = ProviderMetadata.from_document(doc, ISSUER)
    assert metadata.authorization_endpoint is None
    assert metadata.device_authorization_endpoint is None
    assert metadata.revocation_endpoint is None
    assert metadata.code_challenge_methods_supported == ()
    assert metadata.authorization_response_iss_parameter_supported is False


def test_a_configured_issuer_with_a_trailing_slash_matches() -> None:
    assert ProviderMetadata.from_document(document(), ISSUER + "/").issuer == ISSUER


@pytest.mark.parametrize(
    "issuer", ["https://evil.example.com/realms/team", ISSUER + "/other", None, 42]
)
def test_an_issuer_other_than_the_one_asked_is_refused(issuer: Any) -> None:
    """OIDC Discovery 4.3: the document's issuer must be the URL it was fetched for."""
    with pytest.raises(DiscoveryError) as info:
        ProviderMetadata.from_document(document(issuer=issuer), ISSUER)
    assert_typed(info.value)
    assert info.value.retryable is False
    assert "4.3" in info.value.recovery_suggestion


@pytest.mark.parametrize("missing", ["token_endpoint", "jwks_uri"])
def test_a_document_without_a_required_endpoint_is_refused(missing: str) -> None:
    doc = document()
    del doc[missing]
    with pytest.raises(DiscoveryError) as info:
        ProviderMetadata.from_document(doc, ISSUER)
    assert_typed(info.value)
    assert missing in info.value.message


def test_a_required_endpoint_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(DiscoveryError) as info:
        ProviderMetadata.from_document(document(token_endpoint=["a", "b"]), ISSUER)
    assert "token_endpoint" in info.value.message


def test_optional_endpoints_of_the_wrong_type_are_ignored() -> None:
    metadata = ProviderMetadata.from_document(
        document(device_authorization_endpoint=5, revocation_endpoint=""), ISSUER
    )
    assert metadata.device_authorization_endpoint is None
    assert metadata.revocation_endpoint is None


def test_code_challenge_methods_that_are_not_a_list_are_ignored_not_a_type_error() -> None:
    """Invariant 4: a malformed optional field is never a bare TypeError."""
    metadata = ProviderMetadata.from_document(document(code_challenge_methods_supported=5), ISSUER)
    assert metadata.code_challenge_methods_supported == ()


def test_code_challenge_methods_given_as_one_string_are_not_split_into_letters() -> None:
    metadata = ProviderMetadata.from_document(
        document(code_challenge_methods_supported="S256"), ISSUER
    )
    assert metadata.code_challenge_methods_supported in ((), ("S256",))


def test_require_returns_an_endpoint_that_is_there() -> None:
    metadata = ProviderMetadata.from_document(document(), ISSUER)
    assert metadata.require("device_authorization_endpoint", "device code") == f"{ISSUER}/device"


def test_require_names_the_endpoint_a_flow_misses() -> None:
    metadata = ProviderMetadata.from_document(document(device_authorization_endpoint=None), ISSUER)
    with pytest.raises(DiscoveryError) as info:
        metadata.require("device_authorization_endpoint", "the device-code flow")
    assert_typed(info.value)
    assert "device_authorization_endpoint" in info.value.message
    assert "the device-code flow" in info.value.message
    assert ISSUER in info.value.message
    assert info.value.retryable is False


# -- discover(): fetching and caching ---------------------------------------------------------


def test_discover_fetches_the_well_known_document() -> None:
    session = FakeSession((200, document()))
    metadata = discover(ISSUER, session, clock=FakeClock())  # type: ignore[arg-type]
    assert metadata.token_endpoint == f"{ISSUER}/token"
    assert session.requests == [("GET", WELL_KNOWN)]


def test_discover_with_a_trailing_slash_fetches_one_well_known_path() -> None:
    session = FakeSession((200, document()))
    discover(ISSUER + "/", session, clock=FakeClock())  # type: ignore[arg-type]
    assert session.requests == [("GET", WELL_KNOWN)]


def test_discover_caches_per_issuer() -> None:
    clock = FakeClock()
    other = "https://login.example.org"
    session = FakeSession((200, document()), (200, document(issuer=other)))

    first = discover(ISSUER, session, clock=clock)  # type: ignore[arg-type]
    clock.advance(3000)
    again = discover(ISSUER, session, clock=clock)  # type: ignore[arg-type]
    assert again is first
    assert len(session.requests) == 1

    assert discover(other, session, clock=clock).issuer == other  # type: ignore[arg-type]
    assert len(session.requests) == 2


def test_discover_refetches_after_the_ttl() -> None:
    clock = FakeClock()
    session = FakeSession((200, document()), (200, document(token_endpoint=f"{ISSUER}/token-v2")))
    discover(ISSUER, session, clock=clock)  # type: ignore[arg-type]
    clock.advance(3601)
    metadata = discover(ISSUER, session, clock=clock)  # type: ignore[arg-type]
    assert metadata.token_endpoint == f"{ISSUER}/token-v2"
    assert len(session.requests) == 2


def test_forget_drops_one_issuer_or_all() -> None:
    clock = FakeClock()
    session = FakeSession((200, document()))
    discover(ISSUER, session, clock=clock)  # type: ignore[arg-type]
    discovery.forget(ISSUER)
    discover(ISSUER, session, clock=clock)  # type: ignore[arg-type]
    discovery.forget()
    discover(ISSUER, session, clock=clock)  # type: ignore[arg-type]
    assert len(session.requests) == 3


def test_an_unreachable_provider_is_a_retryable_discovery_error() -> None:
    session = FakeSession(requests.ConnectionError("Connection refused"))
    with pytest.raises(DiscoveryError) as info:
        discover(ISSUER, session, clock=FakeClock())  # type: ignore[arg-type]
    assert_typed(info.value)
    assert info.value.retryable is True
    assert isinstance(info.value.underlying, errors.NetworkError)


def test_a_timeout_is_a_retryable_discovery_error() -> None:
    session = FakeSession(requests.Timeout("read timed out"))
    with pytest.raises(DiscoveryError) as info:
        discover(ISSUER, session, clock=FakeClock())  # type: ignore[arg-type]
    assert info.value.retryable is True


def test_a_5xx_html_page_is_a_retryable_discovery_error() -> None:
    session = FakeSession((502, "<html><body>Bad Gateway</body></html>"))
    with pytest.raises(DiscoveryError) as info:
        discover(ISSUER, session, clock=FakeClock())  # type: ignore[arg-type]
    assert_typed(info.value)
    assert info.value.retryable is True
    assert "502" in info.value.message


@pytest.mark.parametrize("body", ["{not json", "<html>sign in</html>"])
def test_garbage_instead_of_json_is_a_discovery_error(body: str) -> None:
    session = FakeSession((200, body))
    with pytest.raises(DiscoveryError) as info:
        discover(ISSUER, session, clock=FakeClock())  # type: ignore[arg-type]
    assert_typed(info.value)


def test_a_json_array_is_a_discovery_error() -> None:
    session = FakeSession((200, [document()]))
    with pytest.raises(DiscoveryError):
        discover(ISSUER, session, clock=FakeClock())  # type: ignore[arg-type]


def test_a_discovery_url_that_does_not_exist_is_not_retryable() -> None:
    """A 404 means a misconfigured issuer: retrying the same URL will not help (errors.py)."""
    session = FakeSession((404, "<html>Not Found</html>"))
    with pytest.raises(DiscoveryError) as info:
        discover(ISSUER, session, clock=FakeClock())  # type: ignore[arg-type]
    assert_typed(info.value)
    assert info.value.retryable is False


def test_an_issuer_mismatch_from_discover_is_not_cached() -> None:
    session = FakeSession((200, document(issuer="https://evil.example.com")), (200, document()))
    with pytest.raises(DiscoveryError) as info:
        discover(ISSUER, session, clock=FakeClock())  # type: ignore[arg-type]
    assert info.value.retryable is False
    assert discover(ISSUER, session, clock=FakeClock()).issuer == ISSUER  # type: ignore[arg-type]
    assert len(session.requests) == 2


def test_a_failed_discovery_is_not_cached() -> None:
    session = FakeSession((503, "busy"), (200, document()))
    with pytest.raises(DiscoveryError):
        discover(ISSUER, session, clock=FakeClock())  # type: ignore[arg-type]
    assert discover(ISSUER, session, clock=FakeClock()).issuer == ISSUER  # type: ignore[arg-type]


# -- transport: parse_json_response / oauth_error ---------------------------------------------

TOKEN_URL = "https://idp.example.com/token"


def parse(status: int, body: Any, url: str = TOKEN_URL) -> dict[str, Any]:
    return parse_json_response(FakeResponse(status, body, url), "Token refresh")  # type: ignore[arg-type]


def test_a_json_object_is_returned() -> None:
    assert parse(200, {"access_token": "a"}) == {"access_token": "a"}


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("invalid_grant", errors.InvalidGrantError),
        ("access_denied", errors.AccessDeniedError),
        ("expired_token", errors.ExpiredDeviceCodeError),
    ],
)
def test_known_oauth_error_codes_map_to_their_types(code: str, cls: type) -> None:
    with pytest.raises(cls) as info:
        parse(400, {"error": code, "error_description": "the reason"})
    error = info.value
    assert type(error) is cls
    assert isinstance(error, errors.OAuthError)
    assert error.name == code
    assert "the reason" in error.message
    assert "Token refresh" in error.message
    assert error.retryable is False
    assert_typed(error)


@pytest.mark.parametrize("code", ["authorization_pending", "slow_down", "invalid_request"])
def test_other_oauth_error_codes_are_oauth_errors_named_after_the_code(code: str) -> None:
    with pytest.raises(errors.OAuthError) as info:
        parse(400, {"error": code})
    assert type(info.value) is errors.OAuthError
    assert info.value.name == code
    assert_typed(info.value)


@pytest.mark.parametrize(
    ("code", "status", "cls"),
    [
        ("invalid_client", 401, errors.InvalidClientError),
        ("unauthorized_client", 400, errors.UnauthorizedClientError),
        ("invalid_scope", 400, errors.InvalidScopeError),
    ],
)
def test_definitive_client_and_scope_errors_have_their_own_classes(
    code: str, status: int, cls: type[errors.OAuthError]
) -> None:
    """These end a session at refresh time (token_provider), so they must be told apart."""
    with pytest.raises(cls) as info:
        parse(status, {"error": code})
    assert info.value.name == code and not info.value.retryable
    assert_typed(info.value)


def test_oauth_error_builds_the_typed_error_directly() -> None:
    error = oauth_error("invalid_grant", "refresh token reused", "Token refresh")
    assert isinstance(error, errors.InvalidGrantError)
    assert error.name == "invalid_grant"
    assert error.message == "Token refresh failed: invalid_grant: refresh token reused"
    assert oauth_error("access_denied", None, "Sign-in").message == "Sign-in failed: access_denied"


def test_429_is_too_many_requests_and_retryable() -> None:
    with pytest.raises(errors.TooManyRequestsError) as info:
        parse(429, "Too Many Requests")
    assert info.value.retryable is True
    assert_typed(info.value)


def test_429_with_an_oauth_shaped_body_is_still_throttling() -> None:
    """Auth0 and others answer 429 with {"error": "too_many_requests"}: throttling, not a
    definitive OAuth error (invariant 3)."""
    with pytest.raises(errors.TooManyRequestsError) as info:
        parse(429, {"error": "too_many_requests", "error_description": "slow down"})
    assert info.value.retryable is True


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_a_retryable_service_error_even_with_an_oauth_body(status: int) -> None:
    for body in ("<html>oops</html>", {"error": "server_error"}, {"ok": True}):
        with pytest.raises(errors.ServiceError) as info:
            parse(status, body)
        assert info.value.retryable is True
        assert str(status) in info.value.message


@pytest.mark.parametrize("body", ["<html></html>", "", ["a", "list"], 42, None])
def test_a_200_that_is_not_a_json_object_is_a_service_error(body: Any) -> None:
    with pytest.raises(errors.ServiceError):
        parse(200, body)


def test_a_4xx_json_without_an_error_code_is_an_oauth_error_named_after_the_status() -> None:
    with pytest.raises(errors.OAuthError) as info:
        parse(403, {"message": "forbidden"})
    assert info.value.name == "HTTP403"


def test_messages_name_the_host_only_never_the_query() -> None:
    url = "https://idp.example.com/token?code=SECRET-CODE&code_verifier=SECRET-VERIFIER"
    with pytest.raises(errors.ServiceError) as info:
        parse(500, "oops", url)
    assert "idp.example.com" in info.value.message
    assert "SECRET" not in str(info.value)


def test_json_request_maps_connection_failures_to_network_errors() -> None:
    session = FakeSession(requests.ConnectionError("refused ?token=SECRET"))
    with pytest.raises(errors.NetworkError) as info:
        json_request(session, "GET", TOKEN_URL + "?x=SECRET", "JWKS")  # type: ignore[arg-type]
    assert info.value.retryable is True
    assert "SECRET" not in str(info.value)
    assert_typed(info.value)
