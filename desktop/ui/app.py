"""The composition root of the desktop app. Start-up order, each step logged:

1. logging to a file in AppPaths.logs (the folder "Open log folder" opens)
2. QApplication: name, icon, stays alive without windows (the tray keeps it)
3. single instance: if another Tokenmirror serves this data folder, ask it to raise its
   window over a local socket and exit 0 (QLocalServer: no network socket is ever opened)
4. the excepthook: a bug is logged with its traceback and shown with "Open log folder"
5. demo only: a sample HOME (logs of two assistants, a git repository) in a temporary folder
6. the archive: Store.open (migrations, with a copy first); an environment problem is shown
   in one sentence and the app exits 1
7. TaskRunner, Archive (settings and window state), Scanner, FindingsFeed (detectors after each scan)
8. MainWindow (pages read the archive off the GUI thread as soon as they exist)
9. the tray icon, or the window when the desktop has no system tray
10. LogWatcher and the first scan (a progress bar while it runs; the window stays usable)
11. the event loop; at quit: watcher stopped, workers cancelled between two chunks, window
    state saved, archive closed, demo folder removed
"""

from __future__ import annotations

import gc
import hashlib
import logging
import logging.handlers
import os
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QEvent, QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop import __version__
from desktop.errors import KnownError
from desktop.paths import AppPaths
from desktop.sources import SOURCES, Environment, Source
from desktop.store import Store
from desktop.ui.archive import Archive
from desktop.ui.findings import FindingsFeed
from desktop.ui.icons import app_icon
from desktop.ui.palette import dark_palette
from desktop.ui.scanner import Scanner
from desktop.ui.tasks import TaskRunner
from desktop.ui.tray import Tray
from desktop.ui.watcher import LogWatcher
from desktop.ui.window import MainWindow

log = logging.getLogger("desktop.ui")
LOG_FILE = "tokenmirror.log"
RAISE = b"raise\n"


# --- single instance ------------------------------------------------------------------------
def server_name(paths: AppPaths) -> str:
    """One name per user and data folder: a --data-dir or demo instance does not block the real one."""
    digest = hashlib.sha1(str(paths.data).encode()).hexdigest()[:12]
    user = os.environ.get("USER") or os.environ.get("USERNAME") or "user"
    return f"tokenmirror-{user}-{digest}"


