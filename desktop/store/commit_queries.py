"""The SQL behind commits: repositories, commits, links, and the aggregations the commit reports use."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from desktop.periods import QUARTER_MS
from desktop.store.queries import TOKEN_SUMS

# A commit counts when it is the user's own and not a merge (a merge's lines are its parents')
MY_WORK = "c.is_mine = 1 AND c.is_merge = 0"
# ...and once: a sha seen in two clones (or in a repository that moved) belongs to one copy: a present
# repository's before a missing one's, then the one recorded first. Needs `cr` = the commit's repo_state.
FIRST_COPY = (
    'NOT EXISTS (SELECT 1 FROM "commit" d JOIN project dp ON dp.id = d.project_id '
    "LEFT JOIN repo_state dr ON dr.project_id = d.project_id "
    "WHERE d.sha = c.sha AND d.id != c.id AND dp.excluded = 0 "
    "AND (coalesce(dr.status, '') = 'missing', d.id) < (coalesce(cr.status, '') = 'missing', c.id))"
)


def range_clause(column: str, since_ms: int | None, until_ms: int | None) -> tuple[str, list]:
    """SQL that keeps `column` within the bounds given (since inclusive, until exclusive), and its parameters."""
    clauses, params = [], []
    if since_ms is not None:
        clauses.append(f"{column} >= ?")
        params.append(since_ms)
    if until_ms is not None:
        clauses.append(f"{column} < ?")
        params.append(until_ms)
    return "".join(f" AND {c}" for c in clauses), params


def commits_by_quarter(
    conn: sqlite3.Connection, since_ms: int | None, until_ms: int | None, project_ids: list[int] | None = None
) -> list[tuple]:
    """(quarter-hour index, project_id, commits, ai-trailer commits, lines added, lines removed) of my commits."""
    if project_ids is not None and not project_ids:
        return []
    where, params = range_clause("c.author_ts_ms", since_ms, until_ms)
    if project_ids is not None:
        where += f" AND c.project_id IN ({', '.join('?' * len(project_ids))})"
        params.extend(project_ids)
    return conn.execute(
        f"SELECT c.author_ts_ms / {QUARTER_MS}, c.project_id, count(*), "
        "sum(CASE WHEN coalesce(c.ai_tools, '') != '' THEN 1 ELSE 0 END), sum(c.insertions), sum(c.deletions) "
        f'FROM "commit" c JOIN project p ON p.id = c.project_id LEFT JOIN repo_state cr ON cr.project_id = c.project_id '
        f"WHERE {MY_WORK} AND p.excluded = 0 AND {FIRST_COPY}{where} "
        "GROUP BY 1, 2",
        params,
    ).fetchall()


# --- repositories and working directories ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProjectRow:
    id: int
    root: str
    excluded: bool
    added_by_user: bool
    git_dir: str | None
    heads: tuple[str, ...]
    status: str


def projects(conn: sqlite3.Connection) -> list[ProjectRow]:
    rows = conn.execute(
        "SELECT p.id, p.root_path, p.excluded, p.added_by_user, r.git_dir, coalesce(r.heads, '[]'), "
        "coalesce(r.status, 'new') FROM project p LEFT JOIN repo_state r ON r.project_id = p.id ORDER BY p.id"
    ).fetchall()
    return [ProjectRow(i, root, bool(ex), bool(add), gd, tuple(json.loads(h)), st) for i, root, ex, add, gd, h, st in rows]


def ensure_project(conn: sqlite3.Connection, root: str, name: str, git_dir: str, added_by_user: bool = False) -> int:
    """The project row for a repository root, created on first sight; its git dir is kept up to date."""
    conn.execute(
        "INSERT INTO project (root_path, display_name, added_by_user) VALUES (?, ?, ?) ON CONFLICT(root_path) DO NOTHING",
        (root, name, int(added_by_user)),
    )
    (project_id,) = conn.execute("SELECT id FROM project WHERE root_path = ?", (root,)).fetchone()
    if added_by_user:
        conn.execute("UPDATE project SET added_by_user = 1 WHERE id = ?", (project_id,))
    conn.execute(
        "INSERT INTO repo_state (project_id, git_dir) VALUES (?, ?) "
        "ON CONFLICT(project_id) DO UPDATE SET git_dir = excluded.git_dir",
        (project_id, git_dir),
    )
    return project_id


def set_project_flags(conn: sqlite3.Connection, project_id: int, excluded: bool, added_by_user: bool) -> None:
    conn.execute(
        "UPDATE project SET excluded = ?, added_by_user = ? WHERE id = ?", (int(excluded), int(added_by_user), project_id)
    )


def set_repo_status(conn: sqlite3.Connection, project_id: int, status: str, message: str | None = None) -> None:
    conn.execute(
        "INSERT INTO repo_state (project_id, status, message) VALUES (?, ?, ?) "
        "ON CONFLICT(project_id) DO UPDATE SET status = excluded.status, message = excluded.message",
        (project_id, status, message),
    )


def set_repo_emails(conn: sqlite3.Connection, project_id: int, emails: list[str]) -> None:
    conn.execute("UPDATE repo_state SET emails = ? WHERE project_id = ?", (json.dumps(sorted(emails)), project_id))


def repo_emails(conn: sqlite3.Connection) -> list[str]:
    """Each repository's own user.email list (JSON), as last read."""
    return [r[0] for r in conn.execute("SELECT emails FROM repo_state")]


