"""AI co-author signals in a commit: trailers, "Generated with" lines, aider's author suffix."""

from __future__ import annotations

import re

# tool id -> a pattern over a co-author's "Name <email>" or the words after "Generated with"
AI_TOOLS: dict[str, re.Pattern[str]] = {
    "claude": re.compile(r"\bclaude\b|@anthropic\.com", re.I),
    "copilot": re.compile(r"\bcopilot\b|copilot-swe-agent", re.I),
    "codex": re.compile(r"\bcodex\b|chatgpt-codex|@openai\.com", re.I),
    "cursor": re.compile(r"\bcursor(agent)?\b|@cursor\.(com|sh)", re.I),
    "gemini": re.compile(r"\bgemini\b|google-labs-jules|\bjules\b", re.I),
    "aider": re.compile(r"\baider\b|@aider\.chat", re.I),
    "windsurf": re.compile(r"\bwindsurf\b|\bcodeium\b", re.I),
    "amp": re.compile(r"@ampcode\.com|\bampcode\b", re.I),
    "opencode": re.compile(r"\bopencode\b", re.I),
    "devin": re.compile(r"\bdevin(-ai-integration)?\b", re.I),
}
_CO_AUTHOR = re.compile(r"^\s*co-authored-by\s*:\s*(.+?)\s*$", re.I | re.M)
_GENERATED = re.compile(r"generated\s+(?:with|by|using)\s+(.{1,80})", re.I)
_AIDER_SUFFIX = re.compile(r"\(aider\)\s*$", re.I)


def tools_named(text: str) -> set[str]:
    return {tool for tool, pattern in AI_TOOLS.items() if pattern.search(text)}


def ai_tools(body: str, author_name: str = "", committer_name: str = "") -> tuple[str, ...]:
    """The AI tools a commit credits, sorted; () when it credits none."""
    found: set[str] = set()
    for co_author in _CO_AUTHOR.findall(body):
        found |= tools_named(co_author)
    for line in body.splitlines():
        match = _GENERATED.search(line)
        if match:
            found |= tools_named(match.group(1))
    if _AIDER_SUFFIX.search(author_name) or _AIDER_SUFFIX.search(committer_name):
        found.add("aider")
    return tuple(sorted(found))
