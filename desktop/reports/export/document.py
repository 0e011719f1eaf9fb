"""One plain document for one period: every number an export shows, before redaction and formatting.

The document is JSON-able data (dicts, lists, strings, numbers). Its numbers come from the same
functions as `report`, `commits` and `insights`, so each can be checked against those commands. Keys
starting with "_" are working data for redaction and never reach a writer.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from desktop import __version__
from desktop.formatting import delta
from desktop.pricing import PriceTable
from desktop.reports.export.method import method_sections
from desktop.reports.export.period import ExportPeriod
from desktop.reports.usage import Window
from desktop.store import Store

FORMAT_VERSION = 1
TOKEN_KEYS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens", "reasoning_tokens",
              "total_tokens")  # fmt: skip
COMMIT_KEYS = ("commits", "ai_trailer_commits", "lines_added", "lines_removed", "linked_sessions", "sessions",
               "delivery_share", "cost_per_commit", "tokens_per_changed_line")  # fmt: skip


def build_document(
    store: Store,
    period: ExportPeriod,
    prices: PriceTable,
    *,
    now: datetime | None = None,
    with_findings: bool = True,
) -> dict[str, Any]:
    """Everything an export of `period` shows, unredacted. Runs the detectors over the period (as
    `insights` does) unless with_findings is False."""
    from desktop.reports.commits import commits_by_day, commits_report
    from desktop.reports.usage import period_report

    window, before = period.window(), period.previous_window()
    week_start = period.week_start
    current = period_report(store, window, "day", True, week_start)
    previous = period_report(store, before, "day", True, week_start)
    commits_now = commits_report(store, window)
    commits_before = commits_report(store, before)
    totals = _totals(current["totals"], commits_now["totals"])
    previous_totals = _totals(previous["totals"], commits_before["totals"])
    sessions = _sessions(store, window)
    found = _findings(store, window, prices) if with_findings else []
    names = _source_names()
    generated = (now or datetime.now(period.tz)).astimezone(period.tz)
    previous_first, previous_last = period.previous()
    document: dict[str, Any] = {
        "tokenmirror_export": FORMAT_VERSION,
        "app_version": __version__,
        "title": f"AI assistant usage: {period.label()}",
        "generated_at": generated.isoformat(timespec="seconds"),
        "redaction": "none",
        "period": {
            "kind": period.kind,
            "label": period.label(),
            "since": period.first.isoformat(),
            "until": period.last.isoformat(),
            "through": period.through.isoformat(),
            "running": period.running,
            "days": period.days,
            "timezone": zone_name(period.tz),
            "week_start": week_start,
        },
        "previous_period": {
            "label": period.previous_label(),
            "since": previous_first.isoformat(),
            "until": previous_last.isoformat(),
        },
        "totals": totals,
        "previous_totals": previous_totals,
        "changes": _changes(totals, previous_totals),
        "by_source": _by_source(current["rows"], previous["rows"], names, totals["total_tokens"]),
        "by_model": _by_model(current["rows"], totals["total_tokens"]),
        "daily": _daily(period, current["rows"], commits_by_day(store, window)),
        "daily_rows": current["rows"],
        "projects": _projects(store, window, before, commits_now["rows"], sessions),
        "commits": {"rows": commits_now["rows"], "totals": commits_now["totals"]},
        "sessions": sessions,
        "findings": found,
        "findings_count": _findings_count(found),
        "estimates": _estimates(current["rows"], names),
        "unpriced": _unpriced(current["rows"]),
        "pricing": {
            "version": prices.version,
            "retrieved": prices.retrieved.isoformat() if prices.retrieved else None,
        },
    }
    document["method"] = method_sections(document, float(store.settings.get("commit_link_window_hours")))
    document["_folders"] = _folders(store, sessions)
    return document


def zone_name(tz: Any) -> str:
    return getattr(tz, "key", None) or str(tz)


def _source_names() -> dict[str, str]:
    from desktop.sources import SOURCES, tool_of

    names = {"cursor": "Cursor"}
    for source in SOURCES:
        names.setdefault(tool_of(source), source.name)
    return names


def _totals(usage: dict[str, Any], commits: dict[str, Any]) -> dict[str, Any]:
    """The usage report's totals (tokens, cost, events, estimates) with the commits report's."""
    merged = dict(usage)
    for key in COMMIT_KEYS:
        merged[key] = commits.get(key)
    return merged


def _changes(now: dict[str, Any], before: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Against the previous period: ▲ 18% / ▼ 7%, for the numbers where a relative change means something."""
    changes = {}
    for key in ("total_tokens", "cost_usd", "events", "sessions", "commits", "lines_added", "lines_removed"):
        current, previous = now.get(key) or 0, before.get(key) or 0
        changes[key] = {
            "current": now.get(key),
            "previous": before.get(key),
            "text": delta(current, previous),
        }
    return changes


