"""What a readable export says, in order, as plain blocks: Markdown, HTML and PDF each draw the same ones.

Every number goes through desktop.formatting; estimates carry a leading ~, unpriced costs read —.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from desktop.formatting import integer, money, tokens
from desktop.periods import bucket
from desktop.reports.export.period import day_label, span_label

TOP_MODELS = 12
TOP_SESSIONS = 15
EVIDENCE_LINES = 6
FINDINGS_PER_DETECTOR = 10
CHARTS = {
    "daily.png": "Daily tokens by assistant (bars), your commits (dots, right axis)",
    "models.png": "Model mix: share of the period's tokens",
}
DETECTOR_NAMES = {
    "scripted_prompting": "Scripted prompting", "burn_without_delivery": "Burn without delivery",
    "runaway_loop": "Runaway loop", "cache_thrash": "Cache thrash", "context_bloat": "Context bloat",
    "oversized_model": "Oversized model", "abandoned_work": "Abandoned work",
}  # fmt: skip


@dataclass
class Heading:
    text: str
    level: int = 2


@dataclass
class Para:
    text: str
    lead: str = ""  # a bold first phrase
    muted: bool = False


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    total: bool = False  # the last row is a total


@dataclass
class Image:
    name: str
    caption: str


@dataclass
class Bullets:
    items: list[str] = field(default_factory=list)


Block = Heading | Para | Table | Image | Bullets


def blocks(doc: dict[str, Any], charts: list[str]) -> list[Block]:
    """The document as blocks; `charts` are the image names that were rendered (none without a renderer)."""
    out: list[Block] = [Heading(doc["title"], 1), *_header(doc), Heading("At a glance"), _glance(doc)]
    totals = doc["totals"]
    if doc["unpriced"]["events"]:
        models = ", ".join(m["model"] for m in doc["unpriced"]["models"][:6])
        out.append(Para(f"{integer(doc['unpriced']['events'])} calls used models the price table does not know "
                        f"({models}); their cost is unknown and left out of the sums.", muted=True))  # fmt: skip
    if not totals["total_tokens"] and not totals["commits"]:
        out.append(Para("No assistant usage and no commits of yours in this period."))
    elif charts:
        out += [Heading("Charts")] + [Image(name, CHARTS.get(name, name)) for name in charts]
    if doc["by_source"]:
        out += [Heading("By assistant"), _by_source(doc)]
    if doc["by_model"]:
        out += [Heading("By model"), _by_model(doc)]
    out += _daily(doc)
    if "projects" in doc:
        out += _projects(doc)
    if "sessions" in doc:
        out += _sessions(doc)
    out += _findings(doc)
    out.append(Heading("How these numbers were computed"))
    out += [Para(s["text"], lead=s["title"] + ".") for s in doc["method"]]
    return out


def _header(doc: dict[str, Any]) -> list[Block]:
    p, prev = doc["period"], doc["previous_period"]
    first, last = date.fromisoformat(p["since"]), date.fromisoformat(p["until"])
    lines = [
        Para(
            f"{span_label(first, last)} ({p['days']} days), local days in {p['timezone']}. "
            f"Generated {doc['generated_at'][:16].replace('T', ' ')}. Redaction: {doc['redaction']}."
        ),
    ]
    if p["running"]:
        through = date.fromisoformat(p["through"])
        lines.append(Para(f"This period is still running: numbers go up to {day_label(through)}, and changes "
                          f"compare with the same days of the previous period ({prev['label']})."))  # fmt: skip
    else:
        lines.append(Para(f"Changes compare with the previous period ({prev['label']})."))
    return lines


def _estimated(value: int) -> str:
    return tokens(value, estimate=True) if value else "0"


def short_sha(value: str | None) -> str:
    """A hash cut to 10 hex digits; anything else (a pseudonym) whole."""
    text = value or ""
    return text[:10] if re.fullmatch(r"[0-9a-f]{11,64}", text) else text


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _glance(doc: dict[str, Any]) -> Table:
    now, before, changes = doc["totals"], doc["previous_totals"], doc["changes"]
    rows = [
        ["Tokens", tokens(now["total_tokens"]), tokens(before["total_tokens"]), changes["total_tokens"]["text"]],
        ["of which estimated", _estimated(now["estimated_total_tokens"]), _estimated(before["estimated_total_tokens"]),
         ""],
        ["Cost", money(now["cost_usd"]), money(before["cost_usd"]), changes["cost_usd"]["text"]],
        ["Model calls", integer(now["events"]), integer(before["events"]), changes["events"]["text"]],
        ["Sessions", integer(now["sessions"] or 0), integer(before["sessions"] or 0), changes["sessions"]["text"]],
        ["Your commits", integer(now["commits"] or 0), integer(before["commits"] or 0), changes["commits"]["text"]],
        ["with an AI co-author trailer", integer(now["ai_trailer_commits"] or 0),
         integer(before["ai_trailer_commits"] or 0), ""],
        ["Lines added / removed", f"+{integer(now['lines_added'] or 0)} / −{integer(now['lines_removed'] or 0)}",
         f"+{integer(before['lines_added'] or 0)} / −{integer(before['lines_removed'] or 0)}", ""],
        ["Delivery share", _share(now["delivery_share"]), _share(before["delivery_share"]), ""],
        ["Cost per commit", money(now["cost_per_commit"]), money(before["cost_per_commit"]), ""],
        ["Findings", integer(doc["findings_count"]["findings"]), "", ""],
    ]  # fmt: skip
    return Table(["", "This period", "Previous", "Change"], rows, [False, True, True, True])


def _by_source(doc: dict[str, Any]) -> Table:
    rows = []
    for r in doc["by_source"]:
        est = r["is_estimate"]
        name = r["name"] + (" (estimated)" if est else "")
        previous = r["previous_total_tokens"]
        rows.append([name, tokens(r["total_tokens"], est and bool(r["total_tokens"])), _share(r["share"]),
                     money(r["cost_usd"], est), integer(r["events"]), tokens(previous, est and bool(previous)),
                     r["change"]])  # fmt: skip
    t = doc["totals"]
    rows.append(["Total", tokens(t["total_tokens"]), _share(1.0 if t["total_tokens"] else None), money(t["cost_usd"]),
                 integer(t["events"]), tokens(doc["previous_totals"]["total_tokens"]),
                 doc["changes"]["total_tokens"]["text"]])  # fmt: skip
    headers = ["Assistant", "Tokens", "Share", "Cost", "Calls", "Previous", "Change"]
    return Table(headers, rows, [False] + [True] * 6, total=True)


def _by_model(doc: dict[str, Any]) -> Table:
    rows = []
    models = doc["by_model"]
    for r in models[:TOP_MODELS]:
        est = r["is_estimate"]
        rows.append([r["model"], r["source"], tokens(r["total_tokens"], est), _share(r["share"]),
                     tokens(r["input_tokens"], est), tokens(r["output_tokens"], est),
                     tokens(r["cache_read_tokens"], est), tokens(r["cache_creation_tokens"], est),
                     money(r["cost_usd"], est)])  # fmt: skip
    rest = models[TOP_MODELS:]
    if rest:
        total = sum(r["total_tokens"] for r in rest)
        costs = [r["cost_usd"] for r in rest if r["cost_usd"] is not None]
        share = total / doc["totals"]["total_tokens"] if doc["totals"]["total_tokens"] else None
        rows.append([f"{len(rest)} more models", "", tokens(total), _share(share), "", "", "", "",
                     money(sum(costs) if costs else None)])  # fmt: skip
    headers = [
        "Model",
        "Assistant",
        "Tokens",
        "Share",
        "Input",
        "Output",
        "Cache read",
        "Cache write",
        "Cost",
    ]
    return Table(headers, rows, [False, False] + [True] * 7)


def _grain(doc: dict[str, Any]) -> str:
    days = doc["period"]["days"]
    return "day" if days <= 62 else "week" if days <= 190 else "month"


def _daily(doc: dict[str, Any]) -> list[Block]:
    """One row per day (per week or month for long periods), with a total row."""
    grain = _grain(doc)
    groups: dict[str, dict[str, Any]] = {}
    for d in doc["daily"]:
        day = date.fromisoformat(d["date"])
        if grain == "day":
            label = f"{d['weekday']} {d['date']}"
        else:
            first = bucket(day, grain, doc["period"]["week_start"])
            label = f"Week of {first.isoformat()}" if grain == "week" else f"{first:%B %Y}"
        g = groups.setdefault(label, Counter())
        for key in ("total_tokens", "estimated_tokens", "events", "commits", "lines_added", "lines_removed"):
            g[key] += d[key]
        if d["cost_usd"] is not None:
            g["cost"] += d["cost_usd"]
            g["priced"] += 1
    rows = [_daily_row(label, g) for label, g in groups.items()]
    t = doc["totals"]
    total = Counter(total_tokens=t["total_tokens"], estimated_tokens=t["estimated_total_tokens"], events=t["events"],
                    commits=t["commits"] or 0, lines_added=t["lines_added"] or 0, lines_removed=t["lines_removed"] or 0,
                    cost=t["cost_usd"] or 0.0, priced=int(t["cost_usd"] is not None))  # fmt: skip
    rows.append(_daily_row("Total", total))
    title = {"day": "Day by day", "week": "Week by week", "month": "Month by month"}[grain]
    headers = [grain.capitalize(), "Tokens", "Estimated", "Cost", "Calls", "Commits", "Lines +/−"]
    return [Heading(title), Table(headers, rows, [False] + [True] * 6, total=True)]


def _daily_row(label: str, g: Counter) -> list[str]:
    est = g["estimated_tokens"]
    only = bool(est) and est == g["total_tokens"]  # a day of estimates only reads as one
    lines = f"+{integer(g['lines_added'])} / −{integer(g['lines_removed'])}" if g["commits"] else ""
    return [label, tokens(g["total_tokens"], only), tokens(est, estimate=True) if est else "",
            money(round(g["cost"], 6) if g["priced"] else None, only), integer(g["events"]), integer(g["commits"]),
            lines]  # fmt: skip


def _projects(doc: dict[str, Any]) -> list[Block]:
    rows = []
    for r in doc["projects"]:
        name = r["name"] or r["project"] or "(outside any repository)"
        commits = integer(r["commits"]) if r["project"] else "—"
        lines = f"+{integer(r['lines_added'])} / −{integer(r['lines_removed'])}" if r["project"] else "—"
        rows.append([name, tokens(r["total_tokens"]), money(r["cost_usd"]), integer(r["sessions"]), commits,
                     lines, _share(r["delivery_share"]), money(r["cost_per_commit"]),
                     "" if r["previous_total_tokens"] is None else tokens(r["previous_total_tokens"])])  # fmt: skip
    if not rows:
        return [Heading("Projects"), Para("No project had usage or commits in this period.")]
    headers = [
        "Project",
        "Tokens",
        "Cost",
        "Sessions",
        "Commits",
        "Lines +/−",
        "Delivery",
        "$/commit",
        "Previous",
    ]
    note = Para("Delivery: the share of a project's tokens spent in sessions linked to one of your commits.",
                muted=True)  # fmt: skip
    return [Heading("Projects"), Table(headers, rows, [False] + [True] * 8), note]


def _sessions(doc: dict[str, Any]) -> list[Block]:
    """The costliest sessions as a table, then what each was about: folder, branch, first prompt, commits."""
    sessions = doc["sessions"]
    if not sessions:
        return []
    ranked = sorted(sessions, key=lambda s: (-(s["cost_usd"] or 0.0), -s["total_tokens"]))[:TOP_SESSIONS]
    rows, details = [], []
    for s in ranked:
        est = s["is_estimate"]
        label = f"{s['source']}:{short_id(s['session_id'])}"
        rows.append([label, _folder(s), s["start"][:16].replace("T", " "), tokens(s["total_tokens"], est),
                     money(s["cost_usd"], est), integer(s["prompts"]), integer(len(s["linked_commits"]))])  # fmt: skip
        parts = [f"in {s['project']}" if s["project"] else "no folder recorded"]
        if s.get("branch"):
            parts.append(f"branch {s['branch']}")
        if s.get("first_prompt"):
            parts.append(f"first prompt “{_clip(s['first_prompt'])}”")
        commits = [
            f"{short_sha(c['sha'])} “{_clip(c['subject'] or '', 60)}”" for c in s["linked_commits"][:3]
        ]
        if len(s["linked_commits"]) > 3:
            commits.append(f"{len(s['linked_commits']) - 3} more")
        if commits:
            parts.append("commits " + ", ".join(commits))
        details.append(f"{label}: " + "; ".join(parts))
    headers = ["Session", "Folder", "Started", "Tokens", "Cost", "Prompts", "Commits"]
    title = f"Costliest sessions ({len(ranked)} of {integer(len(sessions))})"
    return [Heading(title), Table(headers, rows, [False] * 3 + [True] * 4), Bullets(details),
            Para("The CSV and JSON exports list every session.", muted=True)]  # fmt: skip


def short_id(value: str) -> str:
    """A long session id cut to its first 8 characters; pseudonyms and short ids whole."""
    return value[:8] + "…" if len(value) > 16 and re.fullmatch(r"[0-9a-fA-F-]+", value) else value


def _folder(session: dict[str, Any]) -> str:
    """The repository's folder name (… when the session ran deeper in it), else the folder's own name."""
    root, cwd = session.get("repository"), session.get("project")
    if root:
        return _name(root) + ("" if cwd == root else "/…")
    return _name(cwd) if cwd else "—"


def _name(path: str) -> str:
    return re.split(r"[/\\]", path.rstrip("/\\"))[-1] or path


def _findings(doc: dict[str, Any]) -> list[Block]:
    count = doc["findings_count"]
    out: list[Block] = [Heading("Findings")]
    if "findings" not in doc:
        kinds = ", ".join(f"{n} {DETECTOR_NAMES.get(d, d).lower()}" for d, n in count["by_detector"].items())
        out.append(Para(f"{integer(count['findings'])} findings" + (f" ({kinds})" if kinds else "")
                        + "; their details are left out at this redaction level."))  # fmt: skip
        return out
    if not doc["findings"]:
        out.append(
            Para("No findings: nothing in this period burned tokens without producing work, by these rules.")
        )
        return out
    groups: dict[str, list[dict[str, Any]]] = {}
    for f in doc["findings"]:  # most severe first, as the detectors' run returns them
        groups.setdefault(f["detector"], []).append(f)
    for detector, found in groups.items():
        spent = sum(f["tokens"] for f in found)
        costs = [f["cost_usd"] for f in found if f["cost_usd"] is not None]
        head = (f"{DETECTOR_NAMES.get(detector, detector)}: {len(found)} finding{'s' if len(found) != 1 else ''}, "
                f"{tokens(spent)} tokens, {money(sum(costs) if costs else None)}")  # fmt: skip
        out += [
            Heading(head, 3),
            Para(found[0]["cannot_tell"], lead="What this rule cannot tell:", muted=True),
        ]
        for f in found[:FINDINGS_PER_DETECTOR]:
            out += _finding(f)
        if len(found) > FINDINGS_PER_DETECTOR:
            out.append(
                Para(f"{len(found) - FINDINGS_PER_DETECTOR} more like these: the JSON export has every one.")
            )
    return out


def _finding(f: dict[str, Any]) -> list[Block]:
    span = (
        f["period_start"]
        if f["period_start"] == f["period_end"]
        else f"{f['period_start']} – {f['period_end']}"
    )
    numbers = f"{tokens(f['tokens'])} tokens, {money(f['cost_usd'])}"
    if f.get("avoidable_usd"):
        numbers += f", {money(f['avoidable_usd'], estimate=True)} avoidable"
    kinds = Counter(item.get("kind", "?") for item in f["evidence"] if item.get("kind") != "more")
    lines = [line for line in (describe(item) for item in f["evidence"]) if line]
    shown = lines[:EVIDENCE_LINES]
    if len(lines) > EVIDENCE_LINES:
        shown.append(f"… {len(lines) - EVIDENCE_LINES} more items")
    evidence = ", ".join(f"{n} {k.replace('_', ' ')}{'s' if n != 1 else ''}" for k, n in kinds.items())
    return [
        Para(
            f"{f['summary']} Evidence: {evidence}.", lead=f"{f['severity'].capitalize()}, {span}, {numbers}."
        ),
        Bullets(shown),
    ]


def describe(item: dict[str, Any]) -> str | None:
    """One line for one evidence item; fields taken out by redaction are simply not mentioned."""
    kind = item.get("kind")
    cost = f", {money(item['cost_usd'])}" if "cost_usd" in item else ""
    spent = f" {tokens(item['tokens'])} tokens{cost}" if "tokens" in item else ""
    if kind == "session":
        where = f" in {item['project']}" if item.get("project") else ""
        day = f" {tokens(item['day_tokens'])} tokens that day" if "day_tokens" in item else ""
        return f"session {item['source']}:{item['session_id']}{where}:{spent or day}".rstrip(":")
    if kind == "prompt":
        text = f" “{_clip(item['excerpt'])}”" if item.get("excerpt") else " (text not shown)"
        return f"prompt at {item['ts'][:16].replace('T', ' ')}, {integer(item['length'])} chars{text}:{spent}"
    if kind == "pattern":
        text = f" “{_clip(item['pattern'])}”" if item.get("pattern") else ""
        return f"repeated prompt {item['pattern_id']}{text}: {item['prompts']} times in {_count(item['sessions'], 'session')}"
    if kind == "call":
        return f"call at {item['ts'][:16].replace('T', ' ')} on {item['model']}:{spent}"
    if kind == "commit":
        subject = f" “{_clip(item['subject'])}”" if item.get("subject") else ""
        return f"commit {short_sha(item.get('sha'))}{subject}: {item.get('note') or ''}".rstrip(": ")
    if kind == "file":
        return f"edited file {item['path']} ({_count(item['edits'], 'edit')}), never committed"
    if kind == "note":
        return item.get("text")
    if kind == "estimate":
        other = item.get("steady_usd", item.get("alternative_usd"))
        model = f" on {item['alternative_model']}" if item.get("alternative_model") else ""
        return f"estimate: {money(item.get('actual_usd'))} spent, {money(other)}{model} would do"
    if kind == "baseline":
        return f"baseline: your median call reads {tokens(item['median_input_tokens'])} tokens"
    if kind == "chain":
        return f"{item['calls']} tool calls in a row with no prompt:{spent}"
    if kind == "repeated_call":
        return f"{item['tool']} called {item['calls']} times, {item['errors']} failed:{spent}"
    if kind == "interval":
        return f"{item['prompts']} prompts every {item['mean_gap_seconds']:.0f} s (gaps vary {item['gap_cv'] * 100:.0f}%)"
    if kind == "share":
        return f"{item['headless_sessions']} of {item['sessions']} sessions ran headless"
    if kind == "more":
        return f"… and {item['count']} more {item['what']}"
    return None


def _count(n: int, word: str) -> str:
    return f"{integer(n)} {word}{'' if n == 1 else 's'}"


def _clip(text: str, width: int = 80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"
