"""Sign in once for the hub: a real JupyterHub, its person's browser, a kernel that needs no
second sign-in, and a token refresh done by the hub that the kernel picks up.

Once per provider (``hub_idp``: the sandbox IdP, Keycloak 26), the same steps:

1. The person signs in to the hub in Chromium, on the provider's page (oauthenticator's
   GenericOAuthenticator, a confidential client); the hub spawns their server.
2. A kernel in that server runs ``%load_ext nbauth`` with the sandbox config and says
   "Signed in through JupyterHub as <name>": the sandbox identity pool federated the hub's ID
   token, S3 answers — no second sign-in.
3. The provider's tokens live 60 s. Once they expired, the kernel's credentials still serve S3,
   and a forced refresh makes the hub refresh (its ``auth_refresh_age`` is 5 s): the hub's
   auth_state holds a new ID token, and that is the token the kernel federated.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import requests

from nbauth import decode_jwt
from tests.hub.conftest import AUTH_REFRESH_AGE, HubIdp
from tests.hub.hub_process import Hub
from tests.hub.kernel_client import KernelClient

TOKEN_LIFETIME = 60  # long enough that the first read never races the hub's refresh

SESSION = """
import hashlib, nbauth
session = nbauth.fetch_auth_session({force})
s3 = nbauth.boto3_session().client("s3")
print("IDENTITY", session.identity_id)
print("KEYS", s3.list_objects_v2(Bucket={bucket!r}, Prefix="public/")["KeyCount"])
print("TOKEN", hashlib.sha256(session.tokens.id_token.to_string().encode()).hexdigest())
print("PROVIDER", type(nbauth.current_auth().token_provider).__name__)
"""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in_to_the_hub(browser: Any, hub: Hub, idp: HubIdp) -> None:
    """The person: open the hub, sign in on the IdP's page, land in their server."""
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{hub.url}hub/oauth_login", timeout=30_000)
        idp.sign_in(page, idp.username, idp.password)
        page.wait_for_url(f"**/user/{idp.username}/**", timeout=90_000)
    except Exception as exc:
        raise AssertionError(
            f"signing in to the hub failed at {page.url}:\n{hub.log_tail()}"
        ) from exc
    finally:
        context.close()


def wait_for_server(hub: Hub, user: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        servers = hub.api(f"/users/{user}").get("servers", {})
        if servers.get("", {}).get("ready"):
            return
        time.sleep(0.5)
    raise AssertionError(f"{user}'s server did not become ready:\n{hub.log_tail()}")


def test_kernel_signs_in_through_the_hub_and_follows_its_refresh(
    hub: Hub, hub_idp: HubIdp, browser: Any, sb: Any
) -> None:
    user = hub_idp.username
    hub_idp.set_token_lifetime(TOKEN_LIFETIME)
    sign_in_to_the_hub(browser, hub, hub_idp)
    wait_for_server(hub, user)
    assert hub.auth_state(user)["refresh_token"]

    # The server's callback lives under its own prefix (per-user redirect URIs).
    kernel = hub.server_api(user, "/kernels", "POST", json={"name": "python3"})
    ws_url = f"ws{hub.url[4:]}user/{user}/api/kernels/{kernel['id']}/channels"
    client = KernelClient(ws_url, hub.service_token)
    try:
        loaded = client.execute("%load_ext nbauth")
        assert loaded.error is None, loaded.error
        assert f"Signed in through JupyterHub as {user}." in loaded.text, loaded.text

        redirect = client.execute(
            "from nbauth.notebook.jupyter_receiver import jupyter_redirect_uri\n"
            "print('REDIRECT', jupyter_redirect_uri()[0])"
        )
        assert redirect.value("REDIRECT") == f"{hub.url}user/{user}/nbauth/callback"
        callback = requests.get(
            redirect.value("REDIRECT"),
            headers={"Authorization": f"token {hub.service_token}"},
            timeout=30,
        )
        assert callback.status_code == 400 and "nbauth" in callback.text  # served, no state

        calls = sb.calls("GetCredentialsForIdentity")
        signed_in = client.execute(SESSION.format(force="", bucket=sb.bucket))
        assert signed_in.error is None, signed_in.error + "\n" + signed_in.text
        identity_id = signed_in.value("IDENTITY")
        assert identity_id.startswith(sb.region + ":")
        assert int(signed_in.value("KEYS")) >= 0
        assert signed_in.value("PROVIDER") == "HubTokenProvider"
        assert sb.calls("GetCredentialsForIdentity") > calls
        # The kernel's read may itself have let the hub refresh: compare with what it holds now.
        first = hub.auth_state(user)
        assert signed_in.value("TOKEN") == digest(first["id_token"])

        # Past the tokens' lifetime and the hub's auth_refresh_age.
        expires = decode_jwt(first["id_token"]).expires_at or time.time()
        time.sleep(max(0.0, expires + AUTH_REFRESH_AGE + 1 - time.time()))
        held = client.execute(
            f"print('KEYS', s3.list_objects_v2(Bucket={sb.bucket!r}, Prefix='public/')['KeyCount'])"
        )
        assert held.error is None, held.error  # the credentials outlive the ID token

        calls = sb.calls("GetCredentialsForIdentity")
        refreshed = client.execute(SESSION.format(force="force_refresh=True", bucket=sb.bucket))
        assert refreshed.error is None, refreshed.error + "\n" + refreshed.text
        second = hub.auth_state(user)
        assert second["id_token"] != first["id_token"], "the hub did not refresh auth_state"
        assert refreshed.value("TOKEN") == digest(second["id_token"])
        assert refreshed.value("IDENTITY") == identity_id
        assert sb.calls("GetCredentialsForIdentity") > calls
    finally:
        client.close()
        hub.server_api(user, f"/kernels/{kernel['id']}", "DELETE")
