"""abandoned_work on real repositories: edited files (absolute paths) against later commits (relative paths)."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.commits.refresh import refresh_commits
from desktop.insights import abandoned_work
from desktop.store import Store
from tests.helpers import scan
from tests.insights_scenes import SONNET_RATES, ClaudeSession, cost, items, only, run, utc, window
from tests.test_commits_git import commit, git_global, init, lines, ms  # noqa: F401 (fixture)

MARCH = window("2026-03-01", "2026-03-31")
TOOL_CALL = cost(SONNET_RATES, input=10, output=5)  # what each edit call itself costs


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "data" / "archive.sqlite")
    yield s
    s.close()


def work(home: Path, sid: str, repo: Path, start: str, edits: list[str], calls: int = 12) -> None:
    """`calls` Sonnet calls reading 150k tokens each, then an Edit of each file (absolute paths)."""
    s = ClaudeSession(
        home, sid, utc(start), cwd=str(repo / "src")
    )  # a subfolder: paths resolve via the work tree
    s.prompt(0, f"refactor for {sid}")
    for i in range(calls):
        s.call(60 * i + 5, input=150_000, output=100)
    for j, name in enumerate(edits):
        s.edit(60 * calls + 10 * j, str(repo / name))
    s.write()


def scene(home: Path, tmp_path: Path) -> Path:
    repo = init(tmp_path / "shop")
    commit(
        repo,
        {"src/app.py": lines(5), "src/util.py": lines(3), "docs/guide.md": lines(2)},
        "initial",
        when="2026-03-01T08:00:00",
    )
    work(home, "lost", repo, "2026-03-03T09:00:00", ["src/app.py", "src/util.py", "src/app.py"])
    commit(repo, {"docs/guide.md": lines(4)}, "docs only", when="2026-03-03T15:00:00")
    work(home, "kept", repo, "2026-03-10T09:00:00", ["src/app.py"])
    commit(repo, {"src/app.py": lines(9)}, "the refactor", when="2026-03-11T10:00:00")
    work(home, "cheap", repo, "2026-03-12T09:00:00", ["src/util.py"], calls=10)  # $4.50: under the threshold
    return repo


def test_a_costly_session_whose_edits_never_reached_a_commit_fires(
    store: Store, isolated_home: Path, tmp_path: Path
) -> None:
    repo = scene(isolated_home, tmp_path)
    scan(store, isolated_home)
    refresh_commits(store)
    f = only(run(abandoned_work, store, MARCH), detector="abandoned_work")
    assert f.subject == "claude:lost" and f.subject_kind == "session"
    assert f.tokens == 12 * 150_100 + 3 * 15
    assert f.cost_usd == pytest.approx(12 * cost(SONNET_RATES, input=150_000, output=100) + 3 * TOOL_CALL)
    assert [(i["path"], i["edits"], i["project"]) for i in items(f, "file")] == [
        ("src/app.py", 2, str(repo)),
        ("src/util.py", 1, str(repo)),
    ]
    assert [c["subject"] for c in items(f, "commit")] == ["docs only"]
    (session,) = items(f, "session")
    assert session["edited_files"] == 2 and session["tokens"] == f.tokens
    assert "none of them reached a commit" in f.summary


def test_committed_cheap_or_recent_work_does_not(store: Store, isolated_home: Path, tmp_path: Path) -> None:
    scene(isolated_home, tmp_path)
    scan(store, isolated_home)
    refresh_commits(store)
    assert [f.subject for f in run(abandoned_work, store, window("2026-03-09", "2026-03-31"))] == []
    # two days after the session its files may still be committed: the 72 h grace has not passed
    next_day = ms("2026-03-05T09:00:00")
    assert run(abandoned_work, store, window("2026-03-03", "2026-03-03"), now_ms=next_day) == []
