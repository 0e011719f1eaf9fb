"""The Insights page, the Overview's findings line and the tray, on an archive where two detectors fire.

Today is Wednesday 2026-04-15 (tests/ui/conftest.py), so the app checks the quarter April-June. The scene,
in the week of Monday 6 April:
- a Claude Code session "loop" (Tue 7 Apr 09:00, shop-api) that ran the same `npm test` call ten times
  with nothing edited between: a runaway loop
- twelve one-prompt sessions sending the same prompt with only numbers and names changed: scripted prompting
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from desktop import formatting as fmt
from desktop.insights.run import list_findings, snoozed
from desktop.paths import AppPaths
from desktop.store import Store
from desktop.ui.findings import FindingsSnapshot, notification_text
from tests.helpers import env_for
from tests.insights_scenes import ClaudeSession, utc
from tests.ui.conftest import TODAY

LOOP_START = utc("2026-04-07T09:00:00")
MONDAY = utc("2026-04-06T00:00:00")
HOURS = [9, 11, 14, 16, 10, 13, 15, 17, 8, 12, 18, 19]


def runaway_session(home: Path, sid: str = "loop", start=LOOP_START) -> None:
    s = ClaudeSession(home, sid, start).prompt(0, "make the build pass")
    for i in range(10):
        s.tool(10 * (i + 1), "Bash", command="npm test", description="Run tests")
        if i < 9:
            s.tool(10 * (i + 1) + 5, "Read", file_path=f"/home/dev/shop-api/src/cart{i}.js")
    s.write()


def scripted_sessions(home: Path) -> None:
    for i, hour in enumerate(HOURS):
        start = MONDAY + timedelta(days=i % 5, hours=hour, minutes=i)
        text = f'Summarize issue #{100 + i} in "repo-{i}" and list {i + 2} risks'
        ClaudeSession(home, f"rep-{i}", start).prompt(0, text).call(5, input=1000, output=200).write()


@pytest.fixture
def scene(isolated_home: Path) -> Path:
    runaway_session(isolated_home)
    scripted_sessions(isolated_home)
    return isolated_home


@pytest.fixture
def insights_app(qtbot, paths: AppPaths, scene: Path):
    """The whole app on the scene; the tray may notify (offscreen has no tray) and its messages are kept."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    from desktop.ui.app import TokenmirrorApp

    app = TokenmirrorApp(paths, env_for(scene), today=lambda: TODAY, use_tray=False, watch=False)
    app.messages = []
    app.tray.can_notify = lambda: True
    app.tray.icon.showMessage = lambda *args: app.messages.append(args)
    app.start(show_window=False)
    app.settle()
    yield app
    app.shutdown()
    app.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def stored(paths: AppPaths) -> dict[str, object]:
    store = Store.open(paths.database)
    try:
        return {f.detector: f for f in list_findings(store)}
    finally:
        store.close()


def select(page, detector: str) -> dict:
    row = next(r for r in page.snapshot.rows if r["detector"] == detector)
    assert page.select_finding(row["id"])
    return page.current


