"""``nbauth credential-process`` and ``nbauth configure-aws-profile``: the AWS CLI and any SDK.

``credential-process`` prints AWS's ``credential_process`` JSON (Version 1, with
``Expiration``) for the profile's shared sign-in: the stored session comes back from the store,
and the credentials are refreshed there when needed. It never prompts: with nobody signed in it
says so on standard error and exits 1, which the AWS CLI shows. Guest credentials (identity
pools that allow unauthenticated identities) are handed out only with ``--allow-guest``, so a
forgotten sign-in never turns silently into a guest's narrower rights.

``configure-aws-profile NAME`` writes ``[profile NAME]`` into the AWS config file
(``$AWS_CONFIG_FILE`` or ``~/.aws/config``) with ``credential_process`` pointing at this nbauth
and the configuration's region; every other section is left byte-for-byte.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from ..aws.credential_process import credential_process_json
from ..cli_profiles import remember_profile, resolve_profile
from . import credential_cache
from .common import OK, USAGE, err, not_signed_in, open_auth

__all__ = ["configure_aws_profile", "credential_process", "nbauth_command"]


def credential_process(args: argparse.Namespace) -> int:
    profile = resolve_profile(args.profile, args.config)
    storage = profile.storage()
    output = credential_cache.cached_output(storage, profile.config)  # no boto3, no OIDC stack
    if output is None:
        auth = open_auth(args, profile, storage)
        try:
            signed_in = auth.state in ("signed_in", "federated")
            if not signed_in:
                credential_cache.forget(storage)
                if not (args.allow_guest and profile.config.allow_guest):
                    return not_signed_in(profile.name)
            credentials = auth.current_credentials()
            output = credential_process_json(credentials)
            if signed_in:
                credential_cache.remember(storage, profile.config, output, credentials.expires_at)
        finally:
            auth.close()
    sys.stdout.write(output + "\n")
    sys.stdout.flush()
    return OK


def nbauth_command() -> list[str]:
    """How to run this nbauth from anywhere: its console script next to this Python, else
    ``<this python> -m nbauth``."""
    python = Path(sys.executable)
    script = python.parent / "nbauth"
    if script.is_file():
        return [str(script)]
    return [str(python), "-m", "nbauth"]


def configure_aws_profile(args: argparse.Namespace) -> int:
    from ..aws.aws_config_file import aws_config_path, set_profile

    profile = resolve_profile(args.profile, args.config)  # the configuration must be readable
    if args.config:
        remember_profile(profile.name, args.config)
    command = [*nbauth_command(), "credential-process", "--profile", profile.name]
    if args.allow_guest:
        command.append("--allow-guest")
    values: dict[str, str | None] = {"credential_process": shlex.join(command)}
    region = args.region or profile.config.region
    if region:
        values["region"] = region
    # The configuration's AWS (a local emulator such as the sandbox) for the CLI too; none: AWS
    # itself, so an endpoint left from an earlier configuration is removed.
    values["endpoint_url"] = profile.config.aws_endpoint_url
    target = Path(args.aws_config) if args.aws_config else aws_config_path()
    try:
        set_profile(target, args.name, values)
    except OSError as exc:
        err(f"cannot write {str(target)!r} ({exc.strerror}).", "Check the file's permissions.")
        return USAGE
    print(
        f"Wrote [{'default' if args.name == 'default' else 'profile ' + args.name}] to {target}.\n"
        f"Try: aws --profile {args.name} sts get-caller-identity",
        file=sys.stderr,
    )
    return OK
