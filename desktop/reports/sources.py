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
    stats = queries.source_stats(store.conn) if store else {}
    out = []
    for source in sources:
        roots = source.roots(env)
        existing = [str(r) for r in roots if r.is_dir()]
        stat = stats.get(source.id, {})
        out.append(
            {
                "id": source.id,
                "name": source.name,
                "found": bool(existing) or stat.get("files", 0) > 0,
                "paths": existing,
                "looked_in": [str(r) for r in roots],
                "files": stat.get("files", 0),
                "missing_files": stat.get("missing_files", 0),
                "events": stat.get("events", 0),
                "first_event": _iso(stat.get("first_ms")),
                "last_event": _iso(stat.get("last_ms")),
                "skipped_lines": stat.get("skipped_lines", 0),
                "measured": source.measured,
            }
        )
    return {"sources": out}


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
