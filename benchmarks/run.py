"""nbauth benchmarks: ``python benchmarks/run.py``.

Runs every section offline against the local sandbox on 127.0.0.1, prints a
table and writes ``benchmarks/results/latest.json``. See
``docs/benchmarks.md`` for what each figure means and the targets.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import bench_hardening
import bench_import
import bench_load_ext
import bench_session
import bench_signer
from harness import Row, render_table

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE / "results" / "latest.json"


def _git_revision() -> str:
    """``<short sha>`` of the checkout, ``+dirty`` if it has local changes."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=HERE, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{sha}{'+dirty' if dirty else ''}" if sha else "unknown"


def environment() -> dict[str, Any]:
    """Versions and machine facts that the figures depend on."""
    import boto3
    import botocore

    import nbauth

    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "boto3": boto3.__version__,
        "botocore": botocore.__version__,
        "nbauth": nbauth.__version__,
        "git": _git_revision(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "platform": platform.platform(),
    }


def environment_line(env: dict[str, Any]) -> str:
    return (
        f"python {env['python']} ({env['implementation']}) | boto3 {env['boto3']} | "
        f"botocore {env['botocore']} | nbauth {env['nbauth']} ({env['git']}) | "
        f"CPUs {env['cpu_count']} (usable {env['cpus_usable']}) | {env['platform']}"
    )


def run_sandbox_sections(
    skip_threads: bool, profile: bool, hub_sessions: int = 1000
) -> tuple[list[Row], str]:
    """Sections 1, 2, 4, 5, 7, 8 and 10: they all need the sandbox (most a federated default
    Auth)."""
    import bench_credential_process
    import bench_federation
    import bench_hub_scale
    import bench_shared_refresh
    import bench_threads
    from fixtures import federated_default_auth, sandbox_environment

    with sandbox_environment() as sb:
        ctx = federated_default_auth(sb)
        try:
            session_rows, _ = bench_session.run(ctx)
            rows = session_rows + bench_signer.run(ctx)
            rows += bench_federation.run(ctx)
            if not skip_threads:
                rows += bench_threads.run(ctx)
            rows += bench_credential_process.run(ctx.sb)
            rows += bench_shared_refresh.run(ctx.sb)
            rows += bench_hardening.run()
            if hub_sessions > 0:
                rows += bench_hub_scale.run(ctx.sb, hub_sessions)
            profile_text = ""
            if profile:
                import profile_hot

                profile_text = profile_hot.report(ctx)
        finally:
            ctx.auth.close()
    return rows, profile_text


def _section_number(row: Row) -> int:
    digits = row.section.split(" ", 1)[0]
    return int(digits) if digits.isdigit() else 0


def missed_targets(rows: Sequence[Row]) -> list[str]:
    """``"<section>: <row>"`` for every row whose target was missed."""
    return [f"{row.section}: {row.name.strip()}" for row in rows if row.ok is False]


def write_report(path: Path, env: dict[str, Any], rows: Sequence[Row], seconds: float) -> None:
    """The JSON report: environment, every row, and the targets missed."""
    report = {
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "environment": env,
        "runtime_seconds": round(seconds, 1),
        "targets_missed": missed_targets(rows),
        "rows": [row.as_dict() for row in rows],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON report path")
    parser.add_argument(
        "--import-runs", type=int, default=15, help="fresh interpreters per import (default 15)"
    )
    parser.add_argument(
        "--load-ext-runs",
        type=int,
        default=11,
        help="fresh IPython shells per %%load_ext case (default 11)",
    )
    parser.add_argument("--skip-threads", action="store_true", help="skip section 5")
    parser.add_argument(
        "--sessions",
        type=int,
        default=1000,
        help="sessions in section 10, hub scale (default 1000; 0 skips it)",
    )
    parser.add_argument("--profile", action="store_true", help="also print cProfile hot paths")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    env = environment()
    print(environment_line(env), flush=True)
    rows = bench_import.run(args.import_runs)  # first, before the sandbox's thread exists
    rows += bench_load_ext.run(args.load_ext_runs)
    sandbox_rows, profile_text = run_sandbox_sections(
        args.skip_threads, args.profile, args.sessions
    )
    rows = sorted(rows + sandbox_rows, key=_section_number)  # stable: 1, 2, 3… 10
    seconds = time.perf_counter() - started
    print(render_table(rows))
    if profile_text:
        print(profile_text)
    write_report(args.output, env, rows, seconds)
    missed = missed_targets(rows)
    print(f"\n{len(missed)} target(s) missed{': ' + '; '.join(missed) if missed else ''}.")
    print(f"Total {seconds:.1f} s; report written to {args.output}")
    return 1 if missed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
