"""[10] Hub scale: 1,000 federated sessions in one process for 3 simulated hours (sandbox).

A JupyterHub service may hold every user's session in one process. This section federates
``--sessions`` ``nbauth.Auth`` objects (developer-authenticated identities from the sandbox,
so tokens outlive the run) and drives them with a :class:`JumpClock`: epoch seconds that flow
in real time and jump forward whenever nothing is due, so 3 hours take about a minute while
the rate limiters, the scheduler and the sandbox see real, concurrent calls. The sandbox mints
credentials for 1 hour of *simulated* time (its lifetime is raised by the time skipped).

* **growth**: sessions federated on the real clock; nbauth threads, traced memory
  (tracemalloc) and RSS at 10, 100 and N sessions;
* **simulation**: sign-ins spread over the first 20 minutes (``GetId`` +
  ``GetCredentialsForIdentity`` each), a hub restart at 30 minutes (every session closed and
  federated again at the same instant by 32 threads; the identity ids survive in storage, the
  credentials do not), background refreshes until 3 hours.

Calls are recorded at the client (a botocore ``before-call`` hook on nbauth's shared
identity-pool client) in simulated time: peak in 1-s buckets and mean over the run, per
operation, against Cognito's default quotas (25 and 200 requests/s). The spread of the
background refreshes after the restart burst is the peak-to-mean of 5-minute buckets from the
earliest refresh after the restart to the end (target ≤ 2).

``python benchmarks/bench_hub_scale.py [--sessions N] [--growth-only]`` runs it alone
(``--growth-only`` also runs against an older nbauth, for the before/after thread counts).
"""

from __future__ import annotations

import argparse
import collections
import gc
import os
import sys
import threading
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures import ClearableStorage, sandbox_environment
from harness import Row, render_table

import nbauth

SECTION = "10 hub scale (simulated hours, sandbox)"
QUOTAS = {"GetId": 25.0, "GetCredentialsForIdentity": 200.0}
LIFETIME = 3600
RAMP = 20 * 60
RESTART = 30 * 60
DURATION = 3 * 3600
SPREAD_BUCKET = 300
GROWTH_POINTS = (10, 100)


class JumpClock:
    """Epoch seconds flowing in real time, that can jump forward (never back)."""

    def __init__(self) -> None:
        self._offset = time.time() - time.monotonic()
        self.skipped = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return time.monotonic() + self._offset

    def jump_to(self, when: float) -> None:
        with self._lock:
            ahead = when - self()
            if ahead > 0:
                self._offset += ahead
                self.skipped += ahead


def nbauth_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name.startswith("nbauth-refresh"))


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def developer_tokens(sb: Any, count: int, prefix: str) -> list[tuple[str, str]]:
    """``(identity_id, token)`` per session, valid for a day of real time."""
    with ThreadPoolExecutor(8) as pool:
        return list(
            pool.map(
                lambda i: sb.developer_identity(f"{prefix}-{i}", token_duration=86400), range(count)
            )
        )


def make_auth(sb: Any, storage: Any, clock: Any = None) -> nbauth.Auth:
    kwargs = {"clock": clock} if clock is not None else {}
    return nbauth.Auth(sb.config, storage=storage, **kwargs)


# -- growth: threads and memory per session -----------------------------------------------


@dataclass
class GrowthPoint:
    sessions: int
    threads: int
    traced_kib: float
    rss_kib: int


def growth(sb: Any, sessions: int) -> list[GrowthPoint]:
    """Federate ``sessions`` Auths on the real clock; threads and memory at each point."""
    tokens = developer_tokens(sb, sessions, "growth")
    storage = ClearableStorage()
    auths: list[nbauth.Auth] = []
    points: list[GrowthPoint] = []
    marks = sorted({p for p in GROWTH_POINTS if p < sessions} | {sessions})
    gc.collect()
    base_threads, base_rss = nbauth_threads(), rss_kib()
    tracemalloc.start()
    base_traced = tracemalloc.get_traced_memory()[0]
    try:
        for identity_id, token in tokens:
            auth = make_auth(sb, storage)
            auth.federate_to_identity_pool(
                token, nbauth.AuthProvider.DEVELOPER, developer_provided_identity_id=identity_id
            )
            auths.append(auth)
            if len(auths) in marks:
                time.sleep(0.2)  # let timers start
                gc.collect()
                points.append(
                    GrowthPoint(
                        len(auths),
                        nbauth_threads() - base_threads,
                        (tracemalloc.get_traced_memory()[0] - base_traced) / 1024,
                        rss_kib() - base_rss,
                    )
                )
    finally:
        tracemalloc.stop()
        for auth in auths:
            auth.close()
    return points


