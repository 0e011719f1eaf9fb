"""scripted prompting: prompts a script sent rather than a person, judged week by week.

Three signals, each its own finding:
- the same normalized prompt sent many times in a week (subject: the prompt pattern);
- prompts arriving at machine-regular intervals: over a run of prompts in one session, or of one
  pattern across sessions, the gaps vary little (low coefficient of variation, stdev / mean);
- a high share of the week's sessions ran headless (Claude Code print / SDK mode, `codex exec`).

Prompts are stored as a hash, a length and a short excerpt, never in full: a pattern is the excerpt
normalized (case, whitespace, numbers and hex ids, quoted strings folded); without an excerpt (the
setting is off) only identical prompts match. Tokens and cost of a prompt are those of its turn: the
calls from it until the session's next prompt.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from statistics import fmean, pstdev
from typing import Any

from desktop.formatting import money, tokens
from desktop.insights.common import (
    MAX_ITEMS,
    cost_of,
    iso,
    more_item,
    prompt_item,
    session_item,
    session_label,
    sessions_started,
    week_of,
    week_range,
)
from desktop.insights.model import Finding, severity
from desktop.insights.thresholds import Thresholds
from desktop.periods import local_date
from desktop.reports.usage import Window
from desktop.store import Store
from desktop.store import finding_queries as fq
from desktop.store.finding_queries import NO_END_MS, PromptRow
from desktop.store.queries import Usage

DETECTOR = "scripted_prompting"
CANNOT_TELL = (
    "It sees when and how often prompts came, not who typed them: a template you paste on purpose or a "
    "scheduled job you chose to run looks the same, and prompts are compared by their first characters only."
)

_QUOTED = re.compile(r"\"[^\"]*\"|(?<!\w)'[^'\n]*'(?!\w)|`[^`]*`|“[^”]*”|‘[^’]*’")
_HEX = re.compile(r"\b(?=[0-9a-f]*\d)[0-9a-f]{7,}\b")
_NUMBER = re.compile(r"\d+(?:[.,:/_-]\d+)*")


def normalize(text: str) -> str:
    """Fold what a script changes between runs: case, whitespace, quoted strings, numbers and hex ids."""
    folded = _QUOTED.sub("«…»", text.casefold())
    folded = _NUMBER.sub("#", _HEX.sub("#", folded))
    return " ".join(folded.split())


def pattern_of(prompt: PromptRow) -> tuple[str, str | None]:
    """(pattern id, normalized text or None when no excerpt was stored)."""
    if prompt.excerpt:
        text = normalize(prompt.excerpt)
        return hashlib.blake2b(text.encode(), digest_size=6).hexdigest(), text
    return prompt.text_hash[:12], None


def regular_run(
    times: list[int], min_prompts: int, max_cv: float, min_gap_ms: float
) -> tuple[int, int] | None:
    """The longest run [i, j) of at least min_prompts prompts whose gaps have a CV <= max_cv, or None.

    Exact integer sums of the gaps and their squares make each test O(1): CV^2 = (m*S2 - S1^2) / S1^2.
    """
    if min_prompts < 3 or len(times) < min_prompts:
        return None
    s1, s2 = [0], [0]
    for a, b in pairwise(times):
        s1.append(s1[-1] + (b - a))
        s2.append(s2[-1] + (b - a) ** 2)

    def regular(i: int, j: int) -> bool:  # prompts i..j-1, gaps i..j-2
        m, total, squares = j - 1 - i, s1[j - 1] - s1[i], s2[j - 1] - s2[i]
        return (
            total > 0 and total >= m * min_gap_ms and m * squares - total * total <= max_cv**2 * total * total
        )

    best: tuple[int, int] | None = None
    i = 0
    while i + min_prompts <= len(times):
        j = i + min_prompts
        if not regular(i, j):
            i += 1
            continue
        while j < len(times) and regular(i, j + 1):
            j += 1
        if best is None or j - i > best[1] - best[0]:
            best = (i, j)
        i = j
    return best


@dataclass(slots=True)
class _Pattern:
    week: date
    pattern: str
    text: str | None
    prompts: list[PromptRow] = field(default_factory=list)


def detect(store: Store, window: Window, thresholds: Thresholds) -> list[Finding]:
    conn = store.conn
    since, until = week_range(window, thresholds.week_start)
    prompts = fq.prompts_in(conn, since, until, window.sources)
    patterns: dict[tuple[date, str], _Pattern] = {}
    for prompt in prompts:
        pattern, text = pattern_of(prompt)
        week = week_of(prompt.ts_ms, window.tz, thresholds.week_start)
        patterns.setdefault((week, pattern), _Pattern(week, pattern, text)).prompts.append(prompt)
    flagged: list[tuple[_Pattern, float, tuple[int, int] | None]] = []
    min_gap = thresholds["regular_min_gap_seconds"] * 1000
    run_min, max_cv = int(thresholds["regular_min_prompts"]), float(thresholds["regular_max_cv"])
    for group in patterns.values():
        short = group.text is not None and len(group.text) < thresholds["repeat_min_chars"]
        needed = thresholds["short_repeat_min_count"] if short else thresholds["repeat_min_count"]
        times = [p.ts_ms for p in group.prompts]
        run = regular_run(times, run_min, max_cv, min_gap)
        ratio = max(len(times) / needed if needed else 0.0, 1.0 if run else 0.0)
        if ratio >= 1:
            flagged.append((group, ratio, run))
    in_patterns = {p.id for group, _, _ in flagged for p in group.prompts}
    by_session: dict[fq.Key, list[PromptRow]] = {}
    for prompt in prompts:
        by_session.setdefault(prompt.key, []).append(prompt)
    regular_sessions = []
    for key, own in by_session.items():
        run = regular_run([p.ts_ms for p in own], run_min, max_cv, min_gap)
        if run and not all(p.id in in_patterns for p in own[run[0] : run[1]]):
            regular_sessions.append((key, own[run[0] : run[1]]))
    turns = [p for group, _, _ in flagged for p in group.prompts] + [
        p for _, run in regular_sessions for p in run
    ]
    spans = [(p.source, p.session_id, p.ts_ms, p.next_ms or NO_END_MS) for p in turns]
    cost = dict(zip((p.id for p in turns), fq.span_usage(conn, spans), strict=True))
    findings = [
        _pattern_finding(group, ratio, run, cost, window, thresholds) for group, ratio, run in flagged
    ]
    findings += [_regular_finding(key, run, cost, window) for key, run in regular_sessions]
    findings += _headless(store, window, thresholds, since, until)
    return findings


def _gaps(prompts: list[PromptRow]) -> dict[str, float]:
    gaps = [(b.ts_ms - a.ts_ms) / 1000 for a, b in pairwise(prompts)]
    mean = fmean(gaps)
    return {
        "prompts": len(prompts),
        "mean_gap_seconds": round(mean, 1),
        "gap_cv": round(pstdev(gaps) / mean, 4) if mean else 0.0,
    }


def _prompt_item(prompt: PromptRow, usage: Usage, window: Window) -> dict[str, Any]:
    return prompt_item(prompt, window.tz, tokens=usage.total, cost_usd=cost_of(usage))


def _pattern_finding(
    group: _Pattern,
    ratio: float,
    run: tuple[int, int] | None,
    cost: dict[int, Usage],
    window: Window,
    thresholds: Thresholds,
) -> Finding:
    prompts = group.prompts
    usage = Usage()
    for p in prompts:
        usage.add(cost[p.id])
    sessions = {p.key for p in prompts}
    head: dict[str, Any] = {
        "kind": "pattern",
        "pattern_id": group.pattern,
        "pattern": group.text,
        "prompts": len(prompts),
        "sessions": len(sessions),
        "first": iso(prompts[0].ts_ms, window.tz),
        "last": iso(prompts[-1].ts_ms, window.tz),
    }
    said = (
        f"The same prompt (pattern {group.pattern}) was sent {len(prompts)} times in {len(sessions)} "
        f"session{'s' if len(sessions) != 1 else ''}"
    )
    if run:
        head["regular"] = _gaps(prompts[run[0] : run[1]])
        said += (
            f", {run[1] - run[0]} of them every {head['regular']['mean_gap_seconds']:.0f} s like clockwork"
        )
    ranked = sorted(prompts, key=lambda p: (-cost[p.id].total, p.ts_ms))
    evidence: list[dict[str, Any]] = [head] + [
        _prompt_item(p, cost[p.id], window) for p in ranked[:MAX_ITEMS]
    ]
    evidence += more_item(len(ranked) - MAX_ITEMS, "prompts")
    spent, money_spent = usage.total, cost_of(usage)
    return Finding(
        detector=DETECTOR,
        period_start=group.week,
        period_end=group.week + timedelta(days=6),
        subject_kind="prompt_pattern",
        subject=f"pattern {group.pattern}",
        key=f"{group.pattern}|{group.week.isoformat()}",
        severity=severity(ratio, 1.0),
        tokens=spent,
        cost_usd=money_spent,
        summary=f"{said} in the week of {group.week.isoformat()} ({tokens(spent)} tokens, {money(money_spent)}).",
        evidence=evidence,
        cannot_tell=CANNOT_TELL,
    )


def _regular_finding(key: fq.Key, run: list[PromptRow], cost: dict[int, Usage], window: Window) -> Finding:
    usage = Usage()
    for p in run:
        usage.add(cost[p.id])
    label = session_label(*key)
    gaps = _gaps(run)
    evidence: list[dict[str, Any]] = [
        {"kind": "session", "source": key[0], "session_id": key[1]},
        {"kind": "interval", **gaps},
    ]
    evidence += [_prompt_item(p, cost[p.id], window) for p in run[:MAX_ITEMS]]
    evidence += more_item(len(run) - MAX_ITEMS, "prompts")
    spent, money_spent = usage.total, cost_of(usage)
    return Finding(
        detector=DETECTOR,
        period_start=local_date(run[0].ts_ms, window.tz),
        period_end=local_date(run[-1].ts_ms, window.tz),
        subject_kind="session",
        subject=label,
        severity="warn",
        tokens=spent,
        cost_usd=money_spent,
        summary=(
            f"Session {label}: {len(run)} prompts arrived every {gaps['mean_gap_seconds']:.0f} s, varying only "
            f"{gaps['gap_cv'] * 100:.0f}%, like a timer ({tokens(spent)} tokens, {money(money_spent)})."
        ),
        evidence=evidence,
        cannot_tell=CANNOT_TELL,
    )


def _headless(
    store: Store, window: Window, thresholds: Thresholds, since: int | None, until: int | None
) -> list[Finding]:
    flags = fq.session_flags(store.conn)
    weeks: dict[date, list[fq.SessionRow]] = {}
    for row in sessions_started(store, since, until, window.sources, thresholds.memo):
        weeks.setdefault(week_of(row.first_ms, window.tz, thresholds.week_start), []).append(row)
    findings = []
    for week, rows in sorted(weeks.items()):
        headless = [r for r in rows if flags.get(r.key, (False, None))[0]]
        share = len(headless) / len(rows)
        if (
            len(rows) < thresholds["headless_min_sessions"]
            or not headless
            or share < thresholds["headless_min_share"]
        ):
            continue
        usage = Usage()
        for r in headless:
            usage.add(r.usage)
        entrypoints = Counter(flags[r.key][1] or "?" for r in headless)
        ranked = sorted(headless, key=lambda r: (-r.usage.total, r.first_ms))
        evidence: list[dict[str, Any]] = [
            {
                "kind": "share",
                "sessions": len(rows),
                "headless_sessions": len(headless),
                "share": round(share, 4),
                "entrypoints": dict(entrypoints.most_common()),
            }
        ]
        evidence += [session_item(r, window.tz, entrypoint=flags[r.key][1]) for r in ranked[:MAX_ITEMS]]
        evidence += more_item(len(ranked) - MAX_ITEMS, "sessions")
        spent, cost = usage.total, cost_of(usage)
        findings.append(
            Finding(
                detector=DETECTOR,
                period_start=week,
                period_end=week + timedelta(days=6),
                subject_kind="week",
                subject="headless sessions",
                key=f"headless|{week.isoformat()}",
                severity="warn" if share >= 0.8 else "info",
                tokens=spent,
                cost_usd=cost,
                summary=(
                    f"{len(headless)} of the {len(rows)} sessions in the week of {week.isoformat()} "
                    f"({share * 100:.0f}%) ran headless, with no one at the prompt ({tokens(spent)} tokens, {money(cost)})."
                ),
                evidence=evidence,
                cannot_tell=CANNOT_TELL,
            )
        )
    return findings
