"""Findings for the window and the tray: recomputed after each scan, read back as rows, notified once.

`FindingsFeed` runs the detectors over the current quarter on the archive lane after every scan
(house rule 6: a plain function on a worker), then reads the stored findings back and hands one
`FindingsSnapshot` to whoever shows them: the Insights page, the Overview line, the tray. Dismiss,
mark and snooze are writes on the same lane, each followed by a read. New findings are notified once
per batch (`pending_notifications`), last week's digest once per week (`digest_due`), and only when
the `notifications` setting is on.

The functions above the feed are plain Python: they turn a stored finding into the words and rows the
page shows, on the worker, so the GUI thread only fills widgets.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop import formatting as fmt
from desktop.errors import KnownError
from desktop.insights.run import (
    digest_due,
    list_findings,
    mark,
    open_count,
    pending_notifications,
    run_insights,
    snooze,
    snoozed,
)
from desktop.reports.usage import Window
from desktop.store import Store
from desktop.store import ui_queries
from desktop.ui.archive import WRITE_LANE, Archive
from desktop.ui.data import range_for
from desktop.ui.palette import source_name
from desktop.scan_job import base_prices
from desktop.ui.scanner import Scanner
from desktop.ui.tasks import TaskFailure

log = logging.getLogger(__name__)

DETECTOR_NAMES: dict[str, str] = {
    "scripted_prompting": "Scripted prompting",
    "burn_without_delivery": "Burn without delivery",
    "abandoned_work": "Abandoned work",
    "runaway_loop": "Runaway loop",
    "cache_thrash": "Cache thrash",
    "context_bloat": "Context bloat",
    "oversized_model": "Oversized model",
}
DETECTOR_RULES: dict[str, str] = {
    "scripted_prompting": "the same prompt sent many times, prompts arriving like clockwork, or a week of "
    "mostly headless runs",
    "burn_without_delivery": "costly sessions or project-days with no commit of yours after them",
    "abandoned_work": "costly sessions whose edited files never reached a commit",
    "runaway_loop": "long chains of tool calls with no prompt from you, or the same call or error again and again",
    "cache_thrash": "a large context written to the prompt cache again and again because it expired",
    "context_bloat": "calls that read a huge context to write a few lines",
    "oversized_model": "the priciest model used for short exchanges a cheaper one handles",
}
SEVERITY_NAMES = {"high": "High", "warn": "Warning", "info": "Info"}
SEVERITY_RANK = {"high": 0, "warn": 1, "info": 2}
STATE_NAMES = {"new": "New", "seen": "Seen", "dismissed": "Dismissed"}
EVIDENCE_KINDS = {
    "session": "Session",
    "prompt": "Prompt",
    "call": "Call",
    "chain": "Tool chain",
    "repeated_call": "Repeated call",
    "commit": "Commit",
    "file": "File",
    "note": "Note",
    "more": "",
}
EXCERPT_CHARS = 90  # prompts are shown as short excerpts, never more than the archive keeps
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


# --- words ----------------------------------------------------------------------------------
def detector_name(detector: str) -> str:
    return DETECTOR_NAMES.get(detector, detector.replace("_", " ").capitalize())


def day_words(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def period_words(first: date, last: date) -> str:
    if first == last:
        return f"{first:%a} {first.day} {first:%b %Y}"
    if (last - first).days == 6 and first.weekday() in (0, 5, 6):
        return f"Week of {first.day} {first:%b %Y}"
    if first.year != last.year:
        return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"
    if first.month != last.month:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{first.day}–{last.day} {last:%b %Y}"


def moment_words(iso: str | None, tz: tzinfo) -> tuple[str, str]:
    """(as read, as sorted) for an ISO time from the evidence, in the user's zone."""
    if not iso:
        return "", ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso, iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %H:%M}", local.isoformat()


def ms_words(ms: int | None, tz: tzinfo) -> str:
    if ms is None:
        return ""
    local = datetime.fromtimestamp(ms / 1000, tz)
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str:
    """One line, quoted, cut at `limit` characters; a prompt never shows more than its stored excerpt."""
    if not text:
        return ""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return f"“{flat}”"


def project_words(path: str | None) -> str:
    if not path:
        return ""
    return path.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1] or path


