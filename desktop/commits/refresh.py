"""One incremental pass over commits: map new cwds to repositories, read new commits, relink what changed.

A plain function (house rule 6): the CLI calls it after a scan, the UI runs it in the background.
A repository that is gone or that git refuses is reported in the summary and skipped; nothing here raises
for an environment problem.
"""

from __future__ import annotations

import logging
import time
import zlib
from bisect import bisect_left
from dataclasses import dataclass, field
from pathlib import Path

from desktop.commits import git, identity, linking, repos
from desktop.commits import log as history
from desktop.commits.git import GitError
from desktop.store import Store
from desktop.store import commit_queries
from desktop.store.commit_queries import ProjectRow

log = logging.getLogger(__name__)

RECHECK_MS = 24 * 3_600_000  # a cwd outside any repository is looked at again after a day


@dataclass
class CommitScanSummary:
    repos: int = 0  # repositories known and not excluded
    repos_read: int = 0  # whose branches moved since last time
    new_commits: int = 0
    removed_commits: int = 0  # no longer reachable from a local branch (amended, rebased, branch deleted)
    new_cwds: int = 0
    relinked_sessions: int = 0
    strong_links: int = 0  # after this pass, in the whole archive
    weak_links: int = 0
    identities: int = 0  # emails that are "me"; with none, no commit counts
    missing: list[str] = field(default_factory=list)  # repositories moved or deleted
    problems: list[str] = field(default_factory=list)  # repositories git could not read
    seconds: float = 0.0

    def line(self) -> str:
        text = (
            f"commits: {_count(self.repos, 'repository', 'repositories')}, {self.new_commits:+,} new commits"
            + (f", {self.removed_commits:,} gone from history" if self.removed_commits else "")
            + f", {self.strong_links + self.weak_links:,} session links ({self.strong_links:,} by files), "
            f"{self.seconds:.2f} s"
        )
        if self.repos and not self.identities:
            text += "; no identity: set git user.email or run `tokenmirror identity add EMAIL`"
        if self.missing:
            text += f"; {_count(len(self.missing), 'repository', 'repositories')} missing"
        if self.problems:
            text += f"; {len(self.problems)} unreadable"
        return text


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def refresh_commits(store: Store) -> CommitScanSummary:
    started = time.perf_counter()
    conn = store.conn
    summary = CommitScanSummary()
    try:
        git.git_binary()
    except GitError as exc:  # nothing can be read; map no cwd so that they are looked at once git is there
        summary.problems.append(str(exc))
        summary.seconds = time.perf_counter() - started
        return summary
    now_ms = int(time.time() * 1000)
    event_mark, tool_mark = commit_queries.max_ids(conn)
    last_event = commit_queries.sync_get(conn, "event_id")
    last_tool = commit_queries.sync_get(conn, "tool_call_id")

    remapped = _map_cwds(store, last_event, now_ms, summary)
    _sync_user_repos(store)
    active = [p for p in commit_queries.projects(conn) if not p.excluded]
    summary.repos = len(active)

    global_emails = identity.global_emails()
    readable: list[tuple[ProjectRow, list[str]]] = []
    for project in active:
        tips = _probe(store, project, summary)
        if tips is not None:
            readable.append((project, tips))
    emails = identity.my_emails(store, global_emails)
    summary.identities = len(emails)

    new_times: dict[int, list[int]] = {}
    for project, tips in readable:
        if list(project.heads) == tips and project.status == "ok":
            continue
        try:
            added, read, removed = _read_repo(store, project, tips, emails, now_ms)
        except GitError as exc:
            _problem(store, project, "error", str(exc), summary)
            continue
        summary.repos_read += 1
        summary.new_commits += read
        summary.removed_commits += removed
        if added:
            new_times[project.id] = sorted(added)

    window_hours = float(store.settings.get("commit_link_window_hours"))
    fingerprint = _link_fingerprint(store, emails, window_hours)
    if fingerprint != commit_queries.sync_get(conn, "link_fingerprint", -1):
        with store.transaction() as tx:
            commit_queries.update_is_mine(tx, emails)
        keys = None  # who "me" is, the window or the exclusions changed: every link is recomputed
    else:
        keys = commit_queries.sessions_with_new_activity(conn, last_event, last_tool)
        keys |= commit_queries.sessions_in_cwds(conn, remapped)
        keys |= _sessions_near(store, new_times, window_hours)
    has_commits = conn.execute('SELECT 1 FROM "commit" LIMIT 1').fetchone() is not None
    # no commit anywhere: nothing to link, and walking every session's files would only cost time
    result = linking.link_sessions(store, keys, window_hours) if has_commits else linking.LinkResult(0, 0, 0)
    with store.transaction() as tx:
        commit_queries.sync_set(tx, "event_id", event_mark)
        commit_queries.sync_set(tx, "tool_call_id", tool_mark)
        commit_queries.sync_set(tx, "link_fingerprint", fingerprint)
    summary.relinked_sessions = result.sessions
    summary.strong_links, summary.weak_links = commit_queries.link_counts(conn)
    summary.seconds = time.perf_counter() - started
    return summary


def reapply_identity(store: Store) -> int:
    """After `identity add/remove`: re-mark commits and relink, without reading any repository. Commits now mine."""
    emails = identity.my_emails(store)
    with store.transaction() as tx:
        commit_queries.update_is_mine(tx, emails)
    window_hours = float(store.settings.get("commit_link_window_hours"))
    linking.link_sessions(store, None, window_hours)
    with store.transaction() as tx:
        commit_queries.sync_set(tx, "link_fingerprint", _link_fingerprint(store, emails, window_hours))
    return commit_queries.commit_counts(store.conn)[1]


