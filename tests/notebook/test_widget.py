"""LoginWidget in-process (no browser): buttons clicked from Python against the sandbox.

Every flow ends with a scan of the synced state of the widget, each of its parts (layouts and
styles included) and every other live widget — what nbclient and JupyterLab would save in
``metadata.widgets`` — for each secret the run issued: password, tokens, AWS keys, the device
code, one-time codes and the authorization code (invariant 1).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import ipywidgets
import pytest
import requests
from ipywidgets.widgets.widget import _instances

import nbauth
from nbauth.config import load_config
from nbauth.errors import ConfigurationError, InvalidParameterError
from nbauth.notebook import widget_html
from nbauth.notebook.widget import LoginWidget, login, provider_options
from nbauth.oidc.client import OIDCClient
from tests.support.aws_env import use_sandbox

HARD_CODED_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|\b(white|black)\b|rgba?\(", re.I)


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def aws_env(sb: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Any:
    """botocore pointed at the sandbox, with no ambient credentials (as tests/integration)."""
    use_sandbox(sb, monkeypatch, tmp_path)
    return sb


@pytest.fixture
def fast_sb(aws_env: Any) -> Any:
    """The shared sandbox with a 1-second device polling interval (reset after the test)."""
    aws_env.set_token_lifetimes(device_interval=1)
    return aws_env


@pytest.fixture
def auth(aws_env: Any) -> Iterator[nbauth.Auth]:
    made = nbauth.Auth(aws_env.config, hub=nbauth.Hub(), storage=nbauth.MemoryStorage())
    yield made
    if made.state == "signed_in":
        made.sign_out()
    made.close()


class FakeClock:
    """Real time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def make_widget(auth: nbauth.Auth) -> Iterator[Callable[..., LoginWidget]]:
    made: list[LoginWidget] = []

    def make(**kwargs: Any) -> LoginWidget:
        kwargs.setdefault("tick_seconds", 0.05)
        widget = LoginWidget(auth, **kwargs)
        made.append(widget)
        return widget

    yield make
    for widget in made:
        widget.close()
        assert widget.wait_idle(10)
        ticker = widget.countdown_thread
        assert ticker is None or not ticker.is_alive()


@pytest.fixture
def device_codes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every device code the IdP issues in the test (secrets the widget must never hold)."""
    codes: list[str] = []
    original = OIDCClient.post_form

    def recording(self: OIDCClient, url: str, data: dict[str, str], what: str) -> Any:
        answer = original(self, url, data, what)
        if isinstance(answer, dict) and "device_code" in answer:
            codes.append(str(answer["device_code"]))
        return answer

    monkeypatch.setattr(OIDCClient, "post_form", recording)
    return codes


# -- helpers ----------------------------------------------------------------------------------


def wait_for(predicate: Callable[[], Any], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def synced_state(root: ipywidgets.Widget) -> str:
    """JSON of ``get_state()`` of ``root``, every widget it references (children, layouts,
    styles) and every other live widget: what a saved notebook's ``metadata.widgets`` holds."""
    states: dict[int, Any] = {}

    def walk(widget: ipywidgets.Widget) -> None:
        if id(widget) in states:
            return
        states[id(widget)] = widget.get_state()
        for name in widget.keys:
            value = getattr(widget, name)
            for item in value if isinstance(value, (list, tuple)) else (value,):
                if isinstance(item, ipywidgets.Widget):
                    walk(item)

    walk(root)
    for other in list(_instances.values()):
        states.setdefault(id(other), other.get_state())
    assert len(states) > 40, "the walk must reach the widget's parts"
    return json.dumps(list(states.values()), default=repr)


def issued_secrets(auth: nbauth.Auth, *, tokens: bool = True) -> set[str]:
    """The tokens and AWS keys of the current session (signed in; federated: ``tokens=False``)."""
    session = auth.fetch_auth_session()
    found: set[str] = set()
    if session.tokens is not None:
        for jwt in (session.tokens.access_token, session.tokens.id_token):
            if jwt is not None:
                found.add(jwt.to_string())
                found.add(jwt.to_string().rsplit(".", 1)[1])  # the signature alone
    current = getattr(auth.signed_in_user, "current", None)
    if current is not None:
        found |= {current.access_token, current.id_token or "", current.refresh_token or ""}
    credentials = session.credentials
    assert credentials is not None
    found |= {
        credentials.access_key_id,
        credentials.secret_access_key,
        credentials.session_token or "",
    }
    found.discard("")
    assert len(found) >= (7 if tokens else 3)
    return found


