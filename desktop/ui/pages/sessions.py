"""Sessions: a searchable, sortable list; one session opens its calls, tools, errors, prompts, commits."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop import formatting as fmt
from desktop.reports.usage import Window, session_report
from desktop.store import Store
from desktop.store import ui_queries
from desktop.ui.archive import Archive
from desktop.ui.data import range_for
from desktop.ui.pages.overview import project_label, span_label
from desktop.ui.palette import source_name
from desktop.ui.tables import Column, RememberedTable, muted_style

log = logging.getLogger(__name__)
RANGES = [("week", "Week"), ("month", "Month"), ("quarter", "Quarter"), ("year", "Year"), ("all", "All time")]
COLUMNS = [
    Column("start_text", "Started", width=130, sort_key="start"),
    Column("tool", "Tool", width=100),
    Column("project_name", "Project", width=130),
    Column("first_prompt", "First prompt", width=300),
    Column("events", "Calls", "int"),
    Column("total_tokens", "Tokens", "tokens"),
    Column("cost_usd", "Cost", "money"),
    Column("tool_calls", "Tools", "int", "Tool calls the assistant made"),
    Column("tool_errors", "Errors", "int", "Tool calls that failed"),
    Column("minutes", "Minutes", "int", "From the first to the last call"),
]
CALL_COLUMNS = [
    Column("time", "Time", width=80, sort_key="ts"),
    Column("model", "Model", width=200),
    Column("agent", "Agent", width=110),
    Column("input", "Input", "tokens"),
    Column("cache_write", "Cache write", "tokens"),
    Column("cache_read", "Cache read", "tokens"),
    Column("output", "Output", "tokens"),
    Column("cost", "Cost", "money"),
]
TOOL_COLUMNS = [Column("name", "Tool", width=220), Column("calls", "Calls", "int"), Column("errors", "Errors", "int")]
ERROR_COLUMNS = [Column("time", "Time", width=80, sort_key="ts"), Column("name", "Tool", width=160), Column("file", "File", width=300)]
PROMPT_COLUMNS = [Column("time", "Time", width=80, sort_key="ts"), Column("length", "Characters", "int"),
                  Column("excerpt", "Excerpt", width=500)]  # fmt: skip
COMMIT_COLUMNS = [Column("time", "Committed", width=130, sort_key="ts"), Column("sha", "Commit", width=90),
                  Column("subject", "Subject", width=380), Column("link", "Link", width=90)]  # fmt: skip


def local_text(iso: str) -> str:
    moment = datetime.fromisoformat(iso)
    return f"{moment:%a} {moment.day} {moment:%b %H:%M}"


def load_sessions(store: Store, window: Window) -> list[dict[str, Any]]:
    report = session_report(store, window)
    prompts = ui_queries.first_prompts(store.conn)
    rows = []
    for row in report["rows"]:
        first = prompts.get((row["source"], row["session_id"]), "")
        start, end = datetime.fromisoformat(row["start"]), datetime.fromisoformat(row["end"])
        project = row["project"] or ""
        rows.append(dict(
            row,
            start_text=local_text(row["start"]),
            tool=source_name(row["source"]),
            project_name=project_label(project) if project else "",
            first_prompt=" ".join(first.split()),
            minutes=max(int((end - start).total_seconds() // 60), 0),
            day=start.date(),
            _search=" ".join([project, first, row["session_id"] or "", " ".join(row["models"]), source_name(row["source"])]),
        ))  # fmt: skip
    rows.sort(key=lambda r: r["start"], reverse=True)
    return rows


@dataclass
class SessionDetail:
    source: str
    session_id: str
    info: tuple | None
    calls: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    prompts: list[dict[str, Any]]
    commits: list[dict[str, Any]] = field(default_factory=list)
    commits_known: bool = False


def _clock(ts_ms: int, tz) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, tz).strftime("%H:%M:%S")


def load_detail(store: Store, source: str, session_id: str, tz) -> SessionDetail:
    conn = store.conn
    calls = [dict(time=_clock(r[0], tz), ts=r[0], model=r[1], agent=r[2], input=r[3], cache_write=r[4], cache_read=r[5],
                  output=r[6], cost=r[8], is_estimate=bool(r[9]))
             for r in ui_queries.session_calls(conn, source, session_id)]  # fmt: skip
    tools = [dict(name=n, calls=c, errors=e or 0) for n, c, e in ui_queries.session_tools(conn, source, session_id)]
    errors = [dict(time=_clock(t, tz), ts=t, name=n, file=f) for t, n, f in ui_queries.session_tool_errors(conn, source, session_id)]
    prompts = [dict(time=_clock(t, tz), ts=t, length=n, excerpt=" ".join((x or "").split()) or "(not stored)")
               for t, n, x in ui_queries.session_prompts(conn, source, session_id)]  # fmt: skip
    detail = SessionDetail(source, session_id, ui_queries.session_info(conn, source, session_id), calls, tools, errors,
                           prompts)  # fmt: skip
    _linked_commits(store, detail, tz)
    return detail


def _linked_commits(store: Store, detail: SessionDetail, tz) -> None:
    try:
        from desktop.reports import commits as commit_reports
    except ImportError:
        return
    finder = getattr(commit_reports, "session_commits", None)
    if finder is None:
        return
    try:
        found = finder(store, detail.source, detail.session_id)
    except Exception as exc:  # noqa: BLE001 - older archive without link tables
        log.info("no commit links: %s", exc)
        return
    detail.commits_known = True
    for c in found:
        get = c.get if isinstance(c, dict) else lambda k, d=None, v=c: getattr(v, k, d)
        ts = get("ts_ms") or 0
        moment = datetime.fromtimestamp(ts / 1000, tz) if ts else None
        detail.commits.append(dict(time=f"{moment:%a} {moment.day} {moment:%b %H:%M}" if moment else "", ts=ts,
                                   sha=str(get("sha", ""))[:10], subject=get("subject", "") or "",
                                   link=get("method", "") or get("link", "") or ""))  # fmt: skip


class SessionsPage(QWidget):
    reloaded = Signal()
    detail_loaded = Signal()

    def __init__(self, archive: Archive, today: Callable[[], date] | None = None,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.archive = archive
        self._today = today or (lambda: datetime.now(self.archive.timezone()).date())
        self.range_kind = archive.ui_state("sessions_range") or "month"
        self.days: tuple[date, date] | None = None
        self.project: str | None = None
        self.rows: list[dict[str, Any]] = []
        self.detail: SessionDetail | None = None
        from desktop.ui.widgets import Segmented, heading

        title = heading("Sessions", self)
        self.range_picker = Segmented(RANGES, self)
        self.range_picker.set_current(self.range_kind)
        self.range_picker.changed.connect(self.set_range)
        self.filter_chip = QPushButton(self)
        self.filter_chip.clicked.connect(self.clear_filters)
        self.filter_chip.hide()
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search prompts, projects, models  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(300)
        self.table = RememberedTable(COLUMNS, "sessions_table", archive.remember, archive.ui_state, self,
                                     tooltip=self._tooltip, default_sort=("start_text", Qt.SortOrder.DescendingOrder))  # fmt: skip
        self.table.stretch("first_prompt")
        self.search.textChanged.connect(self._on_search)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.summary = QLabel("", self)
        self.summary.setStyleSheet(muted_style(self))

        self.detail_title = QLabel("Select a session to see its calls, tools, errors, prompts and commits.", self)
        self.detail_title.setWordWrap(True)
        self.detail_title.setTextFormat(Qt.TextFormat.RichText)
        self.tabs = QTabWidget(self)
        self.calls_table = RememberedTable(CALL_COLUMNS, "session_calls", archive.remember, archive.ui_state, self,
                                          default_sort=("time", Qt.SortOrder.AscendingOrder))  # fmt: skip
        self.calls_table.stretch("model")
        self.tools_table = RememberedTable(TOOL_COLUMNS, "session_tools", archive.remember, archive.ui_state, self,
                                           default_sort=("calls", Qt.SortOrder.DescendingOrder))  # fmt: skip
        self.tools_table.stretch("name")
        self.errors_table = RememberedTable(ERROR_COLUMNS, "session_errors", archive.remember, archive.ui_state, self,
                                              default_sort=("time", Qt.SortOrder.AscendingOrder))  # fmt: skip
        self.errors_table.stretch("file")
        self.prompts_table = RememberedTable(PROMPT_COLUMNS, "session_prompts", archive.remember, archive.ui_state, self,
                                               default_sort=("time", Qt.SortOrder.AscendingOrder))  # fmt: skip
        self.prompts_table.stretch("excerpt")
        self.commits_table = RememberedTable(COMMIT_COLUMNS, "session_commits", archive.remember, archive.ui_state, self,
                                               default_sort=("time", Qt.SortOrder.AscendingOrder))  # fmt: skip
        self.commits_table.stretch("subject")
        self.tabs.addTab(self.calls_table, "Calls")
        self.tabs.addTab(self.tools_table, "Tools")
        self.tabs.addTab(self.errors_table, "Errors")
        self.tabs.addTab(self.prompts_table, "Prompts")
        self.tabs.addTab(self.commits_table, "Linked commits")
        detail = QWidget(self)
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 6, 0, 0)
        detail_layout.addWidget(self.detail_title)
        detail_layout.addWidget(self.tabs, 1)

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.summary)
        top_layout.addWidget(self.table, 1)
        self.splitter.addWidget(top)
        self.splitter.addWidget(detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        head = QHBoxLayout()
        head.addWidget(title)
        head.addSpacing(12)
        head.addWidget(self.range_picker)
        head.addWidget(self.filter_chip)
        head.addStretch(1)
        head.addWidget(self.search)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.setSpacing(10)
        layout.addLayout(head)
        layout.addWidget(self.splitter, 1)
        self._reload_timer = QTimer(self, singleShot=True, interval=350)
        self._reload_timer.timeout.connect(self.reload)
        archive.data_changed.connect(self._reload_timer.start)
        archive.settings_changed.connect(lambda key: self.reload() if key in ("timezone", "week_start") else None)

    # --- list -------------------------------------------------------------------------------
    def window(self) -> Window:  # noqa: A003 - the report's window, not a widget's
        tz = self.archive.timezone()
        if self.days is not None:
            return Window(tz=tz, since=self.days[0], until=self.days[1])
        if self.range_kind == "all":
            return Window(tz=tz)
        first, last = range_for(self.range_kind, self._today(), self.archive.week_start)
        return Window(tz=tz, since=first, until=last)

    def reload(self) -> None:
        self._reload_timer.stop()
        window = self.window()
        self.archive.read(lambda store: load_sessions(store, window), self._on_loaded, key="sessions")

    def _on_loaded(self, rows: list[dict[str, Any]]) -> None:
        if self.project is not None:
            rows = [r for r in rows if (r.get("project") or "") == self.project]
        selected = self.table.selected_row()
        self.rows = rows
        self.table.set_rows(rows)
        if selected is not None:
            for r in range(self.table.proxy.rowCount()):
                row = self.table.row_at(r) or {}
                if (row.get("source"), row.get("session_id")) == (selected.get("source"), selected.get("session_id")):
                    self.table.selectRow(r)
                    break
        self._update_summary()
        self.reloaded.emit()

    def _update_summary(self) -> None:
        shown = self.table.proxy.rowCount()
        window = self.window()
        if window.since and window.until:
            span = span_label(window.since, window.until)
        else:
            span = "All time"
        if not self.rows:
            self.summary.setText(f"{span}: no sessions. Sessions appear after an import finds assistant logs.")
            return
        tokens = sum(r["total_tokens"] for r in self.rows)
        text = f"{span}: {fmt.integer(len(self.rows))} sessions · {fmt.tokens(tokens)} tokens"
        if shown != len(self.rows):
            text += f" · {fmt.integer(shown)} match the search"
        self.summary.setText(text)

    def _on_search(self, text: str) -> None:
        self.table.proxy.setFilterFixedString(text)
        self._update_summary()

    def set_range(self, kind: str) -> None:
        self.range_kind, self.days = kind, None
        self.range_picker.set_current(kind)
        self.archive.remember("sessions_range", kind)
        self._update_chip()
        self.reload()

    def show_days(self, first: date, last: date) -> None:
        self.days, self.project = (first, last), None
        self._update_chip()
        self.reload()

    def show_project(self, project: str) -> None:
        self.project, self.days = project, None
        self._update_chip()
        self.reload()

    def clear_filters(self) -> None:
        self.days = self.project = None
        self._update_chip()
        self.reload()

    def _update_chip(self) -> None:
        if self.days is not None:
            self.filter_chip.setText(f"{span_label(*self.days)}  ✕")
        elif self.project is not None:
            self.filter_chip.setText(f"Project: {project_label(self.project)}  ✕")
        self.filter_chip.setToolTip("Click to show every session in the range")
        self.filter_chip.setVisible(self.days is not None or self.project is not None)
        self.range_picker.setEnabled(self.days is None)

    # --- detail -----------------------------------------------------------------------------
    def _on_selection(self, *args: Any) -> None:
        row = self.table.selected_row()
        if row is not None:
            self.open_session(row)

    def open_session(self, row: dict[str, Any]) -> None:
        source, session_id, tz = row["source"], row["session_id"], self.archive.timezone()
        self.detail_title.setText(self._detail_heading(row))
        self.archive.read(lambda store: load_detail(store, source, session_id, tz), self._on_detail, key="session detail")

    def _detail_heading(self, row: dict[str, Any]) -> str:
        cost = fmt.money(row["cost_usd"], row["is_estimate"]) if row["cost_usd"] is not None else fmt.UNPRICED
        models = ", ".join(row["models"]) or "no model"
        project = row["project"] or "no project"
        return (f"<b>{source_name(row['source'])}</b> · {project} · {local_text(row['start'])} – "
                f"{datetime.fromisoformat(row['end']):%H:%M} · <b>{fmt.tokens(row['total_tokens'], row['is_estimate'])} tok · "
                f"{cost}</b> · {models}")  # fmt: skip

    def _on_detail(self, detail: SessionDetail) -> None:
        self.detail = detail
        self.calls_table.set_rows(detail.calls)
        self.tools_table.set_rows(detail.tools)
        self.errors_table.set_rows(detail.errors)
        self.prompts_table.set_rows(detail.prompts)
        self.commits_table.set_rows(detail.commits)
        self.tabs.setTabText(0, f"Calls ({len(detail.calls)})")
        self.tabs.setTabText(1, f"Tools ({sum(t['calls'] for t in detail.tools)})")
        self.tabs.setTabText(2, f"Errors ({len(detail.errors)})")
        self.tabs.setTabText(3, f"Prompts ({len(detail.prompts)})")
        self.tabs.setTabText(4, f"Linked commits ({len(detail.commits)})" if detail.commits_known else "Linked commits")
        self.detail_loaded.emit()

    @staticmethod
    def _tooltip(row: dict[str, Any], column: Column) -> str | None:
        if column.key == "first_prompt":
            return row.get("first_prompt") or "No prompt excerpt stored (Settings → Prompt excerpts)"
        if column.key == "project_name":
            return row.get("project") or None
        if column.key == "start_text":
            return f"Session {row['session_id']}"
        return None

    def select_first(self) -> None:
        if self.table.proxy.rowCount():
            self.table.selectRow(0)
