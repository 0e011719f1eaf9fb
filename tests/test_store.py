"""The archive file: private modes, migrations with a copy first, refusing a newer schema."""

from __future__ import annotations

import os
import sqlite3
import stat
import sys
from pathlib import Path

import pytest

from desktop.errors import NewerDatabaseError
from desktop.paths import AppPaths
from desktop.store import Store
from desktop.store.migrations import migrations


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_archive_and_folder_are_private(tmp_path: Path) -> None:
    paths = AppPaths.at(tmp_path / "data")
    paths.ensure()
    store = Store.open(paths.database)
    store.settings.set("week_start", "sunday")
    assert stat.S_IMODE(os.stat(paths.data).st_mode) == 0o700
    for name in ("archive.sqlite", "archive.sqlite-wal"):
        assert stat.S_IMODE(os.stat(paths.data / name).st_mode) == 0o600, name
    store.close()


def test_settings_have_declared_defaults(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "a.sqlite")
    assert store.settings.get("week_start") == "monday"
    store.settings.set("week_start", "sunday")
    store.close()
    again = Store.open(tmp_path / "a.sqlite")
    assert again.settings.get("week_start") == "sunday"
    with pytest.raises(KeyError):
        again.settings.get("no_such_setting")
    again.close()


def test_newer_schema_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('tokenmirror', 'm999_from_the_future', '2030-01-01')")
    conn.execute("PRAGMA user_version = 99")  # what a newer build leaves behind
    conn.commit()
    conn.close()
    with pytest.raises(NewerDatabaseError, match="newer Tokenmirror"):
        Store.open(path)


@pytest.mark.skipif(len(migrations._migrations) < 2, reason="needs a second migration to be pending")
def test_archive_is_copied_aside_before_pending_migrations(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    conn = sqlite3.connect(path)
    from sqlite_utils import Database

    db = Database(conn)
    migrations.apply(db, stop_before=migrations._migrations[-1].name)
    conn.execute("INSERT INTO setting (key, value) VALUES ('week_start', '\"sunday\"')")
    conn.commit()
    conn.close()
    store = Store.open(path)
    copies = list((tmp_path / "backups").glob("archive-schema*.sqlite"))
    assert len(copies) == 1
    old = sqlite3.connect(copies[0])
    assert old.execute("SELECT value FROM setting").fetchone() == ('"sunday"',)
    assert store.schema_names() == [m.name for m in migrations._migrations]
    store.close()


def test_not_a_database_is_a_known_error(tmp_path: Path) -> None:
    from desktop.errors import KnownError

    path = tmp_path / "a.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(KnownError, match="not a usable database|cannot open"):
        Store.open(path)


def test_schema_step_count_matches_the_migrations(tmp_path: Path) -> None:
    """The fast start trusts PRAGMA user_version; it must count exactly the migrations applied."""
    from desktop.store.schema import SCHEMA_STEPS

    assert SCHEMA_STEPS == len(migrations._migrations)
    store = Store.open(tmp_path / "a.sqlite")
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_STEPS
    store.close()


def test_one_scan_at_a_time(tmp_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second scan of the same archive waits for the first, then gives up with a clear message."""
    import desktop.ingest
    from desktop.scan_lock import ScanBusy, scan_lock
    from tests.helpers import scan

    store = Store.open(tmp_path / "a.sqlite")
    monkeypatch.setattr(desktop.ingest, "scan_lock", lambda folder: scan_lock(folder, wait_seconds=0.2))
    with scan_lock(tmp_path):
        with pytest.raises(ScanBusy, match="another scan of this archive"):
            scan(store, isolated_home)
    assert scan(store, isolated_home).events_after == 0  # released: scans again
    store.close()


def test_a_migration_that_dies_halfway_leaves_the_previous_archive_usable(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from sqlite_utils import Database

    path = tmp_path / "a.sqlite"
    conn = sqlite3.connect(path)
    last = migrations._migrations[-1]
    migrations.apply(Database(conn), stop_before=last.name)
    conn.execute("INSERT INTO setting (key, value) VALUES ('week_start', '\"sunday\"')")
    conn.commit()
    conn.close()

    def dies_halfway(db: Database) -> None:
        db.execute("CREATE TABLE half_done (x INTEGER)")
        raise MemoryError("killed mid-migration")  # what a crash inside the step looks like to SQLite

    monkeypatch.setattr(last, "fn", dies_halfway)
    with pytest.raises(MemoryError):
        Store.open(path)
    check = sqlite3.connect(path)
    assert check.execute("SELECT name FROM sqlite_master WHERE name = 'half_done'").fetchone() is None
    assert check.execute("SELECT value FROM setting").fetchone() == ('"sunday"',)
    check.close()
    monkeypatch.undo()
    store = Store.open(path)  # the next start finishes the migration
    assert store.schema_names()[-1] == last.name and store.settings.get("week_start") == "sunday"
    store.close()
