"""Settings: saved in the archive as they change and applied at once (no Save button to forget)."""

from __future__ import annotations

import logging
import sqlite3
import zoneinfo
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop import autostart
from desktop.cursor_csv import ImportSummary, import_cursor_csv
from desktop.errors import KnownError
from desktop.periods import zone
from desktop.sources import Environment, Source
from desktop.store import Store
from desktop.ui.archive import WRITE_LANE, Archive
from desktop.scan_job import base_prices
from desktop.ui.tables import muted_style
from desktop.ui.widgets import heading
from desktop.ui.tasks import Task, TaskFailure

log = logging.getLogger(__name__)

WEEK_STARTS = [("monday", "Monday"), ("sunday", "Sunday"), ("saturday", "Saturday")]
PRICE_FIELDS = [  # column title, LiteLLM field (USD per token); the table shows USD per million tokens
    ("Input", "input_cost_per_token"),
    ("Output", "output_cost_per_token"),
    ("Cache write", "cache_creation_input_token_cost"),
    ("Cache read", "cache_read_input_token_cost"),
]
PER_MILLION = 1_000_000
SYSTEM_ZONE = "System time zone"
ERROR_STYLE = "color: #C62828;"


def cursor_csv_job(db_path: Path, csv_path: Path) -> ImportSummary:
    """Import Cursor's usage CSV on a worker, with its own connection (one transaction)."""
    store = Store.open(db_path, migrate=False)
    try:
        prices = base_prices().with_overrides(store.settings.get("price_overrides") or {})
        return import_cursor_csv(store, csv_path, prices)
    finally:
        store.close()


class SourceRow(QWidget):
    """One assistant: on/off, where it is looked for, and extra folders the user adds."""

    changed = Signal()

    def __init__(self, source: Source, roots: Sequence[str], enabled: bool, extra: list[str],
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.source = source
        self.extra = list(extra)
        self.check = QCheckBox(source.name, self)
        self.check.setChecked(enabled)
        self.check.toggled.connect(lambda _: self.changed.emit())
        self.where = QLabel(self)
        self.where.setStyleSheet(muted_style(self))
        self.where.setWordWrap(True)
        self._roots = list(roots)
        self.add_button = QPushButton("Add folder…", self)
        self.add_button.clicked.connect(self._add_folder)
        self.clear_button = QPushButton("Clear extra folders", self)
        self.clear_button.clicked.connect(self.clear_extra)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.check)
        top.addStretch(1)
        top.addWidget(self.add_button)
        top.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 6)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.where)
        self._update_where()

    def _update_where(self) -> None:
        text = "Looks in " + ", ".join(self._roots) if self._roots else "No default folder on this system"
        if self.extra:
            text += "; also " + ", ".join(self.extra)
        self.where.setText(text)
        self.clear_button.setVisible(bool(self.extra))

    def _add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, f"Another folder with {self.source.name} logs")
        if folder:
            self.add_extra(folder)

    def add_extra(self, folder: str) -> None:
        if folder not in self.extra:
            self.extra.append(folder)
            self._update_where()
            self.changed.emit()

    def clear_extra(self) -> None:
        self.extra = []
        self._update_where()
        self.changed.emit()


