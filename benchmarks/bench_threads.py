"""[5] 32 threads call ``fetch_auth_session()`` at once across a refresh.

An ``Auth`` with a fake clock (background refresh off, so the callers
themselves must refresh) federates with credentials the sandbox mints for
10 minutes. Two bursts of 32 threads, released together by a barrier:

* **expired**: the clock is moved past the credentials' real expiry; every
  thread must wait for new credentials — one ``GetCredentialsForIdentity``
  should serve them all;
* **stale**: the clock is moved into the refresh window (before expiry); one
  thread refreshes while the others keep the still-valid credentials.

Before each burst the sandbox's credential lifetime is raised so that the
credentials minted during the burst are fresh by the fake clock, which runs
ahead of the server's real one.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from fixtures import ClearableStorage, Federated
from harness import Row, format_ns, stats_of

import nbauth

SECTION = "5 32 threads across a refresh (fake clock)"
THREADS = 32
FIRST_LIFETIME = 600
EXPIRED_BURST_LIFETIME = 3_600
STALE_BURST_LIFETIME = 43_200


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True)
class Burst:
    """What one burst of threads saw."""

    get_credentials_calls: int
    get_id_calls: int
    errors: list[str]
    distinct_keys: int  # access key ids the threads were handed
    renewed: bool  # whether every thread (expired) / the refresher (stale) got new keys
    latencies_ns: list[float]


def _burst(ctx: Federated, auth: nbauth.Auth, old_key: str, expect_all_new: bool) -> Burst:
    """Release ``THREADS`` threads at once on ``auth.fetch_auth_session()``."""
    barrier = threading.Barrier(THREADS)

    def call(_: int) -> tuple[str | None, str | None, float]:
        barrier.wait()
        start = time.perf_counter_ns()
        try:
            session = auth.fetch_auth_session(force_refresh=False)
        except Exception as exc:
            return None, f"{type(exc).__name__}: {exc}", time.perf_counter_ns() - start
        key = session.credentials.access_key_id if session.credentials else None
        return key, None, time.perf_counter_ns() - start

    before = ctx.identity_calls()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(call, range(THREADS)))
    after = ctx.identity_calls()
    keys = [key for key, _, _ in results if key is not None]
    new_keys = [key for key in keys if key != old_key]
    return Burst(
        get_credentials_calls=after[1] - before[1],
        get_id_calls=after[0] - before[0],
        errors=[error for _, error, _ in results if error],
        distinct_keys=len(set(keys)),
        renewed=len(new_keys) == THREADS if expect_all_new else bool(new_keys),
        latencies_ns=[float(latency) for _, _, latency in results],
    )


def _current_key(auth: nbauth.Auth) -> str:
    credentials = auth.current_credentials()
    return credentials.access_key_id


def _bursts(ctx: Federated) -> tuple[Burst, Burst]:
    """Federate with 10-minute credentials, then the expired burst, then the stale one."""
    sb = ctx.sb
    config = sb.config
    config["nbauth"]["refresh"]["background"] = False
    clock = FakeClock(time.time())
    auth = nbauth.Auth(config, clock=clock, storage=ClearableStorage())
    try:
        sb.set_credentials_lifetime(FIRST_LIFETIME)
        result = auth.federate_to_identity_pool(ctx.token, ctx.provider)
        assert result.credentials.expires_at is not None

        sb.set_credentials_lifetime(EXPIRED_BURST_LIFETIME)
        clock.now = result.credentials.expires_at + 1
        expired = _burst(ctx, auth, result.credentials.access_key_id, expect_all_new=True)

        sb.set_credentials_lifetime(STALE_BURST_LIFETIME)
        old_key = _current_key(auth)  # before the clock moves: a stale read would refresh
        engine = auth.credentials_engine
        clock.now = engine.refresh_at + 1
        assert engine.state == "stale", engine.state
        stale = _burst(ctx, auth, old_key, expect_all_new=False)
    finally:
        sb.set_credentials_lifetime(3_600)
        auth.close()
    return expired, stale


def _rows(name: str, burst: Burst) -> list[Row]:
    ok = (
        (burst.get_id_calls, burst.get_credentials_calls) == (0, 1)
        and not burst.errors
        and burst.renewed
    )
    detail = f"GetId {burst.get_id_calls} + GCFI {burst.get_credentials_calls}"
    if burst.errors:
        detail += f", {len(burst.errors)} errors"
    latency = stats_of(burst.latencies_ns)
    return [
        Row(
            SECTION,
            f"{name}: per-thread latency",
            latency,
            ratio=f"slowest thread {format_ns(latency.max_ns)}",
            extra={"errors": burst.errors[:3], "distinct_keys": burst.distinct_keys},
        ),
        Row(
            SECTION,
            f"{name}: server calls for {THREADS} threads",
            value=detail,
            target="GetId 0 + GCFI 1",
            ok=ok,
        ),
    ]


def run(ctx: Federated) -> list[Row]:
    """Two bursts; each should cost exactly one ``GetCredentialsForIdentity``."""
    expired, stale = _bursts(ctx)
    return [*_rows("expired", expired), *_rows("stale", stale)]
