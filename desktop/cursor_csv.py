"""Import the usage-events CSV that users download from Cursor's dashboard (LOG-FORMATS §3.15).

Cursor's local `state.vscdb` only gives a lower bound; the real numbers are in this CSV, which the
user exports and hands over: Tokenmirror never reads Cursor's login token and never downloads it.

Columns (tokscale (2025) packages/core/src/sessions/cursor.rs): `Date, Kind, Model, Max Mode,
Input (w/ Cache Write), Input (w/o Cache Write), Cache Read, Output Tokens, Total Tokens, Cost`; the
older export without `Kind` / `Max Mode` is read too (columns are found by name). Per row:
input = `Input (w/o Cache Write)`, cache read = `Cache Read`, cache write =
`Input (w/ Cache Write) - Input (w/o Cache Write)`, output = `Output Tokens`, stored cost = `Cost`
(USD). `Date` with a zone is that instant; without one it is read as UTC (§6 question 14); a bare
date is noon UTC, as tokscale reads it. Rows without any tokens (errored or aborted requests) are not
calls. Rows are source `cursor`, measured (`is_estimate = 0`), key
`csv:<instant>|<model>|<kind>|<token columns>#<n>` (n: which identical row of the file it is), so
importing the same file, or an overlapping export, again adds nothing.

The import replaces the local lower bound for the span the CSV covers (its first to its last row):
in the same transaction the local rows (`is_estimate = 1`) of that span are deleted and the span is
recorded in `cursor_csv_import`, which keeps later scans of `state.vscdb` from adding local rows
inside it (migration m004).
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from desktop.errors import KnownError
from desktop.model import Tokens, UsageEvent
from desktop.pricing import PriceTable
from desktop.sources.counts import BadCount, count
from desktop.sources.timestamps import iso_to_ms
from desktop.store import Store
from desktop.store.writes import event_row, write_events

SOURCE = "cursor"
MAX_FILE_BYTES = 256 << 20
REQUIRED = ("Date", "Model", "Input (w/ Cache Write)", "Input (w/o Cache Write)", "Cache Read", "Output Tokens")
BAD_LINES_SHOWN = 10


@dataclass
class ImportSummary:
    path: str
    rows: int = 0  # data rows in the file
    added: int = 0  # rows new to the archive
    already: int = 0  # rows an earlier import already stored
    empty: int = 0  # rows without tokens: not calls
    bad_lines: list[int] = field(default_factory=list)  # line numbers of rows that could not be read
    first_ms: int | None = None  # the span the file covers
    last_ms: int | None = None
    replaced_local: int = 0  # local lower-bound rows the import replaced

    def line(self) -> str:
        """One line for the CLI and the app's status bar."""
        span = ""
        if self.first_ms is not None and self.last_ms is not None:
            span = f" ({_day(self.first_ms)} to {_day(self.last_ms)} UTC)"
        text = (f"imported {Path(self.path).name}{span}: {self.added:,} new rows, {self.already:,} already in the "
                f"archive; {self.replaced_local:,} local lower-bound rows replaced")  # fmt: skip
        if self.empty:
            text += f"; {_rows(self.empty)} without tokens skipped"
        if self.bad_lines:
            shown = ", ".join(map(str, self.bad_lines[:BAD_LINES_SHOWN]))
            more = ", ..." if len(self.bad_lines) > BAD_LINES_SHOWN else ""
            lines = "lines" if len(self.bad_lines) > 1 else "line"
            text += f"; {_rows(len(self.bad_lines))} unreadable ({lines} {shown}{more})"
        return text


def _rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


def _day(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, UTC).strftime("%Y-%m-%d")


def import_cursor_csv(store: Store, path: Path | str, prices: PriceTable) -> ImportSummary:
    """Read the CSV, store its rows, replace the local lower bound for its span: one transaction.
    Raises KnownError (one clear line) for a missing, unreadable or wrong file."""
    path = Path(path)
    data = _read(path)
    summary = ImportSummary(str(path))
    events = _events(path, data, summary)
    rows = [event_row(e, _cost(prices, e), None) for e in events]
    first = min(e.ts_ms for e in events)
    last = max(e.ts_ms for e in events)
    summary.first_ms, summary.last_ms = first, last
    count_sql = "SELECT count(*) FROM usage_event WHERE source = ? AND is_estimate = 0 AND dedup_key LIKE 'csv:%'"
    with store.transaction() as conn:
        before = conn.execute(count_sql, (SOURCE,)).fetchone()[0]
        write_events(conn, "first", rows)
        summary.added = conn.execute(count_sql, (SOURCE,)).fetchone()[0] - before
        conn.execute(
            "INSERT OR IGNORE INTO cursor_csv_import (file_sha256, file_name, first_ms, last_ms, rows, imported_ms) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (hashlib.sha256(data).hexdigest(), path.name, first, last, len(rows), int(time.time() * 1000)),
        )
        summary.replaced_local = conn.execute(
            "DELETE FROM usage_event WHERE source = ? AND is_estimate = 1 AND ts_ms BETWEEN ? AND ?",
            (SOURCE, first, last),
        ).rowcount
    summary.already = len(rows) - summary.added
    return summary