def split_session(label: str) -> tuple[str, str] | None:
    """A finding's session subject is "source:session id"."""
    source, sep, session_id = label.partition(":")
    return (source, session_id) if sep and session_id else None


def _plural(n: int, word: str) -> str:
    return f"{fmt.integer(n)} {word}{'' if n == 1 else 's'}"


# --- a finding as rows ------------------------------------------------------------------------
def session_keys(finding: dict[str, Any]) -> list[tuple[str, str]]:
    keys = []
    if finding["subject_kind"] == "session":
        key = split_session(finding["subject"])
        if key:
            keys.append(key)
    for item in finding["evidence"]:
        if item.get("source") and item.get("session_id"):
            keys.append((item["source"], item["session_id"]))
    return keys


@dataclass
class SessionRef:
    """Where "Show session" goes: the session and the local days its calls span."""

    source: str
    session_id: str
    first: date | None
    last: date | None


def _session_ref(key: tuple[str, str], spans: dict, tz: tzinfo) -> SessionRef:
    span = spans.get(key)
    if span is None or span[0] is None:
        return SessionRef(key[0], key[1], None, None)
    first = datetime.fromtimestamp(span[0] / 1000, tz).date()
    last = datetime.fromtimestamp(span[1] / 1000, tz).date()
    return SessionRef(key[0], key[1], first, last)


def session_words(key: tuple[str, str], spans: dict, tz: tzinfo, *, with_project: bool = True) -> str:
    """"Codex session of Sat 10 Oct 16:00 in web-dashboard": how a person remembers a session."""
    span = spans.get(key)
    tool = source_name(key[0])
    if span is None:
        return f"{tool} session {key[1][:8]}"
    text = f"{tool} session of {ms_words(span[0], tz)}"
    if with_project and span[2]:
        text += f" in {project_words(span[2])}"
    return text


def subject_words(finding: dict[str, Any], spans: dict, tz: tzinfo) -> str:
    kind, subject = finding["subject_kind"], finding["subject"]
    if kind == "session":
        key = split_session(subject)
        if key is None:
            return subject
        span = spans.get(key)
        project = project_words(span[2]) if span else ""
        if not project:
            project = next((project_words(i.get("project")) for i in finding["evidence"]
                            if i.get("kind") == "session" and i.get("project")), "")  # fmt: skip
        return " · ".join(p for p in (source_name(key[0]), project) if p) + " session"
    if kind == "project_day":
        return project_words(subject) or subject
    if kind == "prompt_pattern":
        head = next((i for i in finding["evidence"] if i.get("kind") == "pattern"), None)
        if head and head.get("pattern"):
            return "Prompt " + excerpt(head["pattern"], 60)
        return "A repeated prompt"
    if kind == "week":
        return subject[:1].upper() + subject[1:]
    if kind == "model":
        return subject
    return subject


def summary_words(finding: dict[str, Any], spans: dict, tz: tzinfo) -> str:
    """The detector's summary with ids a person cannot read put in words: sessions by tool and time,
    prompt patterns by their excerpt, ISO dates as dates."""
    text = finding["summary"]
    for key in dict.fromkeys(session_keys(finding)):
        label = f"{key[0]}:{key[1]}"
        if label not in text:
            continue
        named_after = text.split(label, 1)[1].startswith(" in ")  # "Session x in shop-api spent…"
        words = session_words(key, spans, tz, with_project=not named_after)
        text = text.replace(f"Session {label}", f"The {words}").replace(label, f"the {words}")
    for item in finding["evidence"]:
        if item.get("kind") == "pattern" and item.get("pattern_id"):
            text = text.replace(f"(pattern {item['pattern_id']})", f"({excerpt(item.get('pattern'), 60)})")
    return _ISO_DAY.sub(lambda m: day_words(date(int(m[1]), int(m[2]), int(m[3]))), text)


