"""The aggregations reports, insights and charts use. Everything else asks these, never the tables."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from desktop.periods import QUARTER_MS

# Displayed cost (LOG-FORMATS §1.5): the tool's own USD figure when positive, else the price table's
DISPLAY_COST = (
    "CASE WHEN stored_cost_unit = 'usd' AND stored_cost > 0 THEN stored_cost ELSE computed_cost_usd END"
)
TOKEN_SUMS = (
    "sum(input_uncached), sum(cache_write_5m + cache_write_1h), sum(cache_read), "
    "sum(output + CASE WHEN reasoning_in_output THEN 0 ELSE reasoning END), sum(reasoning), count(*), "
    f"sum({DISPLAY_COST}), sum(CASE WHEN ({DISPLAY_COST}) IS NULL THEN 1 ELSE 0 END)"
)


@dataclass(slots=True)
class Usage:
    """Summed usage of a group of events, in the contract's token meanings (DESIGN §6)."""

    input: int = 0
    cache_creation: int = 0
    cache_read: int = 0
    output: int = 0  # reasoning included once
    reasoning: int = 0
    events: int = 0
    cost: float = 0.0  # priced events only
    unpriced_events: int = 0

    @property
    def total(self) -> int:
        return self.input + self.cache_creation + self.cache_read + self.output

    def add_row(self, row: tuple) -> None:
        self.input += row[0] or 0
        self.cache_creation += row[1] or 0
        self.cache_read += row[2] or 0
        self.output += row[3] or 0
        self.reasoning += row[4] or 0
        self.events += row[5] or 0
        self.cost += row[6] or 0.0
        self.unpriced_events += row[7] or 0

    def add(self, other: Usage) -> None:
        self.add_row(
            (other.input, other.cache_creation, other.cache_read, other.output, other.reasoning, other.events,
             other.cost, other.unpriced_events)
        )  # fmt: skip


def _filters(since_ms: int | None, until_ms: int | None, sources: list[str] | None) -> tuple[str, list]:
    clauses, params = [], []
    if since_ms is not None:
        clauses.append("ts_ms >= ?")
        params.append(since_ms)
    if until_ms is not None:
        clauses.append("ts_ms < ?")
        params.append(until_ms)
    if sources:
        clauses.append(f"source IN ({', '.join('?' * len(sources))})")
        params.extend(sources)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def usage_by_quarter(
    conn: sqlite3.Connection, since_ms: int | None, until_ms: int | None, sources: list[str] | None = None
) -> list[tuple]:
    """(quarter-hour index, source, model, is_estimate, *TOKEN_SUMS): days are named later, in the user's zone."""
    where, params = _filters(since_ms, until_ms, sources)
    return conn.execute(
        f"SELECT ts_ms / {QUARTER_MS}, source, model, is_estimate, {TOKEN_SUMS} FROM usage_event{where} "
        "GROUP BY 1, 2, 3, 4",
        params,
    ).fetchall()


def usage_by_session(
    conn: sqlite3.Connection, since_ms: int | None, until_ms: int | None, sources: list[str] | None = None
) -> list[tuple]:
    """(source, session_id, first ts, last ts, project, models, is_estimate, *TOKEN_SUMS) per session."""
    where, params = _filters(since_ms, until_ms, sources)
    return conn.execute(
        f"SELECT source, session_id, min(ts_ms), max(ts_ms), max(project_path), group_concat(DISTINCT model), "
        f"max(is_estimate), {TOKEN_SUMS} FROM usage_event{where} GROUP BY source, session_id ORDER BY min(ts_ms)",
        params,
    ).fetchall()


def usage_by_project(
    conn: sqlite3.Connection, since_ms: int | None, until_ms: int | None, sources: list[str] | None = None
) -> list[tuple]:
    """(project path, sessions, first ts, last ts, is_estimate, *TOKEN_SUMS) per working directory."""
    where, params = _filters(since_ms, until_ms, sources)
    return conn.execute(
        f"SELECT coalesce(project_path, ''), count(DISTINCT source || ':' || coalesce(session_id, '')), "
        f"min(ts_ms), max(ts_ms), max(is_estimate), {TOKEN_SUMS} FROM usage_event{where} "
        "GROUP BY 1 ORDER BY 1",
        params,
    ).fetchall()


def session_activity(conn: sqlite3.Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(prompts, tool calls, tool errors) per (source, session)."""
    result: dict[tuple[str, str], tuple[int, int, int]] = {}
    prompts = dict(
        ((s, i), n) for s, i, n in conn.execute("SELECT source, session_id, count(*) FROM prompt GROUP BY 1, 2")
    )
    tools = {
        (s, i): (n, e)
        for s, i, n, e in conn.execute("SELECT source, session_id, count(*), sum(is_error) FROM tool_call GROUP BY 1, 2")
    }
    for key in keys:
        calls, errors = tools.get(key, (0, 0))
        result[key] = (prompts.get(key, 0), calls, errors or 0)
    return result


def unpriced_models(conn: sqlite3.Connection) -> list[tuple[str, str, int, int]]:
    """(source, model, events, tokens) for models the price table does not know."""
    return conn.execute(
        "SELECT source, coalesce(model, '(none)'), count(*), "
        "sum(input_uncached + cache_read + cache_write_5m + cache_write_1h + output) "
        "FROM usage_event WHERE price_status = 'unpriced' AND NOT coalesce(stored_cost_unit = 'usd' AND stored_cost > 0, 0) "
        "GROUP BY 1, 2 ORDER BY 4 DESC"
    ).fetchall()


def source_stats(conn: sqlite3.Connection) -> dict[str, dict]:
    """Per source: files, events, first and last event, skipped lines, unreadable-looking files."""
    stats: dict[str, dict] = {}
    for source, files, skipped, missing in conn.execute(
        "SELECT source, count(*), sum(lines_skipped), sum(missing) FROM source_file GROUP BY source"
    ):
        stats[source] = {"files": files, "skipped_lines": skipped or 0, "missing_files": missing or 0}
    for source, events, first, last in conn.execute(
        "SELECT source, count(*), min(ts_ms), max(ts_ms) FROM usage_event GROUP BY source"
    ):
        stats.setdefault(source, {"files": 0, "skipped_lines": 0, "missing_files": 0})
        stats[source].update(events=events, first_ms=first, last_ms=last)
    return stats


def files_with_skips(conn: sqlite3.Connection) -> list[tuple[str, str, int, str]]:
    """(source, path, lines skipped, sample of bad line numbers as JSON)."""
    return conn.execute(
        "SELECT source, path, lines_skipped, bad_lines FROM source_file WHERE lines_skipped > 0 ORDER BY 3 DESC"
    ).fetchall()
