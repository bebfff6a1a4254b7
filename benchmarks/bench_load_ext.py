"""[6] ``%load_ext nbauth`` against ``import boto3``, each in a fresh interpreter.

Each run is a new ``python -c`` process. For ``%load_ext`` it first makes an IPython
``InteractiveShell`` (not timed: a kernel has one before any cell runs), then times
``shell.run_line_magic("load_ext", "nbauth")`` with ``time.perf_counter_ns()`` — importing
``nbauth``, registering ``%nbauth`` and showing the first message — and reports which heavy
packages and how many ``nbauth`` modules ended up in ``sys.modules``. Two cases:

* ``no config`` — nothing to configure from (no ``$NBAUTH_CONFIG``, no
  ``./amplify_outputs.json``): the first output is "not configured yet";
* ``amplify_outputs.json`` — a configuration in the working directory: the default ``Auth`` is
  made (memory storage, no network) and the first output says its state.

``import boto3`` is timed the same way, as in [3]. The three alternate after one discarded
warm-up each (bytecode caches), with bytecode caching on into a temporary
``PYTHONPYCACHEPREFIX``, so machine load hits them alike.

Run alone: ``python benchmarks/bench_load_ext.py [RUNS]``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench_import import probe_environment
from harness import Row, Stats, render_table, stats_of

SECTION = "6 %load_ext nbauth (fresh interpreter)"
TARGET_MS = 10.0
REPO_ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("boto3", "botocore", "ipywidgets", "authlib", "joserfc", "moto")

#: A configuration that needs no network to load (memory storage, no discovery at load).
CONFIG = {
    "version": "1.3",
    "auth": {
        "aws_region": "eu-west-1",
        "identity_pool_id": "eu-west-1:00000000-0000-0000-0000-000000000000",
        "unauthenticated_identities_enabled": False,
    },
    "nbauth": {
        "oidc_providers": {
            "corp": {"issuer": "https://idp.example.com", "client_id": "notebook"}
        },
        "storage": {"kind": "memory"},
    },
}

LOAD_EXT_PROBE = """\
import json, sys, time
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from traitlets.config import Config
config = Config()
config.HistoryManager.hist_file = ":memory:"
shell = InteractiveShell.instance(config=config)
with capture_output() as out:
    start = time.perf_counter_ns()
    shell.run_line_magic("load_ext", "nbauth")
    elapsed = time.perf_counter_ns() - start
shown = out.outputs[0].data.get("text/plain", "") if out.outputs else out.stdout
print(json.dumps({{
    "elapsed_ns": elapsed,
    "heavy": sorted({{m.split(".")[0] for m in sys.modules}} & set({heavy!r})),
    "nbauth_modules": sum(1 for m in sys.modules if m == "nbauth" or m.startswith("nbauth.")),
    "first_line": shown.strip().splitlines()[0] if shown.strip() else "",
}}))
"""

IMPORT_PROBE = """\
import json, sys, time
start = time.perf_counter_ns()
import boto3
elapsed = time.perf_counter_ns() - start
print(json.dumps({"elapsed_ns": elapsed, "heavy": [], "nbauth_modules": 0, "first_line": ""}))
"""


@dataclass(frozen=True)
class ProbeRun:
    """One fresh-interpreter measurement."""

    elapsed_ns: int
    heavy: tuple[str, ...]
    nbauth_modules: int
    first_line: str


def probe_once(code: str, cwd: Path, env: dict[str, str]) -> ProbeRun:
    output = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.strip().splitlines()
    found = json.loads(output[-1])
    return ProbeRun(
        found["elapsed_ns"], tuple(found["heavy"]), found["nbauth_modules"], found["first_line"]
    )


def _runs(runs: int) -> dict[str, list[ProbeRun]]:
    """``runs`` measurements of each case, alternating, after one warm-up of each."""
    load_ext = LOAD_EXT_PROBE.format(heavy=HEAVY)
    with tempfile.TemporaryDirectory(prefix="nbauth-bench-load-ext-") as tmp:
        root = Path(tmp)
        env = probe_environment(str(root / "pycache"))
        env.pop("NBAUTH_CONFIG", None)
        env["PYTHONPATH"] = str(REPO_ROOT)  # the checkout, whatever the working directory
        bare, configured = root / "bare", root / "configured"
        bare.mkdir()
        configured.mkdir()
        (configured / "amplify_outputs.json").write_text(json.dumps(CONFIG))
        cases = {
            "boto3": (IMPORT_PROBE, bare),
            "bare": (load_ext, bare),
            "configured": (load_ext, configured),
        }
        found: dict[str, list[ProbeRun]] = {name: [] for name in cases}
        for code, cwd in cases.values():
            probe_once(code, cwd, env)
        for _ in range(runs):
            for name, (code, cwd) in cases.items():
                found[name].append(probe_once(code, cwd, env))
    return found


def _stats(runs: list[ProbeRun]) -> Stats:
    return stats_of([run.elapsed_ns for run in runs])


def run(runs: int = 11) -> list[Row]:
    """Median ``%load_ext nbauth`` times, as a share of ``import boto3``, and what they load."""
    found = _runs(runs)
    boto3_stats = _stats(found["boto3"])
    rows = [Row(SECTION, "import boto3 [baseline]", boto3_stats)]
    for name, label in (
        ("bare", "%load_ext nbauth, no config"),
        ("configured", "%load_ext nbauth, amplify_outputs.json"),
    ):
        stats = _stats(found[name])
        percent = 100 * stats.median_ns / boto3_stats.median_ns
        heavy = sorted({m for run in found[name] for m in run.heavy})
        last = found[name][-1]
        target = name == "bare"  # the configured case makes the default Auth: see README
        rows.append(
            Row(
                SECTION,
                label,
                stats,
                ratio=f"{percent:.1f}% of boto3",
                target=f"≤ {TARGET_MS:g} ms" if target else "",
                ok=stats.median_ns <= TARGET_MS * 1e6 if target else None,
                extra={
                    "percent_of_boto3": percent,
                    "nbauth_modules": last.nbauth_modules,
                    "first_line": last.first_line,
                },
            )
        )
        rows.append(
            Row(
                SECTION,
                f"  heavy packages loaded ({name})",
                value=", ".join(heavy) or "none",
                target="none",
                ok=not heavy,
                extra={"nbauth_modules": last.nbauth_modules},
            )
        )
    return rows


if __name__ == "__main__":
    rows = run(int(sys.argv[1]) if len(sys.argv) > 1 else 11)
    print(render_table(rows))
    for row in rows:
        if "first_line" in row.extra:
            print(f"{row.name}: {row.extra['nbauth_modules']} nbauth modules; "
                  f"first output {row.extra['first_line']!r}")
