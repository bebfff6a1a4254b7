"""``nbauth sandbox`` (and ``python -m nbauth.sandbox``): run a sandbox until Ctrl-C.

Prints a short banner — what runs, where, how to use it — then serves until interrupted.
``--write-config PATH`` writes the configuration for notebooks and tools to use, and removes it
again when the sandbox stops (it names ports that close with it); ``--print-config`` prints it.
Ctrl-C stops the servers and exits with 130, SIGTERM with 0.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

__all__ = ["INTERRUPTED", "main", "sigint_ignored", "write_config"]

#: The exit code after Ctrl-C (128 + SIGINT), as shells report it.
INTERRUPTED = 130


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run a local, offline Cognito user pool, identity pool and S3 bucket and an "
        "OpenID provider on 127.0.0.1, for trying nbauth without an AWS account. Serves until "
        "Ctrl-C.",
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
        help="write the configuration (amplify_outputs.json) to PATH while the sandbox runs; "
        "removed when it stops",
    )
    parser.add_argument(
        "--print-config", action="store_true", help="print the configuration (JSON) as well"
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
    def say(line: str = "") -> None:
        print(line, file=out)

    say("nbauth sandbox: a local Cognito user pool, identity pool and S3, and an OpenID provider")
    say()
    say(f"  AWS endpoint  {sb.aws_endpoint_url}   (Cognito, S3 bucket {sb.bucket}, STS, IAM)")
    say(f"  OpenID provider (issuer): {sb.issuer}")
    say(f"    device page    {sb.device_page_url}   (enter the code a notebook shows)")
    say(f"    sign-in page   {sb.issuer}/authorize   (client {sb.oidc_client_id}, PKCE)")
    say(f"    managed login  {sb.issuer}/oauth2/authorize   (Cognito Hosted UI paths)")
    say(f"  Demo user     {sb.demo_username} / {sb.demo_password}")
    say()
    if config_path is not None:
        say(f"Configuration: {config_path} (removed when the sandbox stops). In a notebook:")
        say(f"  nbauth.configure({str(config_path)!r})")
        say(f"In a terminal: nbauth login --config {config_path}")
    else:
        say("Configuration: --write-config PATH writes it for notebooks and `nbauth login`,")
        say("--print-config prints it; in Python, nbauth.sandbox.start() gives it as sb.config.")
    say("AWS CLI and other tools (the keys are the sandbox's admin keys):")
    for name, value in sb.env.items():
        say(f"  export {name}={value}")
    say()
    print("Press Ctrl-C to stop.", file=out, flush=True)


@contextlib.contextmanager
def sigint_ignored() -> Iterator[None]:
    """A second Ctrl-C must not interrupt the shutdown it asked for."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def main(
    argv: Sequence[str] | None = None,
    *,
    out: TextIO | None = None,
    prog: str = "python -m nbauth.sandbox",
) -> int:
    """Start a sandbox, print how to use it, serve until Ctrl-C (exit 130) or SIGTERM (exit 0)."""
    args = _parser(prog).parse_args(argv)
    out = out or sys.stdout
    stop = threading.Event()
    sb = None
    config_path: Path | None = None
    status = 0
    try:
        from .instance import start  # moto is heavy; import it only when starting

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
        sb = start(
            region=args.region,
            credentials_lifetime=args.credentials_lifetime,
            allow_guest=not args.no_guest,
            port=args.port,
            idp_port=args.idp_port,
        )
        if args.write_config:
            config_path = write_config(sb.config, Path(args.write_config).resolve())
        if args.print_config:
            print(json.dumps(sb.config, indent=2), file=out)
        _describe(sb, config_path, out)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        status = INTERRUPTED
    finally:
        with sigint_ignored():
            if config_path is not None:
                config_path.unlink(missing_ok=True)
            if sb is not None:
                sb.stop()
    # After Ctrl-C the terminal shows "^C" where the cursor is: the message gets its own line.
    message = "\nStopped." if status == INTERRUPTED else "nbauth sandbox stopped."
    print(message, file=out, flush=True)
    return status
