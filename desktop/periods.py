"""Local-time bucketing: days, weeks (configurable start), months and quarters in the user's zone."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEK_STARTS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}
QUARTER_MS = 15 * 60 * 1000  # every real UTC offset is a multiple of 15 minutes


class UnknownZone(ValueError):
    pass


def zone(name: str | None) -> tzinfo:
    """The named IANA zone, or the system's own (TZ, then /etc/localtime), or the current offset."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise UnknownZone(f"unknown time zone {name!r} (use an IANA name such as Europe/Berlin)") from exc
    env = os.environ.get("TZ", "").lstrip(":")
    if env:
        try:
            return ZoneInfo(env)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target:
            return ZoneInfo(target.split("zoneinfo/", 1)[1])
    except (OSError, ZoneInfoNotFoundError, ValueError):
        pass
    return datetime.now().astimezone().tzinfo or timezone.utc


def local_date(ts_ms: int, tz: tzinfo) -> date:
    return datetime.fromtimestamp(ts_ms / 1000, tz).date()


def day_start_ms(day: date, tz: tzinfo) -> int:
    """UTC ms of local midnight starting `day` (fold=0: the first midnight if a DST shift repeats it)."""
    return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp() * 1000)


def week_start(day: date, start: str = "monday") -> date:
    first = WEEK_STARTS.get(start, 0)
    return day - timedelta(days=(day.weekday() - first) % 7)


def month_start(day: date) -> date:
    return day.replace(day=1)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def bucket(day: date, period: str, start: str = "monday") -> date:
    """The first day of the period containing `day`."""
    if period == "day":
        return day
    if period == "week":
        return week_start(day, start)
    if period == "month":
        return month_start(day)
    if period == "quarter":
        return quarter_start(day)
    if period == "year":
        return date(day.year, 1, 1)
    raise ValueError(f"unknown period {period!r}")


def next_bucket(first: date, period: str) -> date:
    if period == "day":
        return first + timedelta(days=1)
    if period == "week":
        return first + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_range(today: date, period: str, start: str = "monday", back: int = 0) -> tuple[date, date]:
    """[first, last] days of the period containing today, `back` periods ago."""
    first = bucket(today, period, start)
    for _ in range(back):
        first = bucket(first - timedelta(days=1), period, start)
    return first, next_bucket(first, period) - timedelta(days=1)


class LocalDays:
    """Maps UTC instants to local dates in 15-minute steps, cached: SQL groups, Python names the day."""

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self._cache: dict[int, date] = {}

    def of_quarter(self, quarter: int) -> date:
        day = self._cache.get(quarter)
        if day is None:
            day = self._cache[quarter] = local_date(quarter * QUARTER_MS, self.tz)
        return day
