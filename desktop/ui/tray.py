"""The tray icon: state at a glance, today's numbers in the tooltip, a menu built when it opens.

The numbers are read after each import (off the GUI thread) and kept; opening the menu only
formats them, so it never waits on the disk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMenu, QSystemTrayIcon, QWidgetAction

from desktop import formatting as fmt
from desktop.ui.archive import Archive
from desktop.ui.data import Totals, TraySummary, load_recent
from desktop.ui.findings import FindingsSnapshot, latest_words
from desktop.ui.icons import tray_icon
from desktop.ui.pages.overview import project_label
from desktop.ui.scanner import Scanner
from desktop.ui.window import MainWindow

log = logging.getLogger(__name__)


def tooltip_text(summary: TraySummary | None) -> str:
    if summary is None:
        return "Tokenmirror"
    today = summary.today
    cost = fmt.money(today.cost) if today.cost_known or not today.events else fmt.UNPRICED
    return f"today: {fmt.tokens(today.tokens)} tok · {cost}"


def _cost(totals: Totals) -> str:
    return fmt.money(totals.cost) if totals.cost_known or not totals.events else fmt.UNPRICED


class Tray(QObject):
    summary_changed = Signal()

    def __init__(self, window: MainWindow, archive: Archive, scanner: Scanner, quit_app: Callable[[], None],
                 today: Callable[[], date] | None = None, parent: QObject | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.window = window
        self.archive = archive
        self.scanner = scanner
        self._quit = quit_app
        self._today = today or (lambda: datetime.now(self.archive.timezone()).date())
        self.summary: TraySummary | None = None
        self.has_finding = False
        self.latest_finding: tuple[int, str] | None = None  # (id, one line) of the newest finding not dismissed
        self.state = "idle"
        self.actions: dict[str, QAction] = {}
        self.menu = QMenu()
        self.menu.aboutToShow.connect(self.rebuild_menu)
        self.icon = QSystemTrayIcon(tray_icon("idle"), self)
        self.icon.setContextMenu(self.menu)
        self.icon.setToolTip("Tokenmirror")
        self.icon.activated.connect(self._on_activated)
        self.icon.messageClicked.connect(lambda: self.window.show_finding())
        self.rebuild_menu()
        self._refresh_timer = QTimer(self, singleShot=True, interval=200)
        self._refresh_timer.timeout.connect(self.refresh)
        self._midnight = QTimer(self, singleShot=True)  # today's numbers start over at local midnight
        self._midnight.timeout.connect(self.refresh)
        archive.data_changed.connect(self._refresh_timer.start)
        archive.settings_changed.connect(lambda key: self._refresh_timer.start() if key in ("timezone", "week_start") else None)
        scanner.running_changed.connect(lambda _: self._update_state())

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self) -> None:
        self.icon.show()

    # --- numbers ----------------------------------------------------------------------------
    def refresh(self) -> None:
        tz, today, week_start = self.archive.timezone(), self._today(), self.archive.week_start
        self.archive.read(lambda store: load_recent(store, tz, today, week_start), self._on_summary, key="tray")
        now = datetime.now(tz)
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tz)
        self._midnight.start(max(int((midnight - now).total_seconds() * 1000) + 1000, 60_000))

    def _on_summary(self, summary: TraySummary) -> None:
        self.summary = summary
        self.icon.setToolTip(tooltip_text(summary))
        self.summary_changed.emit()

    # --- state ------------------------------------------------------------------------------
    def set_finding(self, new: bool) -> None:
        self.has_finding = new
        self._update_state()

    def set_findings(self, snapshot: FindingsSnapshot) -> None:
        """The icon says "new finding" while any finding is new (not seen, not dismissed); the menu names the latest."""
        latest = snapshot.latest()
        self.latest_finding = (latest["id"], latest_words(latest)) if latest else None
        self.set_finding(snapshot.open_count > 0)

    def can_notify(self) -> bool:
        return self.icon.isVisible() and QSystemTrayIcon.supportsMessages()

    def notify(self, title: str, message: str) -> None:
        """A desktop notification from the tray icon, where there is one to speak from."""
        if not self.can_notify():
            log.info("notification not shown (no tray icon): %s", title)
            return
        self.icon.showMessage(title, message, QSystemTrayIcon.MessageIcon.Information, 15_000)

    def _update_state(self) -> None:
        state = "importing" if self.scanner.running else "finding" if self.has_finding else "idle"
        if state != self.state:
            self.state = state
            self.icon.setIcon(tray_icon(state))

    # --- menu -------------------------------------------------------------------------------
    def menu_lines(self) -> list[str]:
        """The information rows at the top of the menu (tests read them)."""
        s = self.summary
        if s is None:
            return ["Reading your archive…"]
        lines = [f"Today: {fmt.tokens(s.today.tokens)} tok · {_cost(s.today)}"]
        week = f"This week: {fmt.tokens(s.week.tokens)} tok · {_cost(s.week)}"
        if s.last_week.tokens or s.week.tokens:
            week += f"  ({fmt.delta(s.week.tokens, s.last_week.tokens)} vs last week)"
        lines.append(week)
        if s.top_project is not None:
            path, tokens, cost = s.top_project
            lines.append(f"Top project: {project_label(path)} · {fmt.tokens(tokens)} tok · {fmt.money(cost)}")
        else:
            lines.append("Top project: none yet this week")
        return lines

    def rebuild_menu(self) -> None:
        self.menu.clear()
        self.actions = {}
        for i, line in enumerate(self.menu_lines()):
            action = QWidgetAction(self.menu)  # a label, not a greyed-out item: these numbers are the point
            label = QLabel(line)
            label.setContentsMargins(12, 3, 16, 3)
            if i == 0:
                font = label.font()
                font.setBold(True)
                label.setFont(font)
            action.setDefaultWidget(label)
            action.setText(line)
            self.menu.addAction(action)
            self.actions[f"info{i}"] = action
        if self.latest_finding is not None:
            finding_id, words = self.latest_finding
            action = self.menu.addAction(f"Latest finding: {words}", lambda: self.window.show_finding(finding_id))
            action.setToolTip("Open it in Insights")
            self.actions["finding"] = action
        self.menu.addSeparator()
        self.actions["open"] = self.menu.addAction("Open Tokenmirror", self.open_window)
        self.actions["scan"] = self.menu.addAction("Scan now", lambda: self.scanner.request(manual=True))
        if self.scanner.running:
            self.actions["scan"].setText("Importing…")
            self.actions["scan"].setEnabled(False)
        pause = "Resume automatic imports" if self.scanner.paused else "Pause automatic imports"
        self.actions["export"] = self.menu.addAction("Export week…", lambda: self.window.open_export("this-week"))
        self.actions["import_cursor"] = self.menu.addAction("Import Cursor CSV…", self.window.import_cursor_csv)
        self.actions["pause"] = self.menu.addAction(pause, lambda: self.scanner.set_paused(not self.scanner.paused))
        self.menu.addSeparator()
        self.actions["quit"] = self.menu.addAction("Quit Tokenmirror", self._quit)

    def open_window(self) -> None:
        self.window.show_and_raise()

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            if self.window.isVisible() and not self.window.isMinimized() and self.window.isActiveWindow():
                self.window.hide()
            else:
                self.open_window()
