"""Issue 11: URLs the identity provider supplies (``verification_uri_complete``, the
authorization URL) become links only when they are http(s). A ``javascript:`` one was rendered
as a clickable link in the widget; now it is plain, escaped text with a warning, the widget
prefers the http(s) ``verification_uri``, and no tab is ever opened on it. (Discovery documents
are checked too, in nbauth.oidc.discovery; this is the view's own defence.)
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from nbauth.notebook.display import Link, Message
from nbauth.notebook.sign_in_prompts import sign_in_lines
from nbauth.notebook.widget_device_code import device_link, device_message
from nbauth.notebook.widget_links import is_web_url

HOSTILE = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "https:/no-host",
    "//evil.example/x",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_a_non_web_url_is_never_a_link(url: str) -> None:
    assert not is_web_url(url)
    # The widget's device message carries it as text only (the front-end makes no link of it).
    handle = SimpleNamespace(
        user_code="WDJB-MJHT", verification_uri=url, verification_uri_complete=url, expires_at=0
    )
    message = device_message(handle)
    assert message["link"] is None and message["user_code"] == "WDJB-MJHT"


def test_web_urls_are_links() -> None:
    assert is_web_url('https://idp.example.com/device?user_code=A"onmouseover="x')
    assert is_web_url("http://127.0.0.1:8080/device")


def device_handle(complete: str | None) -> SimpleNamespace:
    return SimpleNamespace(
        user_code="WDJB-MJHT",
        verification_uri="https://idp.example.com/device",
        verification_uri_complete=complete,
        seconds_left=lambda: 300.0,
    )


@pytest.mark.parametrize("url", HOSTILE)
def test_the_widget_and_the_magics_prefer_the_http_verification_uri(url: str) -> None:
    handle = device_handle(url)
    assert device_link(handle) == "https://idp.example.com/device"
    message = Message("Sign in", lines=sign_in_lines(handle))
    html = message.to_html()
    assert 'href="https://idp.example.com/device"' in html
    assert "javascript" not in html.lower().replace("\t", "")
    good = device_handle("https://idp.example.com/device?user_code=WDJB-MJHT")
    assert device_link(good) == good.verification_uri_complete


def test_a_hostile_link_in_a_message_is_text_with_a_warning() -> None:
    html = Message("x", lines=[("Open ", Link("javascript:alert(1)"), ".")]).to_html()
    assert "href" not in html and "not an http(s) address" in html
