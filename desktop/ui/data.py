"""What the window shows, as plain arrays: loaded off the GUI thread, sliced on it in microseconds.

No Qt here. `load_usage` runs in a worker with its own Store and returns a `UsageCube`, one row
per (local day, source, model, project, estimate). A range change, a grouping toggle or a
project filter is then a numpy slice of the cube, not a query: that keeps redraws well under
the 100 ms budget with a year of history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo
from typing import Any

import numpy as np

from desktop.periods import day_start_ms, period_range
from desktop.store import Store
from desktop.store import ui_queries

log = logging.getLogger(__name__)
EPOCH = date(1970, 1, 1)
RANGES = ("week", "month", "quarter", "year", "custom")


def day_number(day: date) -> int:
    return (day - EPOCH).days


def day_of(number: int) -> date:
    return EPOCH + timedelta(days=int(number))


@dataclass(frozen=True)
class CommitDay:
    """Commits of one local day; mirrors desktop.reports.commits.CommitDay's fields."""

    commits: int = 0
    ai_trailer_commits: int = 0
    lines_added: int = 0
    lines_removed: int = 0


@dataclass
class UsageCube:
    """Columns of equal length; the *_names lists decode the index columns."""

    tz: tzinfo
    day: np.ndarray
    source: np.ndarray
    model: np.ndarray
    project: np.ndarray
    estimate: np.ndarray
    input: np.ndarray
    cache_write: np.ndarray
    cache_read: np.ndarray
    output: np.ndarray
    tokens: np.ndarray
    cost: np.ndarray
    unpriced: np.ndarray
    events: np.ndarray
    source_names: list[str]
    model_names: list[str]
    project_names: list[str]
    model_source: dict[str, str] = field(default_factory=dict)  # the source a model is mostly used with
    commits: dict[date, CommitDay] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return len(self.day) == 0

    def first_day(self) -> date | None:
        return day_of(self.day.min()) if len(self.day) else None

    def last_day(self) -> date | None:
        return day_of(self.day.max()) if len(self.day) else None

    def _mask(self, first: date, last: date, project: str | None) -> np.ndarray:
        mask = (self.day >= day_number(first)) & (self.day <= day_number(last))
        if project is not None:
            index = self.project_names.index(project) if project in self.project_names else -1
            mask &= self.project == index
        return mask

    def totals(self, first: date, last: date, project: str | None = None) -> Totals:
        m = self._mask(first, last, project)
        est = m & self.estimate
        return Totals(
            tokens=int(self.tokens[m].sum()),
            estimated_tokens=int(self.tokens[est].sum()),
            cost=float(self.cost[m].sum()),
            unpriced_events=int(self.unpriced[m].sum()),
            events=int(self.events[m].sum()),
            commits=sum(c.commits for d, c in self.commits.items() if first <= d <= last) if project is None else None,
        )

    def top_projects(self, first: date, last: date, limit: int = 1) -> list[tuple[str, int, float]]:
        """(project path, tokens, cost), biggest first, empty paths left out."""
        m = self._mask(first, last, None)
        if not m.any():
            return []
        tokens = np.bincount(self.project[m], weights=self.tokens[m], minlength=len(self.project_names))
        cost = np.bincount(self.project[m], weights=self.cost[m], minlength=len(self.project_names))
        order = [int(i) for i in np.argsort(-tokens, kind="stable") if tokens[i] > 0 and self.project_names[i]]
        return [(self.project_names[i], int(tokens[i]), float(cost[i])) for i in order[:limit]]

    def chart(self, first: date, last: date, by: str = "source", project: str | None = None,
              today: date | None = None) -> ChartData:  # fmt: skip
        """Per-day stacks for [first, last]: measured and estimated tokens per series, cost, commits."""
        n = (last - first).days + 1
        days = [first + timedelta(days=i) for i in range(n)]
        m = self._mask(first, last, project)
        offset = self.day[m] - day_number(first)
        if by == "model":
            index, names = self.model[m], [name or "(no model)" for name in self.model_names]
        else:
            index, names = self.source[m], list(self.source_names)
        k = len(names)
        flat = index.astype(np.int64) * n + offset
        est = self.estimate[m]
        measured = np.bincount(flat[~est], weights=self.tokens[m][~est], minlength=k * n).reshape(k, n)
        estimated = np.bincount(flat[est], weights=self.tokens[m][est], minlength=k * n).reshape(k, n)
        keep = [i for i in np.argsort(-(measured.sum(axis=1) + estimated.sum(axis=1)), kind="stable")
                if measured[i].sum() + estimated[i].sum() > 0]  # fmt: skip
        per_day = {name: np.bincount(offset, weights=getattr(self, name)[m], minlength=n)
                   for name in ("input", "cache_write", "cache_read", "output", "cost", "unpriced", "events")}  # fmt: skip
        commits = np.zeros(n)
        lines = np.zeros(n)
        ai_commits = np.zeros(n)
        if project is None:
            for i, day in enumerate(days):
                c = self.commits.get(day)
                if c is not None:
                    commits[i], ai_commits[i] = c.commits, c.ai_trailer_commits
                    lines[i] = c.lines_added + c.lines_removed
        series_source = {names[i]: (self.source_names[i] if by == "source" else
                                    self.model_source.get(self.model_names[i], "")) for i in keep}  # fmt: skip
        return ChartData(
            days=days,
            by=by,
            keys=[names[i] for i in keep],
            series_source=series_source,
            measured=measured[keep].astype(np.int64) if keep else np.zeros((0, n), np.int64),
            estimated=estimated[keep].astype(np.int64) if keep else np.zeros((0, n), np.int64),
            input=per_day["input"].astype(np.int64),
            cache_write=per_day["cache_write"].astype(np.int64),
            cache_read=per_day["cache_read"].astype(np.int64),
            output=per_day["output"].astype(np.int64),
            cost=per_day["cost"],
            unpriced=per_day["unpriced"].astype(np.int64),
            events=per_day["events"].astype(np.int64),
            commits=commits.astype(np.int64),
            ai_commits=ai_commits.astype(np.int64),
            lines=lines.astype(np.int64),
            commits_known=project is None and bool(self.commits),
            future=np.array([today is not None and d > today for d in days], bool),
        )


