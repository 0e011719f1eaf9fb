"""context_bloat: many calls reading a huge context to write little, far above the user's own median."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.insights import context_bloat
from desktop.store import Store
from tests.helpers import scan
from tests.insights_scenes import SONNET_RATES, ClaudeSession, cost, items, only, run, utc, window

MARCH = window("2026-03-01", "2026-03-31")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "data" / "archive.sqlite")
    yield s
    s.close()


def usual_days(home: Path, context: int = 20_000) -> None:
    """Forty ordinary calls over the first days of March: the baseline."""
    for day in range(4):
        s = ClaudeSession(home, f"usual-{day}", utc(f"2026-03-0{day + 2}T09:00:00")).prompt(0, "carry on")
        for i in range(10):
            s.call(30 * i + 5, input=50, cache_read=context, output=300)
        s.write()


def bloated(home: Path, sid: str, calls: int) -> None:
    s = ClaudeSession(home, sid, utc("2026-03-10T09:00:00")).prompt(0, "look at the whole log again")
    for i in range(calls):
        s.call(30 * i + 5, input=100, cache_read=300_000, output=100)
    s.call(30 * calls + 5, input=100, cache_read=300_000, output=2_000)  # a big answer is not bloat
    s.write()


def test_many_huge_reads_for_tiny_outputs_fire(store: Store, isolated_home: Path) -> None:
    usual_days(isolated_home)
    bloated(isolated_home, "bloat", 12)
    scan(store, isolated_home)
    f = only(run(context_bloat, store, MARCH), subject="claude:bloat")
    assert f.tokens == 12 * 300_200
    assert f.cost_usd == pytest.approx(12 * cost(SONNET_RATES, input=100, cache_read=300_000, output=100))
    (baseline,) = items(f, "baseline")
    assert (baseline["median_input_tokens"], baseline["limit_input_tokens"]) == (20_050, 150_000)
    calls = items(f, "call")
    assert len(calls) == 12 and {(c["cache_read_tokens"], c["output_tokens"]) for c in calls} == {
        (300_000, 100)
    }
    assert all(c["event_id"] for c in calls) and f.severity == "warn"
    assert run(context_bloat, store, MARCH, min_cost_usd=1.2) == []  # $1.10 of bloat: under a higher bar


def test_fewer_calls_or_a_user_who_always_works_big_does_not(store: Store, isolated_home: Path) -> None:
    usual_days(isolated_home)
    bloated(isolated_home, "some", 9)
    scan(store, isolated_home)
    assert run(context_bloat, store, MARCH) == []


def test_the_limit_follows_the_users_own_median(store: Store, isolated_home: Path) -> None:
    usual_days(isolated_home, context=250_000)  # this user's calls are always large: 4 x median is 1M
    bloated(isolated_home, "normal-for-them", 12)
    scan(store, isolated_home)
    assert run(context_bloat, store, MARCH) == []
