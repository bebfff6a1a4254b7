"""``python -m nbauth.sandbox`` (and ``nbauth sandbox``): run a sandbox until Ctrl-C.

Prints the configuration, the AWS endpoint, the IdP's issuer and the pages a
person uses (device code entry, sign-in), then serves until interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nbauth.sandbox",
        description="Run a local, offline Cognito user pool + identity pool + S3 and an "
        "OpenID provider for nbauth.",
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: free)")
    parser.add_argument(
        "--idp-port", type=int, default=0, help="port of the OpenID provider (default: free)"
    )
    parser.add_argument("--region", default="us-east-1", help="AWS region (default: us-east-1)")
    parser.add_argument(
        "--credentials-lifetime",
        type=int,
        default=3600,
        metavar="SECONDS",
        help="lifetime of minted AWS credentials (default: 3600)",
    )
    parser.add_argument(
        "--no-guest", action="store_true", help="refuse unauthenticated (guest) identities"
    )
    parser.add_argument(
        "--write-config",
        metavar="PATH",
        help="write the amplify_outputs.json configuration to PATH",
    )
    return parser


def write_config(config: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write ``config`` as JSON to ``path`` (atomically, via a temp file)."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return target


def _describe(sb: Any, config_path: Path | None, out: TextIO) -> None:
    print(json.dumps(sb.config, indent=2), file=out)
    print(file=out)
    print(f"nbauth sandbox running at {sb.aws_endpoint_url}", file=out)
    if config_path is not None:
        print(f"configuration written to {config_path}", file=out)
    print(file=out)
    print("Use it from a shell (the fake keys are for admin calls only):", file=out)
    for name, value in sb.env.items():
        print(f"  export {name}={value}", file=out)
    print(file=out)
    print("or from Python:", file=out)
    print(f'  os.environ["AWS_ENDPOINT_URL"] = "{sb.aws_endpoint_url}"', file=out)
    print(file=out)
    print(f"OpenID provider (issuer): {sb.issuer}", file=out)
    print(f"  discovery     {sb.issuer}/.well-known/openid-configuration", file=out)
    print(f"  device page   {sb.device_page_url}   (enter the code a notebook shows)", file=out)
    print(f"  sign-in page  {sb.issuer}/authorize   (client {sb.oidc_client_id}, PKCE)", file=out)
    print(f"  managed login {sb.issuer}/oauth2/authorize   (Cognito Hosted UI paths)", file=out)
    print(f"Demo user: {sb.demo_username} / {sb.demo_password}", file=out)
    print("Press Ctrl-C to stop.", file=out, flush=True)


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Start a sandbox, print how to use it, serve until Ctrl-C (or SIGTERM)."""
    args = _parser().parse_args(argv)
    out = out or sys.stdout
    from .instance import start  # moto is heavy; import it only when starting

    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sb = start(
        region=args.region,
        credentials_lifetime=args.credentials_lifetime,
        allow_guest=not args.no_guest,
        port=args.port,
        idp_port=args.idp_port,
    )
    try:
        config_path = write_config(sb.config, args.write_config) if args.write_config else None
        _describe(sb, config_path, out)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sb.stop()
        print("nbauth sandbox stopped.", file=out, flush=True)
    return 0
