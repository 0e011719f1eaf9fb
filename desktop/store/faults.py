"""SQLite failures the user can act on, turned into one clear sentence each (house rule 8)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from desktop.errors import KnownError


class DiskFull(KnownError):
    pass


class ArchiveLocked(KnownError):
    pass


class ArchiveReadOnly(KnownError):
    pass


class ArchiveCorrupt(KnownError):
    pass


def explain(exc: sqlite3.Error, path: Path | None) -> KnownError | None:
    """The KnownError for an environment problem, or None when it looks like a bug."""
    text = str(exc).lower()
    where = f" ({path})" if path else ""
    if "disk is full" in text or "database or disk is full" in text:
        return DiskFull(f"the disk holding the archive{where} is full; nothing half-written was kept. "
                        "Free some space and scan again")  # fmt: skip
    if "locked" in text or "busy" in text:
        return ArchiveLocked(f"the archive{where} is locked by another program; close it (or wait) and try again")
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return ArchiveReadOnly(f"the archive{where} cannot be written: check that its folder is writable")
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return ArchiveCorrupt(f"the archive{where} is damaged; run `tokenmirror doctor --repair` to set it aside "
                              "and rebuild it from the logs still on disk")  # fmt: skip
    return None
