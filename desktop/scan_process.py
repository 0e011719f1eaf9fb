"""The app's scans run in a process of their own.

Two reasons, both measured on a 5 GB first import (docs/LOAD.md): the GUI thread no longer shares a
GIL and a collector with the import, and the import's memory (its plan, parsed chunks, SQLite's page
cache) goes back to the OS when the process exits, instead of staying as the tray app's high-water
mark for the rest of the day. Stopping the process at any instant is safe: rows and cursors commit
together (docs/RELIABILITY.md).
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import sys
import threading
import time
import traceback
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

from desktop.errors import KnownError
from desktop.ingest import ScanProgress
from desktop.scan_job import ScanResult, scan_job
from desktop.store.faults import explain
from desktop.sources import Environment, Source

PROGRESS_EVERY_S = 0.05
POLL_S = 0.25  # how often the waiting side wakes to let a pause or quit stop it
BACKGROUND_NICE = 10  # an import is background work: on two busy cores the GUI thread waited 24-41 ms for one


class ScanCrashed(RuntimeError):
    """A bug in the scan process: its traceback, for the log and the bug report."""


def scan_in_process(db_path: Path, sources: Sequence[Source], env: Environment) -> Generator[ScanProgress, None, ScanResult]:
    """scan_job in a child process, seen as the same generator. Closing it stops the child."""
    import multiprocessing  # spawn, not fork: the app has threads (Qt's among them)

    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    # not a daemon: the child starts parse workers of its own
    child = context.Process(target=_child_main, args=(str(db_path), list(sources), env, send),
                            name="tokenmirror-scan", daemon=False)  # fmt: skip
    child.start()
    send.close()  # ours closed: recv() raises EOFError once the child is gone
    last: ScanProgress | None = None
    try:
        while True:
            if not receive.poll(POLL_S):
                if not child.is_alive() and not receive.poll(0):
                    raise _vanished(child)
                if last is not None:
                    yield last  # nothing new: a chance for the caller to stop us
                continue
            try:
                kind, value = receive.recv()
            except EOFError:
                raise _vanished(child) from None
            if kind == "progress":
                last = value
                yield value
            elif kind == "log":
                name, level, message = value
                logging.getLogger(name).log(level, "%s", message)  # into the app's log file, like a thread scan
            elif kind == "done":
                child.join(5)  # it is closing its archive: let it finish rather than stop it
                return value
            elif kind == "known":
                raise KnownError(value)
            elif kind == "os":
                errno, text, filename = value
                raise OSError(errno, text, filename) if errno is not None else OSError(text)
            else:
                raise ScanCrashed(value)
    finally:
        _stop(child)
        receive.close()


def _vanished(child: Any) -> KnownError:
    child.join(1)
    return KnownError(f"the import process stopped unexpectedly (exit status {child.exitcode}); "
                      "everything it wrote is kept, and the next scan goes on from there")  # fmt: skip


def _stop(child: Any) -> None:
    if child.is_alive():
        child.terminate()  # SIGTERM: it unwinds, closing its workers and the archive
        child.join(10)
    if child.is_alive():
        child.kill()
        child.join()


def _child_main(db_path: str, sources: list[Source], env: Environment, conn: Any) -> None:
    signal.signal(signal.SIGTERM, _exit_on_term)
    if hasattr(os, "nice"):
        os.nice(BACKGROUND_NICE)  # its parse workers inherit it: the GUI gets a CPU first when both want one
    send = _Sender(conn)
    root = logging.getLogger()
    root.handlers[:] = [_ToParent(send)]
    root.setLevel(logging.INFO)
    try:
        steps = scan_job(Path(db_path), sources, env)
        sent, held = 0.0, None
        while True:
            try:
                progress = next(steps)
            except StopIteration as stop:
                if held is not None:
                    send.send(("progress", held))  # the last step too: "done" is what the bar ends on
                send.send(("done", stop.value))
                return
            now = time.monotonic()
            if now - sent >= PROGRESS_EVERY_S:
                send.send(("progress", progress))
                sent, held = now, None
            else:
                held = progress
    except KnownError as exc:
        send.send(("known", str(exc)))
    except OSError as exc:
        send.send(("os", (exc.errno, exc.strerror or str(exc), exc.filename)))
    except SystemExit:
        raise
    except sqlite3.Error as exc:  # a full disk, a lock, damage: the message a thread scan would give
        known = explain(exc, Path(db_path))
        send.send(("known", str(known)) if known is not None else ("bug", traceback.format_exc()))
    except BaseException:  # a bug: the app reports it like one of its own
        send.send(("bug", traceback.format_exc()))
    finally:
        conn.close()


class _Sender:
    """One connection, written from the scan and from logging (the pool's threads log too): one lock."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._lock = threading.Lock()

    def send(self, message: tuple) -> None:
        with self._lock:
            self._conn.send(message)


class _ToParent(logging.Handler):
    def __init__(self, send: _Sender) -> None:
        super().__init__(logging.INFO)
        self._send = send

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._send.send(("log", (record.name, record.levelno, record.getMessage())))
        except (OSError, ValueError):
            pass  # the app is gone; nobody to tell


def _exit_on_term(signum: int, frame: Any) -> None:
    sys.exit(0)  # unwinds: the scan's finally blocks close the parse pool and the archive
