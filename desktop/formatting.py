"""Numbers read the same everywhere: 842, 12.4k, 1.2M; $0.42, $1,284; unpriced as an em dash."""

from __future__ import annotations

UNPRICED = "—"


def tokens(value: int | float, estimate: bool = False) -> str:
    sign = "-" if value < 0 else ""
    n = abs(value)
    if n < 1000:
        text = f"{n:.0f}"
    else:
        for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
            if n >= limit:
                scaled = n / limit
                text = f"{scaled:.1f}{suffix}" if scaled < 100 else f"{scaled:.0f}{suffix}"
                if text.startswith("1000") and suffix != "T":
                    continue  # 999.96k rounds to the next unit
                break
    return ("~" if estimate else "") + sign + text


def money(value: float | None, estimate: bool = False) -> str:
    if value is None:
        return UNPRICED
    prefix = "~" if estimate else ""
    if abs(value) >= 1000:
        return f"{prefix}${value:,.0f}"
    if 0 < abs(value) < 0.01:
        return f"{prefix}<$0.01"
    return f"{prefix}${value:,.2f}"


def delta(current: float, previous: float) -> str:
    """▲ 18% / ▼ 7% against the previous period; new when there was nothing before."""
    if previous == 0:
        return "new" if current else "—"
    change = (current - previous) / previous * 100
    if abs(change) < 0.5:
        return "± 0%"
    return f"{'▲' if change > 0 else '▼'} {abs(change):.0f}%"


def integer(value: int) -> str:
    return f"{value:,}"
