"""oversized_model: short exchanges on the priciest model of a family, priced on the cheaper one."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.insights import oversized_model
from desktop.insights.oversized_model import cheaper_model
from desktop.store import Store
from tests.helpers import scan
from tests.insights_scenes import (
    OPUS,
    OPUS_RATES,
    SONNET_RATES,
    ClaudeSession,
    cost,
    items,
    only,
    run,
    utc,
    window,
)
from tests.logs import SONNET

WEEK = window("2026-03-02", "2026-03-08")
GAPS = [0, 95, 410, 530, 1300, 1345, 2000, 2600, 2710, 3500, 3900, 5000, 5200, 6100]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "data" / "archive.sqlite")
    yield s
    s.close()


def quick_questions(home: Path, model: str, n: int, output: int = 150, with_tool: bool = False) -> None:
    s = ClaudeSession(home, "quick", utc("2026-03-04T10:00:00"), model=model)
    for i in range(n):
        at = GAPS[i]
        s.prompt(at, f"what does helper {chr(97 + i)} return?")
        if with_tool:
            s.tool(at + 2, "Read", file_path=f"/home/dev/shop-api/src/{chr(97 + i)}.py")
        s.call(at + 4, input=20, cache_read=80_000, output=output)
    s.write()


def test_families_name_a_cheaper_model() -> None:
    assert (
        cheaper_model(OPUS) == "claude-sonnet-4-5"
        and cheaper_model("claude-3-opus-20240229") == "claude-sonnet-4-5"
    )
    assert cheaper_model("gpt-5-pro") == "gpt-5" and cheaper_model("gpt-5.1-codex-max") == "gpt-5-mini"
    assert cheaper_model(SONNET) is None and cheaper_model("gpt-5-mini") is None
    assert cheaper_model("gemini-2.5-pro") == "gemini-2.5-flash"


def test_short_exchanges_on_opus_fire_with_the_price_difference(store: Store, isolated_home: Path) -> None:
    quick_questions(isolated_home, OPUS, 12)
    scan(store, isolated_home)
    f = only(run(oversized_model, store, WEEK), detector="oversized_model")
    on_opus = cost(OPUS_RATES, input=20, cache_read=80_000, output=150)
    on_sonnet = cost(SONNET_RATES, input=20, cache_read=80_000, output=150)
    assert (f.subject, f.subject_kind, f.period_start.isoformat()) == (OPUS, "model", "2026-03-02")
    assert f.tokens == 12 * 80_170
    assert f.cost_usd == pytest.approx(12 * on_opus)
    assert f.avoidable_usd == pytest.approx(12 * (on_opus - on_sonnet))
    (estimate,) = items(f, "estimate")
    assert (estimate["alternative_model"], estimate["exchanges"], estimate["sessions"]) == (
        "claude-sonnet-4-5",
        12,
        1,
    )
    assert estimate["actual_usd"] == pytest.approx(12 * on_opus)
    assert estimate["alternative_usd"] == pytest.approx(12 * on_sonnet)
    assert (
        estimate["rates_per_mtok"][OPUS]["input"] == 15.0
        and estimate["rates_per_mtok"]["claude-sonnet-4-5"]["input"] == 3.0
    )
    prompts = items(f, "prompt")
    assert len(prompts) == 12 and all(p["prompt_id"] and len(p["event_ids"]) == 1 for p in prompts)
    assert {p["tokens"] for p in prompts} == {80_170}


def test_right_sized_long_or_tool_using_exchanges_do_not(store: Store, isolated_home: Path) -> None:
    quick_questions(isolated_home, SONNET, 12)
    scan(store, isolated_home)
    assert run(oversized_model, store, WEEK) == []


def test_long_answers_on_opus_do_not(store: Store, isolated_home: Path) -> None:
    quick_questions(isolated_home, OPUS, 12, output=3_000)
    scan(store, isolated_home)
    assert run(oversized_model, store, WEEK) == []


def test_tool_using_turns_on_opus_do_not(store: Store, isolated_home: Path) -> None:
    quick_questions(isolated_home, OPUS, 12, with_tool=True)
    scan(store, isolated_home)
    assert run(oversized_model, store, WEEK) == []


def test_too_few_exchanges_do_not(store: Store, isolated_home: Path) -> None:
    quick_questions(isolated_home, OPUS, 9)
    scan(store, isolated_home)
    assert run(oversized_model, store, WEEK) == []
