"""Qwen Code: usage from the content-free token ledger only, one row per ledger `id`
(LOG-FORMATS §3.8, §5 rows 37-38).

- `<runtime>/usage/token-usage-<YYYY-MM>.jsonl`: one record per API response, appended. The file is
  cut by the writer's local month; every month is read and each row is dated by its `timestamp`.
- `<runtime>/projects/<sanitized cwd>/chats/<sessionId>.jsonl` (older builds: `tmp/<hash>/chats/`):
  transcripts. They are read for sessions, prompts and tool calls, and to give ledger rows the cwd
  their session ran in. Their `usageMetadata` repeats what the ledger counts, so it is counted only
  for answers older than the ledger's first record (builds before the ledger existed, §3.8).

Runtime folder: `QWEN_RUNTIME_DIR` > `QWEN_HOME` > `~/.qwen` (Storage.getRuntimeBaseDir,
QwenLM/qwen-code packages/core/src/config/storage.ts).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from desktop.model import Batch, ToolError, Tokens, UsageEvent
from desktop.sources._jsonl_common import (
    BAD_LINE,
    Sessions,
    decode_line,
    env_path,
    prompt,
    tool_call,
    unique,
)
from desktop.sources.base import Chunk, Environment, ParseContext, Stateless, split_lines, walk_file_names
from desktop.sources.counts import count
from desktop.sources.timestamps import iso_to_ms

SOURCE = "qwen"
LEDGER_PREFIX = "token-usage-"
SCHEMA_VERSION = 1  # tokenUsageService.ts SCHEMA_VERSION
# A transcript answer and its ledger record are written moments apart; only answers clearly older than
# the ledger's first record come from a build without one
LEDGER_MARGIN_MS = 10 * 60 * 1000
HUMAN_SUBTYPES = (None, "mid_turn_user_message")


class LedgerRecord(msgspec.Struct):
    # TokenUsageRecord (QwenLM/qwen-code packages/core/src/services/tokenUsageService.ts)
    schemaVersion: Any = None
    id: str | None = None
    timestamp: str | None = None
    sessionId: str | None = None
    model: str | None = None
    authType: str | None = None
    source: str | None = None
    inputTokens: Any = None
    outputTokens: Any = None
    cachedTokens: Any = None
    thoughtsTokens: Any = None
    totalTokens: Any = None


class FunctionCall(msgspec.Struct):
    id: str | None = None
    name: str | None = None
    args: msgspec.Raw = msgspec.Raw()


class Part(msgspec.Struct):
    text: Any = None
    thought: Any = None
    functionCall: FunctionCall | None = None


class Content(msgspec.Struct):
    role: str | None = None
    parts: list[Part] | None = None


class ToolResult(msgspec.Struct):
    callId: str | None = None
    status: str | None = None
    error: msgspec.Raw = msgspec.Raw()


class UsageMetadata(msgspec.Struct):
    # Gemini semantics: the prompt count includes the cached part; thoughts come on top of the output
    promptTokenCount: Any = None
    candidatesTokenCount: Any = None
    cachedContentTokenCount: Any = None
    thoughtsTokenCount: Any = None


class ChatRecord(msgspec.Struct):
    # ChatRecord (packages/core/src/services/chatRecordingService.ts)
    uuid: str | None = None
    sessionId: str | None = None
    timestamp: str | None = None
    type: str | None = None
    subtype: str | None = None
    provenance: str | None = None
    cwd: str | None = None
    version: str | None = None
    gitBranch: str | None = None
    isSidechain: bool | None = None
    message: Content | None = None
    toolCallResult: ToolResult | None = None
    model: str | None = None
    usageMetadata: UsageMetadata | None = None


_decode_ledger = msgspec.json.Decoder(LedgerRecord).decode
_decode_chat = msgspec.json.Decoder(ChatRecord).decode


def runtime_dirs(env: Environment) -> list[Path]:
    """Where the ledger is written now, and the Qwen home if the runtime folder was moved away from it."""
    home = env_path(env, "QWEN_HOME") or env.home / ".qwen"
    runtime = env_path(env, "QWEN_RUNTIME_DIR") or home
    return unique([runtime, home])


def _is_ledger(path: str) -> bool:
    name = os.path.basename(path)
    return name.startswith(LEDGER_PREFIX) and os.path.basename(os.path.dirname(path)) == "usage"


def _is_transcript(path: str) -> bool:
    return os.path.basename(os.path.dirname(path)) == "chats"


class QwenCode:
    id = SOURCE
    name = "Qwen Code"
    measured = True
    mode = "append"
    conflict = "first"  # a ledger id is written once

    def roots(self, env: Environment) -> list[Path]:
        return [folder / sub for folder in runtime_dirs(env) for sub in ("usage", "projects", "tmp")]

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        for root in [*self.roots(env), *extra]:
            for path in walk_file_names(str(root), ".jsonl"):
                if _is_ledger(path) or _is_transcript(path):
                    yield path

    def parser(self, path: Path, state: dict[str, Any],
               context: ParseContext) -> LedgerParser | TranscriptParser:  # fmt: skip
        if _is_ledger(str(path)):
            return LedgerParser(path)
        return TranscriptParser(context, ledger_start_ms(path))


class _TranscriptIndex:
    """sessionId -> the cwd its transcript records, found next to the ledger's runtime folder."""

    def __init__(self, runtime: Path) -> None:
        self.runtime = runtime
        self._folders: list[Path] | None = None
        self._cwd: dict[str, str | None] = {}

    def cwd(self, session: str | None) -> str | None:
        if not session:
            return None
        if session not in self._cwd:
            self._cwd[session] = self._find(session)
        return self._cwd[session]

    def _find(self, session: str) -> str | None:
        if self._folders is None:
            self._folders = []
            for sub in ("projects", "tmp"):
                try:
                    with os.scandir(self.runtime / sub) as listing:
                        self._folders += [Path(e.path) / "chats" for e in listing if e.is_dir()]
                except OSError:
                    continue
        for chats in self._folders:
            cwd = _transcript_cwd(chats / f"{session}.jsonl")
            if cwd:
                return cwd
        return None


