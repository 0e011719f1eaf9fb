"""Tokens against commits: per local day and project, in the contract's keys (DESIGN §6 `commits`).

Only the user's own non-merge commits count, each once (a sha seen in two clones belongs to the first).
Tokens go to the repository their event's cwd is in; tokens outside any repository form rows with
project null, so the totals equal the usage report's. `linked_sessions` and `delivery_share` look at the
sessions that spent the row's tokens: a session counts as delivering when it is linked to at least one
of the user's commits (strong or weak).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from desktop.formatting import integer, money, tokens
from desktop.periods import LocalDays
from desktop.reports.usage import Window
from desktop.store import Store
from desktop.store import commit_queries
from desktop.store.queries import Usage

@dataclass(slots=True)
class CommitDay:
    """The user's own non-merge commits on one local day."""

    commits: int = 0
    ai_trailer_commits: int = 0
    lines_added: int = 0
    lines_removed: int = 0

    def add_row(self, commits: int, ai: int, added: int, removed: int) -> None:
        self.commits += commits or 0
        self.ai_trailer_commits += ai or 0
        self.lines_added += added or 0
        self.lines_removed += removed or 0

    def add(self, other: CommitDay) -> None:
        self.add_row(other.commits, other.ai_trailer_commits, other.lines_added, other.lines_removed)


def commits_by_day(store: Store, window: Window) -> dict[date, CommitDay]:
    """My commits per local date of the window's zone (author time); {} when there are none."""
    since_ms, until_ms = window.bounds_ms()
    days = LocalDays(window.tz)
    result: dict[date, CommitDay] = {}
    for quarter, _project, *counts in commit_queries.commits_by_quarter(store.conn, since_ms, until_ms):
        result.setdefault(days.of_quarter(quarter), CommitDay()).add_row(*counts)
    return dict(sorted(result.items()))


@dataclass(slots=True)
class _Cell:
    """One (day, project) of the report while it is being summed."""

    usage: Usage = field(default_factory=Usage)
    linked_tokens: int = 0
    sessions: set = field(default_factory=set)
    linked: set = field(default_factory=set)
    work: CommitDay = field(default_factory=CommitDay)

    def add(self, other: _Cell) -> None:
        self.usage.add(other.usage)
        self.linked_tokens += other.linked_tokens
        self.sessions |= other.sessions
        self.linked |= other.linked
        self.work.add(other.work)


def _cells(store: Store, window: Window, project_ids: list[int] | None) -> dict[tuple[date, int | None], _Cell]:
    since_ms, until_ms = window.bounds_ms()
    days = LocalDays(window.tz)
    cells: dict[tuple[date, int | None], _Cell] = {}
    wanted = None if project_ids is None else set(project_ids)
    found = commit_queries.tokens_by_session_quarter(store.conn, since_ms, until_ms, list(window.sources) or None)
    for quarter, project_id, source, session_id, linked, *sums in found:
        if wanted is not None and project_id not in wanted:
            continue
        cell = cells.setdefault((days.of_quarter(quarter), project_id), _Cell())
        part = Usage()
        part.add_row(tuple(sums))
        cell.usage.add(part)
        if session_id is not None:
            cell.sessions.add((source, session_id))
        if linked:
            cell.linked_tokens += part.total
            cell.linked.add((source, session_id))
    for quarter, project_id, *counts in commit_queries.commits_by_quarter(store.conn, since_ms, until_ms, project_ids):
        cells.setdefault((days.of_quarter(quarter), project_id), _Cell()).work.add_row(*counts)
    return cells


def _numbers(cell: _Cell) -> dict[str, Any]:
    usage, work = cell.usage, cell.work
    cost = round(usage.cost, 6) if usage.events > usage.unpriced_events else None
    lines = work.lines_added + work.lines_removed
    return {
        "tokens": usage.total,
        "cost_usd": cost,
        "commits": work.commits,
        "ai_trailer_commits": work.ai_trailer_commits,
        "lines_added": work.lines_added,
        "lines_removed": work.lines_removed,
        "linked_sessions": len(cell.linked),
        "delivery_share": round(cell.linked_tokens / usage.total, 4) if usage.total else None,
        "cost_per_commit": round(cost / work.commits, 6) if cost is not None and work.commits else None,
        "tokens_per_changed_line": round(usage.total / lines, 2) if lines else None,
    }


def commits_report(store: Store, window: Window, project: str | None = None) -> dict:
    """`{"rows": [...], "totals": {...}}`: a row per (local date, project), sorted by date then project."""
    project_ids = None
    if project is not None:
        project_ids = commit_queries.find_projects(store.conn, project)
    roots = commit_queries.project_roots(store.conn)
    cells = _cells(store, window, project_ids)
    rows = []
    total = _Cell()
    for (day, project_id), cell in sorted(cells.items(), key=lambda kv: (kv[0][0], roots.get(kv[0][1]) or "")):
        row: dict[str, Any] = {"date": day.isoformat(), "project": roots.get(project_id) if project_id else None}
        row.update(_numbers(cell))
        rows.append(row)
        total.add(cell)
    totals = _numbers(total)
    totals["sessions"] = len(total.sessions)
    return {"rows": rows, "totals": totals}


def project_commit_columns(store: Store, window: Window) -> dict[str, dict[str, Any]]:
    """Per repository root: tokens, cost and commit numbers over the window, for `report projects`."""
    roots = commit_queries.project_roots(store.conn)
    merged: dict[int, _Cell] = {}
    for (_day, project_id), cell in _cells(store, window, None).items():
        if project_id is not None:
            merged.setdefault(project_id, _Cell()).add(cell)
    return {roots[pid]: _numbers(cell) for pid, cell in merged.items() if pid in roots}


def session_commits(store: Store, source: str, session_id: str) -> list[dict[str, Any]]:
    """The commits one session is linked to, oldest first, with how each link was made."""
    return [
        {"sha": sha, "subject": subject, "ts_ms": ts, "method": method, "overlap_files": overlap, "project": root}
        for sha, subject, ts, method, overlap, root in commit_queries.session_links(store.conn, source, session_id)
    ]


def commits_table(data: dict) -> str:
    """The report as a terminal table, in the house number formats."""
    from desktop.reports.render import table

    headers = ["date", "project", "tokens", "cost", "commits", "AI", "+lines", "-lines", "linked", "delivery",
               "$/commit", "tok/line"]  # fmt: skip
    rows = [_cells_text(r["date"], r["project"] or "(no repository)", r) for r in data["rows"]]
    rows.append(_cells_text("total", "", data["totals"]))
    if not data["rows"]:
        return "no usage and no commits in this range"
    return table(headers, rows, [False, False] + [True] * 10)


def _cells_text(day: str, project: str, r: dict) -> list[str]:
    share = r["delivery_share"]
    per_line = r["tokens_per_changed_line"]
    return [
        day,
        _short(project),
        tokens(r["tokens"]),
        money(r["cost_usd"]),
        integer(r["commits"]),
        integer(r["ai_trailer_commits"]),
        integer(r["lines_added"]),
        integer(r["lines_removed"]),
        integer(r["linked_sessions"]),
        "—" if share is None else f"{share * 100:.0f}%",
        money(r["cost_per_commit"]),
        "—" if per_line is None else tokens(per_line),
    ]


def _short(path: str, width: int = 36) -> str:
    return path if len(path) <= width else "…" + path[-(width - 1) :]