def _read(path: Path) -> bytes:
    try:
        if not path.is_file():
            raise KnownError(f"{path} is not a file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise KnownError(f"{path} is too large for a Cursor usage CSV ({path.stat().st_size:,} bytes)")
        data = path.read_bytes()
    except OSError as exc:
        raise KnownError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if b"\0" in data[:65536]:
        raise KnownError(f"{path} is not a CSV file (it holds binary data)")
    return data


def _events(path: Path, data: bytes, summary: ImportSummary) -> list[UsageEvent]:
    text = data.decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise KnownError(f"{path} is not a readable CSV file: {exc}") from exc
    if not header or not any(cell.strip() for cell in header):
        raise KnownError(f"{path} is empty: expected the usage-events CSV exported from Cursor's dashboard")
    columns = {name.strip(): index for index, name in enumerate(header)}
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise KnownError(f"{path} is not Cursor's usage-events CSV: no column {', '.join(repr(m) for m in missing)}")
    seen: Counter[str] = Counter()
    events: list[UsageEvent] = []
    line = reader.line_num
    while True:
        start = line + 1
        try:
            record = next(reader, None)
        except csv.Error:
            summary.bad_lines.append(start)
            if reader.line_num == line:
                break  # the reader cannot move on: the rest of the file is one broken record
            line = reader.line_num
            continue
        if record is None:
            break
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue  # a blank line
        summary.rows += 1
        try:
            event = _event(record, columns, start)
        except (ValueError, BadCount, IndexError):
            summary.bad_lines.append(start)
            continue
        if event is None:
            summary.empty += 1
            continue
        seen[event.dedup_key] += 1
        event.dedup_key += f"#{seen[event.dedup_key]}"
        events.append(event)
    if not events:
        if summary.bad_lines:
            shown = ", ".join(map(str, summary.bad_lines[:BAD_LINES_SHOWN]))
            raise KnownError(f"{path} has no readable usage rows (bad lines {shown})")
        raise KnownError(f"{path} has no usage rows")
    return events


def _event(record: list[str], columns: dict[str, int], line: int) -> UsageEvent | None:
    def cell(name: str) -> str:
        index = columns.get(name)
        if index is None:
            return ""
        if index >= len(record):
            if name in REQUIRED:
                raise IndexError(f"line {line}: no {name}")
            return ""  # a trailing optional column (Kind, Cost) left off
        return record[index].strip()

    ts = _date(cell("Date"))
    with_write, without_write = _count(cell("Input (w/ Cache Write)")), _count(cell("Input (w/o Cache Write)"))
    cache_read, output = _count(cell("Cache Read")), _count(cell("Output Tokens"))
    tokens = Tokens(input_uncached=without_write, cache_read=cache_read,
                    cache_write_5m=max(with_write - without_write, 0), output=output)  # fmt: skip
    if not tokens.total:
        return None
    model = cell("Model") or None
    kind = cell("Kind")
    cost = _cost_cell(cell("Cost"))
    key = f"csv:{ts}|{model or ''}|{kind}|{with_write}|{without_write}|{cache_read}|{output}"
    return UsageEvent(source=SOURCE, dedup_key=key, ts_ms=ts, tokens=tokens, model=model, stored_cost=cost,
                      stored_cost_unit="usd" if cost is not None else None, raw_offset=line)  # fmt: skip


def _date(value: str) -> int:
    if len(value) == 10:
        value += "T12:00:00+00:00"  # a bare date: noon UTC (tokscale parse_date_to_timestamp)
    found = iso_to_ms(value)  # a zone as written; none: UTC
    if found is None:
        raise ValueError(f"not a date: {value!r:.40}")
    return found


def _count(value: str) -> int:
    cleaned = value.replace(",", "").strip()
    if not cleaned:
        return 0
    if cleaned.replace(".", "", 1).isdigit() and "." in cleaned:
        number = float(cleaned)
        if not number.is_integer():
            raise ValueError(f"not a token count: {value!r:.40}")
        return count(int(number))
    return count(cleaned)


def _cost_cell(value: str) -> float | None:
    """`$0.21`, `0.21`, `$1,234.56`; `Included`, `-`, `NaN` and 0 are no stored cost."""
    cleaned = value.replace("$", "").replace(",", "").strip()
    try:
        found = float(cleaned)
    except ValueError:
        return None
    return found if math.isfinite(found) and found > 0 else None


def _cost(prices: PriceTable, event: UsageEvent) -> tuple[float | None, float | None, str, str]:
    cost = prices.cost(event.source, event.model, event.tokens, event.speed, provider=event.provider)
    return cost.usd, cost.bill_usd, cost.status, prices.version
