"""``%nbauth``: the command line, configuration, and every message a mistake gets — no network
beyond the sandbox's configuration, no traceback, no secret."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

import nbauth.api as api
from nbauth.errors import ExpiredDeviceCodeError
from nbauth.notebook.display import Code, Link, Message, error_message, mm_ss
from nbauth.notebook.magics import SUBCOMMANDS, build_parser
from tests.support.notebook_shell import clean_shell, line, magic, own_shell_instance, write_config


@pytest.fixture(scope="module", autouse=True)
def _shell_instance() -> Iterator[InteractiveShell]:
    yield from own_shell_instance()


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[InteractiveShell]:
    with clean_shell(monkeypatch, tmp_path) as ip:
        line(ip, "load_ext", "nbauth")
        yield ip


def _no_traceback(shown: Any) -> None:
    assert "Traceback" not in shown.text and "Error:" not in shown.stderr


# -- the command line ----------------------------------------------------------------------


def test_parser_reads_each_subcommand() -> None:
    parser = build_parser()
    assert parser.prog == "%nbauth"
    args = parser.parse_args(["login", "--redirect", "--provider", "corp", "--timeout", "30"])
    assert (args.command, args.mode, args.provider, args.timeout) == (
        "login",
        "loopback",
        "corp",
        30,
    )
    assert parser.parse_args(["login"]).mode is None  # device code by default
    assert parser.parse_args(["federate", "tok", "GOOGLE"]).variable == "tok"
    assert parser.parse_args(["logout", "--global"]).global_sign_out is True
    assert parser.parse_args(["config"]).path is None


@pytest.mark.parametrize("line_", ["", "help"])
def test_help_lists_every_subcommand(shell: InteractiveShell, line_: str) -> None:
    shown = magic(shell, line_)
    for name in SUBCOMMANDS:
        assert f"%nbauth {name}" in shown
    assert "--device" in shown and "--paste" in shown and "--timeout S" in shown
    assert shown.value is None


def test_subcommand_help_is_argparse_help(shell: InteractiveShell) -> None:
    shown = magic(shell, "login -h")
    assert "usage: %nbauth login" in shown and "--provider NAME" in shown
    _no_traceback(shown)


@pytest.mark.parametrize(
    ("line_", "expected"),
    [
        ("bogus", "unknown subcommand 'bogus'"),
        ("LOGIN", "unknown subcommand 'LOGIN'"),
        ("login --bogus", "%nbauth login: unrecognized arguments: --bogus"),
        ("login --device --paste", "not allowed with argument"),
        ("login --timeout soon", "expected seconds, got 'soon'"),
        ("login --timeout -5", "expected a positive number of seconds"),
        ("federate", "the following arguments are required: variable, provider"),
        ("complete a b", "unrecognized arguments: b"),
        ('status "unclosed', "cannot read the command line"),
    ],
)
def test_mistakes_get_a_message_not_a_traceback(
    shell: InteractiveShell, line_: str, expected: str
) -> None:
    shown = magic(shell, line_)
    assert expected in shown, shown.text
    assert shown.value is None
    _no_traceback(shown)
    if "unknown" in expected or "cannot read" in expected:
        assert "login, complete, cancel, status, whoami, session" in shown  # what is allowed
    else:
        assert "Usage: %nbauth" in shown


def test_an_unknown_subcommand_that_looks_like_a_token_is_not_echoed(
    shell: InteractiveShell,
) -> None:
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJlLXZhbHVl"
    shown = magic(shell, token)
    assert "unknown subcommand" in shown and token not in shown.everything


# -- without a configuration -------------------------------------------------------------------


@pytest.mark.parametrize("line_", ["status", "config", "login", "session", "whoami", "logout"])
def test_unconfigured_subcommands_say_how_to_configure(shell: InteractiveShell, line_: str) -> None:
    shown = magic(shell, line_)
    assert "ConfigurationError" in shown, shown.text
    assert "%nbauth config" in shown
    assert api._default is None
    _no_traceback(shown)


def test_config_with_a_bad_path_is_a_configuration_error(
    shell: InteractiveShell, tmp_path: Path
) -> None:
    shown = magic(shell, f"config {tmp_path / 'missing.json'}")
    assert "ConfigurationError: Cannot read configuration file" in shown
    (tmp_path / "bad.json").write_text("{not json")
    assert "is not valid JSON" in magic(shell, f"config {tmp_path / 'bad.json'}")
    assert api._default is None


# -- with a configuration ----------------------------------------------------------------------


def test_config_loads_a_file_and_shows_it_without_secrets(
    shell: InteractiveShell, sb: Any, tmp_path: Path
) -> None:
    secret = "client-secret-9f8e7d6c5b4a"
    path = write_config(sb, tmp_path / "outputs.json")
    config = json.loads(path.read_text())
    config["nbauth"]["oidc_providers"]["corp"] = {
        "issuer": "https://idp.example.com",
        "client_id": "corp-client",
        "client_secret": secret,
    }
    path.write_text(json.dumps(config))

    shown = magic(shell, f"config {path}")
    assert f"Configured from {path}" in shown
    assert sb.identity_pool_id in shown and sb.user_pool_id in shown
    assert "OIDC provider sandbox (default)" in shown and "OIDC provider corp" in shown
    assert "client secret set (hidden)" in shown
    assert secret not in shown.everything
    assert api._default is not None and api._default.on_waiting_for_sign_in is not None

    again = magic(shell, "config")
    assert "nbauth configuration" in again and secret not in again.everything


def test_config_from_the_environment_is_used_on_first_call(
    shell: InteractiveShell, sb: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(sb, tmp_path / "elsewhere.json")
    monkeypatch.setenv("NBAUTH_CONFIG", str(path))
    shown = magic(shell, "status")
    assert "state" in shown and "signed_out" in shown
    assert api._default is not None and api._default.config.source == str(path)


def test_login_with_an_unknown_provider_lists_the_known_ones(
    shell: InteractiveShell, sb: Any, tmp_path: Path
) -> None:
    magic(shell, f"config {write_config(sb, tmp_path / 'outputs.json')}")
    shown = magic(shell, "login --provider nope")
    assert "ConfigurationError: Unknown provider 'nope'" in shown
    assert "sandbox" in shown
    assert api._default.state == "signed_out" and api._default.pending_sign_in is None
    _no_traceback(shown)


def test_login_when_the_idp_is_unreachable_changes_nothing(
    shell: InteractiveShell, sb: Any, tmp_path: Path
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = write_config(sb, tmp_path / "outputs.json")
    config = json.loads(path.read_text())
    config["nbauth"]["oidc_providers"]["down"] = {
        "issuer": f"http://127.0.0.1:{port}",
        "client_id": "x",
    }
    path.write_text(json.dumps(config))
    magic(shell, f"config {path}")
    shown = magic(shell, "login --provider down")
    assert "DiscoveryError" in shown or "NetworkError" in shown, shown.text
    assert f"127.0.0.1:{port}" in shown
    _no_traceback(shown)
    assert api._default.state == "signed_out" and api._default.pending_sign_in is None
    assert "signed_out" in magic(shell, "status")


def test_nothing_to_cancel_complete_or_log_out(
    shell: InteractiveShell, sb: Any, tmp_path: Path
) -> None:
    magic(shell, f"config {write_config(sb, tmp_path / 'outputs.json')}")
    assert "No sign-in is in progress" in magic(shell, "cancel")
    assert "No sign-in is waiting for a pasted URL" in magic(shell, "complete http://x/?code=1")
    assert "Nobody is signed in" in magic(shell, "logout")
    assert "Not signed in" in magic(shell, "whoami")
    shown = magic(shell, "federate no_such_variable GOOGLE")
    assert "There is no variable named 'no_such_variable'" in shown
    shell.user_ns["not_a_token"] = 42
    assert "holds a int, not a token string" in magic(shell, "federate not_a_token GOOGLE")


# -- the messages ------------------------------------------------------------------------------


def test_messages_escape_html_and_only_link_web_urls() -> None:
    message = Message(
        "<b>title</b>",
        lines=[("Open ", Link("https://idp.example/device?a=1&b=2"), " code ", Code("AB-CD"))],
        rows=[("user", "<script>x</script>")],
    )
    page = message.to_html()
    assert "<b>title</b>" not in page and "&lt;b&gt;title&lt;/b&gt;" in page
    assert 'href="https://idp.example/device?a=1&amp;b=2"' in page
    assert "<script>" not in page and "AB-CD</code>" in page
    assert "Open https://idp.example/device?a=1&b=2 code AB-CD" in message.to_text()
    hostile = Message("x", lines=[(Link("javascript:alert(1)", "click"),)]).to_html()
    assert "href" not in hostile


def test_errors_show_words_what_to_do_and_details() -> None:
    error = ExpiredDeviceCodeError("The device code expired.", name="expired_token")
    text = error_message(error, ("Run ", Code("%nbauth login"), ".")).to_text()
    assert text.splitlines() == [
        "✗ The sign-in code expired",
        "  → Start the sign-in again and enter the new code before it expires.",
        "  → Run %nbauth login.",
        "  Details: expired_token: The device code expired.",
    ]
    assert (mm_ss(59.9), mm_ss(61), mm_ss(3600), mm_ss(0), mm_ss(None)) == (
        "00:59",
        "01:01",
        "1:00:00",
        "expired",
        "—",
    )


def test_login_widget_option_shows_the_login_widget_and_unload_closes_it(
    shell: InteractiveShell, sb: Any, tmp_path: Path
) -> None:
    from nbauth.notebook import extension

    widget_module = pytest.importorskip("nbauth.notebook.widget")
    magic(shell, f"config {write_config(sb, tmp_path / 'outputs.json')}")
    shown = magic(shell, "login --widget")
    _no_traceback(shown)
    ext = extension.extensions.get(shell)
    assert ext is not None
    assert len(ext.widgets) == 1 and isinstance(ext.widgets[0], widget_module.LoginWidget)
    assert api._default.pending_sign_in is None  # the widget starts the sign-in itself
    widget = ext.widgets[0]
    closed: list[bool] = []
    widget.close = lambda: closed.append(True)  # type: ignore[method-assign]
    line(shell, "unload_ext", "nbauth")
    assert closed == [True]
    widget_module.LoginWidget.close(widget)  # the real close: its threads stop
