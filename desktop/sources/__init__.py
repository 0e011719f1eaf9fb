"""The registry of assistants, in import-priority order (LOG-FORMATS §3)."""

from __future__ import annotations

from desktop.sources.base import Environment, Source
from desktop.sources.claude_code import ClaudeCode
from desktop.sources.codex import Codex

SOURCES: list[Source] = [ClaudeCode(), Codex()]


def by_id(source_id: str) -> Source:
    for source in SOURCES:
        if source.id == source_id:
            return source
    raise KeyError(source_id)


__all__ = ["SOURCES", "Environment", "Source", "by_id"]
