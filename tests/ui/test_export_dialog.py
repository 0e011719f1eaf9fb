"""The export dialog and the Cursor CSV import, driven as a user drives them (file dialogs answered by the test).

The fixture archive (tests/ui/conftest.py) has the project shop-api under the test's home; today is
Wednesday 2026-04-15, weeks start on Monday (ISO week 16).
"""

from __future__ import annotations

import stat
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog

from desktop import formatting as fmt
from desktop.periods import zone
from desktop.reports.export.period import ExportPeriod
from desktop.store import Store
from desktop.ui.export_dialog import default_name, period_for, preset_for, with_suffix
from tests.ui.conftest import THIS_WEEK_TOKENS, TODAY

UTC = zone("UTC")
# the offscreen platform says so when a window is shown or raised; any other Qt warning fails a test
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def answer_save_dialog(monkeypatch, answer: Path | None) -> list[tuple]:
    """QFileDialog.getSaveFileName returns `answer` (None: the user cancelled); the calls are recorded."""
    asked: list[tuple] = []

    def fake(parent, caption="", folder="", filters="", *args, **kwargs):
        asked.append((caption, folder, filters))
        return (str(answer) if answer else "", filters)

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake))
    return asked


def test_export_week_from_the_tray_previews_redacts_and_writes_a_private_pdf(app, home, qtbot, monkeypatch, tmp_path):
    app.tray.menu.aboutToShow.emit()
    app.tray.actions["export"].trigger()
    dialog = app.window.export_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.choice == "this-week" and dialog.period_box.currentText() == "This week"
    assert dialog.period_note.text() == "Week of Mon 13 Apr 2026, so far (to Wed 15 Apr)\nCompared with 6 Apr – 8 Apr 2026"
    assert dialog.redaction == "prompts" and dialog.redaction_buttons["prompts"].text() == "Prompts  (your default)"
    with qtbot.waitSignal(dialog.preview_ready, timeout=15_000):
        pass
    text = dialog.preview_text()
    assert "AI assistant usage: Week of Mon 13 Apr 2026" in text and "shop-api" in text
    assert set(dialog.preview.images) == {"daily.png", "models.png"}  # the charts, as the PDF has them

    shop = str(home / "code" / "shop-api")
    with qtbot.waitSignal(dialog.preview_ready, timeout=15_000):
        dialog.redaction_buttons["projects"].click()
    text = dialog.preview_text()
    assert dialog.preview.redaction == "projects" and "project-A" in text
    assert "shop-api" not in text and shop not in text and "Paginate orders" not in text

    dialog.format_picker.choose("pdf")
    asked = answer_save_dialog(monkeypatch, tmp_path / "weekly")  # no suffix typed: .pdf is added
    with qtbot.waitSignal(dialog.exported, timeout=15_000) as done:
        dialog.export_button.click()
        assert not dialog.export_button.isEnabled() and dialog.export_button.text() == "Exporting…"
    _, suggested, filters = asked[0]
    assert Path(suggested).name == "tokenmirror-2026-W16.pdf" and Path(suggested).parent.is_dir()
    assert filters == "PDF document (*.pdf)"
    summary = done.args[0]
    out = tmp_path / "weekly.pdf"
    assert summary.files == (out,) and summary.redaction == "projects" and summary.format == "pdf"
    assert out.read_bytes().startswith(b"%PDF") and stat.S_IMODE(out.stat().st_mode) == 0o600
    assert dialog.status.text().startswith("Saved weekly.pdf (") and dialog.export_button.isEnabled()
    assert dialog.open_button.isVisible() and dialog.folder_button.isVisible()

    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url) or True))
    dialog.open_button.click()
    dialog.folder_button.click()
    assert [u.isLocalFile() for u in opened] == [True, True]
    assert [u.toLocalFile() for u in opened] == [str(out), str(tmp_path)]
    assert app.archive.ui_state("export") == {"format": "pdf", "folder": str(tmp_path)}


