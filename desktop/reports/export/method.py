"""The closing section of every export: how its numbers were computed, so a reader can trust them."""

from __future__ import annotations

from typing import Any

from desktop.formatting import integer, tokens


def method_sections(document: dict[str, Any], link_hours: float) -> list[dict[str, str]]:
    """Plain paragraphs, each {"title", "text"}; they name no project, path or prompt."""
    period, pricing = document["period"], document["pricing"]
    estimates, unpriced = document["estimates"], document["unpriced"]
    retrieved = f", retrieved {pricing['retrieved']}" if pricing["retrieved"] else ""
    sections = [
        (
            "Counting",
            "One row per billed model call. The assistants write the same call into several places "
            "(streamed lines, resumed and forked sessions, archived copies); each call is recognised by the "
            "assistant's own ids and counted once across all of its files, never once per file or per session.",
        ),
        (
            "Tokens",
            "Input counts only tokens billed at the plain input rate; cache writes and cache reads are "
            "counted apart; output includes reasoning. Total = input + cache writes + cache reads + output, with "
            "the same meaning for every assistant.",
        ),
        (
            "Cost",
            "The displayed cost of a call is the assistant's own US-dollar figure when it logged a positive "
            "one; otherwise its tokens priced with Tokenmirror's bundled price table "
            f"({pricing['version']}{retrieved}), at the rates for that model and token kind, priced when the "
            "call was imported. No price is ever fetched from the network. A model the table does not know is "
            '"unpriced": shown as —, never as $0, and left out of cost sums'
            + (f" ({integer(unpriced['events'])} calls in this period)." if unpriced["events"] else "."),
        ),
        (
            "Days",
            f"Calls and commits belong to the local day their time falls on in {period['timezone']}; weeks "
            f"start on {period['week_start'].capitalize()}. Times are stored in UTC and bucketed when the report "
            "is made, so a change of zone moves nothing but the day boundaries.",
        ),
        (
            "Estimates",
            "Some assistants do not log token counts (Kiro, Continue, Cursor's local data, Aider's chat "
            "history); their tokens are estimated from text length or context size and marked with a leading ~. "
            "They are counted in totals but always also shown apart"
            + (
                f": {tokens(estimates['total_tokens'], estimate=True)} tokens in this period, from "
                + ", ".join(s["name"] for s in estimates["sources"])
                + "."
                if estimates["total_tokens"]
                else "; this period has none."
            ),
        ),
        (
            "Commits",
            "Commits are your own non-merge commits (by the author emails set as yours) in the "
            "repositories your sessions worked in; a commit seen in two clones counts once. Lines are git's "
            "insertions and deletions. A session delivers when it is linked to one of your commits: strongly, by "
            f"files it edited that the commit changed, or weakly, by a commit within {link_hours:g} h after it in "
            "the same repository. Delivery share = tokens of delivering sessions / all tokens. It says what was "
            "committed, not whether it was good or needed.",
        ),
        (
            "Comparison",
            "Changes (▲ / ▼) compare with the previous period"
            + (
                ": as this period is still running, with the same number of days from that period's start."
                if period["running"]
                else "."
            ),
        ),
        (
            "Findings",
            "Findings come from fixed rules with documented thresholds (docs/INSIGHTS.md), each "
            "with the sessions, prompts and commits behind it and a statement of what the rule cannot know. "
            "Dismissed findings are left out.",
        ),
    ]
    return [{"title": title, "text": text} for title, text in sections]
