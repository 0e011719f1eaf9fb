"""When to ingest: on request (watcher, sweep, "Scan now", settings), one scan at a time, pausable."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence

from PySide6.QtCore import QObject, Signal

from desktop.errors import KnownError
from desktop.scan_job import ScanResult, scan_job
from desktop.scan_process import scan_in_process
from desktop.sources import Environment, Source
from desktop.store.faults import explain
from desktop.ui.archive import WRITE_LANE, Archive
from desktop.ui.tasks import Task, TaskFailure

log = logging.getLogger(__name__)


class Scanner(QObject):
    started = Signal()
    progressed = Signal(object)  # ScanProgress
    finished = Signal(object)  # ScanResult
    failed = Signal(str)
    paused_changed = Signal(bool)
    running_changed = Signal(bool)

    def __init__(self, archive: Archive, sources: Sequence[Source], env: Environment,
                 parent: QObject | None = None, *, own_process: bool = False) -> None:  # fmt: skip
        """`own_process`: each scan runs in a child process (the app does; most tests scan in a thread)."""
        super().__init__(parent)
        self.archive = archive
        self.own_process = own_process
        self.sources = list(sources)
        self.env = env
        self.paused = False
        self.scans_done = 0
        self._task: Task | None = None
        self._again = False
        self._refresh = False

    @property
    def running(self) -> bool:
        return self._task is not None

    def request(self, manual: bool = False, refresh: bool = False) -> bool:
        """Start a scan, or run one more right after the current one. Automatic requests wait while paused."""
        if self.paused and not manual:
            return False
        self._refresh = self._refresh or refresh
        if self._task is not None:
            self._again = True
            return True
        self._start()
        return True

    def set_paused(self, paused: bool) -> None:
        if paused == self.paused:
            return
        self.paused = paused
        if paused and self._task is not None:
            self._task.cancel()  # stops between two chunks; every written chunk stays consistent
            self._task, self._again = None, False
            self.running_changed.emit(False)
        self.paused_changed.emit(paused)
        if not paused:
            self.request()

    def _start(self) -> None:
        db_path, sources, env = self.archive.db_path, self.sources, self.env
        job = scan_in_process if self.own_process else scan_job
        self._task = self.archive.tasks.run(
            lambda: job(db_path, sources, env),
            on_progress=self.progressed.emit,
            on_done=self._on_done,
            on_error=self._on_error,
            lane=WRITE_LANE,
            name="scan",
        )
        self.started.emit()
        self.running_changed.emit(True)

    def _on_done(self, result: ScanResult | None) -> None:
        self._task = None
        self.scans_done += 1
        refresh, self._refresh = self._refresh, False
        if result is not None:
            log.info("scan: %+d events, %d commits, %.2f s", result.summary.events_added, result.commits_added,
                     result.summary.seconds)  # fmt: skip
            self.finished.emit(result)
            if result.summary.events_added or result.commits_added or refresh or self.scans_done == 1:
                self.archive.data_changed.emit()
        self._next()

    def _on_error(self, failure: TaskFailure) -> None:
        self._task = None
        self._next()
        error = failure.error
        if isinstance(error, sqlite3.Error):  # damage, a full disk, a lock: what the import process says too
            error = explain(error, self.archive.db_path) or error
        if isinstance(error, (KnownError, OSError)):
            log.warning("scan failed: %s", error)
            self.failed.emit(f"Import stopped: {error}")
            return
        self.running_changed.emit(False)
        raise failure.error

    def _next(self) -> None:
        if self._again and not self.paused:
            self._again = False
            self._start()
        else:
            self.running_changed.emit(False)
