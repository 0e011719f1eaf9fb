"""Terminal renderings of reports; the numbers come unchanged from the report rows."""

from __future__ import annotations

from typing import Any

from desktop import formatting as fmt
from desktop.reports.render import table

TOKEN_HEADERS = ["input", "cache write", "cache read", "output", "total", "cost"]


def _token_cells(row: dict[str, Any]) -> list[str]:
    est = bool(row.get("is_estimate"))
    cost = fmt.money(row["cost_usd"], est)
    if row.get("unpriced_events") and row["cost_usd"] is not None:
        cost = "≥" + cost  # part of the group is unpriced
    return [
        fmt.tokens(row["input_tokens"], est),
        fmt.tokens(row["cache_creation_tokens"], est),
        fmt.tokens(row["cache_read_tokens"], est),
        fmt.tokens(row["output_tokens"], est),
        fmt.tokens(row["total_tokens"], est),
        cost,
    ]


def print_report(kind: str, data: dict[str, Any], by_model: bool) -> None:
    rows = data["rows"]
    if not rows:
        print("No usage in this range. Run `tokenmirror scan` to read new logs.")
        return
    if kind in ("daily", "weekly", "monthly"):
        headers = ["date", "source"] + (["model"] if by_model else []) + TOKEN_HEADERS + ["calls"]
        lead = lambda r: [r["date"], r["source"]] + ([r.get("model") or "?"] if by_model else [])  # noqa: E731
    elif kind == "sessions":
        headers = ["start", "source", "session", "project"] + TOKEN_HEADERS + ["calls"]
        lead = lambda r: [r["start"][:16].replace("T", " "), r["source"], r["session_id"][:8], _short(r["project"])]  # noqa: E731
    else:
        headers = ["project", "sessions", "first", "last"] + TOKEN_HEADERS + ["calls", "commits", "lines +/-", "$/commit"]
        lead = lambda r: [_short(r["project"]), str(r["sessions"]), r["first_day"], r["last_day"]]  # noqa: E731
    body = [lead(r) + _token_cells(r) + [fmt.integer(r["events"])] + _commit_cells(kind, r) for r in rows]
    width = len(lead(rows[0]))
    totals = data["totals"]
    body.append(["total"] + [""] * (width - 1) + _token_cells(totals) + [fmt.integer(totals["events"])]
                + [""] * len(_commit_cells(kind, {})))  # fmt: skip
    numeric = [False] * width + [True] * (len(headers) - width)
    if kind == "projects":
        numeric[1] = True
    print(table(headers, body, numeric))
    if totals.get("unpriced_events"):
        print(f"{totals['unpriced_events']:,} calls use models missing from the price table: costs are lower bounds "
              "(see `tokenmirror doctor`).")  # fmt: skip
    if totals.get("estimated_total_tokens"):
        print(f"~ marks estimated numbers ({fmt.tokens(totals['estimated_total_tokens'])} tokens of the total).")


def _commit_cells(kind: str, row: dict[str, Any]) -> list[str]:
    """Projects: the user's own commits in that repository (blank where the row is not its main one)."""
    if kind != "projects":
        return []
    if not row or row.get("commits") is None:
        return ["", "", ""]
    lines = f"+{fmt.integer(row.get('lines_added') or 0)}/-{fmt.integer(row.get('lines_removed') or 0)}"
    per = row.get("cost_per_commit")
    return [fmt.integer(row["commits"]), lines, fmt.money(per) if per is not None else "—"]


def _short(path: str | None, width: int = 40) -> str:
    if not path:
        return "(unknown project)"
    return path if len(path) <= width else "…" + path[-(width - 1) :]


def print_sources(data: dict[str, Any]) -> None:
    rows = []
    for s in data["sources"]:
        where = ", ".join(s["paths"]) if s["paths"] else "not found"
        last = (s["last_event"] or "")[:10]
        if s.get("unreadable_reason"):
            numbers = "unreadable"
        elif not s.get("tokens_recorded", True):
            numbers = "cost only"
        else:
            numbers = "measured" if s["measured"] else "estimated"
        rows.append([s["id"], s["name"], "yes" if s["found"] else "no", str(s["files"]), fmt.integer(s["events"]),
                     last, str(s["skipped_lines"]), numbers, where])  # fmt: skip
    print(table(["id", "assistant", "found", "files", "events", "last event", "bad lines", "numbers", "where"], rows,
                [False, False, False, True, True, False, True, False, False]))  # fmt: skip
    for s in data["sources"]:
        if s.get("unreadable_reason") and s["found"]:
            print(f"\n{s['name']}: found but not readable: {s['unreadable_reason']}")
        if s.get("note") and s["found"]:
            print(f"\n{s['name']}: {s['note']}")
    blind = [s["name"] for s in data["sources"] if not s.get("project_recorded", True)]
    if blind:
        print(f"\n{', '.join(blind)}: the logs do not say which project; their usage is shown as (unknown project).")


def print_doctor(data: dict[str, Any]) -> None:
    print(f"data dir:   {data['data_dir']}")
    if not data.get("database_exists"):
        print("archive:    none yet (run `tokenmirror scan`)")
        return
    healthy = data["integrity"] == "ok"
    state = "ok" if healthy else "DAMAGED"
    print(f"archive:    {data['database']} ({data['database_bytes'] / 1e6:.1f} MB), integrity: {state}")
    if not healthy:
        print(f"            the archive is damaged ({data['integrity'].splitlines()[0][:80]}); "
              "`tokenmirror doctor --repair` sets it aside and rebuilds it")  # fmt: skip
    print(f"schema:     {len(data['schema'])} steps, latest {data['schema'][-1] if data['schema'] else '-'}")
    if data["skipped_lines"]:
        print("\nlines that could not be read (skipped, counted):")
        for item in data["skipped_lines"]:
            numbers = ", ".join(str(n) for n in item["line_numbers"])
            label = "line" if len(item["line_numbers"]) == 1 else "lines"
            print(f"  {item['lines']:>6} in {item['path']} ({label} {numbers})")
    if data["unpriced_models"]:
        print("\nmodels missing from the price table (their cost is shown as —):")
        for item in data["unpriced_models"]:
            print(f"  {item['source']:<8} {item['model']:<40} {item['events']:>8,} calls  {fmt.tokens(item['tokens'])} tokens")
    if data["unreadable"]:
        print("\nunreadable:")
        for item in data["unreadable"]:
            print(f"  {item['source']:<8} {item['path']}: {item['reason']}")
    if data["ok"]:
        print("\nall good")


def print_scan(summary: Any) -> None:
    """Readers that found logs, one line each; the assistants with nothing on this machine, named once."""
    from desktop.sources import by_id, tool_of

    found = [s for s in summary.sources if s.files_found]
    if found:
        rows = [[s.source, fmt.integer(s.files_found), fmt.integer(s.files_read), fmt.integer(s.events_parsed),
                 fmt.integer(s.lines_skipped), str(len(s.unreadable))] for s in found]  # fmt: skip
        print(table(["source", "files", "read", "events parsed", "bad lines", "unreadable"], rows, [False] + [True] * 5))
    seen = {tool_of(by_id(s.source)) for s in found}
    absent = sorted({tool_of(by_id(s.source)) for s in summary.sources} - seen)
    if absent:
        print(f"no logs found for: {', '.join(absent)}")
    print(f"{summary.events_added:+,} events in the archive ({summary.events_after:,} in all), {summary.seconds:.2f} s")
