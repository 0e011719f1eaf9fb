"""Which commits a session plausibly produced.

A session is linked to each of the user's own non-merge commits in a repository it worked in whose
author time falls between the session's first event and `commit_link_window_hours` after its last.
The link is strong when a file the session's tool calls edited is among the commit's files, weak when
only the time fits. The method and the number of shared files are stored with the link.
"""

from __future__ import annotations

import os
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from desktop.store import Store
from desktop.store import commit_queries

HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class LinkResult:
    sessions: int  # sessions whose links were recomputed
    strong: int
    weak: int


def link_sessions(store: Store, keys: set[tuple[str, str]] | None, window_hours: float) -> LinkResult:
    """Recompute the links of these sessions (every session when keys is None) in one transaction."""
    conn = store.conn
    if keys is not None and not keys:
        return LinkResult(0, 0, 0)
    window_ms = int(window_hours * HOUR_MS)
    activity = commit_queries.session_activity(conn, keys)
    files = commit_queries.session_files(conn, keys)
    places = commit_queries.cwd_places(conn)
    timelines: dict[int, tuple[list[int], list[int]]] = {}
    paths: dict[int, set[str]] = {}
    links: list[tuple[str, str, int, str, int]] = []
    for (source, session_id), (first, last, cwds) in activity.items():
        by_project: dict[int, list[tuple[str, str]]] = {}
        for cwd in cwds:
            place = places.get(cwd)
            if place:
                by_project.setdefault(place[0], []).append((cwd, place[1]))
        for project_id, where in by_project.items():
            if project_id not in timelines:
                found = commit_queries.linkable_commits(conn, project_id)
                timelines[project_id] = ([t for t, _ in found], [i for _, i in found])
            times, ids = timelines[project_id]
            candidates = ids[bisect_left(times, first) : bisect_right(times, last + window_ms)]
            if not candidates:
                continue
            edited = relative_paths(files.get((source, session_id), ()), where)
            missing = [c for c in candidates if c not in paths]
            if edited and missing:
                paths.update(commit_queries.commit_paths(conn, missing))
            for commit_id in candidates:
                overlap = len(edited & paths[commit_id]) if edited else 0
                links.append((source, session_id, commit_id, "strong" if overlap else "weak", overlap))
    with store.transaction() as tx:
        commit_queries.replace_links(tx, keys, links)
    strong = sum(1 for link in links if link[3] == "strong")
    return LinkResult(len(activity), strong, len(links) - strong)


def relative_paths(files: Iterable[str], places: list[tuple[str, str]]) -> set[str]:
    """Edited files as paths inside the repository ('/'-separated), for each work tree the session was in."""
    tops: list[tuple[str, str]] = []
    for cwd, top in places:
        for base in {top, os.path.realpath(top)}:
            tops.append((cwd, base.rstrip("/\\")))
    found: set[str] = set()
    for path in files:
        for cwd, base in tops:
            full = os.path.normpath(path if os.path.isabs(path) else os.path.join(cwd, path))
            if full.startswith(base + os.sep):
                found.add(full[len(base) + 1 :].replace(os.sep, "/"))
    return found
