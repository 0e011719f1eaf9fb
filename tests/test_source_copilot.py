"""GitHub Copilot CLI: `session.shutdown` per run, input net of cache reads and writes
(LOG-FORMATS §3.5, §5 rows 29-32)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from desktop.sources.copilot_cli import CopilotCli
from desktop.store import Store
from tests.logs import write_lines
from tests.logs_more import env_at, rows, scan_with, skipped, sums

SESSION = "7a7a0d2e"
SONNET = "claude-sonnet-4.5"
SOURCES = [CopilotCli()]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "data" / "archive.sqlite")
    yield s
    s.close()


def events_file(copilot_home: Path, session: str = SESSION) -> Path:
    return copilot_home / "session-state" / session / "events.jsonl"


def event(kind: str, eid: str, minute: int, data: dict, **extra: Any) -> dict:
    return {"type": kind, "id": eid, "timestamp": f"2026-06-01T09:{minute:02d}:00.000Z", "parentId": None,
            "data": data, **extra}  # fmt: skip


def start(minute: int = 0, model: str = SONNET) -> dict:
    return event("session.start", "1f0c9a52-5e1d-4b7a-9c1e-0a1b2c3d4e5f", minute, {
        "sessionId": SESSION, "version": 1, "producer": "copilot-agent", "copilotVersion": "1.0.6",
        "startTime": "2026-06-01T09:00:00.000Z", "selectedModel": model,
        "context": {"cwd": "/home/dev/cli", "branch": "main"}})  # fmt: skip


def metric(input: int, output: int, read: int = 0, write: int = 0, cost: float = 1, **usage: Any) -> dict:
    return {"requests": {"count": 3, "cost": cost},
            "usage": {"inputTokens": input, "outputTokens": output, "cacheReadTokens": read, "cacheWriteTokens": write, **usage}}


def shutdown(eid: str, minute: int, metrics: dict, **data: Any) -> dict:
    return event("session.shutdown", eid, minute, {"shutdownType": "routine", "totalPremiumRequests": 3,
                                                   "totalApiDurationMs": 1000, "sessionStartTime": 1780304400000,
                                                   "codeChanges": {"linesAdded": 1, "linesRemoved": 0, "filesModified": []},
                                                   "modelMetrics": metrics, **data})  # fmt: skip


def test_example_of_the_reference(store: Store, isolated_home: Path) -> None:
    """§3.5: input_uncached = 250000 - 180000 - 60000 = 10000; `requests.cost` 3 is premium requests, not USD."""
    write_lines(events_file(isolated_home / ".copilot"), [
        start(),
        shutdown("9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a", 40, {SONNET: metric(250000, 4200, 180000, 60000, cost=3)},
                 currentModel=SONNET),
    ])  # fmt: skip
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "copilot") == (1, 10000, 180000, 60000, 4200, 0)
    assert rows(store, "copilot", "dedup_key, granularity, model, session_id, project_path, git_branch, client_version, "
                                  "stored_cost, stored_cost_unit, date(ts_ms/1000, 'unixepoch')") == [
        (f"9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a:{SONNET}", "run", SONNET, SESSION, "/home/dev/cli", "main", "1.0.6",
         3.0, "premium_requests", "2026-06-01")]  # fmt: skip


def test_each_run_of_a_resumed_session_is_its_own_row(store: Store, isolated_home: Path) -> None:
    """§5 row 32: one shutdown per run; `modelMetrics` only (agentMetrics repeats it), per run."""
    path = events_file(isolated_home / ".copilot")
    write_lines(path, [start(), shutdown("s1", 10, {SONNET: metric(1000, 100, 600, 200)})])
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "copilot") == (1, 200, 600, 200, 100, 0)
    second = shutdown("s2", 50, {SONNET: metric(3000, 300, 2000, 500), "gpt-5-mini": metric(400, 40)},
                      agentMetrics={"main": {"modelMetrics": {SONNET: metric(3000, 300, 2000, 500)}},
                                    "task-1": {"modelMetrics": {"gpt-5-mini": metric(400, 40)}}},
                      totalPremiumRequests=9)  # fmt: skip
    write_lines(path, [event("session.resume", "r1", 45, {"resumeTime": "2026-06-01T09:45:00Z", "eventCount": 3,
                                                          "context": {"cwd": "/home/dev/cli", "branch": "fix"}}),
                       second], append=True)  # fmt: skip
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "copilot") == (3, 200 + 500 + 400, 2600, 700, 440, 0)
    assert rows(store, "copilot", "dedup_key, git_branch") == [
        (f"s1:{SONNET}", "main"), (f"s2:{SONNET}", "fix"), ("s2:gpt-5-mini", "fix")]


def test_only_the_shutdown_surface_counts(store: Store, isolated_home: Path) -> None:
    """§5 row 29: per-message output counts and (unpersisted) per-call usage are not added to it."""
    write_lines(events_file(isolated_home / ".copilot"), [
        start(),
        event("assistant.message", "m1", 2, {"messageId": "x", "content": "done", "outputTokens": 4200, "model": SONNET}),
        event("assistant.usage", "u1", 2, {"model": SONNET, "inputTokens": 250000, "outputTokens": 4200}),
        event("assistant.usage", "u2", 3, {"model": SONNET, "inputTokens": 9, "outputTokens": 9}, ephemeral=True),
        event("session.usage_checkpoint", "c1", 4, {"totalNanoAiu": 123456, "totalPremiumRequests": 3}),
        shutdown("s1", 40, {SONNET: metric(250000, 4200, 180000, 60000)}),
    ])  # fmt: skip
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "copilot") == (1, 10000, 180000, 60000, 4200, 0)


def test_input_net_of_cache_is_clamped(store: Store, isolated_home: Path) -> None:
    """§5 row 31: subtract both cache reads and writes, never below zero."""
    write_lines(events_file(isolated_home / ".copilot"), [start(), shutdown("s1", 9, {SONNET: metric(100, 10, 90, 30, reasoningTokens=4)})])
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "copilot") == (1, 0, 90, 30, 10, 4)


def test_auto_key_is_the_model_switched_to(store: Store, isolated_home: Path) -> None:
    write_lines(events_file(isolated_home / ".copilot"), [
        start(model="auto"),
        event("session.model_change", "mc", 3, {"previousModel": "auto", "newModel": "gpt-5.2"}),
        shutdown("s1", 9, {"auto": metric(500, 50, 100)}, currentModel="auto"),
    ])  # fmt: skip
    write_lines(events_file(isolated_home / ".copilot", "b2"), [
        start(model="auto"),
        event("session.auto_mode_resolved", "ar", 1, {"chosenModel": "claude-haiku-4.5", "availableModels": []}),
        shutdown("s2", 10, {"auto": metric(10, 1)}),
    ])  # fmt: skip
    write_lines(events_file(isolated_home / ".copilot", "b3"), [start(model="auto"), shutdown("s3", 11, {"auto": metric(20, 2)})])
    scan_with(store, SOURCES, env_at(isolated_home))
    assert rows(store, "copilot", "dedup_key, model, model_is_fallback") == [
        ("s1:auto", "gpt-5.2", 1), ("s2:auto", "claude-haiku-4.5", 1), ("s3:auto", "auto", 0)]  # nothing to map to
    assert sums(store, "copilot") == (3, 430, 100, 0, 53, 0)


def test_prompts_and_tool_calls(store: Store, isolated_home: Path) -> None:
    write_lines(events_file(isolated_home / ".copilot"), [
        start(),
        event("user.message", "p1", 1, {"content": "add retries to the uploader", "interactionId": "i1"}),
        event("user.message", "p2", 2, {"content": "continue", "isAutopilotContinuation": True}),
        event("user.message", "p3", 3, {"content": "use the skill", "source": "skill-pdf"}),
        event("tool.execution_start", "t1", 4, {"toolCallId": "call_1", "toolName": "edit",
                                                "arguments": {"path": "/home/dev/cli/up.py"}}),
        event("tool.execution_complete", "t2", 5, {"toolCallId": "call_1", "success": False,
                                                   "error": {"message": "no match"}}),
        event("tool.execution_start", "t3", 6, {"toolCallId": "call_2", "toolName": "bash", "arguments": {"command": "ls"}}),
        event("tool.execution_complete", "t4", 7, {"toolCallId": "call_2", "success": True}),
    ])  # fmt: skip
    scan_with(store, SOURCES, env_at(isolated_home))
    assert store.conn.execute("SELECT prompt_key, session_id, excerpt FROM prompt").fetchall() == [
        ("p1", SESSION, "add retries to the uploader")]
    assert store.conn.execute("SELECT call_key, name, file_path, is_error FROM tool_call ORDER BY call_key").fetchall() == [
        ("call_1", "edit", "/home/dev/cli/up.py", 1), ("call_2", "bash", None, 0)]
    assert store.conn.execute("SELECT project_path, git_branch FROM session WHERE source = 'copilot'").fetchall() == [
        ("/home/dev/cli", "main")]


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_default_folder_override_and_legacy_layout(store: Store, isolated_home: Path, tmp_path: Path, platform: str) -> None:
    roots = CopilotCli().roots(env_at(isolated_home, platform))
    assert roots[:2] == [isolated_home / ".copilot" / "session-state", isolated_home / ".copilot" / "history-session-state"]
    moved = tmp_path / "copilot-home"
    write_lines(events_file(moved), [start(), shutdown("s1", 9, {SONNET: metric(100, 10)})])
    write_lines(moved / "session-state" / "0ld5e55.jsonl", [shutdown("s2", 9, {SONNET: metric(200, 20)})])  # flat, older builds
    write_lines(moved / "session-state" / SESSION / "checkpoints" / "index.jsonl", [shutdown("s3", 9, {SONNET: metric(1, 1)})])
    write_lines(events_file(isolated_home / ".copilot", "elsewhere"), [shutdown("s4", 9, {SONNET: metric(9, 9)})])
    scan_with(store, SOURCES, env_at(isolated_home, platform, COPILOT_HOME=str(moved)))
    assert sums(store, "copilot") == (2, 300, 0, 0, 30, 0)
    assert sorted(rows(store, "copilot", "session_id")) == [("0ld5e55",), (SESSION,)]


def test_pre_1_0_4_xdg_state_folder(store: Store, isolated_home: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    write_lines(events_file(state / ".copilot"), [start(), shutdown("s1", 9, {SONNET: metric(100, 10)})])
    scan_with(store, SOURCES, env_at(isolated_home, XDG_STATE_HOME=str(state)))
    assert sums(store, "copilot") == (1, 100, 0, 0, 10, 0)
    assert CopilotCli().roots(env_at(isolated_home, "win32", XDG_STATE_HOME=str(state)))[-1].parent == isolated_home / ".copilot"


def test_partial_line_bad_bytes_and_duplicates(store: Store, isolated_home: Path) -> None:
    path = events_file(isolated_home / ".copilot")
    first = json.dumps(shutdown("s1", 9, {SONNET: metric(1000, 100, 500, 0)})).encode()
    bad_utf8 = json.dumps(event("user.message", "p1", 8, {"content": "d\u00e9j\u00e0 vu"})).encode().replace(b"\\u00e9", b"\xe9")
    write_lines(path, [start(), bad_utf8, first, first, b'{"type":"session.shutdown","id":"s9","data":{"modelMe',
                       shutdown("s5", 10, {SONNET: metric("many", 1)})])  # fmt: skip
    partial = json.dumps(shutdown("s2", 30, {SONNET: metric(40, 4)})).encode()
    with open(path, "ab") as fh:
        fh.write(partial[:60])
    summary = scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "copilot") == (1, 500, 500, 0, 100, 0)
    assert skipped(summary, "copilot") == 2
    assert store.conn.execute("SELECT length FROM prompt").fetchone() == (7,)
    with open(path, "ab") as fh:
        fh.write(partial[60:] + b"\n")
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "copilot") == (2, 540, 500, 0, 104, 0)