# -- simulation ----------------------------------------------------------------------------


@dataclass
class Recorder:
    """Identity-pool calls in simulated seconds since the start, per operation."""

    clock: JumpClock
    start: float
    calls: dict[str, list[tuple[float, bool]]] = field(
        default_factory=lambda: collections.defaultdict(list)
    )
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, model: Any, **_: Any) -> None:
        background = threading.current_thread().name.startswith("nbauth-refresh")
        with self.lock:
            self.calls[model.name].append((self.clock() - self.start, background))


def record_calls(sb: Any, recorder: Recorder) -> Any:
    from nbauth.aws.unsigned_clients import unsigned_client

    client = unsigned_client("cognito-identity", sb.region, sb.aws_endpoint_url)
    client.meta.events.register("before-call.cognito-identity", recorder)
    return client


@dataclass
class Simulation:
    sessions: int
    recorder: Recorder
    restart_at: float
    errors: list[str]
    peak_workers: int
    wall_seconds: float
    max_threads: int


def simulate(sb: Any, sessions: int, *, seed: int = 7) -> Simulation:
    """Sign-ins over ``RAMP``, a restart burst at ``RESTART``, refreshes until ``DURATION``."""
    import random

    from nbauth.aws.rate_limit import RateLimiter, rate_from_env, set_shared_limiter
    from nbauth.core.refresh_scheduler import shared_scheduler

    rnd = random.Random(seed)
    clock = JumpClock()
    start = clock()
    for operation in QUOTAS:
        set_shared_limiter(
            operation,
            RateLimiter(rate_from_env(operation), name=operation, clock=clock),
        )
    recorder = Recorder(clock, start)
    client = record_calls(sb, recorder)
    tokens = developer_tokens(sb, sessions, f"hub-{seed}")
    sign_ins = sorted(rnd.uniform(0, RAMP) for _ in range(sessions))
    storage = ClearableStorage()
    auths: list[nbauth.Auth] = []
    errors: list[str] = []
    wall = time.monotonic()
    max_threads = 0
    restarted = False

    def set_lifetime() -> None:
        sb.set_credentials_lifetime(int(LIFETIME + clock.skipped))

    def federate(index: int) -> nbauth.Auth:
        auth = make_auth(sb, storage, clock)
        auth.federate_to_identity_pool(tokens[index][1], nbauth.AuthProvider.DEVELOPER)
        return auth

    def settle() -> None:
        """Poke the engines that are due and wait until they are not."""
        for _ in range(2000):
            now = clock()
            due = [a for a in auths if (a.credentials_engine.next_due() or float("inf")) <= now]
            if not due:
                return
            for auth in due:
                auth.credentials_engine.poke()
            time.sleep(0.005)

    set_lifetime()
    try:
        while True:
            nonlocal_now = clock() - start
            if not restarted and nonlocal_now >= RESTART:
                for auth in auths:
                    auth.close()
                storage.clear("nbauth.credentials.")  # identity ids survive, credentials not
                with ThreadPoolExecutor(32) as pool:
                    auths = list(pool.map(federate, range(len(auths))))
                restarted = True
                continue
            if sign_ins and sign_ins[0] <= nonlocal_now:
                sign_ins.pop(0)
                try:
                    auths.append(federate(len(auths)))
                except nbauth.AuthError as exc:
                    errors.append(f"sign-in: {exc.name}")
                continue
            settle()
            max_threads = max(max_threads, nbauth_threads())
            dues = [a.credentials_engine.next_due() for a in auths]
            upcoming = [d - start for d in dues if d is not None]
            nxt = min([DURATION, *upcoming, *sign_ins[:1]] + ([] if restarted else [RESTART]))
            if nxt >= DURATION and nonlocal_now >= DURATION - 1:
                break
            clock.jump_to(start + nxt)
            set_lifetime()
        errors += [
            f"refresh: {a.credentials_engine.last_error!r}"
            for a in auths
            if a.credentials_engine.last_error is not None
        ]
    finally:
        for auth in auths:
            auth.close()
        client.meta.events.unregister("before-call.cognito-identity", recorder)
        for operation in QUOTAS:
            set_shared_limiter(operation, None)
        sb.set_credentials_lifetime(LIFETIME)
    return Simulation(
        sessions,
        recorder,
        RESTART,
        errors,
        shared_scheduler().peak_workers,
        time.monotonic() - wall,
        max_threads,
    )


