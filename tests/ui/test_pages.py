"""Every page renders from the fixture archive and shows the right numbers, as the user reads them."""

from __future__ import annotations

from datetime import date

import numpy as np

from desktop import formatting as fmt
from desktop.reports.usage import Window, period_report
from desktop.periods import zone
from desktop.store import Store
from tests.ui.conftest import LAST_WEEK_TOKENS, THIS_WEEK_TOKENS


def cli_cost(paths, since: str, until: str) -> float:
    """The same figure `tokenmirror report daily --json` gives: the window shows the CLI's numbers."""
    store = Store.open(paths.database)
    try:
        window = Window(tz=zone("UTC"), since=date.fromisoformat(since), until=date.fromisoformat(until))
        return period_report(store, window, "day", False)["totals"]["cost_usd"]
    finally:
        store.close()


def test_overview_week_at_a_glance(app, paths):
    page = app.window.overview
    assert page.heading.text() == "This week"
    assert page.week_note.text() == "13–15 Apr 2026, compared with Mon–Wed last week"
    assert page.tokens_card.value.text() == "356k" == fmt.tokens(THIS_WEEK_TOKENS)
    assert page.tokens_card.detail.text() == f"▲ 256% vs {fmt.tokens(LAST_WEEK_TOKENS)}"
    assert page.cost_card.value.text() == fmt.money(cli_cost(paths, "2026-04-13", "2026-04-15"))
    assert page.commits_card.value.text() == "2"  # the colleague's commit is not mine
    assert page.project_card.value.text() == "shop-api"
    assert page.project_card.detail.text().startswith("304k tok · $")


def test_overview_chart_arrays_follow_range_and_grouping(app, qtbot):
    page = app.window.overview
    page.set_range("week")
    data = page.chart_data
    assert [d.isoformat() for d in data.days][:3] == ["2026-04-13", "2026-04-14", "2026-04-15"]
    assert len(data.days) == 7 and data.keys == ["claude", "codex"]
    assert data.measured[0].tolist() == [304_500, 0, 0, 0, 0, 0, 0]
    assert data.measured[1].tolist() == [0, 52_000, 0, 0, 0, 0, 0]
    assert data.commits.tolist()[:3] == [1, 1, 0] and data.ai_commits.tolist()[:2] == [1, 0]
    assert data.future.tolist() == [False, False, False, True, True, True, True]
    with qtbot.waitSignal(page.chart.redrawn, timeout=2000):
        pass
    assert page.chart.keys == ["claude", "codex"]
    assert [b.text() for b in page.chart.legend.buttons.values()] == ["Claude Code", "Codex", "Commits"]

    page.step(1)  # last week
    assert page.period_label.text() == "6–12 Apr 2026"
    assert page.chart_data.measured.sum() == LAST_WEEK_TOKENS
    page.step(-1)
    page.set_grouping("model")
    assert page.chart_data.keys == ["claude-sonnet-4-5-20250929", "gpt-5-codex"]
    page.set_range("month")
    assert len(page.chart_data.days) == 30 and int(page.chart_data.totals_per_day.sum()) == THIS_WEEK_TOKENS + LAST_WEEK_TOKENS
    page.set_range("year")
    assert len(page.chart_data.days) == 365
    page.set_custom(date(2026, 4, 14), date(2026, 4, 14))
    assert page.chart_data.totals_per_day.tolist() == [52_000]
    assert "14 Apr 2026" in page.range_summary.text() and "52.0k tokens" in page.range_summary.text()


def test_overview_hover_text_and_empty_range(app, qtbot):
    page = app.window.overview
    page.set_range("week")
    page.chart.flush()
    text = page.chart.day_text(0)
    assert "Monday 13 April 2026" in text
    assert "Claude Code" in text and "304k" in text
    assert "2 calls" in text and "in 3.0k · out 1.5k · cache read 300k" in text
    assert "1 commit (1 with an AI trailer)" in text
    page.set_custom(date(2025, 1, 1), date(2025, 1, 31))
    page.chart.flush()
    assert page.chart.data.empty
    assert "No assistant usage or commits between 1 Jan and 31 Jan 2025" in page.chart.empty_label.text()
    assert page.chart._stack.currentIndex() == 1


def test_cost_line_on_demand(app):
    page = app.window.overview
    page.set_range("week")
    page.set_show_cost(True)
    page.chart.flush()
    assert page.chart.cost_axis.isVisible() and len(page.chart.cost_vb.addedItems) == 1
    assert "__cost__" in page.chart.legend.buttons
    assert np.isclose(page.chart_data.cost[:3].sum(), app.window.overview.cube.totals(date(2026, 4, 13), date(2026, 4, 15)).cost)
    page.set_show_cost(False)
    page.chart.flush()
    assert "__cost__" not in page.chart.legend.buttons


def test_legend_toggle_restacks(app):
    chart = app.window.overview.chart
    app.window.overview.set_range("week")
    chart.flush()
    chart.legend.buttons["claude"].click()
    chart.flush()
    assert "claude" in chart.hidden
    assert chart.legend.buttons["claude"].isChecked() is False


