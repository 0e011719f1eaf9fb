"""Detector thresholds: documented defaults, as data. The user overrides any of them through the setting
`insight_thresholds`: `{"<detector id>": {"<name>": number}}`; unknown names and bad values are logged
and ignored, so a typo never silences a detector. docs/INSIGHTS.md explains each one.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from desktop.pricing import PriceTable
    from desktop.store import Store

log = logging.getLogger(__name__)
SETTING = "insight_thresholds"

DEFAULTS: dict[str, dict[str, float]] = {
    "scripted_prompting": {
        "repeat_min_count": 10,  # the same normalized prompt sent at least this often in one week...
        "repeat_min_chars": 20,  # ...when the normalized text has at least this many characters;
        "short_repeat_min_count": 40,  # shorter ones ("yes", "go on") need this many
        "regular_min_prompts": 8,  # a run of at least this many prompts is tested for regular intervals
        "regular_max_cv": 0.1,  # gaps varying less than this (stdev / mean) are machine-regular
        "regular_min_gap_seconds": 1,  # the mean gap must be at least this: a burst is not an interval
        "headless_min_sessions": 10,  # weeks with at least this many sessions...
        "headless_min_share": 0.5,  # ...of which at least this share ran headless
    },
    "burn_without_delivery": {
        "session_min_cost_usd": 10.0,  # a session costing at least this...
        "session_min_tokens": 20_000_000,  # ...or spending this many tokens, with no linked commit
        "day_min_cost_usd": 25.0,  # a project-day costing at least this...
        "day_min_tokens": 50_000_000,  # ...or spending this many tokens, with no commit in that repository
    },
    "abandoned_work": {
        "min_cost_usd": 5.0,  # sessions costing at least this...
        "min_tokens": 10_000_000,  # ...or spending this many tokens
        "grace_hours": 72,  # how long after the session its files may take to reach a commit
    },
    "runaway_loop": {
        "max_chain_calls": 150,  # tool calls in a row with no human prompt between
        "same_call_min": 8,  # the same call (tool and arguments) this many times with no file edited between
        "same_error_min": 4,  # the same call failing this many times with no file edited between
    },
    "cache_thrash": {
        "rebuild_min_tokens": 30_000,  # a call writing at least this many tokens to the cache...
        "rebuild_min_share": 0.5,  # ...that are at least this share of all it read is a rebuild
        "min_rebuilds": 4,  # rebuilds in one session, the first (cold) call aside
        "max_read_write_ratio": 3.0,  # and the session's cache reads / cache writes below this
        "min_excess_usd": 1.0,  # and the rebuilds cost at least this much more than steady caching
    },
    "context_bloat": {
        "min_input_tokens": 150_000,  # a call reading at least this many tokens...
        "median_multiple": 4.0,  # ...and at least this many times your median call...
        "max_output_tokens": 500,  # ...that writes at most this many tokens
        "min_calls": 10,  # such calls in one session...
        "min_cost_usd": 1.0,  # ...costing at least this together
        "baseline_days": 30,  # the median is taken over this many days before the window's end (or the window)
    },
    "oversized_model": {
        "max_output_tokens": 400,  # a short exchange: one prompt answered with at most this much output...
        "max_calls": 2,  # ...in at most this many billed calls...
        "max_tool_calls": 0,  # ...using at most this many tools...
        "max_prompt_chars": 400,  # ...for a prompt of at most this many characters
        "min_price_ratio": 2.0,  # the model's input rate is at least this many times the cheaper one's
        "min_exchanges": 10,  # short exchanges on that model in one week
        "min_savings_usd": 1.0,  # and the cheaper model would have saved at least this
    },
}


def resolve(overrides: Any) -> dict[str, dict[str, float]]:
    """The defaults with valid overrides applied."""
    values = {detector: dict(names) for detector, names in DEFAULTS.items()}
    if not overrides:
        return values
    if not isinstance(overrides, Mapping):
        log.warning("setting %s is not an object; using the default thresholds", SETTING)
        return values
    for detector, names in overrides.items():
        if detector not in values or not isinstance(names, Mapping):
            log.warning("setting %s: unknown detector %r ignored", SETTING, detector)
            continue
        for name, value in names.items():
            if name not in values[detector]:
                log.warning("setting %s: %s has no threshold %r", SETTING, detector, name)
            elif (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value < 0
            ):
                log.warning("setting %s: %s.%s must be a number >= 0, not %r", SETTING, detector, name, value)
            else:
                values[detector][name] = value
    return values


def user_overrides(store: Store) -> Any:
    try:
        return store.settings.get(SETTING)
    except KeyError:  # an archive from before the setting existed has no default for it
        return {}


class Thresholds:
    """One detector's thresholds, plus what every detector may need: the clock, week start, link window, prices.

    `thresholds["name"]` reads a value. `now_ms` is passed in so detectors stay pure and testable.
    `memo` is scratch shared by the detectors of one run (the archive does not change during a run).
    """

    def __init__(
        self,
        values: Mapping[str, float],
        *,
        now_ms: int | None = None,
        week_start: str = "monday",
        link_window_hours: float = 12.0,
        prices: PriceTable | None = None,
        price_overrides: dict | None = None,
        memo: dict | None = None,
    ) -> None:
        self.values = dict(values)
        self.now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        self.week_start = week_start
        self.link_window_hours = link_window_hours
        self._prices = prices
        self._price_overrides = price_overrides or {}
        self.memo = {} if memo is None else memo

    def __getitem__(self, name: str) -> float:
        return self.values[name]

    @property
    def prices(self) -> PriceTable:
        """The bundled price table with the user's overrides, loaded on first use."""
        if self._prices is None:
            from desktop.pricing import PriceTable

            self._prices = PriceTable.load().with_overrides(self._price_overrides)
        return self._prices
