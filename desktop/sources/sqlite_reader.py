"""Reading another program's live SQLite database without ever writing to it (LOG-FORMATS §2.7)."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def open_readonly(path: Path) -> Iterator[sqlite3.Connection]:
    """mode=ro + query_only; never immutable=1 (it hides the WAL, so the newest rows). If the
    read-only open fails (a lock, a missing -shm we may not create), read a copy of db+wal+shm."""
    uri = "file:" + _uri_path(path) + "?mode=ro"
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=0.5)  # a locked DB is copied, not waited for
        conn.execute("PRAGMA query_only = 1")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error:
        if conn is not None:
            conn.close()
        conn = None
    if conn is not None:
        try:
            yield conn
        finally:
            conn.close()
        return
    with tempfile.TemporaryDirectory(prefix="tokenmirror-") as folder:
        copy = Path(folder) / path.name
        shutil.copy2(path, copy)
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                shutil.copy2(side, copy.with_name(copy.name + suffix))
        conn = sqlite3.connect("file:" + _uri_path(copy) + "?mode=ro", uri=True)
        try:
            conn.execute("PRAGMA query_only = 1")
            yield conn
        finally:
            conn.close()


def _uri_path(path: Path) -> str:
    text = str(Path(path).absolute()).replace("\\", "/")
    for char, code in (("%", "%25"), ("?", "%3f"), ("#", "%23")):
        text = text.replace(char, code)
    return text if text.startswith("/") else "/" + text


def tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """Probe before querying: optional columns differ between versions of the writing program."""
    return {row[1] for row in conn.execute(f"PRAGMA table_info({_quote(table)})")}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@contextmanager
def database(path: Path) -> Iterator[sqlite3.Connection]:
    """open_readonly for a reader: a file that is not a database, or is damaged, is reported
    unreadable (OSError), so its earlier rows stay and it is tried again on the next scan."""
    try:
        with open_readonly(path) as conn:
            yield conn
    except sqlite3.DatabaseError as exc:
        raise OSError(f"unreadable SQLite database: {exc}") from exc