def _add(target: dict[str, Any], row: dict[str, Any]) -> None:
    for key in (*TOKEN_KEYS, "events", "unpriced_events"):
        target[key] = target.get(key, 0) + (row.get(key) or 0)
    if row.get("cost_usd") is not None:
        target["cost_usd"] = round((target.get("cost_usd") or 0.0) + row["cost_usd"], 6)
    else:
        target.setdefault("cost_usd", None)


def _by_source(
    rows: list[dict], before: list[dict], names: dict[str, str], total: int
) -> list[dict[str, Any]]:
    """One row per source and estimate flag, biggest first, with the previous period's tokens and cost."""
    groups: dict[tuple[str, bool], dict[str, Any]] = {}
    for row in rows:
        key = (row["source"], bool(row["is_estimate"]))
        _add(
            groups.setdefault(
                key, {"source": key[0], "name": names.get(key[0], key[0]), "is_estimate": key[1]}
            ),
            row,
        )
    earlier: dict[tuple[str, bool], dict[str, Any]] = {}
    for row in before:
        _add(earlier.setdefault((row["source"], bool(row["is_estimate"])), {}), row)
    for key in earlier.keys() - groups.keys():  # a tool used last period only still shows, at zero
        groups[key] = {"source": key[0], "name": names.get(key[0], key[0]), "is_estimate": key[1],
                       **dict.fromkeys((*TOKEN_KEYS, "events", "unpriced_events"), 0), "cost_usd": None}  # fmt: skip
    for key, group in groups.items():
        old = earlier.get(key, {})
        group["share"] = round(group["total_tokens"] / total, 4) if total else None
        group["previous_total_tokens"] = old.get("total_tokens", 0)
        group["previous_cost_usd"] = old.get("cost_usd")
        group["change"] = delta(group["total_tokens"], group["previous_total_tokens"])
    return sorted(groups.values(), key=lambda g: (-g["total_tokens"], g["source"], g["is_estimate"]))


def _by_model(rows: list[dict], total: int) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, bool], dict[str, Any]] = {}
    for row in rows:
        key = (row["source"], row.get("model") or "(unknown)", bool(row["is_estimate"]))
        _add(groups.setdefault(key, {"source": key[0], "model": key[1], "is_estimate": key[2]}), row)
    for group in groups.values():
        group["share"] = round(group["total_tokens"] / total, 4) if total else None
    return sorted(groups.values(), key=lambda g: (-g["total_tokens"], g["source"], g["model"]))


def _daily(period: ExportPeriod, rows: list[dict], commits: dict[date, Any]) -> list[dict[str, Any]]:
    """Every day of the period, empty ones too: the chart's and the daily table's data."""
    days: dict[str, dict[str, Any]] = {}
    day = period.first
    while day <= period.last:
        days[day.isoformat()] = {"date": day.isoformat(), "weekday": f"{day:%a}", "total_tokens": 0,
                                 "estimated_tokens": 0, "cost_usd": None, "events": 0, "unpriced_events": 0,
                                 "by_source": {}}  # fmt: skip
        day += timedelta(days=1)
    for row in rows:
        entry = days.get(row["date"])
        if entry is None:
            continue
        entry["total_tokens"] += row["total_tokens"]
        entry["events"] += row["events"]
        entry["unpriced_events"] += row["unpriced_events"]
        if row["is_estimate"]:
            entry["estimated_tokens"] += row["total_tokens"]
        if row["cost_usd"] is not None:
            entry["cost_usd"] = round((entry["cost_usd"] or 0.0) + row["cost_usd"], 6)
        entry["by_source"][row["source"]] = entry["by_source"].get(row["source"], 0) + row["total_tokens"]
    for key, entry in days.items():
        work = commits.get(date.fromisoformat(key))
        entry["commits"] = work.commits if work else 0
        entry["ai_trailer_commits"] = work.ai_trailer_commits if work else 0
        entry["lines_added"] = work.lines_added if work else 0
        entry["lines_removed"] = work.lines_removed if work else 0
    return list(days.values())


