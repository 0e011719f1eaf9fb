"""pi: one row per assistant message with usage, counted once across branch copies
(LOG-FORMATS §3.10, §5 row 41)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from desktop.sources.pi_agent import PiAgent
from desktop.store import Store
from tests.logs import write_lines
from tests.logs_more import env_at, rows, scan_with, skipped, sums

SESSION = "a1b2c3d4"
SONNET = "claude-sonnet-4-5"
SOURCES = [PiAgent()]
T0 = 1770732000000  # 2026-02-10T14:00:00Z


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "data" / "archive.sqlite")
    yield s
    s.close()


def session_file(agent_dir: Path, session: str = SESSION, cwd: str = "/home/dev/tool", when: str = "2026-02-10T14-00-00-000Z") -> Path:
    folder = "--" + cwd.strip("/").replace("/", "-") + "--"
    return agent_dir / "sessions" / folder / f"{when}_{session}.jsonl"


def header(session: str = SESSION, cwd: str = "/home/dev/tool", ts: str = "2026-02-10T14:00:00.000Z", **extra: Any) -> dict:
    return {"type": "session", "version": 3, "id": session, "timestamp": ts, "cwd": cwd, **extra}


def iso(ms: int) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def assistant(entry_id: str | None, second: int, *, input: int = 4, output: int = 180, cache_read: int = 12000,
              cache_write: int = 800, content: list | None = None, stop: str = "toolUse", cost: float = 0.009312,
              **usage_extra: Any) -> dict:  # fmt: skip
    ms = T0 + second * 1000
    usage = {"input": input, "output": output, "cacheRead": cache_read, "cacheWrite": cache_write,
             "totalTokens": input + output + cache_read + cache_write,
             "cost": {"input": 0.000012, "output": 0.0027, "cacheRead": 0.0036, "cacheWrite": 0.003, "total": cost}}  # fmt: skip
    usage.update(usage_extra)
    message = {"role": "assistant", "content": content or [{"type": "text", "text": "ok"}], "api": "anthropic-messages",
               "provider": "anthropic", "model": SONNET, "usage": usage, "stopReason": stop, "timestamp": ms}  # fmt: skip
    line = {"type": "message", "parentId": None, "timestamp": iso(ms), "message": message}
    if entry_id is not None:
        line["id"] = entry_id
    return line


def user(entry_id: str | None, second: int, text: str) -> dict:
    ms = T0 + second * 1000
    line = {"type": "message", "parentId": None, "timestamp": iso(ms),
            "message": {"role": "user", "content": [{"type": "text", "text": text}], "timestamp": ms}}  # fmt: skip
    if entry_id is not None:
        line["id"] = entry_id
    return line


def test_example_of_the_reference(store: Store, isolated_home: Path) -> None:
    """§3.10: 4 + 180 + 12000 + 800 = 12984, input already net of the cache; cost written in USD."""
    write_lines(session_file(isolated_home / ".pi" / "agent"), [header(), user("e4", 5, "fix the flaky test"), assistant("e5", 7)])
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "pi") == (1, 4, 12000, 800, 180, 0)
    assert rows(store, "pi", "session_id, project_path, model, provider, stored_cost, stored_cost_unit, alt_key") == [
        (SESSION, "/home/dev/tool", SONNET, "anthropic", 0.009312, "usd", "e5")]
    assert store.conn.execute("SELECT session_id, length FROM prompt WHERE source = 'pi'").fetchall() == [(SESSION, 18)]


@pytest.mark.parametrize("branch_sorts_first", [False, True])
def test_branched_session_replays_its_parent_once(store: Store, isolated_home: Path, branch_sorts_first: bool) -> None:
    """§5 row 41: the branch file repeats the parent's entries (same ids, same message times)."""
    agent = isolated_home / ".pi" / "agent"
    parent = session_file(agent)
    write_lines(parent, [header(), user("e1", 1, "plan the refactor"), assistant("e2", 2), assistant("e3", 3, output=50)])
    child = "ffff0000"
    when = "2026-02-09T00-00-00-000Z" if branch_sorts_first else "2026-02-11T09-00-00-000Z"
    write_lines(session_file(agent, child, when=when), [
        header(child, ts="2026-02-11T09:00:00.000Z", parentSession=str(parent)),
        user("e1", 1, "plan the refactor"), assistant("e2", 2),  # replayed
        assistant("e9", 90000, input=10, output=20, cache_read=0, cache_write=0),  # new in the branch
    ])  # fmt: skip
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "pi") == (3, 4 + 4 + 10, 24000, 1600, 180 + 50 + 20, 0)
    assert rows(store, "pi", "alt_key, session_id") == [("e2", SESSION), ("e3", SESSION), ("e9", child)]
    assert store.conn.execute("SELECT count(*) FROM prompt").fetchone() == (1,)
    assert store.conn.execute("SELECT parent_session_id FROM session WHERE session_id = ?", (child,)).fetchone() == (SESSION,)