def assert_no_secret(widget: LoginWidget, secrets: set[str]) -> None:
    state = synced_state(widget)
    leaked = sorted(s[:6] + "…" for s in secrets if s in state)
    assert not leaked, f"secrets in synced widget state: {leaked}"


def html_values(widget: LoginWidget) -> list[str]:
    return [p.value for p in widget.parts() if isinstance(p, ipywidgets.HTML)]


def countdown_seconds(widget: LoginWidget) -> int:
    text = re.sub(r"<[^>]+>", "", widget.countdown.value)
    minutes, seconds = re.search(r"(\d+):(\d\d)", text).groups()  # type: ignore[union-attr]
    return int(minutes) * 60 + int(seconds)


def credentials_seconds(widget: LoginWidget) -> int:
    match = re.search(r"valid for (?:(\d+):)?(\d+):(\d\d)", widget.status_text)
    assert match, widget.status_text
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def sign_out_with_widget(widget: LoginWidget, auth: nbauth.Auth) -> None:
    widget.sign_out_button.click()
    assert widget.wait_idle(20)
    assert auth.state == "signed_out"
    assert widget.mode == "sign_in"
    assert widget.status_text == "Signed out."
    assert widget.sign_in_box.layout.display is None
    assert widget.sign_out_button.layout.display == "none"
    assert widget.credentials_status.value == "" and widget.refresh_status.value == ""


# -- device code ------------------------------------------------------------------------------


def test_device_code_countdown_sign_in_sign_out_then_user_pool(
    fast_sb, auth, make_widget, device_codes
):
    sb = fast_sb
    clock = FakeClock()
    widget = make_widget(clock=clock)
    assert widget.mode == "sign_in"
    assert [o.kind for o in widget.providers][:2] == ["oidc", "user_pool"]
    assert widget.selected_provider.name == "sandbox"

    widget.device_button.click()
    assert widget.wait_idle(20)
    handle = widget.device_handle
    assert widget.mode == "device" and handle.status == "pending"
    assert handle.user_code in widget.user_code.value  # shown on purpose
    assert f'href="{handle.verification_uri_complete}"'.replace("&", "&amp;") in (
        widget.user_code.value
    )
    assert 'target="_blank"' in widget.user_code.value
    assert "monospace" in widget.user_code.value

    # The countdown moves, from a background thread.
    wait_for(lambda: widget.countdown.value, "the countdown")
    first = countdown_seconds(widget)
    assert 590 <= first <= 600
    clock.offset += 65
    wait_for(lambda: countdown_seconds(widget) <= first - 65, "the countdown to move")
    assert device_codes and device_codes[-1] not in synced_state(widget)

    sb.approve_device_code(handle.user_code)
    wait_for(lambda: "Signed in as demo" in widget.status_text, "Signed in as demo")
    assert widget.wait_idle(20)
    assert handle.status == "signed_in" and auth.state == "signed_in"
    # Invariant 1: the prompt is cleared on success.
    assert widget.mode == "signed_in"
    assert widget.user_code.value == "" and widget.countdown.value == ""
    assert handle.user_code not in synced_state(widget)
    # The credentials countdown is live too.
    wait_for(lambda: "AWS credentials valid for" in widget.status_text, "credentials line")
    before = credentials_seconds(widget)
    clock.offset += 120
    wait_for(lambda: credentials_seconds(widget) <= before - 120, "credentials countdown")

    secrets = issued_secrets(auth) | set(device_codes)
    assert_no_secret(widget, secrets)
    for value in html_values(widget):
        assert not HARD_CODED_COLOUR.search(value), value
        assert "var(--jp-" in value or value == ""

    sign_out_with_widget(widget, auth)
    assert_no_secret(widget, secrets)

    # After sign-out the same widget signs in again: the user pool, with the form.
    widget.select_provider("user_pool")
    assert widget.user_pool_form.layout.display is None
    assert widget.device_button.disabled
    widget.username.value = sb.demo_username
    widget.password.value = sb.demo_password
    widget.sign_in_button.click()
    assert widget.password.value == ""  # emptied at once, before any network call
    assert widget.wait_idle(20)
    wait_for(lambda: f"Signed in as {sb.demo_username}" in widget.status_text, "user pool")
    assert widget.mode == "signed_in"
    secrets |= issued_secrets(auth) | {sb.demo_password}
    assert_no_secret(widget, secrets)
    sign_out_with_widget(widget, auth)
    assert_no_secret(widget, secrets)


