"""Argument parsing and the commands of DESIGN §6. Composes the pieces; holds no logic of its own."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from desktop import __version__
from desktop.errors import KnownError

log = logging.getLogger("desktop")
REPORTS = ("daily", "weekly", "monthly", "sessions", "projects")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One clear line and exit 2, as the contract says; no usage dump."""
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _zone(text: str) -> str:
    from desktop.periods import UnknownZone, zone

    try:
        zone(text)
    except UnknownZone as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def build_parser() -> argparse.ArgumentParser:
    from desktop.source_ids import ASSISTANT_IDS

    source_ids = list(ASSISTANT_IDS)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS, help="archive folder (default: per-user data dir)")
    parser = _Parser(prog="tokenmirror", description="Your AI-assistant usage, counted honestly, on your own machine.", parents=[common])
    parser.add_argument("--version", action="version", version=f"tokenmirror {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    scan = commands.add_parser("scan", parents=[common], help="ingest new log data, print a summary")
    scan.add_argument("--source", action="append", choices=source_ids, metavar="NAME", help="only this source (repeatable)")

    report = commands.add_parser("report", parents=[common], help="usage by day, week, month, session or project")
    report.add_argument("kind", choices=REPORTS)
    report.add_argument("--since", type=_date, metavar="YYYY-MM-DD")
    report.add_argument("--until", type=_date, metavar="YYYY-MM-DD")
    report.add_argument("--tz", type=_zone, metavar="ZONE", help="IANA time zone for days (default: system)")
    report.add_argument("--source", action="append", choices=source_ids, metavar="NAME")
    report.add_argument("--by-model", action="store_true")
    report.add_argument("--json", action="store_true")

    commits = commands.add_parser("commits", parents=[common], help="tokens and cost against your commits")
    commits.add_argument("--since", type=_date, metavar="YYYY-MM-DD")
    commits.add_argument("--until", type=_date, metavar="YYYY-MM-DD")
    commits.add_argument("--tz", type=_zone, metavar="ZONE", help="IANA time zone for days (default: system)")
    commits.add_argument("--project", metavar="PATH|NAME", help="only this repository (root path or folder name)")
    commits.add_argument("--json", action="store_true")

    insights = commands.add_parser("insights", parents=[common], help="findings about low-value usage, with evidence")
    insights.add_argument("--since", type=_date, metavar="YYYY-MM-DD")
    insights.add_argument("--until", type=_date, metavar="YYYY-MM-DD")
    insights.add_argument("--tz", type=_zone, metavar="ZONE", help="IANA time zone for days (default: system)")
    insights.add_argument("--json", action="store_true")

    export = commands.add_parser("export", parents=[common], help="a private summary of one period, redacted")
    export.add_argument("--format", required=True, choices=("md", "html", "pdf", "csv", "json"))
    export.add_argument("--period", choices=("week", "month", "quarter", "year"), default="week",
                        help="the period containing today (or --until), so far; default week")  # fmt: skip
    export.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="first day (then --period is ignored)")
    export.add_argument("--until", type=_date, metavar="YYYY-MM-DD", help="last day")
    export.add_argument("--tz", type=_zone, metavar="ZONE", help="IANA time zone for days (default: system)")
    export.add_argument("--redact", choices=("none", "prompts", "projects", "all"),
                        help="what to leave out (default: the setting, prompts)")  # fmt: skip
    export.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")

    imports = commands.add_parser("import", parents=[common], help="import usage an assistant keeps off this machine")
    kinds = imports.add_subparsers(dest="kind", parser_class=_Parser, required=True, metavar="KIND")
    cursor_csv = kinds.add_parser("cursor-csv", parents=[common], help="the usage-events CSV from Cursor's dashboard")
    cursor_csv.add_argument("file", type=Path, metavar="FILE")

    identity = commands.add_parser("identity", parents=[common], help='which commit authors are "me"')
    identity.add_argument("action", choices=("add", "remove", "list"))
    identity.add_argument("email", nargs="?", metavar="EMAIL")

    sources = commands.add_parser("sources", parents=[common], help="which assistants were found where")
    sources.add_argument("--json", action="store_true")
    doctor = commands.add_parser("doctor", parents=[common], help="archive health, skipped lines, unpriced models")
    doctor.add_argument("--json", action="store_true")
    doctor.add_argument("--repair", action="store_true", help="set a damaged archive aside and rebuild it")
    commands.add_parser("app", parents=[common], help="the tray app (what a bare `tokenmirror` starts)")
    commands.add_parser("demo", parents=[common], help="the app on generated sample data")
    return parser


