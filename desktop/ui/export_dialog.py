"""The export dialog: a period, a format and a redaction level, a preview of the redacted document, and Export….

The preview is the very document the export writes (`document_for`), built on a worker and laid out as the
PDF lays it out, charts included. Building it runs the detectors, which store findings, so previews and
exports run on the archive lane like every other archive write. The export itself opens its own Store on
its worker; the GUI only formats what comes back.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QEvent, QStandardPaths, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QImage, QResizeEvent, QShowEvent, QTextDocument
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QStyle,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.errors import KnownError
from desktop.reports.export import (
    DEFAULT_LEVEL,
    LEVELS,
    ExportPeriod,
    ExportSummary,
    PeriodError,
    document_for,
    export,
)
from desktop.reports.export import html as html_export
from desktop.reports.export.period import CUSTOM
from desktop.store import Store
from desktop.ui import palette as pal
from desktop.ui.archive import WRITE_LANE, Archive
from desktop.scan_job import base_prices
from desktop.ui.tables import muted_style
from desktop.ui.tasks import Task, TaskFailure
from desktop.ui.widgets import Segmented

log = logging.getLogger(__name__)

PERIOD_CHOICES = [
    ("this-week", "This week"), ("last-week", "Last week"), ("this-month", "This month"),
    ("last-month", "Last month"), ("this-quarter", "This quarter"), ("last-quarter", "Last quarter"),
    ("this-year", "This year"), ("last-year", "Last year"), (CUSTOM, "Custom dates"),
]  # fmt: skip


@dataclass(frozen=True)
class FormatChoice:
    key: str
    label: str
    explain: str
    file_filter: str
    suffixes: tuple[str, ...]  # the first is the one a name without a suffix gets


FORMATS = [
    FormatChoice("pdf", "PDF", "A4 pages with the charts, written by Qt's own PDF writer.", "PDF document (*.pdf)",
                 (".pdf",)),
    FormatChoice("html", "HTML", "One self-contained page with the charts inside; opens in any browser.",
                 "Web page (*.html *.htm)", (".html", ".htm")),
    FormatChoice("md", "Markdown", "Text, with the charts as PNG files in a folder beside it.",
                 "Markdown (*.md)", (".md", ".markdown")),
    FormatChoice("csv", "CSV (zip)", "The daily, session and commit tables for a spreadsheet, in one zip.",
                 "Zip of CSV tables (*.zip)", (".zip", ".csv")),
    FormatChoice("json", "JSON", "Every number the document shows, for your own scripts.", "JSON (*.json)",
                 (".json",)),
]  # fmt: skip
FORMAT_BY_KEY = {f.key: f for f in FORMATS}

REDACTIONS = [
    ("none", "None", "Keeps everything: prompt excerpts, project names and paths, branches, commit subjects."),
    ("prompts", "Prompts", "Removes all prompt text: excerpts, first prompts and repeated-prompt patterns."),
    ("projects", "Projects", "Also swaps project names, paths, branches, session ids, commits and repository "
                             "URLs for pseudonyms."),
    ("all", "All", "Keeps totals and charts only: no projects, sessions, commits or findings."),
]  # fmt: skip

PREVIEW_DELAY_MS = 150  # a burst of clicks builds one preview
PREVIEW_MAX_IMAGE = 760  # layout pixels: the width the charts are drawn for
PREVIEW_MARGIN = 18
PREVIEW_STYLE = """
body { color: #1d1d1f; } h1 { font-size: 15pt; } h2 { font-size: 12pt; margin-top: 14px; }
h3 { font-size: 10pt; } .muted { color: #6e6e73; } th { background-color: #ececf0; }
.total { background-color: #f5f5f7; font-weight: bold; } .n, .k { white-space: nowrap; }
"""


# --- periods and names (no Qt: the tests call these directly) -------------------------------
def period_for(choice: str, tz: Any, week_start: str, today: date,
               custom: tuple[date, date] | None = None) -> ExportPeriod:  # fmt: skip
    """The days a choice of PERIOD_CHOICES covers; "last-…" is the whole previous period. Raises PeriodError."""
    if choice == CUSTOM:
        first, last = custom or (today - timedelta(days=6), today)
        return ExportPeriod.of(CUSTOM, tz, week_start, today=today, since=first, until=last)
    which, _, kind = choice.partition("-")
    current = ExportPeriod.of(kind, tz, week_start, today=today)
    if which == "this":
        return current
    return ExportPeriod.of(kind, tz, week_start, today=today, until=current.first - timedelta(days=1))


def default_name(period: ExportPeriod, fmt: str) -> str:
    """tokenmirror-2026-W48.pdf, -2026-04, -2026-Q2, -2026, or -2026-04-01_2026-04-15 for custom dates."""
    first = period.first
    if period.kind == "week":
        year, week, _ = (first + timedelta(days=3)).isocalendar()  # the ISO week most of the days fall in
        stem = f"{year}-W{week:02d}"
    elif period.kind == "month":
        stem = f"{first:%Y-%m}"
    elif period.kind == "quarter":
        stem = f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    elif period.kind == "year":
        stem = str(first.year)
    else:
        stem = f"{first.isoformat()}_{period.last.isoformat()}"
    return f"tokenmirror-{stem}{FORMAT_BY_KEY[fmt].suffixes[0]}"


def with_suffix(path: Path, fmt: str) -> Path:
    """The name the user typed, with the format's suffix added when it has none of them."""
    suffixes = FORMAT_BY_KEY[fmt].suffixes
    return path if path.suffix.lower() in suffixes else path.with_name(path.name + suffixes[0])


def documents_folder() -> Path:
    """Where a first export is suggested: the user's Documents folder, else their home."""
    for location in (QStandardPaths.StandardLocation.DocumentsLocation, QStandardPaths.StandardLocation.HomeLocation):
        folder = QStandardPaths.writableLocation(location)
        if folder and os.path.isdir(folder):
            return Path(folder)
    return Path.cwd()


def preset_for(kind: str, back: int) -> str | None:
    """The period choice matching a window range (Overview's week…year, this or last one), if any."""
    if kind in ("week", "month", "quarter", "year") and back in (0, 1):
        return f"{'this' if back == 0 else 'last'}-{kind}"
    return None


# --- work done on a worker ------------------------------------------------------------------
@dataclass
class Preview:
    period: ExportPeriod
    redaction: str
    html: str
    images: dict[str, bytes]
    sessions: int
    findings: int


def preview_job(db_path: Path, period: ExportPeriod, redaction: str) -> Preview:
    """The redacted document as the PDF lays it out, with its charts as PNG (the pane sizes them)."""
    from desktop.ui.export_render import QtRenderer

    store = Store.open(db_path, migrate=False)
    try:
        prices = base_prices().with_overrides(store.settings.get("price_overrides") or {})
        doc = document_for(store, period, redaction, prices)
    finally:
        store.close()
    images = QtRenderer().charts(doc)
    body = html_export.body(doc, {name: name for name in images}, for_print=True)
    return Preview(period, redaction, f"<html><head><style>{PREVIEW_STYLE}</style></head><body>{body}</body></html>",
                   images, doc["totals"]["sessions"] or 0, doc["findings_count"]["findings"])  # fmt: skip


def export_job(db_path: Path, fmt: str, period: ExportPeriod, redaction: str, path: Path) -> ExportSummary:
    from desktop.ui.export_render import QtRenderer

    store = Store.open(db_path, migrate=False)
    try:
        prices = base_prices().with_overrides(store.settings.get("price_overrides") or {})
        return export(store, fmt, period, redaction, path, prices, renderer=QtRenderer())
    finally:
        store.close()


def is_environment_problem(error: BaseException) -> bool:
    """A problem the user can act on (folder gone, disk full, archive locked), not a bug."""
    return isinstance(error, (KnownError, OSError, sqlite3.OperationalError))


# --- widgets --------------------------------------------------------------------------------
class PreviewPane(QTextBrowser):
    """The document on a white page, as it prints, charts fitted to the pane's width. Images come only
    from the preview's own charts: nothing is ever loaded from a file or a link."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.images: dict[str, QImage] = {}
        self._html = ""
        self._laid_out_for = 0
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setObjectName("exportPreview")
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setStyleSheet("QTextBrowser#exportPreview { background: #FFFFFF; color: #1D1D1F; "
                           "border: 1px solid #C8C8CE; }")  # fmt: skip
        self._refit_timer = QTimer(self, singleShot=True, interval=120)
        self._refit_timer.timeout.connect(self._refit)

    def show_document(self, html: str, images: dict[str, bytes]) -> None:
        self.images = {name: QImage.fromData(png) for name, png in images.items()}
        self._html = html
        self._set_html()

    def image_width(self) -> int:
        return max(min(self.viewport().width() - 2 * PREVIEW_MARGIN - 8, PREVIEW_MAX_IMAGE), 200)

    def _set_html(self) -> None:
        self._laid_out_for = self.image_width()
        self.setHtml(self._html)  # a new document asks loadResource again, at the current width
        self.document().setDocumentMargin(PREVIEW_MARGIN)

    def _refit(self) -> None:
        if self._html and self.image_width() != self._laid_out_for:
            scroll = self.verticalScrollBar().value()
            self._set_html()
            self.verticalScrollBar().setValue(scroll)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.images:
            self._refit_timer.start()

    def loadResource(self, kind: int, url: QUrl | str) -> Any:  # noqa: N802
        name = url.toString() if isinstance(url, QUrl) else str(url)
        image = self.images.get(name)
        if kind != QTextDocument.ResourceType.ImageResource.value or image is None:
            return None
        ratio = max(self.devicePixelRatioF(), 1.0)
        fitted = image.scaledToWidth(round(self.image_width() * ratio), Qt.TransformationMode.SmoothTransformation)
        fitted.setDevicePixelRatio(ratio)
        return fitted


def _muted(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setStyleSheet(muted_style(parent))
    return label


def _bold(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


class ExportDialog(QDialog):
    preview_ready = Signal()  # the preview shows the current choices
    exported = Signal(object)  # ExportSummary
    failed = Signal(str)  # what the message box says

    def __init__(self, archive: Archive, today: Callable[[], date] | None = None,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.archive = archive
        self._today = today or (lambda: datetime.now(self.archive.timezone()).date())
        self.setWindowTitle("Export a summary")
        self.setSizeGripEnabled(True)
        state = archive.ui_state("export", {}) or {}
        self.fmt = state.get("format") if state.get("format") in FORMAT_BY_KEY else "pdf"
        self.redaction = self.default_redaction()
        self.choice = "this-week"
        self.custom: tuple[date, date] | None = None
        self.preview: Preview | None = None
        self.last_summary: ExportSummary | None = None
        self.error_box: QMessageBox | None = None
        self._preview_task: Task | None = None
        self._export_task: Task | None = None
        self._stale = True
        self._syncing = False
        self._build()
        self._preview_timer = QTimer(self, singleShot=True, interval=PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.refresh_preview)
        archive.data_changed.connect(self._invalidate)
        archive.settings_changed.connect(self._on_setting)
        self.resize(1060, 700)
        self._sync()

    # --- layout -----------------------------------------------------------------------------
    def _build(self) -> None:
        side = QWidget(self)
        side.setFixedWidth(max(360, self.fontMetrics().horizontalAdvance("x") * 52))
        form = QVBoxLayout(side)
        form.setContentsMargins(0, 0, 0, 0)
        form.setSpacing(6)

        form.addWidget(_bold("Period", side))
        self.period_box = QComboBox(side)
        for key, label in PERIOD_CHOICES:
            self.period_box.addItem(label, key)
        self.period_box.currentIndexChanged.connect(self._on_period_box)
        form.addWidget(self.period_box)
        self.since_edit = QDateEdit(side)
        self.until_edit = QDateEdit(side)
        for edit in (self.since_edit, self.until_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("d MMM yyyy")
            edit.dateChanged.connect(self._on_dates)
        self.dates_box = QWidget(side)
        row = QHBoxLayout(self.dates_box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("From", self.dates_box))
        row.addWidget(self.since_edit, 1)
        row.addWidget(QLabel("to", self.dates_box))
        row.addWidget(self.until_edit, 1)
        form.addWidget(self.dates_box)
        self.period_note = _muted("", side)
        form.addWidget(self.period_note)
        form.addSpacing(10)

        form.addWidget(_bold("Format", side))
        self.format_picker = Segmented([(f.key, f.label) for f in FORMATS], side)
        self.format_picker.changed.connect(self.set_format)
        form.addWidget(self.format_picker)
        self.format_note = _muted("", side)
        form.addWidget(self.format_note)
        form.addSpacing(10)

        form.addWidget(_bold("Redaction", side))
        self.redaction_group = QButtonGroup(self)
        self.redaction_buttons: dict[str, QRadioButton] = {}
        indent = self.style().pixelMetric(QStyle.PixelMetric.PM_ExclusiveIndicatorWidth) + 8
        for key, label, explain in REDACTIONS:
            button = QRadioButton(label, side)
            button.toggled.connect(lambda on, k=key: self._on_redaction_button(k, on))
            self.redaction_group.addButton(button)
            self.redaction_buttons[key] = button
            note = _muted(explain, side)
            note.setContentsMargins(indent, 0, 0, 4)
            form.addWidget(button)
            form.addWidget(note)
        form.addWidget(_muted("Nothing is uploaded: the file is written only where you save it, readable by you "
                              "alone.", side))  # fmt: skip
        form.addStretch(1)

        self.preview_title = _bold("Preview", self)
        self.preview_note = _muted("", self)
        self.preview_note.setWordWrap(False)
        self.preview_pane = PreviewPane(self)
        right = QVBoxLayout()
        right.setSpacing(6)
        head = QHBoxLayout()
        head.addWidget(self.preview_title)
        head.addSpacing(8)
        head.addWidget(self.preview_note, 1)
        right.addLayout(head)
        right.addWidget(self.preview_pane, 1)

        body = QHBoxLayout()
        body.setSpacing(18)
        body.addWidget(side)
        body.addLayout(right, 1)

        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        self.status = QLabel("", self)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(140)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.open_button = QPushButton("Open file", self)
        self.open_button.clicked.connect(self.open_file)
        self.folder_button = QPushButton("Show in folder", self)
        self.folder_button.clicked.connect(self.show_in_folder)
        self.export_button = QPushButton("Export…", self)
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.choose_and_export)
        self.close_button = QPushButton("Close", self)
        self.close_button.clicked.connect(self.close)
        for button in (self.open_button, self.folder_button):
            button.hide()
        bottom = QHBoxLayout()
        bottom.addWidget(self.busy)
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.open_button)
        bottom.addWidget(self.folder_button)
        bottom.addSpacing(12)
        bottom.addWidget(self.export_button)
        bottom.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(10)
        layout.addLayout(body, 1)
        layout.addWidget(line)
        layout.addLayout(bottom)

    # --- choices ----------------------------------------------------------------------------
    def default_redaction(self) -> str:
        level = self.archive.settings.get("redaction_default")
        return level if level in LEVELS else DEFAULT_LEVEL

    def today(self) -> date:
        return self._today()

    def set_period(self, choice: str) -> None:
        if choice not in dict(PERIOD_CHOICES):
            raise ValueError(f"unknown period choice {choice!r}")
        if choice == self.choice:
            self._sync()
            return
        if choice == CUSTOM and self.custom is None:
            try:
                current = self.period()
                self.custom = (current.first, current.through)
            except PeriodError:
                self.custom = (self.today() - timedelta(days=6), self.today())
        self.choice = choice
        self._changed()

    def set_custom(self, first: date, last: date) -> None:
        custom = (min(first, last), max(first, last))
        if (self.choice, self.custom) == (CUSTOM, custom):
            return
        self.custom, self.choice = custom, CUSTOM
        self._changed()

    def follow_range(self, kind: str, back: int, first: date, last: date) -> None:
        """Start from what the Overview shows: its week…year when it is this or the last one, else its dates."""
        preset = preset_for(kind, back)
        if preset is not None:
            self.set_period(preset)
        else:
            self.set_custom(first, min(last, self.today()))

    def set_format(self, fmt: str) -> None:
        if fmt not in FORMAT_BY_KEY:
            raise ValueError(f"unknown format {fmt!r}")
        self.fmt = fmt
        self.archive.remember("export", {**(self.archive.ui_state("export", {}) or {}), "format": fmt})
        self._sync()  # the document does not depend on the format: no new preview

    def set_redaction(self, level: str) -> None:
        if level not in LEVELS:
            raise ValueError(f"unknown redaction level {level!r}")
        if level == self.redaction:
            self._sync()
            return
        self.redaction = level
        self._changed()

    def period(self) -> ExportPeriod:
        """The days the current choice covers (raises PeriodError for days that make no period)."""
        return period_for(self.choice, self.archive.timezone(), self.archive.week_start, self.today(), self.custom)

    def _on_period_box(self) -> None:
        if not self._syncing:
            self.set_period(self.period_box.currentData())

    def _on_redaction_button(self, level: str, on: bool) -> None:
        if on and not self._syncing:
            self.set_redaction(level)

    def _on_dates(self) -> None:
        if self._syncing:
            return
        first, last = self.since_edit.date().toPython(), self.until_edit.date().toPython()
        self.set_custom(first, max(first, last))

    def _changed(self) -> None:
        self._invalidate()
        self._sync()

    def _invalidate(self) -> None:
        """The preview no longer shows the choices (or the archive changed under it): build another soon."""
        self._stale = True
        self.preview_note.setText("Updating…")
        if self.isVisible():
            self._preview_timer.start()

    def _on_setting(self, key: str) -> None:
        if key in ("timezone", "week_start", "price_overrides", "insight_thresholds"):
            self._changed()
        elif key == "redaction_default":
            self._sync()

    def _sync(self) -> None:
        """Every control shows the current choices; nothing here reads the disk."""
        self._syncing = True
        try:
            self.period_box.setCurrentIndex(self.period_box.findData(self.choice))
            custom = self.choice == CUSTOM
            self.dates_box.setVisible(custom)
            today = self.today()
            if self.custom is not None:
                first, last = self.custom
                self.since_edit.setDate(QDate(first.year, first.month, first.day))
                self.until_edit.setDate(QDate(last.year, last.month, last.day))
            self.since_edit.setMaximumDate(QDate(today.year, today.month, today.day))
            self.format_picker.set_current(self.fmt)
            self.format_note.setText(FORMAT_BY_KEY[self.fmt].explain)
            default = self.default_redaction()
            for key, label, _ in REDACTIONS:
                button = self.redaction_buttons[key]
                button.setText(label + ("  (your default)" if key == default else ""))
                button.setChecked(key == self.redaction)
            try:
                period = self.period()
            except PeriodError as exc:
                self.period_note.setText(str(exc))
                self.export_button.setEnabled(False)
            else:
                self.period_note.setText(self.period_words(period))
                self.export_button.setEnabled(self._export_task is None)
        finally:
            self._syncing = False

    @staticmethod
    def period_words(period: ExportPeriod) -> str:
        text = period.label()
        if period.running:
            text += f", so far (to {period.through:%a} {period.through.day} {period.through:%b})"
        return f"{text}\nCompared with {period.previous_label()}"

    # --- preview ----------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self._preview_timer.start()

    def refresh_preview(self) -> Task | None:
        """Build the preview for the current choices on the archive lane; a newer request replaces an older one."""
        self._preview_timer.stop()
        try:
            period = self.period()
        except PeriodError as exc:
            self.preview_note.setText(str(exc))
            return None
        self._stale = False
        redaction, db_path = self.redaction, self.archive.db_path
        self.preview_note.setText("Updating…")
        self._preview_task = self.archive.tasks.run(
            lambda: preview_job(db_path, period, redaction),
            on_done=self._on_preview, on_error=self._on_preview_failed, lane=WRITE_LANE, key="export-preview",
            name="export preview",
        )  # fmt: skip
        return self._preview_task

    def _on_preview(self, preview: Preview | None) -> None:
        if preview is None:
            return
        self.preview = preview
        self.preview_pane.show_document(preview.html, preview.images)
        if self._stale or not self.preview_is_current():
            return  # a newer preview is on its way: show this one meanwhile, say nothing yet
        level = {key: label for key, label, _ in REDACTIONS}[preview.redaction]
        sessions = f"{preview.sessions} session{'s' if preview.sessions != 1 else ''}"
        findings = f"{preview.findings} finding{'s' if preview.findings != 1 else ''}"
        self.preview_note.setText(f"as the file will read · redaction “{level}” · {sessions} · {findings}")
        self.preview_ready.emit()

    def preview_is_current(self) -> bool:
        if self.preview is None or self.preview.redaction != self.redaction:
            return False
        try:
            return self.preview.period == self.period()
        except PeriodError:
            return False

    def _on_preview_failed(self, failure: TaskFailure) -> None:
        if not is_environment_problem(failure.error):
            log.error("export preview failed:\n%s", failure.traceback)
            raise failure.error  # a bug: the excepthook logs it and shows it
        log.warning("export preview failed: %s", failure.error)
        self.preview_note.setText(f"No preview: {failure.error}")

    def preview_text(self) -> str:
        return self.preview_pane.toPlainText()

    # --- export -----------------------------------------------------------------------------
    def suggested_path(self) -> Path:
        folder = (self.archive.ui_state("export", {}) or {}).get("folder")
        base = Path(folder) if folder and os.path.isdir(folder) else documents_folder()
        return base / default_name(self.period(), self.fmt)

    def choose_and_export(self) -> Task | None:
        """Export…: the platform's save dialog, then the export on a worker."""
        try:
            suggested = self.suggested_path()
        except PeriodError as exc:
            self._show_error(str(exc))
            return None
        choice = FORMAT_BY_KEY[self.fmt]
        name, _ = QFileDialog.getSaveFileName(self, "Export a summary", str(suggested), choice.file_filter)
        if not name:
            return None
        return self.export_to(with_suffix(Path(name), self.fmt))

    def export_to(self, path: Path) -> Task | None:
        try:
            period = self.period()
        except PeriodError as exc:
            self._show_error(str(exc))
            return None
        fmt, redaction, db_path = self.fmt, self.redaction, self.archive.db_path
        self.export_button.setEnabled(False)
        self.export_button.setText("Exporting…")
        self.busy.show()
        self.open_button.hide()
        self.folder_button.hide()
        self.status.setText(f"Writing {path.name}…")
        self._export_task = self.archive.tasks.run(
            lambda: export_job(db_path, fmt, period, redaction, path), on_done=self._on_exported,
            on_error=self._on_export_failed, lane=WRITE_LANE, name="export",
        )  # fmt: skip
        return self._export_task

    def _export_finished(self) -> None:
        self._export_task = None
        self.busy.hide()
        self.export_button.setText("Export…")
        self._sync()

    def _on_exported(self, summary: ExportSummary | None) -> None:
        self._export_finished()
        if summary is None:
            return
        log.info("export: %s", summary.line())
        self.last_summary = summary
        main = summary.files[0]
        more = f" and {len(summary.files) - 1} more" if len(summary.files) > 1 else ""
        size = f"{summary.bytes / 1024:,.0f} KiB" if summary.bytes >= 1024 else f"{summary.bytes} bytes"
        self.status.setText(f"Saved {main.name}{more} ({size}) in {main.parent}")
        self.status.setToolTip(summary.line())
        self.open_button.show()
        self.folder_button.show()
        self.archive.remember("export", {"format": summary.format, "folder": str(main.parent)})
        self.exported.emit(summary)

    def _on_export_failed(self, failure: TaskFailure) -> None:
        self._export_finished()
        if not is_environment_problem(failure.error):
            self.status.setText("The export stopped on an error.")
            log.error("export failed:\n%s", failure.traceback)
            raise failure.error  # a bug: the excepthook logs it and shows it
        log.warning("export failed: %s", failure.error)
        self.status.setText("Nothing was written.")
        self._show_error(str(failure.error))

    def _show_error(self, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "Export failed", "The summary could not be written.",
                          QMessageBox.StandardButton.Close, self)  # fmt: skip
        box.setInformativeText(text[:1].upper() + text[1:] if text else text)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()  # returns at once: the dialog stays usable, and nothing waits on it
        self.error_box = box
        self.failed.emit(text)

    def open_file(self) -> None:
        if self.last_summary is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.last_summary.files[0])))

    def show_in_folder(self) -> None:
        if self.last_summary is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.last_summary.files[0].parent)))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.ApplicationPaletteChange:
            for label in self.findChildren(QLabel):
                if label.styleSheet().startswith("color:"):
                    label.setStyleSheet(f"color: {pal.muted_text(self.palette()).name()};")
        super().changeEvent(event)
