"""Qwen Code: the token ledger is the one usage surface (LOG-FORMATS §3.8, §5 rows 37-38)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from desktop.sources.qwen_code import QwenCode
from desktop.store import Store
from tests.logs import write_lines
from tests.logs_more import env_at, rows, scan_with, skipped, sums

SESSION = "f00dbabe"
SOURCES = [QwenCode()]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "data" / "archive.sqlite")
    yield s
    s.close()


def ledger_file(runtime: Path, month: str = "2026-07") -> Path:
    return runtime / "usage" / f"token-usage-{month}.jsonl"


def record(rid: str, ts: str = "2026-07-03T22:30:00.000Z", *, local_date: str = "2026-07-04", session: str = SESSION,
           input: int = 18000, cached: int = 9000, output: int = 500, thoughts: int = 0, source: str = "main",
           model: str = "qwen3-coder-plus", **extra: Any) -> dict:  # fmt: skip
    line = {"schemaVersion": 1, "id": rid, "timestamp": ts, "localDate": local_date, "localMonth": local_date[:7],
            "sessionId": session, "model": model, "authType": "qwen-oauth", "source": source, "inputTokens": input,
            "outputTokens": output, "cachedTokens": cached, "thoughtsTokens": thoughts,
            "totalTokens": input + output + thoughts, "apiDurationMs": 5400}  # fmt: skip
    line.update(extra)
    return line


def transcript(runtime: Path, session: str = SESSION, cwd: str = "/home/dev/qwen-app") -> Path:
    return runtime / "projects" / cwd.replace("/", "-") / "chats" / f"{session}.jsonl"


def chat(kind: str, uuid: str, second: int, message: dict | None = None, **extra: Any) -> dict:
    line = {"uuid": uuid, "parentUuid": None, "sessionId": SESSION, "timestamp": f"2026-07-03T22:29:{second:02d}.000Z",
            "type": kind, "cwd": "/home/dev/qwen-app", "version": "0.9.1", "gitBranch": "main"}  # fmt: skip
    if message is not None:
        line["message"] = message
    line.update(extra)
    return line


def test_example_of_the_reference_is_dated_by_its_instant(store: Store, isolated_home: Path) -> None:
    """§3.8: written on 2026-07-04 local time, 22:30 UTC on the 3rd: the row is dated by `timestamp`."""
    write_lines(ledger_file(isolated_home / ".qwen"), [record("6c1e2d3f-4a5b-4c6d-8e7f-901234567890")])
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "qwen") == (1, 9000, 9000, 0, 500, 0)
    day = store.conn.execute("SELECT date(ts_ms / 1000, 'unixepoch'), dedup_key, model, session_id, project_path "
                             "FROM usage_event").fetchone()  # fmt: skip
    assert day == ("2026-07-03", "6c1e2d3f-4a5b-4c6d-8e7f-901234567890", "qwen3-coder-plus", SESSION, None)


def test_every_month_file_is_read(store: Store, isolated_home: Path) -> None:
    """§5 row 37: the files are cut by the writer's local month; the row's month comes from its instant."""
    runtime = isolated_home / ".qwen"
    write_lines(ledger_file(runtime, "2026-06"), [record("a", "2026-06-30T12:00:00.000Z", local_date="2026-06-30")])
    write_lines(ledger_file(runtime, "2026-07"), [record("b", "2026-06-30T23:30:00.000Z", local_date="2026-07-01",
                                                         input=100, cached=0, output=10)])  # fmt: skip
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "qwen") == (2, 9000 + 100, 9000, 0, 510, 0)
    assert [d for (d,) in store.conn.execute("SELECT DISTINCT date(ts_ms/1000, 'unixepoch') FROM usage_event")] == ["2026-06-30"]


def test_ledger_only_never_the_transcript_as_well(store: Store, isolated_home: Path) -> None:
    """§5 row 38: the transcript's `usageMetadata` is the same calls again; it gives cwd, prompts, tools."""
    runtime = isolated_home / ".qwen"
    usage_meta = {"promptTokenCount": 18000, "candidatesTokenCount": 500, "cachedContentTokenCount": 9000,
                  "totalTokenCount": 18500}  # fmt: skip
    call = {"functionCall": {"id": "call_1", "name": "write_file", "args": {"file_path": "/home/dev/qwen-app/x.py"}}}
    write_lines(transcript(runtime), [
        chat("user", "u1", 1, {"role": "user", "parts": [{"text": "make the build green"}]}),
        chat("assistant", "a1", 5, {"role": "model", "parts": [{"text": "On it."}, call]}, usageMetadata=usage_meta,
             model="qwen3-coder-plus"),
        chat("tool_result", "t1", 6, {"role": "user", "parts": []}, toolCallResult={"callId": "call_1", "status": "error"}),
        chat("assistant", "a2", 9, {"role": "model", "parts": [{"text": "Done."}]}, usageMetadata=usage_meta),
        chat("user", "u2", 10, {"role": "user", "parts": [{"text": "/stats"}]}, subtype="slash_command"),
        chat("user", "u3", 11, {"role": "user", "parts": [{"text": "note"}]}, provenance="goal_runtime"),
    ])  # fmt: skip
    write_lines(ledger_file(runtime), [record("l1"), record("l2", "2026-07-03T22:31:00.000Z")])
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "qwen") == (2, 18000, 18000, 0, 1000, 0)
    assert {p for (p,) in store.conn.execute("SELECT project_path FROM usage_event")} == {"/home/dev/qwen-app"}
    prompts = store.conn.execute("SELECT prompt_key, length FROM prompt WHERE source = 'qwen'").fetchall()
    assert prompts == [("u1", len("make the build green"))]
    calls = store.conn.execute("SELECT call_key, name, file_path, is_error FROM tool_call").fetchall()
    assert calls == [("call_1", "write_file", "/home/dev/qwen-app/x.py", 1)]
    session = store.conn.execute("SELECT project_path, git_branch, client_version FROM session WHERE source = 'qwen'").fetchall()
    assert session == [("/home/dev/qwen-app", "main", "0.9.1")]


