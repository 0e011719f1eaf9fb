"""Opening the archive: file mode, WAL, migrations with a copy first, refusing a newer schema."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from typing import TYPE_CHECKING

from desktop.errors import KnownError, NewerDatabaseError
from desktop.store.faults import explain
from desktop.store.schema import SCHEMA_STEPS
from desktop.store.settings import Settings

if TYPE_CHECKING:
    from sqlite_utils import Database

log = logging.getLogger(__name__)


class Store:
    """One SQLite connection; make one per thread (house rule 5)."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self.conn = conn
        self.path = path
        self.settings = Settings(conn)
        self._db: Database | None = None

    @property
    def db(self) -> Database:
        """sqlite-utils' view of the same connection (imported on first use: it is slow to import)."""
        if self._db is None:
            from sqlite_utils import Database

            self._db = Database(self.conn)
        return self._db

    @classmethod
    def open(cls, path: Path, *, migrate: bool = True, backup_dir: Path | None = None) -> Store:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        existed = path.exists() and path.stat().st_size > 0
        if not existed and os.name == "posix":
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))  # private before any byte lands
        try:
            conn = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=True)
            _configure(conn)
        except sqlite3.DatabaseError as exc:
            raise KnownError(f"cannot open the archive {path}: {exc}") from exc
        store = cls(conn, path)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version == SCHEMA_STEPS:
                return store  # current schema: the common case, no migration machinery needed
            from desktop.store.migrations import migrations

            store._check_not_newer()
            if migrate:
                pending = migrations.pending(store.db)
                if pending and existed and store._has_user_tables():
                    store._copy_aside(backup_dir or path.parent / "backups", len(migrations.applied(store.db)))
                if pending:
                    log.info("applying %d migration(s): %s", len(pending), ", ".join(m.name for m in pending))
                    migrations.apply(store.db)
                    conn.execute(f"PRAGMA user_version = {len(migrations.applied(store.db))}")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise KnownError(f"the archive {path} is not a usable database: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        return store

    @classmethod
    def memory(cls) -> Store:
        conn = sqlite3.connect(":memory:", isolation_level=None)
        _configure(conn)
        store = cls(conn, None)
        from desktop.store.migrations import migrations

        migrations.apply(store.db)
        return store

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE: take the write lock up front so a busy DB waits instead of failing late.
        A full disk, a lock or a read-only file rolls back everything and becomes one clear message."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise (explain(exc, self.path) or exc) from exc
        try:
            yield self.conn
        except BaseException as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError) and (known := explain(exc, self.path)):
                raise known from exc
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise (explain(exc, self.path) or exc) from exc

    @contextmanager
    def bulk_writes(self) -> Iterator[None]:
        """A scan commits often: checkpoint the write-ahead log once at the end instead of every 4 MB
        (each checkpoint syncs the file), and give the import a large page cache for its duration."""
        self.conn.execute("PRAGMA wal_autocheckpoint = 0")
        self.conn.execute("PRAGMA cache_size = -65536")  # 64 MB while importing: random-key index pages stay in memory
        try:
            yield
        finally:
            self.conn.execute("PRAGMA cache_size = -2000")  # back to SQLite's 2 MB: the app keeps several readers
            self.conn.execute("PRAGMA wal_autocheckpoint = 1000")
            try:
                self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.OperationalError:
                pass  # busy: the next writer's checkpoint catches up

    def integrity(self) -> str:
        """PRAGMA quick_check: 'ok', or the first problem found (seconds on a large archive)."""
        return str(self.conn.execute("PRAGMA quick_check").fetchone()[0])

    def schema_names(self) -> list[str]:
        from desktop.store.migrations import migrations

        return [m.name for m in migrations.applied(self.db)]

    def _has_user_tables(self) -> bool:
        return bool(self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'usage_event'").fetchone())

    def _check_not_newer(self) -> None:
        from desktop.store.migrations import migrations

        if self.conn.execute("PRAGMA user_version").fetchone()[0] > SCHEMA_STEPS:
            raise NewerDatabaseError(
                f"the archive {self.path} was written by a newer Tokenmirror (schema step "
                f"{self.conn.execute('PRAGMA user_version').fetchone()[0]}); install the newer version, "
                "or move the file aside to start a new archive"
            )
        known = {m.name for m in migrations._migrations}
        unknown = [m.name for m in migrations.applied(self.db) if m.name not in known]
        if unknown:
            raise NewerDatabaseError(
                f"the archive {self.path} was written by a newer Tokenmirror (schema step {unknown[-1]}); "
                "install the newer version, or move the file aside to start a new archive"
            )

    def _copy_aside(self, folder: Path, applied: int) -> None:
        """A consistent copy (the backup API sees WAL content) before the schema changes."""
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"archive-schema{applied}-{time.strftime('%Y%m%d-%H%M%S')}.sqlite"
        if os.name == "posix":
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o600))
        dest = sqlite3.connect(target)
        try:
            self.conn.backup(dest)
        finally:
            dest.close()
        log.info("copied the archive to %s before migrating", target)


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: consistent after a crash, fast commits
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA temp_store = MEMORY")
