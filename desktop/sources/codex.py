"""Codex CLI rollouts: per-call deltas of the cumulative counter, keyed globally (LOG-FORMATS §3.2)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from desktop.model import Batch, Prompt, SessionInfo, ToolCall, ToolError, Tokens, UsageEvent
from desktop.sources.base import (
    Chunk,
    Environment,
    ParseContext,
    bytes_hash,
    lossy,
    text_hash,
    walk_file_names,
)
from desktop.sources.counts import BadCount, first_count
from desktop.sources.timestamps import iso_to_ms

FALLBACK_MODEL = "gpt-5"  # only September-2025 logs lack turn_context (ccusage does the same)
_PATCH_FILE = re.compile(r"^\*\*\* (?:Add|Update|Delete) File: (.+)$", re.MULTILINE)


class RawUsage(msgspec.Struct):
    # aliases accepted by ccusage `CodexRawUsageFields` (adapter/codex/types.rs)
    input_tokens: Any = None
    prompt_tokens: Any = None
    input: Any = None
    cached_input_tokens: Any = None
    cache_read_input_tokens: Any = None
    cached_tokens: Any = None
    output_tokens: Any = None
    completion_tokens: Any = None
    output: Any = None
    reasoning_output_tokens: Any = None
    reasoning_tokens: Any = None


class Info(msgspec.Struct):
    total_token_usage: RawUsage | None = None
    last_token_usage: RawUsage | None = None
    model: str | None = None


class RateLimits(msgspec.Struct):
    limit_id: str | None = None


class Git(msgspec.Struct):
    branch: str | None = None


class Payload(msgspec.Struct):
    type: str | None = None
    id: str | None = None
    forked_from_id: str | None = None
    cwd: str | None = None
    cli_version: str | None = None
    originator: str | None = None
    source: msgspec.Raw = msgspec.Raw()  # raw bytes, decoded only when needed
    git: Git | None = None
    model: str | None = None
    info: Info | None = None
    rate_limits: RateLimits | None = None
    message: msgspec.Raw = msgspec.Raw()  # raw bytes, decoded only when needed
    name: str | None = None
    arguments: msgspec.Raw = msgspec.Raw()  # raw bytes, decoded only when needed
    input: msgspec.Raw = msgspec.Raw()  # raw bytes, decoded only when needed
    call_id: str | None = None
    output: msgspec.Raw = msgspec.Raw()  # raw bytes, decoded only when needed


class Line(msgspec.Struct):
    timestamp: str | None = None
    type: str | None = None
    payload: Payload | None = None


_decode = msgspec.json.Decoder(Line).decode


class Codex:
    id = "codex"
    name = "Codex CLI"
    measured = True
    conflict = "first"  # a replayed counter value is the same call: the first copy stands

    def homes(self, env: Environment) -> list[Path]:
        configured = env.var("CODEX_HOME")
        if configured:
            return [Path(part.strip()).expanduser() for part in configured.split(",") if part.strip()]
        return [env.home / ".codex"]

    def roots(self, env: Environment) -> list[Path]:
        return [home / folder for home in self.homes(env) for folder in ("sessions", "archived_sessions")]

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        for root in [*self.roots(env), *extra]:
            for path in walk_file_names(str(root), ".jsonl"):
                if os.path.basename(path).startswith("rollout-"):
                    yield path

    def thread_of(self, path: Path) -> tuple[str, str | None] | None:
        """(thread id, parent thread id) from the first session_meta: read before parsing, for roots."""
        try:
            with open(path, "rb") as fh:
                head = fh.readline(1 << 20)
        except OSError:
            return None
        try:
            line = _decode_line(head)
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError, RecursionError):
            return None
        payload = line.payload
        if line.type != "session_meta" or payload is None or not payload.id:
            return None
        return payload.id, payload.forked_from_id or _spawn_parent(payload.source)

    def parser(self, path: Path, state: dict[str, Any], context: ParseContext) -> CodexParser:
        return CodexParser(state, context)


def _spawn_parent(source: msgspec.Raw) -> str | None:
    """`{"subagent": {"thread_spawn": {"parent_thread_id": ...}}}` names the parent thread."""
    if not source:
        return None
    try:
        value = msgspec.json.decode(source)
        parent = value["subagent"]["thread_spawn"]["parent_thread_id"]
        return parent if isinstance(parent, str) else None
    except (msgspec.DecodeError, KeyError, TypeError):
        return None


def _source_label(source: msgspec.Raw) -> tuple[str | None, bool]:
    """(entrypoint, is subagent) from session_meta.source: "cli", "exec", {"subagent": ...}."""
    if not source:
        return None, False
    try:
        value = msgspec.json.decode(source)
    except msgspec.DecodeError:
        return None, False
    if isinstance(value, str):
        return value, False
    if isinstance(value, dict) and "subagent" in value:
        return "subagent", True
    return None, False


def _usage(raw: RawUsage | None) -> tuple[int, int, int, int] | None:
    """(input incl. cache, cached, output incl. reasoning, reasoning)."""
    if raw is None:
        return None
    return (
        first_count(raw.input_tokens, raw.prompt_tokens, raw.input),
        first_count(raw.cached_input_tokens, raw.cache_read_input_tokens, raw.cached_tokens),
        first_count(raw.output_tokens, raw.completion_tokens, raw.output),
        first_count(raw.reasoning_output_tokens, raw.reasoning_tokens),
    )


class CodexParser:
    """Per-file state survives between scans: model, baselines per rate-limit lane, the thread."""

    def __init__(self, state: dict[str, Any], context: ParseContext) -> None:
        self.context = context
        self.thread: str | None = state.get("thread")
        self.model: str | None = state.get("model")
        self.cwd: str | None = state.get("cwd")
        self.branch: str | None = state.get("branch")
        self.version: str | None = state.get("version")
        self.entrypoint: str | None = state.get("entrypoint")
        self.is_subagent: bool = state.get("is_subagent", False)
        self.parent: str | None = state.get("parent")
        self.baselines: dict[str, list[int]] = state.get("baselines", {})
        self.prompt_seen: dict[str, int] = state.get("prompt_seen", {})

    def state(self) -> dict[str, Any]:
        return {
            "thread": self.thread,
            "model": self.model,
            "cwd": self.cwd,
            "branch": self.branch,
            "version": self.version,
            "entrypoint": self.entrypoint,
            "is_subagent": self.is_subagent,
            "parent": self.parent,
            "baselines": self.baselines,
            "prompt_seen": self.prompt_seen,
        }

    def parse(self, chunk: Chunk) -> Batch:
        batch = Batch()
        first_ts: int | None = None
        last_ts: int | None = None
        data = chunk.data
        view = memoryview(data)  # decoded in place: transcript lines that are skipped are never copied
        for offset, number, start, stop in chunk.spans():
            if not _worth_decoding(data, start, stop):
                continue
            try:
                line = _decode_line(view[start:stop])
                payload = line.payload
                if payload is None:
                    continue
                ts = iso_to_ms(line.timestamp)
                kind = line.type
                if kind == "session_meta":
                    self._session_meta(payload)
                elif kind == "turn_context":
                    self.model = payload.model or self.model
                    self.cwd = payload.cwd or self.cwd
                elif kind == "event_msg" and ts is not None:
                    if payload.type == "token_count":
                        self._token_count(payload, ts, offset, batch)
                    elif payload.type == "user_message":
                        self._prompt(payload, ts, batch)
                elif kind == "response_item" and ts is not None:
                    self._response_item(payload, ts, batch)
            except (msgspec.DecodeError, msgspec.ValidationError, BadCount, ValueError, TypeError, RecursionError):
                batch.skipped_lines.append(number)
                continue
            if ts is not None and self.thread:
                first_ts = ts if first_ts is None else min(first_ts, ts)
                last_ts = ts if last_ts is None else max(last_ts, ts)
        if self.thread and first_ts is not None and last_ts is not None:
            batch.sessions.append(
                SessionInfo(
                    source="codex",
                    session_id=self.thread,
                    ts_ms=first_ts,
                    last_ts_ms=last_ts,
                    project_path=self.cwd,
                    git_branch=self.branch,
                    parent_session_id=self.parent,
                    entrypoint=self.entrypoint,
                    is_headless=self.entrypoint == "exec",
                    client_version=self.version,
                )
            )
        return batch

    def _session_meta(self, payload: Payload) -> None:
        if self.thread is not None:
            return  # forks embed their parent's session_meta; the first one is canonical
        self.thread = payload.id
        self.parent = payload.forked_from_id or _spawn_parent(payload.source)
        self.cwd = payload.cwd
        self.branch = payload.git.branch if payload.git else None
        self.version = payload.cli_version
        self.entrypoint, self.is_subagent = _source_label(payload.source)
        if self.entrypoint is None:
            self.entrypoint = payload.originator

    def _token_count(self, payload: Payload, ts: int, offset: int, batch: Batch) -> None:
        info = payload.info
        if info is None:
            return  # rate-limit-only refresh
        total = _usage(info.total_token_usage)
        last = _usage(info.last_token_usage)
        lane = (payload.rate_limits.limit_id if payload.rate_limits else None) or "default"
        previous = self.baselines.get(lane)
        if total is not None and previous is not None and list(total) == previous:
            return  # re-emitted: the counter did not move
        if total is not None and previous is not None and all(t >= p for t, p in zip(total, previous)):
            delta = tuple(t - p for t, p in zip(total, previous))
        elif last is not None:
            delta = last  # first event of the lane, a reset, or a regression
        elif total is not None:
            delta = total
        else:
            return
        if total is not None:
            self.baselines[lane] = list(total)
        input_all, cached, output, reasoning = delta
        if not any(delta):
            return
        model = payload.model or info.model or self.model
        fallback = model is None
        model = model or FALLBACK_MODEL
        root = self.context.root_of(self.thread) if self.thread else "?"
        if total is not None:
            key = f"{root}:{model}:{total[0]}:{total[1]}:{total[2]}:{total[3]}"
        else:
            key = f"{root}:{ts}:{model}:{input_all}:{cached}:{output}:{reasoning}"
        cached = min(cached, input_all)
        batch.events.append(
            UsageEvent(
                source="codex",
                dedup_key=key,
                ts_ms=ts,
                tokens=Tokens(
                    input_uncached=input_all - cached,
                    cache_read=cached,
                    output=output,
                    reasoning=reasoning,
                    reasoning_in_output=True,
                ),
                model=model,
                model_is_fallback=fallback,
                session_id=self.thread,
                parent_session_id=self.parent,
                is_sidechain=self.is_subagent,
                agent="subagent" if self.is_subagent else None,
                project_path=self.cwd,
                git_branch=self.branch,
                client_version=self.version,
                provider="openai",
                raw_offset=offset,
            )
        )

    def _prompt(self, payload: Payload, ts: int, batch: Batch) -> None:
        if self.is_subagent or not payload.message:
            return  # a subagent's brief is written by the parent agent, not the human
        text = msgspec.json.decode(payload.message)
        if not isinstance(text, str) or not text.strip():
            return
        digest = text_hash(text)
        # the n-th time this text appears in the thread tree: a fork's replayed prompts collide and drop
        seen = self.prompt_seen.get(digest, 0) + 1
        self.prompt_seen[digest] = seen
        root = self.context.root_of(self.thread) if self.thread else "?"
        batch.prompts.append(
            Prompt(
                source="codex",
                prompt_key=f"{root}:{digest}:{seen}",
                session_id=self.thread,
                ts_ms=ts,
                text_hash=digest,
                length=len(text),
                excerpt=self.context.excerpt(text),
            )
        )

    def _response_item(self, payload: Payload, ts: int, batch: Batch) -> None:
        kind = payload.type
        if kind in ("function_call", "custom_tool_call") and payload.call_id and payload.name:
            raw_args = bytes(payload.arguments) or bytes(payload.input)
            file_path = None
            if payload.name == "apply_patch" and raw_args:
                file_path = _patched_file(msgspec.json.decode(raw_args))
            batch.tool_calls.append(
                ToolCall(
                    source="codex",
                    call_key=payload.call_id,
                    session_id=self.thread,
                    ts_ms=ts,
                    name=payload.name,
                    args_hash=bytes_hash(payload.name.encode() + b"\0" + raw_args),
                    file_path=file_path,
                )
            )
        elif kind in ("function_call_output", "custom_tool_call_output") and payload.call_id and payload.output:
            if _output_failed(bytes(payload.output)):
                batch.tool_errors.append(ToolError("codex", payload.call_id))


# Payload types this reader uses; transcript items (messages, reasoning, outputs) are most of the bytes
_WANTED = re.compile(rb'"(?:token_count|session_meta|turn_context|user_message|function_call|custom_tool_call)"')
_OUTPUT = re.compile(rb'"(?:function_call_output|custom_tool_call_output)"')
HEAD = 320


def _worth_decoding(data: bytes, start: int, stop: int) -> bool:
    """Serde writes `timestamp`, the item `type` and then the payload's own `type` first, so the
    head of data[start:stop] says what it is; only tool outputs that report an exit code are read further."""
    head = min(start + HEAD, stop)
    if data.find(b'"payload"', start, head) < 0 or _WANTED.search(data, start, head):
        return True  # a line we use, or an unexpected layout: decode rather than guess
    if _OUTPUT.search(data, start, head):
        return data.find(b'exit_code\\":', start, stop) >= 0 and data.find(b'exit_code\\":0', start, stop) < 0
    return False


def _patched_file(arg: object) -> str | None:
    """The first file an apply_patch call touches: custom tool input is the patch itself; the
    older function call wraps it as JSON arguments `{"input": patch}`."""
    if isinstance(arg, str) and arg.lstrip().startswith("{"):
        try:
            arg = msgspec.json.decode(arg)
        except msgspec.DecodeError:
            pass
    if isinstance(arg, dict):
        arg = arg.get("input") or arg.get("patch")
    if not isinstance(arg, str):
        return None
    match = _PATCH_FILE.search(arg)
    return match.group(1).strip() if match else None


def _output_failed(raw: bytes) -> bool:
    """Tool output is a JSON string that may itself hold `{"metadata": {"exit_code": N}}`."""
    try:
        value = msgspec.json.decode(raw)
        if isinstance(value, str):
            value = msgspec.json.decode(value) if value.startswith("{") else value
    except msgspec.DecodeError:
        return False
    if isinstance(value, dict):
        meta = value.get("metadata")
        code = meta.get("exit_code") if isinstance(meta, dict) else None
        return isinstance(code, int) and code != 0
    return False


def _decode_line(raw: bytes | memoryview) -> Line:
    try:
        return _decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return _decode(lossy(bytes(raw)))
    except msgspec.ValidationError:
        return msgspec.convert(msgspec.json.decode(raw), Line, strict=False)
