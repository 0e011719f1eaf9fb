"""Codex CLI: every pitfall of LOG-FORMATS §5 rows 11-20, and resuming per-file state across scans."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.store import Store
from tests.helpers import scan, totals
from tests.logs import at, codex_file, codex_meta, codex_prompt, codex_tokens, codex_turn, usage, write_lines

DAY = "2026-04-10T08:00:00"
PARENT = "0196a1b2-0000-7000-8000-00000000c0de"
FORK = "0196a1b2-0000-7000-8000-00000000f0f0"
CHILD = "0196a1b2-0000-7000-8000-00000000cccc"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "data" / "archive.sqlite")
    yield s
    s.close()


def session(thread: str = PARENT, **meta) -> list[dict]:
    return [codex_meta(at(DAY), thread, **meta), codex_turn(at(DAY, 1))]


def test_example_of_the_reference(store: Store, isolated_home: Path) -> None:
    """LOG-FORMATS §3.2 example: input_uncached 3,000, cache_read 6,000, output 400 with 250 reasoning."""
    t = usage(9000, 6000, 400, 250)
    write_lines(codex_file(isolated_home, PARENT), session() + [codex_tokens(at(DAY, 9), t, t), codex_tokens(at(DAY, 12), t, t)])
    scan(store, isolated_home)
    assert totals(store, "codex") == (3000, 0, 6000, 400, 250, 1)


def test_reemitted_token_count_is_not_a_new_call(store: Store, isolated_home: Path) -> None:
    """Pitfall 11: same cumulative total, new timestamp: nothing new happened."""
    t1, t2 = usage(100, 40, 12, 4), usage(250, 140, 30, 10)
    lines = session() + [
        codex_tokens(at(DAY, 9), t1, t1),
        codex_tokens(at(DAY, 10), t1, t1),  # rate-limit refresh
        codex_tokens(at(DAY, 20), t2, usage(150, 100, 18, 6)),
        codex_tokens(at(DAY, 21), t2, usage(150, 100, 18, 6)),  # stream boundary
        codex_tokens(at(DAY, 22), None, None),  # info: null
    ]
    write_lines(codex_file(isolated_home, PARENT), lines)
    scan(store, isolated_home)
    assert totals(store, "codex") == (110, 0, 140, 30, 10, 2)


def test_fork_replay_with_rewritten_timestamps_is_dropped(store: Store, isolated_home: Path) -> None:
    """Pitfall 12: a fork replays the parent's counters at the fork time; only its new calls count."""
    t1, t2, t3 = usage(100, 0, 10), usage(300, 100, 30), usage(600, 300, 70)
    write_lines(codex_file(isolated_home, PARENT), session() + [codex_tokens(at(DAY, 9), t1, t1),
                                                                codex_tokens(at(DAY, 19), t2, usage(200, 100, 20))])  # fmt: skip
    fork_day = "2026-04-12T10:00:00"
    fork = [codex_meta(at(fork_day), FORK, forked_from=PARENT), codex_meta(at(DAY), PARENT), codex_turn(at(fork_day, 1)),
            codex_tokens(at(fork_day, 1), t1, t1), codex_tokens(at(fork_day, 1), t2, usage(200, 100, 20)),
            codex_tokens(at(fork_day, 50), t3, usage(300, 200, 40))]  # fmt: skip
    write_lines(codex_file(isolated_home, FORK, day="2026-04-12"), fork)
    scan(store, isolated_home)
    assert totals(store, "codex") == (300, 0, 300, 70, 0, 3)
    days = store.conn.execute("SELECT session_id, date(ts_ms / 1000, 'unixepoch') FROM usage_event ORDER BY ts_ms").fetchall()
    assert days == [(PARENT, "2026-04-10"), (PARENT, "2026-04-10"), (FORK, "2026-04-12")]


def test_fork_read_before_its_parent_still_counts_once(store: Store, isolated_home: Path) -> None:
    t1, t2 = usage(100, 0, 10), usage(300, 100, 30)
    fork_day = "2026-04-12T10:00:00"
    write_lines(codex_file(isolated_home, FORK, day="2026-04-12"),
                [codex_meta(at(fork_day), FORK, forked_from=PARENT), codex_turn(at(fork_day)),
                 codex_tokens(at(fork_day, 1), t1, t1), codex_tokens(at(fork_day, 9), t2, usage(200, 100, 20))])  # fmt: skip
    scan(store, isolated_home)
    write_lines(codex_file(isolated_home, PARENT), session() + [codex_tokens(at(DAY, 9), t1, t1)])
    scan(store, isolated_home)
    assert totals(store, "codex") == (200, 0, 100, 30, 0, 2)


