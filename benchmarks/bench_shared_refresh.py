"""[8] One shared sign-in, N processes refreshing at once: IdP refreshes and federations counted.

One device-code sign-in writes the session to a file store; N fresh processes (each an
``nbauth.Auth`` on that store, as N kernels) restore it, wait for one "go" file, then force a
token refresh and a credentials refresh at the same moment. The sandbox counts the calls it
served: the target is **1** IdP token refresh and **1** ``GetCredentialsForIdentity`` for the
lot (one process refreshes under the store's lock; the others re-read what it wrote). Wall time
from "go" to the last process done is reported too.

Run alone: ``python benchmarks/bench_shared_refresh.py [PROCESSES]``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_credential_process import _env, _sign_in
from harness import Row

SECTION = "8 shared sign-in, N processes refresh at once (sandbox)"

WORKER = """
import json, os, sys, time
from pathlib import Path
import nbauth
from nbauth.core.storage import FileStorage
config, store, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
auth = nbauth.Auth(json.loads(Path(config).read_text()), storage=FileStorage(store),
                   hub=nbauth.Hub())
assert auth.state == "signed_in", auth.state
print("ready", flush=True)
while not go.exists():
    time.sleep(0.005)
user = auth.signed_in_user
user.get_tokens(force_refresh=True)
auth.credentials_engine.get(force=True)
print(json.dumps({"signed_in": auth.state == "signed_in"}), flush=True)
auth.close()
"""


def run(sb: Any, processes: int = 6) -> list[Row]:
    """Rows of section [8] against the running sandbox ``sb``."""
    with tempfile.TemporaryDirectory(prefix="nbauth-bench-shared-") as tmp_name:
        tmp = Path(tmp_name)
        env = _env(sb, tmp)
        config = tmp / "amplify_outputs.json"
        config.write_text(json.dumps(sb.config))
        store = tmp / "store"
        _sign_in(sb, store)
        go = tmp / "go"
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, str(config), str(store), str(go)],
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(processes)
        ]
        for worker in workers:
            assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        tokens_before = sb.idp_calls("token")
        gcfi_before = sb.calls("GetCredentialsForIdentity")
        started = time.perf_counter()
        go.touch()
        kept = 0
        for worker in workers:
            out, _ = worker.communicate(timeout=120)
            kept += json.loads(out.strip().splitlines()[-1])["signed_in"]
        wall = time.perf_counter() - started
        refreshes = sb.idp_calls("token") - tokens_before
        federations = sb.calls("GetCredentialsForIdentity") - gcfi_before
    return [
        Row(
            SECTION,
            f"IdP token refreshes ({processes} processes)",
            value=str(refreshes),
            target="1",
            ok=refreshes == 1,
        ),
        Row(
            SECTION,
            f"GetCredentialsForIdentity ({processes} processes)",
            value=str(federations),
            target="1",
            ok=federations == 1,
        ),
        Row(
            SECTION,
            "processes still signed in",
            value=f"{kept}/{processes}",
            target=f"{processes}/{processes}",
            ok=kept == processes,
        ),
        Row(SECTION, "wall time, go → all done", value=f"{wall * 1000:.0f} ms"),
    ]


if __name__ == "__main__":
    from fixtures import sandbox_environment
    from harness import render_table

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    with sandbox_environment() as sandbox:
        print(render_table(run(sandbox, count)))