def evidence_facts(finding: dict[str, Any]) -> list[str]:
    """The evidence that is a measure rather than a row: estimates, baselines, intervals, shares."""
    facts = []
    for item in finding["evidence"]:
        kind = item.get("kind")
        if kind == "pattern":  # the summary already says what was sent how often; the rhythm it may not
            regular = item.get("regular")
            if regular:
                facts.append(f"{_plural(regular['prompts'], 'prompt')} arrived every {regular['mean_gap_seconds']:.0f} s, "
                             f"varying only {regular['gap_cv'] * 100:.0f}%.")  # fmt: skip
        elif kind == "interval":
            facts.append(f"{_plural(item.get('prompts', 0), 'prompt')} arrived every {item.get('mean_gap_seconds', 0):.0f} s, "
                         f"varying only {item.get('gap_cv', 0) * 100:.0f}%: like a timer.")  # fmt: skip
        elif kind == "share":
            entry = ", ".join(f"{name} {n}" for name, n in (item.get("entrypoints") or {}).items())
            facts.append(f"{item.get('headless_sessions', 0)} of {_plural(item.get('sessions', 0), 'session')} that week "
                         f"ran headless ({item.get('share', 0) * 100:.0f}%){': ' + entry if entry else ''}.")  # fmt: skip
        elif kind == "estimate" and "alternative_model" in item:
            facts.append(f"On {item['model']}: {fmt.money(item.get('actual_usd'))}. The same {_plural(item.get('exchanges', 0), 'exchange')} "
                         f"on {item['alternative_model']}: {fmt.money(item.get('alternative_usd'))}, "
                         f"{fmt.money(item.get('difference_usd'))} less.")  # fmt: skip
        elif kind == "estimate":
            facts.append(f"{_plural(item.get('rebuilds', 0), 'cache rebuild')} wrote {fmt.tokens(item.get('rebuilt_tokens', 0))} "
                         f"tokens: {fmt.money(item.get('actual_usd'))}. With steady caching about "
                         f"{fmt.money(item.get('steady_usd'))}, {fmt.money(item.get('difference_usd'))} less.")  # fmt: skip
        elif kind == "baseline":
            facts.append(f"Your median call reads {fmt.tokens(item.get('median_input_tokens') or 0)} tokens; these read "
                         f"{fmt.tokens(item.get('limit_input_tokens') or 0)}+ and wrote at most "
                         f"{fmt.integer(int(item.get('max_output_tokens') or 0))}.")  # fmt: skip
        elif kind == "session" and item.get("read_write_ratio") is not None:
            facts.append(f"Cache reads {fmt.tokens(item.get('cache_read_tokens', 0))} against writes "
                         f"{fmt.tokens(item.get('cache_creation_tokens', 0))}: {item['read_write_ratio']:.1f} to 1.")  # fmt: skip
    return facts


