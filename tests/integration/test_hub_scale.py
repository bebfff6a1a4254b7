"""Hub scale over the real wire: 200 sessions in one process, 3 simulated hours.

The simulation is the benchmark's (``benchmarks/bench_hub_scale.py``, with fewer sessions):
sign-ins over 20 minutes, a hub restart (every session federated again at once), background
refreshes until 3 hours, all against the sandbox with a clock that jumps over idle time.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import bench_hub_scale as hub

SESSIONS = 200


def test_200_sessions_stay_under_the_quotas_with_flat_threads_and_spread_refreshes(
    sb: Any,
) -> None:
    sim = hub.simulate(sb, SESSIONS)
    assert not sim.errors, sim.errors[:5]
    calls = sim.recorder.calls
    get_id = hub.rates([t for t, _ in calls["GetId"]])
    gcfi = hub.rates([t for t, _ in calls["GetCredentialsForIdentity"]])
    assert get_id.calls == SESSIONS  # one per sign-in; the restart found the identity ids
    assert gcfi.calls >= 2 * SESSIONS + SESSIONS * 2  # sign-in, restart, ≥ 2 refresh cycles
    assert get_id.peak_per_s < hub.QUOTAS["GetId"]
    assert gcfi.peak_per_s < hub.QUOTAS["GetCredentialsForIdentity"]
    assert sim.max_threads <= 5, sim.max_threads  # one scheduler + at most 4 workers
    spread, refreshes = hub.refresh_spread(sim)
    assert refreshes >= SESSIONS * 2
    assert spread <= 2, spread
