"""``nbauth login``, ``nbauth status`` and ``nbauth logout``: the shared sign-in of a profile.

``login`` signs in with the device code (default: prints the link and the code, opens the
browser unless ``--no-browser``, shows a countdown on standard error while waiting for approval)
or with ``--redirect`` (authorization code + PKCE through a loopback redirect on 127.0.0.1),
and leaves the session in the profile's store, where ``credential-process``, other terminals and
kernels on the same profile find it. A new login replaces the profile's stored sign-in (the last
one to finish wins). ``status`` renders ``Auth.status()``; ``logout`` signs out (revoking the
refresh token) and removes the stored sign-in.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import sys
from typing import Any

from ..cli_profiles import remember_profile
from . import credential_cache
from .common import CANCELLED, NOT_SIGNED_IN, OK, err, open_profile

__all__ = ["login", "logout", "status"]

_SIGNED_IN = ("signed_in", "federated")


def _when(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _countdown(handle: Any, verb: str) -> None:
    """Wait for ``handle``, with a live countdown on a terminal (one line otherwise)."""
    tty = sys.stderr.isatty()
    left = getattr(handle, "seconds_left", None)
    if not tty:
        expires = f" (the code expires in {left() / 60:.0f} min)" if left else ""
        print(f"Waiting for {verb}{expires}; Ctrl-C cancels ...", file=sys.stderr, flush=True)
    while not handle.wait_done(timeout=1.0):
        if tty:
            remaining = f" {int(left()) // 60}:{int(left()) % 60:02d} left" if left else ""
            print(
                f"\r\033[KWaiting for {verb} ...{remaining} (Ctrl-C cancels)",
                end="",
                file=sys.stderr,
                flush=True,
            )
    if tty:
        print("\r\033[K", end="", file=sys.stderr, flush=True)


def _open(url: str, browser: bool) -> None:
    if browser:
        import webbrowser  # only here: it is slow to import, and credential-process never needs it

        with contextlib.suppress(Exception):  # no browser: the link printed above is enough
            webbrowser.open(url, new=2)


def login(args: argparse.Namespace) -> int:
    profile, auth = open_profile(args)
    if args.config:
        remember_profile(profile.name, args.config)
    try:
        credential_cache.forget(auth.storage)
        if auth.state != "signed_out":
            print(f"Replacing the stored sign-in of profile {profile.name}.", file=sys.stderr)
            auth.sign_out()
        handle = (
            auth.sign_in_with_redirect(provider=args.provider, mode="loopback")
            if args.redirect
            else auth.sign_in_with_device_code(provider=args.provider)
        )
        try:
            if args.redirect:
                print(f"To sign in, open\n\n    {handle.url}\n", file=sys.stderr, flush=True)
                _open(handle.url, args.browser)
                _countdown(handle, "the sign-in in the browser")
            else:
                link = handle.verification_uri_complete or handle.verification_uri
                print(
                    f"To sign in, open\n\n    {link}\n\nand confirm the code  {handle.user_code}\n",
                    file=sys.stderr,
                    flush=True,
                )
                _open(link, args.browser)
                _countdown(handle, "approval")
            handle.wait(timeout=0)
        except KeyboardInterrupt:
            handle.cancel()
            print(file=sys.stderr)
            err("sign-in cancelled.")
            return CANCELLED
        credentials = auth.current_credentials()
        snapshot = auth.status()
        who = snapshot.username or snapshot.user_sub or "?"
        print(
            f"Signed in as {who} (profile {profile.name}); AWS credentials valid until "
            f"{_when(credentials.expires_at)}."
        )
        return OK
    finally:
        auth.close()


def _render(profile: Any, snapshot: Any) -> dict[str, Any]:
    return {
        "profile": profile.name,
        "state": str(snapshot.state),
        "username": snapshot.username,
        "user_sub": snapshot.user_sub,
        "provider": snapshot.provider,
        "identity_id": snapshot.identity_id,
        "credentials_expire_at": _when(snapshot.credentials_expire_at),
        "credentials_state": str(getattr(snapshot.credentials.state, "value", "")) or None,
        "config": profile.config_path,
        "store": str(profile.store) if profile.store is not None else "keyring",
    }


def status(args: argparse.Namespace) -> int:
    profile, auth = open_profile(args)
    try:
        problem = None
        if auth.state in _SIGNED_IN:
            try:
                auth.fetch_auth_session()  # who the stored sign-in is, and fresh credentials
            except Exception as exc:  # shown below; the snapshot still says what is known
                problem = getattr(exc, "message", None) or type(exc).__name__
        view = _render(profile, auth.status())
    finally:
        auth.close()
    signed_in = view["state"] in _SIGNED_IN
    if args.json:
        view["error"] = problem
        print(json.dumps(view, indent=2))
    else:
        if signed_in:
            print(f"Signed in as {view['username'] or view['user_sub'] or '?'}")
            for key in ("provider", "identity_id", "credentials_expire_at"):
                print(f"  {key.replace('_', ' '):<22}{view[key]}")
        else:
            print(f"Not signed in (profile {profile.name}).")
        print(f"  {'profile':<22}{profile.name}")
        print(f"  {'config':<22}{view['config']}")
        print(f"  {'store':<22}{view['store']}")
        if problem:
            err(problem)
    return OK if signed_in else NOT_SIGNED_IN


def logout(args: argparse.Namespace) -> int:
    profile, auth = open_profile(args)
    try:
        credential_cache.forget(auth.storage)
        if auth.state == "federated":
            auth.clear_federation_to_identity_pool()
        elif auth.state == "signed_in":
            auth.sign_out()
        else:
            print(f"Not signed in (profile {profile.name}); nothing to do.", file=sys.stderr)
            return OK
    finally:
        auth.close()
    print(f"Signed out of profile {profile.name}.", file=sys.stderr)
    return OK
