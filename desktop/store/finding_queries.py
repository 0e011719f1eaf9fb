"""The SQL behind insights: what the detectors read, and the stored findings, snoozes and digests.

Detectors only read. The helpers that take many keys or spans fill a TEMP table (connection-local
scratch, never the archive) and join it, so a year of sessions is one statement, not thousands.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from desktop.store.commit_queries import MY_WORK, range_clause
from desktop.store.queries import DISPLAY_COST, TOKEN_SUMS, Usage

NO_END_MS = 1 << 62  # the end of a span that runs to the end of its session
Key = tuple[str, str]  # (source, session_id)


def _sources(column: str, sources: Iterable[str] | None) -> tuple[str, list]:
    chosen = list(sources or ())
    if not chosen:
        return "", []
    return f" AND {column} IN ({', '.join('?' * len(chosen))})", chosen


def _usage(sums: tuple) -> Usage:
    usage = Usage()
    usage.add_row(sums)
    return usage


# --- sessions -------------------------------------------------------------------------------------


@dataclass(slots=True)
class SessionRow:
    source: str
    session_id: str
    first_ms: int
    last_ms: int
    cwd: str | None
    usage: Usage

    @property
    def key(self) -> Key:
        return (self.source, self.session_id)


def sessions_started(
    conn: sqlite3.Connection, since_ms: int | None, until_ms: int | None, sources: Iterable[str] | None = None
) -> list[SessionRow]:
    """Sessions whose first billed call falls in [since, until), with the usage of all their calls."""
    inner, params = range_clause("ts_ms", since_ms, until_ms)
    by_source, source_params = _sources("source", sources)
    having, having_params = range_clause("min(ts_ms)", since_ms, until_ms)
    chosen = ""
    if inner or by_source:
        chosen = (
            " AND (source, session_id) IN (SELECT source, session_id FROM usage_event "
            f"WHERE session_id IS NOT NULL{inner}{by_source})"
        )
    rows = conn.execute(
        f"SELECT source, session_id, min(ts_ms), max(ts_ms), max(project_path), {TOKEN_SUMS} FROM usage_event "
        f"WHERE session_id IS NOT NULL{chosen} GROUP BY source, session_id HAVING 1 = 1{having} ORDER BY 3, 1, 2",
        params + source_params + having_params,
    ).fetchall()
    return [SessionRow(r[0], r[1], r[2], r[3], r[4], _usage(r[5:])) for r in rows]


def session_flags(conn: sqlite3.Connection) -> dict[Key, tuple[bool, str | None]]:
    """(ran headless, entrypoint) per session."""
    return {
        (source, session_id): (bool(headless), entrypoint)
        for source, session_id, headless, entrypoint in conn.execute(
            "SELECT source, session_id, is_headless, entrypoint FROM session"
        )
    }


def linked_sessions(conn: sqlite3.Connection) -> set[Key]:
    """Sessions linked (strongly or weakly) to at least one of my own non-merge commits."""
    return {
        (s, i)
        for s, i in conn.execute(
            "SELECT DISTINCT sc.source, sc.session_id FROM session_commit sc "
            'JOIN "commit" c ON c.id = sc.commit_id JOIN project p ON p.id = c.project_id '
            f"WHERE {MY_WORK} AND p.excluded = 0"
        )
    }


# The temp table drives (CROSS JOIN keeps it outside) and the session index is named: left alone, the
# planner builds an automatic index over all of usage_event for every query.
_KEYED = (
    "FROM temp.insight_key k CROSS JOIN usage_event e INDEXED BY usage_event_session "
    "ON e.source = k.source AND e.session_id = k.session_id"
)
_KEYED_TOOLS = (
    "FROM temp.insight_key k CROSS JOIN tool_call t INDEXED BY tool_call_session "
    "ON t.source = k.source AND t.session_id = k.session_id"
)


def _use_keys(conn: sqlite3.Connection, keys: Iterable[Key]) -> None:
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS insight_key (source TEXT, session_id TEXT, PRIMARY KEY (source, session_id))"
    )
    conn.execute("DELETE FROM temp.insight_key")
    conn.executemany("INSERT OR IGNORE INTO temp.insight_key VALUES (?, ?)", sorted(keys))


def session_cwds(conn: sqlite3.Connection, keys: Iterable[Key]) -> dict[Key, set[str]]:
    """Every working directory each session's calls ran in."""
    _use_keys(conn, keys)
    found: dict[Key, set[str]] = {}
    for source, session_id, cwd in conn.execute(
        f"SELECT DISTINCT e.source, e.session_id, e.project_path {_KEYED} "
        "WHERE e.project_path IS NOT NULL AND e.project_path != ''"
    ):
        found.setdefault((source, session_id), set()).add(cwd)
    return found


