"""What the detectors share: the time ranges they read, and how archive rows become evidence."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from desktop.periods import day_start_ms, local_date, week_start
from desktop.reports.usage import Window
from desktop.store import Store
from desktop.store import finding_queries as fq
from desktop.store.finding_queries import CallRow, PromptRow, SessionRow
from desktop.store.queries import Usage

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
MAX_ITEMS = 20  # evidence lists keep the largest rows and say how many more there were


def sessions_started(
    store: Store, since_ms: int | None, until_ms: int | None, sources: tuple[str, ...], memo: dict
) -> list[SessionRow]:
    """fq.sessions_started, asked once per run: most detectors start from the same sessions."""
    key = ("sessions_started", since_ms, until_ms, sources)
    if key not in memo:
        memo[key] = fq.sessions_started(store.conn, since_ms, until_ms, sources)
    return memo[key]


def week_range(window: Window, start: str) -> tuple[int | None, int | None]:
    """The window widened to whole weeks: week detectors judge a week on all of it, whatever the window cuts."""
    since = day_start_ms(week_start(window.since, start), window.tz) if window.since else None
    until = (
        day_start_ms(week_start(window.until, start) + timedelta(days=7), window.tz) if window.until else None
    )
    return since, until


def week_of(ts_ms: int, tz: tzinfo, start: str) -> date:
    return week_start(local_date(ts_ms, tz), start)


def iso(ts_ms: int, tz: tzinfo) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, tz).isoformat(timespec="seconds")


def cost_of(usage: Usage) -> float | None:
    """The displayed cost of a group; None when nothing in it is priced."""
    return round(usage.cost, 6) if usage.events > usage.unpriced_events else None


def add_costs(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known), 6) if known else None


def session_label(source: str, session_id: str) -> str:
    return f"{source}:{session_id}"


def project_name(path: str | None) -> str:
    return os.path.basename(path.rstrip("/\\")) if path else "(no folder)"


def session_item(row: SessionRow, tz: tzinfo, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "session",
        "source": row.source,
        "session_id": row.session_id,
        "project": row.cwd,
        "start": iso(row.first_ms, tz),
        "end": iso(row.last_ms, tz),
        "tokens": row.usage.total,
        "cost_usd": cost_of(row.usage),
        **extra,
    }


def call_item(call: CallRow, tz: tzinfo, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "call",
        "event_id": call.id,
        "source": call.source,
        "session_id": call.session_id,
        "ts": iso(call.ts_ms, tz),
        "model": call.model,
        "input_tokens": call.input_uncached,
        "cache_read_tokens": call.cache_read,
        "cache_creation_tokens": call.cache_write,
        "output_tokens": call.output,
        "tokens": call.tokens,
        "cost_usd": None if call.cost_usd is None else round(call.cost_usd, 6),
        **extra,
    }


def prompt_item(prompt: PromptRow, tz: tzinfo, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "prompt",
        "prompt_id": prompt.id,
        "source": prompt.source,
        "session_id": prompt.session_id,
        "ts": iso(prompt.ts_ms, tz),
        "length": prompt.length,
        "excerpt": prompt.excerpt,
        **extra,
    }


def commit_item(row: tuple, tz: tzinfo, project: str | None, note: str) -> dict[str, Any]:
    """From (id, sha, subject, author ts)."""
    commit_id, sha, subject, ts = row
    return {
        "kind": "commit",
        "commit_id": commit_id,
        "sha": sha,
        "subject": subject,
        "project": project,
        "ts": iso(ts, tz),
        "note": note,
    }


def more_item(left_out: int, what: str) -> list[dict[str, Any]]:
    return [{"kind": "more", "count": left_out, "what": what}] if left_out > 0 else []


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """[start, end) intervals joined where they overlap, so no call is counted twice."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def hours(ms: int) -> str:
    value = ms / HOUR_MS
    return f"{value:.0f} h" if value >= 10 or value == int(value) else f"{value:.1f} h"
