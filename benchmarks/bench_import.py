"""[3] ``import nbauth`` against ``import boto3``, each in a fresh interpreter.

Each run is a new ``python -c`` process that times the import with
``time.perf_counter_ns()`` (interpreter start-up is not included) and reports
whether any boto3/botocore module ended up in ``sys.modules``. Runs of the
two imports alternate so that drift in machine load hits both alike; one
discarded run of each comes first (bytecode caches, page cache).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness import Row, Stats, stats_of

SECTION = "3 import time (fresh interpreter)"
TARGET_PERCENT = 5.0
REPO_ROOT = Path(__file__).resolve().parent.parent

PROBE = """\
import sys, time
start = time.perf_counter_ns()
import {module}
elapsed = time.perf_counter_ns() - start
aws = sorted({{name.split('.')[0] for name in sys.modules}} & {{'boto3', 'botocore'}})
print(elapsed, ','.join(aws) or '-', len(sys.modules))
"""


@dataclass(frozen=True)
class ImportRun:
    """One fresh-interpreter import."""

    elapsed_ns: int
    aws_modules: tuple[str, ...]  # boto3/botocore top-level packages that got loaded
    module_count: int


def probe_environment(pycache: str) -> dict[str, str]:
    """The current environment, but with bytecode caching on, into ``pycache``.

    A real install has ``.pyc`` files; ``PYTHONDONTWRITEBYTECODE`` (set on some
    machines) would make every run recompile nbauth's sources, and a
    separate cache prefix keeps the checkout untouched.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def import_once(module: str, env: dict[str, str]) -> ImportRun:
    """Import ``module`` in a new interpreter and report what it cost and loaded."""
    output = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    elapsed, aws, count = output[-3:]
    return ImportRun(int(elapsed), tuple(aws.split(",")) if aws != "-" else (), int(count))


def _runs(runs: int) -> tuple[list[ImportRun], list[ImportRun]]:
    """Alternate ``runs`` imports of each, after one warm-up of each (which compiles)."""
    ours: list[ImportRun] = []
    theirs: list[ImportRun] = []
    with tempfile.TemporaryDirectory(prefix="nbauth-bench-pycache-") as pycache:
        env = probe_environment(pycache)
        import_once("nbauth", env)
        import_once("boto3", env)
        for _ in range(runs):
            ours.append(import_once("nbauth", env))
            theirs.append(import_once("boto3", env))
    return ours, theirs


def _stats(runs: list[ImportRun]) -> Stats:
    return stats_of([run.elapsed_ns for run in runs])


def run(runs: int = 15) -> list[Row]:
    """Median import times, nbauth as a percentage of boto3, and what nbauth pulled in."""
    ours, theirs = _runs(runs)
    boto3_stats, nbauth_stats = _stats(theirs), _stats(ours)
    percent = 100 * nbauth_stats.median_ns / boto3_stats.median_ns
    loaded = sorted({name for run in ours for name in run.aws_modules})
    return [
        Row(
            SECTION,
            "import boto3 [baseline]",
            boto3_stats,
            extra={"modules": theirs[-1].module_count},
        ),
        Row(
            SECTION,
            "import nbauth",
            nbauth_stats,
            ratio=f"{percent:.1f}% of boto3",
            target=f"≤ {TARGET_PERCENT:g}%",
            ok=percent <= TARGET_PERCENT,
            extra={"percent_of_boto3": percent, "modules": ours[-1].module_count},
        ),
        Row(
            SECTION,
            "boto3/botocore loaded by import nbauth",
            value=", ".join(loaded) or "none",
            target="none",
            ok=not loaded,
        ),
    ]
