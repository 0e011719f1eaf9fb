"""Claude Code transcripts: one row per (message.id, requestId), best copy wins (LOG-FORMATS §3.1)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Generic, TypeVar

import msgspec

from desktop.model import Batch, Prompt, SessionInfo, ToolCall, ToolError, Tokens, UsageEvent
from desktop.sources.base import (
    Chunk,
    Environment,
    ParseContext,
    Stateless,
    bytes_hash,
    lossy,
    text_hash,
    walk_file_names,
)
from desktop.sources.counts import BadCount, count
from desktop.sources.timestamps import iso_to_ms

EDIT_TOOLS = {"Edit", "Write", "MultiEdit", "NotebookEdit"}
NOT_HUMAN = ("<command-name>", "<command-message>", "<local-command-stdout>", "<local-command-", "[Request interrupted")


class CacheCreation(msgspec.Struct):
    ephemeral_5m_input_tokens: Any = None
    ephemeral_1h_input_tokens: Any = None


class Usage(msgspec.Struct):
    input_tokens: Any = None
    cache_creation_input_tokens: Any = None
    cache_read_input_tokens: Any = None
    output_tokens: Any = None
    cache_creation: CacheCreation | None = None
    speed: str | None = None


class ToolUse(msgspec.Struct):
    """An assistant's content block: only tool calls matter, so text and thinking are skipped unbuilt."""

    type: str | None = None
    id: str | None = None
    name: str | None = None
    input: msgspec.Raw = msgspec.Raw()  # raw bytes, decoded only when needed


class UserBlock(msgspec.Struct):
    """A user line's content block: the prompt's text, or a tool result's outcome."""

    type: str | None = None
    text: str | None = None
    tool_use_id: str | None = None
    is_error: bool | None = None


B = TypeVar("B", ToolUse, UserBlock)


class Message(msgspec.Struct, Generic[B]):
    id: str | None = None
    model: str | None = None
    content: str | list[B] | None = None
    usage: Usage | None = None


class Line(msgspec.Struct, Generic[B]):
    type: str | None = None
    timestamp: str | None = None
    sessionId: str | None = None
    cwd: str | None = None
    gitBranch: str | None = None
    version: str | None = None
    isSidechain: bool | None = None
    requestId: str | None = None
    uuid: str | None = None
    isMeta: bool | None = None
    isCompactSummary: bool | None = None
    isApiErrorMessage: bool | None = None
    costUSD: float | None = None
    entrypoint: str | None = None
    message: Message[B] | None = None


# one decoder per line kind: assistant lines never build their text blocks (most of a transcript's bytes)
_DECODERS = {True: Line[UserBlock], False: Line[ToolUse]}
_DECODE = {user: msgspec.json.Decoder(kind).decode for user, kind in _DECODERS.items()}
_AGENT_FILE = re.compile(r"^agent-(.+)\.jsonl$")
USER_HEAD = 600  # bytes: the keys before `message` (ids, cwd, branch, version, type)


class ClaudeCode:
    id = "claude"
    name = "Claude Code"
    measured = True
    conflict = "best"  # streaming copies: keep the most complete one

    def roots(self, env: Environment) -> list[Path]:
        """CLAUDE_CONFIG_DIR (comma list of config or projects dirs), else ~/.config/claude and ~/.claude."""
        configured = env.var("CLAUDE_CONFIG_DIR")
        if configured:
            roots = []
            for entry in (part.strip() for part in configured.split(",")):
                if entry:
                    base = Path(entry).expanduser()
                    roots.append(base if base.name == "projects" else base / "projects")
            return roots
        return [env.xdg_config_home() / "claude" / "projects", env.home / ".claude" / "projects"]

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        for root in [*self.roots(env), *extra]:
            for path in walk_file_names(str(root), ".jsonl"):
                if not path.endswith(("/journal.jsonl", "\\journal.jsonl")):  # workflow metadata, not usage
                    yield path

    def parser(self, path: Path, state: dict[str, Any], context: ParseContext) -> ClaudeParser:
        return ClaudeParser(path, context)


def subagent_name(path: Path) -> str | None:
    """Subagent and compaction files are real spend of the parent session; name the agent."""
    match = _AGENT_FILE.match(path.name)
    if not match:
        return None
    if match.group(1).startswith("acompact"):
        return "compaction"
    meta = path.with_name(f"agent-{match.group(1)}.meta.json")
    try:
        agent_type = json.loads(meta.read_bytes()).get("agentType")
        if isinstance(agent_type, str) and agent_type:
            return agent_type
    except (OSError, ValueError, AttributeError):
        pass
    return "claude-code-subagent"


