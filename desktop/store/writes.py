"""Writing one parsed chunk: events by each source's conflict policy, sessions, prompts, tool calls."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from desktop.model import Batch, UsageEvent
from desktop.store.files import FileRecord, save_file

if TYPE_CHECKING:
    from desktop.store.db import Store

EVENT_COLUMNS = (
    "source", "dedup_key", "alt_key", "ts_ms", "granularity", "session_id", "parent_session_id", "agent",
    "is_sidechain", "project_path", "git_branch", "client_version", "provider", "model", "model_is_fallback",
    "input_uncached", "cache_read", "cache_write_5m", "cache_write_1h", "output", "reasoning",
    "reasoning_in_output", "is_estimate", "speed", "stored_cost", "stored_cost_unit", "computed_cost_usd",
    "computed_cost_bill_usd", "price_status", "pricing_version", "source_file_id", "raw_offset",
)  # fmt: skip
_INSERT = f"INSERT INTO usage_event ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"
_UPDATE_ALL = ", ".join(f"{c} = excluded.{c}" for c in EVENT_COLUMNS[2:])
_TOTAL = "{t}.input_uncached + {t}.cache_read + {t}.cache_write_5m + {t}.cache_write_1h + {t}.output"

# LOG-FORMATS §3.1: a non-sidechain copy beats a sidechain copy, then the higher output, then the higher total
_BETTER = (
    "excluded.is_sidechain < usage_event.is_sidechain OR (excluded.is_sidechain = usage_event.is_sidechain AND "
    "(excluded.output > usage_event.output OR (excluded.output = usage_event.output AND "
    f"{_TOTAL.format(t='excluded')} > {_TOTAL.format(t='usage_event')})))"
)
UPSERT = {
    "first": _INSERT.replace("INSERT", "INSERT OR IGNORE", 1),
    "best": f"{_INSERT} ON CONFLICT(source, dedup_key) DO UPDATE SET {_UPDATE_ALL} WHERE {_BETTER}",
    "replace": f"{_INSERT} ON CONFLICT(source, dedup_key) DO UPDATE SET {_UPDATE_ALL}",
}


def _rank(event: UsageEvent) -> tuple[int, int, int]:
    tokens = event.tokens
    return (0 if event.is_sidechain else 1, tokens.output, tokens.total)


def event_row(event: UsageEvent, cost: tuple[float | None, float | None, str, str], file_id: int | None) -> tuple:
    t = event.tokens
    return (
        event.source, event.dedup_key, event.alt_key, event.ts_ms, event.granularity, event.session_id,
        event.parent_session_id, event.agent, int(event.is_sidechain), event.project_path, event.git_branch,
        event.client_version, event.provider, event.model, int(event.model_is_fallback),
        t.input_uncached, t.cache_read, t.cache_write_5m, t.cache_write_1h, t.output, t.reasoning,
        int(t.reasoning_in_output), int(event.is_estimate), event.speed, event.stored_cost,
        event.stored_cost_unit, cost[0], cost[1], cost[2], cost[3], file_id, event.raw_offset,
    )  # fmt: skip


def collapse(events: Sequence[UsageEvent], policy: str) -> list[UsageEvent]:
    """Dedup inside the chunk first: fewer statements, and the same winner the DB would pick."""
    kept: dict[str, UsageEvent] = {}
    for event in events:
        current = kept.get(event.dedup_key)
        if current is None:
            kept[event.dedup_key] = event
        elif policy == "best" and _rank(event) > _rank(current):
            kept[event.dedup_key] = event
        elif policy == "replace":
            kept[event.dedup_key] = event
    return list(kept.values())


def write_events(conn: sqlite3.Connection, policy: str, rows: list[tuple]) -> None:
    """Rows as event_row() makes them. For sidechain replays (`/btw`), the message id decides."""
    if not rows:
        return
    if policy != "best":
        conn.executemany(UPSERT[policy], rows)
        return
    main = [row for row in rows if not row[8]]
    side = [row for row in rows if row[8]]
    if main:
        conn.executemany(UPSERT["best"], main)
        conn.executemany(
            "DELETE FROM usage_event WHERE source = ? AND alt_key = ? AND is_sidechain = 1 AND dedup_key != ?",
            [(row[0], row[2], row[1]) for row in main if row[2] is not None],
        )
    if side:
        shadowed = _main_copies(conn, side[0][0], {row[2] for row in side if row[2]})
        conn.executemany(
            UPSERT["best"], [row for row in side if not (row[2] in shadowed and shadowed[row[2]] != row[1])]
        )


def _main_copies(conn: sqlite3.Connection, source: str, alt_keys: set[str]) -> dict[str, str]:
    """alt_key -> dedup_key of an existing non-sidechain row with that message id."""
    found: dict[str, str] = {}
    keys = list(alt_keys)
    for start in range(0, len(keys), 500):
        part = keys[start : start + 500]
        query = (
            "SELECT alt_key, dedup_key FROM usage_event WHERE source = ? AND is_sidechain = 0 "
            f"AND alt_key IN ({', '.join('?' * len(part))})"
        )
        found.update(conn.execute(query, (source, *part)).fetchall())
    return found


@dataclass(slots=True)
class ContextRows:
    """A chunk's sessions, prompts, tool calls and tool errors as plain tuples, made where it was parsed:
    tuples cross from a parse worker at a tenth of the pickling cost of the dataclasses (docs/PERFORMANCE.md)."""

    sessions: list[tuple] = field(default_factory=list)
    prompts: list[tuple] = field(default_factory=list)
    tool_calls: list[tuple] = field(default_factory=list)
    tool_errors: list[tuple] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.prompts) + len(self.tool_calls)


def context_rows(batch: Batch) -> ContextRows:
    return ContextRows(
        [(s.source, s.session_id, s.project_path, s.git_branch, s.parent_session_id, s.entrypoint, int(s.is_headless),
          s.client_version, s.ts_ms, s.last_ts_ms) for s in batch.sessions],
        [(p.source, p.prompt_key, p.session_id, p.ts_ms, p.text_hash, p.length, p.excerpt) for p in batch.prompts],
        [(c.source, c.call_key, c.session_id, c.ts_ms, c.name, c.args_hash, c.file_path) for c in batch.tool_calls],
        [(e.source, e.call_key) for e in batch.tool_errors],
    )  # fmt: skip


def write_context(conn: sqlite3.Connection, related: ContextRows) -> None:
    """Sessions, prompts, tool calls and tool errors: idempotent, so a reread adds nothing."""
    if related.sessions:
        conn.executemany(
            """INSERT INTO session (source, session_id, project_path, git_branch, parent_session_id, entrypoint,
                   is_headless, client_version, first_ts_ms, last_ts_ms)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(source, session_id) DO UPDATE SET
                   project_path = coalesce(session.project_path, excluded.project_path),
                   git_branch = coalesce(excluded.git_branch, session.git_branch),
                   parent_session_id = coalesce(session.parent_session_id, excluded.parent_session_id),
                   entrypoint = coalesce(session.entrypoint, excluded.entrypoint),
                   is_headless = max(session.is_headless, excluded.is_headless),
                   client_version = coalesce(excluded.client_version, session.client_version),
                   first_ts_ms = min(coalesce(session.first_ts_ms, excluded.first_ts_ms), excluded.first_ts_ms),
                   last_ts_ms = max(coalesce(session.last_ts_ms, excluded.last_ts_ms), excluded.last_ts_ms)""",
            related.sessions,
        )
    if related.prompts:
        conn.executemany(
            "INSERT OR IGNORE INTO prompt (source, prompt_key, session_id, ts_ms, text_hash, length, excerpt) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            related.prompts,
        )
    if related.tool_calls:
        conn.executemany(
            "INSERT OR IGNORE INTO tool_call (source, call_key, session_id, ts_ms, name, args_hash, file_path) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            related.tool_calls,
        )
    if related.tool_errors:
        conn.executemany("UPDATE tool_call SET is_error = 1 WHERE source = ? AND call_key = ?", related.tool_errors)


def register_threads(conn: sqlite3.Connection, source: str, relations: list[tuple[str, str | None]]) -> None:
    """Record thread -> parent before parsing, so a fork's replayed calls key to the same root."""
    conn.executemany(
        "INSERT INTO session (source, session_id, parent_session_id) VALUES (?, ?, ?) "
        "ON CONFLICT(source, session_id) DO UPDATE SET "
        "parent_session_id = coalesce(session.parent_session_id, excluded.parent_session_id)",
        [(source, thread, parent) for thread, parent in relations],
    )


