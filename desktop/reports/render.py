"""Plain-text tables for the terminal: aligned columns, numbers right-aligned."""

from __future__ import annotations

from collections.abc import Sequence


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool] | None = None) -> str:
    numeric = numeric or [False] * len(headers)
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric)]
        return "  ".join(parts).rstrip()

    out = [line(headers), "  ".join("─" * w for w in widths)]
    out.extend(line(r) for r in rows)
    return "\n".join(out)