class ClaudeParser(Stateless):
    def __init__(self, path: Path, context: ParseContext) -> None:
        self.context = context
        self.agent = subagent_name(path)

    def parse(self, chunk: Chunk) -> Batch:
        batch = Batch()
        sessions: dict[str, SessionInfo] = {}
        kept: dict[str, tuple[int, int, int]] = {}  # dedup key -> rank of the copy this chunk keeps
        data = chunk.data
        view = memoryview(data)  # lines are decoded in place: a skipped line is never copied
        for offset, number, start, stop in chunk.spans():
            user = data.find(b'"type":"user"', start, min(start + USER_HEAD, stop)) >= 0
            if not _worth_decoding(data, start, stop, user):
                if not _looks_like_json_object(data, start, stop):
                    batch.skipped_lines.append(number)
                continue
            raw = view[start:stop]
            try:
                line = _decode_line(raw, user)
                ts = iso_to_ms(line.timestamp)
                if line.type == "assistant":
                    self._assistant(line, ts, offset, batch, kept)
                elif line.type == "user":
                    self._user(line, ts, batch)
                else:
                    continue
            except (msgspec.DecodeError, msgspec.ValidationError, BadCount, ValueError, RecursionError):
                batch.skipped_lines.append(number)
                continue
            self._touch_session(line, ts, sessions)
        batch.sessions.extend(sessions.values())
        return batch

    def _assistant(self, line: Line[ToolUse], ts: int | None, offset: int, batch: Batch,
                   kept: dict[str, tuple[int, int, int]]) -> None:  # fmt: skip
        message = line.message
        if message is None or message.usage is None:
            return
        if ts is None:
            raise ValueError("assistant line without a timestamp")
        if message.model == "<synthetic>":
            batch.error_events += 1  # a locally generated notice, not a billed call
            return
        usage = message.usage
        split = usage.cache_creation
        if split is not None and (split.ephemeral_5m_input_tokens is not None or split.ephemeral_1h_input_tokens is not None):
            write_5m, write_1h = count(split.ephemeral_5m_input_tokens), count(split.ephemeral_1h_input_tokens)
        else:
            write_5m, write_1h = count(usage.cache_creation_input_tokens), 0
        tokens = Tokens(
            input_uncached=count(usage.input_tokens),
            cache_read=count(usage.cache_read_input_tokens),
            cache_write_5m=write_5m,
            cache_write_1h=write_1h,
            output=count(usage.output_tokens),
        )
        msg_id, request_id = message.id or None, line.requestId or None
        if msg_id:
            key = f"{msg_id}:{request_id or ''}"
        elif request_id:
            key = f"req:{request_id}"
        else:
            key = f"line:{line.sessionId}:{line.uuid or offset}"  # nothing to dedup on (ccusage does the same)
        rank = (0 if line.isSidechain else 1, tokens.output, tokens.total)  # the order of writes._rank
        if key in kept and kept[key] >= rank:
            self._tool_calls(line, ts, batch)  # a streaming copy: one line per content block, the same usage
            return
        kept[key] = rank
        batch.events.append(
            UsageEvent(
                source="claude",
                dedup_key=key,
                alt_key=msg_id,
                ts_ms=ts,
                tokens=tokens,
                model=message.model or None,
                session_id=line.sessionId,
                agent=self.agent,
                is_sidechain=bool(line.isSidechain),
                project_path=line.cwd,
                git_branch=line.gitBranch or None,
                client_version=line.version,
                provider="anthropic",
                speed=usage.speed,
                stored_cost=line.costUSD,
                stored_cost_unit="usd" if line.costUSD is not None else None,
                raw_offset=offset,
            )
        )
        self._tool_calls(line, ts, batch)

    def _tool_calls(self, line: Line[ToolUse], ts: int, batch: Batch) -> None:
        content = line.message.content if line.message is not None else None
        if isinstance(content, list):
            for block in content:
                if block.type == "tool_use" and block.id and block.name:
                    batch.tool_calls.append(self._tool_call(line, block, ts))

    def _tool_call(self, line: Line[ToolUse], block: ToolUse, ts: int) -> ToolCall:
        raw_input = bytes(block.input)
        file_path = None
        if block.name in EDIT_TOOLS and raw_input:
            try:
                args = msgspec.json.decode(raw_input)
                candidate = args.get("file_path") or args.get("notebook_path") or args.get("path")
                file_path = candidate if isinstance(candidate, str) else None
            except (msgspec.DecodeError, AttributeError):
                file_path = None
        return ToolCall(
            source="claude",
            call_key=block.id or "",
            session_id=line.sessionId,
            ts_ms=ts,
            name=block.name or "",
            args_hash=bytes_hash(block.name.encode() + b"\0" + raw_input) if block.name else "",
            file_path=file_path,
        )

    def _user(self, line: Line[UserBlock], ts: int | None, batch: Batch) -> None:
        message = line.message
        if message is None:
            return
        content = message.content
        texts: list[str] = []
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            for block in content:
                if block.type == "tool_result":
                    if block.is_error and block.tool_use_id:
                        batch.tool_errors.append(ToolError("claude", block.tool_use_id))
                elif block.type == "text" and block.text:
                    texts.append(block.text)
        if not texts or line.isMeta or line.isCompactSummary or line.isSidechain or self.agent:
            return  # injected context, summaries and subagent briefs are not the human's prompts
        text = "\n".join(texts)
        if text.lstrip().startswith(NOT_HUMAN):
            return
        if ts is None:
            return
        digest = text_hash(text)
        batch.prompts.append(
            Prompt(
                source="claude",
                prompt_key=line.uuid or f"{line.sessionId}:{ts}:{digest}",
                session_id=line.sessionId,
                ts_ms=ts,
                text_hash=digest,
                length=len(text),
                excerpt=self.context.excerpt(text),
            )
        )

    def _touch_session(self, line: Line, ts: int | None, sessions: dict[str, SessionInfo]) -> None:
        if not line.sessionId or ts is None:
            return
        info = sessions.get(line.sessionId)
        if info is None:
            entry = line.entrypoint or None
            sessions[line.sessionId] = SessionInfo(
                source="claude",
                session_id=line.sessionId,
                ts_ms=ts,
                project_path=line.cwd if not self.agent else None,
                git_branch=line.gitBranch or None,
                entrypoint=entry,
                is_headless=bool(entry and entry.startswith("sdk")),
                client_version=line.version,
            )
        else:
            info.ts_ms = min(info.ts_ms, ts)
            info.last_ts_ms = max(info.last_ts_ms, ts)
            if info.project_path is None and not self.agent:
                info.project_path = line.cwd


