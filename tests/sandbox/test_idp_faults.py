"""Call counts and injected failures at the sandbox IdP."""

from __future__ import annotations

from typing import Any

import pytest
import requests


def _discovery(sb: Any) -> Any:
    return requests.get(f"{sb.issuer}/.well-known/openid-configuration", timeout=10)


def test_calls_are_counted_per_endpoint(sb: Any, idp: Any) -> None:
    sb.reset_idp_calls()
    _discovery(sb)
    _discovery(sb)
    requests.get(f"{sb.issuer}/jwks", timeout=10)
    token = idp.tokens()  # authorize: GET page + POST form; token: one exchange
    idp.refresh(token["refresh_token"])
    requests.get(
        f"{sb.issuer}/userinfo",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    assert sb.idp_calls("discovery") == 2
    assert sb.idp_calls("jwks") == 1
    assert sb.idp_calls("authorize") == 2
    assert sb.idp_calls("token") == 2
    assert sb.idp_calls("userinfo") == 1
    assert sb.idp_calls("device_authorization") == 0
    assert sb.idp_calls("revoke") == 0
    assert sb.idp_calls("logout") == 0
    assert sb.idp_calls("oauth2/token") == 0
    sb.reset_idp_calls()
    assert sb.idp_calls("discovery") == 0
    with pytest.raises(ValueError, match="unknown IdP endpoint"):
        sb.idp_calls("GetId")


def test_server_error_with_an_html_body(sb: Any) -> None:
    sb.reset_idp_calls()
    sb.idp_fail_next("discovery")
    failed = _discovery(sb)
    assert failed.status_code == 500
    assert failed.headers["Content-Type"] == "text/html"
    assert failed.text == "<html>oops</html>"
    assert _discovery(sb).status_code == 200  # once only
    assert sb.idp_calls("discovery") == 2  # failures count


def test_garbage_json(sb: Any, idp: Any) -> None:
    sb.idp_fail_next("token", status=200 + 302, body="{not json", content_type="application/json")
    response = idp.token_request(grant_type="refresh_token", refresh_token="x")
    assert response.status_code == 502
    assert response.headers["Content-Type"] == "application/json"
    with pytest.raises(ValueError):
        response.json()


def test_oauth_errors(sb: Any, idp: Any) -> None:
    refresh_token = idp.tokens()["refresh_token"]
    sb.idp_fail_next("token", oauth_error="invalid_grant", times=2)
    for _ in range(2):
        response = idp.refresh(refresh_token)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"
        assert response.headers["Cache-Control"] == "no-store"
    # The real refresh token was never used: it still works.
    assert idp.refresh(refresh_token).status_code == 200

    sb.idp_fail_next("device_authorization", oauth_error="temporarily_unavailable", status=503)
    started = requests.post(
        f"{sb.issuer}/device_authorization", data={"client_id": sb.oidc_client_id}, timeout=10
    )
    assert (started.status_code, started.json()["error"]) == (503, "temporarily_unavailable")


def test_clear_faults_clears_idp_faults(sb: Any) -> None:
    sb.idp_fail_next("jwks", times=5)
    sb.clear_faults()
    assert requests.get(f"{sb.issuer}/jwks", timeout=10).status_code == 200


def test_failing_sign_in_page(sb: Any, idp: Any) -> None:
    from nbauth.sandbox.idp import SignInError

    client = idp.session()
    url, _, _ = idp.authorization_url(client)
    sb.idp_fail_next("authorize", status=503)
    with pytest.raises(SignInError) as failed:
        sb.sign_in_at(url)
    assert failed.value.status == 503
    assert "code=" in sb.sign_in_at(url)


def test_invalid_fault_arguments(sb: Any) -> None:
    with pytest.raises(ValueError):
        sb.idp_fail_next("token", times=0)
    with pytest.raises(ValueError):
        sb.idp_fail_next("token", status=302)
    with pytest.raises(ValueError):  # 200 is for garbage bodies, not for OAuth errors
        sb.idp_fail_next("token", status=200, oauth_error="invalid_grant")
    with pytest.raises(ValueError):
        sb.idp_fail_next("nope")
