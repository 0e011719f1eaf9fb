"""abandoned work: a costly session that edited files in a repository, none of which reached a commit of
yours between the session's start and `grace_hours` after its end. A session is judged once that
grace has passed.

Edited files are the paths of the session's successful edit tool calls; they are absolute (or relative to
the session's cwd), commits name repository-relative paths, so each path is made relative to the work
tree that holds the session's cwd (project_cwd.toplevel) before comparing. Files outside any repository
are left out.
"""

from __future__ import annotations

from bisect import bisect_left

from desktop.commits.linking import relative_paths
from desktop.formatting import money, tokens
from desktop.insights.common import (
    HOUR_MS,
    MAX_ITEMS,
    commit_item,
    cost_of,
    more_item,
    project_name,
    session_item,
    session_label,
    sessions_started,
)
from desktop.insights.model import Finding, severity
from desktop.insights.thresholds import Thresholds
from desktop.periods import local_date
from desktop.reports.usage import Window
from desktop.store import Store, commit_queries
from desktop.store import finding_queries as fq

DETECTOR = "abandoned_work"
CANNOT_TELL = (
    "Edits you reverted on purpose, scratch files, ignored files, and work committed under an email outside "
    "your identity or squashed into someone else's commit all look abandoned."
)


def detect(store: Store, window: Window, thresholds: Thresholds) -> list[Finding]:
    conn = store.conn
    since, until = window.bounds_ms()
    grace_ms = int(thresholds["grace_hours"] * HOUR_MS)
    min_cost, min_tokens = thresholds["min_cost_usd"], thresholds["min_tokens"]
    costly = []
    for row in sessions_started(store, since, until, window.sources, thresholds.memo):
        ratio = max(
            row.usage.cost / min_cost if min_cost else 0.0,
            row.usage.total / min_tokens if min_tokens else 0.0,
        )
        if ratio >= 1 and row.last_ms + grace_ms <= thresholds.now_ms:
            costly.append((row, ratio))
    if not costly:
        return []
    keys = [row.key for row, _ in costly]
    edits = fq.session_edits(conn, keys)
    cwds = fq.session_cwds(conn, keys)
    places = commit_queries.cwd_places(conn)
    roots = commit_queries.project_roots(conn)
    committed: dict[int, dict[str, list[int]]] = {}
    resolved: dict[tuple, list[str]] = {}
    findings = []
    for row, ratio in costly:
        edited = edits.get(row.key)
        if not edited:
            continue
        by_project: dict[int, list[tuple[str, str]]] = {}
        for cwd in cwds.get(row.key, ()):
            if cwd in places:
                by_project.setdefault(places[cwd][0], []).append((cwd, places[cwd][1]))
        files: list[tuple[str, int, str]] = []  # (repository-relative path, edits, repository root)
        reached = False
        for project_id, where in sorted(by_project.items()):
            if project_id not in committed:
                committed[project_id] = fq.commit_times_of_paths(conn, project_id)
            times = committed[project_id]
            for path, count in sorted(edited.items()):
                for rel in _inside(path, where, resolved):
                    when = times.get(rel, [])
                    first = bisect_left(when, row.first_ms)
                    reached = reached or (first < len(when) and when[first] <= row.last_ms + grace_ms)
                    files.append((rel, count, roots.get(project_id, "?")))
        if reached or not files:
            continue
        findings.append(_finding(store, window, row, ratio, files, by_project, roots, row.last_ms + grace_ms))
    return findings


def _inside(path: str, where: list[tuple[str, str]], resolved: dict[tuple, list[str]]) -> list[str]:
    """The repository-relative forms of an edited path; remembered, as sessions share folders and files."""
    key = (path, tuple(where))
    if key not in resolved:
        resolved[key] = sorted(relative_paths([path], where))
    return resolved[key]


def _finding(
    store: Store,
    window: Window,
    row: fq.SessionRow,
    ratio: float,
    files: list[tuple[str, int, str]],
    by_project: dict[int, list],
    roots: dict[int, str],
    deadline_ms: int,
) -> Finding:
    evidence = [session_item(row, window.tz, edited_files=len(files))]
    ranked = sorted(files, key=lambda f: (-f[1], f[0]))
    evidence += [
        {"kind": "file", "path": rel, "project": root, "edits": n} for rel, n, root in ranked[:MAX_ITEMS]
    ]
    evidence += more_item(len(ranked) - MAX_ITEMS, "files")
    for project_id in sorted(by_project):
        root = roots.get(project_id, "?")
        for found in fq.my_commits_after(
            store.conn, project_id, row.first_ms, limit=3, before_ms=deadline_ms + 1
        ):
            evidence.append(
                commit_item(found, window.tz, root, "a commit of yours meanwhile, without these files")
            )
    cost = cost_of(row.usage)
    label = session_label(*row.key)
    where = project_name(ranked[0][2])
    count = len(files)
    return Finding(
        detector=DETECTOR,
        period_start=local_date(row.first_ms, window.tz),
        period_end=local_date(row.last_ms, window.tz),
        subject_kind="session",
        subject=label,
        severity=severity(ratio, 1.0),
        tokens=row.usage.total,
        cost_usd=cost,
        summary=(
            f"Session {label} in {where} spent {tokens(row.usage.total)} tokens ({money(cost)}) editing "
            f"{count} file{'s' if count != 1 else ''}; none of {'them' if count != 1 else 'it'} reached a commit "
            "of yours."
        ),
        evidence=evidence,
        cannot_tell=CANNOT_TELL,
    )
