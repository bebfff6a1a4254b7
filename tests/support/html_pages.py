"""Reading an identity provider's HTML pages as a person's browser would: forms (named fields,
with submit buttons kept apart so one can be pressed), links, the title and the visible text.

Shared by the test peers that act as the person at oidc-provider's and Keycloak's own pages
(``tests/peers/oidc_provider_peer.py``, ``tests/peers/keycloak_peer.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import requests

__all__ = ["Form", "Page", "describe"]


@dataclass
class Form:
    """One ``<form>``: what it sends (``fields``) and its named submit buttons (``buttons``,
    pressed one at a time)."""

    id: str | None
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: dict[str, str] = field(default_factory=dict)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[str] = []
        self.title = ""
        self.text: list[str] = []
        self._form: Form | None = None
        self._skip = 0  # inside <style>/<script>
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("style", "script"):
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "form":
            self._form = Form(a.get("id"), a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
        elif self._form is not None and a.get("name") and tag in ("input", "button"):
            kind = a.get("type", "submit" if tag == "button" else "text").lower()
            if kind == "submit":
                self._form.buttons[a["name"]] = a.get("value", "")
            elif kind not in ("checkbox", "radio") or "checked" in a:
                self._form.fields[a["name"]] = a.get("value", "")
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif tag == "form":
            self._form = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data.strip()
        elif not self._skip and data.strip():
            self.text.append(data.strip())


@dataclass
class Page:
    """A page as the person sees it."""

    url: str
    status: int
    forms: list[Form]
    links: list[str]
    title: str
    text: str

    @classmethod
    def of(cls, response: requests.Response) -> Page:
        parser = _PageParser()
        parser.feed(response.text)
        parser.close()
        return cls(
            response.url,
            response.status_code,
            parser.forms,
            parser.links,
            parser.title,
            " ".join(parser.text),
        )

    def form(self, *, id: str | None = None, prompt: str | None = None) -> Form | None:
        """The form with this ``id``, or whose hidden ``prompt`` field has this value."""
        for form in self.forms:
            if id is not None and form.id == id:
                return form
            if prompt is not None and form.fields.get("prompt") == prompt:
                return form
        return None

    def form_with(self, name: str) -> Form | None:
        """The first form with a field or button called ``name``."""
        return next((f for f in self.forms if name in f.fields or name in f.buttons), None)

    def describe(self) -> str:
        return f"HTTP {self.status} {self.url} {self.title!r}: {self.text[:400]}"


def describe(result: Page | str) -> str:
    """A page, or the URL a flow ended at, in one line for an error message."""
    return result if isinstance(result, str) else result.describe()