def session_edits(conn: sqlite3.Connection, keys: Iterable[Key]) -> dict[Key, dict[str, int]]:
    """Files each session's tool calls edited (calls that did not fail), with how many edits each."""
    _use_keys(conn, keys)
    found: dict[Key, dict[str, int]] = {}
    for source, session_id, path, edits in conn.execute(
        f"SELECT t.source, t.session_id, t.file_path, count(*) {_KEYED_TOOLS} "
        "WHERE t.file_path IS NOT NULL AND t.is_error = 0 GROUP BY 1, 2, 3"
    ):
        found.setdefault((source, session_id), {})[path] = edits
    return found


# --- commits --------------------------------------------------------------------------------------


def my_commits_after(
    conn: sqlite3.Connection, project_id: int, after_ms: int, limit: int = 3, before_ms: int | None = None
) -> list[tuple]:
    """(id, sha, subject, author ts) of my first non-merge commits in a project in [after, before)."""
    return conn.execute(
        f'SELECT c.id, c.sha, c.subject, c.author_ts_ms FROM "commit" c WHERE c.project_id = ? AND {MY_WORK} '
        "AND c.author_ts_ms >= ? AND c.author_ts_ms < ? ORDER BY c.author_ts_ms, c.id LIMIT ?",
        (project_id, after_ms, NO_END_MS if before_ms is None else before_ms, limit),
    ).fetchall()


def my_commit_times(conn: sqlite3.Connection, project_id: int) -> list[int]:
    """Author times of my non-merge commits in a project, ascending."""
    return [
        r[0]
        for r in conn.execute(
            f'SELECT c.author_ts_ms FROM "commit" c WHERE c.project_id = ? AND {MY_WORK} ORDER BY 1',
            (project_id,),
        )
    ]


def commit_times_of_paths(conn: sqlite3.Connection, project_id: int) -> dict[str, list[int]]:
    """Repository-relative path -> author times (ascending) of my non-merge commits that touched it."""
    found: dict[str, list[int]] = {}
    for path, ts in conn.execute(
        'SELECT f.path, c.author_ts_ms FROM commit_file f JOIN "commit" c ON c.id = f.commit_id '
        f"WHERE c.project_id = ? AND {MY_WORK} ORDER BY 2",
        (project_id,),
    ):
        found.setdefault(path, []).append(ts)
    return found


# --- prompts and tool calls -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PromptRow:
    id: int
    source: str
    session_id: str
    ts_ms: int
    next_ms: int | None  # the session's next prompt; None: the last one
    text_hash: str
    length: int
    excerpt: str | None

    @property
    def key(self) -> Key:
        return (self.source, self.session_id)


def prompts_in(
    conn: sqlite3.Connection, since_ms: int | None, until_ms: int | None, sources: Iterable[str] | None = None
) -> list[PromptRow]:
    """Human prompts sent in [since, until), oldest first, each with the time of its session's next prompt."""
    inner, params = range_clause("ts_ms", since_ms, until_ms)
    by_source, source_params = _sources("source", sources)
    outer, outer_params = range_clause("ts_ms", since_ms, until_ms)
    rows = conn.execute(
        "SELECT * FROM (SELECT id, source, session_id, ts_ms, "
        "lead(ts_ms) OVER (PARTITION BY source, session_id ORDER BY ts_ms, id), text_hash, length, excerpt "
        "FROM prompt WHERE session_id IS NOT NULL AND (source, session_id) IN "
        f"(SELECT source, session_id FROM prompt WHERE session_id IS NOT NULL{inner}{by_source})) "
        f"WHERE 1 = 1{outer} ORDER BY ts_ms, id",
        params + source_params + outer_params,
    ).fetchall()
    return [PromptRow(*r) for r in rows]


