"""The assistants' ids, outside desktop.sources (importing that loads every reader): argument parsing stays fast.
tests/test_sources_registry.py keeps this equal to the registry."""

ASSISTANT_IDS = (
    "claude", "codex", "gemini", "opencode", "copilot", "cline", "roo", "kilo", "amp", "qwen", "goose", "pi",
    "zed", "droid", "aider", "kiro", "cursor", "crush", "continue", "windsurf",
)  # fmt: skip