class SettingsPage(QWidget):
    cursor_csv_imported = Signal(object)  # ImportSummary: new rows are in the archive
    status_message = Signal(str)  # one line for the window's status bar

    def __init__(self, archive: Archive, sources: Sequence[Source], env: Environment | None = None,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.archive = archive
        self.sources = list(sources)
        env = env or Environment.current()
        s = archive.settings
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(16, 14, 16, 16)
        layout.setSpacing(12)
        layout.addWidget(heading("Settings", body))
        note = QLabel("Changes are saved in your archive and take effect at once.", body)
        note.setStyleSheet(muted_style(self))
        layout.addWidget(note)

        # Assistants
        group = QGroupBox("Assistants", body)
        group_layout = QVBoxLayout(group)
        self.source_rows: dict[str, SourceRow] = {}
        disabled = set(s.get("disabled_sources") or [])
        extra = s.get("extra_paths") or {}
        for source in self.sources:
            roots = [self._short(str(p), env) for p in source.roots(env)]
            row = SourceRow(source, roots, source.id not in disabled, list(extra.get(source.id, [])), group)
            row.changed.connect(self._save_sources)
            group_layout.addWidget(row)
            self.source_rows[source.id] = row
            if source.id == "cursor":
                group_layout.addWidget(self._cursor_import_box(group))
        if "cursor" not in self.source_rows:
            group_layout.addWidget(self._cursor_import_box(group))
        layout.addWidget(group)

        # Time and commits
        general = QGroupBox("Days, weeks and commits", body)
        form = QFormLayout(general)
        self.zone_box = QComboBox(general)
        self.zone_box.setEditable(False)
        self.zone_box.addItem(f"{SYSTEM_ZONE} ({getattr(zone(None), 'key', str(zone(None)))})", None)
        for name in sorted(zoneinfo.available_timezones()):
            if "/" in name and not name.startswith(("Etc/", "SystemV/", "posix/", "right/")):
                self.zone_box.addItem(name, name)
        current = s.get("timezone")
        index = self.zone_box.findData(current) if current else 0
        self.zone_box.setCurrentIndex(max(index, 0))
        self.zone_box.currentIndexChanged.connect(lambda _: self.archive.set_setting("timezone", self.zone_box.currentData()))
        form.addRow("Time zone", self.zone_box)
        self.week_box = QComboBox(general)
        for key, label in WEEK_STARTS:
            self.week_box.addItem(label, key)
        self.week_box.setCurrentIndex(max(self.week_box.findData(s.get("week_start") or "monday"), 0))
        self.week_box.currentIndexChanged.connect(lambda _: self.archive.set_setting("week_start", self.week_box.currentData()))
        form.addRow("Weeks start on", self.week_box)
        self.emails = QPlainTextEdit(general)
        self.emails.setPlaceholderText("you@example.com\nyou@work.example")
        self.emails.setPlainText("\n".join(s.get("identity_emails") or []))
        self.emails.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 14)
        self._emails_timer = QTimer(self, singleShot=True, interval=800)
        self._emails_timer.timeout.connect(self._save_emails)
        self.emails.textChanged.connect(self._emails_timer.start)
        form.addRow("Your commit emails", self.emails)
        hint = QLabel("Commits by these authors count as yours, besides git's user.email. One per line.", general)
        hint.setStyleSheet(muted_style(self))
        hint.setWordWrap(True)
        form.addRow("", hint)
        layout.addWidget(general)

        # Privacy and start-up
        privacy = QGroupBox("Privacy and start-up", body)
        pform = QFormLayout(privacy)
        self.excerpts = QCheckBox("Keep a short excerpt of each prompt (the full text is never stored)", privacy)
        self.excerpts.setChecked(bool(s.get("store_prompt_excerpts")))
        self.excerpts.toggled.connect(self._save_excerpts)
        pform.addRow(self.excerpts)
        self.excerpt_chars = QSpinBox(privacy)
        self.excerpt_chars.setRange(20, 1000)
        self.excerpt_chars.setSuffix(" characters")
        self.excerpt_chars.setValue(int(s.get("prompt_excerpt_chars") or 120))
        self.excerpt_chars.setEnabled(self.excerpts.isChecked())
        self.excerpt_chars.valueChanged.connect(lambda v: self.archive.set_setting("prompt_excerpt_chars", int(v)))
        pform.addRow("Excerpt length", self.excerpt_chars)
        self.autostart = QCheckBox("Start Tokenmirror when I log in", privacy)
        self.autostart.setChecked(bool(s.get("autostart")))
        self.autostart.toggled.connect(self._save_autostart)
        pform.addRow(self.autostart)
        self.autostart_error = QLabel("", privacy)
        self.autostart_error.setStyleSheet("color: #C62828;")
        self.autostart_error.setWordWrap(True)
        pform.addRow(self.autostart_error)
        self.login_item = autostart.for_environment(env)
        layout.addWidget(privacy)

        # Prices
        prices = QGroupBox("Price overrides", body)
        prices_layout = QVBoxLayout(prices)
        explain = QLabel("USD per million tokens. A model the bundled table does not know needs input and output; "
                         "empty cells keep the table's rate. Costs are recomputed right away.", prices)  # fmt: skip
        explain.setWordWrap(True)
        explain.setStyleSheet(muted_style(self))
        prices_layout.addWidget(explain)
        self.price_table = QTableWidget(0, 1 + len(PRICE_FIELDS), prices)
        self.price_table.setHorizontalHeaderLabels(["Model"] + [f"{t} $/Mtok" for t, _ in PRICE_FIELDS])
        self.price_table.verticalHeader().hide()
        self.price_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in range(1, 1 + len(PRICE_FIELDS)):
            self.price_table.horizontalHeader().setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.price_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.price_table.setMinimumHeight(self.fontMetrics().height() * 7)
        for model, fields in (s.get("price_overrides") or {}).items():
            self._add_price_row(model, fields)
        self.price_table.itemChanged.connect(lambda _: self._prices_timer.start())
        self._prices_timer = QTimer(self, singleShot=True, interval=600)
        self._prices_timer.timeout.connect(self.save_prices)
        buttons = QHBoxLayout()
        add = QPushButton("Add model", prices)
        add.clicked.connect(lambda: self._add_price_row("", {}, edit=True))
        remove = QPushButton("Remove selected", prices)
        remove.clicked.connect(self._remove_price_row)
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        self.price_error = QLabel("", prices)
        self.price_error.setStyleSheet("color: #C62828;")
        self.price_error.setWordWrap(True)
        prices_layout.addWidget(self.price_table)
        prices_layout.addLayout(buttons)
        prices_layout.addWidget(self.price_error)
        layout.addWidget(prices)
        layout.addStretch(1)

        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        self.scroll = scroll
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def _cursor_import_box(self, parent: QWidget) -> QWidget:
        """Cursor's dashboard CSV: the measured numbers that its local database only bounds from below."""
        box = QWidget(parent)
        self.cursor_import_button = QPushButton("Import Cursor CSV…", box)
        self.cursor_import_button.setToolTip("The usage-events CSV you download from Cursor's dashboard")
        self.cursor_import_button.clicked.connect(lambda: self.import_cursor_csv())
        explain = QLabel("Cursor keeps only a lower bound of its usage on this machine. Download the usage CSV "
                         "from Cursor's dashboard and import it: its rows replace that bound for the days it "
                         "covers, and importing it again adds nothing.", box)  # fmt: skip
        explain.setWordWrap(True)
        explain.setStyleSheet(muted_style(self))
        self.cursor_import_result = QLabel("", box)
        self.cursor_import_result.setWordWrap(True)
        self.cursor_import_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cursor_import_result.hide()
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(explain, 1)
        top.addWidget(self.cursor_import_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(24, 0, 0, 8)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.cursor_import_result)
        self.cursor_import_box = box
        return box

    def import_cursor_csv(self, file: str | Path | None = None) -> Task | None:
        """Ask for the CSV (a native file dialog) unless given, then import it on the archive lane."""
        if file is None:
            file, _ = QFileDialog.getOpenFileName(self, "Import Cursor's usage CSV", "",
                                                  "Cursor usage CSV (*.csv);;All files (*)")  # fmt: skip
            if not file:
                return None
        csv_path, db_path = Path(file), self.archive.db_path
        self.scroll.ensureWidgetVisible(self.cursor_import_box)  # where the result will be said
        self.cursor_import_button.setEnabled(False)
        self.cursor_import_result.setStyleSheet(muted_style(self))
        self.cursor_import_result.setText(f"Importing {csv_path.name}…")
        self.cursor_import_result.show()
        return self.archive.tasks.run(lambda: cursor_csv_job(db_path, csv_path), on_done=self._cursor_imported,
                                      on_error=self._cursor_import_failed, lane=WRITE_LANE, name="import cursor csv")  # fmt: skip

    def _cursor_imported(self, summary: ImportSummary | None) -> None:
        self.cursor_import_button.setEnabled(True)
        if summary is None:
            self.cursor_import_result.hide()
            return
        line = summary.line()
        log.info("cursor csv: %s", line)
        text = line[:1].upper() + line[1:]
        self.cursor_import_result.setStyleSheet("")
        self.cursor_import_result.setText(text)
        self.status_message.emit(text)
        if summary.added or summary.replaced_local:
            self.archive.data_changed.emit()  # the pages read the archive again, as after a scan
        self.cursor_csv_imported.emit(summary)

    def _cursor_import_failed(self, failure: TaskFailure) -> None:
        self.cursor_import_button.setEnabled(True)
        if not isinstance(failure.error, (KnownError, OSError, sqlite3.OperationalError)):
            self.cursor_import_result.hide()
            raise failure.error  # a bug: the excepthook logs and shows it
        log.warning("cursor csv not imported: %s", failure.error)
        text = f"Not imported: {failure.error}"
        self.cursor_import_result.setStyleSheet(ERROR_STYLE)
        self.cursor_import_result.setText(text)
        self.status_message.emit(text)

    @staticmethod
    def _short(path: str, env: Environment) -> str:
        home = str(env.home)
        return "~" + path[len(home):] if path.startswith(home + "/") else path

    # --- saving -----------------------------------------------------------------------------
    def _save_sources(self) -> None:
        disabled = [sid for sid, row in self.source_rows.items() if not row.check.isChecked()]
        extra = {sid: row.extra for sid, row in self.source_rows.items() if row.extra}
        self.archive.set_setting("disabled_sources", disabled)
        self.archive.set_setting("extra_paths", extra)

    def _save_emails(self) -> None:
        emails = [line.strip() for line in self.emails.toPlainText().splitlines() if line.strip()]
        self.archive.set_setting("identity_emails", emails)

    def _save_excerpts(self, on: bool) -> None:
        self.excerpt_chars.setEnabled(on)
        self.archive.set_setting("store_prompt_excerpts", bool(on))

    def _save_autostart(self, on: bool) -> None:
        """The login entry is a file (a registry value on Windows): written on a worker, in order."""
        login, command = self.login_item, autostart.launch_command()
        self.autostart_error.setText("")

        def job() -> None:
            if on:
                login.enable(command)
            else:
                login.disable()

        self.archive.tasks.run(job, on_done=lambda _: self.archive.set_setting("autostart", bool(on)),
                               on_error=lambda failure: self._autostart_failed(on, failure), lane="autostart",
                               name="autostart")  # fmt: skip

    def _autostart_failed(self, on: bool, failure: TaskFailure) -> None:
        if not isinstance(failure.error, (OSError, ValueError)):
            raise failure.error  # a bug: the excepthook logs and shows it
        self.autostart.blockSignals(True)
        self.autostart.setChecked(not on)
        self.autostart.blockSignals(False)
        action = "turn on" if on else "turn off"
        self.autostart_error.setText(f"Could not {action} start at login: {failure.error}")

    def _add_price_row(self, model: str, fields: dict[str, Any], edit: bool = False) -> None:
        self.price_table.blockSignals(True)
        row = self.price_table.rowCount()
        self.price_table.insertRow(row)
        self.price_table.setItem(row, 0, QTableWidgetItem(model))
        for c, (_, key) in enumerate(PRICE_FIELDS, start=1):
            value = fields.get(key)
            item = QTableWidgetItem("" if value is None else f"{value * PER_MILLION:g}")
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.price_table.setItem(row, c, item)
        self.price_table.blockSignals(False)
        if edit:
            self.price_table.setCurrentCell(row, 0)
            self.price_table.editItem(self.price_table.item(row, 0))

    def _remove_price_row(self) -> None:
        rows = sorted({i.row() for i in self.price_table.selectedIndexes()}, reverse=True)
        for row in rows:
            self.price_table.removeRow(row)
        self.save_prices()

    def price_overrides(self) -> dict[str, dict[str, float]]:
        """The table as the setting stores it (USD per token); raises ValueError on a bad cell."""
        overrides: dict[str, dict[str, float]] = {}
        for row in range(self.price_table.rowCount()):
            model = (self.price_table.item(row, 0).text() if self.price_table.item(row, 0) else "").strip()
            fields: dict[str, float] = {}
            for c, (title, key) in enumerate(PRICE_FIELDS, start=1):
                item = self.price_table.item(row, c)
                text = item.text().strip().lstrip("$") if item else ""
                if not text:
                    continue
                try:
                    fields[key] = float(text) / PER_MILLION
                except ValueError:
                    raise ValueError(f"{model or 'row ' + str(row + 1)}: {title} must be a number") from None
            if model and fields:
                overrides[model] = fields
        return overrides

    def save_prices(self) -> bool:
        try:
            overrides = self.price_overrides()
            from desktop.scan_job import base_prices

            base_prices().with_overrides(overrides)  # the same check a scan makes, before it is saved
        except ValueError as exc:
            self.price_error.setText(f"Not saved: {exc}")
            return False
        self.price_error.setText("")
        self.archive.set_setting("price_overrides", overrides)
        return True
