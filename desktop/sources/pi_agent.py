"""pi (badlogic/pi-mono coding agent) sessions: one row per assistant message with usage, counted
once across every session file (LOG-FORMATS §3.10, §5 row 41).

`${PI_CODING_AGENT_DIR:-~/.pi/agent}/sessions/--<cwd>--/<ISO time>_<sessionId>.jsonl`, appended
(packages/coding-agent/src/config.ts, core/session-manager.ts). A branched or forked session starts
a new file that replays its parent's entries, ids and message timestamps unchanged, under a header
naming the parent (`parentSession`, older `branchedFrom`).

Dedup key: the message's own millisecond timestamp, model and usage tuple, the same in every copy
of an entry, with "first" wins. The entry `id` is not used alone: it is 8 hex characters checked for
collisions within one file only, and a v1 file gets fresh ids when pi migrates it in place
(`migrateV1ToV2` + `_rewriteFile`), which would count its calls again. Parent files are read first
(`thread_of`), so the original copy keeps its session and project.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from desktop.model import Batch, ToolError, Tokens, UsageEvent
from desktop.sources._jsonl_common import BAD_LINE, Sessions, decode_line, env_path, prompt, tool_call
from desktop.sources.base import Chunk, Environment, ParseContext, split_lines, text_hash, walk_file_names
from desktop.sources.counts import count
from desktop.sources.timestamps import epoch_to_ms, iso_to_ms

SOURCE = "pi"


class Cost(msgspec.Struct):
    total: Any = None


class Usage(msgspec.Struct):
    # Usage (badlogic/pi-mono packages/ai/src/types.ts)
    input: Any = None
    output: Any = None
    cacheRead: Any = None
    cacheWrite: Any = None
    reasoning: Any = None
    totalTokens: Any = None
    cost: Cost | None = None


class Block(msgspec.Struct):
    type: str | None = None
    text: Any = None
    id: str | None = None
    name: str | None = None
    arguments: msgspec.Raw = msgspec.Raw()


class Message(msgspec.Struct):
    role: str | None = None
    content: str | list[Block] | None = None
    provider: str | None = None
    model: str | None = None
    usage: Usage | None = None
    stopReason: str | None = None
    timestamp: Any = None  # epoch milliseconds
    toolCallId: str | None = None
    isError: bool | None = None


class Entry(msgspec.Struct):
    """A session header or an entry (SessionHeader / SessionEntry, core/session-manager.ts)."""

    type: str | None = None
    id: str | None = None
    timestamp: Any = None  # ISO-8601
    message: Message | None = None
    cwd: str | None = None
    parentSession: str | None = None
    branchedFrom: str | None = None
    provider: str | None = None
    modelId: str | None = None


_decode = msgspec.json.Decoder(Entry).decode


def sessions_dir(env: Environment) -> Path:
    """pi's own override names the agent folder (`PI_CODING_AGENT_DIR`); same layout on every OS."""
    return (env_path(env, "PI_CODING_AGENT_DIR") or env.home / ".pi" / "agent") / "sessions"


def _session_of_file(path: str | None) -> str | None:
    """`<ISO time>_<sessionId>.jsonl` -> sessionId (SessionManager.newSession)."""
    if not path:
        return None
    stem = os.path.basename(path.replace("\\", "/"))
    stem = stem[: -len(".jsonl")] if stem.endswith(".jsonl") else stem
    return stem.split("_", 1)[1] if "_" in stem else stem


class PiAgent:
    id = SOURCE
    name = "pi"
    measured = True
    mode = "append"
    conflict = "first"  # a replayed entry is the same call: the first copy stands

    def roots(self, env: Environment) -> list[Path]:
        return [sessions_dir(env)]

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        for root in [*self.roots(env), *extra]:
            yield from walk_file_names(str(root), ".jsonl")

    def thread_of(self, path: Path) -> tuple[str, str | None] | None:
        """(session id, parent session id) from the header: ingest reads parents before their branches."""
        try:
            with open(path, "rb") as fh:
                head = fh.readline(1 << 20)
        except OSError:
            return None
        try:
            entry = decode_line(_decode, Entry, head)
        except BAD_LINE:
            return None
        if entry.type != "session" or not entry.id:
            return None
        return entry.id, _session_of_file(entry.parentSession or entry.branchedFrom)

    def parser(self, path: Path, state: dict[str, Any], context: ParseContext) -> PiParser:
        return PiParser(path, state, context)