def test_subagent_replay_and_fork_of_a_fork_key_to_the_root(store: Store, isolated_home: Path) -> None:
    t1, t2, t3 = usage(100, 0, 10), usage(300, 100, 30), usage(400, 150, 35)
    write_lines(codex_file(isolated_home, PARENT), session() + [codex_tokens(at(DAY, 9), t1, t1)])
    spawn = {"subagent": {"thread_spawn": {"parent_thread_id": PARENT, "depth": 1}}}
    write_lines(codex_file(isolated_home, CHILD), [codex_meta(at(DAY, 30), CHILD, source=spawn), codex_turn(at(DAY, 30)),
                                                   codex_tokens(at(DAY, 30), t1, t1),
                                                   codex_tokens(at(DAY, 40), t2, usage(200, 100, 20))])  # fmt: skip
    grandchild = "0196a1b2-0000-7000-8000-00000000dddd"
    write_lines(codex_file(isolated_home, grandchild), [codex_meta(at(DAY, 60), grandchild, forked_from=CHILD),
                                                        codex_turn(at(DAY, 60)), codex_tokens(at(DAY, 60), t1, t1),
                                                        codex_tokens(at(DAY, 60), t2, t2),
                                                        codex_tokens(at(DAY, 70), t3, usage(100, 50, 5))])  # fmt: skip
    scan(store, isolated_home)
    assert totals(store, "codex") == (250, 0, 150, 35, 0, 3)
    side = store.conn.execute("SELECT session_id, is_sidechain, parent_session_id FROM usage_event ORDER BY ts_ms").fetchall()
    assert side == [(PARENT, 0, None), (CHILD, 1, PARENT), (grandchild, 0, CHILD)]


def test_interleaved_rate_limit_lanes_keep_their_own_baselines(store: Store, isolated_home: Path) -> None:
    """Pitfall 13: two lanes alternate cumulative counters; one baseline would invent huge deltas."""
    a1, a2 = usage(100, 0, 10), usage(180, 50, 20)
    b1, b2 = usage(5000, 0, 500), usage(5100, 0, 510)
    lines = session() + [
        codex_tokens(at(DAY, 1), a1, a1, "codex"),
        codex_tokens(at(DAY, 2), b1, b1, "codex_bengalfox"),
        codex_tokens(at(DAY, 3), a2, usage(80, 50, 10), "codex"),
        codex_tokens(at(DAY, 4), b2, usage(100, 0, 10), "codex_bengalfox"),
    ]
    write_lines(codex_file(isolated_home, PARENT), lines)
    scan(store, isolated_home)
    assert totals(store, "codex") == (5230, 0, 50, 530, 0, 4)


def test_counter_going_backwards_is_a_new_baseline(store: Store, isolated_home: Path) -> None:
    """Pitfall 14: compaction lowers the cumulative total; count the call's own usage, never negative."""
    t1, t2, t3 = usage(1000, 0, 100), usage(200, 0, 20), usage(260, 10, 25)
    lines = session() + [codex_tokens(at(DAY, 1), t1, t1), codex_tokens(at(DAY, 2), t2, usage(200, 0, 20)),
                         codex_tokens(at(DAY, 3), t3, usage(60, 10, 5))]  # fmt: skip
    write_lines(codex_file(isolated_home, PARENT), lines)
    scan(store, isolated_home)
    assert totals(store, "codex") == (1250, 0, 10, 125, 0, 3)


def test_missing_model_falls_back_and_is_flagged(store: Store, isolated_home: Path) -> None:
    """Pitfall 17: September-2025 logs lack turn_context."""
    t = usage(100, 0, 10)
    write_lines(codex_file(isolated_home, PARENT), [codex_meta(at(DAY), PARENT), codex_tokens(at(DAY, 1), t, t)])
    scan(store, isolated_home)
    assert store.conn.execute("SELECT model, model_is_fallback, price_status FROM usage_event").fetchone() == ("gpt-5", 1, "priced")


def test_model_is_the_latest_turn_context(store: Store, isolated_home: Path) -> None:
    t1, t2 = usage(100, 0, 10), usage(200, 0, 20)
    lines = session() + [codex_tokens(at(DAY, 2), t1, t1), codex_turn(at(DAY, 3), "gpt-5.1-codex"),
                         codex_tokens(at(DAY, 4), t2, usage(100, 0, 10))]  # fmt: skip
    write_lines(codex_file(isolated_home, PARENT), lines)
    scan(store, isolated_home)
    assert [r[0] for r in store.conn.execute("SELECT model FROM usage_event ORDER BY ts_ms")] == ["gpt-5-codex", "gpt-5.1-codex"]


def test_saved_exec_json_beside_the_rollouts_is_not_read(store: Store, isolated_home: Path) -> None:
    """Pitfall 18: the same run also wrote a rollout; read one surface only."""
    t = usage(100, 0, 10)
    write_lines(codex_file(isolated_home, PARENT), session() + [codex_tokens(at(DAY, 2), t, t)])
    write_lines(isolated_home / ".codex" / "sessions" / "exec-output.jsonl",
                [{"type": "turn.completed", "usage": {"input_tokens": 100, "cached_input_tokens": 0, "output_tokens": 10}}])
    scan(store, isolated_home)
    assert totals(store, "codex") == (100, 0, 0, 10, 0, 1)