@dataclass
class Totals:
    tokens: int = 0
    estimated_tokens: int = 0
    cost: float = 0.0
    unpriced_events: int = 0
    events: int = 0
    commits: int | None = None

    @property
    def cost_known(self) -> bool:
        return self.events > self.unpriced_events


@dataclass
class ChartData:
    days: list[date]
    by: str
    keys: list[str]
    series_source: dict[str, str]
    measured: np.ndarray  # series x days
    estimated: np.ndarray
    input: np.ndarray
    cache_write: np.ndarray
    cache_read: np.ndarray
    output: np.ndarray
    cost: np.ndarray
    unpriced: np.ndarray
    events: np.ndarray
    commits: np.ndarray
    ai_commits: np.ndarray
    lines: np.ndarray
    commits_known: bool
    future: np.ndarray  # days after today: nothing drawn there

    @property
    def totals_per_day(self) -> np.ndarray:
        if not self.keys:
            return np.zeros(len(self.days), np.int64)
        return self.measured.sum(axis=0) + self.estimated.sum(axis=0)

    @property
    def empty(self) -> bool:
        return not self.keys and not self.commits.any()


def range_for(kind: str, today: date, week_start: str, back: int = 0,
              custom: tuple[date, date] | None = None) -> tuple[date, date]:  # fmt: skip
    """[first, last] of the picked range; `back` steps to earlier periods."""
    if kind == "custom":
        if custom is None:
            return today - timedelta(days=29), today
        first, last = custom
        return (first, last) if first <= last else (last, first)
    return period_range(today, kind, week_start, back)


def week_so_far(today: date, week_start: str) -> tuple[tuple[date, date], tuple[date, date]]:
    """(this week up to today, the same days of last week): a fair comparison on any weekday."""
    first, _ = period_range(today, "week", week_start)
    span = today - first
    return (first, today), (first - timedelta(days=7), first - timedelta(days=7) + span)


