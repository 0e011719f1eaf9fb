"""Cline, Roo Code and Kilo Code: extension tasks in every VS Code-family host, the Cline CLI and Kilo CLI
stores (LOG-FORMATS §3.6). Fixtures are written here, one per quirk."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.ingest import run_scan
from desktop.sources.base import Environment, ParseContext
from desktop.sources.cline_family import ClineCli, ClineFamily, KiloCli
from desktop.store import Store
from tests.helpers import prices

T0 = 1_767_610_000_000
CLINE, ROO, KILO = "saoudrizwan.claude-dev", "rooveterinaryinc.roo-cline", "kilocode.kilo-code"


def env_at(home: Path, platform: str = "linux", **extra: str) -> Environment:
    return Environment(home=home, env={"HOME": str(home), **extra}, platform=platform)


def storage(home: Path, ext: str, host: str = "Code") -> Path:
    return home / ".config" / host / "User" / "globalStorage" / ext


def req(tokens_in: int | None = None, tokens_out: int | None = None, reads: int = 0, writes: int = 0,
        cost: float | None = None, protocol: str | None = None) -> str:  # fmt: skip
    info: dict = {"request": "<task>fix the failing test</task> ... long prompt text"}
    if tokens_in is not None:
        info.update(tokensIn=tokens_in, tokensOut=tokens_out, cacheReads=reads, cacheWrites=writes)
    if cost is not None:
        info["cost"] = cost
    if protocol is not None:
        info["apiProtocol"] = protocol
    return json.dumps(info)


def say(ts: int, kind: str, body: str, **extra: object) -> dict:
    return {"ts": ts, "type": "say", "say": kind, "text": body, **extra}


def write_task(store_dir: Path, task_id: str, messages: list[dict], touch: int = 0) -> Path:
    path = store_dir / "tasks" / task_id / "ui_messages.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(messages))
    if touch:  # rewritten in place within the same clock tick: make the change visible
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + touch * 1_000_000))
    return path


def totals(store: Store, source: str) -> tuple:
    """(events, input, cache_read, cache_write, output, stored cost rounded)."""
    row = store.conn.execute(
        "SELECT count(*), coalesce(sum(input_uncached), 0), coalesce(sum(cache_read), 0), coalesce(sum(cache_write_5m), 0), "
        "coalesce(sum(output), 0), round(coalesce(sum(stored_cost), 0), 6) FROM usage_event WHERE source = ?",
        (source,),
    ).fetchone()
    return tuple(row)


def scan(store: Store, sources: list, env: Environment):
    return run_scan(store, sources, env, prices())


def test_protocol_rule_models_project_and_history_totals_never_added(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    root = storage(home, CLINE)
    write_task(root, "1767610000000", [
        say(T0, "task", "fix the failing test"),
        # anthropic: tokensIn excludes cache: stored as is
        say(T0 + 1000, "api_req_started", req(1500, 320, reads=28000, writes=0, cost=0.0121, protocol="anthropic")),
        # openai: tokensIn includes reads and writes: 9000 - 6000 - 1000 = 2000
        say(T0 + 2000, "api_req_started", req(9000, 100, reads=6000, writes=1000, cost=0.02, protocol="openai")),
        # openai with more cache than input (a provider quirk): clamped at 0, never negative
        say(T0 + 3000, "api_req_started", req(50, 7, reads=60, writes=0, protocol="openai")),
        # no protocol (Cline): provider-dependent, stored raw
        say(T0 + 4000, "api_req_started", req(700, 30, reads=5000, writes=200, cost=0.004),
            modelInfo={"modelId": "gpt-5", "providerId": "openai", "mode": "act"}),
        {"ts": T0 + 5000, "type": "ask", "ask": "tool", "text": json.dumps({"tool": "editedExistingFile", "path": "src/app.py"})},
        say(T0 + 6000, "user_feedback", "also update the docs"),
    ])  # fmt: skip
    (root / "state").mkdir(parents=True)
    (root / "state" / "taskHistory.json").write_text(json.dumps([
        {"id": "1767610000000", "ts": T0, "task": "fix", "tokensIn": 999999, "tokensOut": 999999, "cacheReads": 999999,
         "cacheWrites": 999999, "totalCost": 99.0, "cwdOnTaskInitialization": "/home/dev/app", "modelId": "claude-sonnet-4-5"},
    ]))  # fmt: skip
    task_dir = root / "tasks" / "1767610000000"
    (task_dir / "task_metadata.json").write_text(json.dumps({"files_in_context": [], "model_usage": [
        {"ts": T0 + 500, "model_id": "claude-sonnet-4-5", "model_provider_id": "anthropic", "mode": "act"},
        {"ts": T0 + 2500, "model_id": "gpt-5-mini", "model_provider_id": "openai", "mode": "act"},
    ]}))  # fmt: skip
    scan(store, [ClineFamily("cline")], env_at(home))
    # HistoryItem totals (999999, $99) repeat the rows: never added
    assert totals(store, "cline") == (4, 1500 + 2000 + 0 + 700, 28000 + 6000 + 60 + 5000, 1000 + 200, 320 + 100 + 7 + 30, 0.0361)
    rows = store.conn.execute("SELECT dedup_key, model, provider, project_path, stored_cost, stored_cost_unit "
                              "FROM usage_event ORDER BY ts_ms").fetchall()  # fmt: skip
    assert rows == [
        (f"1767610000000:{T0 + 1000}", "claude-sonnet-4-5", "anthropic", "/home/dev/app", 0.0121, "usd"),
        (f"1767610000000:{T0 + 2000}", "claude-sonnet-4-5", "anthropic", "/home/dev/app", 0.02, "usd"),
        (f"1767610000000:{T0 + 3000}", "gpt-5-mini", "openai", "/home/dev/app", None, None),  # model changed at T0+2500
        (f"1767610000000:{T0 + 4000}", "gpt-5", "openai", "/home/dev/app", 0.004, "usd"),  # the message's own modelInfo
    ]
    assert store.conn.execute("SELECT length FROM prompt ORDER BY ts_ms").fetchall() == [(20,), (20,)]
    assert store.conn.execute("SELECT name, file_path FROM tool_call").fetchall() == [("editedExistingFile", "src/app.py")]
    assert store.conn.execute("SELECT session_id, project_path, entrypoint FROM session").fetchall() == [
        ("1767610000000", "/home/dev/app", "code")]


def test_unfilled_row_is_skipped_then_read_when_the_file_is_rewritten_without_double_counting(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    root = storage(home, ROO)
    first = [say(T0, "api_req_started", req(100, 10, cost=0.001, protocol="anthropic")),
             say(T0 + 1000, "api_req_started", req(protocol="anthropic"))]  # in flight: request only  # fmt: skip
    write_task(root, "task-a", first)
    scan(store, [ClineFamily("roo")], env_at(home))
    assert totals(store, "roo") == (1, 100, 0, 0, 10, 0.001)
    # the stream ended: the same row (same ts) now has tokens; a new request started
    second = [first[0], say(T0 + 1000, "api_req_started", req(200, 20, reads=50, cost=0.002, protocol="anthropic")),
              say(T0 + 2000, "api_req_started", req(300, 30, cost=0.003, protocol="anthropic"))]  # fmt: skip
    write_task(root, "task-a", second, touch=1)
    scan(store, [ClineFamily("roo")], env_at(home))
    scan(store, [ClineFamily("roo")], env_at(home))  # unchanged: not read again
    assert totals(store, "roo") == (3, 600, 50, 0, 60, 0.006)
    # rewritten again with the same rows (a new UI message only): still three rows
    write_task(root, "task-a", [*second, say(T0 + 3000, "text", "done")], touch=2)
    scan(store, [ClineFamily("roo")], env_at(home))
    assert totals(store, "roo") == (3, 600, 50, 0, 60, 0.006)
    # Roo saves through a temp file and a rename (safeWriteJson): a new inode, the same rows
    path = root / "tasks" / "task-a" / "ui_messages.json"
    temp = path.with_name("ui_messages.json.tmp")
    temp.write_text(json.dumps([*second, say(T0 + 4000, "api_req_started", req(1, 1, protocol="anthropic"))]))
    os.replace(temp, path)
    scan(store, [ClineFamily("roo")], env_at(home))
    assert totals(store, "roo") == (4, 601, 50, 0, 61, 0.006)


def test_checkpoint_restore_keeps_the_money_spent_in_the_deleted_marker(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    root = storage(home, CLINE)
    rows = [say(T0 + i * 1000, "api_req_started", req(100 * i, 10 * i, reads=1000, cost=0.01 * i)) for i in range(1, 5)]
    write_task(root, "t1", [say(T0, "task", "refactor"), *rows])
    scan(store, [ClineFamily("cline")], env_at(home))
    assert totals(store, "cline") == (4, 1000, 4000, 0, 100, 0.1)
    # restore to the second request: rows 3 and 4 leave the file; Cline writes their sums into one marker
    marker = say(T0 + 9000, "deleted_api_reqs", json.dumps({"tokensIn": 700, "tokensOut": 70, "cacheWrites": 0,
                                                            "cacheReads": 2000, "cost": 0.07}))  # fmt: skip
    write_task(root, "t1", [say(T0, "task", "refactor"), *rows[:2], marker], touch=1)
    scan(store, [ClineFamily("cline")], env_at(home))
    assert totals(store, "cline") == (3, 1000, 4000, 0, 100, 0.1)  # same money, now in three rows
    # Roo/Kilo name the marker api_req_deleted; with an openai task the marker's input includes cache too
    roo = storage(home, ROO)
    write_task(roo, "r1", [say(T0, "api_req_started", req(5000, 50, reads=4000, protocol="openai")),
                           say(T0 + 5000, "api_req_deleted", json.dumps({"tokensIn": 3000, "tokensOut": 30,
                                                                         "cacheReads": 2500, "cost": 0.5}))])  # fmt: skip
    scan(store, [ClineFamily("roo")], env_at(home))
    assert totals(store, "roo") == (2, 1000 + 500, 6500, 0, 80, 0.5)


def test_subagent_usage_and_condense_cost_are_rows_and_bad_rows_are_skipped(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    write_task(storage(home, CLINE), "t2", [
        say(T0, "api_req_started", req(10, 5)),
        say(T0 + 1000, "subagent_usage", json.dumps({"source": "subagents", "tokensIn": 400, "tokensOut": 40,
                                                     "cacheWrites": 0, "cacheReads": 100, "cost": 0.03})),
        say(T0 + 2000, "api_req_started", req(-5, 1)),  # nonsense count: this row is skipped, not the file
        say(T0 + 3000, "api_req_started", "not json"),
        say(T0 + 4000, "api_req_started", json.dumps({"tokensIn": 1, "tokensOut": 0, "cost": 9.5, "currency": "EUR"})),
    ])  # fmt: skip
    write_task(storage(home, KILO), "k1", [
        say(T0, "api_req_started", req(100, 10, cost=0.001), apiProtocol="openai"),  # message-level protocol
        say(T0 + 500, "condense_context", "", contextCondense={"cost": 0.25, "prevContextTokens": 9000,
                                                              "newContextTokens": 900, "summary": "..."}),
    ])  # fmt: skip
    summary = scan(store, [ClineFamily("cline"), ClineFamily("kilo")], env_at(home))
    assert totals(store, "cline") == (3, 411, 100, 0, 45, 0.03)  # the EUR cost is not taken for dollars
    assert store.conn.execute("SELECT agent, is_sidechain, granularity FROM usage_event WHERE source = 'cline' "
                              "ORDER BY ts_ms").fetchall() == [(None, 0, "call"), ("subagents", 1, "run"), (None, 0, "call")]  # fmt: skip
    assert totals(store, "kilo") == (2, 100, 0, 0, 10, 0.251)
    assert {s.source: s.lines_skipped for s in summary.sources} == {"cline": 2, "kilo": 0}
    (storage(home, CLINE) / "tasks" / "t3").mkdir()
    (storage(home, CLINE) / "tasks" / "t3" / "ui_messages.json").write_text("[{broken")
    summary = scan(store, [ClineFamily("cline")], env_at(home))
    assert summary.sources[0].lines_skipped == 1 and totals(store, "cline")[0] == 3  # the broken file only


def test_roo_history_item_and_the_model_of_each_request(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    root = storage(home, ROO, host="Cursor")
    task = write_task(root, "child", [say(T0, "api_req_started", req(10, 1, protocol="anthropic")),
                                      say(T0 + 60_000, "api_req_started", req(20, 2, protocol="anthropic"))]).parent  # fmt: skip
    (task / "history_item.json").write_text(json.dumps({"id": "child", "number": 2, "ts": T0, "task": "t", "tokensIn": 9,
                                                        "tokensOut": 9, "totalCost": 9, "workspace": "/work/site",
                                                        "parentTaskId": "parent", "mode": "code"}))  # fmt: skip

    def env_details(model: str, slug: str) -> str:
        return f"<environment_details>\n# Current Mode\n<slug>{slug}</slug>\n<name>x</name>\n<model>{model}</model>\n</environment_details>"

    (task / "api_conversation_history.json").write_text(json.dumps([  # each request's details are written just after it starts
        {"role": "user", "ts": T0 + 200, "content": [{"type": "text", "text": "hi"}, {"type": "text", "text": env_details("claude-sonnet-4-5", "architect")}]},
        {"role": "assistant", "ts": T0 + 5000, "content": [{"type": "text", "text": "<model>not this</model>"}]},
        {"role": "user", "ts": T0 + 60_300, "content": [{"type": "text", "text": env_details("gpt-5", "code")}]},
    ]))  # fmt: skip
    scan(store, [ClineFamily("roo")], env_at(home))
    assert store.conn.execute("SELECT model, agent, project_path, parent_session_id, is_sidechain FROM usage_event "
                              "ORDER BY ts_ms").fetchall() == [
        ("claude-sonnet-4-5", "architect", "/work/site", "parent", 1), ("gpt-5", "code", "/work/site", "parent", 1)]  # fmt: skip
    assert store.conn.execute("SELECT entrypoint FROM session").fetchall() == [("cursor",)]


def test_every_host_on_three_platforms_custom_storage_and_cline_data_dir(tmp_path: Path) -> None:
    home = tmp_path / "home"
    linux = ClineFamily("cline").roots(env_at(home))
    assert home / ".config/Code/User/globalStorage" / CLINE in linux
    assert home / ".config/Code - Insiders/User/globalStorage" / CLINE in linux
    assert home / ".vscode-server/data/User/globalStorage" / CLINE in linux
    assert home / ".cline/data" in linux
    assert Path("/xdg/VSCodium/User/globalStorage") / CLINE in ClineFamily("cline").roots(env_at(home, XDG_CONFIG_HOME="/xdg"))
    mac = ClineFamily("roo").roots(env_at(home, "darwin"))
    for host in ("Code", "Cursor", "Windsurf", "Kiro", "VSCodium"):
        assert home / "Library/Application Support" / host / "User/globalStorage" / ROO in mac
    win = ClineFamily("kilo").roots(env_at(home, "win32", APPDATA=str(tmp_path / "Roaming")))
    assert tmp_path / "Roaming/Windsurf/User/globalStorage" / KILO in win
    assert tmp_path / "Roaming/Code/User/globalStorage" / KILO in win
    assert not any(".vscode-server" in str(p) for p in win)
    assert ClineCli().roots(env_at(home)) == [home / ".cline/data/sessions"]
    assert ClineCli().roots(env_at(home, CLINE_DIR="/opt/cl")) == [Path("/opt/cl/data/sessions")]
    assert ClineCli().roots(env_at(home, CLINE_DATA_DIR="/d", CLINE_SESSION_DATA_DIR="/s")) == [Path("/s")]

    # tasks are found in each platform's host dirs, a custom storage path (JSONC settings) and ~/.cline/data
    store = Store.open(tmp_path / "a.sqlite")
    write_task(home / "Library/Application Support/Windsurf/User/globalStorage" / CLINE, "m1", [say(T0, "api_req_started", req(1, 1))])
    write_task(tmp_path / "Roaming/Kiro/User/globalStorage" / CLINE, "w1", [say(T0, "api_req_started", req(2, 2))])
    write_task(home / ".cline/data", "j1", [say(T0, "api_req_started", req(4, 4))])
    settings = home / "Library/Application Support/Code/User/settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text('{\n  // moved to a synced folder\n  "kilo-code.customStoragePath": "~/sync/kilo",\n}\n')
    write_task(home / "sync/kilo", "k9", [say(T0, "api_req_started", req(8, 8))])
    scan(store, [ClineFamily("cline"), ClineFamily("kilo")], env_at(home, "darwin"))
    scan(store, [ClineFamily("cline")], env_at(home, "win32", APPDATA=str(tmp_path / "Roaming")))
    assert totals(store, "cline")[:2] == (3, 7)
    assert totals(store, "kilo")[:2] == (1, 8)


def write_cli_session(sessions: Path, sid: str, messages: list[dict], stem: str | None = None, agent: str = "lead",
                      manifest: dict | None = None, touch: int = 0) -> Path:  # fmt: skip
    folder = sessions / sid
    folder.mkdir(parents=True, exist_ok=True)
    if manifest is not None:
        (folder / f"{sid}.json").write_text(json.dumps({"version": 1, "session_id": sid, "source": "cli", **manifest}))
    name = stem or sid
    path = folder / f"{name}.messages.json"
    path.write_text(json.dumps({"version": 1, "agent": agent, "sessionId": sid if stem is None else f"{sid}__{stem}",
                                "messages": messages}))  # fmt: skip
    if touch:
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + touch * 1_000_000))
    return path


def assistant(mid: str, ts: int, inp: int, out: int, read: int = 0, write: int = 0, cost: float = 0.0,
              model: str | None = "claude-sonnet-4-6") -> dict:  # fmt: skip
    message: dict = {"id": mid, "role": "assistant", "ts": ts, "content": [{"type": "text", "text": "ok"}],
                     "metrics": {"inputTokens": inp, "outputTokens": out, "cacheReadTokens": read,
                                 "cacheWriteTokens": write, "cost": cost}}  # fmt: skip
    if model:
        message["modelInfo"] = {"id": model, "provider": "anthropic"}
    return message


def test_cline_cli_sessions_subtract_cache_keep_rows_and_link_subagents(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    sessions = home / ".cline" / "data" / "sessions"
    turn_start = {"id": "a0", "role": "assistant", "ts": T0 + 100, "modelInfo": {"id": "claude-sonnet-4-6", "provider": "anthropic"},
                  "content": [{"type": "tool_use", "id": "tu1", "name": "write_to_file", "input": {"path": "a.py"}}]}  # fmt: skip
    messages = [
        {"id": "u1", "role": "user", "ts": T0, "content": [{"type": "text", "text": "add a test"}]},
        turn_start,
        {"id": "u2", "role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu1", "is_error": True, "content": "x"}]},
        assistant("a1", T0 + 2000, 7507, 131, read=50, cost=0.011),  # input includes cache: 7457
        assistant("a2", T0 + 4000, 12, 0, read=5, write=2),  # zero cost, tokens: kept, no stored cost
    ]
    write_cli_session(sessions, "s1", messages, manifest={"provider": "anthropic", "model": "claude-sonnet-4-6",
                                                          "cwd": "/home/dev/api/src", "workspace_root": "/home/dev/api",
                                                          "started_at": "2026-01-05T10:46:40.000Z", "interactive": True})  # fmt: skip
    write_cli_session(sessions, "s1", [assistant("b1", T0 + 3000, 300, 30, cost=0.002)], stem="explorer", agent="subagent")
    write_cli_session(sessions, "s2", [assistant("c1", T0, 10, 1)], manifest={"cwd": str(home / ".cline/data/workspaces/chat"),
                                                                              "workspace_root": str(home / ".cline/data/workspaces/chat")})  # fmt: skip
    scan(store, [ClineCli()], env_at(home))
    assert totals(store, "cline") == (4, 7457 + 5 + 300 + 10, 55, 2, 131 + 30 + 1, 0.013)
    rows = store.conn.execute("SELECT dedup_key, session_id, parent_session_id, is_sidechain, agent, project_path, granularity "
                              "FROM usage_event ORDER BY ts_ms, dedup_key").fetchall()  # fmt: skip
    assert rows == [
        ("s2:c1", "s2", None, 0, None, None, "turn"),  # the shared chat workspace is no project
        ("s1:a1", "s1", None, 0, None, "/home/dev/api", "turn"),
        ("s1__explorer:b1", "s1__explorer", "s1", 1, "subagent", "/home/dev/api", "turn"),
        ("s1:a2", "s1", None, 0, None, "/home/dev/api", "turn"),
    ]
    assert store.conn.execute("SELECT call_key, file_path, is_error FROM tool_call").fetchall() == [("tu1", None, 1)]
    assert store.conn.execute("SELECT prompt_key FROM prompt").fetchall() == [("s1:u1",)]
    # compaction rewrites the file without the first turn: the archive keeps the billed rows
    write_cli_session(sessions, "s1", [assistant("a3", T0 + 9000, 1000, 10, read=900)], touch=1)
    scan(store, [ClineCli()], env_at(home))
    assert totals(store, "cline")[:2] == (5, 7457 + 5 + 300 + 10 + 100)


def test_kilo_cli_database_is_read_as_kilo(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    folder = tmp_path / "kilo-data"
    folder.mkdir()
    conn = sqlite3.connect(folder / "kilo.db")
    conn.execute("CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, data TEXT NOT NULL)")
    data = {"id": "msg-1", "role": "assistant", "modelID": "claude-sonnet-4-5", "providerID": "anthropic", "cost": 0.42,
            "agent": "architect", "time": {"created": T0}, "tokens": {"input": 1200, "output": 300, "reasoning": 40,
                                                                      "cache": {"read": 75, "write": 25}}}  # fmt: skip
    conn.execute("INSERT INTO message VALUES ('row-1', 'sess-1', ?)", (json.dumps(data),))
    conn.commit()
    conn.close()
    assert KiloCli().roots(env_at(home)) == [home / ".local/share/kilo"]
    scan(store, [KiloCli()], env_at(home, KILO_DATA_DIR=str(folder)))
    scan(store, [KiloCli()], env_at(home, KILO_DATA_DIR=str(folder)))
    assert totals(store, "kilo") == (1, 1200, 75, 25, 300, 0.42)
    assert store.conn.execute("SELECT dedup_key, granularity, reasoning, agent FROM usage_event").fetchall() == [
        ("msg-1", "turn", 40, "architect")]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=True)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)  # fmt: skip
UI_SEED = [say(T0, "api_req_started", req(10, 2, reads=3, cost=0.1, protocol="openai"), modelInfo={"modelId": "m"}),
           say(T0 + 1, "deleted_api_reqs", req(1, 1)), say(T0 + 2, "task", "x"),
           {"ts": T0 + 3, "type": "say", "say": "condense_context", "contextCondense": {"cost": 0.2}}]  # fmt: skip
CLI_SEED = {"sessionId": "s", "agent": "lead", "messages": [
    {"id": "u", "role": "user", "ts": T0, "content": [{"type": "text", "text": "hi"}]},
    assistant("a", T0 + 1, 10, 2, read=1)]}  # fmt: skip


def _replace(value: object, path: list[int], replacement: object) -> object:
    if not path or not isinstance(value, (dict, list)) or not value:
        return replacement
    if isinstance(value, dict):
        name = list(value)[path[0] % len(value)]
        return {**value, name: _replace(value[name], path[1:], replacement)}
    copy = list(value)
    copy[path[0] % len(copy)] = _replace(copy[path[0] % len(copy)], path[1:], replacement)
    return copy


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, 20), min_size=1, max_size=5), json_values, st.booleans())
def test_wrong_types_anywhere_never_raise(tmp_path: Path, path: list[int], replacement: object, cli: bool) -> None:
    folder = tmp_path / "fuzz" / "s"
    folder.mkdir(parents=True, exist_ok=True)
    if cli:
        file = folder / "s.messages.json"
        file.write_text(json.dumps(_replace(CLI_SEED, path, replacement)))
        batch = ClineCli().parser(file, {}, ParseContext()).parse_whole(file)
    else:
        file = folder / "ui_messages.json"
        file.write_text(json.dumps(_replace(UI_SEED, path, replacement)))
        batch = ClineFamily("roo").parser(file, {}, ParseContext()).parse_whole(file)
    for event in batch.events:
        t = event.tokens
        assert all(0 <= n <= 10**12 for n in (t.input_uncached, t.cache_read, t.cache_write_5m, t.output))
        assert 0 < event.ts_ms < 10**14
