"""Whole-file documents are replaced, not added; SQLite sources are read read-only past a watermark."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from desktop.ingest import run_scan
from desktop.model import Batch, Tokens, UsageEvent
from desktop.sources.base import Environment, ParseContext, walk_file_names
from desktop.sources.sqlite_reader import columns, open_readonly
from desktop.store import Store
from tests.helpers import prices


class DocumentSource:
    """Like Amp threads: one JSON document per thread, rewritten in place."""

    id, name, measured, mode, conflict = "doc", "Document", True, "document", "replace"

    def roots(self, env: Environment) -> list[Path]:
        return [env.home / "threads"]

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        yield from walk_file_names(str(env.home / "threads"), ".json")

    def parser(self, path: Path, state: dict, context: ParseContext) -> Any:
        return self

    def state(self) -> dict:
        return {}

    def parse_whole(self, path: Path) -> Batch:
        doc = json.loads(path.read_bytes())
        batch = Batch()
        for m in doc["messages"]:
            batch.events.append(UsageEvent("doc", f"{doc['id']}:{m['id']}", m["ts"], Tokens(input_uncached=m["in"], output=m["out"]), model="claude-sonnet-4-5"))
        return batch


class DatabaseSource:
    """Like Goose's usage ledger: an append-style table read past the last row id."""

    id, name, measured, mode, conflict = "db", "Database", True, "database", "first"

    def roots(self, env: Environment) -> list[Path]:
        return [env.home / "db"]

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        yield from walk_file_names(str(env.home / "db"), ".db")

    def parser(self, path: Path, state: dict, context: ParseContext) -> Any:
        return _DbParser(state)


class _DbParser:
    def __init__(self, state: dict) -> None:
        self.last_id = state.get("last_id", 0)

    def state(self) -> dict:
        return {"last_id": self.last_id}

    def parse_whole(self, path: Path) -> Batch:
        batch = Batch()
        with open_readonly(path) as conn:
            assert "tokens" in columns(conn, "ledger")
            for row_id, ts, tokens in conn.execute("SELECT id, ts, tokens FROM ledger WHERE id > ? ORDER BY id", (self.last_id,)):
                batch.events.append(UsageEvent("db", str(row_id), ts, Tokens(input_uncached=tokens), model="gpt-5"))
                self.last_id = row_id
        return batch


def env_at(home: Path) -> Environment:
    return Environment(home=home, env={"HOME": str(home)}, platform="linux")


def totals(store: Store, source: str) -> tuple[int, int, int]:
    return store.conn.execute("SELECT count(*), coalesce(sum(input_uncached), 0), coalesce(sum(output), 0) FROM usage_event WHERE source = ?", (source,)).fetchone()


def write_thread(home: Path, messages: list[tuple[int, int, int]]) -> Path:
    path = home / "threads" / "T-1.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"id": "T-1", "messages": [{"id": i, "ts": 1_760_000_000_000 + i, "in": a, "out": b} for i, a, b in messages]}))
    return path


def test_rewritten_document_replaces_its_rows(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    write_thread(home, [(1, 100, 10), (2, 200, 20)])
    run_scan(store, [DocumentSource()], env_at(home), prices())
    assert totals(store, "doc") == (2, 300, 30)
    run_scan(store, [DocumentSource()], env_at(home), prices())  # unchanged: not read again
    assert totals(store, "doc") == (2, 300, 30)
    write_thread(home, [(1, 100, 15), (2, 200, 20), (3, 50, 5)])  # message 1 finished streaming; 3 is new
    run_scan(store, [DocumentSource()], env_at(home), prices())
    assert totals(store, "doc") == (3, 350, 40)
    write_thread(home, [(1, 100, 15)])  # the thread was truncated (a rewind): the archive follows the file
    run_scan(store, [DocumentSource()], env_at(home), prices())
    assert totals(store, "doc") == (1, 100, 15)


def make_ledger(path: Path, rows: list[tuple[int, int, int]], wal: bool = True) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY, ts INTEGER, tokens INTEGER)")
    conn.executemany("INSERT INTO ledger VALUES (?, ?, ?)", rows)
    conn.commit()
    return conn


def test_database_is_read_past_its_watermark_and_never_written(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    (home / "db").mkdir(parents=True)
    path = home / "db" / "sessions.db"
    writer = make_ledger(path, [(1, 1_760_000_000_000, 10), (2, 1_760_000_001_000, 20)])
    run_scan(store, [DatabaseSource()], env_at(home), prices())
    assert totals(store, "db") == (2, 30, 0)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    writer.execute("INSERT INTO ledger VALUES (3, 1760000002000, 5)")
    writer.commit()  # lands in the WAL; the main file may not change at all
    run_scan(store, [DatabaseSource()], env_at(home), prices())
    assert totals(store, "db") == (3, 35, 0)
    run_scan(store, [DatabaseSource()], env_at(home), prices())
    assert totals(store, "db") == (3, 35, 0)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # only the writer touched it (WAL)
    writer.close()


def test_locked_database_is_read_from_a_copy(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    (home / "db").mkdir(parents=True)
    path = home / "db" / "locked.db"
    writer = make_ledger(path, [(1, 1_760_000_000_000, 7)], wal=False)
    writer.execute("BEGIN EXCLUSIVE")  # a rollback-journal DB under an exclusive lock refuses readers
    run_scan(store, [DatabaseSource()], env_at(home), prices())
    assert totals(store, "db") == (1, 7, 0)
    writer.rollback()
    writer.close()
