"""notebooks/quickstart.ipynb in JupyterLab 4 and Notebook 7, driven in Chromium as a person
would, with Run All: nobody has clicked anything yet, so the last cell waits for the sign-in
with a live countdown and the widget shows a device code; while that cell waits the person
clicks "Open sign-in page" in the widget (or "Sign in with device code", when no sign-in was
started for them: the page then opens by itself), approves in the new tab, the widget says
"Signed in as demo" and the waiting cell lists the bucket as the user, not as the sandbox's
guest.
"""

from __future__ import annotations

import re
import time
from typing import Any

from tests.browser.jupyterlab import JupyterLab, Notebook
from tests.browser.leaks import scan
from tests.browser.login_widget import WidgetView, approve_on_idp_page
from tests.browser.screenshots import save_docs_screenshot

SANDBOX_INFO = re.compile(r"sign in as (\S+) / (\S+)")
COUNTDOWN = re.compile(r"\d\d:\d\d")


def test_run_all_on_the_quickstart_waits_for_the_person_and_signs_in_as_them(
    jupyter_context: Any, jupyter: JupyterLab
) -> None:
    from playwright.sync_api import expect

    nb = Notebook.open(jupyter_context, jupyter, "quickstart.ipynb")
    assert nb.cells.count() >= 4, "quickstart: a markdown cell and three code cells"
    nb.run_all()  # Run → Run All Cells

    info = nb.output(1)
    expect(info).to_contain_text("sign in as", timeout=60_000)
    username, password = SANDBOX_INFO.search(info.inner_text()).groups()
    widget = WidgetView(nb.output(2))
    widget.wait_connected()
    waiting = nb.output(3)
    expect(waiting).to_contain_text(re.compile(r"Waiting for .*sign.in.*\d\d:\d\d"), timeout=30_000)
    first = COUNTDOWN.search(waiting.inner_text()).group()
    time.sleep(1.5)
    second = COUNTDOWN.search(waiting.inner_text()).group()
    assert first != second, f"the countdown stands still at {first}"

    # Run All started the device sign-in for the person (the kernel is busy in the waiting
    # cell); were it not started, the person would click "Sign in with device code" — then
    # the page opens by itself. Either way, one click opens the sign-in page in a new tab.
    expect(widget("device-code").or_(widget("device-button"))).to_be_visible()
    started = widget("device-code").is_visible()
    with jupyter_context.expect_page(timeout=15_000) as opened:
        widget("open-page" if started else "device-button").click()
    expect(widget("device-code")).to_be_visible()
    code = widget("device-code").inner_text().strip()
    idp = opened.value  # the sign-in page, opened for the person
    idp.wait_for_url(re.compile("/device"), timeout=15_000)
    expect(idp.get_by_label("Code")).to_have_value(code)  # filled in from the link
    approve_on_idp_page(idp, username, password)

    nb.page.bring_to_front()
    widget.expect_signed_in(username)
    listing = nb.wait_executed(3, timeout=60)
    expect(listing).to_contain_text("public/hello.txt")
    expect(listing).to_contain_text(re.compile(r"AWS identity \S+ \(signed in\)"))
    expect(listing).not_to_contain_text("(guest)")

    if jupyter.kind == "lab":  # the README's picture
        nb.cells.nth(3).locator(".jp-InputPrompt").click()
        nb.page.mouse.move(0, 0)
        save_docs_screenshot(nb.cells.nth(2), "quickstart-signed-in.png")

    nb.save()
    hits = scan(jupyter.root_dir / nb.path, [code])
    assert not hits, f"secrets in the saved notebook: {hits}"