def test_same_rollout_in_sessions_and_archived_counts_once(store: Store, isolated_home: Path) -> None:
    """Pitfall 19."""
    t = usage(100, 20, 10)
    lines = session() + [codex_tokens(at(DAY, 2), t, t)]
    write_lines(codex_file(isolated_home, PARENT), lines)
    write_lines(codex_file(isolated_home, PARENT, archived=True), lines)
    scan(store, isolated_home)
    assert totals(store, "codex") == (80, 0, 20, 10, 0, 1)


def test_date_comes_from_the_line_not_the_local_time_path(store: Store, isolated_home: Path) -> None:
    """Pitfall 20: the folder says 04/11 (local time); the UTC timestamp says 04/10 23:30."""
    t = usage(100, 0, 10)
    late = "2026-04-10T23:30:00"
    path = codex_file(isolated_home, PARENT, day="2026-04-11")
    write_lines(path, [codex_meta(at(late), PARENT), codex_turn(at(late)), codex_tokens(at(late, 5), t, t)])
    scan(store, isolated_home)
    assert store.conn.execute("SELECT date(ts_ms / 1000, 'unixepoch') FROM usage_event").fetchone() == ("2026-04-10",)


def test_state_survives_between_scans(store: Store, isolated_home: Path) -> None:
    """The model and the lane baselines of the first scan decide the second scan's deltas."""
    path = codex_file(isolated_home, PARENT)
    t1, t2 = usage(100, 0, 10), usage(250, 50, 30)
    write_lines(path, session() + [codex_tokens(at(DAY, 2), t1, t1)])
    scan(store, isolated_home)
    write_lines(path, [codex_tokens(at(DAY, 3), t1, t1), codex_tokens(at(DAY, 4), t2, usage(150, 50, 20))], append=True)
    scan(store, isolated_home)
    assert totals(store, "codex") == (200, 0, 50, 30, 0, 2)
    assert store.conn.execute("SELECT DISTINCT model FROM usage_event").fetchall() == [("gpt-5-codex",)]


def test_codex_home_comma_list_and_prompts(store: Store, isolated_home: Path) -> None:
    other = isolated_home / "work-codex"
    t = usage(100, 0, 10)
    write_lines(other / "sessions" / "2026" / "04" / "10" / f"rollout-2026-04-10T08-00-00-{PARENT}.jsonl",
                session() + [codex_prompt(at(DAY, 1), "add a health endpoint"), codex_tokens(at(DAY, 2), t, t)])  # fmt: skip
    scan(store, isolated_home, CODEX_HOME=f"{isolated_home / '.codex'},{other}")
    assert totals(store, "codex") == (100, 0, 0, 10, 0, 1)
    assert store.conn.execute("SELECT excerpt, length FROM prompt").fetchone() == ("add a health endpoint", 21)
    assert store.conn.execute("SELECT project_path, git_branch, entrypoint FROM session").fetchone() == ("/home/dev/api", "main", "cli")


def test_tool_calls_and_failed_outputs(store: Store, isolated_home: Path) -> None:
    def call(ts: str, call_id: str, name: str, args: str) -> dict:
        return {"timestamp": ts, "type": "response_item",
                "payload": {"type": "function_call", "name": name, "arguments": args, "call_id": call_id}}  # fmt: skip

    def output(ts: str, call_id: str, code: int) -> dict:
        inner = json.dumps({"output": "x" * 40, "metadata": {"exit_code": code, "duration_seconds": 0.2}})
        return {"timestamp": ts, "type": "response_item",
                "payload": {"type": "function_call_output", "call_id": call_id, "output": inner}}  # fmt: skip

    patch = "*** Begin Patch\n*** Update File: src/app.py\n@@\n-a\n+b\n*** End Patch"
    lines = session() + [
        call(at(DAY, 2), "c1", "shell", json.dumps({"command": ["pytest"]})),
        output(at(DAY, 3), "c1", 1),
        call(at(DAY, 4), "c2", "shell", json.dumps({"command": ["ls"]})),
        output(at(DAY, 5), "c2", 0),
        {"timestamp": at(DAY, 6), "type": "response_item",
         "payload": {"type": "custom_tool_call", "name": "apply_patch", "input": patch, "call_id": "c3"}},  # fmt: skip
        call(at(DAY, 7), "c4", "apply_patch", json.dumps({"input": patch.replace("src/app.py", "README.md")})),
    ]
    write_lines(codex_file(isolated_home, PARENT), lines)
    scan(store, isolated_home)
    rows = store.conn.execute("SELECT call_key, name, is_error, file_path FROM tool_call ORDER BY call_key").fetchall()
    assert rows == [("c1", "shell", 1, None), ("c2", "shell", 0, None), ("c3", "apply_patch", 0, "src/app.py"),
                    ("c4", "apply_patch", 0, "README.md")]