def empty_cube(tz: tzinfo) -> UsageCube:
    z = np.zeros(0, np.int64)
    return UsageCube(tz, z, z, z, z, np.zeros(0, bool), z, z, z, z, z, np.zeros(0), z, z, [], [], [])


def load_usage(store: Store, tz: tzinfo) -> UsageCube:
    """Every day of history in one grouped query; typically a few thousand rows for a year."""
    rows = ui_queries.usage_by_local_day(store.conn, tz)
    cube = _cube(rows, tz)
    cube.commits = load_commits(store, tz)
    return cube


def _cube(rows: list[tuple], tz: tzinfo) -> UsageCube:
    if not rows:
        return empty_cube(tz)
    sources: dict[str, int] = {}
    models: dict[str, int] = {}
    projects: dict[str, int] = {}
    cols = list(zip(*rows))
    src = np.array([sources.setdefault(s, len(sources)) for s in cols[1]], np.int64)
    mdl = np.array([models.setdefault(s, len(models)) for s in cols[2]], np.int64)
    prj = np.array([projects.setdefault(s, len(projects)) for s in cols[3]], np.int64)
    tokens = np.array(cols[9], np.int64)
    model_tokens: dict[tuple[str, str], int] = {}
    for source, model, t in zip(cols[1], cols[2], cols[9]):
        model_tokens[(model, source)] = model_tokens.get((model, source), 0) + t
    model_source: dict[str, str] = {}
    best: dict[str, int] = {}
    for (model, source), t in model_tokens.items():
        if t >= best.get(model, -1):
            best[model], model_source[model] = t, source
    return UsageCube(
        tz=tz,
        day=np.array(cols[0], np.int64),
        source=src,
        model=mdl,
        project=prj,
        estimate=np.array(cols[4], bool),
        input=np.array(cols[5], np.int64),
        cache_write=np.array(cols[6], np.int64),
        cache_read=np.array(cols[7], np.int64),
        output=np.array(cols[8], np.int64),
        tokens=tokens,
        cost=np.array([c or 0.0 for c in cols[10]], float),
        unpriced=np.array(cols[11], np.int64),
        events=np.array(cols[12], np.int64),
        source_names=list(sources),
        model_names=list(models),
        project_names=list(projects),
        model_source=model_source,
    )


def load_commits(store: Store, tz: tzinfo) -> dict[date, CommitDay]:
    """Commits per local day from desktop.reports.commits, when that module and its tables exist."""
    try:
        from desktop.reports.commits import commits_by_day
        from desktop.reports.usage import Window
    except ImportError:
        return {}
    try:
        found: dict[Any, Any] = commits_by_day(store, Window(tz=tz))
    except Exception as exc:  # noqa: BLE001 - an archive without the commit tables yet: show usage alone
        log.info("no commit data: %s", exc)
        return {}
    return {
        day: CommitDay(int(c.commits), int(c.ai_trailer_commits), int(c.lines_added), int(c.lines_removed))
        for day, c in found.items()
    }


@dataclass
class TraySummary:
    """What the tray shows without touching the disk when its menu opens."""

    today: Totals
    week: Totals
    last_week: Totals
    top_project: tuple[str, int, float] | None


def tray_summary(cube: UsageCube, today: date, week_start: str) -> TraySummary:
    (w0, w1), (l0, l1) = week_so_far(today, week_start)
    top = cube.top_projects(w0, w1, 1)
    return TraySummary(cube.totals(today, today), cube.totals(w0, w1), cube.totals(l0, l1), top[0] if top else None)


def bounds_ms(first: date, last: date, tz: tzinfo) -> tuple[int, int]:
    return day_start_ms(first, tz), day_start_ms(last + timedelta(days=1), tz)


def load_recent(store: Store, tz: tzinfo, today: date, week_start: str) -> TraySummary:
    """The tray's numbers: two weeks of history at most, so it stays cheap after every scan."""
    (_, _), (l0, _) = week_so_far(today, week_start)
    since, until = bounds_ms(l0, today, tz)
    cube = _cube(ui_queries.usage_by_local_day(store.conn, tz, since, until), tz)
    return tray_summary(cube, today, week_start)
