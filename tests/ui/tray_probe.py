"""Run under a real X display with a tray (see test_tray_x11.py): the app's tray icon, menu and window.

Usage: python tray_probe.py DATA_DIR HOME OUT.json. Prints nothing; writes what it saw as JSON.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDeadlineTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication


def wait_for(check, timeout_ms: int = 10_000) -> bool:
    """A helper process polls the X server's state; Qt gives no signal for tray embedding."""
    deadline = QDeadlineTimer(timeout_ms)
    while not check():
        if deadline.hasExpired():
            return False
        QTest.qWait(25)
    return True


def main() -> int:
    data, home, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    from desktop.paths import AppPaths
    from desktop.ui.app import TokenmirrorApp
    from desktop.ui.tray import Tray
    from tests.helpers import env_for

    result: dict = {"tray_available": wait_for(Tray.available)}
    tm = TokenmirrorApp(AppPaths.at(data), env_for(home), today=lambda: date(2026, 4, 15), watch=False)
    result["use_tray"] = tm.use_tray
    tm.start(show_window=False)
    tm.settle()
    icon = tm.tray.icon
    result["icon_visible"] = wait_for(lambda: icon.isVisible() and not icon.geometry().isEmpty())
    geometry = icon.geometry()
    result["geometry"] = [geometry.x(), geometry.y(), geometry.width(), geometry.height()]
    result["tooltip"] = icon.toolTip()
    tm.tray.menu.popup(geometry.center())
    result["menu_shown"] = wait_for(tm.tray.menu.isVisible)
    result["menu"] = [a.text() for a in tm.tray.menu.actions() if not a.isSeparator()]
    tm.tray.actions["open"].trigger()
    tm.tray.menu.hide()
    result["window_visible"] = wait_for(tm.window.isVisible)
    tm.window.close()  # Ctrl+W: with a tray, the window hides and the app keeps running
    result["hidden_to_tray"] = not tm.window.isVisible() and not tm.closed
    tm.shutdown()
    out.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
