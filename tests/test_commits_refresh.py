"""refresh_commits on real repositories: discovery, worktrees, submodules, rewrites, deletions, identity."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from desktop.commits import repos
from desktop.commits.refresh import reapply_identity, refresh_commits
from desktop.periods import zone
from desktop.reports.commits import commits_by_day, commits_report
from desktop.reports.usage import Window
from desktop.store import Store
from desktop.store.settings import DEFAULTS
from tests.helpers import scan
from tests.logs import at, claude_assistant, claude_file, tool_use, write_lines
from tests.test_commits_git import OTHER, commit, git_global, init, lines, sh  # noqa: F401 (fixture)

UTC = Window(tz=zone("UTC"))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "data" / "archive.sqlite")
    yield s
    s.close()


def session(home: Path, sid: str, cwd: Path, start: str, *, edits: list[Path] = (), calls: int = 2) -> None:
    """A Claude Code session in cwd: `calls` calls of 150 tokens from `start`, a minute apart, then the edits."""
    out = [claude_assistant(at(start, 60 * i), f"{sid}-m{i}", f"{sid}-r{i}", session=sid, cwd=str(cwd), input=100,
                            output=50) for i in range(calls)]  # fmt: skip
    for j, path in enumerate(edits):
        block = tool_use(f"{sid}-t{j}", "Edit", file_path=str(path), old_string="a", new_string="b")
        out.append(claude_assistant(at(start, 60 * calls + j), f"{sid}-e{j}", f"{sid}-re{j}", session=sid,
                                    cwd=str(cwd), input=0, output=0, block=block))  # fmt: skip
    write_lines(claude_file(home, sid, project=str(cwd)), out)


def links(store: Store) -> set[tuple[str, str, str, int]]:
    """(session, commit subject, method, overlap)."""
    return set(
        store.conn.execute(
            'SELECT sc.session_id, c.subject, sc.method, sc.overlap_files FROM session_commit sc JOIN "commit" c '
            "ON c.id = sc.commit_id"
        ).fetchall()
    )


def subjects(store: Store, mine_only: bool = False) -> list[str]:
    where = " WHERE is_mine = 1" if mine_only else ""
    return [r[0] for r in store.conn.execute(f'SELECT subject FROM "commit"{where} ORDER BY author_ts_ms, subject')]


def test_commits_of_a_session_cwd_are_read_and_only_mine_count(store: Store, isolated_home: Path, tmp_path: Path) -> None:
    repo = init(tmp_path / "shop")
    commit(repo, {"src/app.py": lines(10), "README.md": lines(2)}, "initial", when="2026-03-01T08:00:00")
    commit(repo, {"src/app.py": lines(9) + "x\ny\nz\n"}, "feature\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
           when="2026-03-02T10:00:00")  # fmt: skip
    commit(repo, {"docs/guide.md": lines(5)}, "docs", when="2026-03-02T11:00:00")
    commit(repo, {"src/app.py": lines(4)}, "colleague", when="2026-03-02T12:00:00", author=OTHER)
    session(isolated_home, "s1", repo / "src", "2026-03-02T09:00:00")  # a subfolder finds the repository
    scan(store, isolated_home)
    summary = refresh_commits(store)
    assert (summary.repos, summary.repos_read, summary.new_commits, summary.new_cwds) == (1, 1, 4, 1)
    assert subjects(store, mine_only=True) == ["initial", "feature", "docs"]
    days = commits_by_day(store, UTC)
    assert {d.isoformat(): (c.commits, c.ai_trailer_commits, c.lines_added, c.lines_removed) for d, c in days.items()} == {
        "2026-03-01": (1, 0, 12, 0),
        "2026-03-02": (2, 1, 3 + 5, 1),
    }
    row = store.conn.execute('SELECT ai_tools, insertions, deletions, files_changed FROM "commit" WHERE subject = ?',
                             ("feature",)).fetchone()  # fmt: skip
    assert row == ("claude", 3, 1, 1)
    again = refresh_commits(store)  # warm: nothing moved
    assert (again.repos_read, again.new_commits, again.new_cwds, again.relinked_sessions) == (0, 0, 0, 0)


def test_days_follow_the_zone(store: Store, isolated_home: Path, tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    commit(repo, {"a": "1\n"}, "late evening in New York", when="2026-03-03T02:30:00")
    session(isolated_home, "s1", repo, "2026-03-03T01:00:00")
    scan(store, isolated_home)
    refresh_commits(store)
    assert list(commits_by_day(store, Window(tz=zone("UTC")))) == [ms_day("2026-03-03")]
    assert list(commits_by_day(store, Window(tz=zone("America/New_York")))) == [ms_day("2026-03-02")]
    assert commits_by_day(store, Window(tz=zone("UTC"), since=ms_day("2026-03-04"))) == {}


def ms_day(text: str):
    from datetime import date

    return date.fromisoformat(text)


def test_new_commits_are_read_incrementally_and_rewritten_history_replaces_the_old(
    store: Store, isolated_home: Path, tmp_path: Path
) -> None:
    """Counted: commits reachable from a local branch (or HEAD) now. Amended, rebased or deleted ones go."""
    repo = init(tmp_path / "r")
    commit(repo, {"a.py": lines(3)}, "base", when="2026-03-02T08:00:00")
    session(isolated_home, "s1", repo, "2026-03-02T09:00:00", edits=[repo / "a.py"])
    scan(store, isolated_home)
    refresh_commits(store)
    commit(repo, {"a.py": lines(4)}, "wip", when="2026-03-02T10:00:00")
    summary = refresh_commits(store)
    assert (summary.repos_read, summary.new_commits, summary.removed_commits) == (1, 1, 0)
    assert links(store) == {("s1", "wip", "strong", 1)}

    sh(repo, "commit", "-q", "--amend", "-m", "wip, reworded", when="2026-03-02T10:05:00")  # author date kept
    summary = refresh_commits(store)
    assert (summary.new_commits, summary.removed_commits) == (1, 1)
    assert subjects(store) == ["base", "wip, reworded"]
    assert links(store) == {("s1", "wip, reworded", "strong", 1)}

    sh(repo, "checkout", "-q", "-b", "topic", "HEAD~1")
    commit(repo, {"b.py": lines(2)}, "topic one", when="2026-03-02T11:00:00")
    commit(repo, {"b.py": lines(5)}, "topic two", when="2026-03-02T11:30:00")
    assert refresh_commits(store).new_commits == 2  # another local branch counts too
    sh(repo, "rebase", "-q", "main", when="2026-03-02T12:00:00")
    summary = refresh_commits(store)
    assert (summary.new_commits, summary.removed_commits) == (2, 2)
    assert subjects(store) == ["base", "wip, reworded", "topic one", "topic two"]
    assert store.conn.execute('SELECT count(*) FROM "commit"').fetchone()[0] == 4
    sh(repo, "checkout", "-q", "main")
    sh(repo, "branch", "-q", "-D", "topic")
    summary = refresh_commits(store)
    assert (summary.new_commits, summary.removed_commits) == (0, 2)
    assert subjects(store) == ["base", "wip, reworded"]
    assert store.conn.execute("SELECT count(*) FROM commit_file").fetchone()[0] == 2  # files went with them


def test_a_worktree_belongs_to_its_repository_and_links_by_its_own_paths(
    store: Store, isolated_home: Path, tmp_path: Path
) -> None:
    repo = init(tmp_path / "main")
    commit(repo, {"src/core.py": lines(3)}, "base", when="2026-03-01T08:00:00")
    worktree = tmp_path / "main-feature"
    sh(repo, "worktree", "add", "-q", "-b", "feature", str(worktree))
    session(isolated_home, "wt", worktree, "2026-03-02T09:00:00", edits=[worktree / "src" / "core.py"])
    scan(store, isolated_home)
    commit(worktree, {"src/core.py": lines(6)}, "feature work", when="2026-03-02T10:00:00")
    refresh_commits(store)
    roots = [r[0] for r in store.conn.execute("SELECT root_path FROM project")]
    assert roots == [str(repo.resolve())]
    assert store.conn.execute("SELECT cwd, toplevel FROM project_cwd").fetchall() == [(str(worktree), str(worktree))]
    assert subjects(store) == ["base", "feature work"]
    assert links(store) == {("wt", "feature work", "strong", 1)}


def test_a_submodule_is_its_own_repository(store: Store, isolated_home: Path, tmp_path: Path) -> None:
    lib = init(tmp_path / "lib-origin")
    commit(lib, {"lib.py": lines(2)}, "lib start", when="2026-03-01T08:00:00")
    app = init(tmp_path / "app")
    commit(app, {"app.py": lines(2)}, "app start", when="2026-03-01T09:00:00")
    sh(app, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "vendor/lib")
    sh(app, "commit", "-q", "-m", "add lib", when="2026-03-01T10:00:00")
    sub = app / "vendor" / "lib"
    session(isolated_home, "s1", sub, "2026-03-02T09:00:00", edits=[sub / "lib.py"])
    scan(store, isolated_home)
    commit(sub, {"lib.py": lines(3)}, "lib fix", when="2026-03-02T10:00:00")
    refresh_commits(store)
    where = repos.locate(str(sub))
    assert where is not None and where.root == sub.resolve() and "modules" in where.git_dir.parts
    assert [r[0] for r in store.conn.execute("SELECT root_path FROM project")] == [str(sub.resolve())]
    assert subjects(store) == ["lib start", "lib fix"]
    assert links(store) == {("s1", "lib fix", "strong", 1)}


def test_a_deleted_repository_is_reported_and_its_commits_stay(store: Store, isolated_home: Path, tmp_path: Path) -> None:
    repo = init(tmp_path / "gone")
    commit(repo, {"a": "1\n"}, "kept", when="2026-03-02T10:00:00")
    session(isolated_home, "s1", repo, "2026-03-02T09:00:00")
    scan(store, isolated_home)
    refresh_commits(store)
    shutil.rmtree(repo)
    summary = refresh_commits(store)
    assert summary.missing == [str(repo.resolve())] and summary.problems == []
    assert "1 repository missing" in summary.line()
    assert subjects(store) == ["kept"]
    assert links(store) == {("s1", "kept", "weak", 0)}
    assert sum(d.commits for d in commits_by_day(store, UTC).values()) == 1


def test_cwds_outside_repositories_and_gone_cwds(store: Store, isolated_home: Path, tmp_path: Path) -> None:
    plain = tmp_path / "notes"
    plain.mkdir()
    repo = init(tmp_path / "r")
    commit(repo, {"a": "1\n"}, "one", when="2026-03-02T10:00:00")
    session(isolated_home, "s1", plain, "2026-03-02T09:00:00")
    session(isolated_home, "s2", repo / "deleted" / "sub", "2026-03-02T09:00:00")  # resolves through its parents
    scan(store, isolated_home)
    refresh_commits(store)
    mapped = dict(store.conn.execute("SELECT cwd, project_id IS NOT NULL FROM project_cwd").fetchall())
    assert mapped == {str(plain): 0, str(repo / "deleted" / "sub"): 1}
    assert links(store) == {("s2", "one", "weak", 0)}


def test_identity_comes_from_repo_config_and_settings(store: Store, isolated_home: Path, tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    sh(repo, "config", "user.email", "me@work.example")
    commit(repo, {"a": "1\n"}, "as global me", when="2026-03-02T10:00:00")
    commit(repo, {"b": "1\n"}, "as work me", when="2026-03-02T10:10:00", author=("Dev Me", "me@work.example"))
    commit(repo, {"c": "1\n"}, "by ann", when="2026-03-02T10:20:00", author=OTHER)
    commit(repo, {"d": "1\n"}, "by aider", when="2026-03-02T10:30:00", author=("Dev Me (aider)", "ME@example.com"))
    session(isolated_home, "s1", repo, "2026-03-02T09:00:00")
    scan(store, isolated_home)
    refresh_commits(store)
    assert subjects(store, mine_only=True) == ["as global me", "as work me", "by aider"]
    assert {s for _, s, _, _ in links(store)} == {"as global me", "as work me", "by aider"}
    assert store.conn.execute("SELECT ai_tools FROM \"commit\" WHERE subject = 'by aider'").fetchone() == ("aider",)
    store.settings.set("identity_emails", [OTHER[1]])
    assert reapply_identity(store) == 4
    assert {s for _, s, _, _ in links(store)} == {"as global me", "as work me", "by ann", "by aider"}
    store.settings.set("identity_emails", [])
    summary = refresh_commits(store)  # the identity changed since the last pass: every session relinked
    assert summary.relinked_sessions == 1
    assert subjects(store, mine_only=True) == ["as global me", "as work me", "by aider"]


def test_links_respect_the_window_setting(store: Store, isolated_home: Path, tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    commit(repo, {"a": "1\n"}, "an hour later", when="2026-03-02T10:01:00")
    commit(repo, {"b": "1\n"}, "eleven hours later", when="2026-03-02T21:00:00")
    commit(repo, {"c": "1\n"}, "next day", when="2026-03-03T09:00:00")
    commit(repo, {"d": "1\n"}, "before", when="2026-03-02T08:59:00")
    session(isolated_home, "s1", repo, "2026-03-02T09:00:00")  # last event 09:01
    scan(store, isolated_home)
    refresh_commits(store)
    assert {s for _, s, _, _ in links(store)} == {"an hour later", "eleven hours later"}
    store.settings.set("commit_link_window_hours", 2)
    refresh_commits(store)
    assert {s for _, s, _, _ in links(store)} == {"an hour later"}


def test_user_added_and_excluded_repositories(
    store: Store, isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(DEFAULTS, repos.EXTRA_REPOS, [])  # until the lead declares them in settings.py
    monkeypatch.setitem(DEFAULTS, repos.EXCLUDED_REPOS, [])
    added = init(tmp_path / "side-project")
    commit(added, {"a": "1\n"}, "no session here", when="2026-03-02T10:00:00")
    secret = init(tmp_path / "work" / "secret")
    commit(secret, {"a": "1\n"}, "secret", when="2026-03-02T10:00:00")
    session(isolated_home, "s1", secret, "2026-03-02T09:00:00")
    store.settings.set(repos.EXTRA_REPOS, [str(added)])
    store.settings.set(repos.EXCLUDED_REPOS, [str(tmp_path / "work")])
    scan(store, isolated_home)
    summary = refresh_commits(store)
    assert summary.repos == 1 and subjects(store) == ["no session here"]
    assert links(store) == set()
    report = commits_report(store, UTC)
    assert [(r["project"], r["commits"], r["tokens"]) for r in report["rows"]] == [
        (None, 0, 300),  # an excluded repository's tokens stay counted, outside any repository
        (str(added.resolve()), 1, 0),
    ]
    store.settings.set(repos.EXCLUDED_REPOS, [])
    summary = refresh_commits(store)
    assert summary.repos == 2 and subjects(store) == ["no session here", "secret"]
    assert links(store) == {("s1", "secret", "weak", 0)}


def test_a_hostile_repository_found_from_a_cwd_runs_nothing(store: Store, isolated_home: Path, tmp_path: Path) -> None:
    repo = init(tmp_path / "cloned")
    commit(repo, {"a.txt": "1\n", ".gitattributes": "* diff=evil filter=evil\n"}, "one", when="2026-03-02T10:00:00")
    marker = tmp_path / "pwned"
    script = tmp_path / "run.sh"
    script.write_text(f"#!/bin/sh\necho ran >> {marker}\ncat\n")
    script.chmod(0o755)
    with open(repo / ".git" / "config", "a") as fh:
        fh.write(f"[core]\n\tfsmonitor = {script}\n\tpager = {script}\n[diff \"evil\"]\n\tcommand = {script}\n"
                 f"\ttextconv = {script}\n[filter \"evil\"]\n\tclean = {script}\n\tsmudge = {script}\n"
                 f"[log]\n\tshowSignature = true\n[gpg]\n\tprogram = {script}\n")  # fmt: skip
    session(isolated_home, "s1", repo, "2026-03-02T09:00:00")
    scan(store, isolated_home)
    summary = refresh_commits(store)
    assert summary.new_commits == 1 and summary.problems == []
    assert not marker.exists()


def test_a_moved_repository_keeps_one_copy_of_each_commit(store: Store, isolated_home: Path, tmp_path: Path) -> None:
    repo = init(tmp_path / "old-place")
    commit(repo, {"a": "1\n"}, "before the move", when="2026-03-02T10:00:00")
    session(isolated_home, "s1", repo, "2026-03-02T09:00:00")
    scan(store, isolated_home)
    refresh_commits(store)
    moved = tmp_path / "new-place"
    repo.rename(moved)
    commit(moved, {"b": "1\n"}, "after the move", when="2026-03-03T10:00:00")
    session(isolated_home, "s2", moved, "2026-03-03T09:00:00")
    scan(store, isolated_home)
    summary = refresh_commits(store)
    assert summary.missing == [str(repo.resolve())] and summary.new_commits == 2
    report = commits_report(store, UTC)
    assert [(r["date"], r["project"], r["commits"]) for r in report["rows"]] == [
        ("2026-03-02", str(moved.resolve()), 1),  # the commit counts once, with the repository that is there
        ("2026-03-02", str(repo.resolve()), 0),  # s1's tokens stay with the cwd they were spent in
        ("2026-03-03", str(moved.resolve()), 1),
    ]
    assert report["totals"]["commits"] == 2
    assert links(store) == {("s1", "before the move", "weak", 0), ("s2", "after the move", "weak", 0)}


def test_two_clones_count_a_commit_once(store: Store, isolated_home: Path, tmp_path: Path) -> None:
    first = init(tmp_path / "one")
    commit(first, {"a": "1\n"}, "shared", when="2026-03-02T10:00:00")
    second = tmp_path / "two"
    sh(tmp_path, "clone", "-q", str(first), str(second))
    commit(second, {"b": "1\n"}, "only in two", when="2026-03-02T11:00:00")
    session(isolated_home, "s1", first, "2026-03-02T09:00:00")
    session(isolated_home, "s2", second, "2026-03-02T09:30:00")
    scan(store, isolated_home)
    refresh_commits(store)
    assert sum(d.commits for d in commits_by_day(store, UTC).values()) == 2
    rows = {r["project"]: r["commits"] for r in commits_report(store, UTC)["rows"]}
    assert rows == {str(first.resolve()): 1, str(second.resolve()): 1}


def test_without_an_identity_the_summary_says_how_to_set_one(
    store: Store, isolated_home: Path, tmp_path: Path, git_global: Path
) -> None:
    repo = init(tmp_path / "r")
    commit(repo, {"a": "1\n"}, "anonymous", when="2026-03-02T10:00:00")
    git_global.write_text("")
    session(isolated_home, "s1", repo, "2026-03-02T09:00:00")
    scan(store, isolated_home)
    summary = refresh_commits(store)
    assert summary.identities == 0 and "tokenmirror identity add EMAIL" in summary.line()
    assert commits_by_day(store, UTC) == {}


def test_without_git_the_scan_says_so_and_maps_nothing(
    store: Store, isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = init(tmp_path / "r")
    session(isolated_home, "s1", repo, "2026-03-02T09:00:00")
    scan(store, isolated_home)
    monkeypatch.setenv("PATH", str(tmp_path / "no-binaries-here"))
    summary = refresh_commits(store)
    assert summary.problems == ["git was not found on PATH; commits cannot be read"]
    assert store.conn.execute("SELECT count(*) FROM project_cwd").fetchone() == (0,)
