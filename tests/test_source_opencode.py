"""OpenCode: v1/v2 SQLite tables and legacy message files, built here from LOG-FORMATS §3.4."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path

from desktop.ingest import run_scan
from desktop.sources.base import Environment
from desktop.sources.opencode import OpenCode
from desktop.store import Store
from tests.helpers import prices

T0 = 1_767_600_000_000


def env_at(home: Path, platform: str = "linux", **extra: str) -> Environment:
    return Environment(home=home, env={"HOME": str(home), **extra}, platform=platform)


def data_dir(home: Path) -> Path:
    folder = home / ".local" / "share" / "opencode"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def totals(store: Store) -> tuple[int, ...]:
    """(events, input, cache_read, cache_write, output, reasoning)."""
    return store.conn.execute(
        "SELECT count(*), coalesce(sum(input_uncached), 0), coalesce(sum(cache_read), 0), coalesce(sum(cache_write_5m), 0), "
        "coalesce(sum(output), 0), coalesce(sum(reasoning), 0) FROM usage_event WHERE source = 'opencode'"
    ).fetchone()


def assistant(created: int, inp: int, out: int, read: int = 0, write: int = 0, reasoning: int = 0, cost: float = 0.0,
              model: str = "claude-sonnet-4-5", completed: int | None = None, total: bool = False, **extra: object) -> dict:  # fmt: skip
    tokens: dict = {"input": inp, "output": out, "reasoning": reasoning, "cache": {"read": read, "write": write}}
    if total:
        tokens["total"] = inp + out + read + write + reasoning
    return {"role": "assistant", "time": {"created": created, "completed": completed or created + 9000},
            "parentID": "msg_user", "modelID": model, "providerID": "anthropic", "agent": "build",
            "path": {"cwd": "/home/dev/web", "root": "/home/dev/web"}, "cost": cost, "tokens": tokens,
            "finish": "stop", **extra}  # fmt: skip


def make_db(path: Path, wal: bool = True) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(
        """
        CREATE TABLE session (id TEXT PRIMARY KEY, project_id TEXT, parent_id TEXT, slug TEXT, directory TEXT NOT NULL,
            title TEXT, version TEXT, tokens_input INTEGER DEFAULT 0, tokens_output INTEGER DEFAULT 0,
            time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL);
        CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, time_created INTEGER NOT NULL,
            time_updated INTEGER NOT NULL, data TEXT NOT NULL);
        CREATE TABLE part (id TEXT PRIMARY KEY, message_id TEXT NOT NULL, session_id TEXT NOT NULL,
            time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL);
        """
    )
    conn.commit()
    return conn


def add_session(conn: sqlite3.Connection, sid: str, directory: str = "/home/dev/web", parent: str | None = None) -> None:
    # session.tokens_* columns (migration 20260510033149_session_usage) are not usage: deliberately wrong here
    conn.execute("INSERT INTO session (id, parent_id, slug, directory, title, version, tokens_input, tokens_output, "
                 "time_created, time_updated) VALUES (?, ?, 's', ?, 't', '1.2.3', 999999, 999999, ?, ?)",
                 (sid, parent, directory, T0, T0))  # fmt: skip
    conn.commit()


def add_message(conn: sqlite3.Connection, mid: str, sid: str, data: dict, updated: int = T0) -> None:
    conn.execute("INSERT OR REPLACE INTO message VALUES (?, ?, ?, ?, ?)", (mid, sid, T0, updated, json.dumps(data)))
    conn.commit()


def add_part(conn: sqlite3.Connection, pid: str, mid: str, sid: str, data: dict, updated: int = T0) -> None:
    conn.execute("INSERT OR REPLACE INTO part VALUES (?, ?, ?, ?, ?, ?)", (pid, mid, sid, T0, updated, json.dumps(data)))
    conn.commit()


def scan(store: Store, home: Path, **extra: str) -> None:
    run_scan(store, [OpenCode()], env_at(home, **extra), prices())


def test_message_level_tokens_only_with_prompts_and_tools(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    conn = make_db(data_dir(home) / "opencode.db")
    add_session(conn, "ses_1")
    add_message(conn, "msg_01", "ses_1", {"role": "user", "time": {"created": T0}, "agent": "build",
                                          "model": {"providerID": "anthropic", "modelID": "claude-sonnet-4-5"}})  # fmt: skip
    add_part(conn, "prt_01", "msg_01", "ses_1", {"type": "text", "text": "rename the module"})
    add_part(conn, "prt_02", "msg_01", "ses_1", {"type": "text", "text": "injected context", "synthetic": True})
    add_message(conn, "msg_02", "ses_1", assistant(T0 + 1000, 420, 380, 31000, 2100, cost=0.0213))
    # two step-finish parts whose tokens are already inside the message's: never added
    for n in (1, 2):
        add_part(conn, f"prt_s{n}", "msg_02", "ses_1", {"type": "step-finish", "reason": "tool-calls", "cost": 0.01,
                 "tokens": {"input": 210, "output": 190, "reasoning": 0, "cache": {"read": 15500, "write": 1050}}})  # fmt: skip
    add_part(conn, "prt_t1", "msg_02", "ses_1", {"type": "tool", "callID": "toolu_1", "tool": "edit", "state": {
        "status": "completed", "input": {"filePath": "/home/dev/web/a.py"}, "output": "ok", "time": {"start": T0 + 2000, "end": T0 + 2100}}})
    add_part(conn, "prt_t2", "msg_02", "ses_1", {"type": "tool", "callID": "toolu_2", "tool": "bash", "state": {
        "status": "error", "input": {"command": "false"}, "error": "exit 1", "time": {"start": T0 + 3000, "end": T0 + 3100}}})
    add_part(conn, "prt_t3", "msg_02", "ses_1", {"type": "tool", "callID": "toolu_3", "tool": "read", "state": {"status": "running", "input": {}}})
    add_message(conn, "msg_03", "ses_1", assistant(T0 + 5000, 0, 0))  # all-zero tokens: not a billed turn
    scan(store, home)
    assert totals(store) == (1, 420, 31000, 2100, 380, 0)
    row = store.conn.execute("SELECT dedup_key, ts_ms, granularity, project_path, model, provider, stored_cost, "
                             "stored_cost_unit, session_id, client_version FROM usage_event").fetchone()  # fmt: skip
    assert row == ("msg_02", T0 + 1000, "turn", "/home/dev/web", "claude-sonnet-4-5", "anthropic", 0.0213, "usd", "ses_1", "1.2.3")
    assert store.conn.execute("SELECT length, excerpt FROM prompt").fetchall() == [(17, "rename the module")]
    calls = store.conn.execute("SELECT call_key, name, file_path, is_error FROM tool_call ORDER BY call_key").fetchall()
    assert calls == [("toolu_1", "edit", "/home/dev/web/a.py", 0), ("toolu_2", "bash", None, 1)]
    assert store.conn.execute("SELECT project_path FROM session WHERE session_id = 'ses_1'").fetchone() == ("/home/dev/web",)
    conn.close()


def test_streamed_update_is_read_past_time_updated_from_the_wal(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    path = data_dir(home) / "opencode.db"
    conn = make_db(path)
    add_session(conn, "ses_1")
    add_message(conn, "msg_02", "ses_1", assistant(T0, 100, 5, completed=None), updated=T0)
    scan(store, home)
    assert totals(store) == (1, 100, 0, 0, 5, 0)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    # the message finishes streaming (updated in place) and a new turn lands, both in the WAL only
    add_message(conn, "msg_02", "ses_1", assistant(T0, 100, 400, 2000), updated=T0 + 120_000)
    add_message(conn, "msg_03", "ses_1", assistant(T0 + 130_000, 7, 8), updated=T0 + 130_000)
    assert os.path.getsize(str(path) + "-wal") > 0
    scan(store, home)
    assert totals(store) == (2, 107, 2000, 0, 408, 0)
    scan(store, home)
    assert totals(store) == (2, 107, 2000, 0, 408, 0)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # never written by us
    conn.close()


def test_forked_session_copies_are_counted_once(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    conn = make_db(data_dir(home) / "opencode.db")
    add_session(conn, "ses_a")
    add_message(conn, "msg_a1", "ses_a", assistant(T0, 100, 10, 500, 50, cost=0.01))
    add_message(conn, "msg_a2", "ses_a", assistant(T0 + 10_000, 200, 20))
    scan(store, home)
    # a fork copies both rows with new ids, same times and tokens; then the fork goes on by itself
    add_session(conn, "ses_b")
    add_message(conn, "msg_b1", "ses_b", assistant(T0, 100, 10, 500, 50, cost=0.01), updated=T0 + 60_000)
    add_message(conn, "msg_b2", "ses_b", assistant(T0 + 10_000, 200, 20), updated=T0 + 60_000)
    add_message(conn, "msg_b3", "ses_b", assistant(T0 + 70_000, 1, 2), updated=T0 + 70_000)
    scan(store, home)
    assert totals(store) == (3, 301, 500, 50, 32, 0)
    # the whole DB read again (parser state lost) keeps the originals, not the copies
    store.conn.execute("UPDATE source_file SET parser_state = '{}'")
    store.conn.commit()
    add_message(conn, "msg_b3", "ses_b", assistant(T0 + 70_000, 1, 3), updated=T0 + 80_000)
    scan(store, home)
    assert totals(store) == (3, 301, 500, 50, 33, 0)
    keys = [r[0] for r in store.conn.execute("SELECT dedup_key FROM usage_event ORDER BY dedup_key")]
    assert keys == ["msg_a1", "msg_a2", "msg_b3"]
    conn.close()


def test_v2_session_message_table_and_reasoning_semantics(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    conn = sqlite3.connect(data_dir(home) / "opencode-next.db")
    conn.executescript(
        """
        CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, data TEXT NOT NULL);
        CREATE TABLE session (id TEXT PRIMARY KEY, directory TEXT NOT NULL, title TEXT);
        CREATE TABLE session_message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL);
        """
    )
    v2 = {"time": {"created": T0, "completed": T0 + 238}, "agent": "build",
          "model": {"id": "claude-sonnet-4", "providerID": "anthropic", "variant": "default"},
          "content": [], "finish": "stop", "cost": 0.0123,
          "tokens": {"input": 5519, "output": 20, "reasoning": 23, "total": 5712, "cache": {"read": 100, "write": 50}}}  # fmt: skip
    conn.execute("INSERT INTO session VALUES ('ses_v2', '/Users/alice/repo', 'x')")
    conn.execute("INSERT INTO session_message VALUES ('msg_v2', 'ses_v2', 'assistant', ?)", (json.dumps(v2),))
    conn.execute("INSERT INTO session_message VALUES ('msg_u', 'ses_v2', 'user', ?)", (json.dumps({"time": {"created": T0}}),))
    conn.execute("INSERT INTO session_message VALUES ('msg_s', 'ses_v2', 'synthetic', ?)", (json.dumps(v2),))
    # v1 rows in the same DB: AI SDK v5 (no `total`): reasoning is inside output (ccusage parity)
    conn.execute("INSERT INTO message VALUES ('msg_v1', 'ses_v2', ?)", (json.dumps(assistant(T0 + 5, 10, 30, reasoning=12)),))
    conn.commit()
    scan(store, home)
    rows = store.conn.execute("SELECT dedup_key, input_uncached, output, reasoning, reasoning_in_output, model, project_path "
                              "FROM usage_event ORDER BY dedup_key").fetchall()  # fmt: skip
    assert rows == [("msg_v1", 10, 30, 12, 1, "claude-sonnet-4-5", "/Users/alice/repo"),
                    ("msg_v2", 5519, 20, 23, 0, "claude-sonnet-4", "/Users/alice/repo")]  # fmt: skip
    conn.close()


def write_legacy(storage: Path, sid: str, mid: str, data: dict) -> Path:
    path = storage / "message" / sid / f"{mid}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"id": mid, "sessionID": sid, **data}))
    return path


def test_database_beats_legacy_json_for_the_same_message(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    storage = data_dir(home) / "storage"
    # before 1.2: JSON only; the last message is still streaming when the first scan runs
    write_legacy(storage, "ses_1", "msg_01", assistant(T0, 10, 1))
    write_legacy(storage, "ses_1", "msg_02", assistant(T0 + 1000, 20, 2, completed=None))
    user = write_legacy(storage, "ses_1", "msg_00", {"role": "user", "time": {"created": T0 - 5}})
    (storage / "part" / "msg_00").mkdir(parents=True)
    (storage / "part" / "msg_00" / "prt_1.json").write_text(json.dumps({"id": "prt_1", "type": "text", "text": "hello"}))
    (storage / "session" / "prj_1").mkdir(parents=True)
    (storage / "session" / "prj_1" / "ses_1.json").write_text(json.dumps(
        {"id": "ses_1", "directory": "/work/legacy", "version": "0.9", "time": {"created": T0 - 10, "updated": T0 + 2000}}))
    scan(store, home)
    assert totals(store) == (2, 30, 0, 0, 3, 0)
    assert user.exists() and store.conn.execute("SELECT count(*) FROM prompt").fetchone() == (1,)
    # upgrade: the migration copies every file into the DB with the same ids; msg_02 finishes in the DB only
    conn = make_db(data_dir(home) / "opencode.db")
    add_session(conn, "ses_1", directory="/work/legacy")
    add_message(conn, "msg_01", "ses_1", assistant(T0, 10, 1))
    add_message(conn, "msg_02", "ses_1", assistant(T0 + 1000, 20, 200, 3000))
    scan(store, home)
    assert totals(store) == (2, 30, 3000, 0, 201, 0)
    # 1.2.x dual-writes: the JSON copy is rewritten with stale numbers; the DB still wins
    write_legacy(storage, "ses_1", "msg_02", assistant(T0 + 1000, 20, 150, 2000))
    write_legacy(storage, "ses_1", "msg_03", assistant(T0 + 9000, 5, 5))  # a file with no DB row counts
    scan(store, home)
    assert totals(store) == (3, 35, 3000, 0, 206, 0)
    conn.close()


def test_legacy_fork_copies_are_counted_once(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    storage = data_dir(home) / "storage"
    write_legacy(storage, "ses_b", "msg_0002_copy", assistant(T0, 100, 10, cost=0.5))  # the fork's copy
    write_legacy(storage, "ses_a", "msg_0001", assistant(T0, 100, 10, cost=0.5))  # the original (smaller id)
    write_legacy(storage, "ses_a", "msg_0003", assistant(T0, 100, 10, cost=0.5, model="gpt-5"))  # differs: counted
    scan(store, home)
    assert totals(store) == (2, 200, 0, 0, 20, 0)
    assert {r[0] for r in store.conn.execute("SELECT dedup_key FROM usage_event")} == {"msg_0001", "msg_0003"}


def test_zero_cost_is_not_a_stored_cost_and_bad_rows_are_skipped(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    conn = make_db(data_dir(home) / "opencode.db")
    add_session(conn, "ses_1")
    add_message(conn, "msg_1", "ses_1", assistant(T0, 100, 10, cost=0))
    add_message(conn, "msg_2", "ses_1", assistant(T0, -5, 10))  # nonsense count: skipped, counted as skipped
    conn.execute("INSERT INTO message VALUES ('msg_3', 'ses_1', 0, 0, '{not json')")
    conn.commit()
    summary = run_scan(store, [OpenCode()], env_at(home), prices())
    assert totals(store) == (1, 100, 0, 0, 10, 0)
    assert store.conn.execute("SELECT stored_cost, stored_cost_unit, price_status FROM usage_event").fetchone() == (None, None, "priced")
    assert summary.sources[0].lines_skipped == 2
    conn.close()


def test_locked_database_is_read_from_a_copy(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    conn = make_db(data_dir(home) / "opencode.db", wal=False)
    add_session(conn, "ses_1")
    add_message(conn, "msg_1", "ses_1", assistant(T0, 11, 22))
    conn.execute("BEGIN EXCLUSIVE")
    scan(store, home)
    assert totals(store) == (1, 11, 0, 0, 22, 0)
    conn.rollback()
    conn.close()


def test_default_paths_and_overrides(tmp_path: Path) -> None:
    home = tmp_path / "home"
    source = OpenCode()
    share = home / ".local" / "share" / "opencode"
    for platform in ("linux", "darwin", "win32"):  # xdg-basedir does not switch per platform
        assert source.roots(env_at(home, platform)) == [share]
    assert source.roots(env_at(home, XDG_DATA_HOME=str(tmp_path / "xdg"))) == [tmp_path / "xdg" / "opencode"]
    assert source.roots(env_at(home, OPENCODE_DATA_DIR=f"{tmp_path / 'a'}, {tmp_path / 'b'}")) == [tmp_path / "a", tmp_path / "b"]
    custom = tmp_path / "xdg" / "opencode"
    custom.mkdir(parents=True)
    make_db(custom / "opencode-beta.db").close()
    (custom / "opencode-beta.db-wal").touch()
    write_legacy(custom / "storage", "ses_1", "msg_1", assistant(T0, 1, 1))
    found = list(source.discover(env_at(home, XDG_DATA_HOME=str(tmp_path / "xdg")), []))
    assert found == [str(custom / "opencode-beta.db"), str(custom / "storage" / "message" / "ses_1" / "msg_1.json")]
