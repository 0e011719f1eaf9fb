"""run_insights: an honest week finds nothing; findings are stored so seen, dismissed and notified stay so;
snoozes, digests, threshold overrides and the `insights` command."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.commits.refresh import refresh_commits
from desktop.insights import DETECTORS
from desktop.insights.run import (
    digest_due,
    get_finding,
    list_findings,
    mark,
    open_count,
    pending_notifications,
    run_insights,
    snooze,
    snoozed,
    weekly_digest,
)
from desktop.insights.thresholds import DEFAULTS, resolve
from desktop.store import Store
from desktop.store import settings as settings_module
from tests.helpers import prices, scan
from tests.insights_scenes import NOW_MS, ClaudeSession, utc, window
from tests.logs import codex_file, codex_meta, codex_prompt, codex_tokens, codex_turn, iso, usage, write_lines
from tests.test_commits_git import commit, git_global, init, lines  # noqa: F401 (fixture)

HONEST_WEEK = window("2026-03-09", "2026-03-15")
VERBS = [
    "explain",
    "refactor",
    "rename",
    "test",
    "document",
    "speed up",
    "simplify",
    "fix",
    "review",
    "type-annotate",
]
THINGS = [
    "the cart total",
    "the login form",
    "the csv export",
    "the retry logic",
    "the settings page",
    "the price parser",
    "the search index",
    "the email queue",
    "the date helpers",
    "the upload handler",
]
HOW = [
    "so it handles empty input",
    "and keep the public names",
    "without new dependencies",
    "like we did yesterday",
    "and add a short comment",
    "for the edge case Ana found",
    "so the tests read better",
    "in the smallest diff",
]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "data" / "archive.sqlite")
    yield s
    s.close()


def honest_week(home: Path, tmp_path: Path, seed: int = 7) -> None:
    """Five work days in two repositories: varied prompts a few minutes apart, steady caching on Sonnet,
    a handful of tools per turn, and every session followed within the hour by a commit of its edits."""
    rng = random.Random(seed)
    repos = [init(tmp_path / "shop"), init(tmp_path / "blog")]
    for repo in repos:
        commit(repo, {f"src/m{i}.py": lines(4) for i in range(6)}, "initial", when="2026-03-06T08:00:00")
    for day in range(5):
        for r, repo in enumerate(repos):
            sid = f"d{day}r{r}"
            start = utc(f"2026-03-{9 + day:02d}T{9 + 4 * r:02d}:{rng.randint(0, 50):02d}:00")
            s = ClaudeSession(home, sid, start, cwd=str(repo), entrypoint="cli")
            context, t, edited = rng.randint(12_000, 18_000), 0, set()
            for p in range(rng.randint(4, 7)):
                t += rng.randint(60, 240) if p else 0
                s.prompt(t, f"{rng.choice(VERBS)} {rng.choice(THINGS)} {rng.choice(HOW)}")
                for c in range(rng.randint(2, 4)):
                    t += rng.randint(5, 40)
                    if p == 0 and c == 0:
                        s.call(
                            t, input=rng.randint(20, 80), cache_write=context, output=rng.randint(100, 800)
                        )
                    else:
                        delta = rng.randint(500, 3_000)
                        s.call(
                            t,
                            input=rng.randint(20, 80),
                            cache_read=context,
                            cache_write=delta,
                            output=rng.randint(100, 800),
                        )
                        context += delta
                    roll, name = rng.random(), f"src/m{rng.randint(0, 5)}.py"
                    if roll < 0.3:
                        s.tool(t + 1, "Read", file_path=str(repo / name))
                    elif roll < 0.55:
                        s.edit(t + 1, str(repo / name))
                        edited.add(name)
                    elif roll < 0.65:
                        s.tool(t + 1, "Bash", command="pytest -q", description="Run the tests")
            s.write()
            done = start + timedelta(seconds=t + rng.randint(1_800, 3_600))
            changes = {name: lines(6 + day, word=sid) for name in sorted(edited)} or {
                "CHANGES.md": lines(day + 1)
            }
            commit(repo, changes, f"{sid}: the day's work", when=done.strftime("%Y-%m-%dT%H:%M:%S"))
    thread = "0196a1b2-0000-7000-8000-00000000abcd"  # a short interactive Codex session on Wednesday
    begin = utc("2026-03-11T15:00:00")
    out = [codex_meta(iso(begin), thread, source="cli"), codex_turn(iso(begin + timedelta(seconds=1)))]
    total = [0, 0, 0]
    for i, gap in enumerate([5, 200, 520]):
        out.append(codex_prompt(iso(begin + timedelta(seconds=gap)), f"{VERBS[i]} {THINGS[i]} {HOW[i]}"))
        step = usage(8_000 + 1_000 * i, 6_000 + 1_000 * i, 400)
        total = [total[0] + step["input_tokens"], total[1] + step["cached_input_tokens"], total[2] + 400]
        out.append(codex_tokens(iso(begin + timedelta(seconds=gap + 20)), usage(*total), step))
    write_lines(codex_file(home, thread, day="2026-03-11"), out)


def test_an_honest_week_has_no_findings_at_default_thresholds(
    store: Store, isolated_home: Path, tmp_path: Path
) -> None:
    honest_week(isolated_home, tmp_path)
    scan(store, isolated_home)
    refresh_commits(store)
    sessions, prompts, tools, linked = store.conn.execute(
        "SELECT (SELECT count(*) FROM session), (SELECT count(*) FROM prompt), (SELECT count(*) FROM tool_call), "
        "(SELECT count(DISTINCT session_id) FROM session_commit WHERE method = 'strong')"
    ).fetchone()
    assert sessions == 11 and prompts >= 50 and tools >= 50 and linked >= 8  # a real week, not an empty one
    assert run_insights(store, HONEST_WEEK, now_ms=NOW_MS, prices=prices()) == []
    assert run_insights(store, window(), now_ms=NOW_MS, prices=prices()) == []


def runaway_scene(home: Path, calls: int = 160) -> None:
    s = ClaudeSession(home, "long", utc("2026-03-03T09:00:00")).prompt(0, "fix every lint warning")
    for i in range(calls):
        s.tool(1 + i, "Read", file_path=f"/home/dev/shop-api/src/m{i}.py")
    s.write()


def test_findings_are_stored_and_dismissed_stays_dismissed(store: Store, isolated_home: Path) -> None:
    runaway_scene(isolated_home)
    scan(store, isolated_home)
    (first,) = run_insights(store, window("2026-03-01", "2026-03-31"), now_ms=NOW_MS, prices=prices())
    assert (first.detector, first.state, first.id) == ("runaway_loop", "new", first.id) and first.id
    assert mark(store, first.id, "dismissed") and not mark(store, 9_999, "seen")
    with pytest.raises(ValueError):
        mark(store, first.id, "gone")
    (again,) = run_insights(store, window(), now_ms=NOW_MS + 1, prices=prices())
    assert (again.id, again.state, again.tokens) == (first.id, "dismissed", first.tokens)
    assert list_findings(store, include_dismissed=False) == []
    assert [f.id for f in list_findings(store, window("2026-03-03", "2026-03-03"))] == [first.id]
    assert list_findings(store, window("2026-03-04", "2026-03-31")) == []
    assert get_finding(store, first.id).evidence == first.evidence


def test_new_findings_notify_once_and_the_week_makes_one_digest(store: Store, isolated_home: Path) -> None:
    runaway_scene(isolated_home)
    scan(store, isolated_home)
    (found,) = run_insights(store, window(), now_ms=NOW_MS, prices=prices())
    assert open_count(store) == 1
    assert [f.id for f in pending_notifications(store, now_ms=NOW_MS)] == [found.id]
    assert pending_notifications(store, now_ms=NOW_MS) == []
    run_insights(store, window(), now_ms=NOW_MS + 1, prices=prices())  # a rerun does not notify again
    assert pending_notifications(store, now_ms=NOW_MS) == []
    digest = weekly_digest(store, date(2026, 3, 2))
    assert (digest["findings"], digest["by_detector"], digest["tokens"]) == (
        1,
        {"runaway_loop": 1},
        found.tokens,
    )
    assert digest["text"].startswith("Week of 2026-03-02: 1 finding (1 runaway loop)")
    assert digest_due(store, date(2026, 3, 11), now_ms=NOW_MS)["week_start"] == "2026-03-02"
    assert digest_due(store, date(2026, 3, 12), now_ms=NOW_MS) is None  # given once
    assert digest_due(store, date(2026, 3, 18), now_ms=NOW_MS) is None  # a week without findings says nothing
    mark(store, found.id, "seen")
    assert open_count(store) == 0


def test_a_snoozed_detector_neither_runs_nor_shows(store: Store, isolated_home: Path) -> None:
    runaway_scene(isolated_home)
    scan(store, isolated_home)
    run_insights(store, window(), now_ms=NOW_MS, prices=prices())
    snooze(store, "runaway_loop", NOW_MS + 86_400_000)
    assert snoozed(store, now_ms=NOW_MS) == {"runaway_loop": NOW_MS + 86_400_000}
    assert run_insights(store, window(), now_ms=NOW_MS, prices=prices()) == []
    assert list_findings(store, now_ms=NOW_MS) == [] and pending_notifications(store, now_ms=NOW_MS) == []
    assert len(list_findings(store, now_ms=NOW_MS + 86_400_001)) == 1  # the snooze ran out
    snooze(store, "runaway_loop", None)
    assert len(run_insights(store, window(), now_ms=NOW_MS, prices=prices())) == 1
    with pytest.raises(ValueError):
        snooze(store, "no_such_detector", None)


def test_overrides_retire_a_finding_and_its_state_survives_its_return(
    store: Store, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(settings_module.DEFAULTS, "insight_thresholds", {})  # what the lead adds to DEFAULTS
    runaway_scene(isolated_home)
    scan(store, isolated_home)
    (found,) = run_insights(store, window(), now_ms=NOW_MS, prices=prices())
    mark(store, found.id, "seen")
    store.settings.set("insight_thresholds", {"runaway_loop": {"max_chain_calls": 500}})
    assert run_insights(store, window(), now_ms=NOW_MS, prices=prices()) == []
    assert list_findings(store) == []  # no longer found: inactive, not shown
    store.settings.set("insight_thresholds", {})
    (back,) = run_insights(store, window(), now_ms=NOW_MS, prices=prices())
    assert (back.id, back.state) == (found.id, "seen")


def test_bad_overrides_are_ignored_and_defaults_are_documented_data() -> None:
    assert (
        set(DEFAULTS)
        == set(DETECTORS)
        == {
            "scripted_prompting",
            "burn_without_delivery",
            "runaway_loop",
            "cache_thrash",
            "context_bloat",
            "oversized_model",
            "abandoned_work",
        }
    )
    values = resolve(
        {
            "runaway_loop": {"max_chain_calls": "many", "same_call_min": -1, "nope": 3, "same_error_min": 6},
            "no_such_detector": {},
        }
    )
    assert values["runaway_loop"] == {**DEFAULTS["runaway_loop"], "same_error_min": 6}
    assert resolve(["not", "a", "dict"]) == resolve(None) == DEFAULTS


def test_the_insights_command(capsys: pytest.CaptureFixture, tmp_path: Path, isolated_home: Path) -> None:
    runaway_scene(isolated_home)
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "scan"]) == 0
    capsys.readouterr()
    assert (
        main(["--data-dir", data, "insights", "--since", "2026-03-01", "--until", "2026-03-31", "--json"])
        == 0
    )
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert {
        "id",
        "detector",
        "severity",
        "period_start",
        "period_end",
        "subject",
        "tokens",
        "cost_usd",
        "summary",
        "evidence",
        "state",
        "cannot_tell",
    } <= set(finding)
    assert (finding["detector"], finding["subject"], finding["period_start"]) == (
        "runaway_loop",
        "claude:long",
        "2026-03-03",
    )
    assert main(["--data-dir", data, "insights", "--tz", "Europe/Berlin"]) == 0
    text = capsys.readouterr().out
    assert "1 finding (1 warn)" in text and "runaway_loop" in text and "cannot tell:" in text
    with pytest.raises(SystemExit) as exc:
        main(["--data-dir", data, "insights", "--since", "March"])
    assert exc.value.code == 2
    assert main(["--data-dir", data, "insights", "--since", "2026-04-01", "--until", "2026-03-01"]) == 2