def prompt_times(conn: sqlite3.Connection, keys: Iterable[Key]) -> dict[Key, list[tuple[int, int]]]:
    """(ts, prompt id) of every human prompt of these sessions, in order."""
    _use_keys(conn, keys)
    found: dict[Key, list[tuple[int, int]]] = {}
    for source, session_id, ts, prompt_id in conn.execute(
        "SELECT p.source, p.session_id, p.ts_ms, p.id FROM temp.insight_key k CROSS JOIN prompt p INDEXED BY "
        "prompt_session ON p.source = k.source AND p.session_id = k.session_id ORDER BY 1, 2, 3, 4"
    ):
        found.setdefault((source, session_id), []).append((ts, prompt_id))
    return found


@dataclass(frozen=True, slots=True)
class ToolRow:
    id: int
    ts_ms: int
    name: str
    args_hash: str
    file_path: str | None
    is_error: bool


def loop_candidates(
    conn: sqlite3.Connection, keys: Iterable[Key], same_call_min: int, same_error_min: int, chain_min: int
) -> set[Key]:
    """Sessions with enough tool calls, or enough identical ones, to hold a runaway loop."""
    _use_keys(conn, keys)
    rows = conn.execute(
        f"SELECT t.source, t.session_id {_KEYED_TOOLS} GROUP BY t.source, t.session_id, t.name, t.args_hash "
        "HAVING count(*) >= ? OR sum(t.is_error) >= ? "
        f"UNION SELECT t.source, t.session_id {_KEYED_TOOLS} GROUP BY t.source, t.session_id HAVING count(*) >= ?",
        (same_call_min, same_error_min, chain_min),
    ).fetchall()
    return {(s, i) for s, i in rows}


def tool_calls(conn: sqlite3.Connection, keys: Iterable[Key]) -> dict[Key, list[ToolRow]]:
    """Every tool call of these sessions, in order."""
    _use_keys(conn, keys)
    found: dict[Key, list[ToolRow]] = {}
    for source, session_id, *rest in conn.execute(
        f"SELECT t.source, t.session_id, t.id, t.ts_ms, t.name, t.args_hash, t.file_path, t.is_error {_KEYED_TOOLS} "
        "ORDER BY 1, 2, t.ts_ms, t.id"
    ):
        found.setdefault((source, session_id), []).append(
            ToolRow(rest[0], rest[1], rest[2], rest[3], rest[4], bool(rest[5]))
        )
    return found


# --- billed calls ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallRow:
    """One billed call with the numbers the detectors price and show."""

    id: int
    source: str
    session_id: str
    ts_ms: int
    model: str | None
    speed: str | None
    input_uncached: int
    cache_read: int
    cache_write_5m: int
    cache_write_1h: int
    output: int  # reasoning included once
    cost_usd: float | None  # the displayed cost

    @property
    def cache_write(self) -> int:
        return self.cache_write_5m + self.cache_write_1h

    @property
    def prompt(self) -> int:
        """Everything the model read."""
        return self.input_uncached + self.cache_read + self.cache_write

    @property
    def tokens(self) -> int:
        return self.prompt + self.output


_CALL = (
    "e.id, e.source, e.session_id, e.ts_ms, e.model, e.speed, e.input_uncached, e.cache_read, e.cache_write_5m, "
    f"e.cache_write_1h, e.output + CASE WHEN e.reasoning_in_output THEN 0 ELSE e.reasoning END, {DISPLAY_COST}"
)
_MAIN_CHAIN = "e.agent IS NULL AND e.is_sidechain = 0"
_PROMPT = "(e.input_uncached + e.cache_read + e.cache_write_5m + e.cache_write_1h)"
_OUTPUT = "(e.output + CASE WHEN e.reasoning_in_output THEN 0 ELSE e.reasoning END)"


def main_calls(conn: sqlite3.Connection, key: Key) -> list[CallRow]:
    """A session's own calls (no subagents: each starts cold), in order."""
    return [
        CallRow(*r)
        for r in conn.execute(
            f"SELECT {_CALL} FROM usage_event e WHERE e.source = ? AND e.session_id = ? AND {_MAIN_CHAIN} "
            "ORDER BY e.ts_ms, e.id",
            key,
        )
    ]


