"""Goose `sessions.db`: usage ledger past the last id, pre-ledger counters as deltas (LOG-FORMATS §3.9)."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from desktop.ingest import run_scan
from desktop.sources.base import Environment
from desktop.sources.goose import Goose
from desktop.store import Store
from tests.helpers import prices

T0 = 1_768_471_200  # unix seconds, as Goose writes created_timestamp

SESSIONS = """
CREATE TABLE sessions (id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '',
    session_type TEXT NOT NULL DEFAULT 'user', working_dir TEXT NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    extension_data TEXT DEFAULT '{}', total_tokens INTEGER, input_tokens INTEGER, output_tokens INTEGER,
    cache_read_tokens INTEGER, cache_write_tokens INTEGER, accumulated_total_tokens INTEGER,
    accumulated_input_tokens INTEGER, accumulated_output_tokens INTEGER, accumulated_cache_read_tokens INTEGER,
    accumulated_cache_write_tokens INTEGER, accumulated_cost REAL, provider_name TEXT, model_config_json TEXT,
    parent_session_id TEXT);
CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT, session_id TEXT NOT NULL,
    role TEXT NOT NULL, content_json TEXT NOT NULL, created_timestamp INTEGER NOT NULL,
    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP, tokens INTEGER, metadata_json TEXT);
"""
LEDGER = """
CREATE TABLE usage_ledger (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, created_timestamp INTEGER NOT NULL,
    model TEXT, input_tokens INTEGER, output_tokens INTEGER, total_tokens INTEGER, cache_read_tokens INTEGER,
    cache_write_tokens INTEGER, cost REAL, cost_source TEXT, is_compaction INTEGER DEFAULT 0);
