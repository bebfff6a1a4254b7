"""The ``nbauth`` command.

* ``nbauth demo`` — the main job on the local sandbox, step by step: sign in
  to the sandbox user pool, federate the ID token into the identity pool, and
  list the sandbox S3 bucket through ``nbauth.boto3_session()``.
* ``nbauth sandbox`` — run the sandbox until Ctrl-C (``--write-config`` writes
  ``amplify_outputs.json`` for notebooks to use).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

__all__ = ["main"]


def _step(number: int, text: str) -> None:
    print(f"\n[{number}] {text}", flush=True)


def demo(lifetime: int = 3600, watch: float = 0.0) -> int:
    """Run the main job against a fresh sandbox; prints every step, never a secret."""
    import nbauth
    import nbauth.sandbox as sandbox

    _step(1, "Starting the sandbox (moto server + strict identity pool) on 127.0.0.1 ...")
    with sandbox.start(credentials_lifetime=lifetime) as sb:
        print(f"    endpoint      {sb.aws_endpoint_url}")
        print(f"    user pool     {sb.user_pool_id}")
        print(f"    identity pool {sb.identity_pool_id}")
        # botocore's own convention decides the endpoint; nbauth's identity calls are unsigned,
        # so no AWS keys are needed (or used) on this side.
        os.environ["AWS_ENDPOINT_URL"] = sb.aws_endpoint_url
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            os.environ.pop(name, None)

        _step(2, f"Signing in to the user pool as {sb.demo_username!r} to get an ID token ...")
        token = sb.id_token()
        jwt = nbauth.decode_jwt(token)
        print(f"    issuer  {jwt.issuer}")
        print(f"    subject {jwt.subject}")
        print(f"    expires {time.strftime('%H:%M:%S', time.localtime(jwt.expires_at or 0))}")

        _step(3, "Federating the ID token into the identity pool ...")
        auth = nbauth.configure(sb.config)
        events: list[str] = []
        nbauth.hub.listen("auth", lambda c: events.append(c["payload"]["event"]))
        provider = nbauth.AuthProvider.user_pool(sb.region, sb.user_pool_id)
        result = nbauth.federate_to_identity_pool(token, provider)
        print(f"    Logins key  {provider.logins_key}")
        print(f"    identity id {result.identity_id}")
        print(f"    credentials {result.credentials!r}")

        _step(4, f"Listing s3://{sb.bucket} through nbauth.boto3_session() ...")
        s3 = nbauth.boto3_session().client("s3")
        for obj in s3.list_objects_v2(Bucket=sb.bucket).get("Contents", []):
            print(f"    {obj['Size']:>6}  {obj['Key']}")
        hello = s3.get_object(Bucket=sb.bucket, Key="hello.txt")["Body"].read().decode()
        print(f"    hello.txt says: {hello.strip()}")

        _step(5, "Refreshing the credentials in place (the same S3 client keeps working) ...")
        before = nbauth.fetch_auth_session().credentials
        after = nbauth.fetch_auth_session(force_refresh=True).credentials
        print(f"    before {before!r}")
        print(f"    after  {after!r}")
        print(f"    objects still listed: {s3.list_objects_v2(Bucket=sb.bucket)['KeyCount']}")
        if watch > 0:
            print(f"    watching for {watch:.0f} s (credentials live {lifetime} s) ...")
            end = time.time() + watch
            while time.time() < end:
                time.sleep(min(5.0, max(0.0, end - time.time())))
                count = s3.list_objects_v2(Bucket=sb.bucket)["KeyCount"]
                creds = auth.current_credentials()
                left = (creds.expires_at or 0) - time.time()
                print(
                    f"    {time.strftime('%H:%M:%S')} listed {count} objects; "
                    f"credentials valid for {left:4.0f} s ({creds.access_key_id[-4:]})"
                )
        print(f"\n    Hub events seen: {', '.join(events)}")
        auth.close()
    print("\nDone: sandbox stopped.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nbauth`` command."""
    parser = argparse.ArgumentParser(prog="nbauth", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo_parser = sub.add_parser("demo", help="run the main job on the local sandbox")
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
    sub.add_parser("sandbox", help="run the local sandbox until Ctrl-C", add_help=False)
    args, rest = parser.parse_known_args(argv)
    if args.command == "sandbox":
        from .sandbox import main as sandbox_main

        return int(sandbox_main(rest) or 0)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        return demo(lifetime=args.credentials_lifetime, watch=args.watch)
    except ImportError as exc:
        print(
            f"nbauth demo needs the sandbox extra: pip install 'nbauth[sandbox]' ({exc})",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
