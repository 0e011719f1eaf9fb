"""Insights: the findings about low-value usage, each with its evidence and what it cannot tell.

The page shows what the FindingsFeed read from the archive; it never runs a detector itself. Its
buttons (dismiss, mark seen, snooze a detector) are writes through the feed, which reads the
findings back afterwards, so what is on screen is always what the archive holds.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from PySide6.QtCore import QModelIndex, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from desktop import formatting as fmt
from desktop.ui import palette as pal
from desktop.ui.archive import Archive
from desktop.ui.findings import (
    DETECTOR_NAMES,
    DETECTOR_RULES,
    SEVERITY_NAMES,
    FindingsFeed,
    FindingsSnapshot,
    SessionRef,
    period_words,
)
from desktop.ui.tables import ROW_ROLE, Column, RememberedTable, muted_style
from desktop.ui.widgets import Segmented, heading_font

log = logging.getLogger(__name__)
STATE_CHOICES = [("open", "Open"), ("new", "New"), ("seen", "Seen"), ("dismissed", "Dismissed"), ("all", "All")]
STATE_FILTERS = {"open": ("new", "seen"), "new": ("new",), "seen": ("seen",), "dismissed": ("dismissed",),
                 "all": ("new", "seen", "dismissed")}  # fmt: skip
SEVERITY_COLOURS = {"high": "#C62828", "warn": "#B85C00", "info": "#5F7A8A"}  # white text reads on each (>= 4.5:1)
SNOOZE_CHOICES = [(7, "For a week"), (30, "For a month")]
COLUMNS = [
    Column("severity_text", "Severity", width=96, sort_key="severity_rank"),
    Column("detector_name", "Finding", width=170),
    Column("period_text", "Period", width=150, sort_key="period_sort"),
    Column("subject_text", "About", width=240),
    Column("tokens", "Tokens", "tokens"),
    Column("cost_usd", "Cost", "money", "What the usage behind the finding cost"),
    Column("avoidable_usd", "Avoidable", "money", "What a better habit would have saved, where it can be estimated"),
    Column("state_text", "State", width=90),
]
EVIDENCE_COLUMNS = [
    Column("what", "Evidence", width=110),
    Column("when", "When", width=150, sort_key="when_sort"),
    Column("details", "Details", width=420),
    Column("tokens", "Tokens", "tokens"),
    Column("cost_usd", "Cost", "money"),
]


class FindingStyle(QStyledItemDelegate):
    """New findings read bold, dismissed ones muted; the text itself is the model's, as in every table."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        row = index.data(ROW_ROLE) or {}
        if row.get("state") == "new" and index.column() in (1, 7):  # the finding's name and its state
            font = QFont(option.font)
            font.setBold(True)
            option.font = font
        elif row.get("state") == "dismissed":
            palette = QPalette(option.palette)
            palette.setColor(QPalette.ColorRole.Text, pal.muted_text(palette))
            option.palette = palette


