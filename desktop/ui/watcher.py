"""File changes under the assistants' log folders -> one debounced scan; plus a slow safety sweep.

Idle means idle: the only timers are the debounce (started by a change, fires once) and the
sweep (every 15 minutes). Directories tell us about new files; appends to an existing file only
show on the file itself, so the most recently written log files are watched too (a bounded
number: inotify watches are a shared, limited resource). The watch list is computed on a worker
after every scan, since walking the trees is disk work.
"""

from __future__ import annotations

import heapq
import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from desktop.sources import Environment, Source
from desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)
DEBOUNCE_MS = 3_000
SWEEP_MS = 15 * 60 * 1000
MAX_DIRS = 400
MAX_FILES = 200
RECENT_S = 3 * 86_400
MAX_DEPTH = 6
_WATCHED_SUFFIXES = (".jsonl", ".json", ".db", ".sqlite")


def watch_list(roots: Sequence[Path], now: float | None = None, max_dirs: int = MAX_DIRS, max_files: int = MAX_FILES,
               recent_s: float = RECENT_S) -> tuple[list[str], list[str]]:  # fmt: skip
    """(folders, files) to watch: every existing root, its most recently changed subfolders, and the
    log files written in the last few days, newest first. Only the newest are ever held (bounded
    heaps): a list of 50,000 files made the GUI process's collector run a 37 ms full pass."""
    now = time.time() if now is None else now
    dirs: list[tuple[float, str]] = []  # min-heaps of (mtime, path): the oldest kept is dropped first
    files: list[tuple[float, str]] = []
    top: list[str] = []
    for root in roots:
        if not root.is_dir():
            continue
        top.append(str(root))
        stack = [(str(root), 0)]
        while stack:
            folder, depth = stack.pop()
            try:
                with os.scandir(folder) as listing:
                    for entry in listing:
                        try:
                            if entry.is_dir(follow_symlinks=False):
                                if depth < MAX_DEPTH:
                                    _keep(dirs, max_dirs, entry.stat().st_mtime, entry.path)
                                    stack.append((entry.path, depth + 1))
                            elif entry.name.endswith(_WATCHED_SUFFIXES):
                                mtime = entry.stat().st_mtime
                                if now - mtime <= recent_s:
                                    _keep(files, max_files, mtime, entry.path)
                        except OSError:
                            continue
            except OSError:
                continue
    newest_dirs = [p for _, p in sorted(dirs, reverse=True)]
    chosen = list(dict.fromkeys(top + newest_dirs[: max(max_dirs - len(top), 0)]))
    return chosen, [p for _, p in sorted(files, reverse=True)]


def _keep(heap: list[tuple[float, str]], limit: int, mtime: float, path: str) -> None:
    if len(heap) < limit:
        heapq.heappush(heap, (mtime, path))
    elif limit and (mtime, path) > heap[0]:
        heapq.heapreplace(heap, (mtime, path))


class LogWatcher(QObject):
    scan_wanted = Signal(str)  # why: "change" or "sweep"
    watching_changed = Signal()

    def __init__(self, sources: Sequence[Source], env: Environment, tasks: TaskRunner,
                 settings: Callable[[], dict], parent: QObject | None = None,
                 debounce_ms: int = DEBOUNCE_MS, sweep_ms: int = SWEEP_MS) -> None:  # fmt: skip
        super().__init__(parent)
        self.sources = list(sources)
        self.env = env
        self.tasks = tasks
        self._settings = settings
        self.fs = QFileSystemWatcher(self)
        self.fs.directoryChanged.connect(self._on_change)
        self.fs.fileChanged.connect(self._on_change)
        self.debounce = QTimer(self, singleShot=True, interval=debounce_ms)
        self.debounce.timeout.connect(lambda: self.scan_wanted.emit("change"))
        self.sweep = QTimer(self, interval=max(sweep_ms, 60_000))
        self.sweep.timeout.connect(lambda: self.scan_wanted.emit("sweep"))
        self.changes_seen = 0

    def roots(self) -> list[Path]:
        settings = self._settings()
        disabled = set(settings.get("disabled_sources") or [])
        extra = settings.get("extra_paths") or {}
        roots: list[Path] = []
        for source in self.sources:
            if source.id in disabled:
                continue
            roots.extend(source.roots(self.env))
            roots.extend(Path(p).expanduser() for p in extra.get(source.id, []))
        return roots

    def start(self, walk: bool = True) -> None:
        """`walk=False`: watch only the roots for now; the caller refreshes after the scan it is starting
        (a walk of 50,000 files beside a first import stalled the GUI thread 58 ms; docs/LOAD.md)."""
        self.sweep.start()
        if walk:
            self.refresh()
        else:
            self._apply(([str(root) for root in self.roots() if root.is_dir()], []))

    def stop(self) -> None:
        self.sweep.stop()
        self.debounce.stop()
        self._apply(([], []))

    def refresh(self) -> None:
        """Recompute what to watch, on a worker; apply it here."""
        roots = self.roots()
        self.tasks.run(lambda: watch_list(roots), on_done=self._apply, key="watch list", name="watch list")

    def _apply(self, wanted: tuple[list[str], list[str]]) -> None:
        dirs, files = wanted
        want = set(dirs) | set(files)
        have = set(self.fs.directories()) | set(self.fs.files())
        gone = sorted(have - want)
        new = sorted(want - have)
        if gone:
            self.fs.removePaths(gone)
        if new:
            failed = self.fs.addPaths(new)
            if failed:
                log.info("cannot watch %d path(s), e.g. %s; the sweep covers them", len(failed), failed[0])
        self.watching_changed.emit()

    def watched(self) -> list[str]:
        return sorted(self.fs.directories()) + sorted(self.fs.files())

    def _on_change(self, path: str) -> None:
        self.changes_seen += 1
        self.debounce.start()  # restarts: a burst of appends is one scan
