"""A damaged archive: set it aside (never delete it), start a new one, and keep every row still readable.
The caller then rescans the logs that still exist; dedup keys make the two sources meet exactly once."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from desktop.store.db import Store

log = logging.getLogger(__name__)

# What can only come from the archive: usage whose logs may be gone, and the user's settings.
# Commits and findings are rebuilt from git and the rows; cursors are not kept, so every log is read again.
SALVAGED_TABLES = ("setting", "usage_event", "session", "prompt", "tool_call")
BATCH = 2000


@dataclass
class Repair:
    damaged_copy: Path
    kept: dict[str, int] = field(default_factory=dict)
    unreadable: dict[str, int] = field(default_factory=dict)  # rows (or row ranges) that could not be read


def set_aside_and_salvage(path: Path, backups: Path) -> Repair:
    backups.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    damaged = backups / f"archive-damaged-{stamp}.sqlite"
    os.replace(path, damaged)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, damaged.with_name(damaged.name + suffix))
    log.warning("the damaged archive was moved to %s", damaged)
    repair = Repair(damaged)
    store = Store.open(path)
    try:
        source = sqlite3.connect(f"file:{damaged}?mode=ro", uri=True)
        try:
            for table in SALVAGED_TABLES:
                _copy_table(source, store, table, repair)
            store.conn.execute("DELETE FROM setting WHERE key = 'pricing_applied'")  # salvaged rows: price again
        finally:
            source.close()
    finally:
        store.close()
    return repair


def _copy_table(source: sqlite3.Connection, store: Store, table: str, repair: Repair) -> None:
    try:
        names = [row[1] for row in source.execute(f"PRAGMA table_info({table})")]
        low, high = source.execute(f"SELECT min(rowid), max(rowid) FROM {table}").fetchone()
    except sqlite3.DatabaseError:
        repair.unreadable[table] = -1  # the table itself is unreadable
        return
    wanted = [n for n in (row[1] for row in store.conn.execute(f"PRAGMA table_info({table})")) if n in names]
    # file ids point at source_file rows that are not kept: every log is read again from the start
    picked = ", ".join("NULL" if n == "source_file_id" else n for n in wanted)
    insert = f"INSERT OR IGNORE INTO {table} ({', '.join(wanted)}) VALUES ({', '.join('?' * len(wanted))})"
    if low is None:
        return
    kept = lost = 0
    for first in range(low, high + 1, BATCH):
        rows, missing = _readable_rows(source, f"SELECT {picked} FROM {table} WHERE rowid BETWEEN ? AND ?",
                                       first, min(first + BATCH - 1, high))  # fmt: skip
        if rows:
            with store.transaction() as conn:
                conn.executemany(insert, rows)
        kept += len(rows)
        lost += missing
    repair.kept[table] = kept
    if lost:
        repair.unreadable[table] = lost


def _readable_rows(source: sqlite3.Connection, query: str, first: int, last: int) -> tuple[list[tuple], int]:
    """Rows of a rowid range; a damaged page splits the range in halves down to single rows."""
    try:
        return source.execute(query, (first, last)).fetchall(), 0
    except sqlite3.DatabaseError:
        if first == last:
            return [], 1
    middle = (first + last) // 2
    left, lost_left = _readable_rows(source, query, first, middle)
    right, lost_right = _readable_rows(source, query, middle + 1, last)
    return left + right, lost_left + lost_right
