"""Running the detectors and keeping their findings.

A finding is stored under its fingerprint (detector, subject kind, subject and its day or week), so a
rerun updates its numbers and keeps its state: seen stays seen, dismissed stays dismissed, notified
stays notified. A stored finding that a rerun over its whole period no longer finds (a commit arrived,
a threshold was raised) goes inactive rather than away, so its state survives if it comes back.

What the UI calls (house rule 6: plain functions, run off the GUI thread):
    run_insights(store, window)          detect, store, return the findings of the window
    list_findings(store, window)         what is stored, without detecting again
    mark(store, id, state)               new | seen | dismissed
    snooze(store, detector, until)       hide a detector until a time (None: wake it)
    pending_notifications(store)         new findings never notified; each is returned once
    open_count(store)                    new findings, for the Overview badge
    weekly_digest(store, week)           one week's findings summed up
    digest_due(store, today)             last week's digest, once, when it has findings
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from desktop.formatting import money, tokens
from desktop.insights import DETECTORS
from desktop.insights.model import STATES, Finding
from desktop.insights.thresholds import Thresholds, resolve, user_overrides
from desktop.periods import week_start as first_day_of_week
from desktop.pricing import PriceTable
from desktop.reports.usage import Window
from desktop.store import Store
from desktop.store import finding_queries as fq

log = logging.getLogger(__name__)


def _now(now_ms: int | None) -> int:
    return int(time.time() * 1000) if now_ms is None else now_ms


def run_insights(
    store: Store, window: Window, *, now_ms: int | None = None, prices: PriceTable | None = None
) -> list[Finding]:
    """Run every detector not snoozed over the window, store what they find, return it (most severe first).

    Dismissed findings are returned too, with their state; callers that show a list filter them.
    """
    now = _now(now_ms)
    snoozed = fq.snoozes(store.conn, now)
    values = resolve(user_overrides(store))
    price_overrides = store.settings.get("price_overrides")
    if prices is None:
        prices = PriceTable.load().with_overrides(price_overrides)
    context: dict[str, Any] = {
        "now_ms": now,
        "week_start": store.settings.get("week_start"),
        "link_window_hours": float(store.settings.get("commit_link_window_hours")),
        "prices": prices,
        "memo": {},
    }
    ran: list[str] = []
    found: list[Finding] = []
    for detector, detect in DETECTORS.items():
        if detector in snoozed:
            continue
        started = time.perf_counter()
        found += detect(store, window, Thresholds(values[detector], **context))
        ran.append(detector)
        log.debug("%s: %.3f s", detector, time.perf_counter() - started)
    found = _once(found)
    rows = [
        (
            f.fingerprint,
            f.detector,
            f.period_start.isoformat(),
            f.period_end.isoformat(),
            f.subject_kind,
            f.subject,
            f.severity,
            f.tokens,
            f.cost_usd,
            f.avoidable_usd,
            f.summary,
            json.dumps(f.evidence, ensure_ascii=False),
            f.cannot_tell,
        )
        for f in found
    ]
    with store.transaction() as conn:
        fq.upsert_findings(conn, rows, now)
        if not window.sources:  # a run over some sources only cannot tell what the others would find
            since = window.since.isoformat() if window.since else None
            until = window.until.isoformat() if window.until else None
            fq.retire_findings(conn, ran, since, until, {f.fingerprint for f in found}, now)
        stored = fq.findings_by_fingerprint(conn, [f.fingerprint for f in found])
    for finding in found:
        row = dict(zip(fq.FINDING_COLUMNS, stored[finding.fingerprint], strict=True))
        finding.id, finding.state = row["id"], row["state"]
        finding.created_ms, finding.notified_ms = row["created_ms"], row["notified_ms"]
    order = {"high": 0, "warn": 1, "info": 2}
    return sorted(found, key=lambda f: (order[f.severity], -(f.cost_usd or 0.0), f.id or 0))


def _once(found: list[Finding]) -> list[Finding]:
    """One finding per fingerprint; a session flagged as abandoned work is not also reported as burn."""
    abandoned = {f.subject for f in found if f.detector == "abandoned_work"}
    seen: set[str] = set()
    kept = []
    for finding in found:
        if (
            finding.detector == "burn_without_delivery"
            and finding.subject_kind == "session"
            and finding.subject in abandoned
        ):
            continue
        if finding.fingerprint not in seen:
            seen.add(finding.fingerprint)
            kept.append(finding)
    return kept


def _finding(row: tuple) -> Finding:
    values = dict(zip(fq.FINDING_COLUMNS, row, strict=True))
    return Finding(
        detector=values["detector"],
        period_start=date.fromisoformat(values["period_start"]),
        period_end=date.fromisoformat(values["period_end"]),
        subject_kind=values["subject_kind"],
        subject=values["subject"],
        severity=values["severity"],
        tokens=values["tokens"],
        cost_usd=values["cost_usd"],
        summary=values["summary"],
        evidence=json.loads(values["evidence"]),
        cannot_tell=values["cannot_tell"],
        avoidable_usd=values["avoidable_usd"],
        id=values["id"],
        state=values["state"],
        created_ms=values["created_ms"],
        notified_ms=values["notified_ms"],
    )


def list_findings(
    store: Store, window: Window | None = None, *, include_dismissed: bool = True, now_ms: int | None = None
) -> list[Finding]:
    """Stored active findings whose period overlaps the window (all when None), snoozed detectors left out."""
    since = window.since if window else None
    until = window.until if window else None
    return _stored(store, since, until, include_dismissed, _now(now_ms))


def _stored(
    store: Store, since: date | None, until: date | None, include_dismissed: bool, now_ms: int
) -> list[Finding]:
    rows = fq.list_findings(
        store.conn,
        since.isoformat() if since else None,
        until.isoformat() if until else None,
        fq.snoozes(store.conn, now_ms),
        include_dismissed,
    )
    return [_finding(r) for r in rows]


def get_finding(store: Store, finding_id: int) -> Finding | None:
    row = fq.finding_row(store.conn, finding_id)
    return _finding(row) if row else None


def mark(store: Store, finding_id: int, state: str, *, now_ms: int | None = None) -> bool:
    """Set a finding's state (new, seen or dismissed); False when there is no such finding."""
    if state not in STATES:
        raise ValueError(f"unknown finding state {state!r} (use one of {', '.join(STATES)})")
    return fq.set_finding_state(store.conn, finding_id, state, _now(now_ms))


