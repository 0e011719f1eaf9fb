"""oversized model: in one week, many short exchanges sent to the priciest model of a family when a
cheaper model of the same family handles them, priced both ways with the price table.

A short exchange is one human prompt of at most `max_prompt_chars` characters whose turn (the calls
until the session's next prompt) made at most `max_calls` billed calls, all on the one model, used at
most `max_tool_calls` tools and wrote at most `max_output_tokens`. A model counts as oversized when
FAMILIES names a cheaper model of its family whose input rate is `min_price_ratio` times lower.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from desktop.formatting import money, tokens
from desktop.insights.common import MAX_ITEMS, add_costs, more_item, prompt_item, week_of, week_range
from desktop.insights.model import Finding, severity
from desktop.insights.thresholds import Thresholds
from desktop.model import Tokens
from desktop.reports.usage import Window
from desktop.store import Store
from desktop.store import finding_queries as fq
from desktop.store.finding_queries import NO_END_MS, CallRow, PromptRow

DETECTOR = "oversized_model"
CANNOT_TELL = (
    "A short question can still be a hard one; it sees sizes, not difficulty, and the cheaper model's "
    "price assumes the same tokens, which a different model would not use exactly."
)

# The top of a model family, and the cheaper model of that family its short exchanges are priced on.
FAMILIES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"claude-(?:[\d.-]+-)?opus|opus-\d"), "claude-sonnet-4-5"),
    (re.compile(r"^(?:openai/)?(?:gpt-5(?:\.\d+)?-pro|o1-pro|o3-pro)\b"), "gpt-5"),
    (re.compile(r"^(?:openai/)?gpt-5(?:\.\d+)?(?:-codex)?(?:-max)?$"), "gpt-5-mini"),
    (re.compile(r"gemini-[\d.]+-pro"), "gemini-2.5-flash"),
)


def cheaper_model(model: str) -> str | None:
    name = model.lower()
    for pattern, cheaper in FAMILIES:
        if pattern.search(name):
            return cheaper
    return None


@dataclass(slots=True)
class _Group:
    """The short exchanges on one model in one week."""

    source: str
    model: str
    cheaper: str
    prompts: list[tuple[PromptRow, list[CallRow], float, float]] = field(default_factory=list)


def detect(store: Store, window: Window, thresholds: Thresholds) -> list[Finding]:
    conn = store.conn
    since, until = week_range(window, thresholds.week_start)
    prices = thresholds.prices
    oversized: dict[tuple[str, str], str] = {}
    for source, model in fq.models_used(conn, since, until, window.sources):
        cheaper = cheaper_model(model)
        mine, theirs = prices.rates_for(model, source), prices.rates_for(cheaper, source) if cheaper else None
        if (
            cheaper
            and mine
            and theirs
            and theirs.input > 0
            and mine.input / theirs.input >= thresholds["min_price_ratio"]
        ):
            oversized[(source, model)] = cheaper
    if not oversized:
        return []
    using = fq.sessions_using(conn, since, until, oversized)
    short = [
        p
        for p in fq.prompts_in(conn, since, until, window.sources)
        if p.key in using and p.length <= thresholds["max_prompt_chars"]
    ]
    spans = [(p.source, p.session_id, p.ts_ms, p.next_ms or NO_END_MS) for p in short]
    turns = fq.span_calls(conn, spans)
    tools = fq.span_tool_counts(conn, spans)
    groups: dict[tuple[date, str, str], _Group] = {}
    for prompt, calls, tool_count in zip(short, turns, tools, strict=True):
        used = calls[0].model if calls else None
        if (
            used is None
            or (prompt.source, used) not in oversized
            or not _short(calls, tool_count, thresholds)
        ):
            continue
        cheaper = oversized[(prompt.source, used)]
        on_model = [prices.cost(c.source, used, _tokens(c), c.speed).usd for c in calls]
        on_cheaper = [prices.cost(c.source, cheaper, _tokens(c), c.speed).usd for c in calls]
        if any(v is None for v in on_model + on_cheaper):
            continue
        week = week_of(prompt.ts_ms, window.tz, thresholds.week_start)
        group = groups.setdefault((week, prompt.source, used), _Group(prompt.source, used, cheaper))
        group.prompts.append(
            (prompt, calls, sum(v or 0.0 for v in on_model), sum(v or 0.0 for v in on_cheaper))
        )
    findings = []
    for (week, _source, _model), group in sorted(groups.items()):
        actual = sum(a for _, _, a, _ in group.prompts)
        alternative = sum(b for _, _, _, b in group.prompts)
        if (
            len(group.prompts) < thresholds["min_exchanges"]
            or actual - alternative < thresholds["min_savings_usd"]
        ):
            continue
        findings.append(_finding(week, group, actual, alternative, thresholds, window))
    return findings


def _short(calls: list[CallRow], tool_count: int, thresholds: Thresholds) -> bool:
    """One model throughout, few calls, no tools, little output."""
    return (
        len({c.model for c in calls}) == 1
        and len(calls) <= thresholds["max_calls"]
        and tool_count <= thresholds["max_tool_calls"]
        and sum(c.output for c in calls) <= thresholds["max_output_tokens"]
    )


def _tokens(call: CallRow) -> Tokens:
    return Tokens(
        input_uncached=call.input_uncached,
        cache_read=call.cache_read,
        cache_write_5m=call.cache_write_5m,
        cache_write_1h=call.cache_write_1h,
        output=call.output,
    )


def _finding(
    week: date, group: _Group, actual: float, alternative: float, thresholds: Thresholds, window: Window
) -> Finding:
    prices = thresholds.prices
    mine, theirs = prices.rates_for(group.model, group.source), prices.rates_for(group.cheaper, group.source)
    spent = sum(c.tokens for _, calls, _, _ in group.prompts for c in calls)
    cost = add_costs([c.cost_usd for _, calls, _, _ in group.prompts for c in calls])
    saving = round(actual - alternative, 6)
    n = len(group.prompts)
    sessions = {(p.source, p.session_id) for p, _, _, _ in group.prompts}
    evidence: list[dict[str, Any]] = [
        {
            "kind": "estimate",
            "model": group.model,
            "alternative_model": group.cheaper,
            "exchanges": n,
            "sessions": len(sessions),
            "actual_usd": round(actual, 6),
            "alternative_usd": round(alternative, 6),
            "difference_usd": saving,
            "rates_per_mtok": {group.model: _rates(mine), group.cheaper: _rates(theirs)},
        },
    ]
    ranked = sorted(group.prompts, key=lambda t: (-(t[2] - t[3]), t[0].ts_ms))
    for prompt, calls, a, b in ranked[:MAX_ITEMS]:
        evidence.append(
            prompt_item(
                prompt,
                window.tz,
                event_ids=[c.id for c in calls],
                tokens=sum(c.tokens for c in calls),
                output_tokens=sum(c.output for c in calls),
                cost_usd=add_costs([c.cost_usd for c in calls]),
                model_usd=round(a, 6),
                alternative_usd=round(b, 6),
            )
        )
    evidence += more_item(n - MAX_ITEMS, "exchanges")
    return Finding(
        detector=DETECTOR,
        period_start=week,
        period_end=week + timedelta(days=6),
        subject_kind="model",
        subject=group.model,
        key=f"{group.source}|{group.model}|{week.isoformat()}",
        severity=severity(saving, thresholds["min_savings_usd"]),
        tokens=spent,
        cost_usd=cost,
        avoidable_usd=saving,
        summary=(
            f"{n} short exchanges went to {group.model} in the week of {week.isoformat()} ({tokens(spent)} tokens, "
            f"{money(actual)}); on {group.cheaper} they would cost {money(alternative)}, {money(saving)} less."
        ),
        evidence=evidence,
        cannot_tell=CANNOT_TELL,
    )


def _rates(rates: Any) -> dict[str, float]:
    return {
        "input": round(rates.input * 1e6, 6),
        "output": round(rates.output * 1e6, 6),
        "cache_write": round(rates.cache_write * 1e6, 6),
        "cache_read": round(rates.cache_read * 1e6, 6),
    }
