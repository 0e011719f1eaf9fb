"""Odd filesystems: symlink loops, strange names, FIFOs, files that vanish mid-scan, events in the future."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop.store import Store
from tests.helpers import daily, scan, totals
from tests.logs import at, claude_assistant, write_lines

DAY = "2026-03-02T09:00:00"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "a.sqlite")
    yield s
    s.close()


def projects(home: Path) -> Path:
    return home / ".claude" / "projects"


def test_symlink_loops_are_walked_once(store: Store, isolated_home: Path) -> None:
    folder = projects(isolated_home) / "p"
    write_lines(folder / "s.jsonl", [claude_assistant(at(DAY), "m1", "r1")])
    os.symlink(folder, folder / "loop")
    os.symlink(projects(isolated_home), folder / "up")
    summary = scan(store, isolated_home)
    assert totals(store)[-1] == 1 and summary.sources[0].files_found >= 1


def test_the_walk_lists_each_file_once_through_loops_and_aliases(tmp_path: Path) -> None:
    from desktop.sources.base import walk_file_names

    root = tmp_path / "projects"
    (root / "a" / "deep").mkdir(parents=True)
    (root / "b").mkdir()
    for name in ("a/one.jsonl", "a/deep/two.jsonl", "b/three.jsonl", "b/skip.txt"):
        (root / name).write_text("{}\n")
    os.symlink(root, root / "a" / "deep" / "up")  # a loop back to the root
    os.symlink(root / "a", root / "b" / "alias-of-a")  # a second name for a folder listed already
    os.symlink(tmp_path / "outside", root / "b" / "dangling")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "four.jsonl").write_text("{}\n")
    os.symlink(tmp_path / "elsewhere", root / "linked")  # a real folder reached only through a link
    found = sorted(os.path.relpath(p, root) for p in walk_file_names(str(root), ".jsonl"))
    assert found == ["a/deep/two.jsonl", "a/one.jsonl", "b/three.jsonl", "linked/four.jsonl"]


def test_odd_file_names(store: Store, isolated_home: Path) -> None:
    names = ["with space.jsonl", "ünïcödé-日本.jsonl", "emoji-🙂.jsonl", "new\nline.jsonl", "percent%3f?#.jsonl"]
    for i, name in enumerate(names):
        write_lines(projects(isolated_home) / "weird dir ✓" / name, [claude_assistant(at(DAY, i), f"m{i}", f"r{i}")])
    scan(store, isolated_home)
    assert totals(store)[-1] == len(names)
    scan(store, isolated_home)  # cursors found again by the same names
    assert totals(store)[-1] == len(names)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_fifo_named_like_a_log_is_not_opened(store: Store, isolated_home: Path) -> None:
    folder = projects(isolated_home) / "p"
    write_lines(folder / "s.jsonl", [claude_assistant(at(DAY), "m1", "r1")])
    os.mkfifo(folder / "pipe.jsonl")  # opening it would block the scan forever
    scan(store, isolated_home)
    assert totals(store)[-1] == 1


def test_a_file_that_vanishes_mid_scan_is_reported_not_fatal(store: Store, isolated_home: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    import desktop.parsing

    folder = projects(isolated_home) / "p"
    write_lines(folder / "a.jsonl", [claude_assistant(at(DAY), "m1", "r1")])
    doomed = write_lines(folder / "b.jsonl", [claude_assistant(at(DAY), "m2", "r2")])
    real = desktop.parsing.read_chunks

    def vanishing(path: Path, *args, **kwargs):
        if path == doomed and doomed.exists():
            doomed.unlink()  # deleted by the assistant's cleanup between listing and reading
        return real(path, *args, **kwargs)

    monkeypatch.setattr(desktop.parsing, "read_chunks", vanishing)
    summary = scan(store, isolated_home)
    assert totals(store)[-1] == 1
    assert any("b.jsonl" in problem for problem in summary.sources[0].unreadable)


def test_events_from_a_clock_set_ahead_are_kept_on_their_day(store: Store, isolated_home: Path) -> None:
    write_lines(projects(isolated_home) / "p" / "s.jsonl", [claude_assistant("2031-01-01T00:00:00.000Z", "m1", "r1")])
    scan(store, isolated_home)
    assert [r["date"] for r in daily(store)["rows"]] == ["2031-01-01"]