def evidence_rows(finding: dict[str, Any], spans: dict, tz: tzinfo) -> list[dict[str, Any]]:
    """The evidence that names rows: sessions, prompts, calls, stretches of tool calls, commits, files."""
    rows = []
    for n, item in enumerate(finding["evidence"]):
        kind = item.get("kind")
        if kind not in EVIDENCE_KINDS:
            continue
        key = (item["source"], item["session_id"]) if item.get("source") and item.get("session_id") else None
        when, when_sort = moment_words(item.get("ts") or item.get("start"), tz)
        row: dict[str, Any] = {"n": n, "what": EVIDENCE_KINDS[kind], "when": when, "when_sort": when_sort,
                               "details": "", "tokens": item.get("tokens"), "cost_usd": item.get("cost_usd"),
                               "session": _session_ref(key, spans, tz) if key else None, "tip": ""}  # fmt: skip
        if kind == "session":
            if not when and key in spans:
                row["when"], row["when_sort"] = ms_words(spans[key][0], tz), str(spans[key][0])
            parts = [source_name(item["source"])]
            project = project_words(item.get("project") or (spans[key][2] if key in spans else None))
            if project:
                parts.append(project)
            if key in spans and spans[key][3]:
                parts.append(excerpt(spans[key][3], 70))
            if item.get("day_tokens") is not None:
                row["tokens"], row["cost_usd"] = item["day_tokens"], item.get("day_cost_usd")
                row["tip"] = "Tokens and cost of this session on that day"
            elif row["tokens"] is None and key in spans:
                row["tokens"], row["cost_usd"] = spans[key][4], spans[key][5]
                row["tip"] = "Tokens and cost of the whole session"
            if item.get("edited_files"):
                parts.append(f"edited {_plural(item['edited_files'], 'file')}")
            if item.get("entrypoint"):
                parts.append(f"ran as {item['entrypoint']}")
            if item.get("bloated_calls"):
                parts.append(f"{item['bloated_calls']} of {_plural(item.get('calls', 0), 'call')} flagged")
            row["details"] = " · ".join(parts)
            row["tip"] = row["tip"] or f"Session {item['session_id']}"
        elif kind == "prompt":
            text = excerpt(item.get("excerpt")) or "(no excerpt stored)"
            details = f"{text} · {_plural(item.get('length') or 0, 'character')}"
            if item.get("alternative_usd") is not None:
                details += f" · {fmt.money(item.get('model_usd'))} here, {fmt.money(item['alternative_usd'])} on the cheaper model"
            row["details"] = details
            row["tip"] = "Only the stored excerpt of a prompt is ever shown"
        elif kind == "call":
            read = (item.get("input_tokens") or 0) + (item.get("cache_read_tokens") or 0) + (item.get("cache_creation_tokens") or 0)
            details = f"{item.get('model') or 'unknown model'} · read {fmt.tokens(read)}, wrote {fmt.tokens(item.get('output_tokens') or 0)}"
            if item.get("cache_creation_tokens"):
                details += f" · cache write {fmt.tokens(item['cache_creation_tokens'])}"
            gap = item.get("seconds_since_previous_call")
            if gap is not None:
                details += f" · {_gap_words(gap)} after the call before"
            row["details"] = details
        elif kind == "chain":
            tools = ", ".join(f"{name} {n}" for name, n in (item.get("tools") or {}).items())
            row["details"] = f"{_plural(item.get('calls', 0), 'tool call')} in a row with no prompt from you" + (f" · {tools}" if tools else "")
            row["when"] = _span_words(item, tz) or row["when"]
        elif kind == "repeated_call":
            errors = item.get("errors") or 0
            details = f"{item.get('tool', 'a tool')} with the same arguments {_plural(item.get('calls', 0), 'time')}"
            if errors:
                details += f", {errors} failed"
            row["details"] = details + ", no edit between"
            row["when"] = _span_words(item, tz) or row["when"]
        elif kind == "commit":
            sha = str(item.get("sha") or "")[:7]
            subject = item.get("subject") or ""
            row["details"] = " · ".join(p for p in (sha, subject, item.get("note") or "") if p)
            row["tip"] = str(item.get("sha") or "")
        elif kind == "file":
            row["details"] = f"{item.get('path', '')} · {_plural(item.get('edits') or 0, 'edit')}"
            row["tip"] = f"In {item.get('project') or 'an unknown repository'}"
        elif kind == "note":
            note = str(item.get("text") or "")
            row["details"] = note[:1].upper() + note[1:]
        elif kind == "more":
            row["details"] = f"…and {fmt.integer(item.get('count') or 0)} more {item.get('what', '')}".rstrip()
        rows.append(row)
    return rows


