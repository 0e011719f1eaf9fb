"""burn without delivery: a session, or a project-day, over a cost or token threshold with no commit of
yours in that repository within the link window after it (`commit_link_window_hours`).

Only usage inside a repository counts: elsewhere no commit could follow. Usage newer than the link
window is left for a later run, since its commit may still come. A session inside a flagged project-day
is reported once, with the day.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from desktop.formatting import money, tokens
from desktop.insights.common import (
    HOUR_MS,
    MAX_ITEMS,
    commit_item,
    cost_of,
    hours,
    more_item,
    project_name,
    session_item,
    session_label,
    sessions_started,
)
from desktop.insights.model import Finding, severity
from desktop.insights.thresholds import Thresholds
from desktop.periods import QUARTER_MS, LocalDays, day_start_ms, local_date
from desktop.reports.usage import Window
from desktop.store import Store, commit_queries
from desktop.store import finding_queries as fq
from desktop.store.queries import Usage

DETECTOR = "burn_without_delivery"
CANNOT_TELL = (
    "Work that needs no commit (research, review, answers, a spike you learned from) looks the same, and "
    "commits under an email outside your identity count as someone else's."
)


def detect(store: Store, window: Window, thresholds: Thresholds) -> list[Finding]:
    days = _project_days(store, window, thresholds)
    covered = {
        (item["source"], item["session_id"]) for f in days for item in f.evidence if item["kind"] == "session"
    }
    return days + [f for key, f in _sessions(store, window, thresholds) if key not in covered]


def _next_commit_item(
    store: Store, window: Window, project_id: int, root: str, after_ms: int, end_ms: int
) -> dict:
    found = fq.my_commits_after(store.conn, project_id, after_ms, limit=1)
    if not found:
        return {"kind": "note", "text": f"no commit of yours in {root} since"}
    gap = found[0][3] - end_ms
    return commit_item(found[0], window.tz, root, f"your next commit in this repository, {hours(gap)} after")


def _over(usage: Usage, min_cost: float, min_tokens: float) -> float:
    """How far over the threshold (1.0 = at it), 0 when under both."""
    ratio = max(usage.cost / min_cost if min_cost else 0.0, usage.total / min_tokens if min_tokens else 0.0)
    return ratio if ratio >= 1 else 0.0


@dataclass(slots=True)
class _Day:
    usage: Usage = field(default_factory=Usage)
    sessions: dict = field(default_factory=dict)  # (source, session) -> Usage of that day
    linked: bool = False
    last_quarter: int = 0


def _project_days(store: Store, window: Window, thresholds: Thresholds) -> list[Finding]:
    conn = store.conn
    since, until = window.bounds_ms()
    link_ms = int(thresholds.link_window_hours * HOUR_MS)
    local = LocalDays(window.tz)
    cells: dict[tuple, _Day] = {}
    for quarter, project_id, source, session_id, linked, *sums in commit_queries.tokens_by_session_quarter(
        conn, since, until, list(window.sources) or None
    ):
        if project_id is None:
            continue
        cell = cells.setdefault((local.of_quarter(quarter), project_id), _Day())
        part = Usage()
        part.add_row(tuple(sums))
        cell.usage.add(part)
        cell.sessions.setdefault((source, session_id), Usage()).add(part)
        cell.linked = cell.linked or bool(linked)
        cell.last_quarter = max(cell.last_quarter, quarter)
    roots = commit_queries.project_roots(conn)
    timelines: dict[int, list[int]] = {}
    findings = []
    for (day, project_id), cell in sorted(cells.items()):
        ratio = _over(cell.usage, thresholds["day_min_cost_usd"], thresholds["day_min_tokens"])
        end_ms = (cell.last_quarter + 1) * QUARTER_MS
        if not ratio or cell.linked or end_ms + link_ms > thresholds.now_ms:
            continue
        if project_id not in timelines:
            timelines[project_id] = fq.my_commit_times(conn, project_id)
        times = timelines[project_id]
        first = bisect_left(times, day_start_ms(day, window.tz))
        if first < len(times) and times[first] < end_ms + link_ms:
            continue
        root = roots.get(project_id, "?")
        ranked = sorted(cell.sessions.items(), key=lambda kv: (-kv[1].total, kv[0]))
        evidence = [
            {
                "kind": "session",
                "source": s,
                "session_id": i,
                "project": root,
                "day_tokens": u.total,
                "day_cost_usd": cost_of(u),
            }
            for (s, i), u in ranked[:MAX_ITEMS]
            if i is not None
        ]
        evidence += more_item(len(ranked) - MAX_ITEMS, "sessions")
        evidence.append(
            _next_commit_item(store, window, project_id, root, day_start_ms(day, window.tz), end_ms)
        )
        cost = cost_of(cell.usage)
        findings.append(
            Finding(
                detector=DETECTOR,
                period_start=day,
                period_end=day,
                subject_kind="project_day",
                subject=root,
                key=f"{root}|{day.isoformat()}",
                severity=severity(ratio, 1.0),
                tokens=cell.usage.total,
                cost_usd=cost,
                summary=(
                    f"{project_name(root)} on {day.isoformat()}: {tokens(cell.usage.total)} tokens ({money(cost)}) "
                    f"in {len(ranked)} session{'s' if len(ranked) != 1 else ''}, and no commit of yours in that "
                    f"repository within {hours(link_ms)} after."
                ),
                evidence=evidence,
                cannot_tell=CANNOT_TELL,
            )
        )
    return findings


def _sessions(store: Store, window: Window, thresholds: Thresholds) -> list[tuple[fq.Key, Finding]]:
    conn = store.conn
    since, until = window.bounds_ms()
    link_ms = int(thresholds.link_window_hours * HOUR_MS)
    candidates = []
    for row in sessions_started(store, since, until, window.sources, thresholds.memo):
        ratio = _over(row.usage, thresholds["session_min_cost_usd"], thresholds["session_min_tokens"])
        if ratio and row.last_ms + link_ms <= thresholds.now_ms:
            candidates.append((row, ratio))
    if not candidates:
        return []
    linked = fq.linked_sessions(conn)
    candidates = [(row, ratio) for row, ratio in candidates if row.key not in linked]
    cwds = fq.session_cwds(conn, [row.key for row, _ in candidates])
    places = commit_queries.cwd_places(conn)
    roots = commit_queries.project_roots(conn)
    findings = []
    for row, ratio in candidates:
        projects = sorted({places[cwd][0] for cwd in cwds.get(row.key, ()) if cwd in places})
        if not projects:
            continue  # outside any repository no commit could follow
        evidence = [session_item(row, window.tz)]
        for project_id in projects:
            root = roots.get(project_id, "?")
            evidence.append(_next_commit_item(store, window, project_id, root, row.first_ms, row.last_ms))
        where = project_name(roots.get(projects[0]))
        cost = cost_of(row.usage)
        label = session_label(*row.key)
        finding = Finding(
            detector=DETECTOR,
            period_start=local_date(row.first_ms, window.tz),
            period_end=local_date(row.last_ms, window.tz),
            subject_kind="session",
            subject=label,
            severity=severity(ratio, 1.0),
            tokens=row.usage.total,
            cost_usd=cost,
            summary=(
                f"Session {label} in {where} spent {tokens(row.usage.total)} tokens ({money(cost)}) and no commit "
                f"of yours followed within {hours(link_ms)}."
            ),
            evidence=evidence,
            cannot_tell=CANNOT_TELL,
        )
        findings.append((row.key, finding))
    return findings
