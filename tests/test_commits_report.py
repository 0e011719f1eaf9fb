"""Tokens against commits: exact report numbers, `report projects` columns and the CLI commands."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.commits.refresh import refresh_commits
from desktop.periods import zone
from desktop.reports.commits import commits_report, session_commits
from desktop.reports.usage import Window, project_report
from desktop.store import Store
from tests.helpers import scan
from tests.test_commits_git import OTHER, commit, git_global, init, lines, sh  # noqa: F401 (fixture)
from tests.test_commits_refresh import links, session

CALL_COST = 100 * 3e-6 + 50 * 15e-6  # one 100-in / 50-out Sonnet call
CONTRACT = ["date", "project", "tokens", "cost_usd", "commits", "ai_trailer_commits", "lines_added", "lines_removed",
            "linked_sessions", "delivery_share", "cost_per_commit", "tokens_per_changed_line"]  # fmt: skip


@pytest.fixture
def shop(tmp_path: Path, isolated_home: Path) -> tuple[Path, Path]:
    """A repository with my commits, a colleague's, a merge; three sessions (one outside any repository)."""
    repo = init(tmp_path / "shop")
    commit(repo, {"src/app.py": lines(10), "README.md": lines(2)}, "initial", when="2026-03-01T08:00:00")
    session(isolated_home, "s1", repo, "2026-03-02T09:00:00", edits=[repo / "src" / "app.py"])
    commit(repo, {"src/app.py": lines(9) + "x\ny\nz\n"}, "feature\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
           when="2026-03-02T10:00:00")  # fmt: skip
    commit(repo, {"docs/guide.md": lines(5)}, "docs", when="2026-03-02T11:00:00")
    commit(repo, {"src/app.py": lines(4)}, "colleague", when="2026-03-02T12:00:00", author=OTHER)
    sh(repo, "checkout", "-q", "-b", "side", "HEAD~1")
    commit(repo, {"side.txt": lines(2)}, "side", when="2026-03-02T12:30:00")
    sh(repo, "checkout", "-q", "main")
    sh(repo, "merge", "-q", "--no-ff", "--no-edit", "side", when="2026-03-02T13:00:00")
    session(isolated_home, "s2", repo / "src", "2026-03-04T09:00:00", calls=4)
    plain = tmp_path / "notes"
    plain.mkdir()
    session(isolated_home, "s3", plain, "2026-03-02T15:00:00")
    return repo, plain


@pytest.fixture
def store(tmp_path: Path, isolated_home: Path, shop: tuple[Path, Path]) -> Store:
    s = Store.open(tmp_path / "data" / "archive.sqlite")
    scan(s, isolated_home)
    refresh_commits(s)
    yield s
    s.close()


def test_links_strong_by_files_weak_by_time(store: Store, shop: tuple[Path, Path]) -> None:
    assert links(store) == {("s1", "feature", "strong", 1), ("s1", "docs", "weak", 0), ("s1", "side", "weak", 0)}
    found = session_commits(store, "claude", "s1")
    assert [(c["subject"], c["method"], c["overlap_files"]) for c in found] == [
        ("feature", "strong", 1), ("docs", "weak", 0), ("side", "weak", 0)
    ]
    assert found[0]["project"] == str(shop[0].resolve()) and len(found[0]["sha"]) == 40
    assert session_commits(store, "claude", "s2") == []


def test_commits_report_rows_and_totals(store: Store, shop: tuple[Path, Path]) -> None:
    root = str(shop[0].resolve())
    data = commits_report(store, Window(tz=zone("UTC")))
    assert all(list(row) == CONTRACT for row in data["rows"])
    got = [(r["date"], r["project"], r["tokens"], r["commits"], r["ai_trailer_commits"], r["lines_added"],
            r["lines_removed"], r["linked_sessions"], r["delivery_share"]) for r in data["rows"]]  # fmt: skip
    assert got == [
        ("2026-03-01", root, 0, 1, 0, 12, 0, 0, None),
        ("2026-03-02", None, 300, 0, 0, 0, 0, 0, 0.0),
        ("2026-03-02", root, 300, 3, 1, 3 + 5 + 2, 1, 1, 1.0),  # the colleague's commit and the merge do not count
        ("2026-03-04", root, 600, 0, 0, 0, 0, 0, 0.0),
    ]
    day = data["rows"][2]
    assert day["cost_usd"] == pytest.approx(2 * CALL_COST)
    assert day["cost_per_commit"] == pytest.approx(2 * CALL_COST / 3)
    assert day["tokens_per_changed_line"] == pytest.approx(300 / 11, abs=0.01)
    assert data["rows"][0]["cost_usd"] is None and data["rows"][0]["cost_per_commit"] is None
    assert data["rows"][1]["tokens_per_changed_line"] is None and data["rows"][1]["cost_per_commit"] is None
    totals = data["totals"]
    assert (totals["tokens"], totals["commits"], totals["ai_trailer_commits"], totals["lines_added"],
            totals["lines_removed"], totals["linked_sessions"], totals["sessions"]) == (1200, 4, 1, 22, 1, 1, 3)  # fmt: skip
    assert totals["delivery_share"] == 0.25
    assert totals["cost_per_commit"] == pytest.approx(8 * CALL_COST / 4)


