"""What `sources` and `doctor` say: which assistants were found where, and what went wrong reading them."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from typing import Any

from desktop.sources.base import Environment, Source
from desktop.store import Store
from desktop.store import queries


def _iso(ts_ms: int | None) -> str | None:
    if ts_ms is None:
        return None
    return datetime.fromtimestamp(ts_ms / 1000, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def sources_report(sources: list[Source], env: Environment, store: Store | None) -> dict[str, Any]:
    """One entry per assistant; a second reader of the same tool (Gemini's legacy .json) folds in."""
    from desktop.sources import tool_of

    stats = queries.source_stats(store.conn) if store else {}
    entries: dict[str, dict[str, Any]] = {}
    for source in sources:
        tool = tool_of(source)
        roots = source.roots(env)
        stat = stats.get(source.id, {})
        entry = entries.get(tool)
        if entry is None:
            entry = entries[tool] = {
                "id": tool, "name": source.name, "found": False, "paths": [], "looked_in": [], "files": 0,
                "missing_files": 0, "events": 0, "first_event": None, "last_event": None, "skipped_lines": 0,
                "measured": source.measured, "project_recorded": getattr(source, "records_project", True),
                "tokens_recorded": getattr(source, "tokens_recorded", True),
                "unreadable_reason": getattr(source, "unreadable_reason", None), "note": getattr(source, "note", None),
            }  # fmt: skip
        existing = [str(r) for r in roots if r.is_dir()]
        entry["paths"] += [p for p in existing if p not in entry["paths"]]
        entry["looked_in"] += [str(r) for r in roots if str(r) not in entry["looked_in"]]
        for key in ("files", "missing_files", "skipped_lines"):
            entry[key] += stat.get(key, 0)
        entry["found"] = bool(entry["paths"]) or entry["files"] > 0
    for tool, entry in entries.items():
        stat = stats.get(tool, {})  # rows are stored under the assistant's id, whichever reader wrote them
        entry["events"] = stat.get("events", 0)
        entry["first_event"] = _iso(stat.get("first_ms"))
        entry["last_event"] = _iso(stat.get("last_ms"))
    return {"sources": list(entries.values())}


def doctor_report(store: Store | None, db_path: str, sources: list[Source], env: Environment) -> dict[str, Any]:
    report: dict[str, Any] = {"data_dir": os.path.dirname(db_path), "database": db_path, "ok": True}
    if store is None:
        report.update(database_exists=False, integrity=None)
        return report
    integrity = store.conn.execute("PRAGMA quick_check").fetchone()[0]
    report.update(
        database_exists=True,
        database_bytes=os.path.getsize(db_path) if os.path.exists(db_path) else 0,
        integrity=integrity,
        schema=store.schema_names(),
        skipped_lines=[
            {"source": s, "path": p, "lines": n, "line_numbers": json.loads(sample)}
            for s, p, n, sample in queries.files_with_skips(store.conn)
        ],
        unpriced_models=[
            {"source": s, "model": m, "events": e, "tokens": t} for s, m, e, t in queries.unpriced_models(store.conn)
        ],
        unreadable=_unreadable(sources, env),
    )
    report["ok"] = integrity == "ok" and not report["unreadable"]
    return report


def _unreadable(sources: list[Source], env: Environment) -> list[dict[str, str]]:
    problems = []
    for source in sources:
        for root in source.roots(env):
            if root.exists() and not os.access(root, os.R_OK | os.X_OK):
                problems.append({"source": source.id, "path": str(root), "reason": "folder not readable"})
        for path in source.discover(env, []):
            if not os.access(path, os.R_OK):
                problems.append({"source": source.id, "path": str(path), "reason": "file not readable"})
    return problems
