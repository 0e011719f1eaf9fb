"""Disk and database faults end with one clear message and no partial state; a later scan is exact."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.store import Store
from desktop.store.faults import ArchiveLocked, ArchiveReadOnly, DiskFull
from tests.helpers import scan, totals
from tests.logs import at, claude_assistant, claude_file, write_lines

DAY = "2026-03-02T09:00:00"


def history(home: Path, calls: int, session: str = "s1") -> None:
    write_lines(claude_file(home, session), [claude_assistant(at(DAY, i), f"{session}m{i}", f"r{i}", input=10, output=5,
                                                              block={"type": "text", "text": "x" * 2000})
                                             for i in range(calls)])  # fmt: skip


def test_disk_full_keeps_the_archive_consistent_and_the_next_scan_exact(tmp_path: Path, isolated_home: Path) -> None:
    store = Store.open(tmp_path / "a.sqlite")
    history(isolated_home, 5, "small")
    scan(store, isolated_home)
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    for i in range(30):
        history(isolated_home, 400, f"big{i}")
    store.conn.execute(f"PRAGMA max_page_count = {pages + 3}")  # the disk fills up mid-scan
    with pytest.raises(DiskFull, match="is full"):
        scan(store, isolated_home)
    assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    partial = totals(store)[-1]
    assert partial % 1 == 0 and partial < 5 + 30 * 400  # whatever landed, landed with its cursor
    store.conn.execute("PRAGMA max_page_count = 1073741823")  # space freed
    scan(store, isolated_home)
    assert totals(store)[-1] == 5 + 30 * 400


def test_a_locked_archive_is_a_clear_message(tmp_path: Path, isolated_home: Path) -> None:
    path = tmp_path / "a.sqlite"
    store = Store.open(path)
    store.conn.execute("PRAGMA busy_timeout = 100")
    history(isolated_home, 3)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    with pytest.raises(ArchiveLocked, match="locked by another program"):
        scan(store, isolated_home)
    other.execute("ROLLBACK")
    other.close()
    scan(store, isolated_home)
    assert totals(store)[-1] == 3


def test_a_read_only_archive_is_a_clear_message(tmp_path: Path, isolated_home: Path) -> None:
    store = Store.open(tmp_path / "a.sqlite")
    history(isolated_home, 3)
    store.conn.execute("PRAGMA query_only = 1")  # what a read-only folder or file does to every write
    with pytest.raises(ArchiveReadOnly, match="cannot be written"):
        scan(store, isolated_home)


def test_cli_reports_faults_in_one_line(tmp_path: Path, isolated_home: Path, capsys: pytest.CaptureFixture,
                                        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    import desktop.store.db as db_module

    history(isolated_home, 3)
    assert main(["--data-dir", str(tmp_path), "scan"]) == 0
    other = sqlite3.connect(tmp_path / "archive.sqlite", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    history(isolated_home, 4, "s2")
    configure = db_module._configure

    def impatient(conn: sqlite3.Connection) -> None:
        configure(conn)
        conn.execute("PRAGMA busy_timeout = 50")

    monkeypatch.setattr(db_module, "_configure", impatient)
    code = main(["--data-dir", str(tmp_path), "scan"])
    other.execute("ROLLBACK")
    other.close()
    err = capsys.readouterr().err
    assert code == 1 and "locked by another program" in err and "Traceback" not in err


def _damage(path: Path, table: str) -> None:
    """Overwrite the middle of one table's b-tree pages with garbage, the way a bad sector would."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    conn.close()
    with open(path, "r+b") as fh:
        fh.seek((root - 1) * page_size)
        fh.write(b"\xde\xad\xbe\xef" * (page_size // 4))


def test_a_damaged_archive_is_set_aside_and_rebuilt(tmp_path: Path, isolated_home: Path,
                                                    capsys: pytest.CaptureFixture) -> None:  # fmt: skip
    history(isolated_home, 40)
    assert main(["--data-dir", str(tmp_path), "scan"]) == 0
    gone = claude_file(isolated_home, "old")
    history(isolated_home, 6, "old")
    assert main(["--data-dir", str(tmp_path), "scan"]) == 0
    gone.unlink()  # the assistant deleted these logs: only the archive still has them
    _damage(tmp_path / "archive.sqlite", "prompt")
    capsys.readouterr()
    assert main(["--data-dir", str(tmp_path), "doctor"]) == 1
    assert "damaged" in capsys.readouterr().out
    assert main(["--data-dir", str(tmp_path), "doctor", "--repair"]) == 0
    out = capsys.readouterr().out
    assert "set aside" in out and "usage_event" in out
    store = Store.open(tmp_path / "archive.sqlite")
    assert store.integrity() == "ok"
    assert totals(store)[-1] == 46  # 40 from logs still on disk, 6 kept only by the archive
    assert list((tmp_path / "backups").glob("archive-damaged-*.sqlite"))