def main(argv: list[str] | None = None) -> int:
    if getattr(sys, "frozen", False):
        import multiprocessing

        multiprocessing.freeze_support()  # a frozen bundle's parse workers start through here
    args = build_parser().parse_args(argv)
    _log_to_stderr()
    try:
        return _dispatch(args)
    except _UsageError as exc:
        print(f"tokenmirror: error: {exc}", file=sys.stderr)
        return 2
    except KnownError as exc:
        print(f"tokenmirror: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("tokenmirror: interrupted; the archive keeps everything written so far", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        from desktop.store.faults import explain

        known = explain(exc, None) if type(exc).__module__ == "sqlite3" else None
        if known is None:
            return _report_bug(args, exc)
        print(f"tokenmirror: error: {known}", file=sys.stderr)
        return 1


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is now (it is replaced under tests and pagers)."""

    @property  # type: ignore[override]
    def stream(self):  # noqa: ANN201
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:  # noqa: ANN001
        pass


def _log_to_stderr() -> None:
    root = logging.getLogger()
    if not any(isinstance(h, _StderrHandler) for h in root.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("tokenmirror: %(levelname)s: %(message)s"))
        handler.setLevel(logging.WARNING)
        root.addHandler(handler)


def _report_bug(args: argparse.Namespace, exc: Exception) -> int:
    """A bug: keep the traceback in the log, give the user one line."""
    where = _log_bug(args)
    print(f"tokenmirror: internal error: {type(exc).__name__}: {exc} (details in {where})", file=sys.stderr)
    return 70


def _paths(args: argparse.Namespace):
    from desktop.paths import AppPaths

    data_dir = getattr(args, "data_dir", None)
    return AppPaths.at(data_dir) if data_dir else AppPaths.default()


def _log_bug(args: argparse.Namespace) -> str:
    try:
        paths = _paths(args)
        paths.ensure()
        target = paths.logs / "tokenmirror.log"
        handler = logging.FileHandler(target, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.propagate = False
        log.exception("unexpected error running %s", getattr(args, "command", None))
        return str(target)
    except Exception:
        logging.getLogger().exception("unexpected error")
        return "stderr"


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command or "app"
    if command in ("app", "demo"):
        return _app(args, demo=command == "demo")
    if command == "scan":
        return _scan(args)
    if command == "report":
        return _report(args)
    if command == "commits":
        return _commits(args)
    if command == "insights":
        return _insights(args)
    if command == "export":
        return _export(args)
    if command == "import":
        return _import(args)
    if command == "identity":
        return _identity(args)
    if command == "sources":
        return _sources(args)
    if command == "doctor":
        return _doctor(args)
    raise KnownError(f"unknown command {command}")


def _open_store(args: argparse.Namespace, create: bool = True):
    from desktop.store import Store

    paths = _paths(args)
    if not create and not paths.database.exists():
        return paths, None
    paths.ensure()
    return paths, Store.open(paths.database)


def _scan(args: argparse.Namespace) -> int:
    from desktop.ingest import run_scan
    from desktop.pricing import PriceTable
    from desktop.reports.progress import TerminalProgress
    from desktop.sources import SOURCES, Environment

    _, store = _open_store(args)
    try:
        prices = PriceTable.load().with_overrides(store.settings.get("price_overrides"))
        bar = TerminalProgress()
        try:
            summary = run_scan(store, SOURCES, Environment.current(), prices, bar, set(args.source) if args.source else None)
        finally:
            bar.close()
        from desktop.commits.refresh import refresh_commits

        commit_summary = refresh_commits(store)
    finally:
        store.close()

    from desktop.reports.text import print_scan

    print_scan(summary)
    print(commit_summary.line())
    for s in summary.sources:
        for problem in s.unreadable[:10]:
            print(f"unreadable: {problem}", file=sys.stderr)
    for root in commit_summary.missing[:10]:
        print(f"repository missing (moved or deleted): {root}", file=sys.stderr)
    for problem in commit_summary.problems[:10]:
        print(f"repository unreadable: {problem}", file=sys.stderr)
    return 0


def _report(args: argparse.Namespace) -> int:
    from desktop.reports import usage

    _check_range(args)
    with _reading(args) as store:
        window = _window(args, store, args.source or ())
        if args.kind in usage.PERIOD_OF_REPORT:
            period = usage.PERIOD_OF_REPORT[args.kind]
            data = usage.period_report(store, window, period, args.by_model, store.settings.get("week_start"))
        elif args.kind == "sessions":
            data = usage.session_report(store, window)
        else:
            data = usage.project_report(store, window)
    if args.json:
        _print_json(data)
    else:
        from desktop.reports.text import print_report

        print_report(args.kind, data, args.by_model)
    return 0


def _commits(args: argparse.Namespace) -> int:
    from desktop.reports.commits import commits_report, commits_table

    _check_range(args)
    with _reading(args) as store:
        data = commits_report(store, _window(args, store), args.project)
    if args.json:
        _print_json(data)
    else:
        print(commits_table(data))
    return 0


def _insights(args: argparse.Namespace) -> int:
    from desktop.insights.render import findings_text
    from desktop.insights.run import run_insights

    _check_range(args)
    with _reading(args) as store:
        found = run_insights(store, _window(args, store))
    if args.json:
        _print_json({"findings": [f.to_dict() for f in found]})
    else:
        print(findings_text(found))
    return 0


class _UsageError(Exception):
    """Arguments that parse but make no sense together: exit 2, like any bad argument."""


def _check_range(args: argparse.Namespace) -> None:
    if args.since and args.until and args.since > args.until:
        raise _UsageError("--since is after --until")


@contextmanager
def _reading(args: argparse.Namespace) -> Iterator[Any]:
    """The archive a report reads; before the first scan, an empty one of the same shape."""
    from desktop.store import Store

    _, store = _open_store(args, create=False)
    store = store or Store.memory()
    try:
        yield store
    finally:
        store.close()


def _window(args: argparse.Namespace, store: Any, sources: Iterable[str] = ()) -> Any:
    """Local dates in the zone asked for, else the setting, else the system's."""
    from desktop.periods import zone
    from desktop.reports.usage import Window

    return Window(tz=zone(args.tz or store.settings.get("timezone")), since=args.since, until=args.until,
                  sources=tuple(sources))  # fmt: skip


def _import(args: argparse.Namespace) -> int:
    """`import cursor-csv FILE`: the CSV's rows replace Cursor's local lower bound for its span."""
    from desktop.cursor_csv import import_cursor_csv
    from desktop.pricing import PriceTable

    if not args.file.is_file():
        raise KnownError(f"{args.file} is not a file")  # before any archive is created for a typo
    _, store = _open_store(args)
    try:
        prices = PriceTable.load().with_overrides(store.settings.get("price_overrides"))
        summary = import_cursor_csv(store, args.file, prices)
    finally:
        store.close()
    print(summary.line())
    return 0


def _export(args: argparse.Namespace) -> int:
    """`export`: one period as md, html, pdf, csv or json, redacted before it is written (docs/EXPORTS.md)."""
    from desktop.periods import zone
    from desktop.reports.export import ExportPeriod, PeriodError, export

    _check_range(args)
    with _reading(args) as store:
        tz = zone(args.tz or store.settings.get("timezone"))
        try:
            period = ExportPeriod.of(args.period, tz, store.settings.get("week_start"), since=args.since,
                                     until=args.until)  # fmt: skip
        except PeriodError as exc:
            raise _UsageError(str(exc)) from None
        level = args.redact or store.settings.get("redaction_default")
        summary = export(store, args.format, period, level, args.output, renderer=_export_renderer(args.format))
    print(summary.line())
    return 0


def _export_renderer(fmt: str):  # noqa: ANN202
    """Qt draws the charts and the PDF pages; without Qt, Markdown and HTML go without charts."""
    if fmt not in ("md", "html", "pdf"):
        return None
    try:
        from desktop.ui.export_render import QtRenderer
    except ImportError as exc:
        if fmt == "pdf":
            raise KnownError(f"a PDF export needs Qt, which cannot load here: {exc}") from exc
        log.warning("charts left out: Qt cannot load here (%s)", exc)
        return None
    return QtRenderer()


def _identity(args: argparse.Namespace) -> int:
    from desktop.commits import identity
    from desktop.commits.refresh import reapply_identity

    if args.action != "list" and not args.email:
        print(f"tokenmirror: error: identity {args.action} needs an EMAIL", file=sys.stderr)
        return 2
    if args.action == "add" and not identity.looks_like_email(args.email):
        print(f"tokenmirror: error: {args.email!r} is not an email address", file=sys.stderr)
        return 2
    if args.action == "list" and args.email:
        print("tokenmirror: error: identity list takes no EMAIL", file=sys.stderr)
        return 2
    _, store = _open_store(args)
    try:
        if args.action == "list":
            found = identity.identity_list(store)
        elif args.action == "add":
            changed = identity.add_email(store, args.email)
        else:
            changed = identity.remove_email(store, args.email)
        if args.action != "list":
            mine = reapply_identity(store)
    finally:
        store.close()
    if args.action == "list":
        for item in found:
            print(f"{item['email']}  ({', '.join(item['from'])})")
        if not found:
            print("no identity yet: set user.email in git, or run `tokenmirror identity add EMAIL`")
        return 0
    email = identity.normalize(args.email)
    if args.action == "add":
        print(f"added {email}" if changed else f"{email} was already there", end="")
    else:
        print(f"removed {email}" if changed else f"{email} is not in settings (emails from git config stay)", end="")
    print(f"; {mine:,} commits in the archive are yours")
    return 0


def _sources(args: argparse.Namespace) -> int:
    from desktop.reports.sources import sources_report
    from desktop.sources import SOURCES, Environment

    _, store = _open_store(args, create=False)
    try:
        data = sources_report(SOURCES, Environment.current(), store)
    finally:
        if store:
            store.close()
    if args.json:
        _print_json(data)
    else:
        from desktop.reports.text import print_sources

        print_sources(data)
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from desktop.reports.sources import doctor_report
    from desktop.sources import SOURCES, Environment

    if args.repair:
        return _repair(args)
    import sqlite3

    paths, store = _open_store(args, create=False)
    try:
        data = doctor_report(store, str(paths.database), SOURCES, Environment.current())
    except sqlite3.DatabaseError as exc:
        print(f"archive:    {paths.database}: DAMAGED ({exc})")
        print("            `tokenmirror doctor --repair` sets it aside and rebuilds it from what is readable and the logs")
        return 1
    finally:
        if store:
            store.close()
    if getattr(args, "json", False):
        _print_json(data)
    else:
        from desktop.reports.text import print_doctor

        print_doctor(data)
    return 0 if data["ok"] else 1


def _repair(args: argparse.Namespace) -> int:
    """Set a damaged archive aside, keep every readable row, then read the logs still on disk again."""
    from desktop.store.recovery import set_aside_and_salvage

    paths, store = _open_store(args, create=False)
    if store is None:
        print("no archive yet: nothing to repair")
        return 0
    import sqlite3

    try:
        problem = store.integrity()
    except sqlite3.DatabaseError as exc:
        problem = str(exc)
    finally:
        store.close()
    if problem == "ok":
        print(f"the archive {paths.database} is healthy: nothing to repair")
        return 0
    repair = set_aside_and_salvage(paths.database, paths.backups)
    print(f"the damaged archive was set aside as {repair.damaged_copy} (kept, never deleted)")
    for table in sorted(set(repair.kept) | set(repair.unreadable)):
        lost = repair.unreadable.get(table, 0)
        note = ", the whole table was unreadable" if lost < 0 else (f", {lost:,} unreadable" if lost else "")
        print(f"  {table:<12} {repair.kept.get(table, 0):>9,} rows kept{note}")
    print("reading the logs still on disk again...")
    args.source = None
    _scan(args)
    if repair.unreadable:
        print("Rows that were unreadable and whose logs are gone could not be recovered.")
    return 0


def _app(args: argparse.Namespace, demo: bool) -> int:
    import os

    if sys.platform.startswith("linux") and not any(
        os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    ):
        raise KnownError("there is no display to show the app on (DISPLAY and WAYLAND_DISPLAY are unset); "
                         "the command line works without one: tokenmirror --help")  # fmt: skip
    try:
        from desktop.ui.app import run_app
    except ImportError as exc:
        raise KnownError(f"the desktop app cannot start: {exc}") from exc
    return run_app(_paths(args), demo=demo)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
