"""notebooks/quickstart.ipynb in JupyterLab, driven in Chromium as a person would: run the cells,
click "Sign in with device code", approve on the sandbox IdP's device page in a second tab, see
the widget say "Signed in as demo" and the next cell list the bucket.
"""

from __future__ import annotations

import re
from typing import Any

from tests.browser.jupyterlab import JupyterLab, Notebook
from tests.browser.screenshots import save_docs_screenshot

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+")
AWS_KEY = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")
SANDBOX_INFO = re.compile(r"sign in as (\S+) / (\S+)")


def test_quickstart_device_code_sign_in_in_a_real_browser(
    lab_context: Any, jupyter_lab: JupyterLab
) -> None:
    from playwright.sync_api import expect

    nb = Notebook.open(lab_context, jupyter_lab, "quickstart.ipynb")
    assert nb.cells.count() >= 4, "quickstart: a markdown cell and three code cells"

    info = nb.run(1)  # sandbox + %load_ext nbauth
    expect(info).to_contain_text("sign in as", timeout=60_000)
    username, password = SANDBOX_INFO.search(info.inner_text()).groups()
    widget = nb.run(2)  # LoginWidget()

    widget.get_by_role("button", name="Sign in with device code").click()
    link = widget.get_by_role("link", name="the sign-in page")
    expect(link).to_be_visible()
    with lab_context.expect_page() as opened:
        link.click()  # target=_blank: the IdP's device page in a second tab
    idp = opened.value
    idp.wait_for_load_state()
    assert "/device" in idp.url
    idp.get_by_label("Username").fill(username)
    idp.get_by_label("Password").fill(password)
    idp.get_by_role("button", name="Approve").click()
    expect(idp.locator("h1")).to_have_text(re.compile("approved|connected", re.I))

    nb.page.bring_to_front()
    expect(widget).to_contain_text(f"Signed in as {username}", timeout=45_000)  # polls every 5 s
    expect(widget.get_by_role("link", name="the sign-in page")).to_have_count(0)  # prompt gone

    listing = nb.run(3)  # nbauth.boto3_session().client("s3").list_objects_v2(...)
    expect(listing).to_contain_text("public/hello.txt")
    # As the user who signed in, not as the sandbox's guest (who may list the bucket too).
    expect(listing).to_contain_text(re.compile(r"AWS identity \S+ \(signed in\)"))

    nb.cells.nth(3).locator(".jp-InputPrompt").click()  # the README's picture: cell 2 unselected
    nb.page.mouse.move(0, 0)
    save_docs_screenshot(nb.cells.nth(2), "quickstart-signed-in.png")

    saved = nb.save()  # as JupyterLab writes it, widget state included if it saves any
    text = str(saved)
    assert not JWT.search(text), "a JWT reached the saved notebook"
    assert not AWS_KEY.search(text), "an AWS access key id reached the saved notebook"
