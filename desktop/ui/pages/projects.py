"""Projects: tokens and cost against commits per project; selecting one filters the overview chart."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QMenu, QVBoxLayout, QWidget

from desktop import formatting as fmt
from desktop.reports.usage import Window, project_report
from desktop.store import Store
from desktop.ui.archive import Archive
from desktop.ui.data import range_for
from desktop.ui.pages.overview import project_label, span_label
from desktop.ui.tables import Column, RememberedTable, muted_style
from desktop.ui.widgets import Segmented, heading

log = logging.getLogger(__name__)
RANGES = [("week", "Week"), ("month", "Month"), ("quarter", "Quarter"), ("year", "Year"), ("all", "All time")]
COLUMNS = [
    Column("name", "Project", tooltip="The folder the assistant worked in", width=200),
    Column("total_tokens", "Tokens", "tokens", "All tokens: input, output, cache reads and writes"),
    Column("cost_usd", "Cost", "money", "Cost from the bundled price table (or the tool's own figure)"),
    Column("sessions", "Sessions", "int"),
    Column("commits", "Commits", "int", "Your commits in this project's repository"),
    Column("lines", "Lines ±", "int", "Lines added plus lines removed by your commits"),
    Column("cost_per_commit", "Cost / commit", "money", "Cost divided by commits; empty without commits"),
    Column("ai_share", "AI trailer", "percent", "Share of commits with an AI co-author trailer"),
    Column("last_day", "Last active", tooltip="The last day an assistant worked here", width=110),
]


def commit_columns(store: Store, window: Window) -> dict[str, dict[str, int]]:
    """project path -> commits, ai_trailer_commits, lines_added, lines_removed (when commit data exists)."""
    try:
        from desktop.reports.commits import project_commit_columns
    except ImportError:
        return {}
    try:
        found: Any = project_commit_columns(store, window)
    except Exception as exc:  # noqa: BLE001 - an archive without commit tables: usage alone
        log.info("no commit columns: %s", exc)
        return {}
    items = found.items() if isinstance(found, dict) else ((r.get("project"), r) for r in found)
    result: dict[str, dict[str, int]] = {}
    for project, value in items:
        get = value.get if isinstance(value, dict) else lambda k, d=None, v=value: getattr(v, k, d)
        result[project or ""] = {k: int(get(k, 0) or 0) for k in
                                 ("commits", "ai_trailer_commits", "lines_added", "lines_removed")}  # fmt: skip
    return result


def load_projects(store: Store, window: Window) -> list[dict[str, Any]]:
    report = project_report(store, window)
    commits = commit_columns(store, window)
    rows = []
    for row in report["rows"]:
        path = row["project"] or ""
        c = commits.get(path)
        row = dict(row, name=project_label(path), path=path, _search=path)
        if c is not None:
            lines = c["lines_added"] + c["lines_removed"]
            row.update(commits=c["commits"], lines=lines, ai_share=(c["ai_trailer_commits"] / c["commits"]) if c["commits"] else None,
                       cost_per_commit=(row["cost_usd"] / c["commits"]) if c["commits"] and row["cost_usd"] is not None else None,
                       lines_added=c["lines_added"], lines_removed=c["lines_removed"])  # fmt: skip
        else:
            row.update(commits=None, lines=None, ai_share=None, cost_per_commit=None)
        rows.append(row)
    return rows


class ProjectsPage(QWidget):
    reloaded = Signal()
    project_selected = Signal(object)  # project path or None
    sessions_requested = Signal(str)

    def __init__(self, archive: Archive, today: Callable[[], date] | None = None,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.archive = archive
        self._today = today or (lambda: datetime.now(self.archive.timezone()).date())
        self.range_kind = archive.ui_state("projects_range") or "month"
        self.rows: list[dict[str, Any]] = []
        title = heading("Projects", self)
        self.range_picker = Segmented(RANGES, self)
        self.range_picker.set_current(self.range_kind)
        self.range_picker.changed.connect(self.set_range)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Filter projects  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(240)
        self.table = RememberedTable(COLUMNS, "projects_table", archive.remember, archive.ui_state, self,
                                     tooltip=self._tooltip, default_sort=("total_tokens", Qt.SortOrder.DescendingOrder))  # fmt: skip
        self.table.stretch("name")
        self.search.textChanged.connect(self.table.proxy.setFilterFixedString)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.doubleClicked.connect(lambda index: self._request_sessions(self.table.row_at(index.row())))
        self.summary = QLabel("", self)
        self.summary.setStyleSheet(muted_style(self))
        self.empty = QLabel("", self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet(muted_style(self))
        self.empty.hide()
        head = QHBoxLayout()
        head.addWidget(title)
        head.addSpacing(12)
        head.addWidget(self.range_picker)
        head.addStretch(1)
        head.addWidget(self.search)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.setSpacing(10)
        layout.addLayout(head)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty, 1)
        self._reload_timer = QTimer(self, singleShot=True, interval=300)
        self._reload_timer.timeout.connect(self.reload)
        archive.data_changed.connect(self._reload_timer.start)
        archive.settings_changed.connect(lambda key: self.reload() if key in ("timezone", "week_start") else None)

    def window_range(self) -> tuple[date | None, date | None]:
        if self.range_kind == "all":
            return None, None
        return range_for(self.range_kind, self._today(), self.archive.week_start)

    def reload(self) -> None:
        self._reload_timer.stop()
        first, last = self.window_range()
        window = Window(tz=self.archive.timezone(), since=first, until=last)
        self.archive.read(lambda store: load_projects(store, window), self._on_loaded, key="projects")

    def _on_loaded(self, rows: list[dict[str, Any]]) -> None:
        selected = self.table.selected_row()
        self.rows = rows
        self.table.set_rows(rows)
        first, last = self.window_range()
        span = span_label(first, last) if first and last else "All time"
        has_commits = any(r.get("commits") is not None for r in rows)
        tokens = sum(r["total_tokens"] for r in rows)
        cost = sum(r["cost_usd"] or 0 for r in rows)
        text = f"{span}: {len(rows)} project{'s' if len(rows) != 1 else ''} · {fmt.tokens(tokens)} tokens · {fmt.money(cost)}"
        if not has_commits:
            text += " · commit columns fill in once your repositories have been read"
        self.summary.setText(text)
        self.table.setVisible(bool(rows))
        self.empty.setVisible(not rows)
        self.empty.setText(f"No assistant usage in any project ({span.lower() if span == 'All time' else span}).")
        if selected is not None:
            for r in range(self.table.proxy.rowCount()):
                if (self.table.row_at(r) or {}).get("path") == selected.get("path"):
                    self.table.selectRow(r)
                    break
        self.reloaded.emit()

    def set_range(self, kind: str) -> None:
        self.range_kind = kind
        self.range_picker.set_current(kind)
        self.archive.remember("projects_range", kind)
        self.reload()

    def _on_selection(self, *args: Any) -> None:
        row = self.table.selected_row()
        self.project_selected.emit(row["path"] if row else None)

    def select_project(self, path: str) -> bool:
        for r in range(self.table.proxy.rowCount()):
            if (self.table.row_at(r) or {}).get("path") == path:
                self.table.selectRow(r)
                return True
        return False

    def _request_sessions(self, row: dict[str, Any] | None) -> None:
        if row:
            self.sessions_requested.emit(row["path"])

    def _context_menu(self, pos: QPoint) -> None:
        row = self.table.row_at(self.table.indexAt(pos).row())
        if row is None:
            return
        menu = QMenu(self)
        menu.addAction("Show sessions", lambda: self._request_sessions(row))
        menu.addAction("Filter the overview chart", lambda: self.project_selected.emit(row["path"]))
        menu.popup(self.table.viewport().mapToGlobal(pos))

    @staticmethod
    def _tooltip(row: dict[str, Any], column: Column) -> str | None:
        if column.key == "name":
            return row.get("path") or "Events without a working directory"
        if column.key == "lines" and row.get("lines") is not None:
            return f"+{fmt.integer(row['lines_added'])} added, −{fmt.integer(row['lines_removed'])} removed"
        if column.key in ("commits", "lines", "ai_share", "cost_per_commit") and row.get("commits") is None:
            return "No commit data for this project yet"
        return None
