"""``sign_in_with_redirect(mode="jupyter")`` in a real kernel under JupyterLab, in Chromium: the
kernel finds its Jupyter server by itself, the person signs in on the IdP's page in a new tab,
the IdP redirects that tab to ``/nbauth/callback`` on the Jupyter server (authenticated by the
Jupyter cookie), the page says "Signed in", and ``handle.wait()`` returns in the next cell.
"""

from __future__ import annotations

import re
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from tests.browser.jupyterlab import JupyterLab, Notebook

CELLS = [
    "import os\n"
    "import nbauth, nbauth.sandbox\n"
    "sb = nbauth.sandbox.start()\n"
    'os.environ["AWS_ENDPOINT_URL"] = sb.aws_endpoint_url\n'
    "nbauth.configure(sb.config)\n"
    'print("ready", sb.demo_username, sb.demo_password)',
    'handle = nbauth.sign_in_with_redirect(mode="jupyter")\n'
    'print("redirect", handle.redirect_uri)\n'
    'print("open", handle.url)',
    "result = handle.wait(30)\n"
    "claims = nbauth.fetch_auth_session().tokens.id_token.payload\n"
    'print(handle.status, claims["preferred_username"], result.is_signed_in)',
]


def test_redirect_lands_on_the_jupyter_server_and_the_kernel_signs_in(
    lab_context: Any, jupyter_lab: JupyterLab
) -> None:
    from playwright.sync_api import expect

    nb_file = jupyter_lab.root_dir / "redirect_mode.ipynb"
    notebook = new_notebook(cells=[new_code_cell(c) for c in CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, nb_file)
    nb = Notebook.open(lab_context, jupyter_lab, nb_file.name)

    ready = nb.run(0)
    expect(ready).to_contain_text("ready", timeout=60_000)
    username, password = ready.inner_text().split()[1:3]
    started = nb.run(1).inner_text()
    redirect_uri = re.search(r"redirect (\S+)", started).group(1)
    url = re.search(r"open (\S+)", started).group(1)
    # Found by the kernel itself: the server's own address (recorded by the extension).
    assert redirect_uri == f"{jupyter_lab.url}nbauth/callback"

    idp = lab_context.new_page()  # "a new tab", same browser: it carries the Jupyter cookie
    idp.goto(url)
    idp.get_by_label("Username").fill(username)
    idp.get_by_label("Password").fill(password)
    idp.get_by_role("button", name="Sign in").click()
    idp.wait_for_url(re.compile(re.escape(redirect_uri) + r"\?"))
    expect(idp.locator("h1")).to_have_text("Signed in", timeout=30_000)
    expect(idp.locator("main")).to_have_attribute("data-nbauth-status", "signed_in")
    expect(idp.locator("body")).to_contain_text("return to your notebook")

    done = nb.run(2)
    expect(done).to_contain_text(f"signed_in {username} True")
    left = {p.name for p in (jupyter_lab.runtime_dir / "nbauth-callbacks").iterdir()}
    assert left <= {"server.json"}