def test_cancel_works_while_polling(fast_sb, auth, make_widget, device_codes):
    widget = make_widget()
    widget.device_button.click()
    assert widget.wait_idle(20)
    handle = widget.device_handle
    wait_for(lambda: handle.polls >= 1, "a poll")  # mid-poll
    widget.cancel_button.click()
    assert handle.status == "cancelled"
    assert widget.mode == "sign_in"
    assert widget.status_text == "Sign-in cancelled."
    assert widget.user_code.value == "" and widget.countdown.value == ""
    wait_for(lambda: widget.countdown_thread is None, "the countdown thread to stop")
    polls = handle.polls
    time.sleep(1.3)  # the poller stopped: no poll after the cancel
    assert handle.polls == polls and auth.state == "signed_out"
    assert_no_secret(widget, set(device_codes))


def test_denied_device_code_shows_the_typed_error(fast_sb, auth, make_widget):
    widget = make_widget()
    widget.device_button.click()
    assert widget.wait_idle(20)
    fast_sb.deny_device_code(widget.device_handle.user_code)
    wait_for(lambda: widget.mode == "sign_in", "the error")
    assert widget.last_error is not None
    name, message = widget.last_error.name, widget.last_error.message
    assert f"{name}: {message}" in widget.status_text
    assert widget.last_error.recovery_suggestion in widget.status_text
    assert widget.user_code.value == ""
    assert "error-color" in widget.status.value


# -- browser (code + PKCE) --------------------------------------------------------------------


def test_browser_sign_in_with_loopback_and_with_paste(fast_sb, auth, make_widget):
    sb = fast_sb
    widget = make_widget()
    widget.browser_button.click()
    assert widget.wait_idle(20)
    handle = widget.redirect_handle
    assert widget.mode == "browser" and handle.mode == "loopback"
    assert 'target="_blank"' in widget.browser_link.value
    assert handle.url.replace("&", "&amp;") in widget.browser_link.value
    requests.get(sb.sign_in_at(handle.url), timeout=10)  # the browser comes back to 127.0.0.1
    wait_for(lambda: "Signed in as demo" in widget.status_text, "loopback sign-in")
    assert widget.wait_idle(20)
    assert widget.browser_link.value == ""
    secrets = issued_secrets(auth)
    assert_no_secret(widget, secrets)
    sign_out_with_widget(widget, auth)

    remote = make_widget(redirect_mode="paste")
    remote.browser_button.click()
    assert remote.wait_idle(20)
    handle = remote.redirect_handle
    assert handle.mode == "paste"
    remote.paste_url.value = "not a url"
    remote.complete_button.click()
    assert remote.paste_url.value == ""
    assert remote.wait_idle(20)
    assert remote.mode == "browser" and "InvalidParameterError" in remote.status_text
    final = sb.sign_in_at(handle.url)
    code = parse_qs(urlsplit(final).query)["code"][0]
    remote.paste_url.value = final
    remote.complete_button.click()
    assert remote.paste_url.value == ""  # it carries the authorization code
    assert remote.wait_idle(20)
    wait_for(lambda: "Signed in as demo" in remote.status_text, "paste sign-in")
    assert remote.browser_link.value == ""
    secrets |= issued_secrets(auth) | {code}
    assert_no_secret(remote, secrets)
    # Both widgets follow the same Auth: the first one shows the sign-in too.
    wait_for(lambda: "Signed in as demo" in widget.status_text, "the other widget")
    sign_out_with_widget(remote, auth)
    wait_for(lambda: widget.mode == "sign_in", "the other widget to reset")


