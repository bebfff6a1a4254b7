"""[4] Cold and warm ``federate_to_identity_pool`` over real HTTP to the sandbox.

* **cold, new Auth**: a new ``nbauth.Auth`` with empty storage — ``GetId`` then
  ``GetCredentialsForIdentity``, plus building its boto3 ``cognito-identity``
  client (done lazily on the first call).
* **warm, new Auth**: a new ``nbauth.Auth`` sharing the storage of an earlier
  federation whose credentials are gone — the identity id is cached, so one call.
* **cached credentials, new Auth**: the same, with the earlier credentials still valid in the
  store — no call at all (a kernel restart with ``FileStorage`` behaves like this).
* **cold / warm, client reused**: the same ``Auth`` federating again, with its
  storage emptied (cold) or kept (warm): the wire cost alone.

The server counts every request, so each row also shows the calls one
federation made. The cached session read of section 1 is re-measured on the
last warm ``Auth`` for scale.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fixtures import ClearableStorage, Federated
from harness import Row, Stats, format_ns, format_ratio, measure_call, measure_samples

import nbauth

SECTION = "4 federation over HTTP (sandbox)"
#: Where the shared credentials cache keeps credentials (the identity ids stay).
CREDENTIALS_PREFIX = "nbauth.credentials."
NEW_SAMPLES = 8
REUSED_SAMPLES = 20

Measured = tuple[Stats, list[Any]]


def _counted(ctx: Federated, federate: Callable[[], object]) -> Callable[[], tuple[int, int]]:
    """Wrap ``federate`` so that each call returns the (GetId, GCFI) calls it made."""

    def call() -> tuple[int, int]:
        before = ctx.identity_calls()
        federate()
        after = ctx.identity_calls()
        return after[0] - before[0], after[1] - before[1]

    return call


def _calls_value(results: list[Any]) -> tuple[str, tuple[int, int] | None]:
    """``"GetId 1 + GCFI 1"`` if every sample made the same calls, else the spread."""
    distinct = sorted(set(results))
    if len(distinct) == 1:
        get_id, get_credentials = distinct[0]
        return f"GetId {get_id} + GCFI {get_credentials}", distinct[0]
    return "varied: " + ", ".join(f"{a}+{b}" for a, b in distinct), None


def _new_auth_samples(ctx: Federated, shared: ClearableStorage) -> dict[str, Measured]:
    """Federate once on each of several new ``Auth`` objects, cold and warm interleaved.

    The ``Auth`` objects are built before timing starts; only the federation is timed.
    """
    cold = [nbauth.Auth(ctx.sb.config, storage=ClearableStorage()) for _ in range(NEW_SAMPLES)]
    warm = [nbauth.Auth(ctx.sb.config, storage=shared) for _ in range(NEW_SAMPLES)]
    cached = [nbauth.Auth(ctx.sb.config, storage=shared) for _ in range(NEW_SAMPLES)]

    def federate_next(auths: list[nbauth.Auth], forget: bool) -> Callable[[], object]:
        pending = iter(auths)

        def call() -> object:
            if forget:
                shared.clear(CREDENTIALS_PREFIX)  # a dict pop: negligible next to a round trip
            return next(pending).federate_to_identity_pool(ctx.token, ctx.provider)

        return call

    try:
        return measure_samples(
            {
                "cold": _counted(ctx, federate_next(cold, False)),
                "warm": _counted(ctx, federate_next(warm, True)),
                "cached": _counted(ctx, federate_next(cached, False)),
            },
            NEW_SAMPLES,
        )
    finally:
        for auth in cold + warm + cached:
            auth.close()


def _reused_samples(
    auth: nbauth.Auth, ctx: Federated, storage: ClearableStorage
) -> dict[str, Measured]:
    """Federate again and again on one ``Auth``: cold (storage emptied first) and warm."""

    def federate(cold: bool) -> Callable[[], object]:
        def call() -> object:
            storage.clear("" if cold else CREDENTIALS_PREFIX)  # dict pops: negligible
            return auth.federate_to_identity_pool(ctx.token, ctx.provider)

        return call

    return measure_samples(
        {"cold": _counted(ctx, federate(True)), "warm": _counted(ctx, federate(False))},
        REUSED_SAMPLES,
    )


def _rows(name: str, measured: Measured, expected: tuple[int, int]) -> list[Row]:
    """The timing row and, under it, the server calls each federation made."""
    stats, results = measured
    value, calls = _calls_value(results)
    return [
        Row(SECTION, name, stats),
        Row(
            SECTION,
            "  server calls per federation",
            value=value,
            target=f"GetId {expected[0]} + GCFI {expected[1]}",
            ok=calls == expected,
        ),
    ]


def _prime(ctx: Federated, storage: ClearableStorage) -> None:
    """One federation so that ``storage`` holds the identity id."""
    auth = nbauth.Auth(ctx.sb.config, storage=storage)
    try:
        auth.federate_to_identity_pool(ctx.token, ctx.provider)
    finally:
        auth.close()


def _faster(slow: list[Row], fast: list[Row], than: str) -> None:
    """Put ``slow``'s median over ``fast``'s in ``fast``'s ratio column."""
    slow_stats, fast_stats = slow[0].stats, fast[0].stats
    assert slow_stats and fast_stats
    ratio = format_ratio(slow_stats.median_ns / fast_stats.median_ns)
    fast[0].ratio = f"{ratio} faster than {than}"


def _client_build_row(warm_new: list[Row], warm_wire: list[Row]) -> Row:
    """What a new ``Auth`` pays on top of the wire: building its boto3 client (derived)."""
    new_stats, wire_stats = warm_new[0].stats, warm_wire[0].stats
    assert new_stats and wire_stats
    build_ns = new_stats.median_ns - wire_stats.median_ns
    return Row(
        SECTION,
        "  = boto3 client build (warm new - warm reused)",
        value=format_ns(build_ns),
        ratio=f"{100 * build_ns / new_stats.median_ns:.0f}% of warm, new Auth",
        extra={"client_build_ns": build_ns},
    )


def run(ctx: Federated) -> list[Row]:
    """Cold/warm on new ``Auth`` objects, cold/warm on a reused one, and a cached read."""
    shared = ClearableStorage()
    _prime(ctx, shared)
    new = _new_auth_samples(ctx, shared)
    cold_new = _rows("cold, new Auth", new["cold"], (1, 1))
    warm_new = _rows("warm, new Auth", new["warm"], (0, 1))
    cached_new = _rows("cached credentials, new Auth", new["cached"], (0, 0))

    auth = nbauth.Auth(ctx.sb.config, storage=shared)
    try:
        auth.federate_to_identity_pool(ctx.token, ctx.provider)  # builds the boto3 client
        reused = _reused_samples(auth, ctx, shared)
        cached = measure_call("auth.fetch_auth_session()", {"auth": auth})
    finally:
        auth.close()
    cold_wire = _rows("cold, client reused", reused["cold"], (1, 1))
    warm_wire = _rows("warm, client reused", reused["warm"], (0, 1))

    _faster(cold_new, warm_new, "cold")
    _faster(cold_wire, warm_wire, "cold")
    cached_row = [Row(SECTION, "cached Auth.fetch_auth_session() after it", cached)]
    _faster(warm_wire, cached_row, "warm")
    build = _client_build_row(warm_new, warm_wire)
    _faster(warm_new, cached_new, "warm")
    return [*cold_new, *warm_new, *cached_new, build, *cold_wire, *warm_wire, *cached_row]
