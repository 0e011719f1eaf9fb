"""Amp threads (`threads/T-*.json`): one row per assistant usage or ledger event (LOG-FORMATS §3.7).

A thread file is rewritten in place, so it is a document: parsed whole when it changes, its rows
replacing the rows it gave before. The ledger (`usageLedger.events[]`) and `messages[].usage` describe
the same calls; they are reconciled as tokscale does (sessions/amp.rs): a ledger event is matched to
a message by `toMessageId`, then by model + tokens; a match is one row, unmatched events and unmatched
message usages are rows of their own. Credits are kept as the stored cost, unit 'credits'.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from desktop.model import Batch, Prompt, SessionInfo, ToolCall, ToolError, Tokens, UsageEvent
from desktop.sources.base import Environment, ParseContext, Stateless, bytes_hash, text_hash, walk_file_names
from desktop.sources.counts import BadCount, count
from desktop.sources.jsonish import canonical, load_document, number, obj, seq, text
from desktop.sources.timestamps import epoch_to_ms, iso_to_ms

SOURCE = "amp"


class Amp:
    id = SOURCE
    name = "Amp"
    measured = True
    records_project = False  # its logs name no working directory: usage goes to "unknown project"
    mode = "document"
    conflict = "replace"

    def data_dirs(self, env: Environment) -> list[Path]:
        # AMP_DATA_DIR may be a comma list (ccusage adapter/amp/paths.rs); vibe-usage also reads $XDG_DATA_HOME/amp
        configured = env.var("AMP_DATA_DIR")
        if configured:
            return [Path(part.strip()).expanduser() for part in configured.split(",") if part.strip()]
        dirs = [env.home / ".local" / "share" / "amp"]
        if env.var("XDG_DATA_HOME") and env.xdg_data_home() / "amp" != dirs[0]:
            dirs.append(env.xdg_data_home() / "amp")
        return dirs  # Windows: the same folder under %USERPROFILE% [unverified]

    def roots(self, env: Environment) -> list[Path]:
        return [folder / "threads" for folder in self.data_dirs(env)]

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        for root in [*self.roots(env), *extra]:
            for path in walk_file_names(str(root), ".json"):
                if os.path.basename(path).startswith("T-"):
                    yield path

    def parser(self, path: Path, state: dict[str, Any], context: ParseContext) -> AmpParser:
        return AmpParser(context)


@dataclass
class _Record:
    model: str
    tokens: Tokens
    ts_ms: int | None  # explicit timestamp, if the record has one
    message_id: int | None = None
    to_message_id: int | None = None
    ledger_id: str | None = None
    credits: float | None = None
    index: int = 0

    def same_usage(self, other: _Record) -> bool:
        mine, theirs = self.tokens, other.tokens
        return self.model == other.model and (mine.input_uncached, mine.output) == (theirs.input_uncached, theirs.output)


def _credits(value: Any) -> float | None:
    found = number(value)
    return found if found is not None and found >= 0 else None  # an explicit 0 means free: kept


def _message_records(messages: list[Any]) -> list[_Record]:
    records = []
    for index, message in enumerate(map(obj, messages)):
        usage = message.get("usage")
        if message.get("role") != "assistant" or not isinstance(usage, dict):
            continue
        model = text(usage.get("model")) or text(message.get("model"))
        if model is None:
            continue
        tokens = Tokens(
            input_uncached=count(usage.get("inputTokens")),  # excludes cache (Anthropic style)
            cache_read=count(usage.get("cacheReadInputTokens")),
            cache_write_5m=count(usage.get("cacheCreationInputTokens")),
            output=count(usage.get("outputTokens")),
        )
        message_id = message.get("messageId")
        records.append(_Record(model, tokens, iso_to_ms(text(usage.get("timestamp"))),
                               message_id=message_id if isinstance(message_id, int) else None,
                               credits=_credits(usage.get("credits")), index=index))  # fmt: skip
    return records


def _ledger_records(events: list[Any], messages_by_id: dict[int, dict[str, Any]]) -> list[_Record]:
    records = []
    for index, event in enumerate(map(obj, events)):
        model = text(event.get("model"))
        if model is None:
            continue
        tokens = obj(event.get("tokens"))
        target = event.get("toMessageId") if isinstance(event.get("toMessageId"), int) else None
        cache = obj(obj(messages_by_id.get(target)).get("usage")) if target is not None else {}
        records.append(
            _Record(
                model,
                Tokens(
                    input_uncached=count(tokens.get("input")),
                    output=count(tokens.get("output")),
                    # the ledger has no cache split: it comes from messages[toMessageId].usage (ccusage amp/README.md)
                    cache_read=count(tokens.get("cacheReadInputTokens", cache.get("cacheReadInputTokens"))),
                    cache_write_5m=count(tokens.get("cacheCreationInputTokens", cache.get("cacheCreationInputTokens"))),
                ),
                iso_to_ms(text(event.get("timestamp"))),
                to_message_id=target,
                ledger_id=text(event.get("id")) or (str(event["id"]) if isinstance(event.get("id"), int) else None),
                credits=_credits(event.get("credits")),
                index=index,
            )
        )
    return records


def reconcile(ledger: list[_Record], messages: list[_Record]) -> list[_Record]:
    """tokscale find_matching_ledger_record / merge_amp_records: one record per call."""
    consumed = [False] * len(ledger)
    merged: list[_Record] = []
    start = 0
    for record in messages:
        order = [*range(start, len(ledger)), *range(0, start)]
        found = None
        if record.message_id is not None:
            found = next((i for i in order if not consumed[i] and ledger[i].to_message_id == record.message_id), None)
        if found is None:
            found = next((i for i in order if not consumed[i] and ledger[i].same_usage(record)), None)
        if found is None:
            merged.append(record)
            continue
        consumed[found] = True
        start = found + 1
        event = ledger[found]
        merged.append(
            replace(
                record,  # the message has the cache split; the ledger has the time and the credits
                ts_ms=event.ts_ms if event.ts_ms is not None else record.ts_ms,
                ledger_id=event.ledger_id,
                to_message_id=event.to_message_id,
                credits=event.credits if event.credits is not None and (event.credits > 0 or record.credits is None) else record.credits,
            )
        )
    merged.extend(event for i, event in enumerate(ledger) if not consumed[i])
    return merged


class AmpParser(Stateless):
    def parse_whole(self, path: Path) -> Batch:
        batch = Batch()
        thread = load_document(path, batch, dict)
        if thread is None:
            return batch
        thread_id = text(thread.get("id")) or path.stem
        created = epoch_to_ms(number(thread.get("created")))
        mtime = int(os.stat(path).st_mtime_ns // 1_000_000)
        messages = seq(thread.get("messages"))
        by_id = {m["messageId"]: m for m in map(obj, messages) if isinstance(m.get("messageId"), int)}
        try:
            records = reconcile(_ledger_records(seq(obj(thread.get("usageLedger")).get("events")), by_id),
                                _message_records(messages))  # fmt: skip
        except BadCount:
            batch.skipped_lines.append(1)
            return batch
        first = last = None
        for record in records:
            t = record.tokens
            if not (t.input_uncached or t.output or t.cache_read or t.cache_write_5m):
                continue
            ts = record.ts_ms
            if ts is None:  # old messages have no timestamp: tokscale uses created + messageId seconds
                ts = (created if created is not None else mtime) + 1000 * (record.message_id or 0)
            key = (f"{thread_id}:{record.message_id}" if record.message_id is not None
                   else f"{thread_id}:ledger:{record.ledger_id or record.index}")  # fmt: skip
            batch.events.append(
                UsageEvent(source=SOURCE, dedup_key=key, ts_ms=ts, tokens=t, model=record.model, session_id=thread_id,
                           stored_cost=record.credits, stored_cost_unit="credits" if record.credits is not None else None,
                           raw_offset=record.index)  # fmt: skip
            )
            first = ts if first is None else min(first, ts)
            last = ts if last is None else max(last, ts)
        self._conversation(thread_id, messages, created, batch)
        start = created if created is not None else first
        if start is not None:
            batch.sessions.append(SessionInfo(source=SOURCE, session_id=thread_id, ts_ms=start, last_ts_ms=last or 0))
        return batch

    def _conversation(self, thread_id: str, messages: list[Any], created: int | None, batch: Batch) -> None:
        for index, message in enumerate(map(obj, messages)):
            message_id = message.get("messageId") if isinstance(message.get("messageId"), int) else index
            ts = iso_to_ms(text(obj(message.get("usage")).get("timestamp"))) or iso_to_ms(text(message.get("timestamp")))
            if ts is None and created is not None:
                ts = created + 1000 * message_id
            if ts is None:
                continue
            content = message.get("content")
            blocks = [obj(b) for b in seq(content)] if not isinstance(content, str) else [{"type": "text", "text": content}]
            if message.get("role") == "user":
                texts = [b["text"] for b in blocks if b.get("type") == "text" and isinstance(b.get("text"), str)]
                body = "\n".join(t for t in texts if t.strip())
                if body.strip():
                    digest = text_hash(body)
                    batch.prompts.append(
                        Prompt(source=SOURCE, prompt_key=f"{thread_id}:{message_id}", session_id=thread_id, ts_ms=ts,
                               text_hash=digest, length=len(body), excerpt=self.context.excerpt(body))  # fmt: skip
                    )
                for block in blocks:  # tool results travel in user messages (Anthropic shape)
                    result_id = text(block.get("toolUseID")) or text(block.get("tool_use_id"))
                    failed = block.get("is_error") is True or obj(block.get("run")).get("status") == "error"
                    if block.get("type") == "tool_result" and result_id and failed:
                        batch.tool_errors.append(ToolError(SOURCE, result_id))
            elif message.get("role") == "assistant":
                for block in blocks:
                    call_id, name = text(block.get("id")), text(block.get("name"))
                    if block.get("type") == "tool_use" and call_id and name:
                        args = block.get("input")
                        path = obj(args).get("path")
                        batch.tool_calls.append(
                            ToolCall(source=SOURCE, call_key=call_id, session_id=thread_id, ts_ms=ts, name=name,
                                     args_hash=bytes_hash(name.encode() + b"\0" + canonical(args)),
                                     file_path=path if isinstance(path, str) else None)  # fmt: skip
                        )