def _transcript_cwd(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            for _ in range(20):  # the first records carry it; never read a whole transcript for this
                line = fh.readline(1 << 20)
                if not line:
                    return None
                try:
                    record = decode_line(_decode_chat, ChatRecord, line)
                except BAD_LINE:
                    continue
                if record.cwd:
                    return record.cwd
    except OSError:
        return None
    return None


class LedgerParser(Stateless):
    def __init__(self, path: Path) -> None:
        self.transcripts = _TranscriptIndex(path.parent.parent)

    def parse(self, chunk: Chunk) -> Batch:
        batch = Batch()
        sessions = Sessions(SOURCE)
        for offset, number, raw in split_lines(chunk):
            try:
                record = decode_line(_decode_ledger, LedgerRecord, raw)
                if record.schemaVersion not in (None, SCHEMA_VERSION):
                    raise ValueError(f"ledger schema {record.schemaVersion!r}")
                event = self._event(record, offset)
            except BAD_LINE:
                batch.skipped_lines.append(number)
                continue
            if event is not None:
                batch.events.append(event)
                sessions.touch(event.session_id, event.ts_ms, project_path=event.project_path)
        sessions.into(batch)
        return batch

    def _event(self, record: LedgerRecord, offset: int) -> UsageEvent | None:
        ts = iso_to_ms(record.timestamp)  # an instant; `localDate` is the writer's zone (§5 row 37)
        if ts is None:
            raise ValueError("ledger record without a timestamp")
        input_all, cached = count(record.inputTokens), count(record.cachedTokens)
        output, thoughts = count(record.outputTokens), count(record.thoughtsTokens)
        if not (input_all or cached or output or thoughts):
            return None
        cached = min(cached, input_all)  # the prompt count includes the cached part
        model = record.model if record.model and record.model != "unknown" else None
        origin = record.source or "main"
        key = record.id or f"{record.sessionId}:{ts}:{model}:{input_all}:{cached}:{output}:{thoughts}"
        return UsageEvent(
            source=SOURCE,
            dedup_key=key,
            ts_ms=ts,
            tokens=Tokens(
                input_uncached=input_all - cached,
                cache_read=cached,
                output=output,
                reasoning=thoughts,
                reasoning_in_output=False,  # Gemini semantics (LOG-FORMATS §1.3; §6 question 9 open)
            ),
            model=model,
            session_id=record.sessionId,
            agent=None if origin == "main" else origin,
            is_sidechain=origin != "main",
            project_path=self.transcripts.cwd(record.sessionId),
            raw_offset=offset,
        )


def ledger_start_ms(transcript: Path) -> int | None:
    """The first ledger record of the runtime folder holding this transcript (None: no ledger yet).
    Answers before it come from builds without a ledger: their transcript is the only record."""
    runtime = transcript.parent.parent.parent.parent  # <runtime>/projects|tmp/<dir>/chats/<file>
    try:
        names = sorted(n for n in os.listdir(runtime / "usage") if n.startswith(LEDGER_PREFIX))
    except OSError:
        return None
    for name in names:  # months in order: the first readable record is the start
        try:
            with open(runtime / "usage" / name, "rb") as fh:
                for raw in fh:
                    try:
                        ts = iso_to_ms(_decode_ledger(raw).timestamp)
                    except BAD_LINE:
                        continue
                    if ts is not None:
                        return ts
        except OSError:
            continue
    return None


class TranscriptParser(Stateless):
    """Sessions, prompts and tool calls; usage only from before the ledger existed (one surface, §5 row 38)."""

    def __init__(self, context: ParseContext, ledger_start: int | None) -> None:
        self.context = context
        self.ledger_start = None if ledger_start is None else ledger_start - LEDGER_MARGIN_MS

    def parse(self, chunk: Chunk) -> Batch:
        batch = Batch()
        sessions = Sessions(SOURCE)
        for _offset, number, raw in split_lines(chunk):
            if b'"usageMetadata"' in raw and b'"functionCall"' not in raw and self.ledger_start is not None \
                    and b'"timestamp":"' in raw and not self._before_ledger(raw):
                continue  # an answer without tool calls from the ledger's time: its usage is the ledger's
            try:
                record = decode_line(_decode_chat, ChatRecord, raw)
                ts = iso_to_ms(record.timestamp)
                if ts is None:
                    continue
                self._record(record, ts, batch)
            except BAD_LINE:
                batch.skipped_lines.append(number)
                continue
            sessions.touch(record.sessionId, ts, project_path=record.cwd, git_branch=record.gitBranch or None,
                           client_version=record.version)  # fmt: skip
        sessions.into(batch)
        return batch

    def _before_ledger(self, raw: bytes) -> bool:
        start = raw.find(b'"timestamp":"') + len(b'"timestamp":"')
        ts = iso_to_ms(raw[start : raw.find(b'"', start)].decode("ascii", "replace"))
        return ts is None or self.ledger_start is None or ts < self.ledger_start

    def _usage(self, record: ChatRecord, ts: int, batch: Batch) -> None:
        usage = record.usageMetadata
        assert usage is not None
        prompt_all, cached = count(usage.promptTokenCount), count(usage.cachedContentTokenCount)
        output, thoughts = count(usage.candidatesTokenCount), count(usage.thoughtsTokenCount)
        if not (prompt_all or output or thoughts):
            return
        cached = min(cached, prompt_all)
        batch.events.append(UsageEvent(
            source=SOURCE,
            dedup_key=f"transcript:{record.uuid or f'{record.sessionId}:{ts}'}",
            ts_ms=ts,
            tokens=Tokens(input_uncached=prompt_all - cached, cache_read=cached, output=output, reasoning=thoughts,
                          reasoning_in_output=False),
            model=record.model or None,
            session_id=record.sessionId,
            is_sidechain=bool(record.isSidechain),
            project_path=record.cwd,
        ))  # fmt: skip

    def _record(self, record: ChatRecord, ts: int, batch: Batch) -> None:
        message = record.message
        if record.type == "user" and message is not None:
            # typed by the human: not a slash command, goal runtime text or a subagent's brief
            typed = record.subtype in HUMAN_SUBTYPES and record.provenance in (None, "real_user")
            human = typed and not record.isSidechain
            texts = [p.text for p in message.parts or () if isinstance(p.text, str) and not p.thought]
            text = "\n".join(texts) if human else ""
            if text.strip():
                key = record.uuid or f"{record.sessionId}:{ts}"
                batch.prompts.append(prompt(SOURCE, key, record.sessionId, ts, text, self.context))
        elif record.type == "assistant" and message is not None:
            if record.usageMetadata is not None and (self.ledger_start is None or ts < self.ledger_start):
                self._usage(record, ts, batch)
            for index, part in enumerate(message.parts or ()):
                call = part.functionCall
                if call is not None and call.name:
                    key = call.id or f"{record.uuid}:{index}"
                    raw_args = bytes(call.args)
                    batch.tool_calls.append(tool_call(SOURCE, key, record.sessionId, ts, call.name, raw_args))
        elif record.type == "tool_result" and record.toolCallResult is not None:
            result = record.toolCallResult
            failed = result.status == "error" or (bool(result.error) and bytes(result.error) != b"null")
            if result.callId and failed:
                batch.tool_errors.append(ToolError(SOURCE, result.callId))
