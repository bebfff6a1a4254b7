"""LoginWidget in-process (no browser): front-end messages simulated with ``w.receive(...)``
against the sandbox, the kernel's messages captured.

After each step the synced state of every live widget — what nbclient and JupyterLab save in
``metadata.widgets`` — is scanned for the secrets of that step: the password, the device code
and its user code, the TOTP key, tokens and AWS keys (invariant 1). Secrets may only be in the
custom messages the kernel sent.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from ipywidgets.widgets.widget import _instances

import nbauth
from nbauth.notebook.widget import STATIC_TEXT, LoginWidget, login
from tests.support.aws_env import use_sandbox

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def aws_env(sb: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Any:
    use_sandbox(sb, monkeypatch, tmp_path)
    return sb


@pytest.fixture
def fast_sb(aws_env: Any) -> Any:
    aws_env.set_token_lifetimes(device_interval=1)
    return aws_env


@pytest.fixture
def auth(aws_env: Any) -> Iterator[nbauth.Auth]:
    made = nbauth.Auth(aws_env.config, hub=nbauth.Hub(), storage=nbauth.MemoryStorage())
    yield made
    if made.state == "signed_in":
        made.sign_out()
    made.close()


class Recorder:
    """A widget whose messages to the front-end are recorded."""

    def __init__(self, widget: LoginWidget) -> None:
        self.widget = widget
        self.sent: list[dict[str, Any]] = []
        widget.send_message = self.sent.append  # type: ignore[method-assign]

    def types(self) -> list[str]:
        return [m["type"] for m in self.sent]


@pytest.fixture
def make_widget(auth: nbauth.Auth) -> Iterator[Callable[..., Recorder]]:
    made: list[LoginWidget] = []

    def make(**kwargs: Any) -> Recorder:
        kwargs.setdefault("heartbeat_seconds", 0.1)
        widget = LoginWidget(auth, **kwargs)
        made.append(widget)
        return Recorder(widget)

    yield make
    for widget in made:
        widget.close()
        assert widget.wait_idle(10)
        beat = widget.heartbeat_thread
        assert beat is None or not beat.is_alive()


def wait_for(predicate: Callable[[], Any], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def saved_state() -> str:
    """Every live widget's synced state: what a saved notebook's widget state holds."""
    return json.dumps([w.get_state() for w in list(_instances.values())], default=repr)


def assert_not_saved(*secrets: str) -> None:
    state = saved_state()
    leaked = [s[:4] + "…" for s in secrets if s and s in state]
    assert not leaked, f"secrets in synced widget state: {leaked}"


def session_secrets(auth: nbauth.Auth) -> list[str]:
    session = auth.fetch_auth_session()
    found = [session.credentials.access_key_id, session.credentials.secret_access_key]
    if session.tokens is not None:
        found.append(session.tokens.access_token.to_string())
    return found


# -- device code ------------------------------------------------------------------------------


def test_device_code_travels_as_messages_only(fast_sb, auth, make_widget):
    rec = make_widget()
    w = rec.widget
    w.receive({"type": "hello", "local": True})
    assert rec.sent[-1]["type"] == "ack"
    w.receive({"type": "start_device"})
    assert w.wait_idle(20) and w.panel == "device"
    handle = w.device_handle
    device = next(m for m in rec.sent if m["type"] == "device")
    assert device["user_code"] == handle.user_code and device["link"].startswith("http")
    assert device["expires_at"] == pytest.approx(handle.expires_at)
    assert_not_saved(handle.user_code, device["link"])

    # A re-rendered front-end says hello: the ack, then the pending code again.
    rec.sent.clear()
    w.receive({"type": "hello", "local": False})
    assert rec.types()[:2] == ["ack", "device"]

    fast_sb.approve_device_code(handle.user_code)
    wait_for(lambda: w.panel == "signed_in", "the sign-in")
    assert w.wait_idle(20)
    assert {"type": "clear", "what": "device"} in rec.sent and w.ephemeral == {}
    assert w.status["username"] == "demo" and w.status["state"] == "signed_in"
    assert_not_saved(handle.user_code, *session_secrets(auth))

    w.receive({"type": "sign_out"})
    assert w.wait_idle(20)
    assert w.panel == "sign_in" and auth.state == "signed_out"
    assert w.notice["text"] == "Signed out."


def test_cancel_and_denied_show_words(fast_sb, auth, make_widget):
    rec = make_widget()
    w = rec.widget
    w.receive({"type": "start_device"})
    assert w.wait_idle(20)
    w.receive({"type": "cancel"})
    wait_for(lambda: w.panel == "sign_in", "the cancel")
    assert w.notice["text"] == "Sign-in cancelled." and w.ephemeral == {}


# -- user pool ----------------------------------------------------------------------------------


def test_wrong_password_then_totp_setup_with_a_wrong_code_retried_in_place(
    sb, aws_env, auth, make_widget
):
    username = f"totp-{uuid.uuid4().hex[:10]}"
    password = f"Pw-{uuid.uuid4().hex[:12]}!"
    sb.create_user(username, password, {"email": f"{username}@example.com"})
    sb.set_mfa("ON", sms=False, totp=True, email=False)
    rec = make_widget(providers=["user_pool"])
    w = rec.widget
    assert w.provider == "user_pool"

    w.receive({"type": "sign_in", "username": username, "password": "Wrong-Passw0rd!"})
    assert w.wait_idle(20)
    assert w.panel == "sign_in" and w.error["title"] and w.error["details"]
    assert "Wrong-Passw0rd!" not in saved_state()

    w.receive({"type": "sign_in", "username": username, "password": password})
    assert w.wait_idle(20)
    assert w.panel == "challenge" and w.step["totp_setup"] is True and w.error == {}
    totp = next(m for m in rec.sent if m["type"] == "totp")
    secret = w.next_step["totp_setup_details"].shared_secret
    assert totp["secret"].replace(" ", "") == secret and totp["qr_svg"].startswith("<svg")
    assert_not_saved(password, secret, totp["secret"], totp["qr_svg"][:200])

    w.receive({"type": "confirm", "answer": "000000"})  # a wrong first code: try again
    assert w.wait_idle(20)
    assert w.panel == "challenge" and w.error["title"]
    assert w.step["totp_setup"] is True

    w.receive({"type": "confirm", "answer": sb.totp_code(secret)})
    assert w.wait_idle(20)
    wait_for(lambda: w.panel == "signed_in", "the TOTP sign-in")
    assert {"type": "clear", "what": "totp"} in rec.sent and w.step == {}
    assert_not_saved(password, secret, *session_secrets(auth))


def test_switching_provider_clears_the_error(aws_env, auth, make_widget):
    w = make_widget().widget
    w.select_provider("user_pool")
    w.receive({"type": "sign_in", "username": "", "password": ""})
    assert w.error["title"] == "Enter your username and password."
    w.receive({"type": "select", "provider": w.providers_shown[0]["key"]})
    assert w.error == {} and w.provider == w.providers_shown[0]["key"]


# -- browser ------------------------------------------------------------------------------------


def test_a_wrong_paste_can_be_retried(fast_sb, auth, make_widget):
    rec = make_widget()
    w = rec.widget
    w.receive({"type": "start_oauth", "local": False})  # a remote browser: paste mode
    assert w.wait_idle(20)
    assert w.panel == "browser" and w.redirect == {"mode": "paste", "paste": True}
    url = next(m for m in rec.sent if m["type"] == "redirect")["url"]
    assert url.startswith("http") and url not in saved_state()
    handle = w.redirect_handle
    w.receive({"type": "paste", "url": handle.redirect_uri + "?code=abc&state=wrong"})
    assert w.wait_idle(20)
    assert not handle.done and w.panel == "browser" and w.error["title"]
    w.receive({"type": "cancel"})
    wait_for(lambda: w.panel == "sign_in", "the cancel")
    assert {"type": "clear", "what": "redirect"} in rec.sent


def test_auto_mode_uses_the_loopback_listener_for_a_local_browser(fast_sb, auth, make_widget):
    w = make_widget().widget
    w.receive({"type": "start_oauth", "local": True})
    assert w.wait_idle(20)
    assert w.redirect == {"mode": "loopback", "paste": False}
    w.receive({"type": "cancel"})
    wait_for(lambda: w.panel == "sign_in", "the cancel")


# -- liveness, display, Run All ---------------------------------------------------------------


def test_heartbeats_and_close(aws_env, auth, make_widget):
    rec = make_widget(heartbeat_seconds=0.05)
    wait_for(lambda: rec.types().count("heartbeat") >= 3, "heartbeats")
    rec.widget.close()
    count = rec.types().count("heartbeat")
    time.sleep(0.2)
    assert rec.types().count("heartbeat") == count
    assert not rec.widget.heartbeat_thread or not rec.widget.heartbeat_thread.is_alive()


def test_static_renderers_get_one_line_of_text(aws_env, auth, make_widget):
    w = make_widget().widget
    data, _meta = w._repr_mimebundle_()
    assert data["text/plain"] == STATIC_TEXT
    assert data[WIDGET_VIEW]["model_id"] == w.model_id
    assert "children" not in repr(w)


def test_run_all_expects_a_person_only_with_a_live_widget(aws_env, auth, make_widget):
    from nbauth.notebook.run_all_wait import RunAllWait

    clock = [1000.0]
    w = make_widget(clock=lambda: clock[0]).widget
    room = auth.on_waiting_for_sign_in
    assert isinstance(room, RunAllWait)
    assert not room.expects_person()  # never displayed
    w._repr_mimebundle_()
    assert room.expects_person()  # displayed is enough: a hello can't arrive while cells run
    assert w.expects_sign_in(5.0)  # with a grace: its hello may still be queued
    clock[0] += 10
    assert not w.expects_sign_in(5.0)  # no front-end answered (a headless run)
    w.receive({"type": "hello", "local": True})
    assert w.expects_sign_in(5.0) and room.expects_person()
    w.allow_guest = True
    assert not room.expects_person()
    w.allow_guest = False
    # The wait ends as soon as nobody is expected any more (here: the widget closes).
    w.close()
    assert room.wait_until(lambda: not room.expects_person(), 5)


def test_login_displays_and_returns_the_widget(aws_env, auth, monkeypatch):
    shown: list[Any] = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    widget = login(auth)
    try:
        assert shown == [widget]
    finally:
        widget.close()


def test_run_all_with_a_user_pool_only_widget_says_at_once_how_to_go_on(auth, make_widget):
    """While cells run the widget cannot take a typed password (its messages wait for the
    cell), so a waiting cell that cannot start a device-code sign-in stops at once with
    advice instead of waiting minutes for input that cannot arrive."""
    from nbauth.notebook.run_all_wait import NO_DEVICE_FLOW, RunAllWait

    w = make_widget(providers=["user_pool"]).widget
    w._repr_mimebundle_()
    room = auth.on_waiting_for_sign_in
    assert isinstance(room, RunAllWait) and room.expects_person()
    shown: list[str] = []
    room._display = type("D", (), {"update": lambda self, b, raw=False: shown.append(str(b))})()
    started = time.monotonic()
    assert room.wait_until(lambda: False, timeout=30) is False
    assert time.monotonic() - started < 2
    assert auth.pending_sign_in is None
    assert any(NO_DEVICE_FLOW in text for text in shown)
