"""The ``jupyter`` redirect mode's kernel side: redirect-URI rules, the private drop box, and a
sign-in completed through it (the server's part is played by ``CallbackDropBox.deliver``, as the
handler in ``nbauth.notebook.server_extension`` does; tests/browser runs the real server). The
OIDC flow finds the receiver through the ``nbauth.redirect_receivers`` entry point.
"""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from pathlib import Path

import pytest

from nbauth.errors import CallbackValidationError, InvalidParameterError, SignInTimeoutError
from nbauth.notebook.callback_drop_box import CALLBACK_DIR_ENV, CallbackDropBox
from nbauth.notebook.jupyter_receiver import JupyterReceiver, jupyter_receiver, jupyter_redirect_uri
from nbauth.oidc.redirect_receivers import redirect_receiver_factory
from tests.unit.test_oidc_redirect_flow import CODE, FakeClient, callback, query, start

WAIT = 5.0


@pytest.fixture
def drop_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "runtime" / "nbauth-callbacks"
    monkeypatch.setenv(CALLBACK_DIR_ENV, str(directory))
    monkeypatch.setenv("NBAUTH_JUPYTER_URL", "http://127.0.0.1:8888/lab-base/")
    for name in ("JUPYTERHUB_SERVICE_PREFIX", "JUPYTERHUB_PUBLIC_URL", "JUPYTERHUB_HOST"):
        monkeypatch.delenv(name, raising=False)
    return directory


def wait_for(predicate, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# -- the redirect URI ----------------------------------------------------------------------------

EXT = {CALLBACK_DIR_ENV: "/nonexistent/nbauth-callbacks"}
HUB = "https://hub.example.com"
PREFIX = {"JUPYTERHUB_SERVICE_PREFIX": "/user/ada/"}
ADA = f"{HUB}/user/ada/nbauth/callback"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"NBAUTH_JUPYTER_URL": f"{HUB}/user/ada/"}, ADA),
        ({"NBAUTH_JUPYTER_URL": "http://localhost:8888"}, "http://localhost:8888/nbauth/callback"),
        ({**PREFIX, "JUPYTERHUB_PUBLIC_URL": f"{HUB}/user/ada/"}, ADA),
        ({**PREFIX, "JUPYTERHUB_PUBLIC_URL": HUB}, ADA),  # an origin only: the prefix is added
        (
            {**PREFIX, "JUPYTERHUB_HOST": "https://ada.hub.example.com"},
            "https://ada.hub.example.com/user/ada/nbauth/callback",
        ),
        # the explicit setting wins over the hub's
        (
            {**PREFIX, "NBAUTH_JUPYTER_URL": "https://lab.example.com/"},
            "https://lab.example.com/nbauth/callback",
        ),
    ],
)
def test_redirect_uri_rules(env: dict[str, str], expected: str) -> None:
    uri, box = jupyter_redirect_uri(None, {**EXT, **env})
    assert uri == expected
    assert box.directory == Path("/nonexistent/nbauth-callbacks")


def test_an_explicit_redirect_uri_is_used_as_given() -> None:
    uri, _ = jupyter_redirect_uri("https://lab.example.com/x/nbauth/callback", EXT)
    assert uri == "https://lab.example.com/x/nbauth/callback"


def test_the_parent_jupyter_server_is_found_in_the_runtime_dir(tmp_path: Path) -> None:
    info = {"url": "http://127.0.0.1:9999/base/", "base_url": "/base/", "token": "t"}
    (tmp_path / f"jpserver-{os.getppid()}.json").write_text(json.dumps(info))
    uri, _ = jupyter_redirect_uri(None, {**EXT, "JUPYTER_RUNTIME_DIR": str(tmp_path)})
    assert uri == "http://127.0.0.1:9999/base/nbauth/callback"


def test_the_address_the_extension_recorded_beats_the_parent_servers_url(tmp_path: Path) -> None:
    info = {"url": "http://0a1b2c3d4e5f:8888/", "base_url": "/"}  # a container's hostname
    (tmp_path / f"jpserver-{os.getppid()}.json").write_text(json.dumps(info))
    env = {CALLBACK_DIR_ENV: str(tmp_path / "drop"), "JUPYTER_RUNTIME_DIR": str(tmp_path)}
    assert jupyter_redirect_uri(None, env)[0] == "http://0a1b2c3d4e5f:8888/nbauth/callback"

    # ServerApp.custom_display_url, recorded by the extension: a tunnel or a port map
    CallbackDropBox(tmp_path / "drop").note_server_url("http://localhost:9999/")
    assert jupyter_redirect_uri(None, env)[0] == "http://localhost:9999/nbauth/callback"
    # An administrator's setting and the hub's public URL still come first.
    hub = {**env, **PREFIX, "JUPYTERHUB_PUBLIC_URL": HUB}
    assert jupyter_redirect_uri(None, hub)[0] == ADA
    assert jupyter_redirect_uri(None, {**env, "NBAUTH_JUPYTER_URL": HUB})[0] == (
        f"{HUB}/nbauth/callback"
    )


