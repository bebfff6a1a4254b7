"""Timing primitives and result rows shared by the benchmark sections.

Micro-benchmarks use :class:`timeit.Timer` with ``time.perf_counter_ns`` as
its clock: the statement is compiled into timeit's own loop (no extra Python
frame per call) and timeit disables the garbage collector while it times.
Each repeat times ``number`` back-to-back calls; the per-call figure of a
repeat is its total divided by ``number``. We report the median and the 90th
percentile (nearest rank) of those per-call figures over all repeats.

One-shot measurements (a federation over HTTP, an import in a fresh
interpreter) are timed sample by sample, also with GC disabled.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
import timeit
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "Row",
    "Stats",
    "format_ns",
    "format_ratio",
    "gc_disabled",
    "measure_call",
    "measure_calls",
    "measure_samples",
    "stats_of",
]

#: One repeat of a micro-benchmark runs at least this long (ns).
REPEAT_TARGET_NS = 10_000_000
#: Repeats of a micro-benchmark.
MICRO_REPEATS = 15


@dataclass(frozen=True)
class Stats:
    """Summary of one measurement, in nanoseconds per call."""

    median_ns: float
    p90_ns: float
    min_ns: float
    max_ns: float
    repeats: int
    number: int  # calls per repeat (1 for one-shot samples)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Row:
    """One line of the printed table (and one entry of the JSON report)."""

    section: str
    name: str
    stats: Stats | None = None
    value: str = ""  # shown instead of median/p90 for non-timing rows (counts, yes/no)
    ratio: str = ""  # ratio against the section's baseline, as shown in the table
    target: str = ""
    ok: bool | None = None  # None: no target
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "name": self.name,
            "stats": self.stats.as_dict() if self.stats else None,
            "value": self.value,
            "ratio": self.ratio,
            "target": self.target,
            "ok": self.ok,
            **self.extra,
        }


@contextmanager
def gc_disabled() -> Iterator[None]:
    """Disable the garbage collector for the block (restoring its previous state)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (``pct`` in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def stats_of(per_call_ns: Sequence[float], number: int = 1) -> Stats:
    """Median, p90, min and max of per-call samples (ns)."""
    return Stats(
        median_ns=statistics.median(per_call_ns),
        p90_ns=percentile(per_call_ns, 90),
        min_ns=min(per_call_ns),
        max_ns=max(per_call_ns),
        repeats=len(per_call_ns),
        number=number,
    )


def _calibrate(timer: timeit.Timer, target_ns: int) -> int:
    """Smallest ``number`` in 1, 2, 5, 10, 20, 50… whose loop takes at least ``target_ns``."""
    number = 1
    while True:
        for factor in (1, 2, 5):
            candidate = number * factor
            if timer.timeit(candidate) >= target_ns:
                return candidate
        number *= 10


def measure_calls(
    cases: Mapping[str, tuple[str, dict[str, Any]]],
    *,
    repeats: int = MICRO_REPEATS,
    target_ns: int = REPEAT_TARGET_NS,
) -> dict[str, Stats]:
    """Time each ``name: (stmt, namespace)`` timeit-style, repeats interleaved across cases.

    Interleaving (a repeat of each case, then the next round) exposes a case
    and its baseline to the same machine load, which keeps their ratio
    steady on a busy machine.
    """
    timers = {
        name: timeit.Timer(stmt, globals=namespace, timer=time.perf_counter_ns)
        for name, (stmt, namespace) in cases.items()
    }
    numbers = {name: _calibrate(timer, target_ns) for name, timer in timers.items()}  # + warm-up
    per_call: dict[str, list[float]] = {name: [] for name in timers}
    for _ in range(repeats):
        for name, timer in timers.items():
            per_call[name].append(timer.timeit(numbers[name]) / numbers[name])  # GC off inside
    return {name: stats_of(per_call[name], numbers[name]) for name in timers}


def measure_call(stmt: str, namespace: dict[str, Any], **options: Any) -> Stats:
    """Time one statement; see :func:`measure_calls`."""
    return measure_calls({"": (stmt, namespace)}, **options)[""]


def measure_samples(
    funcs: Mapping[str, Callable[[], Any]], samples: int
) -> dict[str, tuple[Stats, list[Any]]]:
    """Time each ``name: func`` once per round, GC disabled, for ``samples`` rounds.

    Rounds interleave the cases (a, b, a, b, …) so that they share the
    machine's load. Returns each case's stats and the result of every call.
    """
    durations: dict[str, list[float]] = {name: [] for name in funcs}
    results: dict[str, list[Any]] = {name: [] for name in funcs}
    for _ in range(samples):
        for name, func in funcs.items():
            with gc_disabled():
                start = time.perf_counter_ns()
                result = func()
                durations[name].append(time.perf_counter_ns() - start)
            results[name].append(result)
    return {name: (stats_of(durations[name]), results[name]) for name in funcs}


def format_ns(ns: float) -> str:
    """A duration in nanoseconds with a readable unit and three significant digits."""
    if ns < 1_000:
        return f"{ns:.0f} ns"
    if ns < 1_000_000:
        return f"{ns / 1_000:.3g} µs"
    return f"{ns / 1_000_000:,.3g} ms" if ns < 1e9 else f"{ns / 1e9:.3g} s"


def format_ratio(ratio: float) -> str:
    """``"4.2x"``, ``"46x"``, ``"21,803x"``."""
    return f"{ratio:.1f}x" if ratio < 10 else f"{ratio:,.0f}x"


def render_table(rows: Sequence[Row]) -> str:
    """The rows as an aligned plain-text table, one block per section."""
    header = ("benchmark", "median", "p90", "vs baseline", "target", "")
    lines: list[tuple[str, ...]] = []
    section = None
    for row in rows:
        if row.section != section:
            section = row.section
            lines.append((f"[{section}]", "", "", "", "", ""))
        median = format_ns(row.stats.median_ns) if row.stats else row.value
        p90 = format_ns(row.stats.p90_ns) if row.stats else ""
        status = "" if row.ok is None else ("OK" if row.ok else "MISSED")
        lines.append((f"  {row.name}", median, p90, row.ratio, row.target, status))
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]
    out = []
    for i, line in enumerate([header, *lines]):
        cells = [line[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(line[1:3], widths[1:3], strict=True)]
        cells += [cell.ljust(width) for cell, width in zip(line[3:], widths[3:], strict=True)]
        out.append("  ".join(cells).rstrip())
        if i == 0:
            out.append("-" * len(out[0]))
    return "\n".join(out)
