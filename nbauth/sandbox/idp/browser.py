"""The person's side of a sign-in, scripted: what ``Sandbox.sign_in_at`` does.

Like a browser, it GETs the authorization URL, fills in the page's form
(username, password) and submits it with the Sign in or Deny button, without
following the final redirect: the result is the URL the browser would be sent
to — the client's ``redirect_uri`` with ``code``, ``state`` and ``iss`` (or an
``error``). A fresh cookie jar each time, so no earlier session interferes.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import requests

__all__ = ["SignInError", "sign_in_at"]

_TIMEOUT = 10.0


class SignInError(RuntimeError):
    """The IdP did not redirect: the request was refused or the credentials were wrong.

    ``status`` is the HTTP status of the last page, ``message`` its error text.
    """

    def __init__(self, message: str, status: int) -> None:
        super().__init__(f"sign-in failed (HTTP {status}): {message}")
        self.message = message
        self.status = status


class _FormReader(HTMLParser):
    """Collects the first form: action, inputs and the error message."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.buttons: dict[str, str] = {}
        self.error = ""
        self._in_form = False
        self._form_done = False
        self._error_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if self._error_depth:
            self._error_depth += 1
        elif "error" in attributes.get("class", "").split():
            self._error_depth = 1
        if tag == "form" and not self._form_done:
            self._in_form = True
            self.action = attributes.get("action", "")
        elif self._in_form and tag == "input" and attributes.get("name"):
            if attributes.get("type") not in ("submit", "button"):
                self.fields[attributes["name"]] = attributes.get("value", "")
        elif self._in_form and tag == "button" and attributes.get("name"):
            self.buttons[attributes.get("value", "")] = attributes["name"]

    def handle_endtag(self, tag: str) -> None:
        if self._error_depth:
            self._error_depth -= 1
        if tag == "form" and self._in_form:
            self._in_form = False
            self._form_done = True

    def handle_data(self, data: str) -> None:
        if self._error_depth:
            self.error += data


def _read(response: requests.Response) -> _FormReader:
    reader = _FormReader()
    reader.feed(response.text)
    return reader


def sign_in_at(authorization_url: str, username: str, password: str, *, deny: bool = False) -> str:
    """Sign in (or deny) on the page at ``authorization_url``; the redirect URL it sends."""
    with requests.Session() as browser:
        page = browser.get(authorization_url, allow_redirects=False, timeout=_TIMEOUT)
        if page.is_redirect:  # e.g. prompt=none, or a request the IdP sends back at once
            return urljoin(page.url, page.headers["Location"])
        form = _read(page)
        if page.status_code != 200 or form.action is None:
            raise SignInError(form.error.strip() or page.text[:200], page.status_code)
        choice = "deny" if deny else "approve"
        if choice not in form.buttons:
            raise SignInError(f"the page has no {choice!r} button", page.status_code)
        data = dict(form.fields)
        data.update(username=username, password=password)
        data[form.buttons[choice]] = choice
        result = browser.post(
            urljoin(page.url, form.action), data=data, allow_redirects=False, timeout=_TIMEOUT
        )
        if result.is_redirect:
            return urljoin(result.url, result.headers["Location"])
        raise SignInError(_read(result).error.strip() or result.text[:200], result.status_code)