def _gap_words(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _span_words(item: dict[str, Any], tz: tzinfo) -> str:
    start, _ = moment_words(item.get("start"), tz)
    end, _ = moment_words(item.get("end"), tz)
    if start and end and start[:-5] == end[:-5]:
        return f"{start}–{end[-5:]}" if start != end else start
    return start


def finding_row(finding: dict[str, Any], spans: dict, tz: tzinfo) -> dict[str, Any]:
    """One stored finding as the page reads it; `finding` is Finding.to_dict() plus created_ms."""
    first, last = date.fromisoformat(finding["period_start"]), date.fromisoformat(finding["period_end"])
    rank = SEVERITY_RANK.get(finding["severity"], 2)
    refs = [_session_ref(k, spans, tz) for k in dict.fromkeys(session_keys(finding))]
    subject = subject_words(finding, spans, tz)
    name = detector_name(finding["detector"])
    return {
        "id": finding["id"],
        "detector": finding["detector"],
        "detector_name": name,
        "severity": finding["severity"],
        "severity_text": SEVERITY_NAMES.get(finding["severity"], finding["severity"]),
        "severity_rank": rank,
        "period_start": first,
        "period_end": last,
        "period_text": period_words(first, last),
        "period_sort": f"{last.isoformat()}|{2 - rank}|{finding['cost_usd'] or 0:014.4f}",
        "subject_text": subject,
        "tokens": finding["tokens"],
        "cost_usd": finding["cost_usd"],
        "avoidable_usd": finding["avoidable_usd"],
        "state": finding["state"],
        "state_text": STATE_NAMES.get(finding["state"], finding["state"]),
        "summary": summary_words(finding, spans, tz),
        "cannot_tell": finding["cannot_tell"],
        "facts": evidence_facts(finding),
        "evidence": evidence_rows(finding, spans, tz),
        "sessions": refs,
        "created_ms": finding.get("created_ms") or 0,
        "_search": " ".join((name, subject, finding["summary"])),
    }


@dataclass
class FindingsSnapshot:
    """Every stored, active finding (dismissed too) and what the Overview and the tray show of them."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    open_count: int = 0  # new: neither seen nor dismissed
    snoozed: dict[str, int] = field(default_factory=dict)  # detector -> until (UTC ms)
    checked_ms: int | None = None  # when the detectors last ran in this app

    @property
    def active(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["state"] != "dismissed"]

    def latest(self) -> dict[str, Any] | None:
        """The newest finding not dismissed: found last, then the latest period, then the most severe."""
        rows = self.active
        if not rows:
            return None
        return max(rows, key=lambda r: (r["created_ms"], r["period_end"], -r["severity_rank"], r["id"]))

    def row(self, finding_id: int) -> dict[str, Any] | None:
        return next((r for r in self.rows if r["id"] == finding_id), None)


def load_snapshot(store: Store, tz: tzinfo) -> FindingsSnapshot:
    """Read the stored findings and name what they point at (runs on a worker)."""
    found = list_findings(store, None, include_dismissed=True)
    dicts = []
    for finding in found:
        d = finding.to_dict()
        d["created_ms"] = finding.created_ms
        dicts.append(d)
    keys = [k for d in dicts for k in session_keys(d)]
    spans = ui_queries.session_spans(store.conn, keys)
    return FindingsSnapshot([finding_row(d, spans, tz) for d in dicts], open_count(store), snoozed(store))


def latest_words(row: dict[str, Any], limit: int = 36) -> str:
    """One line for the tray menu; a long subject is cut, the amount never."""
    subject = row["subject_text"]
    if len(subject) > limit:
        subject = subject[: limit - 1].rstrip() + "…"
    return f"{row['detector_name']} · {subject} · {fmt.money(row['cost_usd'])}"


def notification_text(fresh: list[dict[str, Any]], digest: dict[str, Any] | None) -> tuple[str, str] | None:
    """(title, message) for new findings (rows from `finding_row`) and/or last week's digest; None when there
    is nothing to say. One finding speaks for itself; many are counted ("3 new findings")."""
    lines: list[str] = []
    title = ""
    if len(fresh) == 1:
        title = f"New finding: {fresh[0]['detector_name']}"
        summary = fresh[0]["summary"]
        lines.append(summary if len(summary) <= 240 else summary[:239].rstrip() + "…")
    elif fresh:
        title = f"{len(fresh)} new findings"
        kinds = Counter(detector_name(f["detector"]).lower() for f in fresh)
        spent = sum(f["cost_usd"] or 0.0 for f in fresh)
        lines.append(", ".join(f"{n} {kind}" for kind, n in kinds.most_common()) + f" · {fmt.money(spent)} involved.")
    if digest:
        week = date.fromisoformat(digest["week_start"])
        kinds = ", ".join(f"{n} {detector_name(d).lower()}" for d, n in Counter(digest["by_detector"]).most_common())
        said = (f"Week of {week.day} {week:%b}: {_plural(digest['findings'], 'finding')} ({kinds}); "
                f"{fmt.tokens(digest['tokens'])} tokens, {fmt.money(digest['cost_usd'])} involved.")  # fmt: skip
        if not title:
            title = "Your week in findings"
        lines.append(said)
    if not lines:
        return None
    lines.append("Open Insights to see the evidence.")
    return title, "\n".join(lines)


# --- the feed -------------------------------------------------------------------------------
class FindingsFeed(QObject):
    loaded = Signal(object)  # FindingsSnapshot: the stored findings, read again
    notify = Signal(str, str)  # (title, message): raise it; the notifications setting is already applied

    def __init__(self, archive: Archive, scanner: Scanner, today: Callable[[], date] | None = None,
                 parent: QObject | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.archive = archive
        self._today = today or (lambda: datetime.now(self.archive.timezone()).date())
        self.snapshot: FindingsSnapshot | None = None
        self.checked_ms: int | None = None
        self._running = False
        self._again = False
        scanner.finished.connect(lambda _: self.recompute())
        archive.settings_changed.connect(self._on_setting)

    def window(self) -> Window:  # noqa: A003 - the detectors' window, not a widget's
        """The current quarter, in the user's zone: what every recompute covers."""
        first, last = range_for("quarter", self._today(), self.archive.week_start)
        return Window(tz=self.archive.timezone(), since=first, until=last)

    def notifications_on(self) -> bool:
        return bool(self.archive.settings.get("notifications", True))

    # --- recompute --------------------------------------------------------------------------
    def recompute(self) -> None:
        """Run the detectors over this quarter on the archive lane (after any scan queued before it)."""
        if self._running:
            self._again = True
            return
        self._running = True
        window, today, week_start = self.window(), self._today(), self.archive.week_start
        path = self.archive.db_path

        def job() -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
            store = Store.open(path, migrate=False)
            try:
                prices = base_prices().with_overrides(store.settings.get("price_overrides") or {})
                started = time.perf_counter()
                run_insights(store, window, prices=prices)
                log.info("insights: %s to %s in %.2f s", window.since, window.until, time.perf_counter() - started)
                fresh = [f.to_dict() for f in pending_notifications(store)]
                spans = ui_queries.session_spans(store.conn, [k for d in fresh for k in session_keys(d)])
                rows = [finding_row(d, spans, window.tz) for d in fresh]
                return rows, digest_due(store, today, week_start)
            finally:
                store.close()

        self.archive.tasks.run(job, on_done=self._on_recomputed, on_error=self._on_failed, lane=WRITE_LANE,
                               name="insights")  # fmt: skip

    def _on_recomputed(self, result: tuple[list[dict[str, Any]], dict[str, Any] | None] | None) -> None:
        self._running = False
        if result is not None:
            self.checked_ms = int(time.time() * 1000)
            fresh, digest = result
            said = notification_text(fresh, digest)
            if said is not None and self.notifications_on():
                log.info("notifying: %s", said[0])
                self.notify.emit(*said)
            self.reload()
        if self._again:
            self._again = False
            self.recompute()

    def _on_failed(self, failure: TaskFailure) -> None:
        self._running = self._again = False
        if isinstance(failure.error, (KnownError, sqlite3.OperationalError, OSError)):
            log.warning("insights not updated: %s", failure.error)
            self.archive.write_failed.emit(f"Findings not updated: {failure.error}")
            return
        log.error("insights failed:\n%s", failure.traceback)
        raise failure.error

    def _on_setting(self, key: str) -> None:
        if key in ("insight_thresholds", "timezone", "week_start", "commit_link_window_hours"):
            self.recompute()

    # --- reading ----------------------------------------------------------------------------
    def reload(self) -> None:
        tz = self.archive.timezone()
        self.archive.read(lambda store: load_snapshot(store, tz), self._on_loaded, key="findings")

    def _on_loaded(self, snapshot: FindingsSnapshot) -> None:
        snapshot.checked_ms = self.checked_ms
        self.snapshot = snapshot
        self.loaded.emit(snapshot)

    # --- what the user decides --------------------------------------------------------------
    def set_state(self, finding_ids: list[int], state: str) -> None:
        """Mark findings new, seen or dismissed; the page shows it once the archive has it."""
        ids = list(finding_ids)
        if not ids:
            return

        def change(store: Store) -> None:
            with store.transaction():
                for finding_id in ids:
                    mark(store, finding_id, state)

        self.archive.write(change, on_done=lambda _: self.reload(), name=f"findings {state}")

    def snooze(self, detector: str, days: int) -> None:
        """Hide a detector's findings, and stop running it, for `days` days from now."""
        until = datetime.now(timezone.utc) + timedelta(days=days)
        self.archive.write(lambda store: snooze(store, detector, until), on_done=lambda _: self.reload(),
                           name=f"snooze {detector}")  # fmt: skip

    def wake(self, detector: str) -> None:
        """End a snooze; the detector runs again at once (it skipped the scans while it slept)."""
        self.archive.write(lambda store: snooze(store, detector, None), on_done=lambda _: self.recompute(),
                           name=f"wake {detector}")  # fmt: skip
