"""Kiro: CLI files, kiro-cli SQLite, IDE globalStorage; real times, estimated tokens (LOG-FORMATS §3.14)."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from desktop.ingest import run_scan
from desktop.sources.base import Environment
from desktop.sources.kiro import Kiro, KiroCliDatabase, collect_text
from desktop.store import Store
from tests.helpers import prices

MTIME = 1_771_100_000  # seconds: the date given to snapshots, which carry no time of their own


def env_at(home: Path, platform: str = "linux", **extra: str) -> Environment:
    return Environment(home=home, env={"HOME": str(home), **extra}, platform=platform)


def scan(store: Store, env: Environment) -> None:
    run_scan(store, [Kiro(), KiroCliDatabase()], env, prices())


def rows(store: Store, where: str = "1") -> list[tuple]:
    return store.conn.execute(
        "SELECT dedup_key, ts_ms, input_uncached, output, cache_read, model, model_is_fallback, is_estimate, granularity, "
        f"session_id, project_path, provider FROM usage_event WHERE source = 'kiro' AND {where} ORDER BY ts_ms, dedup_key"
    ).fetchall()


def totals(store: Store) -> tuple[int, int, int]:
    return store.conn.execute(
        "SELECT count(*), coalesce(sum(input_uncached), 0), coalesce(sum(output), 0) FROM usage_event WHERE source = 'kiro'"
    ).fetchone()


def turn(ids: list[str], end: float | None = None, pct: float | None = None, tokens: tuple[int, int] = (0, 0),
         requests: int = 1) -> dict:  # fmt: skip
    found: dict = {"input_token_count": tokens[0], "output_token_count": tokens[1], "total_request_count": requests,
                   "message_ids": ids, "turn_duration": 100}  # fmt: skip
    if end is not None:
        found["end_timestamp"] = end
    if pct is not None:
        found["context_usage_percentage"] = pct
    return found


def entry(kind: str, message_id: str, *texts: str, at: float | None = None) -> str:
    data: dict = {"message_id": message_id, "content": [{"kind": "text", "data": t} for t in texts]}
    if at is not None:
        data["meta"] = {"timestamp": at}
    return json.dumps({"version": "v1", "kind": kind, "data": data})


def cli_session(home: Path, sid: str, turns: list[dict], lines: list[str], model: str | None = "claude-sonnet-4-5",
                window: int | None = 200_000, cwd: str = "/home/dev/infra") -> Path:  # fmt: skip
    folder = home / ".kiro" / "sessions" / "cli"
    folder.mkdir(parents=True, exist_ok=True)
    info = {k: v for k, v in (("model_id", model), ("context_window_tokens", window)) if v is not None}
    doc = {"session_id": sid, "cwd": cwd, "session_state": {"rts_model_state": {"model_info": info},
           "conversation_metadata": {"user_turn_metadatas": turns}}}  # fmt: skip
    (folder / f"{sid}.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    path = folder / f"{sid}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_cli_session_turns_estimated_exactly(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.memory()
    cli_session(home, "3c9e1f00", [
        turn(["p1", "a1"], end=1_771_000_010, pct=8.5),  # LOG-FORMATS example: 8.5% of 200,000 = 17,000; ceil(25/4) = 7
        turn(["p2", "a2"], end=1_771_000_100, tokens=(1200, 300), requests=3),  # counts written by Kiro win
        turn(["p3", "a3", "a3b"], end=1_771_000_205),  # no percentage: ceil(chars/4) of the prompt (Unicode chars)
        turn(["p4", "missing"], end=1_771_000_300),  # nothing known: no row
    ], [
        entry("Prompt", "p1", "deploy it", at=1_771_000_001.25),
        entry("AssistantMessage", "a1", "Deployment script updated"),
        entry("Prompt", "p2", "now the tests", at=1_771_000_050.5),
        "{broken json",
        entry("AssistantMessage", "a2", "x" * 40),
        entry("ToolResults", "t2", "ignored tool output"),
        entry("Prompt", "p3", "héllo wörld ✓", at=1_771_000_200.420942),  # 13 characters, 17 bytes: ceil(13/4) = 4
        entry("AssistantMessage", "a3", "response text"),  # 13 + 3 -> ceil(16/4) = 4
        entry("AssistantMessage", "a3b", "and"),
        entry("Prompt", "p4", ""),
    ])  # fmt: skip
    scan(store, env_at(home))
    sid, cwd, model = "3c9e1f00", "/home/dev/infra", "claude-sonnet-4-5"
    assert rows(store) == [
        (f"{sid}:0", 1_771_000_001_250, 17_000, 7, 0, model, 0, 1, "turn", sid, cwd, "amazon-bedrock"),
        (f"{sid}:1", 1_771_000_050_500, 1200, 300, 0, model, 0, 1, "turn", sid, cwd, "amazon-bedrock"),
        (f"{sid}:2", 1_771_000_200_420, 4, 4, 0, model, 0, 1, "turn", sid, cwd, "amazon-bedrock"),
    ]
    assert totals(store) == (3, 17_000 + 1200 + 4, 7 + 300 + 4)
    session = store.conn.execute("SELECT first_ts_ms, last_ts_ms, project_path FROM session WHERE source = 'kiro'").fetchone()
    assert session == (1_771_000_001_250, 1_771_000_205_000, cwd)  # the last turn ended at its end_timestamp
    prompts = store.conn.execute("SELECT ts_ms, length FROM prompt WHERE source = 'kiro' ORDER BY ts_ms").fetchall()
    assert prompts == [(1_771_000_001_250, 9), (1_771_000_050_500, 13), (1_771_000_200_420, 13)]


def test_cli_session_rewritten_in_place_is_not_counted_twice(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.memory()
    lines = [entry("Prompt", "p1", "go", at=1_771_000_001), entry("AssistantMessage", "a1", "done")]
    path = cli_session(home, "s2", [turn(["p1", "a1"], end=1_771_000_002)], lines, model=None, window=None)
    env = env_at(home)
    scan(store, env)
    assert rows(store)[0][2:7] == (1, 1, 0, "unknown", 1)  # no model recorded: `unknown`, a fallback
    lines += [entry("Prompt", "p2", "again please", at=1_771_000_010), entry("AssistantMessage", "a2", "x" * 9)]
    cli_session(home, "s2", [turn(["p1", "a1"], end=1_771_000_002), turn(["p2", "a2"], end=1_771_000_020)], lines,
                model=None, window=None)  # fmt: skip
    os.utime(path, (MTIME, MTIME))
    scan(store, env)
    scan(store, env)
    assert totals(store) == (2, 1 + 3, 1 + 3)


def test_cli_session_without_transcript_uses_the_context_share(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.memory()
    path = cli_session(home, "s3", [turn([], end=1_771_000_500, pct=1.0, tokens=(-5, 0))], [], window=100_000)
    path.with_suffix(".jsonl").unlink()
    scan(store, env_at(home))
    assert [r[:4] for r in rows(store)] == [("s3:0", 1_771_000_500_000, 1_000, 0)]  # a negative count is none


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_kiro_cli_database_per_history_entry(tmp_path: Path, platform: str) -> None:
    home, store = tmp_path / "home", Store.memory()
    env = env_at(home, platform, APPDATA=str(home / "AppData" / "Roaming"))
    folder = {"linux": home / ".local" / "share", "darwin": home / "Library" / "Application Support",
              "win32": home / "AppData" / "Roaming"}[platform] / "kiro-cli"  # fmt: skip
    folder.mkdir(parents=True)
    conn = sqlite3.connect(folder / "data.sqlite3")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE conversations_v2 (key TEXT NOT NULL, conversation_id TEXT NOT NULL, value TEXT NOT NULL, "
                 "created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (key, conversation_id))")  # fmt: skip

    def history(n: int) -> list[dict]:
        found = [{"user": {"content": {"Prompt": {"prompt": "list the buckets"}}},
                  "request_metadata": {"context_usage_percentage": 10, "response_size": 40,
                                       "request_start_timestamp_ms": 1_770_983_426_000,
                                       "stream_end_timestamp_ms": 1_770_983_427_500}},
                 {"request_metadata": {"context_usage_percentage": 0, "response_size": 0}},  # nothing: no row
                 {"request_metadata": {"context_usage_percentage": 12.5, "response_size": 7,
                                       "request_start_timestamp_ms": 1_770_983_500_000,
                                       "stream_end_timestamp_ms": 1_770_983_509_000}}]  # fmt: skip
        return found[:n]

    def put(n: int, updated: int) -> None:
        value = {"conversation_id": "conv-1", "model_info": {"model_id": "auto", "context_window_tokens": 1000},
                 "history": history(n)}  # fmt: skip
        conn.execute("INSERT OR REPLACE INTO conversations_v2 VALUES ('/home/dev/infra', 'conv-1', ?, 1, ?)",
                     (json.dumps(value), updated))  # fmt: skip
        conn.commit()

    put(2, 100)
    scan(store, env)
    assert rows(store) == [("conv-1:0", 1_770_983_426_000, 100, 10, 0, "auto", 1, 1, "turn", "conv-1", "/home/dev/infra",
                            "amazon-bedrock")]  # fmt: skip
    put(3, 200)  # the conversation grows: rewritten in place, re-read past the watermark
    scan(store, env)
    scan(store, env)
    assert totals(store) == (2, 100 + 125, 10 + 2)  # floor(1000 x 12.5 / 100) = 125; ceil(7/4) = 2
    session = store.conn.execute("SELECT first_ts_ms, last_ts_ms FROM session WHERE source = 'kiro'").fetchone()
    assert session == (1_770_983_426_000, 1_770_983_509_000)
    assert store.conn.execute("SELECT count(*) FROM prompt WHERE source = 'kiro'").fetchone() == (1,)
    conn.close()


def ide_dir(home: Path, platform: str) -> Path:
    base = {"linux": home / ".config", "darwin": home / "Library" / "Application Support",
            "win32": home / "AppData" / "Roaming"}[platform]  # fmt: skip
    return base / "Kiro" / "User" / "globalStorage" / "kiro.kiroagent"


def write_json(path: Path, doc: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc), encoding="utf-8")
    os.utime(path, (MTIME, MTIME))
    return path


EXECUTION = {
    "executionId": "3067e447-2cda-47c9-a476-536a72d92f31", "chatSessionId": "chat-abc", "status": "succeed",
    "startTime": 1_770_983_426_000, "endTime": 1_770_983_427_500, "completionOptions": {"modelId": "claude-sonnet-4-5"},
    "actions": [{"actionType": "say", "output": "the assistant replied with a full answer"},  # 40 chars
                {"actionType": "reasoning", "output": {"message": "thinking it through"}},  # 19 chars
                {"actionType": "readFile", "output": "not said to the user"}],
    "context": {"messages": [{"entries": [{"type": "text", "text": "user asks a reasonably long question"},  # 36
                                          {"type": "image", "text": "ignored"}]}]},
    "input": {"data": {"messages": [{"content": "abcd"}, {"content": [{"type": "text", "text": "efgh"}]}]}},  # 8
}  # fmt: skip
SNAPSHOT = {"executionId": EXECUTION["executionId"], "actionId": "act", "model": "auto",
            "chat": [{"role": "human", "content": "please refactor the loader"},  # 26 chars -> 7
                     {"role": "tool", "content": "You are operating in a workspace"},  # neither side
                     {"role": "bot", "content": "Done, refactored."}]}  # 17 chars -> 5  # fmt: skip


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
@pytest.mark.parametrize("execution_first", [True, False])
def test_ide_snapshot_covered_by_its_execution_is_not_counted(tmp_path: Path, platform: str, execution_first: bool) -> None:
    home, store = tmp_path / "home", Store.memory()
    env = env_at(home, platform, APPDATA=str(home / "AppData" / "Roaming"))
    ws = ide_dir(home, platform) / "abc080c47e826767f65b27677d791c66"
    failed = {**EXECUTION, "executionId": "5b40545a", "status": "failed"}
    write_json(ws / "0681d950.chat", {**SNAPSHOT, "executionId": "5b40545a"})  # its execution failed: kept
    write_json(ws / "9f1c.chat", {"messages": [{"role": "user", "content": "hello world"},
                                               {"role": "assistant", "content": "abcd", "text": "abcd"}]})  # fmt: skip
    write_json(ws / "a1b2" / "5b40545a", failed)
    write_json(ide_dir(home, platform) / "dev_data" / "tokens_generated.jsonl", {"model": "agent"})  # never read
    if execution_first:
        write_json(ws / "a1b2" / "3067e447", EXECUTION)
        write_json(ws / "006924ff.chat", SNAPSHOT)
        scan(store, env)
    else:  # the snapshot is stored first; the execution record arrives later and replaces it
        write_json(ws / "006924ff.chat", SNAPSHOT)
        scan(store, env)
        assert totals(store) == (3, 7 + 7 + 3, 5 + 5 + 1)
        write_json(ws / "a1b2" / "3067e447", EXECUTION)
        scan(store, env)
    scan(store, env)
    snapshot_ms = MTIME * 1000
    assert rows(store) == [
        ("execution:3067e447-2cda-47c9-a476-536a72d92f31", 1_770_983_426_000, 11, 15, 0, "claude-sonnet-4-5", 0, 1,
         "turn", "chat-abc", None, "amazon-bedrock"),  # ceil(44/4) = 11; ceil(59/4) = 15
        ("abc080c47e826767f65b27677d791c66/0681d950:globalstorage:exec:5b40545a", snapshot_ms, 7, 5, 0, "auto", 1, 1,
         "turn", "abc080c47e826767f65b27677d791c66/0681d950", None, "amazon-bedrock"),
        ("abc080c47e826767f65b27677d791c66/9f1c:globalstorage", snapshot_ms, 3, 1, 0, "auto", 1, 1, "turn",
         "abc080c47e826767f65b27677d791c66/9f1c", None, "amazon-bedrock"),  # aliased "content"/"text": counted once
    ]  # fmt: skip
    session = store.conn.execute("SELECT first_ts_ms, last_ts_ms FROM session WHERE session_id = 'chat-abc'").fetchone()
    assert session == (1_770_983_426_000, 1_770_983_427_500)  # the execution's duration: 1.5 s


def test_snapshot_text_walk_counts_distinct_payloads_once() -> None:
    counts = [0, 0]
    collect_text({"prompt": {"role": "user", "text": "hi there"}, "response": {"role": "assistant", "text": "hello back"},
                  "messages": [{"role": "user", "content": "alpha"}], "entries": [{"role": "user", "content": "alpha"}],
                  "history": [{"type": "user", "content": "bravo"}]}, counts, None)  # fmt: skip
    assert counts == [8 + 5 + 5, 10]


def test_roots_on_three_platforms(tmp_path: Path) -> None:
    home = tmp_path / "home"
    appdata = str(home / "AppData" / "Roaming")
    assert [str(p) for p in Kiro().roots(env_at(home, "darwin"))] == [
        str(home / ".kiro" / "sessions" / "cli"),
        str(home / "Library" / "Application Support" / "Kiro" / "User" / "globalStorage" / "kiro.kiroagent"),
    ]
    assert Kiro().roots(env_at(home, "win32", APPDATA=appdata))[1] == ide_dir(home, "win32")
    assert KiroCliDatabase().roots(env_at(home, "win32", APPDATA=appdata)) == [Path(appdata) / "kiro-cli"]
    assert KiroCliDatabase().roots(env_at(home, "linux")) == [home / ".local" / "share" / "kiro-cli"]
