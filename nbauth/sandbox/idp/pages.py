"""The IdP's HTML pages: sign-in, device approval, and short messages.

Plain HTML with a little inline CSS, no scripts. Every value is escaped. The
forms are what a person (or ``Sandbox.sign_in_at``) submits: fields
``username``, ``password`` and a ``action`` button valued ``approve`` or
``deny``; the device form also has ``user_code``. Error text is in an element
with class ``error``.
"""

from __future__ import annotations

from html import escape

__all__ = ["device_page", "message_page", "sign_in_page"]

_STYLE = """
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
 background:linear-gradient(135deg,#eef2f7,#dde6f3);color:#1f2933;
 font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{background:#fff;width:min(400px,92vw);padding:28px 32px;border-radius:12px;
 box-shadow:0 8px 30px rgba(31,41,51,.12)}
.brand{font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:#52606d;margin:0 0 6px}
h1{font-size:21px;margin:0 0 8px}
p{margin:8px 0;color:#3e4c59}
.meta{font-size:13px;color:#616e7c;background:#f5f7fa;border-radius:8px;padding:8px 10px}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
label{display:block;font-size:13px;font-weight:600;margin:14px 0 4px}
input[type=text],input[type=password]{width:100%;padding:9px 11px;border:1px solid #cbd2d9;
 border-radius:7px;font-size:15px}
input:focus{outline:2px solid #3b82f6;border-color:#3b82f6}
input.code{font-family:ui-monospace,Menlo,Consolas,monospace;letter-spacing:.15em;
 text-transform:uppercase;font-size:18px;text-align:center}
.buttons{display:flex;gap:10px;margin-top:20px}
button{flex:1;padding:10px;border-radius:7px;border:1px solid transparent;font-size:15px;
 font-weight:600;cursor:pointer}
button.primary{background:#2563eb;color:#fff}
button.primary:hover{background:#1d4ed8}
button.secondary{background:#fff;color:#3e4c59;border-color:#cbd2d9}
button.secondary:hover{background:#f5f7fa}
.error{background:#fdecea;color:#8a1c1c;border-radius:7px;padding:8px 10px;margin:12px 0}
.ok{color:#0f5132}
footer{margin-top:18px;font-size:12px;color:#9aa5b1}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}<footer>nbauth sandbox &middot; for testing only</footer>"
        "</main></body></html>\n"
    )


def _error(message: str | None) -> str:
    return f'<div class="error" role="alert">{escape(message)}</div>' if message else ""


def _credentials(username: str, signed_in_as: str | None) -> str:
    if signed_in_as:
        return (
            f'<p class="meta">Signed in as <strong>{escape(signed_in_as)}</strong>.</p>'
            f'<input type="hidden" name="username" value="{escape(signed_in_as)}">'
        )
    return (
        '<label for="username">Username</label>'
        f'<input type="text" id="username" name="username" value="{escape(username)}" '
        'autocomplete="username" autofocus required>'
        '<label for="password">Password</label>'
        '<input type="password" id="password" name="password" '
        'autocomplete="current-password">'
    )


def sign_in_page(
    *,
    action: str,
    heading: str,
    brand: str,
    client_id: str,
    scope: str,
    username: str = "",
    error: str | None = None,
    signed_in_as: str | None = None,
    approve_label: str = "Sign in",
) -> str:
    """The authorization page: credentials (unless signed in), Sign in and Deny."""
    scopes = " ".join(f"<code>{escape(s)}</code>" for s in scope.split()) or "<em>none</em>"
    body = (
        f'<p class="brand">{escape(brand)}</p><h1>{escape(heading)}</h1>'
        f'<p class="meta">Application <code>{escape(client_id)}</code> asks for {scopes}</p>'
        f"{_error(error)}"
        f'<form id="sign-in" method="post" action="{escape(action)}">'
        f"{_credentials(username, signed_in_as)}"
        '<div class="buttons">'
        f'<button class="primary" type="submit" name="action" value="approve">'
        f"{escape(approve_label)}</button>"
        '<button class="secondary" type="submit" name="action" value="deny" formnovalidate>'
        "Deny</button></div></form>"
    )
    return _page(heading, body)


def device_page(
    *,
    action: str,
    user_code: str = "",
    username: str = "",
    error: str | None = None,
    signed_in_as: str | None = None,
    client_id: str | None = None,
) -> str:
    """Enter the code shown on the device, sign in, approve or deny."""
    asking = (
        f'<p class="meta">Application <code>{escape(client_id)}</code> is asking to sign in.</p>'
        if client_id
        else "<p>Enter the code shown in your notebook.</p>"
    )
    body = (
        '<p class="brand">nbauth sandbox IdP</p><h1>Connect a device</h1>'
        f"{asking}{_error(error)}"
        f'<form id="device" method="post" action="{escape(action)}">'
        '<label for="user_code">Code</label>'
        f'<input class="code" type="text" id="user_code" name="user_code" '
        f'value="{escape(user_code)}" placeholder="XXXX-XXXX" autocomplete="off" required>'
        f"{_credentials(username, signed_in_as)}"
        '<div class="buttons">'
        '<button class="primary" type="submit" name="action" value="approve">Approve</button>'
        '<button class="secondary" type="submit" name="action" value="deny" formnovalidate>'
        "Deny</button>"
        "</div></form>"
    )
    return _page("Connect a device", body)


def message_page(title: str, message: str, *, ok: bool = True) -> str:
    """A short outcome page ("Device approved", "Signed out", an error)."""
    css = "ok" if ok else "error"
    body = (
        f'<p class="brand">nbauth sandbox IdP</p><h1>{escape(title)}</h1>'
        f'<p class="{css}">{escape(message)}</p>'
    )
    return _page(title, body)