def test_projects_table(app, qtbot):
    page = app.window.projects
    page.set_range("month")
    with qtbot.waitSignal(page.reloaded, timeout=5000):
        app.tasks.finish_pending()
    assert page.table.column_texts("name") == ["shop-api", "api"]
    shop = page.table.texts(0)
    assert shop[:2] == ["shop-api", "404k"]
    keys = [c.key for c in page.table.columns]
    assert shop[keys.index("sessions")] == "2"
    assert shop[keys.index("commits")] == "2"
    assert shop[keys.index("lines")] == "15"
    assert shop[keys.index("ai_share")] == "50%"
    assert shop[keys.index("cost_per_commit")].startswith("$")
    api = page.table.texts(1)
    assert api[keys.index("commits")] == ""  # not a repository: no commit numbers, not zero


def test_selecting_a_project_filters_the_overview(app, qtbot):
    page = app.window.projects
    overview = app.window.overview
    overview.set_range("week")
    with qtbot.waitSignal(page.project_selected, timeout=2000) as blocker:
        page.table.selectRow(0)
    assert blocker.args[0].endswith("shop-api")
    assert overview.project.endswith("shop-api")
    assert overview.chart_data.keys == ["claude"]
    assert overview.tokens_card.value.text() == "304k"
    assert overview.project_chip.isVisibleTo(overview)
    overview.project_chip.click()
    assert overview.project is None and overview.chart_data.keys == ["claude", "codex"]


def test_table_sort_is_remembered(app, qtbot):
    table = app.window.projects.table
    table.sortByColumn(0, table.horizontalHeader().sortIndicatorOrder().__class__.AscendingOrder)
    assert app.archive.ui_state("projects_table")["sort"] == "name"
    table.horizontalHeader().resizeSection(1, 133)
    assert app.archive.ui_state("projects_table")["widths"]["total_tokens"] == 133
    app.archive.save_ui_state()
    app.tasks.finish_pending()
    store = Store.open(app.paths.database)
    try:
        from desktop.store.ui_queries import ui_state

        assert ui_state(store.conn)["projects_table"]["widths"]["total_tokens"] == 133
    finally:
        store.close()


def test_sessions_list_search_and_detail(app, qtbot):
    page = app.window.sessions
    page.set_range("month")
    with qtbot.waitSignal(page.reloaded, timeout=5000):
        app.tasks.finish_pending()
    assert page.table.column_texts("start_text") == ["Tue 14 Apr 08:00", "Mon 13 Apr 10:00", "Tue 7 Apr 09:00"]
    assert page.table.column_texts("first_prompt") == ["Add a health check", "Add pagination to the orders endpoint",
                                                       "Why is the cart slow?"]  # fmt: skip
    assert page.table.column_texts("total_tokens") == ["52.0k", "304k", "100k"]
    page.search.setText("pagination")
    assert page.table.proxy.rowCount() == 1
    assert "1 match the search" in page.summary.text()
    with qtbot.waitSignal(page.detail_loaded, timeout=5000):
        page.table.selectRow(0)
        app.tasks.finish_pending()
    assert page.tabs.tabText(0) == "Calls (2)"
    assert page.tabs.tabText(2) == "Errors (1)"
    assert page.calls_table.column_texts("cache_read") == ["100k", "200k"]
    assert page.tools_table.texts(0) == ["Bash", "1", "1"]
    assert page.prompts_table.column_texts("excerpt") == ["Add pagination to the orders endpoint", "run the tests again"]
    assert "Claude Code" in page.detail_title.text() and "304k tok" in page.detail_title.text()


def test_search_shortcut_focuses_sessions_search(app, qtbot):
    app.window.show_page("overview")
    app.window.focus_search()
    assert app.window.current_page() == "sessions"


def test_settings_saved_and_applied(app, qtbot):
    page = app.window.settings_page
    overview = app.window.overview
    with qtbot.waitSignal(app.archive.settings_changed, timeout=2000):
        page.week_box.setCurrentIndex(page.week_box.findData("sunday"))
    assert overview.week_note.text().startswith("12–15 Apr 2026")
    with qtbot.waitSignal(app.archive.settings_changed, timeout=2000):
        page.source_rows["codex"].check.setChecked(False)
    page.autostart.setChecked(True)
    app.settle()
    store = Store.open(app.paths.database)
    try:
        assert store.settings.get("week_start") == "sunday"
        assert store.settings.get("disabled_sources") == ["codex"]
        assert store.settings.get("autostart") is True
    finally:
        store.close()


def test_price_override_reprices_at_once(app, qtbot):
    page = app.window.settings_page
    page._add_price_row("claude-sonnet-4-5-20250929", {})
    page.price_table.item(0, 1).setText("abc")
    assert page.save_prices() is False and "must be a number" in page.price_error.text()
    for column, value in ((1, "0"), (2, "0"), (3, "0"), (4, "0")):
        page.price_table.item(0, column).setText(value)
    assert page.save_prices() is True
    app.settle()
    week = app.window.overview.cube.totals(date(2026, 4, 13), date(2026, 4, 15))
    codex_only = app.window.overview.cube.totals(date(2026, 4, 14), date(2026, 4, 14))
    assert week.cost == codex_only.cost  # Claude's calls now cost nothing
