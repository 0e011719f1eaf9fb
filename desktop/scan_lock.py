"""One scan at a time per archive: the app's watcher and a `tokenmirror scan` must not interleave."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from desktop.errors import KnownError


class ScanBusy(KnownError):
    """Another process is scanning into this archive."""


@contextmanager
def scan_lock(folder: Path, wait_seconds: float = 30.0) -> Iterator[None]:
    """An OS file lock (released by the OS if the holder dies, so a crash never leaves it stuck)."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / "scan.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait_seconds
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise ScanBusy("another scan of this archive is still running; try again when it has finished")
            time.sleep(0.1)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


if os.name == "nt":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
