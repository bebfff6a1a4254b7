"""[1] Cached ``fetch_auth_session()`` while the sandbox credentials are fresh.

The reference is an empty Python function call timed the same way: the
ratio says how many empty calls one cached session read costs, a figure that
carries across machines better than nanoseconds do.
"""

from __future__ import annotations

from fixtures import Federated
from harness import Row, Stats, format_ratio, measure_calls

import nbauth

SECTION = "1 cached fetch_auth_session() (sandbox credentials)"
TARGET_NS = 1_000


def _noop() -> None:
    """The reference: the cheapest call Python can make."""


def _check_cached(ctx: Federated) -> None:
    """The figures only mean something if the session is cached and fresh."""
    session = nbauth.fetch_auth_session()
    assert session.credentials is not None and session.identity_id, session
    assert nbauth.fetch_auth_session() is session, "fetch_auth_session() is not cached"
    assert ctx.auth.credentials_engine.state == "fresh", ctx.auth.credentials_engine.state


def _times_noop(stats: Stats, noop: Stats) -> str:
    return f"{format_ratio(stats.median_ns / noop.median_ns)} noop()"


def run(ctx: Federated) -> tuple[list[Row], Stats]:
    """Time the module-level and instance calls; return the rows and the module-level stats."""
    _check_cached(ctx)
    calls_before = ctx.identity_calls()
    measured = measure_calls(
        {
            "noop": ("noop()", {"noop": _noop}),
            "module": ("nbauth.fetch_auth_session()", {"nbauth": nbauth}),
            "instance": ("auth.fetch_auth_session()", {"auth": ctx.auth}),
        }
    )
    noop, module, instance = measured["noop"], measured["module"], measured["instance"]
    get_id, get_credentials = (
        after - before for after, before in zip(ctx.identity_calls(), calls_before, strict=True)
    )
    rows = [
        Row(SECTION, "noop() [reference]", noop),
        Row(
            SECTION,
            "nbauth.fetch_auth_session()",
            module,
            ratio=_times_noop(module, noop),
            target="≤ 1 µs",
            ok=module.median_ns <= TARGET_NS,
        ),
        Row(SECTION, "Auth.fetch_auth_session()", instance, ratio=_times_noop(instance, noop)),
        Row(
            SECTION,
            "server calls while timing",
            value=f"GetId {get_id} + GCFI {get_credentials}",
            target="GetId 0 + GCFI 0",
            ok=get_id == get_credentials == 0,
        ),
    ]
    return rows, module
