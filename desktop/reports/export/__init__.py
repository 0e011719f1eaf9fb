"""Private summaries of one period in Markdown, HTML, PDF, CSV or JSON (DESIGN §9, docs/EXPORTS.md).

    export(store, fmt, period, redact, out_path, prices, renderer=...)  -> ExportSummary
    document_for(store, period, redact, prices)                         -> the redacted document (a preview)

The document is built once, redacted before any writer sees it, then written. Charts and PDF pages need
Qt: the caller hands in a renderer (desktop.ui.export_render.QtRenderer); without one, Markdown and
HTML are written without charts and PDF is refused. Nothing is sent anywhere; files are 0600.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from desktop.errors import KnownError
from desktop.formatting import integer
from desktop.pricing import PriceTable
from desktop.reports.export.document import build_document
from desktop.reports.export.pdf import Renderer
from desktop.reports.export.period import KINDS, ExportPeriod, PeriodError
from desktop.reports.export.redaction import DEFAULT_LEVEL, LEVELS
from desktop.reports.export.redaction import redact as apply_redaction
from desktop.reports.usage import Window
from desktop.store import Store

log = logging.getLogger(__name__)
FORMATS = ("md", "html", "pdf", "csv", "json")
CHARTED = ("md", "html", "pdf")

__all__ = ["DEFAULT_LEVEL", "FORMATS", "KINDS", "LEVELS", "ExportError", "ExportPeriod", "ExportSummary",
           "PeriodError", "Renderer", "document_for", "export"]  # fmt: skip


class ExportError(KnownError):
    """An export the user asked for that cannot be written (no such folder, PDF without Qt)."""


@dataclass(frozen=True)
class ExportSummary:
    format: str
    redaction: str
    period: str  # its label, "Week of Mon 2 Mar 2026"
    since: date
    until: date
    files: tuple[Path, ...]
    bytes: int
    seconds: float
    sessions: int
    findings: int
    charts: int

    def line(self) -> str:
        names = ", ".join(str(p) for p in self.files)
        return (f"wrote {names} ({self.format}, redaction {self.redaction}, {self.period}: {integer(self.sessions)} "
                f"sessions, {integer(self.findings)} findings; {self.bytes / 1024:,.0f} KiB in {self.seconds:.2f} s)")  # fmt: skip


def _period(window: ExportPeriod | Window, store: Store) -> ExportPeriod:
    if isinstance(window, ExportPeriod):
        return window
    try:
        return ExportPeriod.from_window(window, store.settings.get("week_start"))
    except PeriodError as exc:
        raise ExportError(str(exc)) from exc


def document_for(
    store: Store,
    period: ExportPeriod | Window,
    redact: str = DEFAULT_LEVEL,
    prices: PriceTable | None = None,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The document an export of `period` writes, already redacted at `redact`."""
    if redact not in LEVELS:
        raise ExportError(f"unknown redaction level {redact!r} (use one of {', '.join(LEVELS)})")
    prices = prices or PriceTable.load().with_overrides(store.settings.get("price_overrides"))
    return apply_redaction(build_document(store, _period(period, store), prices, now=now), redact)


def export(
    store: Store,
    fmt: str,
    window: ExportPeriod | Window,
    redact: str,
    out_path: Path | str,
    prices: PriceTable | None = None,
    *,
    renderer: Renderer | None = None,
    now: datetime | None = None,
) -> ExportSummary:
    """Write one export of `window` (an ExportPeriod, or a Window with a first day) to `out_path`.

    Runs the insight detectors over the period (they store their findings, as `insights` does). Meant to
    run off the GUI thread, with a Store opened in that thread; a PDF of a month takes well under a second.
    """
    started = time.perf_counter()
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r} (use one of {', '.join(FORMATS)})")
    out = Path(out_path).expanduser()
    if not out.parent.is_dir():
        raise ExportError(f"cannot write {out}: the folder {out.parent} does not exist")
    if fmt == "pdf" and renderer is None:
        raise ExportError(
            "a PDF needs the Qt renderer (desktop.ui.export_render), which is not available here"
        )
    doc = document_for(store, window, redact, prices, now=now)
    charts: dict[str, bytes] = {}
    if fmt in CHARTED and renderer is not None:
        charts = renderer.charts(doc)
    elif fmt in CHARTED:
        log.warning("no chart renderer: %s export written without charts", fmt)
    files = _write(fmt, doc, out, charts, renderer)
    return ExportSummary(
        format=fmt,
        redaction=redact,
        period=doc["period"]["label"],
        since=date.fromisoformat(doc["period"]["since"]),
        until=date.fromisoformat(doc["period"]["until"]),
        files=tuple(files),
        bytes=sum(p.stat().st_size for p in files),
        seconds=round(time.perf_counter() - started, 3),
        sessions=doc["totals"]["sessions"] or 0,
        findings=doc["findings_count"]["findings"],
        charts=len(charts),
    )


def _write(
    fmt: str, doc: dict[str, Any], out: Path, charts: dict[str, bytes], renderer: Renderer | None
) -> list[Path]:
    try:
        if fmt == "md":
            from desktop.reports.export import markdown

            return markdown.write(doc, out, charts)
        if fmt == "html":
            from desktop.reports.export import html

            return html.write(doc, out, charts)
        if fmt == "pdf":
            from desktop.reports.export import pdf

            assert renderer is not None
            return pdf.write(doc, out, charts, renderer)
        if fmt == "csv":
            from desktop.reports.export import csv_export

            return csv_export.write(doc, out, charts)
        from desktop.reports.export import json_export

        return json_export.write(doc, out, charts)
    except OSError as exc:
        raise ExportError(f"cannot write {out}: {exc.strerror or exc}") from exc