def test_export_formats_periods_and_a_failure_said_plainly(app, qtbot, monkeypatch, tmp_path):
    dialog = app.window.open_export("last-month")
    assert dialog.period_note.text() == "March 2026\nCompared with 1 Feb – 28 Feb 2026"
    with qtbot.waitSignal(dialog.preview_ready, timeout=15_000):
        pass
    assert "No assistant usage and no commits of yours in this period." in dialog.preview_text()

    dialog.set_period("custom")  # starts from the period shown
    assert dialog.custom == (date(2026, 3, 1), date(2026, 3, 31)) and dialog.dates_box.isVisible()
    with qtbot.waitSignal(dialog.preview_ready, timeout=15_000):
        dialog.set_custom(date(2026, 4, 13), date(2026, 4, 14))
    assert "13 Apr – 14 Apr 2026" in dialog.preview_text() and "shop-api" in dialog.preview_text()

    dialog.format_picker.choose("csv")
    asked = answer_save_dialog(monkeypatch, None)  # cancelled: nothing happens
    assert dialog.choose_and_export() is None and Path(asked[0][1]).name == "tokenmirror-2026-04-13_2026-04-14.zip"

    with qtbot.waitSignal(dialog.exported, timeout=15_000) as done:
        dialog.export_to(tmp_path / "days.zip")
    assert done.args[0].files == (tmp_path / "days.zip",)
    assert stat.S_IMODE((tmp_path / "days.zip").stat().st_mode) == 0o600

    dialog.format_picker.choose("html")
    with qtbot.waitSignal(dialog.failed, timeout=15_000) as failed:
        dialog.export_to(tmp_path / "no such folder" / "days.html")
    assert "does not exist" in failed.args[0]
    box = dialog.error_box
    assert box is not None and box.isVisible() and box.text() == "The summary could not be written."
    assert box.informativeText().startswith("Cannot write") and "Traceback" not in box.informativeText()
    assert dialog.status.text() == "Nothing was written." and dialog.export_button.isEnabled()
    box.close()


def test_the_overview_export_button_starts_from_the_range_shown(app, qtbot):
    overview = app.window.overview
    overview.set_range("quarter")
    overview.step(1)
    overview.export_button.click()
    dialog = app.window.export_dialog
    assert dialog.isVisible() and dialog.choice == "last-quarter" and dialog.period_note.text().startswith("Q1 2026\n")
    overview.set_custom(date(2026, 4, 1), date(2026, 4, 30))
    overview.export_button.click()
    assert dialog.choice == "custom" and dialog.custom == (date(2026, 4, 1), TODAY)  # not past today
    dialog.close()


def test_period_choices_and_file_names():
    week = period_for("last-week", UTC, "monday", TODAY)
    assert (week.kind, week.first, week.last, week.running) == ("week", date(2026, 4, 6), date(2026, 4, 12), False)
    assert default_name(week, "pdf") == "tokenmirror-2026-W15.pdf"
    sunday = period_for("this-week", UTC, "sunday", TODAY)  # Sun 12 - Sat 18 April is ISO week 16 mostly
    assert sunday.first == date(2026, 4, 12) and default_name(sunday, "md") == "tokenmirror-2026-W16.md"
    assert default_name(period_for("this-month", UTC, "monday", TODAY), "json") == "tokenmirror-2026-04.json"
    assert default_name(period_for("last-quarter", UTC, "monday", TODAY), "html") == "tokenmirror-2026-Q1.html"
    assert default_name(period_for("last-year", UTC, "monday", TODAY), "csv") == "tokenmirror-2025.zip"
    custom = period_for("custom", UTC, "monday", TODAY, (date(2026, 4, 1), date(2026, 4, 9)))
    assert custom == ExportPeriod.of("custom", UTC, "monday", today=TODAY, since=date(2026, 4, 1),
                                     until=date(2026, 4, 9))  # fmt: skip
    assert with_suffix(Path("/x/report"), "pdf") == Path("/x/report.pdf")
    assert with_suffix(Path("/x/report.PDF"), "pdf") == Path("/x/report.PDF")
    assert with_suffix(Path("/x/tables.csv"), "csv") == Path("/x/tables.csv")
    assert with_suffix(Path("/x/v1.2"), "json") == Path("/x/v1.2.json")
    assert preset_for("month", 0) == "this-month" and preset_for("year", 1) == "last-year"
    assert preset_for("week", 2) is None and preset_for("custom", 0) is None