def test_a_hub_server_uses_the_address_its_settings_give(tmp_path: Path) -> None:
    box = CallbackDropBox(tmp_path)
    box.note_server_url(f"{HUB}/user/ada/")
    env = {CALLBACK_DIR_ENV: str(tmp_path), **PREFIX}
    assert jupyter_redirect_uri(None, env)[0] == ADA


def test_a_browser_address_noted_by_an_older_version_is_never_used(tmp_path: Path) -> None:
    """Issue 11: ``browser.json`` held a request's ``Host``; it is removed, never read."""
    (tmp_path / "browser.json").write_text(json.dumps({"url": "http://localhost:4444/"}))
    env = {CALLBACK_DIR_ENV: str(tmp_path), "JUPYTER_RUNTIME_DIR": str(tmp_path / "none")}
    with pytest.raises(InvalidParameterError):
        jupyter_redirect_uri(None, env)
    CallbackDropBox(tmp_path).note_server_url("http://127.0.0.1:8888/")
    assert not (tmp_path / "browser.json").exists()
    assert jupyter_redirect_uri(None, env)[0] == "http://127.0.0.1:8888/nbauth/callback"


def test_without_the_server_extension_it_says_how_to_get_it() -> None:
    with pytest.raises(InvalidParameterError) as info:
        jupyter_redirect_uri(None, {"NBAUTH_JUPYTER_URL": "http://127.0.0.1:8888/"})
    assert "server extension" in info.value.message
    assert "mode='paste'" in info.value.recovery_suggestion


def test_a_hub_without_a_public_address_is_an_error_with_a_way_out() -> None:
    with pytest.raises(InvalidParameterError) as info:
        jupyter_redirect_uri(None, {**EXT, "JUPYTERHUB_SERVICE_PREFIX": "/user/ada/"})
    assert "NBAUTH_JUPYTER_URL" in info.value.recovery_suggestion
    assert "redirect_uri" in info.value.recovery_suggestion


def test_no_server_found_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError) as info:
        jupyter_redirect_uri(None, {**EXT, "JUPYTER_RUNTIME_DIR": str(tmp_path)})
    assert "NBAUTH_JUPYTER_URL" in info.value.recovery_suggestion


@pytest.mark.parametrize("bad", ["not a url", "ftp://host/x", "//host/x"])
def test_malformed_urls_are_invalid_parameters(bad: str) -> None:
    with pytest.raises(InvalidParameterError):
        jupyter_redirect_uri(bad, EXT)
    with pytest.raises(InvalidParameterError):
        jupyter_redirect_uri(None, {**EXT, "NBAUTH_JUPYTER_URL": bad})


# -- the drop box --------------------------------------------------------------------------------


def test_the_drop_box_is_private_and_hands_a_callback_over_once(tmp_path: Path) -> None:
    box = CallbackDropBox(tmp_path / "drop")
    assert box.deliver("s1", "http://x/cb?state=s1") == "unknown"  # nobody waits: refused
    assert not list((tmp_path / "drop").glob("*")) if (tmp_path / "drop").exists() else True

    box.expect("s1")
    assert stat.S_IMODE((tmp_path / "drop").stat().st_mode) == 0o700
    assert box.deliver("s1", "http://x/cb?code=c&state=s1") == "delivered"
    assert box.deliver("s1", "http://x/cb?code=other&state=s1") == "duplicate"
    files = sorted(p.name for p in (tmp_path / "drop").iterdir())
    assert all("s1" not in name for name in files)  # named by a hash of the state
    for path in (tmp_path / "drop").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert box.take("s1") == "http://x/cb?code=c&state=s1"
    assert box.take("s1") is None

    box.report("s1", "signed_in", "ok")
    assert box.outcome("s1") == {"status": "signed_in", "message": "ok"}
    assert box.outcome("s1") is None
    box.forget("s1")
    assert list((tmp_path / "drop").iterdir()) == []


