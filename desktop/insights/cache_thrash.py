"""cache thrash: a session that keeps writing its large context to the prompt cache again (the cache
expired between turns, or its prefix changed), so cache reads stay low against cache writes.

A rebuild is a call on the session's own chain (subagents start cold by design) whose cache write is at
least `rebuild_min_tokens` and at least `rebuild_min_share` of everything it read; the session's first
call and the first call after a model switch are cold anyway and do not count. Steady caching is the
same calls with each rebuild reading its context from the cache and writing only what a normal turn
of that session writes (the median cache write of its other calls); both are priced with the price table.
"""

from __future__ import annotations

from itertools import pairwise
from statistics import median
from typing import Any

from desktop.formatting import money, tokens
from desktop.insights.common import (
    MAX_ITEMS,
    add_costs,
    call_item,
    more_item,
    session_label,
    sessions_started,
)
from desktop.insights.model import Finding, severity
from desktop.insights.thresholds import Thresholds
from desktop.model import Tokens
from desktop.periods import local_date
from desktop.reports.usage import Window
from desktop.store import Store
from desktop.store import finding_queries as fq
from desktop.store.finding_queries import CallRow

DETECTOR = "cache_thrash"
CANNOT_TELL = (
    "It cannot tell whether a break between turns was worth it, and the steady-caching cost is an "
    "estimate: it assumes the rebuilt context would still have been needed, at today's price table."
)


def detect(store: Store, window: Window, thresholds: Thresholds) -> list[Finding]:
    conn = store.conn
    since, until = window.bounds_ms()
    sessions = {
        row.key: row for row in sessions_started(store, since, until, window.sources, thresholds.memo)
    }
    min_write, min_share = int(thresholds["rebuild_min_tokens"]), float(thresholds["rebuild_min_share"])
    candidates = fq.thrash_candidates(conn, sessions, min_write, min_share, int(thresholds["min_rebuilds"]))
    findings = []
    for key in sorted(candidates):
        calls = fq.main_calls(conn, key)
        rebuilds, cold = _rebuilds(calls, min_write, min_share)
        reads = sum(c.cache_read for c in calls)
        writes = sum(c.cache_write for c in calls)
        ratio = reads / writes if writes else float("inf")
        if len(rebuilds) < thresholds["min_rebuilds"] or ratio >= thresholds["max_read_write_ratio"]:
            continue
        skip = cold | {c.id for c in rebuilds}
        steady_write = int(median([c.cache_write for c in calls if c.id not in skip] or [0]))
        actual, steady = _prices(thresholds, rebuilds, steady_write)
        if actual is None or steady is None or actual - steady < thresholds["min_excess_usd"]:
            continue
        findings.append(
            _finding(sessions[key], calls, rebuilds, ratio, actual, steady, steady_write, thresholds, window)
        )
    return findings


def _rebuilds(calls: list[CallRow], min_write: int, min_share: float) -> tuple[list[CallRow], set[int]]:
    """(the rebuild calls, ids of the calls that start cold: the first, and the first after a model switch)."""
    found: list[CallRow] = []
    cold: set[int] = set()
    before: CallRow | None = None
    for call in calls:
        if before is None or before.model != call.model:
            cold.add(call.id)
        elif call.cache_write >= min_write and call.cache_write >= min_share * call.prompt:
            found.append(call)
        before = call
    return found, cold


def _tokens(call: CallRow, write_5m: int, write_1h: int, read: int) -> Tokens:
    return Tokens(
        input_uncached=call.input_uncached,
        cache_read=read,
        cache_write_5m=write_5m,
        cache_write_1h=write_1h,
        output=call.output,
    )


def _prices(
    thresholds: Thresholds, rebuilds: list[CallRow], steady_write: int
) -> tuple[float | None, float | None]:
    """(cost of the rebuild calls as made, cost had they read their context from the cache)."""
    prices = thresholds.prices
    actual: list[float | None] = []
    steady: list[float | None] = []
    for call in rebuilds:
        made = prices.cost(
            call.source,
            call.model,
            _tokens(call, call.cache_write_5m, call.cache_write_1h, call.cache_read),
            call.speed,
        )
        kept = min(steady_write, call.cache_write)
        moved = call.cache_write - kept
        # the turn's own new tokens are still written (as 5-minute writes); the rest is read
        calm = prices.cost(
            call.source, call.model, _tokens(call, kept, 0, call.cache_read + moved), call.speed
        )
        actual.append(made.usd)
        steady.append(calm.usd)
    if any(v is None for v in actual + steady):
        return None, None
    return add_costs(actual), add_costs(steady)


def _finding(
    row: fq.SessionRow,
    calls: list[CallRow],
    rebuilds: list[CallRow],
    ratio: float,
    actual: float,
    steady: float,
    steady_write: int,
    thresholds: Thresholds,
    window: Window,
) -> Finding:
    rebuilt = sum(c.cache_write for c in rebuilds)
    spent = sum(c.tokens for c in rebuilds)
    cost = add_costs([c.cost_usd for c in rebuilds])
    excess = round(actual - steady, 6)
    label = session_label(*row.key)
    previous = {c.id: b for b, c in pairwise(calls)}
    items: list[dict[str, Any]] = [
        {
            "kind": "session",
            "source": row.source,
            "session_id": row.session_id,
            "project": row.cwd,
            "calls": len(calls),
            "cache_read_tokens": sum(c.cache_read for c in calls),
            "cache_creation_tokens": sum(c.cache_write for c in calls),
            "read_write_ratio": round(ratio, 3),
        },
        {
            "kind": "estimate",
            "rebuilds": len(rebuilds),
            "rebuilt_tokens": rebuilt,
            "actual_usd": actual,
            "steady_usd": steady,
            "difference_usd": excess,
            "steady_write_tokens": steady_write,
        },
    ]
    ranked = sorted(rebuilds, key=lambda c: (-c.cache_write, c.ts_ms))
    items += [
        call_item(c, window.tz, seconds_since_previous_call=round((c.ts_ms - previous[c.id].ts_ms) / 1000))
        for c in ranked[:MAX_ITEMS]
    ]
    items += more_item(len(ranked) - MAX_ITEMS, "rebuild calls")
    return Finding(
        detector=DETECTOR,
        period_start=local_date(row.first_ms, window.tz),
        period_end=local_date(row.last_ms, window.tz),
        subject_kind="session",
        subject=label,
        severity=severity(excess, thresholds["min_excess_usd"]),
        tokens=spent,
        cost_usd=cost,
        avoidable_usd=excess,
        summary=(
            f"Session {label} rewrote its cached context {len(rebuilds)} times ({tokens(rebuilt)} tokens written, "
            f"cache reads only {ratio:.1f}x writes): {money(actual)} where steady caching would cost {money(steady)}."
        ),
        evidence=items,
        cannot_tell=CANNOT_TELL,
    )
