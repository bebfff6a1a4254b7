"""[7] ``nbauth credential-process`` for the AWS CLI, against the sandbox (fresh processes).

The same run measures, interleaved (a, b, c, a, b, c …) so all see the same machine load:

* ``aws sts get-caller-identity`` with the sandbox's static admin keys [baseline];
* ``aws sts get-caller-identity`` through a profile whose ``credential_process`` is
  ``nbauth credential-process`` (written by ``nbauth configure-aws-profile``) — the difference
  of the medians is what the credential process adds to an AWS CLI call;
* ``nbauth credential-process`` alone (a fresh ``nbauth`` process), next to ``python -c pass``
  (the interpreter's own start-up, the floor of any Python credential process).

The demo user signs in once (device code, approved as the person would) on the profile's
store; one warm-up call follows, so every timed call finds valid credentials in the store.
The server-side counts of identity-pool and IdP token calls made by the timed calls show
whether cached credentials were served without a network call.

Run alone: ``python benchmarks/bench_credential_process.py [RUNS]``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from harness import Row, format_ns, measure_samples

SECTION = "7 credential-process (fresh processes, sandbox)"
TARGET_ADDED_MS = 100.0
NETWORK_OPERATIONS = ("GetId", "GetCredentialsForIdentity", "GetOpenIdToken")


def _env(sb: Any, tmp: Path) -> dict[str, str]:
    """Hermetic, pointed at the sandbox; bytecode caching on (into ``tmp``), as an install has
    ``.pyc`` files (see ``bench_import.probe_environment``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    for name in ("NBAUTH_CONFIG", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    env.update(
        PYTHONPYCACHEPREFIX=str(tmp / "pycache"),
        XDG_CONFIG_HOME=str(tmp / "config"),
        XDG_STATE_HOME=str(tmp / "state"),
        AWS_CONFIG_FILE=str(tmp / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_ENDPOINT_URL=sb.aws_endpoint_url,
        AWS_DEFAULT_REGION=sb.region,
    )
    return env


def _run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} … exited {done.returncode}: {done.stderr}")
    return done.stdout


def _sign_in(sb: Any, store: Path) -> None:
    import nbauth
    from nbauth.core.storage import FileStorage

    sb.set_token_lifetimes(device_interval=1)
    auth = nbauth.Auth(sb.config, storage=FileStorage(store), hub=nbauth.Hub())
    try:
        handle = auth.sign_in_with_device_code()
        sb.approve_device_code(handle.user_code)
        handle.wait(timeout=60)
    finally:
        auth.close()
        sb.reset_token_lifetimes()


def _network_calls(sb: Any) -> int:
    return sum(sb.calls(op) for op in NETWORK_OPERATIONS) + sb.idp_calls("token")


def run(sb: Any, runs: int = 9) -> list[Row]:
    """Rows of section [7] against the running sandbox ``sb``."""
    nbauth_cmd = [sys.executable, "-m", "nbauth"]
    aws_cmd = [sys.executable, "-m", "awscli"]
    with tempfile.TemporaryDirectory(prefix="nbauth-bench-cp-") as tmp_name:
        tmp = Path(tmp_name)
        env = _env(sb, tmp)
        config = tmp / "amplify_outputs.json"
        config.write_text(json.dumps(sb.config))
        _run([*nbauth_cmd, "configure-aws-profile", "nb", "--config", str(config)], env)
        _sign_in(sb, tmp / "state" / "nbauth" / "default")
        static = {**env, **{k: v for k, v in sb.env.items() if k.startswith("AWS_")}}
        profile = {**env, "AWS_PROFILE": "nb"}
        identity = [*aws_cmd, "sts", "get-caller-identity"]
        process = [*nbauth_cmd, "credential-process"]
        for command, environment in ((identity, static), (identity, profile), (process, env)):
            _run(command, environment)  # warm-up: page cache, bytecode, the first credentials
        before = _network_calls(sb)
        measured = measure_samples(
            {
                "static": lambda: _run(identity, static),
                "profile": lambda: _run(identity, profile),
                "process": lambda: _run(process, env),
                "floor": lambda: _run([sys.executable, "-c", "pass"], env),
            },
            runs,
        )
        calls = _network_calls(sb) - before
    static_stats, profile_stats, process_stats, floor_stats = (measured[k][0] for k in measured)
    added_ms = (profile_stats.median_ns - static_stats.median_ns) / 1e6
    per_call = calls / (2 * runs)
    return [
        Row(SECTION, "aws sts get-caller-identity, static keys [baseline]", static_stats),
        Row(
            SECTION,
            "aws sts get-caller-identity via credential_process",
            profile_stats,
            ratio=f"+{format_ns(max(0.0, added_ms) * 1e6)}",
            target=f"≤ +{TARGET_ADDED_MS:g} ms",
            ok=added_ms <= TARGET_ADDED_MS,
            extra={"added_ms": added_ms},
        ),
        Row(SECTION, "nbauth credential-process alone", process_stats),
        Row(SECTION, "python -c pass (interpreter start-up)", floor_stats),
        Row(
            SECTION,
            "network calls per credential-process (cached credentials)",
            value=f"{per_call:g}",
            target="0",
            ok=calls == 0,
            extra={"calls": calls, "processes": 2 * runs},
        ),
    ]


if __name__ == "__main__":
    from fixtures import sandbox_environment
    from harness import render_table

    with sandbox_environment() as running:
        print(render_table(run(running, int(sys.argv[1]) if len(sys.argv) > 1 else 9)))