def test_the_page_lists_the_findings_in_words(insights_app, paths):
    page, window = insights_app.window.insights, insights_app.window
    found = stored(paths)
    assert set(found) == {"runaway_loop", "scripted_prompting"}
    loop, scripted = found["runaway_loop"], found["scripted_prompting"]
    assert page.body.currentWidget() is page.splitter
    rows = {page.table.texts(r)[1]: page.table.texts(r) for r in range(page.table.proxy.rowCount())}
    assert rows["Runaway loop"] == ["Warning", "Runaway loop", "Tue 7 Apr 2026", "Claude Code · shop-api session",
                                    fmt.tokens(loop.tokens), fmt.money(loop.cost_usd), "—", "New"]  # fmt: skip
    assert rows["Scripted prompting"][:4] == ["Warning", "Scripted prompting", "Week of 6 Apr 2026",
                                              "Prompt “summarize issue ## in «…» and list # risks”"]  # fmt: skip
    assert rows["Scripted prompting"][4:6] == [fmt.tokens(12 * 1200), fmt.money(scripted.cost_usd)]
    assert page.summary.text().startswith("2 findings · 2 new · ")
    assert "this quarter (1 Apr – 30 Jun 2026) checked at" in page.summary.text()
    assert window.sidebar.item(3).text() == "Insights (2 new)"
    assert window.overview.findings_link.text() == "● 2 new findings →"

    current = select(page, "runaway_loop")
    assert page.detail_summary.text().startswith("The Claude Code session of Tue 7 Apr 09:00 in shop-api: the same Bash call")
    assert "Runaway loop" in page.detail_title.text() and "Warning" in page.detail_title.text()
    assert page.detail_numbers.text().startswith(f"<b>{fmt.tokens(loop.tokens)} tokens</b>")
    assert page.cannot_tell.text().startswith("<i><b>What this cannot tell you:</b> A long unattended task")
    assert page.evidence_table.column_texts("what") == ["Session", "Repeated call"]
    assert page.evidence_table.column_texts("tokens") == ["285", "285"] == [fmt.tokens(loop.tokens)] * 2  # 19 calls
    details = page.evidence_table.column_texts("details")
    assert details[0] == "Claude Code · shop-api · “make the build pass”"
    assert details[1] == "Bash with the same arguments 10 times, no edit between"
    assert page.evidence_table.selected_row()["session"].session_id == "loop" == current["sessions"][0].session_id
    assert page.show_session_button.isEnabled() and page.seen_button.text() == "Mark seen"

    select(page, "scripted_prompting")
    assert page.detail_summary.text().startswith(
        "The same prompt (“summarize issue ## in «…» and list # risks”) was sent 12 times in 12 sessions in the "
        "week of 6 Apr 2026"
    )
    assert page.detail_facts.text() == "" and not page.detail_facts.isVisibleTo(page)
    prompts = [t for t in page.evidence_table.column_texts("details") if t.startswith("“")]
    assert len(prompts) == 12 and all(t.endswith("characters") for t in prompts)
    assert "“Summarize issue #100 in \"repo-0\" and list 2 risks” · 49 characters" in prompts

    page.set_detector_filter("runaway_loop")
    assert page.table.column_texts("detector_name") == ["Runaway loop"]
    assert page.summary.text().startswith("1 finding of 2 · 1 new")
    page.set_detector_filter(None)


def test_dismiss_and_snooze_persist_and_the_list_follows(insights_app, paths):
    page, tray = insights_app.window.insights, insights_app.tray
    loop_id = select(page, "runaway_loop")["id"]
    page.dismiss_current()
    insights_app.settle()
    assert stored(paths)["runaway_loop"].state == "dismissed"
    assert page.table.column_texts("detector_name") == ["Scripted prompting"]
    assert page.current["detector"] == "scripted_prompting"  # the next finding takes the dismissed one's place
    assert insights_app.window.overview.findings_link.text() == "● 1 new finding →"

    insights_app.scanner.request(manual=True)  # a rerun keeps it dismissed
    insights_app.settle()
    assert stored(paths)["runaway_loop"].state == "dismissed"
    page.set_state_filter("dismissed")
    assert page.table.column_texts("state_text") == ["Dismissed"]
    assert page.dismiss_button.text() == "Restore" and not page.seen_button.isVisible()
    page.set_state_filter("open")

    page.snooze_current(7)  # scripted prompting, the one still selected
    insights_app.settle()
    store = Store.open(paths.database)
    try:
        assert set(snoozed(store)) == {"scripted_prompting"}
    finally:
        store.close()
    assert "scripted_prompting" not in stored(paths)
    assert page.body.currentWidget() is page.empty
    assert page.empty_title.text() == "No open findings"
    assert page.empty_text.text() == "1 finding is hidden by the filters above."
    assert page.snoozed_label.isVisibleTo(page) and "Scripted prompting</b> until" in page.snoozed_label.text()
    assert tray.state == "idle" and not insights_app.window.overview.findings_link.isVisibleTo(insights_app.window)

    insights_app.findings.wake("scripted_prompting")
    insights_app.settle()
    assert page.table.column_texts("detector_name") == ["Scripted prompting"] and not page.snoozed_label.isVisibleTo(page)
    assert page.select_finding(loop_id)  # widens the filter to show a dismissed finding asked for by id
    assert page.state_filter == "all" and page.current["state"] == "dismissed"