# --- Cursor's usage CSV -----------------------------------------------------------------------
CSV_HEADER = ("Date,Kind,Model,Max Mode,Input (w/ Cache Write),Input (w/o Cache Write),Cache Read,Output Tokens,"
              "Total Tokens,Cost")  # fmt: skip
CSV_ROWS = [
    "2026-04-14T12:00:00.000Z,Included,gpt-5,No,1000,800,0,200,1200,0.10",  # 800 in + 200 cache write + 200 out
    "2026-04-14T13:00:00.000Z,Included,claude-4.5-sonnet,No,5000,5000,10000,300,15300,0.20",
]
CSV_TOKENS = 1_200 + 15_300


def answer_open_dialog(monkeypatch, answer: Path) -> list[tuple]:
    asked: list[tuple] = []

    def fake(parent, caption="", folder="", filters="", *args, **kwargs):
        asked.append((caption, folder, filters))
        return (str(answer), filters)

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(fake))
    return asked


def cursor_rows(paths) -> list[tuple]:
    store = Store.open(paths.database)
    try:
        return store.conn.execute("SELECT model, input_uncached, cache_read, cache_write_5m, output FROM usage_event "
                                  "WHERE source = 'cursor' AND is_estimate = 0 ORDER BY ts_ms").fetchall()  # fmt: skip
    finally:
        store.close()


def test_import_cursor_csv_from_the_tray_adds_the_rows_and_refreshes_the_views(app, paths, qtbot, monkeypatch, tmp_path):
    csv_file = tmp_path / "usage-events.csv"
    csv_file.write_text("\r\n".join([CSV_HEADER, *CSV_ROWS]) + "\r\n", encoding="utf-8")
    asked = answer_open_dialog(monkeypatch, csv_file)
    page = app.window.settings_page
    app.window.sessions.show_days(date(2026, 4, 6), date(2026, 4, 12))
    app.settle()
    app.tray.menu.aboutToShow.emit()
    with qtbot.waitSignal(page.cursor_csv_imported, timeout=15_000) as done:
        app.tray.actions["import_cursor"].trigger()
    assert asked[0][2] == "Cursor usage CSV (*.csv);;All files (*)"
    assert app.window.isVisible() and app.window.current_page() == "settings"
    summary = done.args[0]
    assert (summary.rows, summary.added, summary.already) == (2, 2, 0)
    assert cursor_rows(paths) == [("gpt-5", 800, 0, 200, 200), ("claude-4.5-sonnet", 5000, 10000, 0, 300)]
    line = summary.line()
    assert page.cursor_import_result.text() == line[0].upper() + line[1:]
    assert app.window.statusBar().currentMessage() == page.cursor_import_result.text()
    app.settle()  # the views read the archive again, as after a scan
    assert app.window.overview.tokens_card.value.text() == fmt.tokens(THIS_WEEK_TOKENS + CSV_TOKENS)

    with qtbot.waitSignal(page.cursor_csv_imported, timeout=15_000) as again:
        page.import_cursor_csv(csv_file)  # the same file again adds nothing
    assert (again.args[0].added, again.args[0].already) == (0, 2) and len(cursor_rows(paths)) == 2

    wrong = tmp_path / "other.csv"
    wrong.write_text("Date,Tokens\n2026-04-14,5\n", encoding="utf-8")
    answer_open_dialog(monkeypatch, wrong)
    with qtbot.waitSignal(page.status_message, timeout=15_000) as said:
        page.cursor_import_button.click()
    assert said.args[0].startswith("Not imported: ") and "is not Cursor's usage-events CSV" in said.args[0]
    assert page.cursor_import_result.text() == said.args[0] and page.cursor_import_button.isEnabled()
    assert len(cursor_rows(paths)) == 2


def test_the_sessions_page_lists_imported_cursor_rows(app, qtbot, tmp_path):
    csv_file = tmp_path / "usage-events.csv"
    csv_file.write_text("\r\n".join([CSV_HEADER, *CSV_ROWS]) + "\r\n", encoding="utf-8")
    with qtbot.waitSignal(app.window.settings_page.cursor_csv_imported, timeout=15_000):
        app.window.settings_page.import_cursor_csv(csv_file)
    app.window.sessions.set_range("month")
    app.settle()
    assert "Cursor" in app.window.sessions.table.column_texts("tool")
