"""runaway_loop: long chains with no human prompt, the same call or the same error repeated with no edit between."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.insights import runaway_loop
from desktop.store import Store
from tests.helpers import scan
from tests.insights_scenes import SONNET_RATES, ClaudeSession, cost, items, only, run, utc

CALL = cost(SONNET_RATES, input=10, output=5)  # every tool call in these scenes is one such call
START = utc("2026-03-03T09:00:00")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "data" / "archive.sqlite")
    yield s
    s.close()


def chain(home: Path, sid: str, calls: int) -> None:
    s = ClaudeSession(home, sid, START).prompt(0, "fix every lint warning")
    for i in range(calls):
        s.tool(1 + i, "Read", file_path=f"/home/dev/shop-api/src/m{i}.py")
    s.prompt(calls + 30, "thanks, stop there").call(calls + 35)
    s.write()


def test_a_long_chain_without_a_prompt_fires(store: Store, isolated_home: Path) -> None:
    chain(isolated_home, "long", 160)
    scan(store, isolated_home)
    f = only(run(runaway_loop, store), subject="claude:long")
    (stretch,) = items(f, "chain")
    assert stretch["calls"] == 160 and stretch["tools"] == {"Read": 160}
    assert stretch["after_prompt_id"] is not None and len(stretch["tool_call_ids"]) == 20
    assert (stretch["tokens"], f.tokens) == (160 * 15, 160 * 15)
    assert f.cost_usd == pytest.approx(160 * CALL) and stretch["cost_usd"] == pytest.approx(160 * CALL)
    assert f.severity == "warn"


def test_a_chain_under_the_limit_does_not(store: Store, isolated_home: Path) -> None:
    chain(isolated_home, "fine", 140)
    scan(store, isolated_home)
    assert run(runaway_loop, store) == []


def repeated(home: Path, sid: str, times: int, *, edit_between: bool = False, error: bool = False) -> None:
    s = ClaudeSession(home, sid, START).prompt(0, "make the build pass")
    for i in range(times):
        s.tool(10 * (i + 1), "Bash", error=error, command="npm test", description="Run tests")
        if i < times - 1:
            if edit_between:
                s.edit(10 * (i + 1) + 5, f"/home/dev/shop-api/src/cart{i}.js")
            else:
                s.tool(10 * (i + 1) + 5, "Read", file_path=f"/home/dev/shop-api/src/cart{i}.js")
    s.write()


def test_the_same_call_again_and_again_with_nothing_edited_fires(store: Store, isolated_home: Path) -> None:
    repeated(isolated_home, "loop", 8)
    scan(store, isolated_home)
    f = only(run(runaway_loop, store), subject="claude:loop")
    (stretch,) = items(f, "repeated_call")
    assert (stretch["tool"], stretch["calls"], stretch["errors"]) == ("Bash", 8, 0)
    assert len(stretch["tool_call_ids"]) == 8
    assert f.tokens == 15 * 15  # 8 Bash calls and the 7 reads between them
    assert f.cost_usd == pytest.approx(15 * CALL)


def test_the_same_call_with_edits_between_does_not(store: Store, isolated_home: Path) -> None:
    repeated(isolated_home, "tdd", 8, edit_between=True)
    scan(store, isolated_home)
    assert run(runaway_loop, store) == []


def test_the_same_error_four_times_fires_three_does_not(store: Store, isolated_home: Path) -> None:
    repeated(isolated_home, "err4", 4, error=True)
    repeated(isolated_home, "err3", 3, error=True)
    scan(store, isolated_home)
    f = only(run(runaway_loop, store), detector="runaway_loop")
    assert f.subject == "claude:err4"
    (stretch,) = items(f, "repeated_call")
    assert (stretch["calls"], stretch["errors"]) == (4, 4)
    assert f.tokens == 7 * 15 and f.cost_usd == pytest.approx(7 * CALL)
    assert "failed 4 times" in f.summary
