"""Crush: session cost as snapshot deltas, tokens never imported (LOG-FORMATS §3.16)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from desktop.ingest import run_scan
from desktop.sources.base import Environment
from desktop.sources.crush import Crush
from desktop.store import Store
from tests.helpers import prices

CREATED = 1_768_000_000  # unix seconds, as Crush writes them


def env_at(home: Path, platform: str = "linux", **extra: str) -> Environment:
    return Environment(home=home, env={"HOME": str(home), **extra}, platform=platform)


def make_project(home: Path, project: Path, register: bool = True) -> sqlite3.Connection:
    data_dir = project / ".crush"
    data_dir.mkdir(parents=True)
    if register:
        listing = home / ".local" / "share" / "crush" / "projects.json"
        listing.parent.mkdir(parents=True, exist_ok=True)
        known = json.loads(listing.read_text())["projects"] if listing.exists() else []
        known.append({"path": str(project), "data_dir": str(data_dir), "last_accessed": "2026-01-10T00:00:00Z"})
        listing.write_text(json.dumps({"projects": known}))
    conn = sqlite3.connect(data_dir / "crush.db")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(
        """
        CREATE TABLE sessions (id TEXT PRIMARY KEY, parent_session_id TEXT, title TEXT NOT NULL,
            message_count INTEGER NOT NULL DEFAULT 0, prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0, cost REAL NOT NULL DEFAULT 0.0,
            updated_at INTEGER NOT NULL, created_at INTEGER NOT NULL, summary_message_id TEXT);
        CREATE TABLE messages (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, role TEXT NOT NULL,
            parts TEXT NOT NULL DEFAULT '[]', model TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
            finished_at INTEGER, provider TEXT);
        """
    )
    return conn


def put(conn: sqlite3.Connection, sid: str, cost: float, updated: int, parent: str | None = None,
        prompt: int = 0, completion: int = 0) -> None:  # fmt: skip
    conn.execute("INSERT OR REPLACE INTO sessions (id, parent_session_id, title, message_count, prompt_tokens, "
                 "completion_tokens, cost, updated_at, created_at) VALUES (?, ?, 'Fix CI', 14, ?, ?, ?, ?, ?)",
                 (sid, parent, prompt, completion, cost, updated, CREATED))  # fmt: skip
    conn.commit()


def message(conn: sqlite3.Connection, mid: str, sid: str, model: str, created: int) -> None:
    conn.execute("INSERT INTO messages VALUES (?, ?, 'assistant', '[]', ?, ?, ?, NULL, 'anthropic')",
                 (mid, sid, model, created, created))  # fmt: skip
    conn.commit()


def rows(store: Store) -> list[tuple]:
    return store.conn.execute(
        "SELECT dedup_key, ts_ms, granularity, input_uncached + cache_read + cache_write_5m + output, "
        "round(stored_cost, 9), stored_cost_unit, model, project_path FROM usage_event WHERE source = 'crush' ORDER BY ts_ms"
    ).fetchall()


def scan(store: Store, home: Path) -> None:
    run_scan(store, [Crush()], env_at(home), prices())


def test_cost_becomes_deltas_tokens_stay_zero_and_children_are_not_added(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    conn = make_project(home, tmp_path / "work" / "api")
    # the token columns are the last step's figures, overwritten: never read
    put(conn, "s-19", 0.4132, CREATED + 3600, prompt=0, completion=812)
    put(conn, "child-1", 0.1, CREATED + 3000, parent="s-19")  # already inside s-19's cost
    message(conn, "m1", "s-19", "claude-sonnet-4-5", CREATED + 10)
    message(conn, "m2", "child-1", "claude-sonnet-4-5", CREATED + 20)
    scan(store, home)
    scan(store, home)  # nothing moved: nothing added
    project = str(tmp_path / "work" / "api")
    # the first delta carries the history and is dated at the session's creation
    assert rows(store) == [(f"s-19:{CREATED * 1000}", CREATED * 1000, "session", 0, 0.4132, "usd", "claude-sonnet-4-5", project)]
    put(conn, "s-19", 0.5132, CREATED + 7200, completion=90)
    message(conn, "m3", "s-19", "gpt-5", CREATED + 7000)  # two models since the last delta: the delta's is unknown
    message(conn, "m4", "s-19", "claude-sonnet-4-5", CREATED + 7100)
    scan(store, home)
    assert rows(store)[1:] == [(f"s-19:{(CREATED + 7200) * 1000}", (CREATED + 7200) * 1000, "session", 0, 0.1, "usd", None, project)]
    assert store.conn.execute("SELECT round(sum(stored_cost), 9) FROM usage_event").fetchone() == (0.5132,)
    put(conn, "s-19", 0.2, CREATED + 9000)  # the counter went down: a new baseline, never a negative row
    scan(store, home)
    message(conn, "m5", "child-2", "gpt-5", CREATED + 9500)  # a sub-agent's only model since then: the delta's model
    put(conn, "child-2", 0.05, CREATED + 9500, parent="s-19")
    put(conn, "s-19", 0.25, CREATED + 9600)
    scan(store, home)
    assert store.conn.execute("SELECT count(*), round(sum(stored_cost), 9) FROM usage_event").fetchone() == (3, 0.5632)
    assert rows(store)[-1][4:7] == (0.05, "usd", "gpt-5")
    conn.close()


def test_unregistered_database_has_no_project_and_paths_per_platform(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    conn = make_project(home, tmp_path / "elsewhere", register=False)
    put(conn, "s1", 1.25, CREATED + 60)
    run_scan(store, [Crush()], env_at(home), prices())
    assert rows(store) == []  # not listed in projects.json and not under an extra folder: not found
    store.settings.set("extra_paths", {"crush": [str(tmp_path / "elsewhere")]})
    run_scan(store, [Crush()], env_at(home), prices())
    # found through the extra folder; its project is not guessed from the folder name
    assert rows(store) == [(f"s1:{CREATED * 1000}", CREATED * 1000, "session", 0, 1.25, "usd", None, None)]
    conn.close()
    assert Crush().roots(env_at(home)) == [home / ".local/share/crush"]
    assert Crush().roots(env_at(home, "darwin")) == [home / ".local/share/crush"]
    assert Crush().roots(env_at(home, "win32", LOCALAPPDATA=str(tmp_path / "Local"))) == [tmp_path / "Local/crush"]
    assert Crush().roots(env_at(home, XDG_DATA_HOME="/xdg")) == [Path("/xdg/crush")]
    assert Crush().roots(env_at(home, "win32", CRUSH_GLOBAL_DATA="D:/crush")) == [Path("D:/crush")]