def test_sweep_removes_left_overs_but_keeps_the_server_address(tmp_path: Path) -> None:
    box = CallbackDropBox(tmp_path)
    box.expect("old")
    hour_ago = time.time() - 7200
    for path in tmp_path.iterdir():
        os.utime(path, (hour_ago, hour_ago))
    box.expect("new")
    box.note_server_url("http://127.0.0.1:8888/")
    os.utime(tmp_path / "server.json", (hour_ago, hour_ago))
    box.sweep()
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".json", ".pending"]
    assert box.deliver("new", "http://x/?state=new") == "delivered"
    assert box.server_url() == "http://127.0.0.1:8888/"


def test_the_receiver_times_out_and_cleans_up(tmp_path: Path) -> None:
    box = CallbackDropBox(tmp_path)
    messages: list[str] = []
    timed_out = threading.Event()
    receiver = JupyterReceiver(box, "http://x/nbauth/callback", timeout=0.2, poll_seconds=0.02)
    receiver.start(
        "s", lambda url: None, lambda message: (messages.append(message), timed_out.set())
    )
    assert timed_out.wait(WAIT)
    assert "Jupyter server" in messages[0]
    assert box.deliver("s", "http://x/?state=s") == "unknown"
    receiver.close()
    assert list(tmp_path.iterdir()) == []


def test_the_jupyter_mode_is_found_through_its_entry_point() -> None:
    assert redirect_receiver_factory("jupyter") is jupyter_receiver


# -- a sign-in through the drop box ---------------------------------------------------------------


def test_a_jupyter_mode_sign_in_completes_through_the_drop_box(drop_dir: Path) -> None:
    handle, client, recorder = start(mode="jupyter", custom_state="/reports")
    assert handle.redirect_uri == "http://127.0.0.1:8888/lab-base/nbauth/callback"
    assert query(handle.url)["redirect_uri"] == handle.redirect_uri
    state = query(handle.url)["state"]
    box = CallbackDropBox(drop_dir)

    assert box.deliver(state, callback(handle)) == "delivered"  # what the server's handler does
    assert handle.wait(WAIT) == "session-for-alice"
    assert client.exchanges[0]["code"] == CODE
    assert client.exchanges[0]["redirect_uri"] == handle.redirect_uri
    assert recorder.calls[0][2] == "/reports"
    wait_for(lambda: box.outcome(state) is not None or not list(drop_dir.glob("*.pending")))
    assert not list(drop_dir.glob("*.pending"))
    assert not list(drop_dir.glob("*.callback"))


def test_the_callback_page_learns_the_outcome(drop_dir: Path) -> None:
    handle, _, _ = start(mode="jupyter")
    state = query(handle.url)["state"]
    box = CallbackDropBox(drop_dir)
    box.deliver(state, callback(handle, iss="https://evil.example.com"))
    with pytest.raises(CallbackValidationError):
        handle.wait(WAIT)
    outcome: dict[str, str] = {}
    wait_for(lambda: bool(outcome.update(box.outcome(state) or {}) or outcome))
    assert outcome["status"] == "failed"
    assert "issuer" in outcome["message"]
    assert CODE not in outcome["message"]


def test_a_registered_nbauth_callback_uri_wins(drop_dir: Path) -> None:
    client = FakeClient(
        redirect_uris=("http://127.0.0.1/cb", "https://hub.example.com/user/ada/nbauth/callback")
    )
    handle, _, _ = start(client, mode="jupyter")
    assert handle.redirect_uri == "https://hub.example.com/user/ada/nbauth/callback"
    handle.cancel()


def test_cancel_and_timeout_stop_waiting_and_leave_nothing(drop_dir: Path) -> None:
    handle, _, _ = start(mode="jupyter")
    assert list(drop_dir.glob("*.pending"))
    handle.cancel()
    assert handle.status == "cancelled"
    assert list(drop_dir.iterdir()) == []

    handle, _, _ = start(mode="jupyter", timeout=0.3)
    with pytest.raises(SignInTimeoutError) as info:
        handle.wait(WAIT)
    assert "Jupyter server" in info.value.message
    assert handle.status == "timed_out"
    assert list(drop_dir.iterdir()) == []


def test_pasting_the_url_by_hand_also_works_in_jupyter_mode(drop_dir: Path) -> None:
    handle, _, _ = start(mode="jupyter")
    assert handle.complete(callback(handle)) == "session-for-alice"
    wait_for(lambda: list(drop_dir.iterdir()) == [])


def test_an_unwritable_callback_directory_is_a_typed_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(CALLBACK_DIR_ENV, str(blocker / "nbauth-callbacks"))  # under a file
    monkeypatch.setenv("NBAUTH_JUPYTER_URL", "http://127.0.0.1:8888/")
    with pytest.raises(InvalidParameterError) as info:
        start(mode="jupyter")
    assert "mode='paste'" in info.value.recovery_suggestion