"""


def env_at(home: Path, platform: str = "linux", **extra: str) -> Environment:
    return Environment(home=home, env={"HOME": str(home), **extra}, platform=platform)


def db_path(home: Path) -> Path:
    folder = home / ".local" / "share" / "goose" / "sessions"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "sessions.db"


def make_db(path: Path, ledger: bool = True, wal: bool = True) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(SESSIONS + (LEDGER if ledger else ""))
    conn.commit()
    return conn


def add_session(conn: sqlite3.Connection, sid: str, acc: tuple[int, int, int, int] = (0, 0, 0, 0), cost: float | None = None,
                updated: str = "2026-01-15 10:00:00", last_turn: int = 0, kind: str = "user", parent: str | None = None,
                created: str = "2026-01-15 09:00:00") -> None:  # fmt: skip
    conn.execute(
        "INSERT OR REPLACE INTO sessions (id, session_type, working_dir, created_at, updated_at, total_tokens, input_tokens, "
        "output_tokens, accumulated_input_tokens, accumulated_output_tokens, accumulated_cache_read_tokens, "
        "accumulated_cache_write_tokens, accumulated_total_tokens, accumulated_cost, provider_name, model_config_json, "
        "parent_session_id) VALUES (?, ?, '/home/dev/api', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'openai', ?, ?)",
        (sid, kind, created, updated, last_turn, last_turn, last_turn, *acc, acc[0] + acc[1], cost,
         json.dumps({"model_name": "gpt-4.1", "context_limit": None}), parent),
    )  # fmt: skip
    conn.commit()


def add_ledger(conn: sqlite3.Connection, sid: str, tokens: tuple[int, int, int, int], model: str | None = "gpt-4.1",
               source: str = "estimated", cost: float | None = 0.0121, at: int = T0) -> None:  # fmt: skip
    conn.execute(
        "INSERT INTO usage_ledger (session_id, created_timestamp, model, input_tokens, output_tokens, total_tokens, "
        "cache_read_tokens, cache_write_tokens, cost, cost_source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (sid, at, model, tokens[0], tokens[1], tokens[0] + tokens[1], tokens[2], tokens[3], cost, source),
    )
    conn.commit()


def totals(store: Store) -> tuple[int, ...]:
    """(events, input, output, cache_read, cache_write)."""
    return store.conn.execute(
        "SELECT count(*), coalesce(sum(input_uncached), 0), coalesce(sum(output), 0), coalesce(sum(cache_read), 0), "
        "coalesce(sum(cache_write_5m), 0) FROM usage_event WHERE source = 'goose'"
    ).fetchone()


def scan(store: Store, home: Path) -> None:
    run_scan(store, [Goose()], env_at(home), prices())


def test_ledger_only_carried_forward_kept_and_last_turn_columns_ignored(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    conn = make_db(db_path(home))
    # accumulated = ledger sum; total_tokens/input_tokens (the last turn) are huge on purpose: never read
    add_session(conn, "20260115_3", acc=(5200 + 900 + 50, 310 + 40 + 5, 4096, 0), cost=0.5, last_turn=777_777)
    add_ledger(conn, "20260115_3", (900, 40, 0, 0), model=None, source="carried_forward", cost=0.1)  # back-fill, no model
    add_ledger(conn, "20260115_3", (5200, 310, 4096, 0))
    add_ledger(conn, "20260115_3", (50, 5, 0, 0), source="provider_reported", at=T0 + 60)
    scan(store, home)
    assert totals(store) == (3, 6150, 355, 4096, 0)
    rows = store.conn.execute("SELECT dedup_key, ts_ms, model, granularity, project_path, stored_cost, provider "
                              "FROM usage_event ORDER BY raw_offset").fetchall()  # fmt: skip
    assert rows[0] == ("20260115_3:ledger:1", T0 * 1000, "gpt-4.1", "session", "/home/dev/api", 0.1, "openai")
    assert rows[1] == ("20260115_3:ledger:2", T0 * 1000, "gpt-4.1", "call", "/home/dev/api", 0.0121, "openai")
    # new ledger rows land in the WAL; the accumulated counters move too but are not a second surface
    add_ledger(conn, "20260115_3", (10, 1, 0, 0), at=T0 + 120)
    add_session(conn, "20260115_3", acc=(6160, 356, 4096, 0), updated="2026-01-15 10:05:00")
    assert os.path.getsize(str(db_path(home)) + "-wal") > 0
    scan(store, home)
    scan(store, home)
    assert totals(store) == (4, 6160, 356, 4096, 0)
    conn.close()


def test_pre_ledger_database_counts_accumulated_deltas_and_survives_a_reset(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    conn = make_db(db_path(home), ledger=False)
    start = "2025-09-01 08:00:00"
    add_session(conn, "20250901_1", acc=(1000, 100, 500, 20), cost=0.25, updated="2025-09-01 10:00:00", created=start)
    scan(store, home)
    assert totals(store) == (1, 1000, 100, 500, 20)
    add_session(conn, "20250901_1", acc=(1500, 160, 500, 20), cost=0.30, updated="2025-09-01 11:00:00", created=start)
    scan(store, home)
    assert totals(store) == (2, 1500, 160, 500, 20)
    add_session(conn, "20250901_1", acc=(300, 30, 0, 0), updated="2025-09-02 09:00:00", created=start)  # counters reset
    scan(store, home)
    assert totals(store) == (2, 1500, 160, 500, 20)  # a new baseline, never a negative row
    add_session(conn, "20250901_1", acc=(350, 40, 0, 0), updated="2025-09-02 10:00:00", created=start)
    scan(store, home)
    assert totals(store) == (3, 1550, 170, 500, 20)
    rows = store.conn.execute("SELECT dedup_key, granularity, model, stored_cost FROM usage_event ORDER BY ts_ms").fetchall()
    # the history before the first scan is dated at the session's start; later deltas at updated_at
    assert rows[0][:3] == ("20250901_1:1756713600000", "session", "gpt-4.1") and rows[0][3] == 0.25
    assert rows[1][0] == "20250901_1:1756724400000"
    assert abs(rows[1][3] - 0.05) < 1e-9
    conn.close()


def test_session_moving_to_the_ledger_is_not_counted_twice(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    conn = make_db(db_path(home))
    # a session from before schema v15: counters only, no ledger rows
    add_session(conn, "20250901_1", acc=(1000, 100, 0, 0), updated="2025-09-01 10:00:00")
    scan(store, home)
    assert totals(store) == (1, 1000, 100, 0, 0)
    # resumed later: Goose back-fills accumulated - SUM(ledger) as carried_forward, then logs the new call
    add_session(conn, "20250901_1", acc=(1200, 130, 0, 0), updated="2026-01-15 10:00:00")
    add_ledger(conn, "20250901_1", (1000, 100, 0, 0), model=None, source="carried_forward", cost=None)
    add_ledger(conn, "20250901_1", (200, 30, 0, 0))
    scan(store, home)
    assert totals(store) == (2, 1200, 130, 0, 0)
    conn.close()


def test_prompts_tool_calls_and_sessions(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    conn = make_db(db_path(home))
    add_session(conn, "20260115_3")
    add_session(conn, "20260115_4", kind="sub_agent", parent="20260115_3")
    add_ledger(conn, "20260115_4", (10, 1, 0, 0))
    rows = [
        ("m1", "user", [{"type": "text", "text": "add a health endpoint"}], None),
        ("m2", "user", [{"type": "text", "text": "<turn-context>frozen</turn-context>"}], {"userVisible": False, "agentVisible": True}),
        ("m3", "assistant", [{"type": "toolRequest", "id": "call_1", "toolCall": {"status": "success", "value": {
            "name": "developer__text_editor", "arguments": {"command": "write", "path": "/home/dev/api/app.py"}}}}], None),
        ("m4", "user", [{"type": "toolResponse", "id": "call_1", "toolResult": {"status": "error", "error": "denied"}}], None),
    ]
    for mid, role, content, meta in rows:
        conn.execute("INSERT INTO messages (message_id, session_id, role, content_json, created_timestamp, metadata_json) "
                     "VALUES (?, '20260115_3', ?, ?, ?, ?)", (mid, role, json.dumps(content), T0, json.dumps(meta) if meta else None))  # fmt: skip
    conn.commit()
    scan(store, home)
    assert store.conn.execute("SELECT prompt_key, length FROM prompt").fetchall() == [("20260115_3:m1", 21)]
    assert store.conn.execute("SELECT call_key, name, file_path, is_error FROM tool_call").fetchall() == [
        ("call_1", "developer__text_editor", "/home/dev/api/app.py", 1)]
    assert store.conn.execute("SELECT is_sidechain, parent_session_id FROM usage_event").fetchone() == (1, "20260115_3")
    sessions = store.conn.execute("SELECT session_id, project_path, parent_session_id FROM session ORDER BY session_id").fetchall()
    assert sessions == [("20260115_3", "/home/dev/api", None), ("20260115_4", "/home/dev/api", "20260115_3")]
    conn.close()


def test_locked_database_is_read_from_a_copy(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    conn = make_db(db_path(home), wal=False)
    add_session(conn, "s1")
    add_ledger(conn, "s1", (7, 3, 0, 0))
    conn.execute("BEGIN EXCLUSIVE")
    scan(store, home)
    assert totals(store) == (1, 7, 3, 0, 0)
    conn.rollback()
    conn.close()


def test_default_paths_and_overrides(tmp_path: Path) -> None:
    home, source = tmp_path / "home", Goose()
    share = home / ".local" / "share"
    assert source.roots(env_at(home)) == [share / "goose" / "sessions", share / "Block" / "goose" / "sessions"]
    assert source.roots(env_at(home, XDG_DATA_HOME=str(tmp_path / "x")))[0] == tmp_path / "x" / "goose" / "sessions"
    assert source.roots(env_at(home, "darwin"))[0] == home / "Library" / "Application Support" / "goose" / "sessions"
    assert source.roots(env_at(home, "win32")) == [home / "AppData" / "Roaming" / "Block" / "goose" / "data" / "sessions"]
    assert source.roots(env_at(home, GOOSE_PATH_ROOT=str(tmp_path / "g"))) == [tmp_path / "g" / "data" / "sessions"]
    make_db(db_path(home)).close()
    assert list(source.discover(env_at(home), [])) == [str(db_path(home))]


def test_a_file_that_is_not_a_database_is_reported_unreadable(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    db_path(home).write_bytes(b"this is not SQLite" * 100)
    summary = run_scan(store, [Goose()], env_at(home), prices())
    assert totals(store) == (0, 0, 0, 0, 0)
    assert len(summary.sources[0].unreadable) == 1 and "unreadable SQLite database" in summary.sources[0].unreadable[0]
