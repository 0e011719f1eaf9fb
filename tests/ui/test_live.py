"""The tray, live updates from a background scan, the watcher, idleness, and the task runner."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

from desktop import formatting as fmt
from desktop.ui.tasks import TaskRunner
from desktop.ui.tray import tooltip_text
from desktop.ui.watcher import SWEEP_MS, LogWatcher, watch_list
from desktop.sources import SOURCES
from tests.helpers import env_for
from tests.logs import claude_assistant, claude_file, write_lines
from tests.ui.conftest import LAST_WEEK_TOKENS, THIS_WEEK_TOKENS


def test_tray_tooltip_and_menu(app):
    tray = app.tray
    assert tray.icon.toolTip() == tooltip_text(tray.summary)
    assert tray.icon.toolTip().startswith("today: 0 tok · $0.00")  # nothing yet on Wednesday
    tray.menu.aboutToShow.emit()
    lines = tray.menu_lines()
    assert lines[0] == "Today: 0 tok · $0.00"
    assert lines[1].startswith(f"This week: {fmt.tokens(THIS_WEEK_TOKENS)} tok · $")
    assert lines[1].endswith(f"({fmt.delta(THIS_WEEK_TOKENS, LAST_WEEK_TOKENS)} vs last week)")
    assert lines[2].startswith("Top project: shop-api · 304k tok")
    texts = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
    assert texts[3:] == ["Open Tokenmirror", "Scan now", "Export week…", "Import Cursor CSV…",
                          "Pause automatic imports", "Quit Tokenmirror"]


@pytest.mark.qt_log_ignore("This plugin does not support")
def test_tray_actions(app, qtbot, monkeypatch):
    tray = app.tray
    tray.menu.aboutToShow.emit()
    tray.actions["open"].trigger()
    assert app.window.isVisible()
    with qtbot.waitSignal(app.scanner.finished, timeout=10_000):
        tray.actions["scan"].trigger()
        app.tasks.finish_pending()
    tray.menu.aboutToShow.emit()
    tray.actions["pause"].trigger()
    assert app.scanner.paused
    assert app.scanner.request() is False  # automatic requests wait while paused
    tray.menu.aboutToShow.emit()
    assert tray.actions["pause"].text() == "Resume automatic imports"
    tray.actions["pause"].trigger()
    assert not app.scanner.paused
    app.settle()
    quits = []
    monkeypatch.setattr(app, "quit", lambda: quits.append(1))
    tray._quit = app.quit
    tray.menu.aboutToShow.emit()
    tray.actions["quit"].trigger()
    assert quits == [1]


def test_tray_icon_states(app):
    tray = app.tray
    assert tray.state == "idle"
    tray.set_finding(True)
    assert tray.state == "finding"
    app.scanner.request(manual=True)
    assert tray.state == "importing"
    app.settle()
    assert tray.state == "idle"  # after a scan the archive's findings decide: this fixture has none


def test_background_scan_updates_the_window(make_app, isolated_home, qtbot):
    app = make_app(isolated_home)  # an empty machine: no logs yet
    overview = app.window.overview
    assert overview.tokens_card.value.text() == "0"
    assert app.window.status_label.text().startswith("Up to date")
    shop = str(isolated_home / "code" / "shop-api")
    write_lines(claude_file(isolated_home, "s9", shop), [
        claude_assistant("2026-04-15T09:00:00.000Z", "m9", "r9", session="s9", cwd=shop, input=10_000, output=2_000),
    ])  # fmt: skip
    progress = []
    app.scanner.progressed.connect(progress.append)
    with qtbot.waitSignal(overview.reloaded, timeout=10_000):
        app.scanner.request()
        app.settle()
    assert overview.tokens_card.value.text() == "12.0k"
    assert progress and progress[-1].bytes_done == progress[-1].bytes_total
    assert "1 new call imported" in app.window.status_label.text()
    assert app.tray.icon.toolTip().startswith("today: 12.0k tok · $")


def test_watcher_debounces_file_changes(qtbot, home, tmp_path):
    tasks = TaskRunner()
    env = env_for(home)
    watcher = LogWatcher(SOURCES, env, tasks, lambda: {}, debounce_ms=50)
    watcher.start()
    tasks.finish_pending()
    watched = watcher.watched()
    assert str(home / ".claude" / "projects") in watched
    assert any(p.endswith("s1.jsonl") for p in watched) or not watched  # recent files: only when they are recent
    project_dir = claude_file(home, "s1", str(home / "code" / "shop-api")).parent
    assert str(project_dir) in watched
    with qtbot.waitSignal(watcher.scan_wanted, timeout=5000) as blocker:
        write_lines(project_dir / "new-session.jsonl", [{"type": "summary"}])
        write_lines(project_dir / "another.jsonl", [{"type": "summary"}])
    assert blocker.args == ["change"]
    assert not watcher.debounce.isActive()
    assert watcher.sweep.interval() >= SWEEP_MS
    watcher.stop()
    tasks.shutdown()


def test_watch_list_keeps_recent_files_and_bounds(tmp_path):
    root = tmp_path / "logs"
    (root / "a" / "b").mkdir(parents=True)
    old = root / "a" / "old.jsonl"
    new = root / "a" / "b" / "new.jsonl"
    old.write_text("{}\n")
    new.write_text("{}\n")
    import os

    os.utime(old, (1_000_000, 1_000_000))
    dirs, files = watch_list([root, tmp_path / "missing"])
    assert dirs[0] == str(root) and str(root / "a" / "b") in dirs
    assert files == [str(new)]
    dirs, files = watch_list([root], max_dirs=1, max_files=0)
    assert dirs == [str(root)] and files == []


def test_idle_means_no_short_timers(make_app, home):
    app = make_app(home, watch=True)
    app.settle()
    short = [t for t in app.findChildren(QTimer) + app.window.findChildren(QTimer)
             if t.isActive() and t.interval() < 60_000]  # fmt: skip
    assert [(t.parent().__class__.__name__, t.interval()) for t in short] == []


def test_task_runner_delivers_on_gui_thread(qtbot):
    runner = TaskRunner()
    gui = threading.get_ident()
    seen = []

    def job():
        seen.append(("worker", threading.get_ident() != gui))
        yield 1
        yield 2
        return "done"

    runner.run(job, on_progress=lambda v: seen.append(("progress", threading.get_ident() == gui)),
               on_done=lambda v: seen.append((v, threading.get_ident() == gui)))  # fmt: skip
    runner.finish_pending()
    assert seen[0] == ("worker", True)
    assert seen[-1] == ("done", True)
    assert all(ok for kind, ok in seen)


def test_task_runner_lanes_keys_errors_and_cancel(qtbot):
    runner = TaskRunner()
    order: list[str] = []
    gate = threading.Event()

    def slow():
        gate.wait(5)
        order.append("first")

    runner.run(slow, lane="archive")
    runner.run(lambda: order.append("second"), lane="archive")
    gate.set()
    runner.finish_pending()
    assert order == ["first", "second"]

    results = []
    block = threading.Event()
    runner.run(lambda: block.wait(5) and "old", on_done=results.append, key="k")
    runner.run(lambda: "new", on_done=results.append, key="k")
    block.set()
    runner.finish_pending()
    assert results == ["new"]

    failures = []
    runner.run(lambda: 1 / 0, on_error=failures.append)
    runner.finish_pending()
    assert isinstance(failures[0].error, ZeroDivisionError) and "ZeroDivisionError" in failures[0].traceback

    closed = []
    started = threading.Event()
    release = threading.Event()

    def endless():
        try:
            while True:
                started.set()
                release.wait(5)
                yield 0
        finally:
            closed.append(True)

    task = runner.run(endless, on_done=results.append)
    started.wait(5)
    task.cancel()
    release.set()
    runner.finish_pending()
    assert closed == [True] and results == ["new"]


def test_task_failure_without_handler_reaches_excepthook(qtbot):
    runner = TaskRunner()
    with qtbot.captureExceptions() as exceptions:
        runner.run(lambda: [][1])
        runner.finish_pending()
    assert exceptions and exceptions[0][0] is IndexError


def test_demo_builds_a_usable_home(tmp_path):
    from datetime import date

    from desktop.demo import DEMO_EMAIL, build_demo
    from desktop.store import Store
    from tests.helpers import scan

    env = build_demo(tmp_path / "home", weeks=2, today=date(2026, 4, 15))
    assert Path(env.home) == tmp_path / "home"
    store = Store.open(tmp_path / "a.sqlite")
    summary = scan(store, env.home)
    by_source = {s.source: s.events_parsed for s in summary.sources}
    assert by_source["claude"] > 50 and by_source["codex"] > 10
    assert summary.events_added > 0 and all(s.lines_skipped == 0 for s in summary.sources)
    store.close()
    import subprocess

    log = subprocess.run(["git", "-C", str(tmp_path / "home" / "code" / "shop-api"), "log", "--format=%ae%n%b"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert DEMO_EMAIL in log and "Co-Authored-By: Claude" in log


def test_the_app_as_launched_scans_in_a_child_process_and_shows_the_same_week(make_app, home):
    """`tokenmirror app` scans in a process of its own (desktop/scan_process.py): same numbers, same views."""
    import multiprocessing

    app = make_app(home, scan_process=True)
    assert app.scanner.own_process and app.scanner.scans_done == 1 and not app.scanner.running
    assert app.window.overview.tokens_card.value.text() == fmt.tokens(THIS_WEEK_TOKENS)
    app.tray.menu.aboutToShow.emit()
    assert app.tray.menu_lines()[1].startswith(f"This week: {fmt.tokens(THIS_WEEK_TOKENS)} tok · $")
    assert not [p for p in multiprocessing.active_children() if p.name == "tokenmirror-scan"]  # gone when done


@pytest.mark.parametrize("own_process", [False, True])
def test_a_scan_on_a_damaged_archive_says_so_plainly(make_app, home, paths, qtbot, own_process):
    from tests.test_faults import _damage

    app = make_app(home, scan_process=own_process)
    _damage(paths.database, "source_file")
    with qtbot.waitSignal(app.scanner.failed, timeout=20_000) as failed:
        app.scanner.request(manual=True)
    assert "damaged" in failed.args[0] and "doctor --repair" in failed.args[0]