def test_show_session_opens_it_in_sessions(insights_app):
    window = insights_app.window
    window.sessions.search.setText("something else")
    select(window.insights, "runaway_loop")
    window.insights.show_session()
    insights_app.settle()
    assert window.current_page() == "sessions"
    assert window.sessions.search.text() == ""
    assert window.sessions.filter_chip.text().startswith("Tue 7 Apr 2026")
    picked = window.sessions.table.selected_row()
    assert (picked["source"], picked["session_id"]) == ("claude", "loop")
    assert window.sessions.detail is not None and window.sessions.detail.session_id == "loop"


@pytest.mark.qt_log_ignore("This plugin does not support")  # offscreen cannot raise a window
def test_the_tray_shows_the_finding_and_notifies_once(insights_app, paths, scene):
    tray, window = insights_app.tray, insights_app.window
    assert tray.state == "finding"
    ((title, message, _icon, _ms),) = insights_app.messages
    assert title == "2 new findings"
    assert message.splitlines()[0].startswith("1 scripted prompting, 1 runaway loop · $")
    assert message.splitlines()[1].startswith("Week of 6 Apr: 2 findings (")
    tray.rebuild_menu()
    latest = tray.actions["finding"]
    assert latest.text().startswith("Latest finding: ") and latest.text().endswith(
        fmt.money(window.insights.snapshot.row(tray.latest_finding[0])["cost_usd"])
    )
    window.show_page("overview")
    latest.trigger()
    assert window.current_page() == "insights" and window.insights.current["id"] == tray.latest_finding[0]

    insights_app.scanner.request(manual=True)  # nothing new: no second notification
    insights_app.settle()
    assert len(insights_app.messages) == 1

    window.insights.notify_check.setChecked(False)  # notifications off: the icon still says so
    window.insights.mark_all_seen()
    insights_app.settle()
    assert tray.state == "idle" and window.sidebar.item(3).text() == "Insights"
    runaway_session(scene, "loop2", LOOP_START + timedelta(days=1))
    insights_app.scanner.request(manual=True)
    insights_app.settle()
    assert tray.state == "finding" and len(insights_app.messages) == 1
    store = Store.open(paths.database)
    try:
        assert store.settings.get("notifications") is False
    finally:
        store.close()


def test_an_archive_without_findings_says_what_is_looked_for(app):
    page = app.window.insights
    assert isinstance(page.snapshot, FindingsSnapshot) and page.snapshot.rows == []
    assert page.body.currentWidget() is page.empty
    assert page.empty_title.text() == "Nothing to point out"
    assert "<b>Runaway loop</b>: long chains of tool calls" in page.empty_text.text()
    assert not app.window.overview.findings_link.isVisibleTo(app.window)
    assert app.tray.state == "idle" and "finding" not in app.tray.actions


def test_notification_words():
    one = {"detector_name": "Cache thrash", "cost_usd": 3.1,
           "summary": "The Claude Code session of Tue 7 Apr 09:00 rebuilt its cache 6 times."}  # fmt: skip
    assert notification_text([one], None) == (
        "New finding: Cache thrash",
        "The Claude Code session of Tue 7 Apr 09:00 rebuilt its cache 6 times.\nOpen Insights to see the evidence.",
    )
    assert notification_text([], None) is None