class PiParser:
    def __init__(self, path: Path, state: dict[str, Any], context: ParseContext) -> None:
        self.context = context
        self.session: str | None = state.get("session") or _session_of_file(str(path))
        self.cwd: str | None = state.get("cwd")
        self.parent: str | None = state.get("parent")
        self.model: str | None = state.get("model")
        self.provider: str | None = state.get("provider")

    def state(self) -> dict[str, Any]:
        return {"session": self.session, "cwd": self.cwd, "parent": self.parent, "model": self.model,
                "provider": self.provider}  # fmt: skip

    def parse(self, chunk: Chunk) -> Batch:
        batch = Batch()
        sessions = Sessions(SOURCE)
        for offset, number, raw in split_lines(chunk):
            try:
                entry = decode_line(_decode, Entry, raw)
                ts = self._entry_ts(entry)
                if entry.type == "session":
                    self._header(entry)
                elif entry.type == "model_change":
                    self.model, self.provider = entry.modelId or self.model, entry.provider or self.provider
                elif entry.type == "message" and entry.message is not None and ts is not None:
                    self._message(entry, entry.message, ts, offset, batch)
            except BAD_LINE:
                batch.skipped_lines.append(number)
                continue
            sessions.touch(self.session, ts, project_path=self.cwd, parent_session_id=self.parent)
        sessions.into(batch)
        return batch

    @staticmethod
    def _entry_ts(entry: Entry) -> int | None:
        if isinstance(entry.timestamp, str):
            ts = iso_to_ms(entry.timestamp)
            if ts is not None:
                return ts
        if entry.message is not None and isinstance(entry.message.timestamp, (int, float)):
            return epoch_to_ms(entry.message.timestamp)
        return None

    def _header(self, entry: Entry) -> None:
        if entry.id:
            self.session = entry.id
        self.cwd = entry.cwd or self.cwd
        self.parent = _session_of_file(entry.parentSession or entry.branchedFrom) or self.parent
        self.model, self.provider = entry.modelId or self.model, entry.provider or self.provider

    def _message(self, entry: Entry, message: Message, ts: int, offset: int, batch: Batch) -> None:
        role = message.role
        if role == "assistant":
            if message.usage is not None:
                self._usage(entry, message, message.usage, ts, offset, batch)
            if isinstance(message.content, list):
                for block in message.content:
                    if block.type == "toolCall" and block.id and block.name:
                        raw_args = bytes(block.arguments)
                        call = tool_call(SOURCE, block.id, self.session, ts, block.name, raw_args)
                        batch.tool_calls.append(call)
        elif role == "user":
            text = _text(message.content)
            if text.strip():
                digest = text_hash(text)
                when = message.timestamp if message.timestamp is not None else ts
                key = f"{when}:{digest}"  # the same in every copy of the entry
                batch.prompts.append(prompt(SOURCE, key, self.session, ts, text, self.context))
        elif role == "toolResult" and message.isError and message.toolCallId:
            batch.tool_errors.append(ToolError(SOURCE, message.toolCallId))

    def _usage(self, entry: Entry, message: Message, usage: Usage, ts: int, offset: int,
               batch: Batch) -> None:  # fmt: skip
        parts = (count(usage.input), count(usage.output), count(usage.cacheRead), count(usage.cacheWrite))
        reasoning, total = count(usage.reasoning), count(usage.totalTokens)
        input_net, output, cache_read, cache_write = parts
        if not any(parts):
            if not total:
                if message.stopReason == "error":
                    batch.error_events += 1
                return  # error and aborted turns carry zero usage
            output = total  # only a total was written: kept as output, as ccusage does
        model = message.model or self.model
        if isinstance(message.timestamp, (int, float)) and not isinstance(message.timestamp, bool):
            key = f"{int(message.timestamp)}:{model}:{input_net}:{output}:{cache_read}:{cache_write}"
        else:
            key = f"entry:{entry.id}:{ts}:{model}:{input_net}:{output}:{cache_read}:{cache_write}"
        cost = usage.cost.total if usage.cost is not None else None
        stored = float(cost) if isinstance(cost, (int, float)) and not isinstance(cost, bool) else None
        batch.events.append(
            UsageEvent(
                source=SOURCE,
                dedup_key=key,
                alt_key=entry.id,
                ts_ms=ts,
                tokens=Tokens(
                    input_uncached=input_net,  # pi's input excludes the cache (Anthropic style)
                    cache_read=cache_read,
                    cache_write_5m=cache_write,
                    output=output,
                    reasoning=reasoning,
                    reasoning_in_output=True,  # `totalTokens` does not add it (LOG-FORMATS §1.3, unverified)
                ),
                model=model,
                session_id=self.session,
                parent_session_id=self.parent,
                project_path=self.cwd,
                provider=message.provider or self.provider,
                stored_cost=stored,
                stored_cost_unit="usd" if stored is not None else None,
                raw_offset=offset,
            )
        )


def _text(content: str | list[Block] | None) -> str:
    if isinstance(content, str):
        return content
    if not content:
        return ""
    return "\n".join(b.text for b in content if b.type == "text" and isinstance(b.text, str))
