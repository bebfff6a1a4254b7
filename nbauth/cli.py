"""The ``nbauth`` command: sign in from a terminal, and AWS credentials for the AWS CLI and SDKs.

* ``nbauth login`` / ``status`` / ``logout`` — the shared sign-in of a profile (device code by
  default, ``--redirect`` for code + PKCE); ``nbauth credential-process`` prints AWS's
  ``credential_process`` JSON from it and ``nbauth configure-aws-profile NAME`` writes the AWS
  profile that runs it (commands in :mod:`nbauth.cli_commands`).
* ``nbauth demo`` — nbauth's whole path on the local sandbox, step by step: sign in
  with the device code at the sandbox IdP, federate the ID token into the
  identity pool, and list the sandbox S3 bucket through ``nbauth.boto3_session()``
  (``--flow federation``: federate a user-pool token by hand instead).
* ``nbauth sandbox`` — run the sandbox until Ctrl-C (``--write-config`` writes
  ``amplify_outputs.json`` for notebooks to use while it runs).

Ctrl-C stops ``demo`` and ``sandbox`` cleanly: the sandbox's servers shut down, one line
("Stopped.") and exit code 130.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]


def _step(number: int, text: str) -> None:
    print(f"\n[{number}] {text}", flush=True)


def _start_sandbox(lifetime: int) -> Any:
    import nbauth.sandbox as sandbox

    _step(1, "Starting the sandbox (moto + strict identity pool + OpenID provider) ...")
    sb = sandbox.start(credentials_lifetime=lifetime)
    print(f"    AWS endpoint  {sb.aws_endpoint_url}")
    print(f"    IdP issuer    {sb.issuer}")
    print(f"    identity pool {sb.identity_pool_id}")
    # The sandbox's configuration carries its endpoints (nbauth.configure(sb.config)); nothing
    # process-wide is set, and nbauth's identity calls are unsigned: no AWS keys are used.
    return sb


def _stop(sb: Any) -> None:
    """Stop the sandbox; a second Ctrl-C does not interrupt the shutdown the first one asked for."""
    from .sandbox.command import sigint_ignored

    with sigint_ignored():
        sb.stop()


def _approve_when_asked(sb: Any, handle: Any, mode: str) -> None:
    """The person's part: a browser, Enter in the terminal, or (no terminal) automatic."""
    interactive = mode == "ask" and sys.stdin is not None and sys.stdin.isatty()
    if mode == "browser":
        return
    if interactive:
        print(f"    ... or press Enter here to approve as {sb.demo_username!r}.", flush=True)

        def on_enter() -> None:
            try:
                sys.stdin.readline()
            except (OSError, ValueError):
                return
            if handle.status == "pending":
                sb.approve_device_code(handle.user_code)

        threading.Thread(target=on_enter, daemon=True).start()
        return
    print(f"    (no terminal: approving as {sb.demo_username!r} in 2 s, as a person would)")

    def later() -> None:
        time.sleep(2)
        if handle.status == "pending":
            sb.approve_device_code(handle.user_code)

    threading.Thread(target=later, daemon=True).start()


def demo(lifetime: int = 3600, watch: float = 0.0, approve: str = "ask") -> int:
    """Device-code sign-in, federation and S3 on a fresh sandbox, printed step by step.

    Never prints a secret."""
    import nbauth

    sb = _start_sandbox(lifetime)
    try:
        auth = nbauth.configure(sb.config)
        events: list[str] = []
        nbauth.hub.listen("auth", lambda c: events.append(c["payload"]["event"]))

        _step(2, "Signing in with the device code (RFC 8628) ...")
        handle = nbauth.sign_in_with_device_code()
        print(f"    Open {handle.verification_uri_complete}")
        print(
            f"    and confirm the code {handle.user_code} "
            f"(user {sb.demo_username!r}, password {sb.demo_password!r})."
        )
        _approve_when_asked(sb, handle, approve)
        handle.wait(timeout=max(1.0, handle.seconds_left()))
        session = nbauth.fetch_auth_session()
        tokens, before = session.tokens, session.credentials
        if tokens is None or tokens.id_token is None or before is None:
            raise nbauth.errors.NoCredentialsError(
                "The device-code sign-in finished without an ID token and AWS credentials."
            )
        claims = tokens.id_token.payload
        print(
            f"    signed in as {claims.get('preferred_username') or claims.get('email')} "
            f"(sub {session.user_sub})"
        )

        _step(3, "Federating the ID token into the identity pool (automatic) ...")
        print(f"    identity id {session.identity_id}")
        print(f"    credentials {session.credentials!r}")

        s3 = _list_bucket(nbauth, sb.bucket)
        hello = s3.get_object(Bucket=sb.bucket, Key="public/hello.txt")["Body"].read().decode()
        print(f"    public/hello.txt says: {hello.strip()}")

        _step(
            5, "Refreshing tokens and credentials in place (the same S3 client keeps working) ..."
        )
        after = nbauth.fetch_auth_session(force_refresh=True).credentials
        if after is None:
            raise nbauth.errors.NoCredentialsError("The refresh left no AWS credentials.")
        print(f"    credentials ...{before.access_key_id[-4:]} -> ...{after.access_key_id[-4:]}")
        listed = s3.list_objects_v2(Bucket=sb.bucket, Prefix="public/")["KeyCount"]
        print(f"    objects still listed: {listed}")
        if watch > 0:
            _watch(auth, s3, sb.bucket, watch, lifetime)

        _step(6, "Signing out (the refresh token is revoked at the IdP) ...")
        nbauth.sign_out()
        print(f"    state: {auth.state}")
        print(f"\n    Hub events seen: {', '.join(events)}")
        auth.close()
    finally:
        _stop(sb)
    print("\nDone: sandbox stopped.")
    return 0


