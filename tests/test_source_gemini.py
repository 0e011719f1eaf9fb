"""Gemini CLI: LOG-FORMATS §3.3 and §5 rows 21-24, with exact token totals for every quirk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from desktop.sources.gemini_cli import GeminiCli, GeminiCliLegacy
from desktop.store import Store
from tests.logs import write_lines
from tests.logs_more import env_at, rows, scan_with, skipped, sums

SESSION = "c0ffee12-3456-4789-8abc-def012345678"
PRO = "gemini-2.5-pro"
SOURCES = [GeminiCli(), GeminiCliLegacy()]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "data" / "archive.sqlite")
    yield s
    s.close()


def project_dir(home: Path, slug: str = "shop-api", root: str | None = "/home/dev/shop-api") -> Path:
    folder = home / ".gemini" / "tmp" / slug
    folder.mkdir(parents=True, exist_ok=True)
    if root is not None:
        (folder / ".project_root").write_text(root)
    return folder


def chat_file(home: Path, session: str = SESSION, suffix: str = ".jsonl", **project: Any) -> Path:
    return project_dir(home, **project) / "chats" / f"session-2026-05-01T10-00-{session[:8]}{suffix}"


def meta(session: str = SESSION, **extra: Any) -> dict:
    return {"sessionId": session, "projectHash": "9f2c4be1", "startTime": "2026-05-01T10:00:00.000Z",
            "lastUpdated": "2026-05-01T10:00:00.000Z", **extra}  # fmt: skip


def user(msg_id: str, text: str, second: int = 2) -> dict:
    return {"id": msg_id, "timestamp": f"2026-05-01T10:00:{second:02d}.000Z", "type": "user", "content": text}


def gemini(msg_id: str, tokens: dict | None = None, second: int = 5, **extra: Any) -> dict:
    record = {"id": msg_id, "timestamp": f"2026-05-01T10:00:{second:02d}.000Z", "type": "gemini", "model": PRO,
              "content": "Sure."}  # fmt: skip
    if tokens is not None:
        record["tokens"] = tokens
    record.update(extra)
    return record


def tokens(input: int, output: int, cached: int = 0, thoughts: int = 0, tool: int = 0, total: int | None = None) -> dict:
    return {"input": input, "output": output, "cached": cached, "thoughts": thoughts, "tool": tool,
            "total": input + output + thoughts + tool if total is None else total}  # fmt: skip


def test_example_of_the_reference(store: Store, isolated_home: Path) -> None:
    """§3.3: line 4 supersedes line 3; 20000 - 12000 = 8000 uncached, thoughts 600 on top of output 150."""
    write_lines(chat_file(isolated_home), [
        meta(), user("m1", "add a unit test for the parser"), gemini("m2"),
        gemini("m2", tokens(20000, 150, cached=12000, thoughts=600)),
        {"$set": {"lastUpdated": "2026-05-01T10:00:06.000Z"}},
    ])  # fmt: skip
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "gemini") == (1, 8000, 12000, 0, 150, 600)
    row = rows(store, "gemini", "dedup_key, reasoning_in_output, session_id, project_path, model, price_status")
    assert row == [(f"{SESSION}:m2", 0, SESSION, "/home/dev/shop-api", PRO, "priced")]
    total = store.conn.execute("SELECT input_uncached + cache_read + output + reasoning FROM usage_event").fetchone()
    assert total == (20750,)  # == tokens.total: cache counted once, thoughts once
    prompt = store.conn.execute("SELECT prompt_key, session_id, length, excerpt FROM prompt").fetchall()
    assert prompt == [(f"{SESSION}:m1", SESSION, 30, "add a unit test for the parser")]
    session = store.conn.execute("SELECT session_id, project_path FROM session WHERE source = 'gemini'").fetchall()
    assert session == [(SESSION, "/home/dev/shop-api")]


def test_same_id_reappended_in_a_later_scan_replaces_the_row(store: Store, isolated_home: Path) -> None:
    """§5 row 21: the message is appended again as it changes; the last copy wins, across scans too."""
    path = chat_file(isolated_home)
    write_lines(path, [meta(), gemini("m2", tokens(1000, 10, cached=400))])
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "gemini") == (1, 600, 400, 0, 10, 0)
    toolcall = {"id": "read_file-1", "name": "read_file", "args": {"path": "a.py"}, "status": "success",
                "timestamp": "2026-05-01T10:00:06.000Z"}  # fmt: skip
    write_lines(path, [gemini("m2", tokens(1000, 30, cached=400, thoughts=5), toolCalls=[toolcall]),
                       gemini("m3", tokens(2000, 40, cached=1500), second=9)], append=True)  # fmt: skip
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "gemini") == (2, 600 + 500, 400 + 1500, 0, 30 + 40, 5)


def test_rewind_and_checkpoints_do_not_change_usage(store: Store, isolated_home: Path) -> None:
    """§5 row 23: rewound turns were billed; a `$set.messages` checkpoint repeats recorded messages."""
    checkpoint = [gemini("m2", tokens(9999, 999)), gemini("m9", tokens(7777, 777))]
    write_lines(chat_file(isolated_home), [
        meta(), user("m1", "first try"), gemini("m2", tokens(300, 20, cached=100)),
        {"$rewindTo": "m1"},
        user("m3", "second try", second=20), gemini("m4", tokens(500, 50, cached=200), second=25),
        {"$set": {"messages": checkpoint, "lastUpdated": "2026-05-01T10:00:30.000Z"}},
    ])  # fmt: skip
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "gemini") == (2, 200 + 300, 100 + 200, 0, 20 + 50, 0)
    assert store.conn.execute("SELECT count(*) FROM prompt WHERE source = 'gemini'").fetchone() == (2,)


def test_cached_is_subtracted_only_when_the_total_says_input_holds_it(store: Store, isolated_home: Path) -> None:
    """ccusage `normalize_session_input`: with total == input + output + thoughts + tool the cache is inside
    input; otherwise input is already net. Tool-use prompt tokens are input either way."""
    write_lines(chat_file(isolated_home), [
        meta(),
        gemini("inclusive", tokens(1000, 10, cached=600, thoughts=4, tool=50)),  # total 1064
        gemini("net", tokens(300, 10, cached=700, total=1010), second=8),  # total = input + cached + output
        gemini("empty", tokens(0, 0), second=9),  # nothing billed: no row
    ])  # fmt: skip
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "gemini") == (2, (400 + 50) + 300, 600 + 700, 0, 20, 4)


def test_legacy_json_and_its_migrated_jsonl_count_once(store: Store, isolated_home: Path) -> None:
    """§5 row 22: resuming a legacy session copies it whole into `<name>.jsonl`; the `.json` stays."""
    legacy = chat_file(isolated_home, suffix=".json")
    messages = [user("m1", "hello"), gemini("m2", tokens(1000, 100, cached=500)),
                gemini("m3", tokens(2000, 200, cached=1500), second=9)]  # fmt: skip
    legacy.parent.mkdir(parents=True, exist_ok=True)
    legacy.write_text(json.dumps({**meta(), "messages": messages}, indent=2))
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "gemini") == (2, 1000, 2000, 0, 300, 0)
    # resumed on v0.39+: metadata, every legacy message, then the new turns
    write_lines(legacy.with_suffix(".jsonl"), [meta(), *messages, {"$set": {"sessionId": SESSION}},
                                               gemini("m4", tokens(4000, 40, cached=3000), second=30)])  # fmt: skip
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "gemini") == (3, 2000, 5000, 0, 340, 0)
    legacy.write_text(json.dumps({**meta(), "messages": messages}, indent=1))  # touched: read again, skipped
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "gemini") == (3, 2000, 5000, 0, 340, 0)


@pytest.mark.parametrize("order", [[GeminiCli(), GeminiCliLegacy()], [GeminiCliLegacy(), GeminiCli()]])
def test_jsonl_copy_beats_the_legacy_copy_whatever_the_order(store: Store, isolated_home: Path, order: list) -> None:
    legacy = chat_file(isolated_home, suffix=".json")
    legacy.parent.mkdir(parents=True, exist_ok=True)
    legacy.write_text(json.dumps({**meta(), "messages": [gemini("m2", tokens(1000, 100))]}))
    write_lines(legacy.with_suffix(".jsonl"), [meta(), gemini("m2", tokens(1000, 150, cached=900))])
    scan_with(store, order, env_at(isolated_home))
    assert sums(store, "gemini") == (1, 100, 900, 0, 150, 0)
    owner = store.conn.execute("SELECT f.path FROM usage_event e JOIN source_file f ON f.id = e.source_file_id").fetchone()
    assert owner == (str(legacy.with_suffix(".jsonl")),)


def test_legacy_document_rewritten_in_place_replaces_its_rows(store: Store, isolated_home: Path) -> None:
    legacy = chat_file(isolated_home, suffix=".json")
    legacy.parent.mkdir(parents=True, exist_ok=True)
    legacy.write_text(json.dumps({**meta(), "messages": [user("m1", "hi"), gemini("m2")]}, indent=2))
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "gemini") == (0, 0, 0, 0, 0, 0)  # tokens not attached yet
    legacy.write_text(json.dumps({**meta(), "messages": [user("m1", "hi"), gemini("m2", tokens(800, 8, cached=300)),
                                                         gemini("m3", tokens(900, 9), second=7)]}, indent=2))  # fmt: skip
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "gemini") == (2, 500 + 900, 300, 0, 17, 0)
    good = legacy.read_text()
    legacy.write_text(good[: len(good) // 2])  # caught half-written (writeFileSync is not atomic)
    summary = scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "gemini") == (2, 1400, 300, 0, 17, 0)  # the rows stay
    assert any("not a complete JSON document" in u for s in summary.sources for u in s.unreadable)
    legacy.write_text(good)
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "gemini") == (2, 1400, 300, 0, 17, 0)


def test_subagent_recording_belongs_to_its_parent(store: Store, isolated_home: Path) -> None:
    child = "d00dfeed-0000-4000-8000-000000000001"
    path = project_dir(isolated_home) / "chats" / SESSION / f"{child}.jsonl"
    write_lines(path, [meta(child, kind="subagent", directories=["/home/dev/shop-api"]),
                       user("s1", "investigate the flaky test"), gemini("s2", tokens(700, 70, cached=200))])  # fmt: skip
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "gemini") == (1, 500, 200, 0, 70, 0)
    assert rows(store, "gemini", "session_id, parent_session_id, agent, is_sidechain") == [(child, SESSION, "subagent", 1)]
    assert store.conn.execute("SELECT count(*) FROM prompt").fetchone() == (0,)  # the brief is the parent agent's


def test_project_path_is_what_gemini_wrote_never_a_guess(store: Store, isolated_home: Path) -> None:
    hashed = "a" * 64  # before v0.29: sha256 of the project root, no path written anywhere
    write_lines(chat_file(isolated_home, "11111111-aaaa", slug=hashed, root=None), [meta("11111111-aaaa"), gemini("a", tokens(10, 1))])
    (isolated_home / ".gemini" / "projects.json").write_text(json.dumps({"projects": {"/home/dev/web": "web"}}))
    write_lines(chat_file(isolated_home, "22222222-bbbb", slug="web", root=None), [meta("22222222-bbbb"), gemini("b", tokens(10, 1))])
    write_lines(chat_file(isolated_home, "33333333-cccc"), [meta("33333333-cccc"), gemini("c", tokens(10, 1))])
    scan_with(store, SOURCES, env_at(isolated_home))
    assert rows(store, "gemini", "session_id, project_path") == [
        ("11111111-aaaa", None), ("22222222-bbbb", "/home/dev/web"), ("33333333-cccc", "/home/dev/shop-api")]


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_default_folder_on_every_platform(store: Store, tmp_path: Path, platform: str) -> None:
    home = tmp_path / "Users" / "dev"
    write_lines(chat_file(home), [meta(), gemini("m2", tokens(100, 10))])
    env = env_at(home, platform, XDG_CONFIG_HOME=str(tmp_path / "elsewhere"), APPDATA=str(tmp_path / "roaming"))
    assert GeminiCli().roots(env) == [home / ".gemini" / "tmp"]
    scan_with(store, SOURCES, env)
    assert sums(store, "gemini") == (1, 100, 0, 0, 10, 0)


def test_gemini_cli_home_replaces_the_home_folder(store: Store, tmp_path: Path, isolated_home: Path) -> None:
    other = tmp_path / "profile"
    write_lines(chat_file(other), [meta(), gemini("m2", tokens(100, 10))])
    write_lines(chat_file(isolated_home, "99999999-ffff"), [meta("99999999-ffff"), gemini("x", tokens(5, 5))])
    scan_with(store, SOURCES, env_at(isolated_home, GEMINI_CLI_HOME=str(other)))
    assert sums(store, "gemini") == (1, 100, 0, 0, 10, 0)
    assert GeminiCliLegacy().roots(env_at(isolated_home, "win32", GEMINI_CLI_HOME="~/p")) == [isolated_home / "p" / ".gemini" / "tmp"]


def test_only_chat_recordings_are_read(isolated_home: Path) -> None:
    base = project_dir(isolated_home)
    for name in ("chats/session-2026-05-01T10-00-aaaaaaaa.jsonl", "chats/session-2026-05-01T10-00-aaaaaaaa.json",
                 f"chats/{SESSION}/child.jsonl", "logs.json", "checkpoint-save.json", "otel/collector.jsonl"):  # fmt: skip
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        (base / name).write_text("{}\n")
    env = env_at(isolated_home)
    found = sorted(Path(p).relative_to(base).as_posix() for s in SOURCES for p in s.discover(env, []))
    assert found == ["chats/c0ffee12-3456-4789-8abc-def012345678/child.jsonl",
                     "chats/session-2026-05-01T10-00-aaaaaaaa.json", "chats/session-2026-05-01T10-00-aaaaaaaa.jsonl"]


def test_partial_line_bad_bytes_and_duplicates(store: Store, isolated_home: Path) -> None:
    path = chat_file(isolated_home)
    good = json.dumps(gemini("m2", tokens(1000, 10, cached=400))).encode()
    bad_utf8 = json.dumps(gemini("m3", tokens(500, 5), second=6)).encode().replace(b"Sure.", b"Sur\xff\xfe.")
    write_lines(path, [meta(), good, good, b'{"id": "m4", "type": "gemini", "tokens": {"inp', bad_utf8,
                       gemini("m5", {"input": "lots", "output": 1}, second=7)])  # fmt: skip
    partial = json.dumps(gemini("m6", tokens(70, 7), second=8)).encode()
    with open(path, "ab") as fh:
        fh.write(partial[:40])  # still being written
    summary = scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "gemini") == (2, 600 + 500, 400, 0, 15, 0)
    assert skipped(summary, "gemini") == 2  # the broken JSON and the non-numeric count
    with open(path, "ab") as fh:
        fh.write(partial[40:] + b"\n")
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "gemini") == (3, 1170, 400, 0, 22, 0)


def test_tool_calls_and_failures(store: Store, isolated_home: Path) -> None:
    def call(status: str) -> dict:
        return {"id": "replace-17", "name": "replace", "args": {"file_path": "/home/dev/shop-api/a.py"},
                "status": status, "timestamp": "2026-05-01T10:00:06.000Z"}  # fmt: skip

    write_lines(chat_file(isolated_home), [meta(), gemini("m2", tokens(10, 1), toolCalls=[call("executing")]),
                                           gemini("m2", tokens(10, 1), toolCalls=[call("error")])])  # fmt: skip
    scan_with(store, SOURCES, env_at(isolated_home))
    calls = store.conn.execute("SELECT call_key, session_id, name, file_path, is_error FROM tool_call").fetchall()
    assert calls == [("replace-17", SESSION, "replace", "/home/dev/shop-api/a.py", 1)]
    assert sums(store, "gemini") == (1, 10, 0, 0, 1, 0)