def thrash_candidates(
    conn: sqlite3.Connection, keys: Iterable[Key], min_write: int, min_share: float, min_rebuilds: int
) -> set[Key]:
    """Sessions with at least `min_rebuilds` large cache writes on their own chain (a first, cold one aside)."""
    _use_keys(conn, keys)
    write = "(e.cache_write_5m + e.cache_write_1h)"
    rows = conn.execute(
        f"SELECT e.source, e.session_id {_KEYED} WHERE {_MAIN_CHAIN} GROUP BY 1, 2 "
        f"HAVING sum(CASE WHEN {write} >= ? AND {write} >= ? * {_PROMPT} THEN 1 ELSE 0 END) >= ?",
        (min_write, min_share, min_rebuilds + 1),
    ).fetchall()
    return {(s, i) for s, i in rows}


def prompt_size_median(conn: sqlite3.Connection, since_ms: int | None, until_ms: int) -> int | None:
    """The median of what one call read (input, cache reads and writes) over [since, until)."""
    where, params = range_clause("ts_ms", since_ms, until_ms)
    (n,) = conn.execute(f"SELECT count(*) FROM usage_event WHERE 1 = 1{where}", params).fetchone()
    if not n:
        return None
    size = "input_uncached + cache_read + cache_write_5m + cache_write_1h"
    row = conn.execute(
        f"SELECT {size} FROM usage_event WHERE 1 = 1{where} ORDER BY 1 LIMIT 1 OFFSET ?",
        params + [(n - 1) // 2],
    ).fetchone()
    return int(row[0])


def bloated_calls(
    conn: sqlite3.Connection, keys: Iterable[Key], min_prompt: int, max_output: int, min_calls: int
) -> dict[Key, list[CallRow]]:
    """Per session with at least `min_calls` of them: calls that read >= min_prompt and wrote <= max_output."""
    _use_keys(conn, keys)
    found: dict[Key, list[CallRow]] = {}
    for row in conn.execute(
        f"SELECT {_CALL} {_KEYED} WHERE {_PROMPT} >= ? AND {_OUTPUT} <= ? AND (e.source, e.session_id) IN "
        f"(SELECT e.source, e.session_id {_KEYED} WHERE {_PROMPT} >= ? AND {_OUTPUT} <= ? GROUP BY 1, 2 "
        "HAVING count(*) >= ?) ORDER BY e.source, e.session_id, e.ts_ms, e.id",
        (min_prompt, max_output, min_prompt, max_output, min_calls),
    ):
        call = CallRow(*row)
        found.setdefault((call.source, call.session_id), []).append(call)
    return found


def models_used(
    conn: sqlite3.Connection, since_ms: int | None, until_ms: int | None, sources: Iterable[str] | None = None
) -> list[tuple[str, str]]:
    """(source, model) pairs billed in [since, until)."""
    where, params = range_clause("ts_ms", since_ms, until_ms)
    by_source, source_params = _sources("source", sources)
    return conn.execute(
        f"SELECT DISTINCT source, model FROM usage_event WHERE model IS NOT NULL{where}{by_source} ORDER BY 1, 2",
        params + source_params,
    ).fetchall()


def sessions_using(
    conn: sqlite3.Connection, since_ms: int | None, until_ms: int | None, pairs: Iterable[tuple[str, str]]
) -> set[Key]:
    """Sessions with a call in [since, until) on one of these (source, model) pairs."""
    found: set[Key] = set()
    where, params = range_clause("ts_ms", since_ms, until_ms)
    for source, model in pairs:
        found |= {
            (s, i)
            for s, i in conn.execute(
                f"SELECT DISTINCT source, session_id FROM usage_event WHERE source = ? AND model = ? "
                f"AND session_id IS NOT NULL{where}",
                [source, model, *params],
            )
        }
    return found


# --- spans of one session (a turn, a chain of tool calls) ----------------------------------------

Span = tuple[str, str, int, int]  # (source, session_id, start ms, end ms exclusive)


def _use_spans(conn: sqlite3.Connection, spans: list[Span]) -> None:
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS insight_span "
        "(n INTEGER PRIMARY KEY, source TEXT, session_id TEXT, start_ms INTEGER, end_ms INTEGER)"
    )
    conn.execute("DELETE FROM temp.insight_span")
    conn.executemany(
        "INSERT INTO temp.insight_span VALUES (?, ?, ?, ?, ?)", [(n, *s) for n, s in enumerate(spans)]
    )


