"""scripted_prompting: repeated normalized prompts, machine-regular intervals, a high headless share."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from desktop.insights import scripted_prompting
from desktop.insights.scripted_prompting import normalize, regular_run
from desktop.store import Store
from tests.helpers import scan
from tests.insights_scenes import SONNET_RATES, ClaudeSession, codex_exec, cost, items, only, run, utc, window

WEEK = window("2026-03-02", "2026-03-08")
MONDAY = utc("2026-03-02T08:00:00")
IRREGULAR_HOURS = [0, 3.1, 7.9, 20, 26.5, 31, 50, 55.2, 73, 80, 99, 120]
VARIED = [
    "why does the login test fail",
    "rename the helper to parse_user",
    "add a changelog entry",
    "can you explain this regex",
    "make the error message friendlier",
    "split this function in two",
    "what calls this method",
    "write a test for the empty cart",
    "bump the version",
    "undo that last change",
]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "data" / "archive.sqlite")
    yield s
    s.close()


def test_normalizing_folds_what_a_script_changes() -> None:
    a = normalize('Summarize  issue #123 in "repo-a" and list 3 risks')
    b = normalize("summarize issue #9 in 'other repo' and list 12 risks")
    assert a == b == "summarize issue ## in «…» and list # risks"
    assert normalize("check commit 3f9a2c1e now") == normalize("check commit 77aa01b now")
    assert normalize("don't touch it's fine") == "don't touch it's fine"  # apostrophes are not quotes
    assert normalize("fix the login page") != normalize("fix the signup page")


def test_regular_runs_are_found_and_human_gaps_are_not() -> None:
    clock = [i * 60_000 + (i % 3) * 300 for i in range(10)]
    assert regular_run(clock, 8, 0.1, 1000) == (0, 10)
    human = [0, 45, 345, 465, 1075, 1105, 1200, 1600, 1675, 1895]
    assert regular_run([t * 1000 for t in human], 8, 0.1, 1000) is None
    assert regular_run([0] * 10, 8, 0.1, 1000) is None  # a burst has no interval


def _one_prompt_sessions(home: Path, texts: list[str], **kw) -> None:
    for i, text in enumerate(texts):
        start = MONDAY + timedelta(hours=IRREGULAR_HOURS[i % len(IRREGULAR_HOURS)], minutes=i)
        s = ClaudeSession(home, f"rep-{i}", start, **kw).prompt(0, text).call(5, input=1000, output=200)
        s.write()


def test_the_same_prompt_many_times_fires_with_its_turns_tokens_and_cost(
    store: Store, isolated_home: Path
) -> None:
    texts = [f'Summarize issue #{100 + i} in "repo-{i}" and list {i + 2} risks' for i in range(12)]
    _one_prompt_sessions(isolated_home, texts)
    scan(store, isolated_home)
    f = only(run(scripted_prompting, store, WEEK), subject_kind="prompt_pattern")
    assert (f.tokens, f.period_start.isoformat(), f.period_end.isoformat()) == (
        12 * 1200,
        "2026-03-02",
        "2026-03-08",
    )
    assert f.cost_usd == pytest.approx(12 * cost(SONNET_RATES, input=1000, output=200))
    (head,) = items(f, "pattern")
    assert head["pattern"] == "summarize issue ## in «…» and list # risks"
    assert (head["prompts"], head["sessions"]) == (12, 12) and "regular" not in head
    prompts = items(f, "prompt")
    assert len(prompts) == 12 and {p["tokens"] for p in prompts} == {1200}
    assert all(p["cost_usd"] == pytest.approx(0.006) for p in prompts)
    assert {p["session_id"] for p in prompts} == {f"rep-{i}" for i in range(12)}
    assert f.severity == "warn" and f.cannot_tell


def test_nine_repeats_or_varied_prompts_do_not(store: Store, isolated_home: Path) -> None:
    _one_prompt_sessions(isolated_home, [f"Summarize issue #{i} and list risks" for i in range(9)])
    scan(store, isolated_home)
    assert run(scripted_prompting, store, WEEK) == []


def test_short_confirmations_need_many_more_repeats(store: Store, isolated_home: Path) -> None:
    _one_prompt_sessions(isolated_home, ["yes"] * 12)
    scan(store, isolated_home)
    assert run(scripted_prompting, store, WEEK) == []
    assert len(run(scripted_prompting, store, WEEK, short_repeat_min_count=12)) == 1


def test_prompts_at_machine_regular_intervals_fire(store: Store, isolated_home: Path) -> None:
    s = ClaudeSession(isolated_home, "timer", MONDAY)
    for i, text in enumerate(VARIED):
        at = i * 60 + (i % 2) * 0.5
        s.prompt(at, text).call(at + 5, input=500, output=50)
    s.write()
    scan(store, isolated_home)
    f = only(run(scripted_prompting, store, WEEK), subject_kind="session")
    assert f.subject == "claude:timer"
    (gaps,) = items(f, "interval")
    assert gaps["prompts"] == 10 and gaps["mean_gap_seconds"] == 60.1 and gaps["gap_cv"] < 0.01
    assert f.tokens == 10 * 550
    assert f.cost_usd == pytest.approx(10 * cost(SONNET_RATES, input=500, output=50))


def test_human_intervals_do_not(store: Store, isolated_home: Path) -> None:
    s = ClaudeSession(isolated_home, "human", MONDAY)
    at = 0
    for gap, text in zip([0, 45, 300, 120, 610, 30, 95, 400, 75, 220], VARIED, strict=True):
        at += gap
        s.prompt(at, text).call(at + 5, input=500, output=50)
    s.write()
    scan(store, isolated_home)
    assert run(scripted_prompting, store, WEEK) == []


def _mixed_week(home: Path, headless_claude: int, headless_codex: int) -> None:
    for i in range(10):
        start = MONDAY + timedelta(hours=IRREGULAR_HOURS[i], minutes=7 * i)
        if i < headless_claude:
            ClaudeSession(home, f"h-{i}", start, entrypoint="sdk-cli").prompt(0, VARIED[i]).call(
                3, input=1000, output=100
            ).write()
        elif i < headless_claude + headless_codex:
            codex_exec(home, f"0196a1b2-0000-7000-8000-0000000000{i:02d}", start, VARIED[i])
        else:
            ClaudeSession(home, f"i-{i}", start, entrypoint="cli").prompt(0, VARIED[i]).call(
                3, input=1000, output=100
            ).write()


def test_a_mostly_headless_week_fires(store: Store, isolated_home: Path) -> None:
    _mixed_week(isolated_home, headless_claude=4, headless_codex=2)
    scan(store, isolated_home)
    f = only(run(scripted_prompting, store, WEEK), subject_kind="week")
    (share,) = items(f, "share")
    assert (share["sessions"], share["headless_sessions"], share["share"]) == (10, 6, 0.6)
    assert share["entrypoints"] == {"sdk-cli": 4, "exec": 2}
    assert f.tokens == 6 * 1100
    codex = 1000 * 1.25e-6 + 100 * 10e-6  # gpt-5-codex
    assert f.cost_usd == pytest.approx(4 * cost(SONNET_RATES, input=1000, output=100) + 2 * codex)
    assert len(items(f, "session")) == 6 and f.severity == "info"


def test_a_mostly_interactive_week_does_not(store: Store, isolated_home: Path) -> None:
    _mixed_week(isolated_home, headless_claude=3, headless_codex=1)
    scan(store, isolated_home)
    assert run(scripted_prompting, store, WEEK) == []
