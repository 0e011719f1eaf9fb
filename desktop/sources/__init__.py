"""The registry of assistants, in import-priority order (LOG-FORMATS §3)."""

from __future__ import annotations

from desktop.sources.aider import Aider, AiderHistory
from desktop.sources.amp import Amp
from desktop.sources.base import Environment, Source
from desktop.sources.claude_code import ClaudeCode
from desktop.sources.cline_family import ClineCli, ClineFamily, KiloCli
from desktop.sources.codex import Codex
from desktop.sources.continue_dev import Continue
from desktop.sources.copilot_cli import CopilotCli
from desktop.sources.crush import Crush
from desktop.sources.cursor import Cursor
from desktop.sources.droid import Droid
from desktop.sources.gemini_cli import GeminiCli, GeminiCliLegacy
from desktop.sources.goose import Goose
from desktop.sources.kiro import Kiro, KiroCliDatabase
from desktop.sources.opencode import OpenCode
from desktop.sources.pi_agent import PiAgent
from desktop.sources.qwen_code import QwenCode
from desktop.sources.windsurf import Windsurf
from desktop.sources.zed import Zed

SOURCES: list[Source] = [
    ClaudeCode(), Codex(), GeminiCli(), GeminiCliLegacy(), OpenCode(), CopilotCli(), ClineFamily("cline"), ClineCli(),
    ClineFamily("roo"), ClineFamily("kilo"), KiloCli(), Amp(), QwenCode(), Goose(), PiAgent(), Zed(), Droid(),
    Aider(), AiderHistory(), Kiro(), KiroCliDatabase(), Cursor(), Crush(), Continue(), Windsurf(),
]  # fmt: skip


def by_id(source_id: str) -> Source:
    for source in SOURCES:
        if source.id == source_id:
            return source
    raise KeyError(source_id)


def tool_of(source: Source) -> str:
    """The assistant a reader belongs to: Gemini's legacy .json reader is part of `gemini`."""
    return getattr(source, "part_of", None) or source.id


def assistant_ids() -> list[str]:
    """The ids users name (`--source`, settings): one per assistant."""
    return [s.id for s in SOURCES if tool_of(s) == s.id]


__all__ = ["SOURCES", "Environment", "Source", "assistant_ids", "by_id", "tool_of"]