def _projects(
    store: Store, window: Window, before: Window, commit_rows: list[dict], sessions: list[dict]
) -> list[dict[str, Any]]:
    """Per repository: tokens and cost against commits and lines, delivery share, and last period's tokens.
    Usage in folders outside any repository is one row with project None."""
    from desktop.reports.commits import project_commit_columns

    now, earlier = project_commit_columns(store, window), project_commit_columns(store, before)
    per_repo = Counter(s["repository"] for s in sessions)
    rows = []
    for root, numbers in now.items():
        old = earlier.get(root, {})
        rows.append(
            _project_row(root, numbers, per_repo.get(root, 0), old.get("tokens", 0), old.get("cost_usd"))
        )
    outside = [r for r in commit_rows if r["project"] is None]
    if outside:
        tokens = sum(r["tokens"] for r in outside)
        costs = [r["cost_usd"] for r in outside if r["cost_usd"] is not None]
        numbers = {"tokens": tokens, "cost_usd": round(sum(costs), 6) if costs else None}
        rows.append(_project_row(None, numbers, per_repo.get(None, 0), None, None))
    return sorted(
        rows, key=lambda r: (r["project"] is None, -r["total_tokens"], -r["commits"], r["project"] or "")
    )


def _project_row(root: str | None, n: dict[str, Any], sessions: int, old_tokens: int | None,
                 old_cost: float | None) -> dict[str, Any]:  # fmt: skip
    return {
        "project": root,
        "name": os.path.basename(root.rstrip("/\\")) if root else None,
        "total_tokens": n.get("tokens", 0),
        "cost_usd": n.get("cost_usd"),
        "sessions": sessions,
        "commits": n.get("commits", 0),
        "ai_trailer_commits": n.get("ai_trailer_commits", 0),
        "lines_added": n.get("lines_added", 0),
        "lines_removed": n.get("lines_removed", 0),
        "linked_sessions": n.get("linked_sessions", 0),
        "delivery_share": n.get("delivery_share"),
        "cost_per_commit": n.get("cost_per_commit"),
        "tokens_per_changed_line": n.get("tokens_per_changed_line"),
        "previous_total_tokens": old_tokens,
        "previous_cost_usd": old_cost,
    }


def _sessions(store: Store, window: Window) -> list[dict[str, Any]]:
    """`report sessions` rows with the repository, branch, first prompt and linked commits of each."""
    from desktop.reports.commits import session_commits
    from desktop.reports.usage import session_report
    from desktop.store import commit_queries, ui_queries

    rows = session_report(store, window)["rows"]
    roots = commit_queries.cwd_roots(store.conn)
    first = ui_queries.first_prompts(store.conn) if rows else {}
    for row in rows:
        key = (row["source"], row["session_id"])
        info = ui_queries.session_info(store.conn, *key)
        row["repository"] = roots.get(row["project"] or "")
        row["branch"] = info[1] if info else None
        row["headless"] = bool(info[3]) if info else False
        row["first_prompt"] = first.get(key)
        row["linked_commits"] = [
            {"sha": c["sha"], "subject": c["subject"], "method": c["method"], "project": c["project"]}
            for c in session_commits(store, *key)
        ]
    return rows


def _findings(store: Store, window: Window, prices: PriceTable) -> list[dict[str, Any]]:
    """The detectors' findings over the period, as `insights --json` has them; dismissed ones left out."""
    from desktop.insights.run import run_insights

    return [f.to_dict() for f in run_insights(store, window, prices=prices) if f.state != "dismissed"]


def _findings_count(found: list[dict]) -> dict[str, Any]:
    return {
        "findings": len(found),
        "by_detector": dict(Counter(f["detector"] for f in found).most_common()),
        "by_severity": dict(Counter(f["severity"] for f in found)),
        "cost_usd": round(sum(f["cost_usd"] or 0.0 for f in found), 6),
        "avoidable_usd": round(sum(f["avoidable_usd"] or 0.0 for f in found), 6),
    }


def _estimates(rows: list[dict], names: dict[str, str]) -> dict[str, Any]:
    estimated = [r for r in rows if r["is_estimate"]]
    sources = sorted({r["source"] for r in estimated})
    return {
        "total_tokens": sum(r["total_tokens"] for r in estimated),
        "sources": [{"source": s, "name": names.get(s, s)} for s in sources],
    }


def _unpriced(rows: list[dict]) -> dict[str, Any]:
    models = sorted({(r["source"], r.get("model") or "(unknown)") for r in rows if r["unpriced_events"]})
    return {
        "events": sum(r["unpriced_events"] for r in rows),
        "models": [{"source": s, "model": m} for s, m in models],
    }


def _folders(store: Store, sessions: list[dict]) -> dict[str, str | None]:
    """Working folder -> its repository root (None outside any), for the folders the document names."""
    from desktop.store import commit_queries

    roots = commit_queries.cwd_roots(store.conn)
    return {
        cwd: roots.get(cwd) for cwd in sorted({s["project"] for s in sessions if s["project"]} | set(roots))
    }
