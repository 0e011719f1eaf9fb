"""cache_thrash: a session rewriting its large cached context again and again, priced against steady caching."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.insights import cache_thrash
from desktop.store import Store
from tests.helpers import scan
from tests.insights_scenes import SONNET_RATES, ClaudeSession, cost, items, only, run, utc

START = utc("2026-03-03T09:00:00")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "data" / "archive.sqlite")
    yield s
    s.close()


def turns(home: Path, sid: str, n: int, *, expired: bool) -> None:
    """n turns ten minutes apart; a turn's first call rebuilds the 100k context when the cache expired
    (else reads it), its second call 20 s later reads it and writes 2k new tokens."""
    s = ClaudeSession(home, sid, START)
    for i in range(n):
        at = 600 * i
        s.prompt(at, f"next step {chr(97 + i)}")
        if i == 0 or expired:
            s.call(at + 5, input=50, cache_write=100_000, output=300)
        else:
            s.call(at + 5, input=50, cache_read=100_000, cache_write=2_000, output=300)
        s.call(at + 25, input=50, cache_read=100_000, cache_write=2_000, output=300)
    s.write()


def test_repeated_rebuilds_fire_with_the_cost_against_steady_caching(
    store: Store, isolated_home: Path
) -> None:
    turns(isolated_home, "thrash", 8, expired=True)
    scan(store, isolated_home)
    f = only(run(cache_thrash, store), subject="claude:thrash")
    rebuild = cost(SONNET_RATES, input=50, cache_write=100_000, output=300)
    steady = cost(SONNET_RATES, input=50, cache_write=2_000, cache_read=98_000, output=300)
    (estimate,) = items(f, "estimate")
    assert (estimate["rebuilds"], estimate["rebuilt_tokens"], estimate["steady_write_tokens"]) == (
        7,
        700_000,
        2_000,
    )
    assert estimate["actual_usd"] == pytest.approx(7 * rebuild)
    assert estimate["steady_usd"] == pytest.approx(7 * steady)
    assert f.avoidable_usd == pytest.approx(7 * (rebuild - steady)) == estimate["difference_usd"]
    assert f.tokens == 7 * 100_350 and f.cost_usd == pytest.approx(7 * rebuild)
    calls = items(f, "call")
    assert len(calls) == 7 and {c["seconds_since_previous_call"] for c in calls} == {580}
    assert {c["cache_creation_tokens"] for c in calls} == {100_000}
    (session,) = items(f, "session")
    assert session["read_write_ratio"] == pytest.approx(800_000 / 816_000, abs=1e-3)
    assert f.severity == "warn"


def test_steady_caching_does_not(store: Store, isolated_home: Path) -> None:
    turns(isolated_home, "steady", 8, expired=False)
    scan(store, isolated_home)
    assert run(cache_thrash, store) == []


def test_three_rebuilds_do_not(store: Store, isolated_home: Path) -> None:
    turns(isolated_home, "few", 4, expired=True)
    scan(store, isolated_home)
    assert run(cache_thrash, store) == []
