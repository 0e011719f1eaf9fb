"""CSV: tidy tables, one per file (daily, sessions, commits), or all of them in one zip.

`-o usage.zip` writes a zip holding daily.csv, sessions.csv and commits.csv; `-o` an existing folder
writes those names into it; any other name `usage.csv` writes usage-daily.csv, usage-sessions.csv and
usage-commits.csv beside it. Numbers are raw (tokens as integers, cost in USD); empty means none.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop.reports.export.files import write_private

DAILY = ["date", "source", "model", "input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens",
         "reasoning_tokens", "total_tokens", "cost_usd", "unpriced_events", "events", "is_estimate"]  # fmt: skip
SESSIONS = ["source", "session_id", "project", "repository", "branch", "start", "end", "models", "prompts",
            "tool_calls", "tool_errors", "headless", "input_tokens", "output_tokens", "cache_creation_tokens",
            "cache_read_tokens", "reasoning_tokens", "total_tokens", "cost_usd", "unpriced_events", "events",
            "is_estimate", "linked_commits", "first_prompt"]  # fmt: skip
COMMITS = ["date", "project", "tokens", "cost_usd", "commits", "ai_trailer_commits", "lines_added", "lines_removed",
           "linked_sessions", "delivery_share", "cost_per_commit", "tokens_per_changed_line"]  # fmt: skip
DAY_COMMITS = ["date", "tokens", "cost_usd", "commits", "ai_trailer_commits", "lines_added", "lines_removed"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return "'" + text  # a spreadsheet must not run a prompt or commit subject as a formula
    return text


def table(columns: list[str], rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buffer.getvalue()


def tables(doc: dict[str, Any]) -> dict[str, str]:
    """name -> CSV text. At the `all` level sessions are gone and commits are per day, without projects."""
    result = {"daily": table(DAILY, doc["daily_rows"])}
    if "sessions" in doc:
        sessions = [dict(s, linked_commits=len(s["linked_commits"])) for s in doc["sessions"]]
        result["sessions"] = table(SESSIONS, sessions)
    if "commits" in doc:
        result["commits"] = table(COMMITS, doc["commits"]["rows"])
    else:
        days = [dict(d, tokens=d["total_tokens"]) for d in doc["daily"] if d["total_tokens"] or d["commits"]]
        result["commits"] = table(DAY_COMMITS, days)
    return result


def targets(out: Path, names: list[str]) -> dict[str, Path]:
    if out.is_dir():
        return {name: out / f"{name}.csv" for name in names}
    return {name: out.with_name(f"{out.stem}-{name}.csv") for name in names}


def write(doc: dict[str, Any], out: Path, charts: dict[str, bytes]) -> list[Path]:
    found = tables(doc)
    if out.suffix.lower() == ".zip":
        buffer = io.BytesIO()
        stamp = datetime.fromisoformat(doc["generated_at"]).timetuple()[:6]
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in found.items():
                info = zipfile.ZipInfo(f"{name}.csv", date_time=stamp)
                info.external_attr = 0o600 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, text.encode("utf-8"))
        write_private(out, buffer.getvalue())
        return [out]
    paths = targets(out, list(found))
    for name, text in found.items():
        write_private(paths[name], text.encode("utf-8"))
    return list(paths.values())
