"""GitHub Copilot CLI session logs: usage from the persisted `session.shutdown` records, one row per
model per run (LOG-FORMATS §3.5, §5 rows 29-32).

`~/.copilot/session-state/<sessionId>/events.jsonl` (older builds: `session-state/<sessionId>.jsonl`,
`history-session-state/*.jsonl`), appended. Envelope `{type, data, id, timestamp, parentId,
ephemeral?, agentId?}` (github/copilot-sdk nodejs/src/generated/session-events.ts).

One surface per session: of the usage figures in this file only `session.shutdown.modelMetrics`
is read. `assistant.usage` (per call) is ephemeral and not persisted, and `assistant.message`
`outputTokens` carries output only; neither is added to the shutdown totals. `agentMetrics` repeats
what `modelMetrics` already holds, so it is never added either. A resumed session writes one
shutdown per run: each is that run's usage, keyed `<event id>:<model>`.

Input includes cache reads and writes: `input_uncached = input - cacheRead - cacheWrite`, clamped
at 0. `requests.cost` is a premium-request multiplier, kept with unit `premium_requests`, never USD.
"""

from __future__ import annotations

import os
import re
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
from desktop.sources.base import Chunk, Environment, ParseContext, split_lines, walk_file_names
from desktop.sources.counts import count
from desktop.sources.timestamps import iso_to_ms

SOURCE = "copilot"
STATE_FOLDERS = ("session-state", "history-session-state")
READ_TYPES = {
    b"session.start", b"session.resume", b"session.context_changed", b"session.model_change",
    b"session.auto_mode_resolved", b"session.shutdown", b"user.message", b"tool.execution_start",
    b"tool.execution_complete",
}  # fmt: skip
_LEADING_TYPE = re.compile(rb'^\{"type":"([^"]{1,64})"')


class Context(msgspec.Struct):
    cwd: str | None = None
    branch: str | None = None


class MetricUsage(msgspec.Struct):
    # ShutdownModelMetricUsage
    inputTokens: Any = None
    outputTokens: Any = None
    cacheReadTokens: Any = None
    cacheWriteTokens: Any = None
    reasoningTokens: Any = None


class MetricRequests(msgspec.Struct):
    count: Any = None
    cost: Any = None  # premium-request multiplier, not USD


class ModelMetric(msgspec.Struct):
    usage: MetricUsage | None = None
    requests: MetricRequests | None = None


class Data(msgspec.Struct):
    # the fields of session.start / resume / context_changed / model_change / shutdown / user.message / tool.*
    sessionId: str | None = None
    copilotVersion: str | None = None
    selectedModel: str | None = None
    context: Context | None = None
    cwd: str | None = None
    branch: str | None = None
    newModel: str | None = None
    chosenModel: str | None = None
    currentModel: str | None = None
    modelMetrics: dict[str, ModelMetric] | None = None
    content: Any = None
    source: str | None = None
    isAutopilotContinuation: bool | None = None
    toolCallId: str | None = None
    toolName: str | None = None
    arguments: msgspec.Raw = msgspec.Raw()
    success: bool | None = None


class Event(msgspec.Struct):
    type: str | None = None
    id: str | None = None
    timestamp: str | None = None
    ephemeral: bool | None = None
    agentId: str | None = None
    data: Data | None = None


_decode = msgspec.json.Decoder(Event).decode


def copilot_homes(env: Environment) -> list[Path]:
    """`COPILOT_HOME` moves everything; before 1.0.4 `XDG_STATE_HOME`/`XDG_CONFIG_HOME` gave `<dir>/.copilot`
    (github/copilot-cli#1954, #1750). `%USERPROFILE%\\.copilot` on Windows."""
    moved = env_path(env, "COPILOT_HOME")
    if moved is not None:
        return [moved]
    homes = [env.home / ".copilot"]
    if env.platform != "win32":
        homes += [Path(v) / ".copilot" for v in (env.var("XDG_STATE_HOME"), env.var("XDG_CONFIG_HOME")) if v]
    return unique(homes)


def _is_session_log(path: str) -> bool:
    name, folder = os.path.basename(path), os.path.basename(os.path.dirname(path))
    return name == "events.jsonl" or folder in STATE_FOLDERS


class CopilotCli:
    id = SOURCE
    name = "GitHub Copilot CLI"
    measured = True
    mode = "append"
    conflict = "first"  # a shutdown record is written once

    def roots(self, env: Environment) -> list[Path]:
        return [home / folder for home in copilot_homes(env) for folder in STATE_FOLDERS]

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        for root in self.roots(env):
            for path in walk_file_names(str(root), ".jsonl"):
                if _is_session_log(path):
                    yield path
        for root in extra:
            yield from walk_file_names(str(root), ".jsonl")

    def parser(self, path: Path, state: dict[str, Any], context: ParseContext) -> CopilotParser:
        return CopilotParser(path, state, context)


def _session_of_path(path: Path) -> str:
    return path.parent.name if path.name == "events.jsonl" else path.stem


