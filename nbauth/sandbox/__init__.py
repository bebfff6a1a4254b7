"""nbauth's local, offline sandbox: Cognito user pool + identity pool + S3, and an IdP.

moto in server mode behind a strict Cognito Identity layer (tokens verified,
stable identity ids, linking, merging, refusals) and a strict Cognito user-pool
layer (SRP, challenges, MFA, sign-up, revocation, Lambda triggers written in
Python: :mod:`nbauth.sandbox.user_pool`), with call counting and fault
injection, on ``http://127.0.0.1:<port>``; and an OpenID provider built on
Authlib's authorization server (device code, code + PKCE, rotating refresh
tokens, revocation, userinfo, plus the user pool's Cognito managed-login
paths) on ``http://127.0.0.1:<idp port>``, trusted by the identity pool::

    import nbauth.sandbox as sandbox

    with sandbox.start() as sb:
        os.environ.update(sb.env)  # or AWS_ENDPOINT_URL=sb.aws_endpoint_url
        token = sb.id_token()      # the demo user's user-pool ID token
        sb.set_trigger("pre_authentication", fn)      # Lambda triggers in Python
        sb.sent_messages("demo")                      # codes the pool "sent"
        sb.issuer                  # the IdP; sb.config["nbauth"] names it
        redirect = sb.sign_in_at(authorization_url)   # the person, scripted
        sb.approve_device_code(user_code)             # the person, on /device
        ...

Only tests, the CLI and notebooks import this package; nothing else in nbauth
does, and it imports nothing from nbauth. moto, Flask and Authlib are imported
on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .command import main

if TYPE_CHECKING:
    from .instance import Sandbox, start

__all__ = ["Sandbox", "main", "start"]


def __getattr__(name: str) -> Any:
    if name in ("Sandbox", "start"):
        from . import instance

        return getattr(instance, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
