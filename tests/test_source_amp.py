"""Amp thread documents: ledger and message usage reconciled, credits kept (LOG-FORMATS §3.7)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from desktop.ingest import run_scan
from desktop.sources.amp import Amp
from desktop.sources.base import Environment
from desktop.store import Store
from tests.helpers import prices

CREATED = 1_767_620_000_000
TID = "T-3f2a9c4e-0000-4000-8000-000000000001"


def env_at(home: Path, platform: str = "linux", **extra: str) -> Environment:
    return Environment(home=home, env={"HOME": str(home), **extra}, platform=platform)


def write(home: Path, doc: dict, name: str = TID) -> Path:
    path = home / ".local" / "share" / "amp" / "threads" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"id": name, "created": CREATED, **doc}))
    return path


def usage(inp: int, out: int, write_: int = 0, read: int = 0, credits: float | None = None, ts: str | None = None,
          model: str = "claude-sonnet-4-5") -> dict:  # fmt: skip
    found: dict = {"model": model, "inputTokens": inp, "outputTokens": out, "cacheCreationInputTokens": write_,
                   "cacheReadInputTokens": read, "totalInputTokens": inp + write_ + read}  # fmt: skip
    if credits is not None:
        found["credits"] = credits
    if ts is not None:
        found["timestamp"] = ts
    return found


def totals(store: Store) -> tuple[int, ...]:
    """(events, input, output, cache_write, cache_read)."""
    return store.conn.execute(
        "SELECT count(*), coalesce(sum(input_uncached), 0), coalesce(sum(output), 0), coalesce(sum(cache_write_5m), 0), "
        "coalesce(sum(cache_read), 0) FROM usage_event WHERE source = 'amp'"
    ).fetchone()


def scan(store: Store, home: Path) -> None:
    run_scan(store, [Amp()], env_at(home), prices())


def test_message_usage_rows_credits_prompts_and_tools(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    write(home, {"messages": [
        {"role": "user", "messageId": 0, "content": [{"type": "text", "text": "rename the module"}]},
        {"role": "assistant", "messageId": 1, "usage": usage(8, 240, 900, 15000, credits=0.09, ts="2026-01-05T13:33:24.000Z"),
         "content": [{"type": "tool_use", "id": "toolu_1", "name": "edit_file", "input": {"path": "src/a.ts"}}]},
        {"role": "user", "messageId": 2, "content": [{"type": "tool_result", "toolUseID": "toolu_1", "run": {"status": "error"}}]},
        {"role": "assistant", "messageId": 3, "usage": usage(5, 6, credits=0)},  # old message: no timestamp; free
    ]})  # fmt: skip
    scan(store, home)
    assert totals(store) == (2, 13, 246, 900, 15000)
    rows = store.conn.execute("SELECT dedup_key, ts_ms, stored_cost, stored_cost_unit, project_path, granularity "
                              "FROM usage_event ORDER BY dedup_key").fetchall()  # fmt: skip
    assert rows == [(f"{TID}:1", 1767620004000, 0.09, "credits", None, "call"),
                    (f"{TID}:3", CREATED + 3000, 0.0, "credits", None, "call")]  # fmt: skip
    assert store.conn.execute("SELECT prompt_key, length FROM prompt").fetchall() == [(f"{TID}:0", 17)]
    assert store.conn.execute("SELECT call_key, file_path, is_error FROM tool_call").fetchall() == [("toolu_1", "src/a.ts", 1)]


def test_full_ledger_is_not_added_to_message_usage(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    write(home, {
        "usageLedger": {"events": [
            {"id": "ev-1", "timestamp": "2026-01-05T12:00:00Z", "model": "claude-sonnet-4-5", "credits": 0.2,
             "tokens": {"input": 20, "output": 5}, "operationType": "inference", "fromMessageId": 0, "toMessageId": 1},
            {"id": "ev-2", "timestamp": "2026-01-06T12:00:00Z", "model": "claude-sonnet-4-5", "credits": 0.25,
             "tokens": {"input": 25, "output": 5}, "operationType": "inference", "fromMessageId": 2, "toMessageId": 3},
        ]},
        "messages": [
            {"role": "assistant", "messageId": 1, "usage": usage(20, 5, 100, 1000)},
            {"role": "assistant", "messageId": 3, "usage": usage(25, 5, 0, 2000)},
        ],
    })  # fmt: skip
    scan(store, home)
    assert totals(store) == (2, 45, 10, 100, 3000)  # the cache split comes from the messages
    rows = store.conn.execute("SELECT dedup_key, ts_ms, stored_cost FROM usage_event ORDER BY ts_ms").fetchall()
    assert rows == [(f"{TID}:1", 1767614400000, 0.2), (f"{TID}:3", 1767700800000, 0.25)]


def test_partial_ledger_is_reconciled_with_message_usage(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    write(home, {
        # one ledger event without toMessageId: matched by model + tokens; message 2 has no event; event 9 no message
        "usageLedger": {"events": [
            {"timestamp": "2026-04-08T12:00:00Z", "model": "claude-sonnet-4-0", "credits": 0.75, "tokens": {"input": 100, "output": 20}},
            {"id": "ev-9", "timestamp": "2026-04-09T12:00:00Z", "model": "gpt-5", "credits": 0.1, "tokens": {"input": 7, "output": 3}},
        ]},
        "messages": [
            {"role": "assistant", "messageId": 1, "usage": usage(100, 20, credits=0.75, model="claude-sonnet-4-0")},
            {"role": "assistant", "messageId": 2, "usage": usage(50, 10, credits=0.40, model="claude-sonnet-4-0")},
        ],
    })  # fmt: skip
    scan(store, home)
    assert totals(store) == (3, 157, 33, 0, 0)
    keys = [r[0] for r in store.conn.execute("SELECT dedup_key FROM usage_event ORDER BY dedup_key")]
    assert keys == [f"{TID}:1", f"{TID}:2", f"{TID}:ledger:ev-9"]


def test_rewritten_thread_replaces_its_rows(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    path = write(home, {"messages": [{"role": "assistant", "messageId": 1, "usage": usage(10, 1)}]})
    scan(store, home)
    write(home, {"messages": [{"role": "assistant", "messageId": 1, "usage": usage(10, 50)},
                              {"role": "assistant", "messageId": 2, "usage": usage(3, 4)}]})  # fmt: skip
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    scan(store, home)
    scan(store, home)
    assert totals(store) == (2, 13, 54, 0, 0)
    path.write_text("{broken")
    summary = run_scan(store, [Amp()], env_at(home), prices())
    assert summary.sources[0].lines_skipped == 1


def test_default_paths_and_overrides(tmp_path: Path) -> None:
    home, source = tmp_path / "home", Amp()
    amp = home / ".local" / "share" / "amp"
    assert source.roots(env_at(home)) == [amp / "threads"]
    assert source.roots(env_at(home, "darwin")) == [amp / "threads"]
    assert source.roots(env_at(home, "win32")) == [amp / "threads"]
    assert source.roots(env_at(home, XDG_DATA_HOME=str(tmp_path / "x"))) == [amp / "threads", tmp_path / "x" / "amp" / "threads"]
    assert source.roots(env_at(home, AMP_DATA_DIR=f"{tmp_path / 'a'},{tmp_path / 'b'}")) == [tmp_path / "a" / "threads", tmp_path / "b" / "threads"]
    write(home, {"messages": []})
    (amp / "threads" / "notes.json").write_text("{}")
    assert list(source.discover(env_at(home), [])) == [str(amp / "threads" / f"{TID}.json")]
