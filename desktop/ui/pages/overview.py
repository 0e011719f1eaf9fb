"""Overview: this week at a glance against last week, and daily tokens against commits over a range."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, datetime, timedelta

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop import formatting as fmt
from desktop.ui import palette as pal
from desktop.ui.archive import Archive
from desktop.ui.charts import UsageChart
from desktop.ui.data import ChartData, Totals, UsageCube, empty_cube, load_usage, range_for, week_so_far
from desktop.ui.tables import muted_style
from desktop.ui.widgets import Segmented, StatCard, heading

RANGE_CHOICES = [("week", "Week"), ("month", "Month"), ("quarter", "Quarter"), ("year", "Year"), ("custom", "Custom")]
GROUP_CHOICES = [("source", "By tool"), ("model", "By model")]


def project_label(path: str) -> str:
    return os.path.basename(path.rstrip("/\\")) or path or "(no project)"


def span_label(first: date, last: date) -> str:
    if first == last:
        return f"{first:%a} {first.day} {first:%b %Y}"
    if first.year != last.year:
        return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"
    if first.month != last.month:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{first.day}–{last.day} {last:%b %Y}"


def weekday_span(first: date, last: date) -> str:
    return f"{first:%a}" if first == last else f"{first:%a}–{last:%a}"


class OverviewPage(QWidget):
    reloaded = Signal()  # new data from the archive is on screen
    sessions_requested = Signal(object, object)  # (first day, last day): "Show sessions" on a bar
    insights_requested = Signal()  # the findings line was clicked
    export_requested = Signal()  # "Export…": the export dialog, starting from the range shown

    def __init__(self, archive: Archive, today: Callable[[], date] | None = None,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.archive = archive
        self._today = today or (lambda: datetime.now(self.archive.timezone()).date())
        self.cube: UsageCube = empty_cube(archive.timezone())
        self.loaded = False
        self.project: str | None = None
        state = archive.ui_state("overview", {}) or {}
        self.range_kind: str = state.get("range", "month") if state.get("range") in dict(RANGE_CHOICES) else "month"
        self.by: str = state.get("by", "source") if state.get("by") in ("source", "model") else "source"
        self.back = 0
        self.custom: tuple[date, date] | None = None
        self.chart_data: ChartData | None = None
        self._build(bool(state.get("cost", False)))
        self._reload_timer = QTimer(self, singleShot=True, interval=250)
        self._reload_timer.timeout.connect(self.reload)
        archive.data_changed.connect(self._reload_timer.start)
        archive.settings_changed.connect(self._on_setting)

    # --- layout -----------------------------------------------------------------------------
    def _build(self, show_cost: bool) -> None:
        self.heading = heading("This week", self)
        self.week_note = QLabel("", self)
        self.week_note.setStyleSheet(muted_style(self))
        self.tokens_card = StatCard("Tokens", self)
        self.cost_card = StatCard("Cost", self)
        self.commits_card = StatCard("Commits", self)
        self.project_card = StatCard("Top project", self)
        self.findings_link = QPushButton("", self)
        self.findings_link.setFlat(True)
        self.findings_link.setCursor(Qt.CursorShape.PointingHandCursor)
        self.findings_link.setToolTip("Open Insights: where tokens went without producing work")
        self.findings_link.clicked.connect(self.insights_requested.emit)
        self.findings_link.hide()
        self.export_button = QPushButton("Export…", self)
        self.export_button.setToolTip("Write a private summary of a period: PDF, HTML, Markdown, CSV or JSON")
        self.export_button.clicked.connect(self.export_requested.emit)
        cards = QGridLayout()
        cards.setSpacing(10)
        for i, card in enumerate((self.tokens_card, self.cost_card, self.commits_card, self.project_card)):
            cards.addWidget(card, 0, i)
            cards.setColumnStretch(i, 1)

        self.range_picker = Segmented(RANGE_CHOICES, self)
        self.range_picker.set_current(self.range_kind)
        self.range_picker.changed.connect(self.set_range)
        self.prev_button = QToolButton(self)
        self.prev_button.setText("◀")
        self.prev_button.setToolTip("Previous period")
        self.prev_button.clicked.connect(lambda: self.step(1))
        self.next_button = QToolButton(self)
        self.next_button.setText("▶")
        self.next_button.setToolTip("Next period")
        self.next_button.clicked.connect(lambda: self.step(-1))
        self.period_label = QLabel("", self)
        self.period_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("28 Sep – 31 Dec 2026") + 8)
        self.since_edit = QDateEdit(self)
        self.until_edit = QDateEdit(self)
        for edit in (self.since_edit, self.until_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("d MMM yyyy")
            edit.dateChanged.connect(self._on_custom_dates)
        self.group_picker = Segmented(GROUP_CHOICES, self)
        self.group_picker.set_current(self.by)
        self.group_picker.changed.connect(self.set_grouping)
        self.cost_check = QCheckBox("Cost line", self)
        self.cost_check.setChecked(show_cost)
        self.cost_check.toggled.connect(self.set_show_cost)
        self.project_chip = QPushButton(self)
        self.project_chip.setToolTip("Showing one project; click to show all projects")
        self.project_chip.clicked.connect(lambda: self.set_project(None))
        self.project_chip.hide()

        controls = QHBoxLayout()
        controls.setSpacing(8)
        controls.addWidget(self.range_picker)
        controls.addWidget(self.prev_button)
        controls.addWidget(self.period_label)
        controls.addWidget(self.next_button)
        controls.addWidget(self.since_edit)
        controls.addWidget(self.until_edit)
        controls.addStretch(1)
        controls.addWidget(self.project_chip)
        controls.addWidget(self.group_picker)
        controls.addWidget(self.cost_check)

        self.range_summary = QLabel("", self)
        self.range_summary.setTextFormat(Qt.TextFormat.RichText)
        self.chart = UsageChart(self)
        self.chart.set_show_cost(show_cost)
        self.chart.day_context_requested.connect(lambda day: self.sessions_requested.emit(day, day))

        heading_row = QHBoxLayout()
        heading_row.addWidget(self.heading)
        heading_row.addSpacing(8)
        heading_row.addWidget(self.week_note, 1)
        heading_row.addWidget(self.findings_link)
        heading_row.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.setSpacing(10)
        layout.addLayout(heading_row)
        layout.addLayout(cards)
        layout.addSpacing(6)
        layout.addLayout(controls)
        layout.addWidget(self.range_summary)
        layout.addWidget(self.chart, 1)
        self._sync_controls()

    # --- data -------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the archive again (off the GUI thread); the chart updates when it arrives."""
        self._reload_timer.stop()
        tz = self.archive.timezone()
        self.archive.read(lambda store: load_usage(store, tz), self._on_loaded, key="overview")

    def _on_loaded(self, cube: UsageCube) -> None:
        self.cube = cube
        self.loaded = True
        self.refresh()
        self.reloaded.emit()

    def today(self) -> date:
        return self._today()

    def current_range(self) -> tuple[date, date]:
        return range_for(self.range_kind, self.today(), self.archive.week_start, self.back, self.custom)

    def refresh(self) -> None:
        """Re-slice the loaded data for the current choices; no disk access."""
        first, last = self.current_range()
        self.chart_data = self.cube.chart(first, last, self.by, self.project, self.today())
        self.chart.set_data(self.chart_data)
        self._update_cards()
        self._update_range_summary(first, last)
        self._sync_controls()

    def _update_cards(self) -> None:
        today = self.today()
        (w0, w1), (l0, l1) = week_so_far(today, self.archive.week_start)
        week, last = self.cube.totals(w0, w1, self.project), self.cube.totals(l0, l1, self.project)
        self.week_note.setText(f"{span_label(w0, w1)}, compared with {weekday_span(l0, l1)} last week")
        self.heading.setText("This week" if self.project is None else f"This week in {project_label(self.project)}")
        self.tokens_card.set(
            fmt.tokens(week.tokens), f"{fmt.delta(week.tokens, last.tokens)} vs {fmt.tokens(last.tokens)}",
            self._estimate_note(week),
        )
        cost = fmt.money(week.cost) if week.cost_known else fmt.UNPRICED
        self.cost_card.set(
            cost,
            f"{fmt.delta(week.cost, last.cost)} vs {fmt.money(last.cost)}",
            f"{week.unpriced_events} calls with unpriced models are not included" if week.unpriced_events else "",
        )
        if week.commits is None or not self.cube.commits:
            self.commits_card.set("—", "no commit data yet" if self.project is None else "all projects only")
        else:
            per = f" · {fmt.money(week.cost / week.commits)} per commit" if week.commits and week.cost_known else ""
            self.commits_card.set(fmt.integer(week.commits),
                                  f"{fmt.delta(week.commits, last.commits or 0)} vs {last.commits or 0}{per}")  # fmt: skip
        top = self.cube.top_projects(w0, w1, 1)
        if self.project is not None:
            self.project_card.set(project_label(self.project), "filter on: click the chip to clear", self.project)
        elif top:
            path, tokens, cost = top[0]
            share = tokens / week.tokens * 100 if week.tokens else 0
            self.project_card.set(project_label(path), f"{fmt.tokens(tokens)} tok · {fmt.money(cost)} · {share:.0f}%",
                                  path)  # fmt: skip
        else:
            self.project_card.set("—", "no usage this week")

    @staticmethod
    def _estimate_note(totals: Totals) -> str:
        if totals.estimated_tokens:
            return f"{fmt.tokens(totals.estimated_tokens, estimate=True)} of these are estimates"
        return ""

    def _update_range_summary(self, first: date, last: date) -> None:
        totals = self.cube.totals(first, last, self.project)
        parts = [f"<b>{fmt.tokens(totals.tokens)} tokens</b>",
                 f"<b>{fmt.money(totals.cost) if totals.cost_known else fmt.UNPRICED}</b>",
                 f"{fmt.integer(totals.events)} calls"]  # fmt: skip
        if totals.estimated_tokens:
            parts.append(f"{fmt.tokens(totals.estimated_tokens, estimate=True)} estimated (hatched)")
        if totals.commits is not None and self.cube.commits:
            parts.append(f"{fmt.integer(totals.commits)} commits")
        if totals.unpriced_events:
            parts.append(f"{fmt.integer(totals.unpriced_events)} unpriced calls")
        self.range_summary.setText(f"{span_label(first, last)}: " + " · ".join(parts))

    # --- choices ----------------------------------------------------------------------------
    def set_range(self, kind: str) -> None:
        if kind == "custom" and self.custom is None:
            first, last = self.current_range()
            self.custom = (first, last)
        self.range_kind, self.back = kind, 0
        self.range_picker.set_current(kind)
        self._remember()
        self.refresh()

    def set_custom(self, first: date, last: date) -> None:
        self.custom = (min(first, last), max(first, last))
        self.range_kind = "custom"
        self.range_picker.set_current("custom")
        self.refresh()

    def step(self, periods: int) -> None:
        """1 = one period back, -1 = one forward (never past the current period)."""
        if self.range_kind == "custom":
            return
        self.back = max(self.back + periods, 0)
        self.refresh()

    def set_grouping(self, by: str) -> None:
        self.by = by
        self.group_picker.set_current(by)
        self._remember()
        self.refresh()

    def set_show_cost(self, on: bool) -> None:
        if self.cost_check.isChecked() != on:
            self.cost_check.setChecked(on)
            return
        self.chart.set_show_cost(on)
        self._remember()

    def set_project(self, project: str | None) -> None:
        self.project = project or None
        if self.project:
            self.project_chip.setText(f"Project: {project_label(self.project)}  ✕")
            self.project_chip.setToolTip(f"{self.project}\nClick to show all projects")
        self.project_chip.setVisible(self.project is not None)
        self.refresh()

    def _on_custom_dates(self) -> None:
        if self.range_kind != "custom" or self._syncing:
            return
        self.set_custom(self.since_edit.date().toPython(), self.until_edit.date().toPython())

    _syncing = False

    def _sync_controls(self) -> None:
        self._syncing = True
        try:
            first, last = self.current_range()
            custom = self.range_kind == "custom"
            self.since_edit.setVisible(custom)
            self.until_edit.setVisible(custom)
            self.prev_button.setVisible(not custom)
            self.next_button.setVisible(not custom)
            self.period_label.setVisible(not custom)
            self.next_button.setEnabled(self.back > 0)
            self.period_label.setText(span_label(first, last))
            self.since_edit.setDate(QDate(first.year, first.month, first.day))
            self.until_edit.setDate(QDate(last.year, last.month, last.day))
        finally:
            self._syncing = False

    def _remember(self) -> None:
        self.archive.remember("overview", {"range": self.range_kind, "by": self.by, "cost": self.cost_check.isChecked()})

    def _on_setting(self, key: str) -> None:
        if key in ("timezone",):
            self.reload()
        elif key == "week_start":
            self.refresh()

    def set_findings(self, new: int, open_findings: int) -> None:
        """The findings line: "3 new findings →" in the accent colour, open ones quieter, nothing when none."""
        if new:
            text = f"● {new} new finding{'s' if new != 1 else ''} →"
            colour = self.palette().color(self.palette().ColorRole.Link).name()
        elif open_findings:
            text = f"{open_findings} finding{'s' if open_findings != 1 else ''} to review →"
            colour = pal.muted_text(self.palette()).name()
        else:
            self.findings_link.hide()
            return
        self.findings_link.setText(text)
        self.findings_link.setStyleSheet(f"QPushButton {{ color: {colour}; border: none; padding: 2px 4px; }}"
                                         "QPushButton:hover { text-decoration: underline; }")  # fmt: skip
        self.findings_link.show()

    def go_to_day(self, day: date) -> None:
        self.set_custom(day - timedelta(days=3), day + timedelta(days=3))
