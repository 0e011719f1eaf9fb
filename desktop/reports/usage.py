"""Usage reports by period, session and project, as plain rows in the contract's keys (DESIGN §6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from desktop.periods import LocalDays, bucket, day_start_ms
from desktop.store import Store
from desktop.store import queries
from desktop.store.queries import Usage

PERIOD_OF_REPORT = {"daily": "day", "weekly": "week", "monthly": "month"}


@dataclass(frozen=True)
class Window:
    """Which events a report covers: local dates (inclusive), a zone, optional sources."""

    tz: tzinfo
    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = ()

    def bounds_ms(self) -> tuple[int | None, int | None]:
        start = day_start_ms(self.since, self.tz) if self.since else None
        end = day_start_ms(self.until + timedelta(days=1), self.tz) if self.until else None
        return start, end


def usage_dict(usage: Usage, estimate: bool = False) -> dict[str, Any]:
    """The contract's token and cost keys. cost_usd is null only when nothing in the group is priced."""
    cost = round(usage.cost, 6) if usage.events > usage.unpriced_events else None
    return {
        "input_tokens": usage.input,
        "output_tokens": usage.output,
        "cache_creation_tokens": usage.cache_creation,
        "cache_read_tokens": usage.cache_read,
        "reasoning_tokens": usage.reasoning,
        "total_tokens": usage.total,
        "cost_usd": cost,
        "unpriced_events": usage.unpriced_events,
        "events": usage.events,
        "is_estimate": estimate,
    }


def period_report(store: Store, window: Window, period: str, by_model: bool, week_start: str = "monday") -> dict:
    """Rows per (period start, source[, model], estimate flag), sorted, plus totals."""
    since_ms, until_ms = window.bounds_ms()
    days = LocalDays(window.tz)
    groups: dict[tuple, Usage] = {}
    for row in queries.usage_by_quarter(store.conn, since_ms, until_ms, list(window.sources) or None):
        quarter, source, model, estimate = row[0], row[1], row[2], bool(row[3])
        first = bucket(days.of_quarter(quarter), period, week_start)
        key = (first, source, model if by_model else None, estimate)
        usage = groups.get(key)
        if usage is None:
            usage = groups[key] = Usage()
        usage.add_row(row[4:])
    rows = []
    totals = Usage()
    estimated = Usage()
    for (first, source, model, estimate), usage in sorted(groups.items(), key=lambda kv: _sort_key(kv[0])):
        row: dict[str, Any] = {"date": first.isoformat(), "source": source}
        if by_model:
            row["model"] = model
        row.update(usage_dict(usage, estimate))
        rows.append(row)
        totals.add(usage)
        if estimate:
            estimated.add(usage)
    total = usage_dict(totals, estimate=False)
    total.pop("is_estimate")
    total["estimated_total_tokens"] = estimated.total
    return {"rows": rows, "totals": total}


def _sort_key(key: tuple) -> tuple:
    first, source, model, estimate = key
    return (first, source, model or "", estimate)


def session_report(store: Store, window: Window) -> dict:
    since_ms, until_ms = window.bounds_ms()
    found = queries.usage_by_session(store.conn, since_ms, until_ms, list(window.sources) or None)
    activity = queries.session_activity(store.conn, [(r[0], r[1]) for r in found])
    rows, totals = [], Usage()
    for source, session_id, first, last, project, models, estimate, *sums in found:
        usage = Usage()
        usage.add_row(tuple(sums))
        totals.add(usage)
        prompts, tools, errors = activity.get((source, session_id), (0, 0, 0))
        row = {
            "source": source,
            "session_id": session_id,
            "project": project,
            "start": _iso(first, window.tz),
            "end": _iso(last, window.tz),
            "models": sorted((models or "").split(",")) if models else [],
            "prompts": prompts,
            "tool_calls": tools,
            "tool_errors": errors,
        }
        row.update(usage_dict(usage, bool(estimate)))
        rows.append(row)
    total = usage_dict(totals)
    total.pop("is_estimate")
    return {"rows": rows, "totals": total}


def project_report(store: Store, window: Window) -> dict:
    since_ms, until_ms = window.bounds_ms()
    rows, totals = [], Usage()
    found = queries.usage_by_project(store.conn, since_ms, until_ms, list(window.sources) or None)
    for project, sessions, first, last, estimate, *sums in found:
        usage = Usage()
        usage.add_row(tuple(sums))
        totals.add(usage)
        row = {
            "project": project or None,
            "sessions": sessions,
            "first_day": _iso(first, window.tz)[:10],
            "last_day": _iso(last, window.tz)[:10],
        }
        row.update(usage_dict(usage, bool(estimate)))
        rows.append(row)
    rows.sort(key=lambda r: -r["total_tokens"])
    total = usage_dict(totals)
    total.pop("is_estimate")
    total.update(_add_commit_columns(store, window, rows))
    return {"rows": rows, "totals": total}


COMMIT_COLUMNS = ("commits", "lines_added", "lines_removed", "ai_trailer_commits")


def _add_commit_columns(store: Store, window: Window, rows: list[dict]) -> dict[str, int]:
    """Each repository's commits go on its biggest row (a cwd inside it); its other cwds' rows get None.

    cost_per_commit on that row is the whole repository's cost over its commits; rows outside any
    repository have no commits. Returns the summed commit columns for the totals.
    """
    from desktop.reports.commits import project_commit_columns
    from desktop.store import commit_queries

    by_root = project_commit_columns(store, window)
    roots = commit_queries.cwd_roots(store.conn)
    seen: set[str] = set()
    sums = dict.fromkeys(COMMIT_COLUMNS, 0)
    for row in rows:  # biggest first
        root = roots.get(row["project"] or "")
        row["repository"] = root
        if root is None:
            row.update(dict.fromkeys(COMMIT_COLUMNS, 0), cost_per_commit=None)
        elif root in seen:
            row.update(dict.fromkeys(COMMIT_COLUMNS), cost_per_commit=None)
        else:
            seen.add(root)
            numbers = by_root.get(root, {})
            for key in COMMIT_COLUMNS:
                row[key] = numbers.get(key, 0)
                sums[key] += row[key]
            row["cost_per_commit"] = numbers.get("cost_per_commit")
    return sums


def _iso(ts_ms: int, tz: tzinfo) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, tz).isoformat(timespec="seconds")
