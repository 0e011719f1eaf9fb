"""Continue: `tokens_generated` rows are tokenizer estimates, flagged as such (LOG-FORMATS §3.17, pitfall 47)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from desktop.ingest import run_scan
from desktop.sources.base import Environment
from desktop.sources.continue_dev import Continue
from desktop.store import Store
from tests.helpers import prices


def env_at(home: Path, platform: str = "linux", **extra: str) -> Environment:
    return Environment(home=home, env={"HOME": str(home), **extra}, platform=platform)


def make_db(folder: Path, legacy: bool = False) -> sqlite3.Connection:
    folder.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(folder / "devdata.sqlite")
    conn.execute("PRAGMA journal_mode = WAL")
    # older builds had no tokens_prompt column (core/data/devdataSqlite.ts adds it later)
    prompt_col = "" if legacy else ", tokens_prompt INTEGER NOT NULL DEFAULT 0"
    conn.execute("CREATE TABLE tokens_generated (id INTEGER PRIMARY KEY AUTOINCREMENT, model TEXT NOT NULL, "
                 f"provider TEXT NOT NULL, tokens_generated INTEGER NOT NULL{prompt_col}, "
                 "timestamp DATETIME DEFAULT CURRENT_TIMESTAMP)")  # fmt: skip
    conn.commit()
    return conn


def add(conn: sqlite3.Connection, model: str, provider: str, prompt: int, generated: int, stamp: str) -> None:
    conn.execute("INSERT INTO tokens_generated (model, provider, tokens_prompt, tokens_generated, timestamp) "
                 "VALUES (?, ?, ?, ?, ?)", (model, provider, prompt, generated, stamp))  # fmt: skip
    conn.commit()


def totals(store: Store) -> tuple:
    """(events, estimated events, input, output, cache, computed cost)."""
    return store.conn.execute(
        "SELECT count(*), sum(is_estimate), sum(input_uncached), sum(output), sum(cache_read + cache_write_5m), "
        "round(sum(computed_cost_usd), 8) FROM usage_event WHERE source = 'continue'"
    ).fetchone()


def test_rows_are_estimates_with_their_arithmetic_and_read_past_the_last_id(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    conn = make_db(home / ".continue" / "dev_data")
    add(conn, "gpt-4o", "openai", 3900, 420, "2026-02-01 09:30:12")
    add(conn, "claude-sonnet-4-5", "anthropic", 1000, 200, "2026-02-01 23:59:59")
    add(conn, "gpt-4o", "openai", 0, 0, "2026-02-02 00:00:01")  # nothing counted: no row
    # the same calls in the dev-data JSONL: never read (one surface only)
    jsonl = home / ".continue" / "dev_data" / "0.2.0" / "tokensGenerated.jsonl"
    jsonl.parent.mkdir(parents=True)
    jsonl.write_text(json.dumps({"name": "tokensGenerated", "data": {"model": "gpt-4o", "promptTokens": 3900,
                                                                     "generatedTokens": 420}}) + "\n")  # fmt: skip
    run_scan(store, [Continue()], env_at(home), prices())
    # gpt-4o: 3900 x $2.50/M + 420 x $10/M = 0.01395; sonnet: 1000 x $3/M + 200 x $15/M = 0.006
    assert totals(store) == (2, 2, 4900, 620, 0, 0.01995)
    rows = store.conn.execute("SELECT ts_ms, model, provider, granularity, session_id, project_path FROM usage_event "
                              "ORDER BY ts_ms").fetchall()  # fmt: skip
    assert rows == [(1769938212000, "gpt-4o", "openai", "call", None, None),  # CURRENT_TIMESTAMP is UTC
                    (1769990399000, "claude-sonnet-4-5", "anthropic", "call", None, None)]  # fmt: skip
    add(conn, "gpt-4o", "openai", 100, 10, "2026-02-03 08:00:00")
    run_scan(store, [Continue()], env_at(home), prices())
    run_scan(store, [Continue()], env_at(home), prices())
    assert totals(store) == (3, 3, 5000, 630, 0, pytest.approx(0.02030, abs=1e-9))
    conn.close()
    source = Continue()
    assert source.measured is False and source.records_project is False


def test_copies_share_keys_other_databases_do_not_and_old_schema_bad_rows(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    main = make_db(home / ".continue" / "dev_data")
    add(main, "gpt-4o", "openai", 100, 10, "2026-02-01 09:00:00")
    other = make_db(tmp_path / "other" / "dev_data", legacy=True)  # another machine's database: ids 1.. again
    other.execute("INSERT INTO tokens_generated (model, provider, tokens_generated, timestamp) VALUES "
                  "('llama3', 'ollama', 50, '2026-02-01 10:00:00'), ('llama3', 'ollama', -3, '2026-02-01 10:00:01')")  # fmt: skip
    other.commit()
    main.close()
    other.close()
    copy = tmp_path / "backup" / "dev_data"
    copy.mkdir(parents=True)
    (copy / "devdata.sqlite").write_bytes((home / ".continue" / "dev_data" / "devdata.sqlite").read_bytes())
    store.settings.set("extra_paths", {"continue": [str(tmp_path / "other"), str(tmp_path / "backup")]})
    summary = run_scan(store, [Continue()], env_at(home), prices())
    assert totals(store)[:4] == (2, 2, 100, 60)  # the backup copy adds nothing; the other database's row does
    assert summary.sources[0].lines_skipped == 1


def test_global_dir_on_every_platform(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert Continue().roots(env_at(home)) == [home / ".continue" / "dev_data"]
    assert Continue().roots(env_at(home, "darwin")) == [home / ".continue" / "dev_data"]
    assert Continue().roots(env_at(home, "win32")) == [home / ".continue" / "dev_data"]
    assert Continue().roots(env_at(home, CONTINUE_GLOBAL_DIR="/opt/continue")) == [Path("/opt/continue/dev_data")]
