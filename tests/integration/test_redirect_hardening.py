"""Issue 11 over the real wire, against the sandbox IdP: a redirect without this sign-in's
``state`` never ends the sign-in. The loopback listener answers it with HTTP 400 and keeps
waiting, a wrong paste raises and lets the user paste again; then the person's real sign-in at
the IdP completes it. (The Jupyter server's page: tests/browser/test_server_extension.py.)
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from nbauth.errors import CallbackValidationError


def _state(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


def test_a_local_request_with_a_wrong_state_does_not_end_a_loopback_sign_in(
    sb: Any, make_auth: Any
) -> None:
    auth = make_auth()
    handle = auth.sign_in_with_redirect(mode="loopback")
    callback = handle.redirect_uri

    # Any local process can reach the port: a forged state, no state, an error without state.
    for query in ("code=stolen&state=forged", "code=stolen", "error=access_denied"):
        probe = requests.get(f"{callback}?{query}", timeout=10)
        assert probe.status_code == 400, query
        assert "Signed in" not in probe.text
    assert handle.status == "pending" and auth.state == "signed_out"

    redirect = sb.sign_in_at(handle.url)  # the person signs in; the IdP redirects the browser
    assert _state(redirect) == _state(handle.url)
    page = requests.get(redirect, timeout=30)
    assert page.status_code == 200 and "Signed in" in page.text
    assert handle.wait(timeout=30).is_signed_in
    assert auth.state == "signed_in"
    assert auth.fetch_auth_session().credentials is not None
    auth.sign_out()


def test_a_wrong_paste_can_be_followed_by_the_right_one(sb: Any, make_auth: Any) -> None:
    auth = make_auth()
    handle = auth.sign_in_with_redirect(mode="paste")
    redirect = sb.sign_in_at(handle.url)
    forged = redirect.replace(f"state={_state(redirect)}", "state=someone-elses")
    with pytest.raises(CallbackValidationError) as info:
        handle.complete(forged)
    assert info.value.name == "state_mismatch" and info.value.recovery_suggestion
    assert handle.status == "pending"

    assert handle.complete(redirect).is_signed_in
    assert auth.state == "signed_in"
    auth.sign_out()
