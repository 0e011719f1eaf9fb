"""Runs Tokenmirror with an audit hook that records any attempt to open an internet socket or resolve
a name, then exits 3 if there was one. Usage: python tests/no_network.py cli ARGS... | app SECONDS"""

from __future__ import annotations

import socket
import sys

ATTEMPTS: list[str] = []
INTERNET = {socket.AF_INET, socket.AF_INET6}


def _hook(event: str, args: tuple) -> None:
    if event == "socket.__new__" and len(args) > 1 and args[1] in INTERNET:
        ATTEMPTS.append(f"{event} family={args[1]}")
    elif event in ("socket.connect", "socket.bind", "socket.sendto") and args and getattr(args[0], "family", None) in INTERNET:
        ATTEMPTS.append(f"{event} {args[1:]!r}")
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"):
        ATTEMPTS.append(f"{event} {args!r}")
    elif event == "urllib.Request":
        ATTEMPTS.append(f"{event} {args!r}")


def main() -> int:
    sys.addaudithook(_hook)
    mode, rest = sys.argv[1], sys.argv[2:]
    if mode == "cli":
        from desktop.cli import main as cli

        code = cli(rest)
    else:
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication

        from desktop.paths import AppPaths
        from desktop.ui.app import run_app

        app = QApplication(sys.argv[:1])
        QTimer.singleShot(int(float(rest[1]) * 1000), app.quit)  # the app starts, scans, then quits
        code = run_app(AppPaths.at(__import__("pathlib").Path(rest[0])))
    if ATTEMPTS:
        print("network attempts: " + "; ".join(ATTEMPTS), file=sys.stderr)
        return 3
    return code


if __name__ == "__main__":
    sys.exit(main())
