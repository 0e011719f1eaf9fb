"""Claude Code: every pitfall of LOG-FORMATS §5 rows 1-10, plus the reading rules of §2.3-2.4."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from desktop.store import Store
from tests.helpers import daily, scan, totals
from tests.logs import at, claude_assistant, claude_file, claude_user, tool_result, tool_use, write_lines

DAY = "2026-03-02T09:00:00"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "data" / "archive.sqlite")
    yield s
    s.close()


def test_one_line_per_content_block_is_one_call(store: Store, isolated_home: Path) -> None:
    """Pitfall 1: four lines of one response repeat the full usage; count it once."""
    lines = [claude_assistant(at(DAY, i), "msg_1", "req_1", input=6, cache_write=1200, cache_read=40100, output=214)
             for i in range(4)]  # fmt: skip
    write_lines(claude_file(isolated_home, "s1"), lines)
    scan(store, isolated_home)
    assert totals(store, "claude") == (6, 1200, 40100, 214, 0, 1)


def test_streaming_snapshot_keeps_the_highest_output(store: Store, isolated_home: Path) -> None:
    """Pitfall 2: early lines carry output 9 from message_start; the last has the real count."""
    lines = [
        claude_assistant(at(DAY, 0), "msg_1", "req_1", output=9, cache_write=1200, cache_read=40100),
        claude_assistant(at(DAY, 2), "msg_1", "req_1", output=214, cache_write=1200, cache_read=40100),
        claude_assistant(at(DAY, 3), "msg_1", "req_1", output=1, cache_write=1200, cache_read=40100),
    ]
    write_lines(claude_file(isolated_home, "s1"), lines)
    scan(store, isolated_home)
    assert totals(store, "claude") == (10, 1200, 40100, 214, 0, 1)


def test_streaming_copies_across_scans_upgrade_the_row(store: Store, isolated_home: Path) -> None:
    """The placeholder is read in one scan and the final line in the next: the row improves, never doubles."""
    path = claude_file(isolated_home, "s1")
    write_lines(path, [claude_assistant(at(DAY, 0), "msg_1", "req_1", output=9)])
    scan(store, isolated_home)
    write_lines(path, [claude_assistant(at(DAY, 2), "msg_1", "req_1", output=300)], append=True)
    scan(store, isolated_home)
    assert totals(store, "claude") == (10, 0, 0, 300, 0, 1)


def test_missing_request_id_falls_back_to_message_id(store: Store, isolated_home: Path) -> None:
    """Pitfall 3: gateways write no requestId; blocks of one response still count once."""
    lines = [claude_assistant(at(DAY, i), "msg_gw", None, input=100, output=50 + i) for i in range(3)]
    lines.append(claude_assistant(at(DAY, 9), "msg_gw2", None, input=7, output=3))
    write_lines(claude_file(isolated_home, "s1"), lines)
    scan(store, isolated_home)
    assert totals(store, "claude") == (107, 0, 0, 55, 0, 2)


def test_only_request_id_keys_on_it(store: Store, isolated_home: Path) -> None:
    lines = [claude_assistant(at(DAY, i), None, "req_only", input=4, output=2) for i in range(2)]
    write_lines(claude_file(isolated_home, "s1"), lines)
    scan(store, isolated_home)
    assert totals(store, "claude") == (4, 0, 0, 2, 0, 1)


def test_same_message_in_two_session_files_counts_once(store: Store, isolated_home: Path) -> None:
    """Pitfall 4: a resumed session repeats earlier lines in a new file, under another sessionId."""
    call = dict(input=20, output=30, cache_read=500)
    write_lines(claude_file(isolated_home, "s1"), [claude_assistant(at(DAY), "msg_1", "req_1", **call)])
    write_lines(
        claude_file(isolated_home, "s2", project="/home/dev/other"),
        [claude_assistant(at(DAY), "msg_1", "req_1", session="s2", **call),
         claude_assistant(at(DAY, 60), "msg_2", "req_2", session="s2", input=1, output=2)],
    )  # fmt: skip
    scan(store, isolated_home)
    assert totals(store, "claude") == (21, 0, 500, 32, 0, 2)


@pytest.mark.parametrize("sidechain_first", [True, False])
def test_btw_sidechain_replay_loses_to_the_main_copy(store: Store, isolated_home: Path, sidechain_first: bool) -> None:
    """Pitfall 5: `/btw` replays a parent message with the same message id and a NEW requestId."""
    main = claude_file(isolated_home, "s1")
    side = main.parent / "s1" / "subagents" / "agent-btw1.jsonl"
    main_line = claude_assistant(at(DAY), "msg_1", "req_1", input=10, output=40)
    side_lines = [claude_assistant(at(DAY, 30), "msg_1", "req_NEW", input=10, output=40, sidechain=True),
                  claude_assistant(at(DAY, 31), "msg_side", "req_side", input=3, output=4, sidechain=True)]  # fmt: skip
    if sidechain_first:
        write_lines(side, side_lines)
        scan(store, isolated_home)
        write_lines(main, [main_line])
    else:
        write_lines(main, [main_line])
        scan(store, isolated_home)
        write_lines(side, side_lines)
    scan(store, isolated_home)
    assert totals(store, "claude") == (13, 0, 0, 44, 0, 2)
    kept = store.conn.execute("SELECT dedup_key, is_sidechain FROM usage_event ORDER BY dedup_key").fetchall()
    assert kept == [("msg_1:req_1", 0), ("msg_side:req_side", 1)]


def test_archive_outlives_deleted_logs(store: Store, isolated_home: Path) -> None:
    """Pitfall 6: Claude deletes transcripts after 30 days; our rows stay."""
    path = write_lines(claude_file(isolated_home, "s1"), [claude_assistant(at(DAY), "msg_1", "req_1")])
    scan(store, isolated_home)
    before = totals(store)
    path.unlink()
    summary = scan(store, isolated_home)
    assert totals(store) == before == (10, 0, 0, 5, 0, 1)
    assert summary.sources[0].files_missing == 1
    assert store.conn.execute("SELECT missing FROM source_file").fetchone() == (1,)


def test_project_comes_from_cwd_not_the_folder_name(store: Store, isolated_home: Path) -> None:
    """Pitfall 7: `my_project` and `my-project` encode to the same folder; the cwd field tells them apart."""
    folder = isolated_home / ".claude" / "projects" / "-home-dev-my-project"
    write_lines(folder / "a.jsonl", [claude_assistant(at(DAY), "m1", "r1", session="a", cwd="/home/dev/my_project")])
    write_lines(folder / "b.jsonl", [claude_assistant(at(DAY), "m2", "r2", session="b", cwd="/home/dev/my-project")])
    scan(store, isolated_home)
    projects = [r[0] for r in store.conn.execute("SELECT DISTINCT project_path FROM usage_event ORDER BY 1")]
    assert projects == ["/home/dev/my-project", "/home/dev/my_project"]


def test_null_fields_are_absent_not_fatal(store: Store, isolated_home: Path) -> None:
    """Pitfall 8: null in id or numeric fields: treat as absent."""
    line = claude_assistant(at(DAY), "msg_1", "req_1", input=10, output=5)
    line["gitBranch"] = None
    line["costUSD"] = None
    line["message"]["usage"]["cache_read_input_tokens"] = None
    line["message"]["usage"]["cache_creation_input_tokens"] = None
    write_lines(claude_file(isolated_home, "s1"), [line])
    scan(store, isolated_home)
    assert totals(store, "claude") == (10, 0, 0, 5, 0, 1)


def test_synthetic_lines_are_not_calls(store: Store, isolated_home: Path) -> None:
    """Pitfall 9: `<synthetic>` notices have meaningless usage and are not billed."""
    lines = [
        claude_assistant(at(DAY), "msg_syn", "req_syn", model="<synthetic>", input=0, output=0, isApiErrorMessage=True),
        claude_assistant(at(DAY, 5), "msg_1", "req_1", input=3, output=4),
    ]
    write_lines(claude_file(isolated_home, "s1"), lines)
    scan(store, isolated_home)
    assert totals(store, "claude") == (3, 0, 0, 4, 0, 1)


def test_workflow_journal_is_not_usage(store: Store, isolated_home: Path) -> None:
    """Pitfall 10: subagents/**/journal.jsonl is orchestration metadata."""
    main = claude_file(isolated_home, "s1")
    journal = main.parent / "s1" / "subagents" / "workflows" / "wf1" / "journal.jsonl"
    write_lines(journal, [claude_assistant(at(DAY), "msg_j", "req_j", input=999, output=999)])
    write_lines(main, [claude_assistant(at(DAY), "msg_1", "req_1")])
    scan(store, isolated_home)
    assert totals(store, "claude") == (10, 0, 0, 5, 0, 1)


def test_subagent_files_count_for_the_parent_session(store: Store, isolated_home: Path) -> None:
    main = claude_file(isolated_home, "parent")
    sub = main.parent / "parent" / "subagents" / "agent-a1.jsonl"
    (sub.parent).mkdir(parents=True)
    (sub.parent / "agent-a1.meta.json").write_text(json.dumps({"agentType": "code-reviewer"}))
    compact = sub.parent / "agent-acompact-9f.jsonl"
    write_lines(main, [claude_assistant(at(DAY), "m1", "r1", session="parent")])
    write_lines(sub, [claude_assistant(at(DAY, 9), "m2", "r2", session="parent", sidechain=True, input=7, output=8)])
    write_lines(compact, [claude_assistant(at(DAY, 19), "m3", "r3", session="parent", sidechain=True, input=1, output=1)])
    scan(store, isolated_home)
    rows = store.conn.execute("SELECT session_id, agent, output FROM usage_event ORDER BY ts_ms").fetchall()
    assert rows == [("parent", None, 5), ("parent", "code-reviewer", 8), ("parent", "compaction", 1)]


def test_cache_ttl_split_and_stored_cost(store: Store, isolated_home: Path) -> None:
    line = claude_assistant(at(DAY), "m1", "r1", input=10, cache_write=100, cache_1h=50, output=5, costUSD=0.25)
    write_lines(claude_file(isolated_home, "s1"), [line])
    scan(store, isolated_home)
    row = store.conn.execute("SELECT cache_write_5m, cache_write_1h, stored_cost, stored_cost_unit FROM usage_event").fetchone()
    assert row == (100, 50, 0.25, "usd")
    assert daily(store)["rows"][0]["cost_usd"] == 0.25  # the tool's own figure wins when present


def test_partial_last_line_waits_until_it_is_complete(store: Store, isolated_home: Path) -> None:
    """Pitfall 50: a line still being written is not consumed; the cursor stops before it."""
    path = claude_file(isolated_home, "s1")
    full = json.dumps(claude_assistant(at(DAY, 1), "m2", "r2", input=100, output=200)).encode()
    write_lines(path, [claude_assistant(at(DAY), "m1", "r1")])
    with open(path, "ab") as fh:
        fh.write(full[:40])
    scan(store, isolated_home)
    assert totals(store) == (10, 0, 0, 5, 0, 1)
    with open(path, "ab") as fh:
        fh.write(full[40:] + b"\n")
    scan(store, isolated_home)
    assert totals(store) == (110, 0, 0, 205, 0, 2)


def test_bad_utf8_and_broken_json_lose_only_themselves(store: Store, isolated_home: Path) -> None:
    """Pitfall 49: one bad byte must not end the read; bad lines are skipped and counted with their numbers."""
    good = json.dumps(claude_assistant(at(DAY), "m1", "r1", input=1, output=2)).encode()
    bad_utf8 = json.dumps(claude_assistant(at(DAY, 1), "m2", "r2", input=3, output=4, cwd="/home/dev/caf\u00e9"), ensure_ascii=False)
    bad_utf8_bytes = bad_utf8.encode().replace("\u00e9".encode(), b"\xe9")
    lines = [good, b"{not json", bad_utf8_bytes, b'{"type":"assistant","message":', json.dumps(
        claude_assistant(at(DAY, 2), "m3", "r3", input=5, output=6)).encode()]  # fmt: skip
    write_lines(claude_file(isolated_home, "s1"), lines)
    summary = scan(store, isolated_home)
    assert totals(store) == (9, 0, 0, 12, 0, 3)
    assert summary.sources[0].lines_skipped == 2
    assert store.conn.execute("SELECT lines_skipped, bad_lines FROM source_file").fetchone() == (2, "[2, 4]")
    assert store.conn.execute("SELECT project_path FROM usage_event WHERE dedup_key = 'm2:r2'").fetchone() == (
        "/home/dev/caf\ufffd",
    )


def test_wrong_types_and_absurd_numbers_are_bad_lines(store: Store, isolated_home: Path) -> None:
    as_text = claude_assistant(at(DAY), "m1", "r1", input=10, output=5)
    as_text["message"]["usage"]["output_tokens"] = "5"  # coerced: a number written as text
    huge = claude_assistant(at(DAY, 1), "m2", "r2")
    huge["message"]["usage"]["input_tokens"] = 10**30
    negative = claude_assistant(at(DAY, 2), "m3", "r3")
    negative["message"]["usage"]["output_tokens"] = -4
    nested = claude_assistant(at(DAY, 3), "m4", "r4")
    nested["message"]["usage"] = [1, 2]
    write_lines(claude_file(isolated_home, "s1"), [as_text, huge, negative, nested])
    summary = scan(store, isolated_home)
    assert totals(store) == (10, 0, 0, 5, 0, 1)
    assert summary.sources[0].lines_skipped == 3


def test_truncated_file_is_reread_without_double_counting(store: Store, isolated_home: Path) -> None:
    path = claude_file(isolated_home, "s1")
    write_lines(path, [claude_assistant(at(DAY, i), f"m{i}", f"r{i}", input=1, output=1) for i in range(5)])
    scan(store, isolated_home)
    write_lines(path, [claude_assistant(at(DAY, 0), "m0", "r0", input=1, output=1),
                       claude_assistant(at(DAY, 9), "m9", "r9", input=1, output=1)])  # fmt: skip
    summary = scan(store, isolated_home)
    assert summary.sources[0].files_reread == 1
    assert totals(store) == (6, 0, 0, 6, 0, 6)


def test_replaced_file_same_size_is_detected_by_its_head(store: Store, isolated_home: Path) -> None:
    path = claude_file(isolated_home, "s1")
    write_lines(path, [claude_assistant(at(DAY, 0), "mA", "rA", input=1, output=1)])
    scan(store, isolated_home)
    tmp = path.with_suffix(".tmp")
    write_lines(tmp, [claude_assistant(at(DAY, 0), "mB", "rB", input=1, output=1),
                      claude_assistant(at(DAY, 1), "mC", "rC", input=1, output=1)])  # fmt: skip
    os.replace(tmp, path)  # atomic replace: new inode
    summary = scan(store, isolated_home)
    assert summary.sources[0].files_reread == 1
    assert totals(store) == (3, 0, 0, 3, 0, 3)


def test_config_dir_comma_list_and_xdg_location(store: Store, isolated_home: Path) -> None:
    a = isolated_home / "cfgA"
    b = isolated_home / "cfgB" / "projects"
    write_lines(a / "projects" / "p" / "x.jsonl", [claude_assistant(at(DAY), "m1", "r1", session="x")])
    write_lines(b / "p" / "y.jsonl", [claude_assistant(at(DAY), "m2", "r2", session="y")])
    write_lines(isolated_home / ".claude" / "projects" / "p" / "z.jsonl", [claude_assistant(at(DAY), "m3", "r3")])
    scan(store, isolated_home, CLAUDE_CONFIG_DIR=f"{a}, {b}")
    assert totals(store)[-1] == 2  # ~/.claude is not read when CLAUDE_CONFIG_DIR is set
    other = Store.memory()
    write_lines(isolated_home / ".config" / "claude" / "projects" / "p" / "w.jsonl", [claude_assistant(at(DAY), "m4", "r4")])
    scan(other, isolated_home)
    assert totals(other)[-1] == 2  # ~/.claude and ~/.config/claude both


def test_prompts_tool_calls_and_errors_are_recorded(store: Store, isolated_home: Path) -> None:
    lines = [
        claude_user(at(DAY), "fix the failing test in app.py", uuid="p1", entrypoint="cli"),
        claude_user(at(DAY, 1), "<system-reminder>ctx</system-reminder>", uuid="p2", isMeta=True),
        claude_user(at(DAY, 2), "<command-name>/clear</command-name>", uuid="p3"),
        claude_assistant(at(DAY, 3), "m1", "r1", block=tool_use("toolu_1", "Edit", file_path="/home/dev/shop-api/app.py",
                                                                old_string="a", new_string="b")),  # fmt: skip
        claude_assistant(at(DAY, 4), "m1", "r1", block=tool_use("toolu_2", "Bash", command="pytest")),
        claude_user(at(DAY, 5), tool_result("toolu_2", is_error=True), uuid="p4"),
        claude_user(at(DAY, 6), [{"type": "text", "text": "now   run it again"}], uuid="p5"),
    ]
    write_lines(claude_file(isolated_home, "s1"), lines)
    scan(store, isolated_home)
    prompts = store.conn.execute("SELECT prompt_key, length, excerpt FROM prompt ORDER BY ts_ms").fetchall()
    assert prompts == [("p1", 30, "fix the failing test in app.py"), ("p5", 18, "now run it again")]
    calls = store.conn.execute("SELECT call_key, name, file_path, is_error FROM tool_call ORDER BY call_key").fetchall()
    assert calls == [("toolu_1", "Edit", "/home/dev/shop-api/app.py", 0), ("toolu_2", "Bash", None, 1)]
    session = store.conn.execute("SELECT session_id, project_path, entrypoint, first_ts_ms < last_ts_ms FROM session").fetchone()
    assert session == ("s1", "/home/dev/shop-api", "cli", 1)


def test_excerpts_can_be_turned_off(store: Store, isolated_home: Path) -> None:
    store.settings.set("store_prompt_excerpts", False)
    write_lines(claude_file(isolated_home, "s1"), [claude_user(at(DAY), "secret plan", uuid="p1")])
    scan(store, isolated_home)
    assert store.conn.execute("SELECT length, excerpt FROM prompt").fetchone() == (11, None)


def test_a_new_price_table_reprices_every_row_once(store: Store, isolated_home: Path) -> None:
    from desktop.ingest import reprice
    from tests.helpers import prices

    write_lines(claude_file(isolated_home, "s1"), [claude_assistant(at(DAY), "m1", "r1", input=1_000_000, output=0)])
    scan(store, isolated_home)
    before = store.conn.execute("SELECT computed_cost_usd FROM usage_event").fetchone()[0]
    cheaper = prices().with_overrides({"claude-sonnet-4-5-20250929": {"input_cost_per_token": 1e-06}})
    assert reprice(store, cheaper) == 1
    assert store.conn.execute("SELECT computed_cost_usd FROM usage_event").fetchone()[0] == pytest.approx(1.0)
    assert before == pytest.approx(3.0)
    assert reprice(store, cheaper) == 0  # already priced with this table: nothing read again
