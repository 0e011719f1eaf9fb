"""Which days an export covers, and which earlier days it is compared with.

A calendar period (week, month, quarter, year) is the one containing a day: today by default, or
`until` when given, cut at `until`. A custom period is `since..until` (until defaults to today). A
period still running is compared with the same number of days at the start of the previous period
(this week so far against the same weekdays of last week), so a half-finished week never looks like
a drop; a finished period is compared with the whole previous one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from desktop.periods import bucket, next_bucket
from desktop.reports.usage import Window

KINDS = ("week", "month", "quarter", "year")
CUSTOM = "custom"


class PeriodError(ValueError):
    """The requested days make no period (since after until, a period not started yet)."""


@dataclass(frozen=True)
class ExportPeriod:
    """`first..last` are the days shown; `through` is the last of them that has happened."""

    kind: str  # week | month | quarter | year | custom
    first: date
    last: date
    through: date
    tz: tzinfo
    week_start: str = "monday"

    @classmethod
    def of(
        cls,
        kind: str,
        tz: tzinfo,
        week_start: str = "monday",
        *,
        today: date | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> ExportPeriod:
        """The period an export of `kind` covers; since/until override the calendar (module docstring)."""
        today = today or datetime.now(tz).date()
        if kind not in KINDS and kind != CUSTOM:
            raise PeriodError(f"unknown period {kind!r} (use one of {', '.join(KINDS)})")
        if since and until and since > until:
            raise PeriodError("--since is after --until")
        if since is not None or kind == CUSTOM:
            first = since or today
            last = until or max(today, first)
            kind = CUSTOM
        else:
            anchor = until or today
            first = bucket(anchor, kind, week_start)
            last = until or next_bucket(first, kind) - timedelta(days=1)
        through = min(last, today)
        if through < first:
            raise PeriodError(f"the period starting {first.isoformat()} has not started yet")
        return cls(kind, first, last, through, tz, week_start)

    @classmethod
    def from_window(
        cls, window: Window, week_start: str = "monday", today: date | None = None
    ) -> ExportPeriod:
        """A custom period from a report window; an open end becomes today (an open start is refused)."""
        if window.since is None:
            raise PeriodError("an export needs a first day (--since)")
        return cls.of(CUSTOM, window.tz, week_start, today=today, since=window.since, until=window.until)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def running(self) -> bool:
        """True while days of the period are still to come."""
        return self.through < self.last

    def window(self) -> Window:
        return Window(tz=self.tz, since=self.first, until=self.last)

    def previous(self) -> tuple[date, date]:
        """The days compared with: as many days as have happened, from the previous period's start."""
        elapsed = self.through - self.first
        if self.kind == CUSTOM:
            start = self.first - timedelta(days=self.days)
            end = self.first - timedelta(days=1)
        else:
            start = bucket(self.first - timedelta(days=1), self.kind, self.week_start)
            end = self.first - timedelta(days=1)
        return start, min(start + elapsed, end)

    def previous_window(self) -> Window:
        start, end = self.previous()
        return Window(tz=self.tz, since=start, until=end)

    def label(self) -> str:
        """ "Week of Mon 2 Mar 2026", "March 2026", "Q1 2026", "2026", or "2 Mar – 15 Mar 2026"."""
        if self.kind == "week":
            text = f"Week of {day_label(self.first)}"
        elif self.kind == "month":
            text = f"{self.first:%B %Y}"
        elif self.kind == "quarter":
            text = f"Q{(self.first.month - 1) // 3 + 1} {self.first.year}"
        elif self.kind == "year":
            text = str(self.first.year)
        else:
            text = span_label(self.first, self.last)
        if self.kind != CUSTOM and self.last != next_bucket(self.first, self.kind) - timedelta(days=1):
            text += f", up to {day_label(self.last)}"
        return text

    def previous_label(self) -> str:
        start, end = self.previous()
        return span_label(start, end)


def day_label(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def span_label(first: date, last: date) -> str:
    if first == last:
        return day_label(first)
    head = f"{first.day} {first:%b}" if first.year == last.year else f"{first.day} {first:%b %Y}"
    return f"{head} – {last.day} {last:%b %Y}"
