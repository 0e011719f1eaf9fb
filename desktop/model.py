"""The domain types every layer shares: tokens of one billed call, the call itself, and its context."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Tokens:
    """Token counts of one billed call, normalized as LOG-FORMATS §1.2 defines them."""

    input_uncached: int = 0  # billed at the plain input rate; cache reads and writes removed
    cache_read: int = 0
    cache_write_5m: int = 0  # all cache writes when the source does not split them by TTL
    cache_write_1h: int = 0
    output: int = 0
    reasoning: int = 0
    reasoning_in_output: bool = True  # True: reasoning is a part of output, never added again

    @property
    def cache_write(self) -> int:
        return self.cache_write_5m + self.cache_write_1h

    @property
    def output_total(self) -> int:
        """All output, reasoning included exactly once."""
        return self.output if self.reasoning_in_output else self.output + self.reasoning

    @property
    def prompt(self) -> int:
        """Everything the model read: the figure the 200k long-context tier looks at."""
        return self.input_uncached + self.cache_read + self.cache_write_5m + self.cache_write_1h

    @property
    def total(self) -> int:
        return self.prompt + self.output_total


@dataclass(slots=True)
class UsageEvent:
    """One billed model call (or a coarser unit, see `granularity`), ready for the archive."""

    source: str
    dedup_key: str
    ts_ms: int
    tokens: Tokens
    model: str | None = None
    granularity: str = "call"
    session_id: str | None = None
    parent_session_id: str | None = None
    agent: str | None = None
    is_sidechain: bool = False
    project_path: str | None = None
    git_branch: str | None = None
    client_version: str | None = None
    provider: str | None = None
    model_is_fallback: bool = False
    is_estimate: bool = False
    speed: str | None = None
    stored_cost: float | None = None
    stored_cost_unit: str | None = None
    alt_key: str | None = None  # secondary dedup key (Claude: message.id alone, LOG-FORMATS §3.1)
    raw_offset: int = 0


@dataclass(slots=True)
class SessionInfo:
    """What a source knows about one session; merged into the `session` table."""

    source: str
    session_id: str
    ts_ms: int  # first activity seen
    last_ts_ms: int = 0
    project_path: str | None = None
    git_branch: str | None = None
    parent_session_id: str | None = None
    entrypoint: str | None = None  # how it was started: cli, sdk-cli, exec, vscode, ...
    is_headless: bool = False
    client_version: str | None = None

    def __post_init__(self) -> None:
        self.last_ts_ms = max(self.last_ts_ms, self.ts_ms)


@dataclass(slots=True)
class Prompt:
    """A human prompt: stored as a hash, a length and an optional excerpt, never in full."""

    source: str
    prompt_key: str
    session_id: str | None
    ts_ms: int
    text_hash: str
    length: int
    excerpt: str | None = None


@dataclass(slots=True)
class ToolCall:
    source: str
    call_key: str
    session_id: str | None
    ts_ms: int
    name: str
    args_hash: str
    file_path: str | None = None
    is_error: bool = False


@dataclass(slots=True)
class ToolError:
    """A tool result that reported failure, matched to its call after the fact."""

    source: str
    call_key: str


@dataclass(slots=True)
class Batch:
    """Everything parsed from one chunk of one file; written together with the file's cursor."""

    events: list[UsageEvent] = field(default_factory=list)
    sessions: list[SessionInfo] = field(default_factory=list)
    prompts: list[Prompt] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_errors: list[ToolError] = field(default_factory=list)
    skipped_lines: list[int] = field(default_factory=list)  # 1-based line numbers
    error_events: int = 0  # API error notices (Claude `<synthetic>`): not calls

    def __len__(self) -> int:
        return len(self.events) + len(self.prompts) + len(self.tool_calls)