def _worth_decoding(data: bytes, start: int, stop: int, user: bool) -> bool:
    """Byte tests on data[start:stop] that let most of a transcript go unparsed: only usage lines and
    the user's own lines matter; a tool result matters only when it failed. (Inside JSON strings quotes
    are escaped, so a quoted token found here is structure, not content.) Claude Code writes a user
    line's `type` before its message, so the head names it without a scan of the whole line (`user`)."""
    if not user:
        if data.rfind(b'"usage"', start, stop) >= 0:  # from the end: Claude Code writes usage after the content
            return True
        if data.find(b'"user"', start, stop) < 0:
            return False
    if data.find(b'"tool_result"', start, stop) < 0:
        return True
    # Claude Code writes compact JSON; look for the spaced form only in lines written that way
    spaced = data.find(b'": ', start, min(start + 80, stop)) >= 0
    return data.find(b'"is_error": true' if spaced else b'"is_error":true', start, stop) >= 0


def _looks_like_json_object(data: bytes, start: int, stop: int) -> bool:
    """Lines we skip unparsed still count as bad when they cannot be a JSON object at all."""
    if data[start] == 0x7B and data[stop - 1] == 0x7D:  # "{...}": the common case, without a copy
        return True
    stripped = data[start:stop].strip()
    return stripped.startswith(b"{") and stripped.endswith(b"}")


def _decode_line(raw: bytes | memoryview, user: bool) -> Line:
    """`user`: the head says so. A line of the other kind (keys in another order) is decoded again as that kind."""
    line = _decode_as(raw, user)
    if (line.type == "user") != user:
        line = _decode_as(raw, not user)
    return line


def _decode_as(raw: bytes | memoryview, user: bool) -> Line:
    try:
        return _DECODE[user](raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return _DECODE[user](lossy(bytes(raw)))  # bad UTF-8 inside a string: keep the line, replace the bytes
    except msgspec.ValidationError:
        return msgspec.convert(msgspec.json.decode(raw), _DECODERS[user], strict=False)  # "12" for 12, and such
