"""The login widget's view: every part (picker, buttons, inputs, prompts, status lines), how
they are laid out, which ones show for a panel, and the status line's text. No auth, no
threads of its own except the timer that empties the ``window.open`` output.

:class:`~nbauth.notebook.widget.LoginWidget` is this view plus the controllers that drive it
(:mod:`.widget_state` and one module per panel).

Invariant 1: every synced trait is written into a saved notebook, so the view only ever holds
what may be shown; :meth:`LoginLayout.clear_prompts` and :meth:`LoginLayout.clear_secret_inputs`
empty what a sign-in put there.

Example::

    layout = LoginLayout(provider_options(auth.config))
    layout.render("device", layout.selected_provider, busy=False)
    layout.set_status("Sign-in cancelled.", "muted")
    layout.status_text                     # 'Sign-in cancelled.'
"""

from __future__ import annotations

import html
import json
import logging
import re
import threading
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets

from . import widget_html as view
from .widget_providers import ProviderOption

__all__ = ["LoginLayout"]

log = logging.getLogger("nbauth.notebook")

_TAGS = re.compile(r"<[^>]+>")


class LoginLayout(widgets.VBox):
    """The parts of the login widget, laid out; see the module docstring.

    ``options`` fill the provider picker; ``managed_login`` says whether Cognito managed
    login is configured (the browser button of the user pool needs it).

    Panels: ``sign_in_box`` (picker, device and browser buttons, ``user_pool_form``),
    ``device_box`` (``user_code``, ``countdown``, ``cancel_button``), ``browser_box``
    (``browser_link``, ``paste_url``, ``complete_button``, ``browser_cancel_button``),
    ``challenge_box`` (``challenge_prompt``, ``challenge_code``, ``challenge_secret``,
    ``mfa_choice``, ``challenge_button``, ``challenge_cancel_button``) and the status panel
    (``status``, ``credentials_status``, ``refresh_status``, ``sign_out_button``).
    """

    def __init__(
        self, options: Sequence[ProviderOption], *, managed_login: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._managed_login = managed_login
        self._js_lock = threading.Lock()
        self._js_timer: threading.Timer | None = None
        self._build(options)

    def _build(self, options: Sequence[ProviderOption]) -> None:
        w = widgets
        wide = {"description_width": "initial"}
        self.title = w.HTML(view.title_html())
        self.provider_picker = w.Dropdown(
            options=[(o.label, o) for o in options], description="Provider", style=wide
        )
        self.device_button = w.Button(
            description="Sign in with device code",
            icon="key",
            button_style="primary",
            tooltip="Get a code to confirm on the identity provider's page",
            layout=w.Layout(width="auto"),
        )
        self.browser_button = w.Button(
            description="Sign in with browser (OAuth)",
            icon="external-link",
            tooltip="Open the identity provider's sign-in page in a new tab",
            layout=w.Layout(width="auto"),
        )
        self.username = w.Text(description="Username", placeholder="username or email")
        self.password = w.Password(description="Password", placeholder="password")
        self.sign_in_button = w.Button(
            description="Sign in", icon="sign-in", button_style="primary"
        )
        self.user_pool_form = w.VBox([self.username, self.password, self.sign_in_button])
        actions = w.HBox([self.device_button, self.browser_button])
        self.sign_in_box = w.VBox([self.provider_picker, actions, self.user_pool_form])

        self.user_code = w.HTML()
        self.countdown = w.HTML()
        self.cancel_button = w.Button(description="Cancel", icon="times")
        waiting = w.HBox(
            [self.countdown, self.cancel_button],
            layout=w.Layout(align_items="center", grid_gap="12px"),
        )
        self.device_box = w.VBox([self.user_code, waiting])

        self.browser_link = w.HTML()
        self.paste_url = w.Text(
            description="Final address",
            placeholder="http://127.0.0.1/callback?code=…&state=…",
            style=wide,
            layout=w.Layout(width="60%"),
        )
        self.complete_button = w.Button(description="Complete", icon="check")
        self.browser_cancel_button = w.Button(description="Cancel", icon="times")
        paste = w.HBox([self.paste_url, self.complete_button, self.browser_cancel_button])
        self.browser_box = w.VBox([self.browser_link, paste])

        self.challenge_prompt = w.HTML()
        self.challenge_code = w.Text(description="Code", placeholder="123456")
        self.challenge_secret = w.Password(description="Answer", style=wide)
        self.mfa_choice = w.ToggleButtons(options=["SMS"], description="Send code by", style=wide)
        self.challenge_button = w.Button(
            description="Continue", icon="arrow-right", button_style="primary"
        )
        self.challenge_cancel_button = w.Button(description="Cancel", icon="times")
        answer = w.HBox([self.challenge_button, self.challenge_cancel_button])
        self.challenge_box = w.VBox(
            [
                self.challenge_prompt,
                self.challenge_code,
                self.challenge_secret,
                self.mfa_choice,
                answer,
            ]
        )

        self.status = w.HTML()
        self.credentials_status = w.HTML()
        self.refresh_status = w.HTML()
        for line in (self.status, self.credentials_status, self.refresh_status):
            self.show(line, False)  # an empty HTML widget still takes a line: hide it
            line.observe(self._on_line_change, names="value")
        self.sign_out_button = w.Button(description="Sign out", icon="sign-out")
        # window.open() goes through an Output widget; it is emptied again right after.
        self._browser_js = w.Output(layout=w.Layout(height="0px", overflow="hidden"))

        self.children = [
            self.title,
            self.sign_in_box,
            self.device_box,
            self.browser_box,
            self.challenge_box,
            self.status,
            self.credentials_status,
            self.refresh_status,
            self.sign_out_button,
            self._browser_js,
        ]
        self.layout.grid_gap = "6px"
        self.layout.max_width = "760px"

    # -- what shows -------------------------------------------------------------------------

    @property
    def selected_provider(self) -> ProviderOption:
        """The picker's current entry."""
        return self.provider_picker.value  # type: ignore[no-any-return]

    @staticmethod
    def show(widget: widgets.Widget, visible: bool) -> None:
        """Show or hide one part (hidden parts take no space)."""
        widget.layout.display = None if visible else "none"

    def _on_line_change(self, change: Any) -> None:
        self.show(change.owner, bool(change.new))

    def render(
        self,
        mode: str,
        option: ProviderOption,
        *,
        busy: bool,
        answer_input: str | None = None,
        federated: bool = False,
    ) -> None:
        """Show the panel of ``mode`` (``sign_in``, ``device``, ``browser``, ``challenge``,
        ``signed_in``) and what ``option`` offers; disable the actions while ``busy``.

        ``answer_input`` is the input a user-pool step needs (``"code"``, ``"secret"`` or
        ``"choice"``); ``federated`` relabels the sign-out button."""
        self.show(self.sign_in_box, mode == "sign_in")
        self.show(self.device_box, mode == "device")
        self.show(self.browser_box, mode == "browser")
        self.show(self.challenge_box, mode == "challenge")
        self.show(self.sign_out_button, mode == "signed_in")
        self.show(self.user_pool_form, option.kind == "user_pool")
        self.show(self.device_button, option.kind == "oidc")  # managed login has no device flow
        self.show(self.challenge_code, answer_input == "code")
        self.show(self.challenge_secret, answer_input == "secret")
        self.show(self.mfa_choice, answer_input == "choice")
        self.provider_picker.disabled = busy
        self.device_button.disabled = busy or option.kind != "oidc"
        self.browser_button.disabled = busy or (
            option.kind == "user_pool" and not self._managed_login
        )
        for button in (
            self.sign_in_button,
            self.complete_button,
            self.challenge_button,
            self.sign_out_button,
        ):
            button.disabled = busy
        self.sign_out_button.description = "Clear federation" if federated else "Sign out"

    # -- status lines -----------------------------------------------------------------------

    def set_status(self, text: str, kind: str = "info", detail: str | None = None) -> None:
        """The status line: ``text`` in the colour of ``kind``, ``detail`` below it."""
        self.status.value = view.status_html(text, kind, detail)

    @property
    def status_text(self) -> str:
        """The status panel as plain text (status, credentials and refresh lines).

        Example::

            w.status_text          # 'Signed in as demo\\nAWS credentials valid for 59:58 …'
        """
        parts = (self.status.value, self.credentials_status.value, self.refresh_status.value)
        lines = (html.unescape(_TAGS.sub(" ", p)).strip() for p in parts)
        return "\n".join(" ".join(line.split()) for line in lines if line)

    # -- clearing ---------------------------------------------------------------------------

    def clear_prompts(self) -> None:
        """Invariant 1: device-code prompt, pasted URL, typed answers and the window.open
        output go away as soon as a sign-in ends."""
        self.user_code.value = ""
        self.countdown.value = ""
        self.browser_link.value = ""
        self.paste_url.value = ""
        self.password.value = ""
        self.challenge_code.value = ""
        self.challenge_secret.value = ""
        self.challenge_prompt.value = ""
        self.clear_js()

    def clear_secret_inputs(self) -> None:
        """Empty the inputs a person may have typed a secret into."""
        self.password.value = ""
        self.challenge_secret.value = ""
        self.paste_url.value = ""

    # -- opening the sign-in page -----------------------------------------------------------

    def open_in_new_tab(self, url: str) -> None:
        """Best effort: ``window.open`` through a hidden Output widget (browsers may block
        it; the link is there anyway). Emptied after a few seconds so a saved notebook never
        reopens the page."""
        try:
            from IPython import get_ipython
            from IPython.display import Javascript

            if get_ipython() is None:  # no kernel (a script, a test): nobody to open a tab for
                return
            if not view.is_web_url(url):  # never window.open a javascript: URL from an IdP
                return

            target = json.dumps(url).replace("</", "<\\/")
            code = f'window.open({target}, "_blank", "noopener");'
            with self._js_lock:
                self._browser_js.outputs = ()
                self._browser_js.append_display_data(Javascript(code))
                timer = threading.Timer(3.0, self.clear_js)
                timer.daemon = True
                self._js_timer = timer
            timer.start()
        except Exception:
            log.debug("Could not open the browser from the kernel", exc_info=True)

    def clear_js(self) -> None:
        """Empty the ``window.open`` output (and forget its timer)."""
        with self._js_lock:
            timer, self._js_timer = self._js_timer, None
            if timer is not None and timer is not threading.current_thread():
                timer.cancel()
            if self._browser_js.outputs:
                self._browser_js.outputs = ()

    # -- parts ------------------------------------------------------------------------------

    def parts(self) -> list[widgets.Widget]:
        """Every widget this one is made of (depth first, without layouts and styles).

        Example::

            html = [p.value for p in w.parts() if isinstance(p, ipywidgets.HTML)]
        """
        found: list[widgets.Widget] = []

        def walk(widget: widgets.Widget) -> None:
            for child in getattr(widget, "children", ()):
                walk(child)
                found.append(child)

        walk(self)
        return found

    def close_parts(self) -> None:
        """Close every part, with its layout and style, and this box's layout."""
        for part in self.parts():
            for sub in (getattr(part, "layout", None), getattr(part, "style", None)):
                if isinstance(sub, widgets.Widget):
                    sub.close()
            part.close()
        self.layout.close()
