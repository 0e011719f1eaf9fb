"""runaway loop: in one session, a long chain of tool calls with no human prompt between them, or the
same tool call (same tool, same arguments) repeated, or failing, again and again with no file edited
in between: the state did not change, so neither will the result.

A human prompt ends a chain and every repetition count; a successful edit ends the repetition counts.
Tokens and cost are those of the calls made from the first to the last tool call of each flagged
stretch (overlapping stretches count once).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from desktop.formatting import money, tokens
from desktop.insights.common import (
    MAX_ITEMS,
    add_costs,
    cost_of,
    iso,
    merge_spans,
    more_item,
    session_label,
    sessions_started,
)
from desktop.insights.model import Finding, severity
from desktop.insights.thresholds import Thresholds
from desktop.periods import local_date
from desktop.reports.usage import Window
from desktop.store import Store
from desktop.store import finding_queries as fq
from desktop.store.finding_queries import ToolRow

DETECTOR = "runaway_loop"
CANNOT_TELL = (
    "A long unattended task you asked for, or a wait that polls on purpose, looks like a loop; only the "
    "tool name and a hash of its arguments are stored, so two calls that differ only in output look alike."
)


@dataclass(slots=True)
class _Stretch:
    """A flagged run of tool calls: a chain, or repetitions of one call."""

    kind: str  # chain | repeated_call
    calls: list[ToolRow] = field(default_factory=list)
    ratio: float = 0.0
    prompt_id: int | None = None  # the prompt the chain followed

    @property
    def span(self) -> tuple[int, int]:
        return self.calls[0].ts_ms, self.calls[-1].ts_ms + 1


def detect(store: Store, window: Window, thresholds: Thresholds) -> list[Finding]:
    conn = store.conn
    since, until = window.bounds_ms()
    sessions = {
        row.key: row for row in sessions_started(store, since, until, window.sources, thresholds.memo)
    }
    chain_min = int(thresholds["max_chain_calls"])
    same_min = int(thresholds["same_call_min"])
    error_min = int(thresholds["same_error_min"])
    candidates = fq.loop_candidates(conn, sessions, same_min, error_min, chain_min)
    if not candidates:
        return []
    calls = fq.tool_calls(conn, candidates)
    prompts = fq.prompt_times(conn, candidates)
    flagged: dict[fq.Key, list[_Stretch]] = {}
    for key in sorted(candidates):
        stretches = _stretches(calls.get(key, []), prompts.get(key, []), chain_min, same_min, error_min)
        if stretches:
            flagged[key] = stretches
    spans = [(k[0], k[1], s.span[0], s.span[1]) for k, found in flagged.items() for s in found]
    usages = iter(fq.span_usage(conn, spans))
    findings = []
    for key, stretches in flagged.items():
        items = [_item(s, next(usages), window) for s in stretches]
        merged = merge_spans([s.span for s in stretches])
        total = fq.span_usage(conn, [(key[0], key[1], a, b) for a, b in merged])
        spent = sum(u.total for u in total)
        cost = add_costs([cost_of(u) for u in total])
        findings.append(_finding(sessions[key], stretches, items, spent, cost, window))
    return findings


def _stretches(
    calls: list[ToolRow], prompts: list[tuple[int, int]], chain_min: int, same_min: int, error_min: int
) -> list[_Stretch]:
    """Walk the session's tool calls and prompts in time order (a prompt first when they tie)."""
    found: list[_Stretch] = []
    chain = _Stretch("chain")
    repeats: dict[tuple[str, str], list[ToolRow]] = {}

    def close_repeats(keep: tuple[str, str] | None = None) -> None:
        for call_key, run in list(repeats.items()):
            if call_key == keep:
                continue
            errors = sum(1 for c in run if c.is_error)
            ratio = max(len(run) / same_min if same_min else 0.0, errors / error_min if error_min else 0.0)
            if ratio >= 1:
                found.append(_Stretch("repeated_call", run, ratio))
            del repeats[call_key]

    def close_chain(next_prompt: int | None) -> None:
        nonlocal chain
        if chain_min and len(chain.calls) >= chain_min:
            chain.ratio = len(chain.calls) / chain_min
            found.append(chain)
        chain = _Stretch("chain", prompt_id=next_prompt)

    p = 0
    for call in calls:
        while p < len(prompts) and prompts[p][0] <= call.ts_ms:
            close_chain(prompts[p][1])
            close_repeats()
            p += 1
        chain.calls.append(call)
        call_key = (call.name, call.args_hash)
        repeats.setdefault(call_key, []).append(call)
        if call.file_path and not call.is_error:
            close_repeats(keep=call_key)  # the files changed: a repeated call may now have a reason
    close_chain(None)
    close_repeats()
    return sorted(found, key=lambda s: s.calls[0].ts_ms)


def _item(stretch: _Stretch, usage: Any, window: Window) -> dict[str, Any]:
    first, last = stretch.calls[0], stretch.calls[-1]
    item: dict[str, Any] = {"kind": stretch.kind, "calls": len(stretch.calls)}
    if stretch.kind == "chain":
        item["after_prompt_id"] = stretch.prompt_id
        item["tools"] = dict(Counter(c.name for c in stretch.calls).most_common(5))
    else:
        item["tool"] = first.name
        item["args_hash"] = first.args_hash
        item["errors"] = sum(1 for c in stretch.calls if c.is_error)
    item.update(
        start=iso(first.ts_ms, window.tz),
        end=iso(last.ts_ms, window.tz),
        tokens=usage.total,
        cost_usd=cost_of(usage),
        tool_call_ids=[c.id for c in stretch.calls[:MAX_ITEMS]],
    )
    return item


def _finding(
    row: fq.SessionRow,
    stretches: list[_Stretch],
    items: list[dict],
    spent: int,
    cost: float | None,
    window: Window,
) -> Finding:
    label = session_label(*row.key)
    longest = max((s for s in stretches if s.kind == "chain"), key=lambda s: len(s.calls), default=None)
    repeated = max(
        (s for s in stretches if s.kind == "repeated_call"), key=lambda s: len(s.calls), default=None
    )
    parts = []
    if longest:
        parts.append(f"{len(longest.calls)} tool calls in a row with no prompt from you")
    if repeated:
        errors, runs = sum(1 for c in repeated.calls if c.is_error), len(repeated.calls)
        if errors == runs:
            what = f"failed {runs} times"
        else:
            what = f"ran {runs} times" + (f" ({errors} of them failed)" if errors else "")
        parts.append(f"the same {repeated.calls[0].name} call {what} with no edit between")
    ranked = sorted(items, key=lambda i: -i["calls"])
    return Finding(
        detector=DETECTOR,
        period_start=local_date(row.first_ms, window.tz),
        period_end=local_date(row.last_ms, window.tz),
        subject_kind="session",
        subject=label,
        severity=severity(max(s.ratio for s in stretches), 1.0),
        tokens=spent,
        cost_usd=cost,
        summary=f"Session {label}: {'; '.join(parts)} ({tokens(spent)} tokens, {money(cost)}).",
        evidence=[{"kind": "session", "source": row.source, "session_id": row.session_id, "project": row.cwd}]
        + ranked[:MAX_ITEMS]
        + more_item(len(ranked) - MAX_ITEMS, "stretches"),
        cannot_tell=CANNOT_TELL,
    )
