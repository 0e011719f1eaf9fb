"""The window's handle on the archive: reads and writes run as tasks with their own connection.

Settings are read once at start (WAL readers never wait) and kept here; a change updates this
copy at once, tells the pages, and is written on the archive lane, so a scan queued after it
already sees it. The window's remembered state (sorts, widths, choices) is saved the same way,
coalesced.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.periods import UnknownZone, zone
from desktop.store import Store
from desktop.store import ui_queries
from desktop.ui.tasks import Task, TaskFailure, TaskRunner

log = logging.getLogger(__name__)
WRITE_LANE = "archive"
UI_STATE_SAVE_MS = 1500


class Archive(QObject):
    settings_changed = Signal(str)  # setting key: the value is already in `settings`
    data_changed = Signal()  # new rows or new numbers (scan, price overrides): pages reload
    write_failed = Signal(str)  # an environment problem, said in one line

    def __init__(self, db_path: Path, tasks: TaskRunner, settings: dict[str, Any], ui_state: dict[str, Any],
                 parent: QObject | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.db_path = Path(db_path)
        self.tasks = tasks
        self.settings = settings
        self._ui_state = ui_state
        self._state_timer = QTimer(self, singleShot=True, interval=UI_STATE_SAVE_MS)
        self._state_timer.timeout.connect(self.save_ui_state)

    @classmethod
    def open(cls, store: Store, tasks: TaskRunner, parent: QObject | None = None) -> Archive:
        """Read settings and remembered state once, on the GUI thread, at start-up."""
        assert store.path is not None, "the window needs a file archive (workers open their own connection)"
        return cls(store.path, tasks, store.settings.all(), ui_queries.ui_state(store.conn), parent)

    # --- reading ----------------------------------------------------------------------------
    def read(self, query: Callable[[Store], Any], on_done: Callable[[Any], None], *, key: str | None = None,
             on_error: Callable[[TaskFailure], None] | None = None) -> Task:  # fmt: skip
        """Run `query(store)` on a worker with its own connection; `on_done(result)` on the GUI thread."""
        path = self.db_path

        def job() -> Any:
            store = Store.open(path, migrate=False)
            try:
                return query(store)
            finally:
                store.close()

        return self.tasks.run(job, on_done=on_done, on_error=on_error, key=key, name=key or "read")

    def write(self, change: Callable[[Store], Any], on_done: Callable[[Any], None] | None = None,
              name: str = "write") -> Task:  # fmt: skip
        path = self.db_path

        def job() -> Any:
            store = Store.open(path, migrate=False)
            try:
                return change(store)
            finally:
                store.close()

        return self.tasks.run(job, on_done=on_done, on_error=self._write_error, lane=WRITE_LANE, name=name)

    def _write_error(self, failure: TaskFailure) -> None:
        from desktop.errors import KnownError
        import sqlite3

        if isinstance(failure.error, (KnownError, sqlite3.OperationalError, OSError)):
            log.warning("cannot write to the archive: %s", failure.error)
            self.write_failed.emit(f"Could not save to the archive: {failure.error}")
            return
        raise failure.error

    # --- settings ---------------------------------------------------------------------------
    def setting(self, key: str) -> Any:
        return copy.deepcopy(self.settings[key])

    def set_setting(self, key: str, value: Any) -> None:
        if self.settings.get(key) == value:
            return
        self.settings[key] = copy.deepcopy(value)
        self.write(lambda store, k=key, v=copy.deepcopy(value): store.settings.set(k, v), name=f"setting {key}")
        self.settings_changed.emit(key)

    def timezone(self):
        try:
            return zone(self.settings.get("timezone"))
        except UnknownZone:
            return zone(None)

    @property
    def week_start(self) -> str:
        return self.settings.get("week_start") or "monday"

    # --- remembered window state ------------------------------------------------------------
    def ui_state(self, key: str, default: Any = None) -> Any:
        return copy.deepcopy(self._ui_state.get(key, default))

    def remember(self, key: str, value: Any) -> None:
        if self._ui_state.get(key) == value:
            return
        self._ui_state[key] = copy.deepcopy(value)
        self._state_timer.start()

    def save_ui_state(self) -> None:
        self._state_timer.stop()
        state = copy.deepcopy(self._ui_state)
        self.write(lambda store: ui_queries.save_ui_state(store.conn, state), name="ui state")

    def save_ui_state_now(self, store: Store) -> None:
        """At quit, on the GUI thread's own connection: the task pool is already shutting down."""
        self._state_timer.stop()
        ui_queries.save_ui_state(store.conn, self._ui_state)
