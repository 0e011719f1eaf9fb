"""Single instance over a local socket, the bug reporter, and the start-up contract."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QProcess, QProcessEnvironment

from desktop.paths import AppPaths
from desktop.ui.app import BugReporter, SingleInstance, server_name

REPO = Path(__file__).resolve().parents[2]


def test_second_instance_hands_over_in_process(qtbot, tmp_path):
    name = server_name(AppPaths.at(tmp_path))
    first = SingleInstance(name)
    assert first.claim() is True
    second = SingleInstance(name)
    with qtbot.waitSignal(first.raise_requested, timeout=5000):
        assert second.claim() is False
    first.close()
    third = SingleInstance(name)
    assert third.claim() is True  # the name is free again once the first one is gone
    third.close()


def test_second_launch_raises_the_first_and_exits_0(qtbot, tmp_path, app):
    """The real `run_app` in another process finds the running instance of this data folder and leaves."""
    instance = SingleInstance(server_name(app.paths))
    assert instance.listen()
    raised = []
    instance.raise_requested.connect(lambda: raised.append(True))
    process = QProcess()
    env = QProcessEnvironment.systemEnvironment()
    env.insert("QT_QPA_PLATFORM", "offscreen")
    env.insert("PYTHONPATH", str(REPO))
    process.setProcessEnvironment(env)
    code = ("import sys; from pathlib import Path; from desktop.paths import AppPaths; from desktop.ui.app import run_app; "
            "sys.exit(run_app(AppPaths.at(Path(sys.argv[1]))))")  # fmt: skip
    with qtbot.waitSignal(process.finished, timeout=30_000) as done:
        process.start(sys.executable, ["-c", code, str(app.paths.data)])
    assert done.args[0] == 0, bytes(process.readAllStandardError().data()).decode()
    qtbot.waitUntil(lambda: bool(raised), timeout=5000)
    instance.close()


def test_bug_reporter_logs_the_traceback_and_offers_the_log_folder(tmp_path):
    import logging

    from desktop.ui.app import setup_logging

    paths = AppPaths.at(tmp_path / "data")
    log_file = setup_logging(paths)
    shown = []
    reporter = BugReporter(paths.logs, show=lambda summary, folder: shown.append((summary, folder)))
    try:
        raise ValueError("boom")
    except ValueError as exc:
        reporter(type(exc), exc, exc.__traceback__)
    for handler in logging.getLogger("desktop").handlers:
        handler.flush()
    assert shown == [("ValueError: boom", paths.logs)]
    text = log_file.read_text()
    assert "Traceback (most recent call last)" in text and "ValueError: boom" in text
    for handler in list(logging.getLogger("desktop").handlers):
        if getattr(handler, "baseFilename", "") == str(log_file):
            logging.getLogger("desktop").removeHandler(handler)
            handler.close()


def test_window_shortcuts_hide_to_tray_or_quit(app, qtbot):
    window = app.window
    quits = []
    window.quit_requested.connect(lambda: quits.append(1))
    window.hide_on_close = True
    window.close()
    assert quits == [] and not window.isVisible()
    window.hide_on_close = False
    window.close()
    assert quits == [1]