def test_managed_login_provider_uses_cognito(aws_env, auth, make_widget):
    widget = make_widget(providers=["Google", "user_pool"])
    assert [o.label for o in widget.providers] == [
        "Google (Cognito managed login)",
        "Cognito user pool",
    ]
    assert widget.device_button.disabled  # Cognito managed login has no device flow
    widget.browser_button.click()
    assert widget.wait_idle(20)
    assert "identity_provider=Google" in widget.redirect_handle.url
    widget.browser_cancel_button.click()
    assert widget.redirect_handle.status == "cancelled" and widget.mode == "sign_in"
    assert widget.browser_link.value == ""


# -- user pool --------------------------------------------------------------------------------


def test_user_pool_form_with_sms_mfa(sb, aws_env, auth, make_widget):
    username = f"mfa-{uuid.uuid4().hex[:10]}"
    password = f"Pw-{uuid.uuid4().hex[:12]}!"
    sb.create_user(
        username, password, {"email": f"{username}@example.com", "phone_number": "+15555550100"}
    )
    sb.set_mfa("OPTIONAL", sms=True, totp=False, email=False)
    sb.set_user_mfa(username, sms=True, preferred="sms")

    widget = make_widget(providers=["user_pool"])
    assert widget.device_button.disabled
    widget.username.value = username
    widget.password.value = password
    widget.sign_in_button.click()
    assert widget.password.value == ""
    assert widget.wait_idle(20)
    assert widget.mode == "challenge"
    assert widget.next_step["sign_in_step"] == "CONFIRM_SIGN_IN_WITH_SMS_CODE"
    assert widget.challenge_code.layout.display is None
    assert widget.challenge_secret.layout.display == "none"
    assert "SMS" in widget.challenge_prompt.value

    # A wrong code: the error shows, the field is emptied, the step can be answered again.
    widget.challenge_code.value = "000000"
    widget.challenge_button.click()
    assert widget.challenge_code.value == ""
    assert widget.wait_idle(20)
    assert widget.mode == "challenge"
    assert "CodeMismatch" in widget.status_text

    code = sb.last_code(username)
    widget.challenge_code.value = code
    widget.challenge_button.click()
    assert widget.challenge_code.value == ""
    assert widget.wait_idle(20)
    wait_for(lambda: f"Signed in as {username}" in widget.status_text, "MFA sign-in")
    assert widget.challenge_prompt.value == "" and widget.next_step is None
    secrets = issued_secrets(auth) | {password}
    assert_no_secret(widget, secrets)
    sign_out_with_widget(widget, auth)
    assert_no_secret(widget, secrets)


def test_user_pool_mfa_selection_and_wrong_password(sb, aws_env, auth, make_widget):
    username = f"sel-{uuid.uuid4().hex[:10]}"
    password = f"Pw-{uuid.uuid4().hex[:12]}!"
    sb.create_user(
        username, password, {"email": f"{username}@example.com", "phone_number": "+15555550101"}
    )
    widget = make_widget(providers=["user_pool"])

    widget.username.value = username
    widget.password.value = "Wrong-Passw0rd!"
    widget.sign_in_button.click()
    assert widget.password.value == ""
    assert widget.wait_idle(20)
    assert widget.mode == "sign_in"
    assert "NotAuthorized" in widget.status_text
    assert widget.last_error.recovery_suggestion in widget.status_text

    sb.set_mfa("OPTIONAL", sms=True, totp=False, email=True)
    sb.set_user_mfa(username, sms=True, email=True)  # no preference: the user chooses
    widget.password.value = password
    widget.sign_in_button.click()
    assert widget.wait_idle(20)
    assert widget.next_step["sign_in_step"] == "CONTINUE_SIGN_IN_WITH_MFA_SELECTION"
    assert widget.mfa_choice.layout.display is None
    assert set(widget.mfa_choice.options) == {"SMS", "EMAIL"}
    widget.mfa_choice.value = "EMAIL"
    widget.challenge_button.click()
    assert widget.wait_idle(20)
    assert widget.next_step["sign_in_step"] == "CONFIRM_SIGN_IN_WITH_EMAIL_CODE"
    widget.challenge_code.value = sb.last_code(username)
    widget.challenge_button.click()
    assert widget.wait_idle(20)
    wait_for(lambda: f"Signed in as {username}" in widget.status_text, "sign-in")
    assert_no_secret(widget, issued_secrets(auth) | {password})


