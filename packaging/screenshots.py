"""`make screenshots`: the app on demo data under Xvfb + jwm; PNGs of every page, the export dialog and the
tray menu, light and dark, in docs/screenshots/.

Pages are grabbed with QWidget.grab(); the tray menu, which lives outside the window, with
ImageMagick's `import -window root`. Usage: python packaging/screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
THEMES = ("light", "dark")
SIZE = (1240, 760)


def _xsession():
    spec = importlib.util.spec_from_file_location("tokenmirror_xsession", Path(__file__).with_name("xsession.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def parent(out: Path) -> int:
    xsession = _xsession()
    if not xsession.available() or not shutil.which("import"):
        print("screenshots: needs Xvfb, jwm and ImageMagick (sh packaging/system-deps.sh tray)", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="tokenmirror-shots-"))
    try:
        sys.path.insert(0, str(REPO))
        from desktop.demo import DEMO_EMAIL, build_demo
        from desktop.store import Store

        build_demo(work / "home", weeks=10)
        store = Store.open(work / "data" / "archive.sqlite")
        store.settings.set("identity_emails", [DEMO_EMAIL])
        store.close()
        for theme in THEMES:
            with xsession.x_session(1366, 860) as display:
                env = {**os.environ, **display, "QT_QPA_PLATFORM": "xcb", "TOKENMIRROR_THEME": theme,
                       "PYTHONPATH": str(REPO), "QT_SCALE_FACTOR": "1"}  # fmt: skip
                env.pop("DBUS_SESSION_BUS_ADDRESS", None)
                subprocess.run([sys.executable, __file__, "--child", theme, str(out), str(work)], env=env, check=True,
                               timeout=300)  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for png in sorted(out.glob("*.png")):
        print(png.relative_to(REPO) if png.is_relative_to(REPO) else png)
    return 0


def child(theme: str, out: Path, work: Path) -> int:
    from PySide6.QtCore import QDeadlineTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from desktop.paths import AppPaths
    from desktop.sources.base import Environment
    from desktop.ui.app import TokenmirrorApp, follow_theme
    from desktop.ui.icons import app_icon
    from desktop.ui.tray import Tray

    def wait_for(check, timeout_ms: int = 10_000) -> bool:
        deadline = QDeadlineTimer(timeout_ms)
        while not check():
            if deadline.hasExpired():
                return False
            QTest.qWait(30)
        return True

    app = QApplication([sys.argv[0]])
    app.setApplicationName("Tokenmirror")
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)
    follow_theme(app)
    home = work / "home"
    env = Environment(home=home, env={"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}, platform=sys.platform)
    wait_for(Tray.available)
    tm = TokenmirrorApp(AppPaths.at(work / "data"), env, watch=False)
    tm.findings.notify.disconnect(tm.tray.notify)  # no notification balloon over the tray menu shot
    tm.start(show_window=True)
    tm.settle(120_000)
    window = tm.window
    window.resize(*SIZE)
    window.move(40, 20)

    def shot(name: str) -> None:
        tm.settle()
        QTest.qWait(120)  # let the window manager and the compositor-free X server paint once
        window.grab().save(str(out / f"{name}-{theme}.png"))

    window.overview.set_range("month")
    window.overview.set_grouping("source")
    window.overview.set_show_cost(False)
    window.show_page("overview")
    shot("overview")
    window.overview.set_range("quarter")
    window.overview.set_grouping("model")
    window.overview.set_show_cost(True)
    shot("overview-quarter-models")
    window.overview.set_range("month")
    window.overview.set_grouping("source")
    window.overview.set_show_cost(False)
    window.projects.set_range("month")
    window.show_page("projects")
    tm.settle()
    window.projects.table.selectRow(0)
    shot("projects")
    window.overview.set_project(None)
    window.sessions.set_range("month")
    window.show_page("sessions")
    tm.settle()
    window.sessions.select_first()
    shot("sessions")
    window.insights.show_everything()
    window.insights.set_state_filter("open")
    window.show_page("insights")
    tm.settle()
    window.insights.table.selectRow(0)
    shot("insights")
    window.show_page("settings")
    shot("settings")

    window.show_page("overview")
    dialog = window.open_export("last-week")  # as the Overview's Export… opens it, on a finished week
    dialog.resize(1120, 720)
    dialog.move(80, 60)
    wait_for(dialog.preview_is_current, 60_000)
    tm.settle()
    QTest.qWait(150)
    dialog.grab().save(str(out / f"export-{theme}.png"))
    dialog.close()

    window.hide()
    icon = tm.tray.icon
    if wait_for(lambda: icon.isVisible() and not icon.geometry().isEmpty()):
        tm.tray.menu.popup(icon.geometry().center())
        wait_for(tm.tray.menu.isVisible)
        QTest.qWait(300)
        menu = tm.tray.menu.geometry()
        screen = app.primaryScreen().geometry()
        left, top = max(menu.x() - 320, 0), max(menu.y() - 60, 0)  # the menu, the tray under it, some desktop
        crop = f"{screen.width() - left}x{screen.height() - top}+{left}+{top}"
        subprocess.run(["import", "-window", "root", "-crop", crop, "+repage", str(out / f"tray-menu-{theme}.png")],
                       check=True)  # fmt: skip
        tm.tray.menu.hide()
    else:
        print("screenshots: no tray icon appeared; tray menu not captured", file=sys.stderr)
    tm.shutdown()
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        code = child(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # every PNG is written: skip the teardown where PySide6 can crash (tests/ui/conftest.py)
    sys.exit(parent(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots"))
