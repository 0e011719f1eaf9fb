"""context bloat: a session with many calls that read a very large context to write very little, far
above what your own calls usually read.

A call reads input, cache reads and cache writes together (what the model had to process). It is
bloated when it read at least `min_input_tokens` and `median_multiple` times your median call, and wrote at
most `max_output_tokens`. The median is taken over the `baseline_days` before the window's end, or over
the whole window when that is longer. A session needs `min_calls` such calls costing `min_cost_usd`
together (unpriced calls are judged on their count alone).
"""

from __future__ import annotations

from typing import Any

from desktop.formatting import money, tokens
from desktop.insights.common import (
    DAY_MS,
    MAX_ITEMS,
    add_costs,
    call_item,
    more_item,
    session_label,
    sessions_started,
)
from desktop.insights.model import Finding, severity
from desktop.insights.thresholds import Thresholds
from desktop.periods import local_date
from desktop.reports.usage import Window
from desktop.store import Store
from desktop.store import finding_queries as fq

DETECTOR = "context_bloat"
CANNOT_TELL = (
    "Some tasks do need the whole context (a large refactor, a long log); it cannot see what was in the "
    "context, only how big it was, and prompt caching already makes re-reading it cheaper."
)


def detect(store: Store, window: Window, thresholds: Thresholds) -> list[Finding]:
    conn = store.conn
    since, until = window.bounds_ms()
    end = until if until is not None else thresholds.now_ms
    start: int | None = end - int(thresholds["baseline_days"] * DAY_MS)
    if since is None or (start is not None and since < start):
        start = since  # a longer window is its own baseline
    typical = fq.prompt_size_median(conn, start, end)
    if typical is None:
        return []
    limit = max(int(thresholds["min_input_tokens"]), int(thresholds["median_multiple"] * typical))
    sessions = {
        row.key: row for row in sessions_started(store, since, until, window.sources, thresholds.memo)
    }
    max_output, min_calls = int(thresholds["max_output_tokens"]), int(thresholds["min_calls"])
    findings = []
    for key, calls in sorted(fq.bloated_calls(conn, sessions, limit, max_output, min_calls).items()):
        row = sessions[key]
        label = session_label(*key)
        spent = sum(c.tokens for c in calls)
        cost = add_costs([c.cost_usd for c in calls])
        if cost is not None and cost < thresholds["min_cost_usd"]:
            continue
        ranked = sorted(calls, key=lambda c: (-c.prompt, c.ts_ms))
        evidence: list[dict[str, Any]] = [
            {
                "kind": "session",
                "source": row.source,
                "session_id": row.session_id,
                "project": row.cwd,
                "calls": row.usage.events,
                "bloated_calls": len(calls),
            },
            {
                "kind": "baseline",
                "median_input_tokens": typical,
                "limit_input_tokens": limit,
                "max_output_tokens": max_output,
                "baseline_days": thresholds["baseline_days"],
            },
        ]
        evidence += [call_item(c, window.tz) for c in ranked[:MAX_ITEMS]]
        evidence += more_item(len(ranked) - MAX_ITEMS, "calls")
        biggest = ranked[0].prompt
        findings.append(
            Finding(
                detector=DETECTOR,
                period_start=local_date(row.first_ms, window.tz),
                period_end=local_date(row.last_ms, window.tz),
                subject_kind="session",
                subject=label,
                severity=severity(len(calls), min_calls),
                tokens=spent,
                cost_usd=cost,
                summary=(
                    f"Session {label}: {len(calls)} calls read {tokens(limit)}+ tokens (up to {tokens(biggest)}; "
                    f"your median call reads {tokens(typical)}) to write at most {max_output} tokens each "
                    f"({tokens(spent)} tokens, {money(cost)})."
                ),
                evidence=evidence,
                cannot_tell=CANNOT_TELL,
            )
        )
    return findings