@dataclass(frozen=True)
class Rates:
    calls: int
    peak_per_s: int
    mean_per_s: float


def rates(stamps: list[float], duration: float = DURATION) -> Rates:
    buckets = collections.Counter(int(s) for s in stamps)
    return Rates(len(stamps), max(buckets.values(), default=0), len(stamps) / duration)


def refresh_spread(sim: Simulation) -> tuple[float, int]:
    """Peak-to-mean of background ``GetCredentialsForIdentity`` calls in 5-minute buckets,
    from the earliest background refresh after the restart to the end; and their number."""
    stamps = [
        t
        for t, background in sim.recorder.calls["GetCredentialsForIdentity"]
        if background and t > sim.restart_at
    ]
    if not stamps:
        return 0.0, 0
    first = min(stamps)
    buckets = collections.Counter(int((t - first) // SPREAD_BUCKET) for t in stamps)
    count = int((DURATION - first) // SPREAD_BUCKET) or 1
    counts = [buckets.get(i, 0) for i in range(count)]
    return max(counts) / (sum(counts) / len(counts)), len(stamps)


def rows_for(points: list[GrowthPoint], sim: Simulation | None) -> list[Row]:
    rows = [
        Row(
            SECTION,
            f"{p.sessions:>5} sessions: nbauth threads",
            value=f"{p.threads}",
            target="≤ 5 (1 + 4 workers)",
            ok=p.threads <= 5,
            extra={"traced_kib": round(p.traced_kib), "rss_kib": p.rss_kib},
        )
        for p in points
    ]
    if points:
        last = points[-1]
        rows.append(
            Row(
                SECTION,
                "memory per session",
                value=f"{last.traced_kib / last.sessions:.0f} KiB traced, "
                f"{last.rss_kib / last.sessions:.0f} KiB RSS",
            )
        )
    if sim is None:
        return rows
    for operation, quota in QUOTAS.items():
        r = rates([t for t, _ in sim.recorder.calls[operation]])
        rows.append(
            Row(
                SECTION,
                f"{operation}: peak / mean calls/s",
                value=f"{r.peak_per_s} / {r.mean_per_s:.2f} ({r.calls} calls)",
                target=f"peak < {quota:g} (quota)",
                ok=r.peak_per_s < quota,
            )
        )
    spread, refreshes = refresh_spread(sim)
    rows += [
        Row(
            SECTION,
            "refreshes after the burst: peak/mean (5 min)",
            value=f"{spread:.2f} ({refreshes} refreshes)",
            target="≤ 2",
            ok=0 < spread <= 2,
        ),
        Row(
            SECTION,
            f"{sim.sessions} sessions, 3 h: threads, errors",
            value=f"max {sim.max_threads} threads, peak {sim.peak_workers} busy workers, "
            f"{len(sim.errors)} errors, {sim.wall_seconds:.0f} s wall",
            target="≤ 5 threads, 0 errors",
            ok=sim.max_threads <= 5 and not sim.errors,
            extra={"errors": sim.errors[:5]},
        ),
    ]
    return rows


def run(sb: Any, sessions: int = 1000) -> list[Row]:
    points = growth(sb, sessions)
    return rows_for(points, simulate(sb, sessions))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--growth-only", action="store_true", help="threads and memory only")
    args = parser.parse_args(argv)
    with sandbox_environment() as sb:
        points = growth(sb, args.sessions)
        sim = None if args.growth_only else simulate(sb, args.sessions)
    print(render_table(rows_for(points, sim)))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("NBAUTH_LOG_LEVEL", "WARNING")
    sys.exit(main())
