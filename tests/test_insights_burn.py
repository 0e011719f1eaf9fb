"""burn_without_delivery on real repositories: costly sessions and project-days with no commit after them."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.commits.refresh import refresh_commits
from desktop.insights import burn_without_delivery
from desktop.store import Store
from tests.helpers import scan
from tests.insights_scenes import SONNET_RATES, ClaudeSession, cost, items, only, run, utc, window
from tests.test_commits_git import commit, git_global, init, lines, ms  # noqa: F401 (fixture)

MARCH = window("2026-03-01", "2026-03-31")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "data" / "archive.sqlite")
    yield s
    s.close()


def spend(home: Path, sid: str, cwd: Path | str, start: str, calls: int, input: int, output: int = 0) -> None:
    """`calls` Sonnet calls a minute apart, each reading `input` uncached tokens."""
    s = ClaudeSession(home, sid, utc(start), cwd=str(cwd))
    s.prompt(0, f"work on {sid}")
    for i in range(calls):
        s.call(60 * i + 5, input=input, output=output)
    s.write()


def scene(home: Path, tmp_path: Path) -> Path:
    repo = init(tmp_path / "shop")
    commit(repo, {"src/app.py": lines(5)}, "initial", when="2026-03-01T08:00:00")
    spend(
        home, "burn", repo, "2026-03-03T09:00:00", calls=25, input=140_000, output=400
    )  # $10.65, nothing follows
    spend(
        home, "shipped", repo, "2026-03-04T09:00:00", calls=25, input=140_000, output=400
    )  # the same, then a commit
    commit(repo, {"src/app.py": lines(7)}, "feature", when="2026-03-04T11:00:00")
    for i in range(3):  # $9 each, $27 on the day: only the day is over its threshold
        spend(home, f"day-{i}", repo, f"2026-03-05T{9 + 2 * i:02d}:00:00", calls=20, input=150_000)
    for i in range(2):  # $18 on the day: under
        spend(home, f"small-{i}", repo, f"2026-03-06T{9 + 2 * i:02d}:00:00", calls=20, input=150_000)
    spend(
        home, "scratch", tmp_path / "not-a-repo", "2026-03-07T09:00:00", calls=25, input=140_000, output=400
    )
    return repo


def test_a_costly_session_and_a_costly_day_without_commits_fire(
    store: Store, isolated_home: Path, tmp_path: Path
) -> None:
    repo = scene(isolated_home, tmp_path)
    scan(store, isolated_home)
    refresh_commits(store)
    found = run(burn_without_delivery, store, MARCH)
    assert sorted((f.subject_kind, f.period_start.isoformat()) for f in found) == [
        ("project_day", "2026-03-05"),
        ("session", "2026-03-03"),
    ]
    session = only(found, subject_kind="session")
    assert session.subject == "claude:burn" and session.severity == "warn"
    assert session.tokens == 25 * (140_000 + 400)
    assert session.cost_usd == pytest.approx(25 * cost(SONNET_RATES, input=140_000, output=400))
    (item,) = items(session, "session")
    assert (item["source"], item["session_id"], item["tokens"]) == ("claude", "burn", 25 * 140_400)
    (next_commit,) = items(session, "commit")
    assert next_commit["subject"] == "feature" and next_commit["project"] == str(repo)
    assert "after" in next_commit["note"] and next_commit["sha"]

    day = only(found, subject_kind="project_day", period_start=utc("2026-03-05T00:00:00").date())
    assert day.subject == str(repo) and day.tokens == 3 * 20 * 150_000
    assert day.cost_usd == pytest.approx(27.0)
    sessions = items(day, "session")
    assert {s["session_id"] for s in sessions} == {"day-0", "day-1", "day-2"}
    assert {s["day_tokens"] for s in sessions} == {3_000_000} and {s["day_cost_usd"] for s in sessions} == {
        9.0
    }
    assert items(day, "note")[0]["text"] == f"no commit of yours in {repo} since"


def test_linked_small_recent_and_outside_repository_usage_does_not(
    store: Store, isolated_home: Path, tmp_path: Path
) -> None:
    scene(isolated_home, tmp_path)
    scan(store, isolated_home)
    refresh_commits(store)
    found = run(burn_without_delivery, store, MARCH)
    subjects = {f.subject for f in found if f.subject_kind == "session"}
    assert "claude:shipped" not in subjects and "claude:scratch" not in subjects
    assert not [f for f in found if f.period_start.isoformat() in ("2026-03-04", "2026-03-06", "2026-03-07")]
    # an hour after the session its commit may still come: not decided yet
    just_after = ms("2026-03-03T09:30:00") + 3_600_000
    assert run(burn_without_delivery, store, window("2026-03-03", "2026-03-03"), now_ms=just_after) == []