def test_fork_into_another_project_read_later_counts_once(store: Store, isolated_home: Path) -> None:
    agent = isolated_home / ".pi" / "agent"
    parent = session_file(agent)
    write_lines(parent, [header(), assistant("e2", 2)])
    scan_with(store, SOURCES, env_at(isolated_home))
    fork = session_file(agent, "0f0f0f0f", cwd="/home/dev/other", when="2026-02-12T00-00-00-000Z")
    write_lines(fork, [header("0f0f0f0f", cwd="/home/dev/other", parentSession=str(parent)), assistant("e2", 2),
                       assistant("x1", 200000, cache_read=0, cache_write=0)])  # fmt: skip
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "pi") == (2, 8, 12000, 800, 360, 0)
    assert rows(store, "pi", "project_path") == [("/home/dev/tool",), ("/home/dev/other",)]


def test_v1_file_migrated_in_place_is_not_counted_again(store: Store, isolated_home: Path) -> None:
    """A v1 file has no entry ids; pi rewrites it with fresh random ids when it is opened again."""
    path = session_file(isolated_home / ".pi" / "agent")
    v1 = [{k: v for k, v in header().items() if k != "version"}, user(None, 1, "hello"), assistant(None, 2)]
    write_lines(path, v1)
    scan_with(store, SOURCES, env_at(isolated_home))
    migrated = [header(), user("9a8b7c6d", 1, "hello"), assistant("1f2e3d4c", 2), assistant("5e6f7a8b", 30, output=7)]
    write_lines(path, migrated)  # _rewriteFile: same inode, new head
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "pi") == (2, 8, 24000, 1600, 187, 0)
    assert store.conn.execute("SELECT count(*) FROM prompt").fetchone() == (1,)


def test_error_and_aborted_turns_have_no_usage(store: Store, isolated_home: Path) -> None:
    write_lines(session_file(isolated_home / ".pi" / "agent"), [
        header(),
        assistant("x1", 1, input=0, output=0, cache_read=0, cache_write=0, stop="error", cost=0),
        assistant("x2", 2, input=0, output=0, cache_read=0, cache_write=0, stop="aborted", cost=0),
        assistant("x3", 3, input=0, output=0, cache_read=0, cache_write=0, totalTokens=333),  # only a total
        assistant("x4", 4, input=100, output=60, cache_read=0, cache_write=0, reasoning=40),  # reasoning inside output
    ])  # fmt: skip
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "pi") == (2, 100, 0, 0, 333 + 60, 40)
    assert rows(store, "pi", "reasoning_in_output") == [(1,), (1,)]


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_agent_folder_default_and_override(store: Store, isolated_home: Path, tmp_path: Path, platform: str) -> None:
    assert PiAgent().roots(env_at(isolated_home, platform)) == [isolated_home / ".pi" / "agent" / "sessions"]
    custom = tmp_path / "pi-profile"
    write_lines(session_file(custom), [header(), assistant("e5", 7)])
    write_lines(session_file(isolated_home / ".pi" / "agent", "eeeeeeee"), [header("eeeeeeee"), assistant("zz", 9, output=1)])
    scan_with(store, SOURCES, env_at(isolated_home, platform, PI_CODING_AGENT_DIR=str(custom)))
    assert sums(store, "pi") == (1, 4, 12000, 800, 180, 0)


def test_partial_line_bad_bytes_and_duplicates(store: Store, isolated_home: Path) -> None:
    path = session_file(isolated_home / ".pi" / "agent")
    line = json.dumps(assistant("e5", 7)).encode()
    bad_utf8 = json.dumps(assistant("e6", 8, content=[{"type": "text", "text": "caf\u00e9"}])).encode().replace(b"\\u00e9", b"\xe9")
    write_lines(path, [header(), line, line, b'{"type":"message","id":"e7","message":{"role":"assistant","usage":{"input":',
                       bad_utf8, assistant("e8", 9, input=True)])  # fmt: skip
    partial = json.dumps(assistant("e9", 10, input=1, output=2, cache_read=0, cache_write=0)).encode()
    with open(path, "ab") as fh:
        fh.write(partial[:50])
    summary = scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "pi") == (2, 8, 24000, 1600, 360, 0)
    assert skipped(summary, "pi") == 2
    with open(path, "ab") as fh:
        fh.write(partial[50:] + b"\n")
    scan_with(store, SOURCES, env_at(isolated_home))
    assert sums(store, "pi") == (3, 9, 24000, 1600, 362, 0)


def test_tool_calls_and_failures_once_across_copies(store: Store, isolated_home: Path) -> None:
    agent = isolated_home / ".pi" / "agent"
    call = {"type": "toolCall", "id": "toolu_01", "name": "edit", "arguments": {"path": "src/a.ts", "oldText": "a"}}
    failed = {"type": "message", "id": "e6", "parentId": "e5", "timestamp": iso(T0 + 8000),
              "message": {"role": "toolResult", "toolCallId": "toolu_01", "toolName": "edit", "content": [],
                          "isError": True, "timestamp": T0 + 8000}}  # fmt: skip
    parent = session_file(agent)
    write_lines(parent, [header(), assistant("e5", 7, content=[call]), failed])
    write_lines(session_file(agent, "b0b0b0b0", when="2026-02-11T00-00-00-000Z"),
                [header("b0b0b0b0", parentSession=str(parent)), assistant("e5", 7, content=[call]), failed])  # fmt: skip
    scan_with(store, SOURCES, env_at(isolated_home))
    calls = store.conn.execute("SELECT call_key, session_id, name, file_path, is_error FROM tool_call").fetchall()
    assert calls == [("toolu_01", SESSION, "edit", "src/a.ts", 1)]
    assert sums(store, "pi") == (1, 4, 12000, 800, 180, 0)