def test_commits_report_window_and_project_filter(store: Store, shop: tuple[Path, Path]) -> None:
    root = str(shop[0].resolve())
    one_day = commits_report(store, Window(tz=zone("UTC"), since=date(2026, 3, 2), until=date(2026, 3, 2)))
    assert [(r["project"], r["tokens"], r["commits"]) for r in one_day["rows"]] == [(None, 300, 0), (root, 300, 3)]
    by_name = commits_report(store, Window(tz=zone("UTC")), "shop")
    assert [r["date"] for r in by_name["rows"]] == ["2026-03-01", "2026-03-02", "2026-03-04"]
    assert by_name == commits_report(store, Window(tz=zone("UTC")), root)
    assert commits_report(store, Window(tz=zone("UTC")), "nothing-by-that-name")["rows"] == []
    # a later zone moves the 08:00 UTC commit of Mar 1 to the evening before
    tokyo = commits_report(store, Window(tz=zone("Pacific/Honolulu")))
    assert tokyo["rows"][0]["date"] == "2026-02-28" and tokyo["rows"][0]["commits"] == 1


def test_an_empty_archive_reports_nothing() -> None:
    data = commits_report(Store.memory(), Window(tz=zone("UTC")))
    assert data["rows"] == [] and data["totals"]["commits"] == 0 and data["totals"]["delivery_share"] is None


def test_report_projects_gains_commit_columns(store: Store, shop: tuple[Path, Path]) -> None:
    repo, plain = shop
    rows = {r["project"]: r for r in project_report(store, Window(tz=zone("UTC")))["rows"]}
    biggest = rows[str(repo / "src")]  # the repository's numbers go on its biggest cwd's row, once
    assert (biggest["repository"], biggest["commits"], biggest["lines_added"], biggest["lines_removed"],
            biggest["ai_trailer_commits"]) == (str(repo.resolve()), 4, 22, 1, 1)  # fmt: skip
    assert biggest["cost_per_commit"] == pytest.approx(6 * CALL_COST / 4)
    assert rows[str(repo)]["commits"] is None and rows[str(repo)]["total_tokens"] == 300
    assert rows[str(plain)]["commits"] == 0 and rows[str(plain)]["repository"] is None
    totals = project_report(store, Window(tz=zone("UTC")))["totals"]
    assert (totals["commits"], totals["lines_added"], totals["total_tokens"]) == (4, 22, 1200)


# --- the command line ---------------------------------------------------------------------------


def test_cli_scan_commits_and_identity(tmp_path: Path, shop: tuple[Path, Path], capsys: pytest.CaptureFixture) -> None:
    data_dir = str(tmp_path / "cli-data")
    assert main(["--data-dir", data_dir, "scan"]) == 0
    out = capsys.readouterr().out
    assert "commits: 1 repository, +6 new commits" in out and "3 session links (1 by files)" in out
    assert main(["--data-dir", data_dir, "commits", "--json", "--tz", "UTC", "--project", "shop"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["totals"]["commits"] == 4 and len(data["rows"]) == 3
    assert main(["--data-dir", data_dir, "commits", "--tz", "UTC"]) == 0
    table = capsys.readouterr().out
    assert "2026-03-02" in table and "(no repository)" in table and "total" in table

    assert main(["--data-dir", data_dir, "identity", "add", "Ann@Example.com"]) == 0
    assert capsys.readouterr().out.strip() == "added ann@example.com; 5 commits in the archive are yours"
    assert main(["--data-dir", data_dir, "identity", "list"]) == 0
    listed = capsys.readouterr().out
    assert "ann@example.com  (settings)" in listed and "me@example.com  (git global config)" in listed
    assert main(["--data-dir", data_dir, "commits", "--json", "--tz", "UTC"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["commits"] == 5
    assert main(["--data-dir", data_dir, "identity", "remove", "ann@example.com"]) == 0
    assert capsys.readouterr().out.strip() == "removed ann@example.com; 4 commits in the archive are yours"


@pytest.mark.parametrize(
    "argv",
    [
        ["identity", "add"],
        ["identity", "add", "not an email"],
        ["identity", "list", "x@y.z"],
        ["identity", "rename", "x@y.z"],
        ["commits", "--since", "2026-03-05", "--until", "2026-03-01"],
        ["commits", "--since", "yesterday"],
        ["commits", "--tz", "Mars/Olympus"],
    ],
)
def test_cli_bad_arguments_exit_2_with_one_line(tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as raised:
        code = main(["--data-dir", str(tmp_path / "d"), *argv])
        raise SystemExit(code)
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_commits_without_an_archive(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--data-dir", str(tmp_path / "none"), "commits", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == []
    assert not (tmp_path / "none" / "archive.sqlite").exists()