def repo_emails_by_root(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT p.root_path, r.emails FROM repo_state r JOIN project p ON p.id = r.project_id ORDER BY 1"
    ).fetchall()


def repo_problems(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """(root, status, message) of repositories that could not be read last time."""
    return conn.execute(
        "SELECT p.root_path, r.status, coalesce(r.message, '') FROM repo_state r JOIN project p ON p.id = r.project_id "
        "WHERE r.status IN ('missing', 'error') AND p.excluded = 0 ORDER BY 1"
    ).fetchall()


def unmapped_cwds(conn: sqlite3.Connection, after_event_id: int, recheck_before_ms: int) -> list[str]:
    """Working directories of events newer than the mark not mapped yet, plus non-repository ones due a recheck."""
    fresh = conn.execute(
        "SELECT DISTINCT e.project_path FROM usage_event e WHERE e.id > ? AND e.project_path IS NOT NULL "
        "AND e.project_path != '' AND NOT EXISTS (SELECT 1 FROM project_cwd pc WHERE pc.cwd = e.project_path)",
        (after_event_id,),
    ).fetchall()
    stale = conn.execute(
        "SELECT cwd FROM project_cwd WHERE project_id IS NULL AND checked_ms < ?", (recheck_before_ms,)
    ).fetchall()
    return sorted({r[0] for r in fresh} | {r[0] for r in stale})


def map_cwd(conn: sqlite3.Connection, cwd: str, project_id: int | None, toplevel: str | None, now_ms: int) -> bool:
    """Record where cwd belongs; True when that changed what it was mapped to."""
    before = conn.execute("SELECT project_id FROM project_cwd WHERE cwd = ?", (cwd,)).fetchone()
    conn.execute(
        "INSERT INTO project_cwd (cwd, project_id, toplevel, checked_ms) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(cwd) DO UPDATE SET project_id = excluded.project_id, toplevel = excluded.toplevel, "
        "checked_ms = excluded.checked_ms",
        (cwd, project_id, toplevel, now_ms),
    )
    return before is None or before[0] != project_id


def cwd_places(conn: sqlite3.Connection) -> dict[str, tuple[int, str]]:
    """cwd -> (project id, work tree holding it) for cwds inside a repository that is not excluded."""
    return {
        cwd: (pid, top)
        for cwd, pid, top in conn.execute(
            "SELECT pc.cwd, pc.project_id, pc.toplevel FROM project_cwd pc JOIN project p ON p.id = pc.project_id "
            "WHERE p.excluded = 0"
        )
    }


def cwd_roots(conn: sqlite3.Connection) -> dict[str, str]:
    """cwd -> repository root, for cwds inside a repository that is not excluded."""
    return dict(
        conn.execute(
            "SELECT pc.cwd, p.root_path FROM project_cwd pc JOIN project p ON p.id = pc.project_id WHERE p.excluded = 0"
        ).fetchall()
    )


def project_roots(conn: sqlite3.Connection) -> dict[int, str]:
    return dict(conn.execute("SELECT id, root_path FROM project WHERE excluded = 0").fetchall())


# --- commits ----------------------------------------------------------------------------------------


def known_shas(conn: sqlite3.Connection, project_id: int) -> dict[str, int]:
    return dict(conn.execute('SELECT sha, id FROM "commit" WHERE project_id = ?', (project_id,)).fetchall())


def delete_commits(conn: sqlite3.Connection, ids: list[int]) -> None:
    """Gone from history: the commit, its files and its links (ON DELETE CASCADE)."""
    conn.executemany('DELETE FROM "commit" WHERE id = ?', [(i,) for i in ids])


def insert_commits(conn: sqlite3.Connection, project_id: int, records: list, emails: set[str]) -> int:
    """Store commits (CommitRecord-like) and their files; ones already stored are left as they are."""
    before = known_shas(conn, project_id)
    records = [r for r in records if r.sha not in before]
    conn.executemany(
        'INSERT INTO "commit" (project_id, sha, author_name, author_email, author_ts_ms, committer_ts_ms, is_merge, '
        "insertions, deletions, files_changed, subject, ai_tools, is_mine) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(project_id, sha) DO NOTHING",
        [
            (project_id, r.sha, r.author_name, r.author_email, r.author_ts_ms, r.committer_ts_ms, int(r.is_merge),
             r.insertions, r.deletions, len(r.files), r.subject, ",".join(r.ai_tools) or None,
             int(r.author_email.strip().lower() in emails))
            for r in records
        ],
    )  # fmt: skip
    ids = known_shas(conn, project_id)
    conn.executemany(
        "INSERT INTO commit_file (commit_id, path, insertions, deletions) VALUES (?, ?, ?, ?)",
        [(ids[r.sha], path, added, removed) for r in records for path, added, removed in r.files],
    )
    return len(records)


def save_heads(conn: sqlite3.Connection, project_id: int, heads: list[str], now_ms: int) -> None:
    conn.execute(
        "UPDATE repo_state SET heads = ?, status = 'ok', message = NULL, last_read_ms = ? WHERE project_id = ?",
        (json.dumps(heads), now_ms, project_id),
    )


def update_is_mine(conn: sqlite3.Connection, emails: set[str]) -> int:
    """Re-mark every commit against the identity; how many changed."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS identity_email (email TEXT PRIMARY KEY)")
    conn.execute("DELETE FROM identity_email")
    conn.executemany("INSERT OR IGNORE INTO identity_email VALUES (?)", [(e,) for e in emails])
    mine = "(lower(trim(author_email)) IN (SELECT email FROM identity_email))"
    return conn.execute(f'UPDATE "commit" SET is_mine = {mine} WHERE is_mine != {mine}').rowcount


def commit_counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """(commits stored, of them mine and not merges: the ones reports count)."""
    row = conn.execute('SELECT count(*), coalesce(sum(is_mine AND NOT is_merge), 0) FROM "commit"').fetchone()
    return row[0], row[1]


# --- links ------------------------------------------------------------------------------------------


def sync_get(conn: sqlite3.Connection, key: str, default: int = 0) -> int:
    row = conn.execute("SELECT value FROM commit_sync WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def sync_set(conn: sqlite3.Connection, key: str, value: int) -> None:
    conn.execute(
        "INSERT INTO commit_sync (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def max_ids(conn: sqlite3.Connection) -> tuple[int, int]:
    """(highest usage_event id, highest tool_call id): marks for "what is new since the last relink"."""
    event = conn.execute("SELECT coalesce(max(id), 0) FROM usage_event").fetchone()[0]
    tool = conn.execute("SELECT coalesce(max(id), 0) FROM tool_call").fetchone()[0]
    return event, tool


def sessions_with_new_activity(conn: sqlite3.Connection, after_event: int, after_tool: int) -> set[tuple[str, str]]:
    rows = conn.execute(
        "SELECT DISTINCT source, session_id FROM usage_event WHERE id > ? AND session_id IS NOT NULL "
        "UNION SELECT DISTINCT source, session_id FROM tool_call WHERE id > ? AND session_id IS NOT NULL",
        (after_event, after_tool),
    ).fetchall()
    return {(s, i) for s, i in rows}


def sessions_in_cwds(conn: sqlite3.Connection, cwds: list[str]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for start in range(0, len(cwds), 500):
        part = cwds[start : start + 500]
        found |= {
            (s, i)
            for s, i in conn.execute(
                f"SELECT DISTINCT source, session_id FROM usage_event WHERE session_id IS NOT NULL "
                f"AND project_path IN ({', '.join('?' * len(part))})",
                part,
            )
        }
    return found


def _keys_table(conn: sqlite3.Connection, keys: set[tuple[str, str]] | None) -> str:
    """A join restricting a query to the given sessions ('' for all sessions)."""
    if keys is None:
        return ""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS link_key (source TEXT, session_id TEXT, PRIMARY KEY (source, session_id))")
    conn.execute("DELETE FROM link_key")
    conn.executemany("INSERT OR IGNORE INTO link_key VALUES (?, ?)", sorted(keys))
    return " JOIN temp.link_key k ON k.source = x.source AND k.session_id = x.session_id"


def session_activity(
    conn: sqlite3.Connection, keys: set[tuple[str, str]] | None, project_ids: list[int] | None = None
) -> dict[tuple[str, str], tuple[int, int, set[str]]]:
    """(first ts, last ts, cwds) of each session (all sessions when keys is None)."""
    join = _keys_table(conn, keys)
    where = "x.session_id IS NOT NULL"
    params: list = []
    if project_ids is not None:
        where += (
            " AND x.project_path IN (SELECT cwd FROM project_cwd WHERE project_id IN "
            f"({', '.join('?' * len(project_ids))}))"
        )
        params = list(project_ids)
    result: dict[tuple[str, str], tuple[int, int, set[str]]] = {}
    for source, session_id, cwd, first, last in conn.execute(
        f"SELECT x.source, x.session_id, x.project_path, min(x.ts_ms), max(x.ts_ms) FROM usage_event x{join} "
        f"WHERE {where} GROUP BY 1, 2, 3",
        params,
    ):
        key = (source, session_id)
        if key in result:
            f, l, cwds = result[key]
            result[key] = (min(f, first), max(l, last), cwds)
        else:
            cwds = set()
            result[key] = (first, last, cwds)
        if cwd:
            cwds.add(cwd)
    if project_ids is not None and result:  # the span covers all of a session's events, not only these cwds'
        full = session_activity(conn, set(result))
        return {k: full[k] for k in result if k in full}
    return result


def session_files(conn: sqlite3.Connection, keys: set[tuple[str, str]] | None) -> dict[tuple[str, str], set[str]]:
    """File paths each session's tool calls edited."""
    join = _keys_table(conn, keys)
    result: dict[tuple[str, str], set[str]] = {}
    for source, session_id, path in conn.execute(
        f"SELECT DISTINCT x.source, x.session_id, x.file_path FROM tool_call x{join} WHERE x.file_path IS NOT NULL"
    ):
        result.setdefault((source, session_id), set()).add(path)
    return result


def linkable_commits(conn: sqlite3.Connection, project_id: int) -> list[tuple[int, int]]:
    """(author ts, id) of my non-merge commits in a project, in time order."""
    return conn.execute(
        f'SELECT c.author_ts_ms, c.id FROM "commit" c WHERE c.project_id = ? AND {MY_WORK} ORDER BY 1, 2',
        (project_id,),
    ).fetchall()


def commit_paths(conn: sqlite3.Connection, ids: list[int]) -> dict[int, set[str]]:
    result: dict[int, set[str]] = {i: set() for i in ids}
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        for commit_id, path in conn.execute(
            f"SELECT commit_id, path FROM commit_file WHERE commit_id IN ({', '.join('?' * len(part))})", part
        ):
            result[commit_id].add(path)
    return result


def replace_links(
    conn: sqlite3.Connection, keys: set[tuple[str, str]] | None, links: list[tuple[str, str, int, str, int]]
) -> None:
    """Swap the links of these sessions (all when keys is None) for (source, session, commit, method, overlap)."""
    if keys is None:
        conn.execute("DELETE FROM session_commit")
    else:
        conn.executemany("DELETE FROM session_commit WHERE source = ? AND session_id = ?", sorted(keys))
    conn.executemany(
        "INSERT INTO session_commit (source, session_id, commit_id, method, overlap_files) VALUES (?, ?, ?, ?, ?)", links
    )


def link_counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """(strong links, weak links)."""
    row = conn.execute(
        "SELECT coalesce(sum(method = 'strong'), 0), coalesce(sum(method = 'weak'), 0) FROM session_commit"
    ).fetchone()
    return row[0], row[1]


def session_links(conn: sqlite3.Connection, source: str, session_id: str) -> list[tuple]:
    """(sha, subject, author ts, method, overlap files, project root) of one session's linked commits."""
    return conn.execute(
        "SELECT c.sha, c.subject, c.author_ts_ms, sc.method, sc.overlap_files, p.root_path FROM session_commit sc "
        'JOIN "commit" c ON c.id = sc.commit_id JOIN project p ON p.id = c.project_id '
        "WHERE sc.source = ? AND sc.session_id = ? ORDER BY c.author_ts_ms",
        (source, session_id),
    ).fetchall()


# --- reports ----------------------------------------------------------------------------------------

_LINKED = (
    "SELECT DISTINCT sc.source, sc.session_id FROM session_commit sc "
    'JOIN "commit" c ON c.id = sc.commit_id JOIN project p ON p.id = c.project_id '
    f"WHERE {MY_WORK} AND p.excluded = 0"
)


def tokens_by_session_quarter(
    conn: sqlite3.Connection, since_ms: int | None, until_ms: int | None, sources: list[str] | None = None
) -> list[tuple]:
    """(quarter-hour, project id or None, source, session, linked to one of my commits, *TOKEN_SUMS)."""
    where, params = range_clause("e.ts_ms", since_ms, until_ms)
    if sources:
        where += f" AND e.source IN ({', '.join('?' * len(sources))})"
        params.extend(sources)
    return conn.execute(
        f"WITH linked AS ({_LINKED}) "
        f"SELECT e.ts_ms / {QUARTER_MS}, pp.id, e.source, e.session_id, max(l.session_id IS NOT NULL), {TOKEN_SUMS} "
        "FROM usage_event e LEFT JOIN project_cwd pc ON pc.cwd = e.project_path "
        "LEFT JOIN project pp ON pp.id = pc.project_id AND pp.excluded = 0 "
        "LEFT JOIN linked l ON l.source = e.source AND l.session_id = e.session_id "
        f"WHERE 1 = 1{where} GROUP BY 1, 2, 3, 4",
        params,
    ).fetchall()


def find_projects(conn: sqlite3.Connection, name: str) -> list[int]:
    """Projects (not excluded) whose root path or display name is `name`."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT id FROM project WHERE excluded = 0 AND (root_path = ? OR display_name = ? OR root_path = rtrim(?, '/'))",
            (name, name, name),
        )
    ]
