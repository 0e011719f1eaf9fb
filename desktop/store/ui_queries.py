"""The aggregations the window's pages read, and the window's own remembered state (sort, widths)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone, tzinfo
from typing import Any

from desktop.store.queries import DISPLAY_COST

DAY_MS = 86_400_000
UI_STATE_KEY = "ui_state"
_TOTAL = "input_uncached + cache_read + cache_write_5m + cache_write_1h + output + " \
         "CASE WHEN reasoning_in_output THEN 0 ELSE reasoning END"  # fmt: skip


def usage_extent(conn: sqlite3.Connection) -> tuple[int, int] | None:
    row = conn.execute("SELECT min(ts_ms), max(ts_ms) FROM usage_event").fetchone()
    return None if row is None or row[0] is None else (row[0], row[1])


def offset_segments(tz: tzinfo, since_ms: int, until_ms: int) -> list[tuple[int, int]]:
    """[(from UTC ms, UTC offset ms)] covering the span: DST changes, found day by day then to the minute."""
    def offset(ms: int) -> int:
        delta = datetime.fromtimestamp(ms / 1000, timezone.utc).astimezone(tz).utcoffset()
        return int(delta.total_seconds() * 1000) if delta is not None else 0

    segments = [(since_ms, offset(since_ms))]
    t = since_ms
    while t < until_ms:
        nxt = min(t + DAY_MS, until_ms)
        if offset(nxt) != segments[-1][1]:
            lo, hi = t, nxt  # offset(lo) is the old one, offset(hi) the new
            while hi - lo > 60_000:
                mid = (lo + hi) // 2
                if offset(mid) == segments[-1][1]:
                    lo = mid
                else:
                    hi = mid
            segments.append((hi, offset(hi)))
        t = nxt
    return segments


def local_day_sql(tz: tzinfo, since_ms: int, until_ms: int) -> str:
    """SQL for the local day number (days since 1970-01-01 in the user's zone) of `ts_ms`."""
    segments = offset_segments(tz, since_ms, until_ms)
    if len(segments) == 1:
        return f"((ts_ms + {segments[0][1]}) / {DAY_MS})"
    cases = " ".join(f"WHEN ts_ms < {start} THEN {prev[1]}" for prev, (start, _) in zip(segments, segments[1:]))
    return f"((ts_ms + CASE {cases} ELSE {segments[-1][1]} END) / {DAY_MS})"


def usage_by_local_day(conn: sqlite3.Connection, tz: tzinfo, since_ms: int | None = None,
                       until_ms: int | None = None) -> list[tuple]:  # fmt: skip
    """(local day number, source, model, project, is_estimate, input, cache writes, cache reads, output,
    total, cost, unpriced events, events) per group: what every chart and summary in the window sums."""
    extent = usage_extent(conn)
    if extent is None:
        return []
    lo = extent[0] if since_ms is None else max(since_ms, extent[0])
    hi = extent[1] + 1 if until_ms is None else min(until_ms, extent[1] + 1)
    if lo >= hi:
        return []
    day = local_day_sql(tz, lo - DAY_MS, hi + DAY_MS)
    return conn.execute(
        f"SELECT {day}, source, coalesce(model, ''), coalesce(project_path, ''), is_estimate, "
        "sum(input_uncached), sum(cache_write_5m + cache_write_1h), sum(cache_read), "
        f"sum(output + CASE WHEN reasoning_in_output THEN 0 ELSE reasoning END), sum({_TOTAL}), "
        f"sum({DISPLAY_COST}), sum(CASE WHEN ({DISPLAY_COST}) IS NULL THEN 1 ELSE 0 END), count(*) "
        "FROM usage_event WHERE ts_ms >= ? AND ts_ms < ? GROUP BY 1, 2, 3, 4, 5",
        (lo, hi),
    ).fetchall()


def first_prompts(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    """(source, session) -> the excerpt of its first prompt: what a person remembers a session by."""
    rows = conn.execute(
        "SELECT source, session_id, excerpt, min(ts_ms) FROM prompt WHERE excerpt IS NOT NULL AND excerpt != '' "
        "GROUP BY source, session_id"
    )
    return {(source, session): excerpt for source, session, excerpt, _ in rows}


def session_calls(conn: sqlite3.Connection, source: str, session_id: str, limit: int = 2000) -> list[tuple]:
    """(ts ms, model, agent, input, cache writes, cache reads, output, reasoning, cost, is_estimate) per call."""
    return conn.execute(
        "SELECT ts_ms, coalesce(model, ''), coalesce(agent, ''), input_uncached, cache_write_5m + cache_write_1h, "
        "cache_read, output + CASE WHEN reasoning_in_output THEN 0 ELSE reasoning END, reasoning, "
        f"{DISPLAY_COST}, is_estimate FROM usage_event WHERE source = ? AND session_id = ? ORDER BY ts_ms LIMIT ?",
        (source, session_id, limit),
    ).fetchall()


def session_tools(conn: sqlite3.Connection, source: str, session_id: str) -> list[tuple[str, int, int]]:
    """(tool name, calls, errors), most used first."""
    return conn.execute(
        "SELECT name, count(*), sum(is_error) FROM tool_call WHERE source = ? AND session_id = ? "
        "GROUP BY name ORDER BY 2 DESC, 1",
        (source, session_id),
    ).fetchall()


def session_tool_errors(conn: sqlite3.Connection, source: str, session_id: str, limit: int = 200) -> list[tuple]:
    """(ts ms, tool name, edited file) of the calls that failed."""
    return conn.execute(
        "SELECT ts_ms, name, coalesce(file_path, '') FROM tool_call WHERE source = ? AND session_id = ? "
        "AND is_error = 1 ORDER BY ts_ms LIMIT ?",
        (source, session_id, limit),
    ).fetchall()


def session_prompts(conn: sqlite3.Connection, source: str, session_id: str, limit: int = 500) -> list[tuple]:
    """(ts ms, length, excerpt or None) of the human's prompts."""
    return conn.execute(
        "SELECT ts_ms, length, excerpt FROM prompt WHERE source = ? AND session_id = ? ORDER BY ts_ms LIMIT ?",
        (source, session_id, limit),
    ).fetchall()


def session_info(conn: sqlite3.Connection, source: str, session_id: str) -> tuple | None:
    """(project, branch, entrypoint, headless, client version) as the session table has it."""
    return conn.execute(
        "SELECT project_path, git_branch, entrypoint, is_headless, client_version FROM session "
        "WHERE source = ? AND session_id = ?",
        (source, session_id),
    ).fetchone()


def session_spans(conn: sqlite3.Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple]:
    """(source, session) -> (first ts ms, last ts ms, project, first prompt excerpt, tokens, cost or None when
    nothing is priced): what names a session a finding points at; sessions with no calls left are missing."""
    found: dict[tuple[str, str], tuple] = {}
    unique = sorted(set(keys))
    for i in range(0, len(unique), 400):  # well under SQLite's bound-parameter limit
        chunk = unique[i : i + 400]
        values = ", ".join("(?, ?)" for _ in chunk)
        rows = conn.execute(
            f"WITH k(source, session_id) AS (VALUES {values}) "
            "SELECT k.source, k.session_id, min(e.ts_ms), max(e.ts_ms), max(e.project_path), "
            "(SELECT p.excerpt FROM prompt p WHERE p.source = k.source AND p.session_id = k.session_id "
            " AND p.excerpt IS NOT NULL AND p.excerpt != '' ORDER BY p.ts_ms LIMIT 1), "
            f"sum({_TOTAL}), sum({DISPLAY_COST}) "
            "FROM k JOIN usage_event e ON e.source = k.source AND e.session_id = k.session_id "
            "GROUP BY k.source, k.session_id",
            [part for key in chunk for part in key],
        )
        for source, session_id, *span in rows:
            found[(source, session_id)] = tuple(span)
    return found


def ui_state(conn: sqlite3.Connection) -> dict[str, Any]:
    """The window's remembered state (sorts, widths, choices), kept in the archive, never in the home."""
    row = conn.execute("SELECT value FROM setting WHERE key = ?", (UI_STATE_KEY,)).fetchone()
    try:
        value = json.loads(row[0]) if row else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def save_ui_state(conn: sqlite3.Connection, state: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (UI_STATE_KEY, json.dumps(state, sort_keys=True)),
    )
