"""Issue 11 / DESIGN invariant 11: ``state`` is checked before anything is marked done.

Before, any local request to the loopback callback path ended the sign-in and showed "Signed
in"; a wrong pasted URL ended it as failed; the Jupyter receiver handed on whatever the server
dropped. Now a redirect without this sign-in's ``state`` gets an error (HTTP 400 page, or a
typed error for a paste) and the sign-in keeps waiting; only the matching redirect completes it.
The same over the real wire against the sandbox IdP: tests/integration/test_redirect_hardening.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from nbauth.notebook.callback_drop_box import CALLBACK_DIR_ENV, CallbackDropBox
from nbauth.oidc.redirect_state import redirect_state, state_matches
from tests.unit.test_jupyter_receiver import wait_for
from tests.unit.test_oidc_redirect_flow import (
    CODE,
    WAIT,
    callback,
    get,
    listener,
    query,
    start,
    stopped,
)
from tests.unit.test_oidc_redirect_flow import loopback as loopback  # the fixture


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://x/cb?code=c&state=s1", "s1"),
        ("http://x/cb?code=c", None),
        ("http://x/cb?state=", None),
        ("http://x/cb?state=s1&state=s2", None),  # parsers disagree on which wins: neither
        ("not a url at all", None),
    ],
)
def test_redirect_state_is_the_one_state_parameter(url: str, expected: str | None) -> None:
    assert redirect_state(url) == expected
    assert state_matches(url, "s1") is (expected == "s1")


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.mark.parametrize(
    "params",
    [{"state": "forged"}, {"state": None}, {"state": None, "error": "access_denied"}],
    ids=["wrong-state", "no-state", "error-without-state"],
)
def test_a_loopback_request_without_the_state_gets_400_and_the_sign_in_waits(
    loopback, params: dict[str, str | None]
) -> None:
    handle, client, _ = loopback()
    port = listener(handle).port

    status, page = get(port, path_of(callback(handle, **params)))

    assert status == 400
    assert "Signed in" not in page and "does not belong" in page
    assert handle.status == "pending" and not handle.done
    assert not listener(handle).closed
    assert client.exchanges == []

    status, page = get(port, path_of(callback(handle)))  # the real redirect still completes it
    assert status == 200
    assert "Signed in" in page and CODE not in page
    assert handle.wait(WAIT) == "session-for-alice"
    assert stopped(handle)


def test_the_loopback_page_says_signed_in_only_after_the_exchange(loopback) -> None:
    handle, _, _ = loopback()
    port = listener(handle).port
    status, page = get(port, path_of(callback(handle, iss="https://evil.example.com")))
    assert status == 200
    assert "Sign-in failed" in page and "issuer" in page
    assert handle.status == "failed"


@pytest.fixture
def drop_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "nbauth-callbacks"
    monkeypatch.setenv(CALLBACK_DIR_ENV, str(directory))
    monkeypatch.setenv("NBAUTH_JUPYTER_URL", "http://127.0.0.1:8888/")
    for name in ("JUPYTERHUB_SERVICE_PREFIX", "JUPYTERHUB_PUBLIC_URL", "JUPYTERHUB_HOST"):
        monkeypatch.delenv(name, raising=False)
    return directory


def test_the_jupyter_receiver_rejects_a_redirect_of_another_state_and_keeps_waiting(
    drop_dir: Path,
) -> None:
    handle, client, _ = start(mode="jupyter")
    state = query(handle.url)["state"]
    box = CallbackDropBox(drop_dir)
    # A server that keyed the drop on the last of two ``state`` parameters (tornado does).
    smuggled = f"http://127.0.0.1:8888/nbauth/callback?code={CODE}&state=forged&state={state}"
    assert box.deliver(state, smuggled) == "delivered"

    outcome: dict[str, str] = {}
    wait_for(lambda: bool(outcome.update(box.outcome(state) or {}) or outcome))
    assert outcome["status"] == "rejected"
    assert handle.status == "pending" and client.exchanges == []

    assert box.deliver(state, callback(handle)) == "delivered"
    assert handle.wait(WAIT) == "session-for-alice"