def snooze(store: Store, detector: str, until: datetime | int | None) -> None:
    """Hide a detector's findings and stop running it until a time (aware datetime or UTC ms); None wakes it."""
    if detector not in DETECTORS:
        raise ValueError(f"unknown detector {detector!r}")
    until_ms = int(until.timestamp() * 1000) if isinstance(until, datetime) else until
    fq.set_snooze(store.conn, detector, until_ms)


def snoozed(store: Store, *, now_ms: int | None = None) -> dict[str, int]:
    """detector -> snoozed until (UTC ms), for snoozes still running."""
    return fq.snoozes(store.conn, _now(now_ms))


def pending_notifications(store: Store, *, now_ms: int | None = None) -> list[Finding]:
    """New findings never notified, oldest first; they are marked notified now, so each comes back once."""
    now = _now(now_ms)
    with store.transaction() as conn:
        rows = fq.unnotified_findings(conn, fq.snoozes(conn, now))
        fq.mark_notified(conn, [r[0] for r in rows], now)
    found = [_finding(r) for r in rows]
    for finding in found:
        finding.notified_ms = now
    return found


def open_count(store: Store, *, now_ms: int | None = None) -> int:
    """How many findings are new (not seen, not dismissed), snoozed detectors aside."""
    return fq.count_unseen(store.conn, fq.snoozes(store.conn, _now(now_ms)))


def weekly_digest(store: Store, week: date, *, now_ms: int | None = None) -> dict[str, Any]:
    """The findings of the week starting `week` (not dismissed), summed up for a notification or a page."""
    last = week + timedelta(days=6)
    found = _stored(store, week, last, False, _now(now_ms))
    by_detector = Counter(f.detector for f in found)
    cost = sum(f.cost_usd or 0.0 for f in found)
    avoidable = sum(f.avoidable_usd or 0.0 for f in found)
    spent = sum(f.tokens for f in found)
    if found:
        kinds = ", ".join(f"{n} {d.replace('_', ' ')}" for d, n in by_detector.most_common())
        text = (
            f"Week of {week.isoformat()}: {len(found)} finding{'s' if len(found) != 1 else ''} ({kinds}); "
            f"{tokens(spent)} tokens, {money(cost)} involved."
        )
    else:
        text = f"Week of {week.isoformat()}: no findings."
    return {
        "week_start": week.isoformat(),
        "week_end": last.isoformat(),
        "findings": len(found),
        "new": sum(1 for f in found if f.state == "new"),
        "by_detector": dict(by_detector),
        "by_severity": dict(Counter(f.severity for f in found)),
        "tokens": spent,
        "cost_usd": round(cost, 6),
        "avoidable_usd": round(avoidable, 6),
        "top": [f.to_dict() for f in found[:3]],
        "text": text,
    }


def digest_due(
    store: Store, today: date, week_start: str = "monday", *, now_ms: int | None = None
) -> dict | None:
    """The digest of the last complete week, the first time this is asked after it ended; None otherwise
    (already given, or a week without findings)."""
    week = first_day_of_week(today, week_start) - timedelta(days=7)
    now = _now(now_ms)
    if fq.digest_notified(store.conn, week.isoformat()):
        return None
    digest = weekly_digest(store, week, now_ms=now)
    fq.mark_digest_notified(store.conn, week.isoformat(), now)
    return digest if digest["findings"] else None