def thread_parents(conn: sqlite3.Connection, source: str) -> dict[str, str]:
    rows = conn.execute(
        "SELECT session_id, parent_session_id FROM session WHERE source = ? AND parent_session_id IS NOT NULL",
        (source,),
    )
    return dict(rows.fetchall())


class ChunkWriter:
    """Groups parsed chunks of several files into one transaction together with their cursors.

    Each flush commits the rows and the cursor of every file it covers, so a crash keeps either
    both or neither; grouping small files saves a commit per file (most histories are many files).
    """

    def __init__(self, store: Store, flush_rows: int = 20_000) -> None:
        self.store = store
        self.flush_rows = flush_rows
        self._pending: list[tuple[str, list[tuple], ContextRows, int | None]] = []
        self._records: dict[str, FileRecord] = {}
        self._rows = 0

    def add(self, record: FileRecord, policy: str | None = None, rows: list[tuple] | None = None,
            related: ContextRows | None = None, replace_file_rows: bool = False) -> None:  # fmt: skip
        """`replace_file_rows`: the file was parsed whole; the rows it gave before are dropped first."""
        self._records[record.path] = record
        if policy is not None and related is not None:
            self._pending.append((policy, rows or [], related, record.id if replace_file_rows else None))
            self._rows += len(rows or []) + len(related)
        if self._rows >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        if not self._records and not self._pending:
            return
        with self.store.transaction() as conn:
            for record in self._records.values():
                save_file(conn, record)
            for policy, rows, related, replaced_file in self._pending:
                if replaced_file is not None:
                    conn.execute("DELETE FROM usage_event WHERE source_file_id = ?", (replaced_file,))
                write_events(conn, policy, rows)
                write_context(conn, related)
        self._pending.clear()
        self._records.clear()
        self._rows = 0