def _list_bucket(nbauth: Any, bucket: str) -> Any:
    """Step 4 of both demos: list the bucket through nbauth.boto3_session(); returns the client."""
    _step(4, f"Listing s3://{bucket}/public/ through nbauth.boto3_session() ...")
    s3 = nbauth.boto3_session().client("s3")
    for obj in s3.list_objects_v2(Bucket=bucket, Prefix="public/").get("Contents", []):
        print(f"    {obj['Size']:>6}  {obj['Key']}")
    return s3


def _watch(auth: Any, s3: Any, bucket: str, seconds: float, lifetime: int) -> None:
    print(f"    watching for {seconds:.0f} s (credentials live {lifetime} s) ...")
    end = time.time() + seconds
    while time.time() < end:
        time.sleep(min(5.0, max(0.0, end - time.time())))
        count = s3.list_objects_v2(Bucket=bucket, Prefix="public/")["KeyCount"]
        creds = auth.current_credentials()
        left = (creds.expires_at or 0) - time.time()
        print(
            f"    {time.strftime('%H:%M:%S')} listed {count} objects; "
            f"credentials valid for {left:4.0f} s (...{creds.access_key_id[-4:]})"
        )


def federation_demo(lifetime: int = 3600) -> int:
    """Federate a user-pool ID token by hand (Amplify's ``federateToIdentityPool``), list S3."""
    import nbauth

    sb = _start_sandbox(lifetime)
    try:
        _step(2, f"Getting an ID token from the user pool for {sb.demo_username!r} ...")
        token = sb.id_token()
        print(f"    issuer  {nbauth.decode_jwt(token).issuer}")
        _step(3, "Federating it with federate_to_identity_pool() ...")
        auth = nbauth.configure(sb.config)
        provider = nbauth.AuthProvider.user_pool(sb.region, sb.user_pool_id)
        result = nbauth.federate_to_identity_pool(token, provider)
        print(f"    Logins key  {provider.logins_key}")
        print(f"    identity id {result.identity_id}")
        _list_bucket(nbauth, sb.bucket)
        nbauth.clear_federation_to_identity_pool()
        auth.close()
    finally:
        _stop(sb)
    print("\nDone: sandbox stopped.")
    return 0


def _version() -> str:
    """The installed distribution's version (``nbauth.__version__`` when run from a tree)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nbauth")
    except PackageNotFoundError:
        from . import __version__

        return __version__


def _parser() -> argparse.ArgumentParser:
    from .cli_commands import add_commands

    parser = argparse.ArgumentParser(
        prog="nbauth",
        description="Sign in from a terminal and get AWS credentials that stay fresh, for "
        "Python, the AWS CLI and any SDK. Try it without an AWS account: nbauth demo.",
        epilog="Exit codes: 0 done, 1 not signed in or failed, 2 usage or configuration error, "
        "130 cancelled (Ctrl-C). Run nbauth COMMAND --help for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"nbauth {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")
    add_commands(sub)
    demo_parser = sub.add_parser(
        "demo",
        help="sign in, federate and list S3 on a local sandbox, step by step",
        description="Start a local sandbox, sign in with the device code at its OpenID "
        "provider, federate the ID token into its identity pool and list its S3 bucket through "
        "nbauth.boto3_session(), printing each step. No AWS account needed. Ctrl-C stops it.",
    )
    demo_parser.add_argument(
        "--credentials-lifetime",
        type=int,
        default=3600,
        metavar="SECONDS",
        help="lifetime of the sandbox's AWS credentials (default 3600)",
    )
    demo_parser.add_argument(
        "--watch",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="keep listing the bucket this long to watch refreshes",
    )
    demo_parser.add_argument(
        "--approve",
        choices=("ask", "browser", "auto"),
        default="ask",
        help="who approves the device code: a browser or Enter (ask, the default; automatic "
        "without a terminal), the browser only, or auto",
    )
    demo_parser.add_argument(
        "--flow",
        choices=("device", "federation"),
        default="device",
        help="device-code sign-in (default) or federating a user-pool token by hand",
    )
    sub.add_parser(
        "sandbox",
        help="run a local Cognito + S3 + OpenID provider until Ctrl-C",
        add_help=False,
    )
    return parser


def _stopped() -> int:
    print("\nStopped.", file=sys.stderr, flush=True)
    return 130


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nbauth`` command."""
    from .cli_commands.common import run_guarded

    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if args.command == "sandbox":
        from .sandbox.command import main as sandbox_main

        return int(sandbox_main(rest, prog=f"{parser.prog} sandbox") or 0)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    handler = getattr(args, "handler", None)
    if handler is not None:
        return run_guarded(handler, args)
    try:
        if args.flow == "federation":
            return federation_demo(lifetime=args.credentials_lifetime)
        return demo(lifetime=args.credentials_lifetime, watch=args.watch, approve=args.approve)
    except KeyboardInterrupt:
        return _stopped()
    except ImportError as exc:
        from .core.install_hints import pip_install_hint

        print(
            f"nbauth: the demo needs nbauth's sandbox extra ({exc}).\n"
            f"  {pip_install_hint('sandbox')}",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