class EvidenceStyle(QStyledItemDelegate):
    """Rows that carry no usage (a commit, a file, a note) leave the number columns blank, not "unpriced"."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        row = index.data(ROW_ROLE) or {}
        if row.get("tokens") is None:
            option.text = ""


class SeverityDelegate(QStyledItemDelegate):
    """The severity as a small coloured pill, so the list reads at a glance."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        row = index.data(ROW_ROLE) or {}
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text, opt.text = opt.text, ""
        style = opt.widget.style() if opt.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        colour = QColor(SEVERITY_COLOURS.get(row.get("severity", ""), SEVERITY_COLOURS["info"]))
        if row.get("state") == "dismissed":
            colour.setAlpha(120)
        font = QFont(option.font)
        font.setPointSizeF(max(font.pointSizeF() * 0.88, 7.5))
        font.setBold(True)
        painter.save()
        painter.setFont(font)
        metrics = painter.fontMetrics()
        width, height = metrics.horizontalAdvance(text) + 16, metrics.height() + 4
        pill = QRect(option.rect.left() + 8, option.rect.center().y() - height // 2 + 1, width, height)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setPen(QColor("#FFFFFF"))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


def badge_html(severity: str) -> str:
    colour = SEVERITY_COLOURS.get(severity, SEVERITY_COLOURS["info"])
    name = SEVERITY_NAMES.get(severity, severity)
    return f'<span style="background-color:{colour}; color:#FFFFFF;">&nbsp;{name}&nbsp;</span>'


class InsightsPage(QWidget):
    session_requested = Signal(object)  # SessionRef: "Show session"

    def __init__(self, archive: Archive, feed: FindingsFeed, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.archive = archive
        self.feed = feed
        self.snapshot: FindingsSnapshot | None = None
        self.rows: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        state = archive.ui_state("insights", {}) or {}
        self.state_filter = state.get("state") if state.get("state") in STATE_FILTERS else "open"
        self.detector_filter: str | None = state.get("detector") if state.get("detector") in DETECTOR_NAMES else None
        self._restore_row = 0
        self._build()
        feed.loaded.connect(self.set_snapshot)
        archive.settings_changed.connect(self._on_setting)

    # --- layout -----------------------------------------------------------------------------
    def _build(self) -> None:
        title = QLabel("Insights", self)
        title.setFont(heading_font(self, 1.25))
        self.intro = QLabel("Where tokens went without producing work, with the rows behind it. "
                            "About your own habits, never compared with anyone.", self)  # fmt: skip
        self.intro.setStyleSheet(muted_style(self))
        self.notify_check = QCheckBox("Notify me of new findings", self)
        self.notify_check.setChecked(bool(self.archive.settings.get("notifications", True)))
        self.notify_check.setToolTip("A tray notification once for each batch of new findings, and a weekly digest")
        self.notify_check.toggled.connect(lambda on: self.archive.set_setting("notifications", bool(on)))
        head = QHBoxLayout()
        head.addWidget(title)
        head.addSpacing(10)
        head.addWidget(self.intro, 1)
        head.addWidget(self.notify_check)

        self.state_picker = Segmented(STATE_CHOICES, self)
        self.state_picker.set_current(self.state_filter)
        self.state_picker.changed.connect(self.set_state_filter)
        self.detector_combo = QComboBox(self)
        self.detector_combo.addItem("Every kind of finding", None)
        for detector, name in DETECTOR_NAMES.items():
            self.detector_combo.addItem(name, detector)
            self.detector_combo.setItemData(self.detector_combo.count() - 1, DETECTOR_RULES[detector][:1].upper()
                                            + DETECTOR_RULES[detector][1:], Qt.ItemDataRole.ToolTipRole)  # fmt: skip
        self.detector_combo.setCurrentIndex(max(self.detector_combo.findData(self.detector_filter), 0))
        self.detector_combo.currentIndexChanged.connect(
            lambda _: self.set_detector_filter(self.detector_combo.currentData())
        )
        self.seen_all_button = QPushButton("Mark all seen", self)
        self.seen_all_button.setToolTip("Mark every new finding seen (the tray icon goes back to idle)")
        self.seen_all_button.clicked.connect(self.mark_all_seen)
        controls = QHBoxLayout()
        controls.setSpacing(8)
        controls.addWidget(self.state_picker)
        controls.addWidget(self.detector_combo)
        controls.addStretch(1)
        controls.addWidget(self.seen_all_button)

        self.summary = QLabel("Reading your findings…", self)
        self.summary.setStyleSheet(muted_style(self))
        self.snoozed_label = QLabel("", self)
        self.snoozed_label.setTextFormat(Qt.TextFormat.RichText)
        self.snoozed_label.setWordWrap(True)
        self.snoozed_label.linkActivated.connect(self.feed.wake)
        self.snoozed_label.hide()

        self.table = RememberedTable(COLUMNS, "insights_table", self.archive.remember, self.archive.ui_state, self,
                                     tooltip=self._tooltip, default_sort=("period_text", Qt.SortOrder.DescendingOrder))  # fmt: skip
        self.table.stretch("subject_text")
        self.table.setItemDelegate(FindingStyle(self.table))
        self.table.setItemDelegateForColumn(0, SeverityDelegate(self.table))
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.table, 1)

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self._build_detail())
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self._split = False  # halved on the first show, when the splitter knows its height
        self.splitter.setChildrenCollapsible(False)

        self.body = QStackedWidget(self)
        self.body.addWidget(self.splitter)
        self.body.addWidget(self._build_empty())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.setSpacing(10)
        layout.addLayout(head)
        layout.addLayout(controls)
        layout.addWidget(self.summary)
        layout.addWidget(self.snoozed_label)
        layout.addWidget(self.body, 1)
        self._show_detail(None)

    def _build_detail(self) -> QWidget:
        detail = QWidget(self)
        self.detail_title = QLabel("", detail)
        self.detail_title.setTextFormat(Qt.TextFormat.RichText)
        self.detail_title.setWordWrap(True)
        self.detail_summary = QLabel("", detail)
        self.detail_summary.setWordWrap(True)
        self.detail_summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_numbers = QLabel("", detail)
        self.detail_numbers.setTextFormat(Qt.TextFormat.RichText)
        self.detail_facts = QLabel("", detail)
        self.detail_facts.setWordWrap(True)
        self.detail_facts.setTextFormat(Qt.TextFormat.RichText)

        self.show_session_button = QPushButton("Show session", detail)
        self.show_session_button.setToolTip("Open this session's calls, tools, prompts and commits in Sessions")
        self.show_session_button.clicked.connect(lambda: self.show_session())
        self.seen_button = QPushButton("Mark seen", detail)
        self.seen_button.clicked.connect(self._toggle_seen)
        self.dismiss_button = QPushButton("Dismiss", detail)
        self.dismiss_button.clicked.connect(self._toggle_dismissed)
        self.snooze_button = QPushButton("Snooze this kind", detail)
        self.snooze_menu = QMenu(self.snooze_button)
        for days, label in SNOOZE_CHOICES:
            self.snooze_menu.addAction(label, lambda d=days: self.snooze_current(d))
        self.snooze_button.setMenu(self.snooze_menu)
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        buttons.addWidget(self.show_session_button)
        buttons.addSpacing(12)
        buttons.addWidget(self.seen_button)
        buttons.addWidget(self.dismiss_button)
        buttons.addWidget(self.snooze_button)
        buttons.addStretch(1)

        self.evidence_title = QLabel("Evidence", detail)
        self.evidence_title.setFont(heading_font(self, 1.0))
        self.evidence_table = RememberedTable(EVIDENCE_COLUMNS, "insight_evidence", self.archive.remember,
                                              self.archive.ui_state, detail, tooltip=self._evidence_tooltip,
                                              default_sort=None)  # fmt: skip
        number_style = EvidenceStyle(self.evidence_table)
        for column in (3, 4):
            self.evidence_table.setItemDelegateForColumn(column, number_style)
        self.evidence_table.setSortingEnabled(False)  # the detector's order: most telling first
        self.evidence_table.stretch("details")
        self.evidence_table.selectionModel().selectionChanged.connect(lambda *_: self._sync_session_button())
        self.evidence_table.doubleClicked.connect(lambda *_: self.show_session())
        self.cannot_tell = QLabel("", detail)
        self.cannot_tell.setWordWrap(True)
        self.cannot_tell.setTextFormat(Qt.TextFormat.RichText)

        layout = QVBoxLayout(detail)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.detail_title)
        layout.addWidget(self.detail_summary)
        layout.addWidget(self.detail_numbers)
        layout.addWidget(self.detail_facts)
        layout.addLayout(buttons)
        layout.addSpacing(4)
        layout.addWidget(self.evidence_title)
        layout.addWidget(self.evidence_table, 1)
        layout.addWidget(self.cannot_tell)
        return detail

    def _build_empty(self) -> QWidget:
        empty = QWidget(self)
        self.empty_title = QLabel("", empty)
        self.empty_title.setFont(heading_font(self, 1.15))
        self.empty_text = QLabel("", empty)
        self.empty_text.setWordWrap(True)
        self.empty_text.setTextFormat(Qt.TextFormat.RichText)
        self.empty_text.setMaximumWidth(720)
        self.empty_text.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.empty_button = QPushButton("Show every finding", empty)
        self.empty_button.clicked.connect(self.show_everything)
        self.empty_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(empty)
        layout.setContentsMargins(8, 32, 8, 8)
        layout.setSpacing(12)
        layout.addWidget(self.empty_title)
        layout.addWidget(self.empty_text)
        layout.addWidget(self.empty_button)
        layout.addStretch(1)
        self.empty = empty
        return empty

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        self._halve_once()

    def _halve_once(self) -> None:
        """List and detail share the height once; after that the user's drag stands."""
        if self._split or not self.splitter.isVisible():
            return
        total = sum(self.splitter.sizes())
        if total > 0:
            self._split = True
            self.splitter.setSizes([total * 9 // 20, total - total * 9 // 20])

    # --- data -------------------------------------------------------------------------------
    def reload(self) -> None:
        self.feed.reload()

    def set_snapshot(self, snapshot: FindingsSnapshot) -> None:
        self.snapshot = snapshot
        self.seen_all_button.setEnabled(snapshot.open_count > 0)
        self._update_snoozed()
        self._fill()

    def _fill(self) -> None:
        snapshot = self.snapshot or FindingsSnapshot()
        states = STATE_FILTERS[self.state_filter]
        self.rows = [r for r in snapshot.rows if r["state"] in states
                     and (self.detector_filter is None or r["detector"] == self.detector_filter)]  # fmt: skip
        keep = self.current["id"] if self.current else None
        self.table.set_rows(self.rows)
        self._update_summary()
        if not self.rows:
            self._show_empty()
            self._show_detail(None)
            return
        self.body.setCurrentWidget(self.splitter)
        self._halve_once()
        if not self.select_finding(keep, switch_filter=False):
            self.table.selectRow(min(self._restore_row, self.table.proxy.rowCount() - 1))

    def _update_summary(self) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            self.summary.setText("Reading your findings…")
            return
        shown = self.rows
        parts = [f"{fmt.integer(len(shown))} finding{'s' if len(shown) != 1 else ''}"]
        if len(shown) != len(snapshot.rows):
            parts[0] += f" of {fmt.integer(len(snapshot.rows))}"
        new = sum(1 for r in shown if r["state"] == "new")
        if new:
            parts.append(f"{fmt.integer(new)} new")
        if shown:
            cost = sum(r["cost_usd"] or 0.0 for r in shown)
            parts.append(f"{fmt.tokens(sum(r['tokens'] for r in shown))} tokens, {fmt.money(cost)} involved")
            avoidable = sum(r["avoidable_usd"] or 0.0 for r in shown)
            if avoidable:
                parts.append(f"{fmt.money(avoidable)} avoidable")
        window = self.feed.window()
        if snapshot.checked_ms and window.since and window.until:
            checked = datetime.fromtimestamp(snapshot.checked_ms / 1000, self.archive.timezone())
            parts.append(f"this quarter ({period_words(window.since, window.until)}) checked at {checked:%H:%M}")
        self.summary.setText(" · ".join(parts))

    def _update_snoozed(self) -> None:
        snoozes = (self.snapshot.snoozed if self.snapshot else {}) or {}
        if not snoozes:
            self.snoozed_label.hide()
            return
        tz = self.archive.timezone()
        parts = []
        for detector, until_ms in sorted(snoozes.items()):
            until = datetime.fromtimestamp(until_ms / 1000, timezone.utc).astimezone(tz)
            parts.append(f"<b>{DETECTOR_NAMES.get(detector, detector)}</b> until {until:%a} {until.day} {until:%b} "
                         f'(<a href="{detector}">wake now</a>)')  # fmt: skip
        self.snoozed_label.setText("Snoozed, not checked and not shown: " + " · ".join(parts))
        self.snoozed_label.show()

    def _show_empty(self) -> None:
        self.body.setCurrentWidget(self.empty)
        snapshot = self.snapshot
        if snapshot is None:
            self.empty_title.setText("Reading your findings…")
            self.empty_text.setText("")
            self.empty_button.hide()
            return
        if snapshot.rows:
            which = {"open": "open ", "new": "new ", "seen": "seen ", "dismissed": "dismissed "}.get(self.state_filter, "")
            kind = f" of {DETECTOR_NAMES[self.detector_filter].lower()}" if self.detector_filter else ""
            self.empty_title.setText(f"No {which}findings{kind}")
            hidden = len(snapshot.rows)
            self.empty_text.setText(f"{hidden} finding{'s are' if hidden != 1 else ' is'} hidden by the filters above.")
            self.empty_button.show()
            return
        rules = "".join(f"<li><b>{name}</b>: {DETECTOR_RULES[d]}</li>" for d, name in DETECTOR_NAMES.items())
        snoozed = ""
        if snapshot.snoozed:
            names = ", ".join(DETECTOR_NAMES.get(d, d).lower() for d in sorted(snapshot.snoozed))
            snoozed = f"<p>Snoozed for now: {names}.</p>"
        self.empty_title.setText("Nothing to point out")
        self.empty_text.setText(
            "<p>After every import Tokenmirror looks through this quarter's usage for tokens that went without "
            "producing work:</p>"
            f"<ul>{rules}</ul>"
            "<p>Nothing matched. When something does, it shows here with the sessions, prompts and commits behind "
            "it, and a line on what it cannot know. Findings stay on this computer.</p>" + snoozed
        )
        self.empty_button.hide()

    # --- filters ----------------------------------------------------------------------------
    def set_state_filter(self, key: str) -> None:
        self.state_filter = key if key in STATE_FILTERS else "open"
        self.state_picker.set_current(self.state_filter)
        self._restore_row = 0
        self._remember()
        self._fill()

    def set_detector_filter(self, detector: str | None) -> None:
        self.detector_filter = detector if detector in DETECTOR_NAMES else None
        index = max(self.detector_combo.findData(self.detector_filter), 0)
        if self.detector_combo.currentIndex() != index:
            self.detector_combo.blockSignals(True)
            self.detector_combo.setCurrentIndex(index)
            self.detector_combo.blockSignals(False)
        self._restore_row = 0
        self._remember()
        self._fill()

    def show_everything(self) -> None:
        self.set_detector_filter(None)
        self.set_state_filter("all")

    def _remember(self) -> None:
        self.archive.remember("insights", {"state": self.state_filter, "detector": self.detector_filter})

    # --- selection and detail ---------------------------------------------------------------
    def select_finding(self, finding_id: int | None, switch_filter: bool = True) -> bool:
        """Select a finding in the list; with switch_filter, widen the filters when they hide it."""
        if finding_id is None:
            return False
        for r in range(self.table.proxy.rowCount()):
            row = self.table.row_at(r) or {}
            if row.get("id") == finding_id:
                self.table.selectRow(r)
                self.table.scrollTo(self.table.proxy.index(r, 0))
                return True
        if switch_filter and self.snapshot is not None and self.snapshot.row(finding_id) is not None:
            self.show_everything()
            return self.select_finding(finding_id, switch_filter=False)
        return False

    def _on_selection(self, *args: Any) -> None:
        self._show_detail(self.table.selected_row())

    def _show_detail(self, row: dict[str, Any] | None) -> None:
        self.current = row
        for widget in (self.seen_button, self.dismiss_button, self.snooze_button):
            widget.setEnabled(row is not None)
        if row is None:
            self.detail_title.setText("Select a finding to see its evidence.")
            for label in (self.detail_summary, self.detail_numbers, self.detail_facts, self.cannot_tell):
                label.setText("")
            self.detail_facts.hide()
            self.evidence_table.set_rows([])
            self._sync_session_button()
            return
        picked = self.table.selectionModel().selectedRows()
        self._restore_row = picked[0].row() if picked else 0  # after a dismiss, the next row takes its place
        self.detail_title.setText(f"{badge_html(row['severity'])}&nbsp; <b>{row['detector_name']}</b> · "
                                  f"{row['period_text']} · {row['subject_text']}")  # fmt: skip
        self.detail_summary.setText(row["summary"])
        numbers = [f"<b>{fmt.tokens(row['tokens'])} tokens</b>", f"<b>{fmt.money(row['cost_usd'])}</b> involved"]
        if row["avoidable_usd"]:
            numbers.append(f"<b>{fmt.money(row['avoidable_usd'])}</b> avoidable")
        numbers.append(f"{row['state_text'].lower()}")
        self.detail_numbers.setText(" · ".join(numbers))
        self.detail_facts.setText("<br>".join(row["facts"]))
        self.detail_facts.setVisible(bool(row["facts"]))
        self.evidence_table.set_rows(row["evidence"])
        self.evidence_title.setText(f"Evidence ({len([e for e in row['evidence'] if e['what']])})")
        first = next((i for i, e in enumerate(row["evidence"]) if e["session"] is not None), None)
        if first is not None:
            self.evidence_table.selectRow(first)
        self.cannot_tell.setText(f"<i><b>What this cannot tell you:</b> {row['cannot_tell']}</i>")
        self.cannot_tell.setStyleSheet(muted_style(self))
        self.seen_button.setText("Mark as new" if row["state"] == "seen" else "Mark seen")
        self.seen_button.setVisible(row["state"] != "dismissed")
        self.dismiss_button.setText("Restore" if row["state"] == "dismissed" else "Dismiss")
        self.dismiss_button.setToolTip("Show it again among the open findings" if row["state"] == "dismissed"
                                       else "Hide this finding for good; it stays dismissed on later checks")  # fmt: skip
        name = row["detector_name"]
        self.snooze_button.setToolTip(f"Stop checking for {name.lower()} for a while; its findings hide until then")
        self._sync_session_button()

    def _session_target(self) -> SessionRef | None:
        picked = self.evidence_table.selected_row()
        if picked is not None and picked.get("session") is not None:
            return picked["session"]
        if self.current and self.current["sessions"]:
            return self.current["sessions"][0]
        return None

    def _sync_session_button(self) -> None:
        target = self._session_target()
        self.show_session_button.setEnabled(target is not None)
        self.show_session_button.setVisible(self.current is not None)

    # --- actions ----------------------------------------------------------------------------
    def show_session(self, target: SessionRef | None = None) -> None:
        target = target or self._session_target()
        if target is None:
            return
        if target.first is None and self.current is not None:
            target = SessionRef(target.source, target.session_id, self.current["period_start"], self.current["period_end"])
        self.session_requested.emit(target)

    def mark_current(self, state: str) -> None:
        if self.current is not None:
            self.feed.set_state([self.current["id"]], state)

    def dismiss_current(self) -> None:
        self.mark_current("dismissed")

    def _toggle_seen(self) -> None:
        if self.current is not None:
            self.mark_current("new" if self.current["state"] == "seen" else "seen")

    def _toggle_dismissed(self) -> None:
        if self.current is not None:
            self.mark_current("seen" if self.current["state"] == "dismissed" else "dismissed")

    def snooze_current(self, days: int) -> None:
        if self.current is not None:
            self.feed.snooze(self.current["detector"], days)

    def mark_all_seen(self) -> None:
        if self.snapshot is not None:
            self.feed.set_state([r["id"] for r in self.snapshot.rows if r["state"] == "new"], "seen")

    def _context_menu(self, point: QPoint) -> None:
        index = self.table.indexAt(point)
        if not index.isValid():
            return
        self.table.selectRow(index.row())
        row = self.current
        if row is None:
            return
        menu = QMenu(self)
        show = menu.addAction("Show session", lambda: self.show_session(row["sessions"][0] if row["sessions"] else None))
        show.setEnabled(bool(row["sessions"]))
        menu.addSeparator()
        if row["state"] != "dismissed":
            menu.addAction("Mark as new" if row["state"] == "seen" else "Mark seen", self._toggle_seen)
        menu.addAction("Restore" if row["state"] == "dismissed" else "Dismiss", self._toggle_dismissed)
        snooze = menu.addMenu(f"Snooze {row['detector_name'].lower()}")
        for days, label in SNOOZE_CHOICES:
            snooze.addAction(label, lambda d=days: self.snooze_current(d))
        menu.popup(self.table.viewport().mapToGlobal(point))

    # --- tooltips and settings --------------------------------------------------------------
    @staticmethod
    def _tooltip(row: dict[str, Any], column: Column) -> str | None:
        if column.key == "avoidable_usd" and row.get("avoidable_usd") is None:
            return "No estimate: this kind of finding has no cheaper way to price"
        if column.key == "detector_name":
            return DETECTOR_RULES.get(row["detector"], "").capitalize() or None
        if column.key in ("subject_text", "severity_text"):
            return row["summary"]
        return None

    @staticmethod
    def _evidence_tooltip(row: dict[str, Any], column: Column) -> str | None:
        if column.key == "details":
            text = row.get("details") or ""
            tip = row.get("tip") or ""
            if row.get("session") is not None:
                tip = (tip + "\n" if tip else "") + "Double-click to open the session"
            return f"{text}\n{tip}" if tip else text or None
        if column.key in ("tokens", "cost_usd"):
            return row.get("tip") or ("No tokens of its own" if row.get("tokens") is None else None)
        return None

    def _on_setting(self, key: str) -> None:
        if key == "notifications":
            on = bool(self.archive.settings.get("notifications", True))
            if self.notify_check.isChecked() != on:
                self.notify_check.blockSignals(True)
                self.notify_check.setChecked(on)
                self.notify_check.blockSignals(False)