def _link_fingerprint(store: Store, emails: set[str], window_hours: float) -> int:
    """Everything links depend on besides the data: when it changes, every session is relinked."""
    excluded_ids = sorted(p.id for p in commit_queries.projects(store.conn) if p.excluded)
    return zlib.crc32(f"{sorted(emails)}|{window_hours}|{excluded_ids}".encode())


def _map_cwds(store: Store, last_event: int, now_ms: int, summary: CommitScanSummary) -> list[str]:
    """Locate the repository of each new cwd; the cwds whose repository changed."""
    excluded = repos.setting_list(store, repos.EXCLUDED_REPOS)
    changed = []
    located: dict[Path, repos.RepoLocation | None] = {}
    for cwd in commit_queries.unmapped_cwds(store.conn, last_event, now_ms - RECHECK_MS):
        summary.new_cwds += 1
        where = repos.locate(cwd, located)
        with store.transaction() as tx:
            project_id = None
            if where is not None:
                project_id = commit_queries.ensure_project(tx, str(where.root), repos.display_name(where.root),
                                                           str(where.git_dir))  # fmt: skip
                commit_queries.set_project_flags(tx, project_id, repos.is_excluded(str(where.root), excluded), False)
            toplevel = str(where.toplevel) if where else None
            if commit_queries.map_cwd(tx, cwd, project_id, toplevel, now_ms):
                changed.append(cwd)
    return changed


def _sync_user_repos(store: Store) -> None:
    """Repositories the user added are read without sessions; excluded ones are neither read nor shown."""
    excluded = repos.setting_list(store, repos.EXCLUDED_REPOS)
    extra = repos.setting_list(store, repos.EXTRA_REPOS)
    added_roots: set[str] = set()
    for path in extra:
        where = repos.locate(path)
        if where is None:
            log.info("the added repository %s is not a git repository (or is gone)", path)
            continue
        with store.transaction() as tx:
            commit_queries.ensure_project(tx, str(where.root), repos.display_name(where.root), str(where.git_dir), True)
        added_roots.add(str(where.root))
    with store.transaction() as tx:
        for project in commit_queries.projects(tx):
            is_added = project.root in added_roots
            is_excluded = repos.is_excluded(project.root, excluded)
            if (is_added, is_excluded) != (project.added_by_user, project.excluded):
                commit_queries.set_project_flags(tx, project.id, is_excluded, is_added)


def _probe(store: Store, project: ProjectRow, summary: CommitScanSummary) -> list[str] | None:
    """The repository's branch tips now (and its own user.email), or None when it cannot be read."""
    gone = repos.repo_problem(project.root, project.git_dir)
    if gone:
        _problem(store, project, "missing", gone, summary)
        return None
    git_dir = Path(project.git_dir or "")
    try:
        tips = history.branch_tips(git_dir)
        own = identity.repo_emails(git_dir)
    except GitError as exc:
        _problem(store, project, "error", str(exc), summary)
        return None
    with store.transaction() as tx:
        commit_queries.set_repo_emails(tx, project.id, sorted(own))
    return tips


def _problem(store: Store, project: ProjectRow, status: str, message: str, summary: CommitScanSummary) -> None:
    log.info("%s", message)
    (summary.missing if status == "missing" else summary.problems).append(
        project.root if status == "missing" else message
    )
    with store.transaction() as tx:
        commit_queries.set_repo_status(tx, project.id, status, message)


def _read_repo(store: Store, project: ProjectRow, tips: list[str], emails: set[str], now_ms: int) -> tuple[list[int], int, int]:
    """Bring one repository's commits up to date: (author times of my new commits, commits read, removed)."""
    git_dir = Path(project.git_dir or "")
    known = commit_queries.known_shas(store.conn, project.id)
    if not known:
        records = list(history.read_commits(git_dir, tips=tips))  # first read: one walk, nothing to compare
        gone: list[int] = []
    else:
        now = history.reachable(git_dir, tips)
        gone = [commit_id for sha, commit_id in known.items() if sha not in now]
        records = list(history.read_commits(git_dir, shas=sorted(now.difference(known))))
    with store.transaction() as tx:
        if gone:
            commit_queries.delete_commits(tx, gone)
        commit_queries.insert_commits(tx, project.id, records, emails)
        commit_queries.save_heads(tx, project.id, tips, now_ms)
    mine = [r.author_ts_ms for r in records if r.author_email.strip().lower() in emails and not r.is_merge]
    return mine, len(records), len(gone)


def _sessions_near(store: Store, new_times: dict[int, list[int]], window_hours: float) -> set[tuple[str, str]]:
    """Sessions in a repository with new commits whose link window holds one of them."""
    if not new_times:
        return set()
    window_ms = int(window_hours * linking.HOUR_MS)
    activity = commit_queries.session_activity(store.conn, None, sorted(new_times))
    places = commit_queries.cwd_places(store.conn)
    found = set()
    for key, (first, last, cwds) in activity.items():
        for cwd in cwds:
            place = places.get(cwd)
            times = new_times.get(place[0]) if place else None
            if times:
                index = bisect_left(times, first)
                if index < len(times) and times[index] <= last + window_ms:
                    found.add(key)
                    break
    return found