_SPAN_JOIN = (
    "FROM temp.insight_span s CROSS JOIN usage_event e INDEXED BY usage_event_session ON e.source = s.source "
    "AND e.session_id = s.session_id AND e.ts_ms >= s.start_ms AND e.ts_ms < s.end_ms"
)


def span_usage(conn: sqlite3.Connection, spans: list[Span]) -> list[Usage]:
    """The summed usage of the calls inside each span, in the order given."""
    if not spans:
        return []
    _use_spans(conn, spans)
    result = [Usage() for _ in spans]
    for n, *row in conn.execute(f"SELECT s.n, {TOKEN_SUMS} {_SPAN_JOIN} GROUP BY s.n"):
        result[n].add_row(tuple(row))
    return result


def span_calls(conn: sqlite3.Connection, spans: list[Span]) -> list[list[CallRow]]:
    """The calls inside each span, in order."""
    if not spans:
        return []
    _use_spans(conn, spans)
    result: list[list[CallRow]] = [[] for _ in spans]
    for n, *row in conn.execute(f"SELECT s.n, {_CALL} {_SPAN_JOIN} ORDER BY s.n, e.ts_ms, e.id"):
        result[n].append(CallRow(*row))
    return result


def span_tool_counts(conn: sqlite3.Connection, spans: list[Span]) -> list[int]:
    """How many tool calls each span holds."""
    if not spans:
        return []
    _use_spans(conn, spans)
    result = [0] * len(spans)
    for n, count in conn.execute(
        "SELECT s.n, count(*) FROM temp.insight_span s CROSS JOIN tool_call t INDEXED BY tool_call_session "
        "ON t.source = s.source AND t.session_id = s.session_id AND t.ts_ms >= s.start_ms AND t.ts_ms < s.end_ms "
        "GROUP BY s.n"
    ):
        result[n] = count
    return result


# --- stored findings ------------------------------------------------------------------------------

FINDING_COLUMNS = (
    "id",
    "fingerprint",
    "detector",
    "period_start",
    "period_end",
    "subject_kind",
    "subject",
    "severity",
    "tokens",
    "cost_usd",
    "avoidable_usd",
    "summary",
    "evidence",
    "cannot_tell",
    "state",
    "active",
    "created_ms",
    "updated_ms",
    "notified_ms",
)
_SELECT = f"SELECT {', '.join(FINDING_COLUMNS)} FROM finding"
_WRITTEN = FINDING_COLUMNS[1:14]  # what a detector run sets; state and the times are kept on a rerun
_ORDER = (
    " ORDER BY CASE severity WHEN 'high' THEN 0 WHEN 'warn' THEN 1 ELSE 2 END, coalesce(cost_usd, 0) DESC, id"
)


