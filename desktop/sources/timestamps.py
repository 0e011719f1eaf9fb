"""Instants as written by the assistants, turned into UTC epoch milliseconds."""

from __future__ import annotations

from datetime import datetime, timezone


def iso_to_ms(value: str | None) -> int | None:
    """ISO-8601 with `Z` or an offset; a string without a zone is taken as UTC (what the tools write)."""
    if not value or not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def epoch_to_ms(value: float | int | None) -> int | None:
    """Seconds or milliseconds: |value| < 1e12 means seconds (LOG-FORMATS §2.2)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number * 1000) if abs(number) < 1e12 else int(number)
