"""Findings as terminal text: one block per finding, most severe first, dismissed ones counted, not shown."""

from __future__ import annotations

from collections import Counter

from desktop.formatting import money, tokens
from desktop.insights.model import Finding


def findings_text(found: list[Finding]) -> str:
    shown = [f for f in found if f.state != "dismissed"]
    hidden = len(found) - len(shown)
    if not shown:
        tail = f" ({hidden} dismissed)" if hidden else ""
        return f"No findings in this range{tail}. Nothing here burned tokens without producing work, by these rules."
    levels = Counter(f.severity for f in shown)
    head = (
        f"{len(shown)} finding{'s' if len(shown) != 1 else ''} ("
        + ", ".join(f"{levels[s]} {s}" for s in ("high", "warn", "info") if levels[s])
        + ")"
    )
    if hidden:
        head += f"; {hidden} dismissed not shown"
    blocks = [head + "."]
    for f in shown:
        period = (
            f.period_start.isoformat()
            if f.period_start == f.period_end
            else f"{f.period_start.isoformat()}..{f.period_end.isoformat()}"
        )
        line = f"{f.severity.upper():<4}  #{f.id}  {f.detector}  {period}  {tokens(f.tokens)} tok  {money(f.cost_usd)}"
        if f.avoidable_usd:
            line += f" ({money(f.avoidable_usd)} avoidable)"
        if f.state == "new":
            line += "  new"
        kinds = Counter(item.get("kind", "?") for item in f.evidence)
        evidence = ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in kinds.items() if k != "more")
        blocks.append(
            f"{line}\n      {f.summary}\n      evidence: {evidence}\n      cannot tell: {f.cannot_tell}"
        )
    return "\n\n".join(blocks)
