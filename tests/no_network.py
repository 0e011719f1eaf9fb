"""Runs Tokenmirror with an audit hook that records any attempt to open an internet socket or resolve
a name, then exits 3 if there was one. Usage: python tests/no_network.py cli ARGS... | app SECONDS

Spawned children (parse workers, the app's scan process) import this file again as `__mp_main__`:
they install the hook too and append what they see to the file named by NO_NETWORK_LOG."""

from __future__ import annotations

import os
import socket
import sys
import tempfile

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
    else:
        return
    shared = os.environ.get("NO_NETWORK_LOG")
    if shared and __name__ == "__mp_main__":  # a child: tell the parent now (children end with os._exit)
        with open(shared, "a", encoding="utf-8") as fh:
            fh.write(f"pid {os.getpid()}: {ATTEMPTS[-1]}\n")


if __name__ == "__mp_main__":
    sys.addaudithook(_hook)


def _connect_somewhere() -> None:
    try:
        socket.create_connection(("127.0.0.1", 9), timeout=0.2)
    except OSError:
        pass


def main() -> int:
    sys.addaudithook(_hook)
    fd, shared = tempfile.mkstemp(prefix="no-network-")
    os.close(fd)
    os.environ["NO_NETWORK_LOG"] = shared  # inherited by every spawned child
    mode, rest = sys.argv[1], sys.argv[2:]
    if mode == "probe-child":  # the control: a spawned child that tries to connect must be caught
        import multiprocessing

        child = multiprocessing.get_context("spawn").Process(target=_connect_somewhere)
        child.start()
        child.join()
        code = 0
    elif mode == "cli":
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
    with open(shared, encoding="utf-8") as fh:
        ATTEMPTS.extend(line.strip() for line in fh if line.strip())
    os.unlink(shared)
    if ATTEMPTS:
        print("network attempts: " + "; ".join(ATTEMPTS), file=sys.stderr)
        return 3
    return code


if __name__ == "__main__":
    sys.exit(main())