# -- status panel -----------------------------------------------------------------------------


def test_refresh_failures_show_and_clear(fast_sb, auth, make_widget):
    sb = fast_sb
    widget = make_widget()
    widget.device_button.click()
    assert widget.wait_idle(20)
    sb.approve_device_code(widget.device_handle.user_code)
    wait_for(lambda: "AWS credentials valid for" in widget.status_text, "signed in")
    assert widget.wait_idle(20)

    sb.fail_next("GetCredentialsForIdentity", code="InternalErrorException", status=500, times=9)
    with pytest.raises(nbauth.errors.AuthError):
        auth.fetch_auth_session(force_refresh=True)
    wait_for(lambda: "Refreshing AWS credentials failed" in widget.status_text, "the failure")
    assert "warn-color" in widget.refresh_status.value
    sb.clear_faults()
    auth.fetch_auth_session(force_refresh=True)
    wait_for(lambda: widget.refresh_status.value == "", "the failure to clear")

    auth.hub.dispatch(
        "auth",
        "tokenRefresh_failure",
        {"error": "invalid_grant", "message": "The refresh token was revoked."},
    )
    assert "Refreshing tokens failed: invalid_grant: The refresh token was revoked." in (
        widget.status_text
    )


def test_session_ending_without_sign_out_resets_the_view(fast_sb, auth, make_widget):
    sb = fast_sb
    widget = make_widget()
    widget.device_button.click()
    assert widget.wait_idle(20)
    sb.approve_device_code(widget.device_handle.user_code)
    wait_for(lambda: widget.mode == "signed_in", "signed in")
    assert widget.wait_idle(20)
    sb.revoke_refresh_tokens("demo")
    with pytest.raises(nbauth.errors.AuthError):
        auth.fetch_auth_session(force_refresh=True)  # the IdP refuses: signed out locally
    wait_for(lambda: widget.mode == "sign_in", "the reset")
    assert "session ended" in widget.status_text


def test_widget_shows_a_session_that_exists_already(fast_sb, auth, make_widget):
    handle = auth.sign_in_with_device_code()
    first = make_widget()  # adopts the pending sign-in started in a cell
    assert first.mode == "device" and handle.user_code in first.user_code.value
    first.close()
    assert handle.status == "pending"  # not the widget's to cancel
    widget = make_widget()
    assert widget.mode == "device"
    fast_sb.approve_device_code(handle.user_code)
    wait_for(lambda: "Signed in as demo" in widget.status_text, "signed in")
    late = make_widget()
    wait_for(lambda: "Signed in as demo" in late.status_text, "the username")
    assert late.mode == "signed_in"


def test_federation_is_shown_and_cleared(aws_env, auth, make_widget):
    sb = aws_env
    widget = make_widget()
    token = sb.id_token()
    auth.federate_to_identity_pool(token, nbauth.AuthProvider.user_pool(sb.region, sb.user_pool_id))
    wait_for(lambda: "AWS credentials valid for" in widget.status_text, "the federated session")
    assert "Federated to the identity pool" in widget.status_text
    assert widget.sign_out_button.description == "Clear federation"
    assert_no_secret(widget, issued_secrets(auth, tokens=False) | {token})
    widget.sign_out_button.click()
    assert widget.wait_idle(20)
    assert auth.state == "signed_out" and widget.mode == "sign_in"
    assert widget.status_text == "Federation cleared."


# -- lifecycle --------------------------------------------------------------------------------


