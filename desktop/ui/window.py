"""The main window: a sidebar of pages, and a status bar that shows imports as they run."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QStackedWidget,
    QWidget,
)

from desktop import formatting as fmt
from desktop.ingest import ScanProgress
from desktop.sources import Source
from desktop.ui.archive import Archive
from desktop.ui.export_dialog import ExportDialog
from desktop.ui.findings import FindingsFeed, FindingsSnapshot, SessionRef
from desktop.ui.pages.insights import InsightsPage
from desktop.ui.pages.overview import OverviewPage
from desktop.ui.pages.projects import ProjectsPage
from desktop.ui.pages.sessions import SessionsPage
from desktop.ui.pages.settings import SettingsPage
from desktop.ui.palette import source_name
from desktop.scan_job import ScanResult
from desktop.ui.scanner import Scanner

log = logging.getLogger(__name__)
PAGES = ("overview", "projects", "sessions", "insights", "settings")
TITLES = {"overview": "Overview", "projects": "Projects", "sessions": "Sessions", "insights": "Insights",
          "settings": "Settings"}  # fmt: skip


class MainWindow(QMainWindow):
    quit_requested = Signal()
    page_changed = Signal(str)

    def __init__(self, archive: Archive, scanner: Scanner, sources: list[Source], *, icon: QIcon | None = None,
                 today: Callable[[], date] | None = None, findings: FindingsFeed | None = None,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.archive = archive
        self.scanner = scanner
        self.findings = findings or FindingsFeed(archive, scanner, today=today, parent=self)
        self.hide_on_close = False  # True when a tray icon can bring the window back
        self.export_dialog: ExportDialog | None = None  # made when first asked for, then kept
        self.setWindowTitle("Tokenmirror")
        if icon is not None:
            self.setWindowIcon(icon)
        self.overview = OverviewPage(archive, today=today, parent=self)
        self.projects = ProjectsPage(archive, today=today, parent=self)
        self.sessions = SessionsPage(archive, today=today, parent=self)
        self.insights = InsightsPage(archive, self.findings, parent=self)
        self.settings_page = SettingsPage(archive, sources, scanner.env, parent=self)
        self.pages: dict[str, QWidget] = {"overview": self.overview, "projects": self.projects,
                                          "sessions": self.sessions, "insights": self.insights,
                                          "settings": self.settings_page}  # fmt: skip

        self.sidebar = QListWidget(self)
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFrameShape(QListWidget.Shape.NoFrame)
        self.sidebar.setFixedWidth(max(150, self.fontMetrics().horizontalAdvance("Overview") * 2 + 40))
        self.sidebar.setIconSize(QSize(18, 18))
        self.stack = QStackedWidget(self)
        for key in PAGES:
            item = QListWidgetItem(TITLES[key])
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setSizeHint(QSize(0, self.fontMetrics().height() + 18))
            self.sidebar.addItem(item)
            self.stack.addWidget(self.pages[key])
        self.sidebar.currentRowChanged.connect(self._on_row_changed)
        central = QWidget(self)
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._style_sidebar()

        self.status_label = QLabel("", self)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(260)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().setSizeGripEnabled(False)

        QShortcut(QKeySequence("Ctrl+W"), self, activated=self.close)
        QShortcut(QKeySequence("Ctrl+Q"), self, activated=self.quit_requested.emit)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self, activated=self.focus_search)
        for i, key in enumerate(PAGES):
            QShortcut(QKeySequence(f"Ctrl+{i + 1}"), self, activated=lambda k=key: self.show_page(k))

        scanner.started.connect(self._on_scan_started)
        scanner.progressed.connect(self.show_scan_progress)
        scanner.finished.connect(self._on_scan_finished)
        scanner.failed.connect(self._on_scan_failed)
        scanner.running_changed.connect(lambda running: self.progress.setVisible(running) if not running else None)
        scanner.paused_changed.connect(self._on_paused)
        archive.write_failed.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        self.projects.project_selected.connect(self.overview.set_project)
        self.projects.sessions_requested.connect(self._show_project_sessions)
        self.overview.sessions_requested.connect(self._show_day_sessions)
        self.overview.insights_requested.connect(lambda: self.show_page("insights"))
        self.insights.session_requested.connect(self.show_session)
        self.overview.export_requested.connect(self._export_from_overview)
        self.settings_page.status_message.connect(lambda text: self.statusBar().showMessage(text, 15_000))
        self.settings_page.cursor_csv_imported.connect(lambda _: self.findings.recompute())
        self.findings.loaded.connect(self._on_findings)

        size = archive.ui_state("window_size") or [1180, 780]
        self.resize(int(size[0]), int(size[1]))
        start = archive.ui_state("page") if archive.ui_state("page") in PAGES else "overview"
        self.show_page(start)

    # --- pages ------------------------------------------------------------------------------
    def show_page(self, key: str) -> None:
        self.sidebar.setCurrentRow(PAGES.index(key))

    def current_page(self) -> str:
        return PAGES[max(self.sidebar.currentRow(), 0)]

    def _on_row_changed(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        self.archive.remember("page", PAGES[row])
        self.page_changed.emit(PAGES[row])

    def focus_search(self) -> None:
        """Ctrl+F: the search of the page that has one; the sessions search otherwise."""
        page = self.current_page()
        if page not in ("projects", "sessions"):
            self.show_page("sessions")
            page = "sessions"
        self.pages[page].search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.pages[page].search.selectAll()

    def reload_all(self) -> None:
        self.overview.reload()
        self.projects.reload()
        self.sessions.reload()
        self.findings.reload()

    def _show_project_sessions(self, project: str) -> None:
        self.sessions.show_project(project)
        self.show_page("sessions")

    def _show_day_sessions(self, first: date, last: date) -> None:
        self.sessions.show_days(first, last)
        self.show_page("sessions")

    def show_session(self, ref: SessionRef) -> None:
        """Sessions, filtered to the days the session spans, with that session selected and open."""
        sessions = self.sessions

        def select() -> None:
            sessions.reloaded.disconnect(select)
            for r in range(sessions.table.proxy.rowCount()):
                row = sessions.table.row_at(r) or {}
                if (row.get("source"), row.get("session_id")) == (ref.source, ref.session_id):
                    sessions.table.selectRow(r)
                    sessions.table.scrollTo(sessions.table.proxy.index(r, 0))
                    return
            self.statusBar().showMessage("That session is no longer in the archive.", 8000)

        sessions.search.clear()
        sessions.reloaded.connect(select)
        if ref.first is not None and ref.last is not None:
            sessions.show_days(ref.first, ref.last)
        else:
            sessions.set_range("all")
        self.show_page("sessions")

    def show_finding(self, finding_id: int | None = None) -> None:
        """The window, on Insights, with that finding selected (tray menu and notifications)."""
        self.show_and_raise()
        self.show_page("insights")
        if finding_id is not None:
            self.insights.select_finding(finding_id)

    def _on_findings(self, snapshot: FindingsSnapshot) -> None:
        new = snapshot.open_count
        self.sidebar.item(PAGES.index("insights")).setText(f"Insights ({new} new)" if new else "Insights")
        self.overview.set_findings(new, len(snapshot.active))

    # --- export and import ------------------------------------------------------------------
    def open_export(self, preset: str | None = None) -> ExportDialog:
        """The export dialog (one, kept), on `preset` ("this-week", ...) when given, raised."""
        if self.export_dialog is None:
            self.export_dialog = ExportDialog(self.archive, today=self.overview.today, parent=self)
        if preset is not None:
            self.export_dialog.set_period(preset)
        self.export_dialog.show()
        self.export_dialog.raise_()
        self.export_dialog.activateWindow()
        return self.export_dialog

    def _export_from_overview(self) -> None:
        first, last = self.overview.current_range()
        self.open_export().follow_range(self.overview.range_kind, self.overview.back, first, last)

    def import_cursor_csv(self) -> None:
        """The window on Settings, where the import reports, then the file dialog."""
        self.show_and_raise()
        self.show_page("settings")
        self.settings_page.import_cursor_csv()

    # --- showing and hiding -----------------------------------------------------------------
    def show_and_raise(self) -> None:
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.archive.remember("window_size", [self.width(), self.height()])
        if self.hide_on_close:
            event.ignore()
            self.hide()
            return
        event.accept()
        self.quit_requested.emit()

    # --- import status ----------------------------------------------------------------------
    def _on_scan_started(self) -> None:
        self.progress.setValue(0)
        self.progress.show()
        self.status_label.setText("Looking for new assistant logs…")

    def show_scan_progress(self, progress: ScanProgress) -> None:
        self.progress.show()
        if progress.bytes_total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(progress.bytes_done / progress.bytes_total * 1000))
        else:
            self.progress.setRange(0, 0)
        if progress.source:
            share = progress.bytes_done / progress.bytes_total * 100 if progress.bytes_total else 0
            self.status_label.setText(
                f"Importing {source_name(progress.source)} logs · file {progress.files_done + 1} of "
                f"{progress.files_total} · {share:.0f}%"
            )

    def _on_scan_finished(self, result: ScanResult) -> None:
        self.progress.hide()
        self.progress.setRange(0, 1000)
        added = result.summary.events_added
        when = datetime.now().strftime("%H:%M")
        text = f"Up to date at {when}"
        if added:
            text += f" · {fmt.integer(added)} new call{'s' if added != 1 else ''} imported"
        if result.commits_added:
            text += f" · {fmt.integer(result.commits_added)} new commits"
        unreadable = sum(len(s.unreadable) for s in result.summary.sources)
        if unreadable:
            text += f" · {unreadable} file(s) could not be read (see `tokenmirror doctor`)"
        if self.scanner.paused:
            text += " · automatic imports paused"
        self.status_label.setText(text)

    def _on_scan_failed(self, text: str) -> None:
        self.progress.hide()
        self.status_label.setText(text)

    def _on_paused(self, paused: bool) -> None:
        self.status_label.setText("Automatic imports paused" if paused else "Automatic imports resumed")

    def _style_sidebar(self) -> None:
        p = self.palette()
        from desktop.ui import palette as pal

        self.sidebar.setStyleSheet(
            "QListWidget#sidebar { padding-top: 10px; background: %s; }"
            "QListWidget#sidebar::item { padding-left: 16px; border: none; }"
            "QListWidget#sidebar::item:selected { background: %s; color: %s; border-radius: 6px; }"
            % (pal.sidebar_colour(p).name(), p.color(p.ColorRole.Highlight).name(),
               p.color(p.ColorRole.HighlightedText).name())  # fmt: skip
        )

    def changeEvent(self, event) -> None:  # noqa: N802
        from PySide6.QtCore import QEvent

        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._style_sidebar()
        super().changeEvent(event)