def test_thoughts_are_added_to_output_and_subagents_named(store: Store, isolated_home: Path) -> None:
    write_lines(ledger_file(isolated_home / ".qwen"), [
        record("t1", input=1000, cached=1200, output=40, thoughts=300),  # cache clamped to the prompt
        record("t2", "2026-07-03T22:31:00.000Z", input=200, cached=0, output=20, source="code-reviewer"),
        record("t3", "2026-07-03T22:32:00.000Z", input=0, cached=0, output=0),  # an empty response: no row
    ])  # fmt: skip
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "qwen") == (2, 0 + 200, 1000, 0, 60, 300)
    assert rows(store, "qwen", "dedup_key, reasoning_in_output, agent, is_sidechain") == [
        ("t1", 0, None, 0), ("t2", 0, "code-reviewer", 1)]


def test_duplicate_records_and_copies_count_once(store: Store, isolated_home: Path, tmp_path: Path) -> None:
    home, runtime = isolated_home / ".qwen", tmp_path / "runtime"
    write_lines(ledger_file(home), [record("d1"), record("d1")])
    write_lines(ledger_file(runtime), [record("d1"), record("d2", input=10, cached=0, output=1)])
    scan_with(store, SOURCES, env_at(isolated_home, QWEN_RUNTIME_DIR=str(runtime)))
    assert sums(store, "qwen") == (2, 9010, 9000, 0, 501, 0)


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_runtime_folder_precedence(store: Store, isolated_home: Path, tmp_path: Path, platform: str) -> None:
    qwen_home, runtime = tmp_path / "qh", tmp_path / "rt"
    q = QwenCode()
    assert q.roots(env_at(isolated_home, platform))[0] == isolated_home / ".qwen" / "usage"
    assert q.roots(env_at(isolated_home, platform, QWEN_HOME=str(qwen_home)))[0] == qwen_home / "usage"
    both = env_at(isolated_home, platform, QWEN_HOME=str(qwen_home), QWEN_RUNTIME_DIR="~/rt")
    assert q.roots(both)[0] == isolated_home / "rt" / "usage"
    write_lines(ledger_file(runtime), [record("r1")])
    scan_with(store, SOURCES, env_at(isolated_home, platform, QWEN_RUNTIME_DIR=str(runtime)))
    assert sums(store, "qwen") == (1, 9000, 9000, 0, 500, 0)


def test_partial_line_bad_bytes_and_unknown_schema(store: Store, isolated_home: Path) -> None:
    path = ledger_file(isolated_home / ".qwen")
    bad_utf8 = json.dumps(record("b1", model="qwen\u00e9")).encode().replace(b"\\u00e9", b"\xe9")
    write_lines(path, [bad_utf8, b"{not json", record("b2", schemaVersion=2), record("b3", inputTokens=-5),
                       record("b4", timestamp="yesterday")])  # fmt: skip
    partial = json.dumps(record("b5", input=100, cached=0, output=1)).encode()
    with open(path, "ab") as fh:
        fh.write(partial[:30])
    summary = scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "qwen") == (1, 9000, 9000, 0, 500, 0)
    assert rows(store, "qwen", "model") == [("qwen\ufffd",)]
    assert skipped(summary, "qwen") == 4
    with open(path, "ab") as fh:
        fh.write(partial[30:] + b"\n")
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "qwen") == (2, 9100, 9000, 0, 501, 0)


def test_transcripts_from_before_the_ledger_are_the_record(store: Store, isolated_home: Path) -> None:
    """LOG-FORMATS §3.8: builds without a ledger are counted from the transcript's usageMetadata, once;
    answers from the ledger's time are the ledger's."""
    runtime = isolated_home / ".qwen"
    usage_meta = {"promptTokenCount": 1000, "candidatesTokenCount": 50, "cachedContentTokenCount": 400,
                  "thoughtsTokenCount": 7, "totalTokenCount": 1057}  # fmt: skip
    answer = {"role": "model", "parts": [{"text": "ok"}]}
    write_lines(transcript(runtime), [chat("assistant", "a1", 1, answer, usageMetadata=usage_meta, model="qwen3-coder-plus")])
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "qwen") == (1, 600, 400, 0, 50, 7)  # no ledger at all: the transcript counts
    write_lines(ledger_file(runtime), [record("l1", "2026-07-05T10:00:00.000Z")])  # a later build, with a ledger
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "qwen") == (2, 9600, 9400, 0, 550, 7)
