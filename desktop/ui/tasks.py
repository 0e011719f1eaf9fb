"""Run plain functions off the GUI thread; progress and results come back on it, by signal.

A job is a callable taking no arguments. It may return a value, or be a generator: each
yielded value is progress, and the generator's `return` value is the result. Jobs never touch
widgets; they open their own Store (one SQLite connection per thread) and close it themselves.

Lanes serialize jobs that must not overlap (archive writes: scans, settings) in FIFO order;
jobs without a lane run as soon as a pool thread is free. A `key` supersedes: starting a job
under a key that is still pending drops the older job's result, so a reader only ever sees
the newest answer.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QObject, QRunnable, Qt, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.05  # a scan yields per chunk and per file; the GUI needs ~20 updates a second at most


class Cancelled(Exception):
    """Raised into nothing: a cancelled job simply stops between two yields."""


@dataclass
class TaskFailure:
    error: BaseException
    traceback: str


@dataclass
class _Callbacks:
    on_progress: Callable[[Any], None] | None = None
    on_done: Callable[[Any], None] | None = None
    on_error: Callable[[TaskFailure], None] | None = None


class _Bridge(QObject):
    """Lives on the GUI thread; the worker emits, Qt queues the call onto the GUI thread."""

    progressed = Signal(object)
    finished = Signal(object)
    failed = Signal(object)


@dataclass
class Task:
    """A handle the caller may keep: cancel() stops a generator job at its next yield."""

    name: str
    job: Callable[[], Any]
    callbacks: _Callbacks
    lane: str | None = None
    key: str | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)
    superseded: bool = False
    done: bool = False

    def cancel(self) -> None:
        self.cancelled.set()


class _Runnable(QRunnable):
    def __init__(self, task: Task, bridge: _Bridge) -> None:
        super().__init__()
        self.task = task
        self.bridge = bridge
        self.setAutoDelete(True)

    def run(self) -> None:  # worker thread: no widgets, no Qt objects other than emitting
        task = self.task
        try:
            result = task.job()
            if inspect.isgenerator(result):
                result = self._drive(result)
        except Cancelled:
            self.bridge.finished.emit(None)
        except BaseException as exc:  # delivered to the GUI thread, which decides what it means
            self.bridge.failed.emit(TaskFailure(exc, traceback.format_exc()))
        else:
            self.bridge.finished.emit(result)

    def _drive(self, steps: Any) -> Any:
        last_emit = 0.0
        pending: Any = None
        while True:
            if self.task.cancelled.is_set():
                steps.close()  # runs the job's finally blocks on this thread
                raise Cancelled
            try:
                progress = next(steps)
            except StopIteration as stop:
                if pending is not None:
                    self.bridge.progressed.emit(pending)
                return stop.value
            now = time.monotonic()
            if now - last_emit >= PROGRESS_EVERY_S:
                self.bridge.progressed.emit(progress)
                last_emit, pending = now, None
            else:
                pending = progress


class TaskRunner(QObject):
    """The one way background work is started. Owns its own pool so tests can wait for it."""

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, max_threads: int = 4) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._active: list[Task] = []  # started, result not yet delivered
        self._lanes: dict[str, deque[Task]] = {}
        self._lane_running: dict[str, Task] = {}
        self._keys: dict[str, Task] = {}
        self._bridges: dict[int, _Bridge] = {}
        self._closed = False

    # --- starting ---------------------------------------------------------------------------
    def run(
        self,
        job: Callable[[], Any],
        *,
        on_progress: Callable[[Any], None] | None = None,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[TaskFailure], None] | None = None,
        lane: str | None = None,
        key: str | None = None,
        name: str = "",
    ) -> Task:
        task = Task(name or getattr(job, "__name__", "job"), job, _Callbacks(on_progress, on_done, on_error), lane, key)
        if self._closed:
            task.done = True
            return task
        if key is not None:
            previous = self._keys.get(key)
            if previous is not None and not previous.done:
                previous.superseded = True
                previous.cancel()
            self._keys[key] = task
        was_busy = bool(self._active) or any(self._lanes.values())
        if lane is None:
            self._start(task)
        else:
            queue = self._lanes.setdefault(lane, deque())
            queue.append(task)
            self._pump(lane)
        if not was_busy:
            self.busy_changed.emit(True)
        return task

    def _pump(self, lane: str) -> None:
        if lane in self._lane_running:
            return
        queue = self._lanes.get(lane)
        while queue:
            task = queue.popleft()
            if task.superseded or task.cancelled.is_set():
                task.done = True
                continue
            self._lane_running[lane] = task
            self._start(task)
            return

    def _start(self, task: Task) -> None:
        bridge = _Bridge(self)
        bridge.progressed.connect(lambda value, t=task: self._on_progress(t, value), Qt.ConnectionType.QueuedConnection)
        bridge.finished.connect(lambda value, t=task: self._on_finished(t, value), Qt.ConnectionType.QueuedConnection)
        bridge.failed.connect(lambda failure, t=task: self._on_failed(t, failure), Qt.ConnectionType.QueuedConnection)
        self._bridges[id(task)] = bridge
        self._active.append(task)
        log.debug("task %s started", task.name)
        self._pool.start(_Runnable(task, bridge))

    # --- delivery (GUI thread) --------------------------------------------------------------
    def _on_progress(self, task: Task, value: Any) -> None:
        if task.callbacks.on_progress and not task.superseded and not self._closed:
            task.callbacks.on_progress(value)

    def _on_finished(self, task: Task, value: Any) -> None:
        deliver = not task.superseded and not task.cancelled.is_set() and not self._closed
        self._retire(task)
        if deliver and task.callbacks.on_done:
            task.callbacks.on_done(value)
        self._after(task)

    def _on_failed(self, task: Task, failure: TaskFailure) -> None:
        self._retire(task)
        if task.superseded or self._closed:
            self._after(task)
            return
        try:
            if task.callbacks.on_error:
                task.callbacks.on_error(failure)
            else:
                log.error("task %s failed:\n%s", task.name, failure.traceback)
                raise failure.error  # a bug: reaches the excepthook with its traceback
        finally:
            self._after(task)

    def _retire(self, task: Task) -> None:
        task.done = True
        if task in self._active:
            self._active.remove(task)
        bridge = self._bridges.pop(id(task), None)
        if bridge is not None:
            bridge.deleteLater()
        if task.key is not None and self._keys.get(task.key) is task:
            del self._keys[task.key]
        log.debug("task %s finished", task.name)

    def _after(self, task: Task) -> None:
        if task.lane is not None and self._lane_running.get(task.lane) is task:
            del self._lane_running[task.lane]
            self._pump(task.lane)
        if not self.busy:
            self.busy_changed.emit(False)

    # --- state and shutdown -----------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return bool(self._active) or any(self._lanes.values())

    def pending(self) -> int:
        return len(self._active) + sum(len(q) for q in self._lanes.values())

    def finish_pending(self, timeout_ms: int = 10_000) -> None:
        """Tests: run every queued job and deliver every result (chained jobs too), or raise."""
        deadline = QDeadlineTimer(timeout_ms)
        while self.busy:
            if deadline.hasExpired():
                raise TimeoutError(f"{self.pending()} task(s) still running after {timeout_ms} ms")
            self._pool.waitForDone(5)
            QCoreApplication.sendPostedEvents()
            QCoreApplication.processEvents()

    def shutdown(self, timeout_ms: int = 5_000) -> bool:
        """Cancel everything and wait for the workers; generator jobs stop at their next yield."""
        self._closed = True
        for queue in self._lanes.values():
            queue.clear()
        for task in list(self._active):
            task.cancel()
        finished = self._pool.waitForDone(timeout_ms)
        if not finished:
            log.warning("background work still running at exit")
        return finished

    @Slot()
    def cancel_all(self) -> None:
        for task in list(self._active):
            task.cancel()