def upsert_findings(conn: sqlite3.Connection, rows: list[tuple], now_ms: int) -> None:
    """Rows in _WRITTEN order. A finding already stored keeps its state and notification; it is active again."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in _WRITTEN[1:])
    conn.executemany(
        f"INSERT INTO finding ({', '.join(_WRITTEN)}, state, active, created_ms, updated_ms) "
        f"VALUES ({', '.join('?' * len(_WRITTEN))}, 'new', 1, ?, ?) "
        f"ON CONFLICT(fingerprint) DO UPDATE SET {updates}, active = 1, updated_ms = excluded.updated_ms",
        [(*row, now_ms, now_ms) for row in rows],
    )


def findings_by_fingerprint(conn: sqlite3.Connection, fingerprints: list[str]) -> dict[str, tuple]:
    found: dict[str, tuple] = {}
    for start in range(0, len(fingerprints), 500):
        part = fingerprints[start : start + 500]
        for row in conn.execute(f"{_SELECT} WHERE fingerprint IN ({', '.join('?' * len(part))})", part):
            found[row[1]] = row
    return found


def retire_findings(
    conn: sqlite3.Connection,
    detectors: list[str],
    since: str | None,
    until: str | None,
    keep: set[str],
    now_ms: int,
) -> int:
    """Mark inactive the findings of these detectors lying inside [since, until] that a rerun did not find again."""
    if not detectors:
        return 0
    where = f"active = 1 AND detector IN ({', '.join('?' * len(detectors))})"
    params: list = list(detectors)
    if since is not None:
        where += " AND period_start >= ?"
        params.append(since)
    if until is not None:
        where += " AND period_end <= ?"
        params.append(until)
    gone = [
        r[0]
        for r in conn.execute(f"SELECT id, fingerprint FROM finding WHERE {where}", params)
        if r[1] not in keep
    ]
    conn.executemany(
        "UPDATE finding SET active = 0, updated_ms = ? WHERE id = ?", [(now_ms, i) for i in gone]
    )
    return len(gone)


def list_findings(
    conn: sqlite3.Connection,
    since: str | None,
    until: str | None,
    hidden_detectors: Iterable[str] = (),
    include_dismissed: bool = True,
) -> list[tuple]:
    """Active findings whose period overlaps [since, until], most severe and costly first."""
    where, params = "active = 1", []
    if since is not None:
        where += " AND period_end >= ?"
        params.append(since)
    if until is not None:
        where += " AND period_start <= ?"
        params.append(until)
    hidden = list(hidden_detectors)
    if hidden:
        where += f" AND detector NOT IN ({', '.join('?' * len(hidden))})"
        params.extend(hidden)
    if not include_dismissed:
        where += " AND state != 'dismissed'"
    return conn.execute(f"{_SELECT} WHERE {where}{_ORDER}", params).fetchall()


def finding_row(conn: sqlite3.Connection, finding_id: int) -> tuple | None:
    return conn.execute(f"{_SELECT} WHERE id = ?", (finding_id,)).fetchone()


def set_finding_state(conn: sqlite3.Connection, finding_id: int, state: str, now_ms: int) -> bool:
    done = conn.execute(
        "UPDATE finding SET state = ?, updated_ms = ? WHERE id = ?", (state, now_ms, finding_id)
    )
    return done.rowcount > 0


def unnotified_findings(conn: sqlite3.Connection, hidden_detectors: Iterable[str] = ()) -> list[tuple]:
    """Active new findings never notified, oldest first."""
    hidden = list(hidden_detectors)
    where = "active = 1 AND state = 'new' AND notified_ms IS NULL"
    if hidden:
        where += f" AND detector NOT IN ({', '.join('?' * len(hidden))})"
    return conn.execute(f"{_SELECT} WHERE {where} ORDER BY created_ms, id", hidden).fetchall()


def mark_notified(conn: sqlite3.Connection, ids: list[int], now_ms: int) -> None:
    conn.executemany(
        "UPDATE finding SET notified_ms = ? WHERE id = ? AND notified_ms IS NULL", [(now_ms, i) for i in ids]
    )


def count_unseen(conn: sqlite3.Connection, hidden_detectors: Iterable[str] = ()) -> int:
    hidden = list(hidden_detectors)
    where = "active = 1 AND state = 'new'"
    if hidden:
        where += f" AND detector NOT IN ({', '.join('?' * len(hidden))})"
    return conn.execute(f"SELECT count(*) FROM finding WHERE {where}", hidden).fetchone()[0]


def snoozes(conn: sqlite3.Connection, now_ms: int) -> dict[str, int]:
    """detector -> snoozed until (UTC ms), for snoozes still running."""
    return dict(
        conn.execute(
            "SELECT detector, until_ms FROM detector_snooze WHERE until_ms > ?", (now_ms,)
        ).fetchall()
    )


def set_snooze(conn: sqlite3.Connection, detector: str, until_ms: int | None) -> None:
    if until_ms is None:
        conn.execute("DELETE FROM detector_snooze WHERE detector = ?", (detector,))
        return
    conn.execute(
        "INSERT INTO detector_snooze (detector, until_ms) VALUES (?, ?) "
        "ON CONFLICT(detector) DO UPDATE SET until_ms = excluded.until_ms",
        (detector, until_ms),
    )


def digest_notified(conn: sqlite3.Connection, week_start: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM finding_digest WHERE week_start = ?", (week_start,)).fetchone()
        is not None
    )


def mark_digest_notified(conn: sqlite3.Connection, week_start: str, now_ms: int) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO finding_digest (week_start, notified_ms) VALUES (?, ?)", (week_start, now_ms)
    )
