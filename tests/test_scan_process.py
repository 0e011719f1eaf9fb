"""The app's scans in a child process: the same rows as a scan in a thread, progress on the way,
a pause that stops the child at once without harm, and failures told as plainly as in-process ones."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.corpus import generate
from desktop.errors import KnownError
from desktop.scan_job import ScanResult, scan_job
from desktop.scan_process import scan_in_process
from desktop.sources import SOURCES
from desktop.sources.claude_code import ClaudeCode
from desktop.store import Store
from tests.helpers import env_for, totals


class DiesWhileListing(ClaudeCode):
    """A reader whose process dies mid-scan, as if the kernel killed it (module level: the child imports it)."""

    def discover(self, env, extra) -> Iterator[str]:  # noqa: ANN001
        os._exit(3)


class RefusedWhileListing(ClaudeCode):
    """A reader whose folder listing is refused outright (an OSError that reaches the scan's top)."""

    def discover(self, env, extra) -> Iterator[str]:  # noqa: ANN001
        raise PermissionError(13, "Permission denied", "/home/dev/.claude/projects")


def archive(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name / "archive.sqlite"
    path.parent.mkdir()
    Store.open(path).close()  # the app migrates before it scans
    return path


def drive(steps) -> tuple[list, ScanResult]:  # noqa: ANN001
    seen = []
    while True:
        try:
            seen.append(next(steps))
        except StopIteration as stop:
            return seen, stop.value


def test_a_scan_in_a_child_process_writes_what_a_scan_in_a_thread_writes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    generate(home, 3_000_000, seed=5)
    env = env_for(home)
    here, there = archive(tmp_path, "thread"), archive(tmp_path, "process")
    _, expected = drive(scan_job(here, SOURCES, env))
    progress, result = drive(scan_in_process(there, SOURCES, env))
    assert result.summary.events_added == expected.summary.events_added > 100
    assert [s.files_read for s in result.summary.sources] == [s.files_read for s in expected.summary.sources]
    assert progress and progress[-1].bytes_done == progress[-1].bytes_total > 0
    a, b = Store.open(here), Store.open(there)
    assert totals(b) == totals(a)
    a.close()
    b.close()


def test_closing_the_scan_stops_the_child_and_a_later_scan_is_exact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENMIRROR_CHUNK_BYTES", "65536")  # many small commits: the stop lands mid-import
    home = tmp_path / "home"
    generate(home, 20_000_000, seed=6)
    env = env_for(home, TOKENMIRROR_CHUNK_BYTES="65536")
    reference, paused = archive(tmp_path, "reference"), archive(tmp_path, "paused")
    drive(scan_job(reference, SOURCES, env))
    steps = scan_in_process(paused, SOURCES, env)
    first = next(steps)
    child = [p for p in multiprocessing.active_children() if p.name == "tokenmirror-scan"]
    assert len(child) == 1 and child[0].pid != os.getpid()  # the import runs beside the GUI, not in it
    assert first.bytes_done < first.bytes_total
    steps.close()  # what pausing the app does
    assert not child[0].is_alive()
    partial = sqlite3.connect(paused).execute("SELECT count(*) FROM usage_event").fetchone()[0]
    full = sqlite3.connect(reference).execute("SELECT count(*) FROM usage_event").fetchone()[0]
    assert partial < full
    drive(scan_in_process(paused, SOURCES, env))
    a, b = Store.open(reference), Store.open(paused)
    assert b.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert totals(b) == totals(a)
    a.close()
    b.close()


def test_a_known_problem_in_the_child_is_raised_here_as_the_same_message(tmp_path: Path) -> None:
    path = archive(tmp_path, "newer")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")  # written by a newer Tokenmirror
    conn.close()
    with pytest.raises(KnownError, match="newer"):
        drive(scan_in_process(path, SOURCES, env_for(tmp_path / "home")))


def test_a_child_that_dies_is_a_clear_message_not_a_hang(tmp_path: Path) -> None:
    with pytest.raises(KnownError, match="stopped unexpectedly.*exit status 3"):
        drive(scan_in_process(archive(tmp_path, "dies"), [DiesWhileListing()], env_for(tmp_path / "home")))


def test_the_childs_log_lines_reach_the_apps_log(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from tests.logs import at, claude_assistant, claude_file, write_lines

    home = tmp_path / "home"
    log_file = claude_file(home, "s1")
    write_lines(log_file, [claude_assistant(at("2026-03-02", i), f"m{i}", f"r{i}") for i in range(3)])
    path = archive(tmp_path, "logged")
    drive(scan_in_process(path, SOURCES, env_for(home)))
    write_lines(log_file, [claude_assistant(at("2026-03-02"), "m0", "r0")])  # rewritten shorter
    with caplog.at_level("INFO"):
        drive(scan_in_process(path, SOURCES, env_for(home)))
    assert any("truncated or replaced" in r.getMessage() and r.name == "desktop.ingest" for r in caplog.records)


def test_a_damaged_archive_is_the_same_plain_message_as_in_a_thread(tmp_path: Path) -> None:
    from tests.test_faults import _damage

    home = tmp_path / "home"
    generate(home, 1_000_000, seed=7)
    path = archive(tmp_path, "damaged")
    drive(scan_job(path, SOURCES, env_for(home)))
    _damage(path, "source_file")
    with pytest.raises(KnownError, match="damaged.*doctor --repair"):
        drive(scan_in_process(path, SOURCES, env_for(home)))


def test_an_os_error_in_the_child_is_the_same_os_error_here(tmp_path: Path) -> None:
    with pytest.raises(PermissionError) as raised:
        drive(scan_in_process(archive(tmp_path, "refused"), [RefusedWhileListing()], env_for(tmp_path / "home")))
    assert str(raised.value) == "[Errno 13] Permission denied: '/home/dev/.claude/projects'"