class SingleInstance(QObject):
    raise_requested = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.server: QLocalServer | None = None
        self._sockets: list[QLocalSocket] = []

    def hand_over(self, timeout_ms: int = 1000) -> bool:
        """True when a running instance took the request (then this process should exit)."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(timeout_ms):
            return False
        socket.write(RAISE)
        socket.waitForBytesWritten(timeout_ms)
        socket.disconnectFromServer()
        return True

    def listen(self) -> bool:
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            QLocalServer.removeServer(self.name)  # a crashed instance left its socket file behind
            if not server.listen(self.name):
                log.warning("single instance: cannot listen on %s: %s", self.name, server.errorString())
                return False
        server.newConnection.connect(self._on_connection)
        self.server = server
        return True

    def claim(self) -> bool:
        """Become the instance, unless one is already running (then it was asked to raise)."""
        if self.hand_over():
            return False
        self.listen()
        return True

    def _on_connection(self) -> None:
        assert self.server is not None
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            self._sockets.append(socket)
            socket.readyRead.connect(self._on_ready_read)
            if socket.bytesAvailable():
                self._read(socket)

    def _on_ready_read(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).startswith(RAISE.strip()):
            log.info("another launch asked for the window")
            self.raise_requested.emit()

    def close(self) -> None:
        for socket in self._sockets:  # closed here, not on their own signal: no slot runs mid-destruction
            socket.readyRead.disconnect(self._on_ready_read)
            socket.abort()
        self._sockets = []
        if self.server is not None:
            self.server.close()
            self.server = None


# --- bugs -----------------------------------------------------------------------------------
class BugReporter:
    """sys.excepthook: a bug is logged with its traceback and shown with a way to the log folder."""

    def __init__(self, logs: Path, show: Callable[[str, Path], None] | None = None) -> None:
        self.logs = logs
        self.show = show or self.dialog
        self.reported = 0

    def __call__(self, kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        self.reported += 1
        text = "".join(traceback.format_exception(kind, error, tb))
        log.critical("unexpected error:\n%s", text)
        try:
            self.show(f"{kind.__name__}: {error}", self.logs)
        except Exception:  # noqa: BLE001 - the reporter must never raise out of the excepthook
            log.exception("could not show the error dialog")

    @staticmethod
    def dialog(summary: str, logs: Path) -> None:
        box = QMessageBox(QMessageBox.Icon.Critical, "Tokenmirror hit a bug",
                          "Something went wrong inside Tokenmirror. Your archive is safe: every import step "
                          "is written whole or not at all.")  # fmt: skip
        box.setInformativeText(f"{summary}\n\nThe details are in the log file; please include it in a bug report.")
        open_button = box.addButton("Open log folder", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Close)
        box.exec()
        if box.clickedButton() is open_button:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(logs)))


def setup_logging(paths: AppPaths) -> Path:
    paths.ensure()
    target = paths.logs / LOG_FILE
    handler = logging.handlers.RotatingFileHandler(target, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("desktop")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return target


def follow_theme(app: QApplication) -> None:
    """Qt follows the system's light or dark palette itself; TOKENMIRROR_THEME=dark forces dark where
    a desktop asks for dark without telling Qt (and for the screenshots)."""
    if os.environ.get("TOKENMIRROR_THEME", "").lower() == "dark":
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
    elif os.environ.get("TOKENMIRROR_THEME", "").lower() == "light":
        app.setStyle("Fusion")


# --- the app --------------------------------------------------------------------------------
class TokenmirrorApp(QObject):
    """Everything the running app is made of, built in order; tests build one around tmp paths."""

    def __init__(self, paths: AppPaths, env: Environment, *, sources: list[Source] | None = None,
                 today: Callable[[], date] | None = None, use_tray: bool | None = None,
                 watch: bool = True, scan_process: bool = False, parent: QObject | None = None) -> None:  # fmt: skip
        """`scan_process`: scans run in a child process, as `tokenmirror app` does (desktop/scan_process.py)."""
        super().__init__(parent)
        self.paths = paths
        self.env = env
        self.sources = list(sources if sources is not None else SOURCES)
        log.info("opening the archive %s", paths.database)
        self.store = Store.open(paths.database, backup_dir=paths.backups)
        self.tasks = TaskRunner(self)
        self.archive = Archive.open(self.store, self.tasks, self)
        self.scanner = Scanner(self.archive, self.sources, env, self, own_process=scan_process)
        self.findings = FindingsFeed(self.archive, self.scanner, today=today, parent=self)
        log.info("building the window")
        self.window = MainWindow(self.archive, self.scanner, self.sources, icon=app_icon(), today=today,
                                 findings=self.findings)  # fmt: skip
        self.window.quit_requested.connect(self.quit)
        self.tray = Tray(self.window, self.archive, self.scanner, self.quit, today=today, parent=self)
        self.findings.loaded.connect(self.tray.set_findings)
        self.findings.notify.connect(self.tray.notify)
        self.use_tray = Tray.available() if use_tray is None else use_tray
        self.watcher = LogWatcher(self.sources, env, self.tasks, lambda: self.archive.settings, self)
        self.watcher.scan_wanted.connect(lambda why: self.scanner.request())
        self.scanner.finished.connect(lambda _: self.watcher.refresh())
        self.scanner.failed.connect(lambda _: self.watcher.refresh())  # a failed first scan still leaves a full watch list
        self.archive.settings_changed.connect(self._on_setting)
        self._watch = watch
        self.closed = False

    def start(self, show_window: bool = True) -> None:
        if self.use_tray:
            log.info("system tray available: showing the tray icon")
            self.tray.show()
            self.window.hide_on_close = True
        if show_window:
            self.window.show_and_raise()
        self.window.reload_all()
        self.tray.refresh()
        if self._watch:
            self.watcher.start(walk=False)  # the first scan below refreshes the full watch list when it ends
        log.info("first scan")
        self.scanner.request(manual=True)

    def settle(self, timeout_ms: int = 20_000) -> None:
        """Tests, screenshots, benchmark: fire pending coalescing timers now and deliver every result."""
        timers = [self.window.overview._reload_timer, self.window.projects._reload_timer,
                  self.window.sessions._reload_timer, self.tray._refresh_timer, self.archive._state_timer]  # fmt: skip
        for _ in range(50):
            self.tasks.finish_pending(timeout_ms)
            due = [t for t in timers if t.isActive()]
            if not due:
                break
            for timer in due:
                timer.stop()
                timer.timeout.emit()
        self.window.overview.chart.flush()

    def _on_setting(self, key: str) -> None:
        if key in ("disabled_sources", "extra_paths"):
            self.watcher.refresh()
            self.scanner.request(manual=True, refresh=True)
        elif key in ("price_overrides", "identity_emails"):
            self.scanner.request(manual=True, refresh=True)
        elif key == "timezone":
            self.archive.data_changed.emit()

    def quit(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def shutdown(self) -> None:
        if self.closed:
            return
        self.closed = True
        log.info("shutting down")
        self.watcher.stop()
        self.tray.icon.hide()
        self.tasks.shutdown()
        try:
            self.archive.save_ui_state_now(self.store)
        except Exception as exc:  # noqa: BLE001 - a locked archive at exit loses only window state
            log.warning("window state not saved: %s", exc)
        self.window.hide_on_close = False
        self.window.hide()
        self.window.deleteLater()
        self.tray.menu.deleteLater()
        # delete the widgets now, while Qt and pyqtgraph are whole: at interpreter exit the order is random
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        self.store.close()


def run_app(paths: AppPaths, demo: bool = False) -> int:
    """`tokenmirror app` and `tokenmirror demo`."""
    demo_root: Path | None = None
    if demo:
        demo_root = Path(tempfile.mkdtemp(prefix="tokenmirror-demo-"))
        paths = AppPaths.at(demo_root / "archive")
    log_file = setup_logging(paths)
    log.info("Tokenmirror %s starting (log: %s)", __version__, log_file)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Tokenmirror")
    app.setApplicationDisplayName("Tokenmirror")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("io.github.tokenmirror.Tokenmirror")  # the .desktop entry: Wayland finds the icon by it
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)
    follow_theme(app)
    instance = SingleInstance(server_name(paths))
    if not instance.claim():
        log.info("another Tokenmirror is running for %s; it was asked to show its window", paths.data)
        return 0
    reporter = BugReporter(paths.logs)
    previous_hook = sys.excepthook
    sys.excepthook = reporter
    try:
        env = Environment.current()
        if demo_root is not None:
            from desktop.demo import DEMO_EMAIL, build_demo

            log.info("building demo data in %s", demo_root)
            env = build_demo(demo_root / "home")
            seed = Store.open(paths.database)
            seed.settings.set("identity_emails", [DEMO_EMAIL])
            seed.close()
        try:
            tokenmirror = TokenmirrorApp(paths, env, scan_process=True)
        except KnownError as exc:
            log.error("cannot start: %s", exc)
            QMessageBox.critical(None, "Tokenmirror cannot start", str(exc))
            return 1
        instance.raise_requested.connect(tokenmirror.window.show_and_raise)
        app.aboutToQuit.connect(tokenmirror.shutdown)
        tokenmirror.start(show_window=True)  # without a tray, the window is the only way in
        # Qt wrappers, pyqtgraph items, the window: built once, alive until quit. Frozen, the collector's
        # full passes skip them (37 ms each on the GUI thread before; docs/LOAD.md)
        gc.freeze()
        code = app.exec()
        tokenmirror.shutdown()
        return code
    finally:
        sys.excepthook = previous_hook
        instance.close()
        if demo_root is not None:
            shutil.rmtree(demo_root, ignore_errors=True)