def test_close_unsubscribes_stops_threads_and_cancels(fast_sb, auth, make_widget, monkeypatch):
    subscribed: list[str] = []  # channels the widget listens on, through the public API
    listen = auth.hub.listen

    def recording_listen(channel: str, callback: Callable[..., Any]) -> Callable[[], None]:
        unsubscribe = listen(channel, callback)
        subscribed.append(channel)

        def recorded() -> None:
            subscribed.remove(channel)
            unsubscribe()

        return recorded

    monkeypatch.setattr(auth.hub, "listen", recording_listen)
    widget = make_widget()
    assert subscribed == ["auth"]
    widget.device_button.click()
    assert widget.wait_idle(20)
    handle = widget.device_handle
    ticker = widget.countdown_thread
    assert ticker is not None and ticker.is_alive()
    ids = {p.model_id for p in widget.parts()} | {widget.model_id}
    widget.close()
    assert handle.status == "cancelled"
    assert not ticker.is_alive()
    assert subscribed == []
    assert not ids & set(_instances)
    widget.close()  # idempotent
    auth.hub.dispatch("auth", "signedIn", {"username": "x"})  # nobody listens any more
    assert [t for t in threading.enumerate() if t.name.startswith("nbauth-login-widget")] == []


def test_login_displays_and_returns_the_widget(aws_env, auth, monkeypatch):
    shown: list[Any] = []
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: shown.extend(objs))
    widget = login(auth, providers=["sandbox"])
    try:
        assert shown == [widget] and isinstance(widget, LoginWidget)
    finally:
        widget.close()


def test_import_nbauth_stays_light_and_exports_the_widget():
    code = (
        "import sys, nbauth; light = 'ipywidgets' not in sys.modules; "
        "from nbauth.notebook import widget; "
        "print(light, nbauth.LoginWidget is widget.LoginWidget)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]


# -- pieces without a sandbox -----------------------------------------------------------------

CONFIG = {
    "auth": {
        "aws_region": "eu-west-1",
        "user_pool_id": "eu-west-1_AbC123",
        "user_pool_client_id": "client",
        "oauth": {
            "domain": "auth.example.com",
            "scopes": ["openid"],
            "redirect_sign_in_uri": ["http://127.0.0.1/callback"],
            "redirect_sign_out_uri": ["http://127.0.0.1/out"],
            "response_type": "code",
            "identity_providers": ["GOOGLE", "SIGN_IN_WITH_APPLE"],
        },
    },
    "nbauth": {
        "oidc_providers": {
            "corp": {"issuer": "https://idp.example.com", "client_id": "a"},
            "lab": {"issuer": "https://lab.example.com", "client_id": "b"},
        },
        "default_provider": "lab",
    },
}


def test_provider_options_order_filter_and_errors():
    config = load_config(CONFIG)
    labels = [o.label for o in provider_options(config)]
    assert labels == [
        "lab",
        "corp",
        "Cognito user pool",
        "Google (Cognito managed login)",
        "Apple (Cognito managed login)",
    ]
    chosen = provider_options(config, ["apple", "USER_POOL", "corp"])
    assert [(o.kind, o.name) for o in chosen] == [
        ("managed_login", "SIGN_IN_WITH_APPLE"),
        ("user_pool", None),
        ("oidc", "corp"),
    ]
    with pytest.raises(InvalidParameterError, match="Unknown provider 'okta'"):
        provider_options(config, ["okta"])
    with pytest.raises(ConfigurationError, match="Nothing to sign in to"):
        provider_options(load_config({"auth": {"aws_region": "eu-west-1"}}))


def test_html_pieces_escape_and_use_theme_variables():
    evil = '<script>alert("x")</script>'
    pieces = [
        widget_html.device_prompt_html(evil, 'https://idp/device?code="x"'),
        widget_html.browser_prompt_html("https://idp/a?x=1&y=<2>", "loopback"),
        widget_html.status_html(evil, "error", evil),
        widget_html.countdown_html(61),
        widget_html.credentials_html(3725, "eu-west-1:abc"),
        widget_html.challenge_prompt_html(
            {
                "sign_in_step": "CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE",
                "additional_info": {"q": evil},
            }
        ),
        widget_html.title_html(),
    ]
    for piece in pieces:
        assert "<script>" not in piece
        assert not HARD_CODED_COLOUR.search(piece), piece
        assert "var(--jp-" in piece
    assert "01:01" in pieces[3] and "1:02:05" in pieces[4]
    totp = widget_html.challenge_prompt_html(
        {"sign_in_step": "CONTINUE_SIGN_IN_WITH_TOTP_SETUP", "totp_setup_details": "SECRETKEY"}
    )
    assert "SECRETKEY" not in totp  # the setup key is a secret: never in widget HTML