class CopilotParser:
    def __init__(self, path: Path, state: dict[str, Any], context: ParseContext) -> None:
        self.context = context
        self.session: str = state.get("session") or _session_of_path(path)
        self.cwd: str | None = state.get("cwd")
        self.branch: str | None = state.get("branch")
        self.version: str | None = state.get("version")
        self.model: str | None = state.get("model")  # the last concrete model, for an `auto` metrics key

    def state(self) -> dict[str, Any]:
        return {"session": self.session, "cwd": self.cwd, "branch": self.branch, "version": self.version,
                "model": self.model}  # fmt: skip

    def parse(self, chunk: Chunk) -> Batch:
        batch = Batch()
        sessions = Sessions(SOURCE)
        for offset, number, raw in split_lines(chunk):
            leading = _LEADING_TYPE.match(raw)
            if leading is not None and leading.group(1) not in READ_TYPES:
                continue  # streamed deltas, assistant messages, tool output, binary assets: nothing to read
            try:
                event = decode_line(_decode, Event, raw)
                if event.ephemeral or event.data is None:
                    continue  # never persisted by Copilot itself; a copy here would not be a record
                ts = iso_to_ms(event.timestamp)
                self._event(event, event.data, ts, offset, batch)
            except BAD_LINE:
                batch.skipped_lines.append(number)
                continue
            sessions.touch(self.session, ts, project_path=self.cwd, git_branch=self.branch,
                           client_version=self.version)  # fmt: skip
        sessions.into(batch)
        return batch

    def _event(self, event: Event, data: Data, ts: int | None, offset: int, batch: Batch) -> None:
        kind = event.type
        if kind in ("session.start", "session.resume"):
            if kind == "session.start" and data.sessionId:
                self.session = data.sessionId
            self.version = data.copilotVersion or self.version
            self._choose(data.selectedModel)
            if data.context is not None:
                self.cwd = data.context.cwd or self.cwd
                self.branch = data.context.branch or self.branch
        elif kind == "session.context_changed":
            self.cwd = data.cwd or self.cwd
            self.branch = data.branch or self.branch
        elif kind == "session.model_change":
            self._choose(data.newModel)
        elif kind == "session.auto_mode_resolved":  # session-events.ts AutoModeResolvedData.chosenModel
            self._choose(data.chosenModel)
        elif kind == "session.shutdown":
            if event.agentId is None:  # a subagent's usage is inside the session's modelMetrics already
                self._shutdown(event, data, ts, offset, batch)
        elif kind == "user.message" and ts is not None:
            typed = data.source in (None, "user") and not data.isAutopilotContinuation
            human = typed and event.agentId is None
            if human and isinstance(data.content, str) and data.content.strip():
                key = event.id or f"{self.session}:{ts}"
                batch.prompts.append(prompt(SOURCE, key, self.session, ts, data.content, self.context))
        elif kind == "tool.execution_start" and ts is not None and data.toolCallId and data.toolName:
            raw_args = bytes(data.arguments)
            call = tool_call(SOURCE, data.toolCallId, self.session, ts, data.toolName, raw_args)
            batch.tool_calls.append(call)
        elif kind == "tool.execution_complete" and data.toolCallId and data.success is False:
            batch.tool_errors.append(ToolError(SOURCE, data.toolCallId))

    def _choose(self, model: str | None) -> None:
        if model:
            self.model = None if model == "auto" else model

    def _shutdown(self, event: Event, data: Data, ts: int | None, offset: int, batch: Batch) -> None:
        if ts is None or not event.id:
            raise ValueError("shutdown record without a timestamp or id")
        for name, metric in (data.modelMetrics or {}).items():
            usage = metric.usage
            if usage is None:
                continue
            input_all, output = count(usage.inputTokens), count(usage.outputTokens)
            cache_read, cache_write = count(usage.cacheReadTokens), count(usage.cacheWriteTokens)
            reasoning = count(usage.reasoningTokens)
            if not (input_all or output or cache_read or cache_write or reasoning):
                continue
            model, fallback = name, False
            if name == "auto":  # LOG-FORMATS §3.5: the last concrete model the session switched to
                chosen = self.model or (data.currentModel if data.currentModel != "auto" else None)
                if chosen:
                    model, fallback = chosen, True
            cost = metric.requests.cost if metric.requests is not None else None
            premium = float(cost) if isinstance(cost, (int, float)) and not isinstance(cost, bool) else None
            batch.events.append(
                UsageEvent(
                    source=SOURCE,
                    dedup_key=f"{event.id}:{name}",
                    ts_ms=ts,  # the end of the run (LOG-FORMATS §2.2)
                    granularity="run",
                    tokens=Tokens(
                        input_uncached=max(input_all - cache_read - cache_write, 0),
                        cache_read=cache_read,
                        cache_write_5m=cache_write,
                        output=output,
                        reasoning=reasoning,
                        reasoning_in_output=True,  # LOG-FORMATS §1.3, unverified (§6 question 7)
                    ),
                    model=model,
                    model_is_fallback=fallback,
                    session_id=self.session,
                    project_path=self.cwd,
                    git_branch=self.branch,
                    client_version=self.version,
                    stored_cost=premium,
                    stored_cost_unit="premium_requests" if premium is not None else None,
                    raw_offset=offset,
                )
            )
