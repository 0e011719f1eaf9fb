"""Parsing one log file from its cursor into storable chunks: a pure function, so it can run in a
worker process while the main process writes (two cores parse while one writes)."""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from desktop.model import Batch, UsageEvent
from desktop.pricing import PriceTable
from desktop.sources.base import HEAD_BYTES, ParseContext, Source, bytes_hash, head_hash, read_chunks
from desktop.store.writes import ContextRows, collapse, context_rows, event_row

PARALLEL_MIN_BYTES = 64 << 20  # below this a worker's start-up costs more than it saves
WINDOW_BYTES = 256 << 20  # unwritten input in flight: parsed results are ~5% of it, so memory stays bounded


@dataclass(slots=True)
class FileTask:
    source_id: str
    path: str
    file_id: int
    cursor: int
    lines_read: int
    state_json: str
    head_len: int
    size: int = 0  # the file's size (with its WAL) when planned: the cursor of whole-file modes


@dataclass(slots=True)
class ParsedChunk:
    """One chunk, ready to write: rows carry their cost; sessions, prompts and tool calls ride along as rows."""

    offset: int
    end: int
    lines_read: int
    skipped: list[int]
    state_json: str
    head_len: int
    head_hash: str | None
    policy: str
    rows: list[tuple]
    context_rows: ContextRows
    parsed_at_ms: int
    replaces_file_rows: bool = False  # a document parsed whole: its earlier rows go first


def parse_file(task: FileTask, context: ParseContext, prices: PriceTable, source: Source | None = None) -> Iterator[ParsedChunk]:
    """`source` defaults to the registry's (worker processes know sources only by id)."""
    if source is None:
        from desktop.sources import by_id

        source = by_id(task.source_id)
    path = Path(task.path)
    parser = source.parser(path, json.loads(task.state_json), context)
    policy = getattr(source, "conflict", "first")
    mode = getattr(source, "mode", "append")
    if mode != "append":
        batch = parser.parse_whole(path)
        yield _whole(task, batch, parser.state(), policy, prices, replace=mode == "document")
        return
    head_len = task.head_len
    for chunk in read_chunks(path, task.cursor, task.lines_read + 1):
        batch = parser.parse(chunk)
        if chunk.oversized_lines:
            batch.skipped_lines.append(chunk.first_line)
        digest = None
        if head_len < HEAD_BYTES:
            head_len = min(chunk.end, HEAD_BYTES)
            # the first chunk holds the head already: no second open of every new file
            held = chunk.offset == 0 and len(chunk.data) >= head_len  # not a skipped over-long line
            digest = bytes_hash(chunk.data[:head_len]) if held else head_hash(path, head_len)
        events = collapse(batch.events, policy)
        rows = [event_row(e, _cost(prices, e), task.file_id) for e in events]
        yield ParsedChunk(
            offset=chunk.offset,
            end=chunk.end,
            lines_read=chunk.first_line - 1 + chunk.line_count,
            skipped=batch.skipped_lines,
            state_json=json.dumps(parser.state(), separators=(",", ":")),
            head_len=head_len,
            head_hash=digest,
            policy=policy,
            rows=rows,
            context_rows=context_rows(batch),
            parsed_at_ms=int(time.time() * 1000),
        )


def _whole(task: FileTask, batch: Batch, state: dict, policy: str, prices: PriceTable, *, replace: bool) -> ParsedChunk:
    """A document or database read in one go: one chunk whose cursor is the file's size."""
    events = collapse(batch.events, policy)
    rows = [event_row(e, _cost(prices, e), task.file_id) for e in events]
    return ParsedChunk(offset=task.cursor if not replace else 0, end=task.size, lines_read=0, skipped=batch.skipped_lines,
                       state_json=json.dumps(state, separators=(",", ":")), head_len=0, head_hash=None,
                       policy=policy, rows=rows, context_rows=context_rows(batch), parsed_at_ms=int(time.time() * 1000),
                       replaces_file_rows=replace)  # fmt: skip


def _cost(prices: PriceTable, event: UsageEvent) -> tuple[float | None, float | None, str, str]:
    cost = prices.cost(event.source, event.model, event.tokens, event.speed, provider=event.provider)
    return cost.usd, cost.bill_usd, cost.status, prices.version


# --- the worker pool ------------------------------------------------------------------------------

_worker: tuple[ParseContext, PriceTable] | None = None


def _init_worker(context: ParseContext, prices: PriceTable) -> None:
    global _worker
    _worker = (context, prices)


def _parse_whole_file(task: FileTask) -> list[ParsedChunk]:
    assert _worker is not None
    return list(parse_file(task, *_worker))


class ParsePool:
    """Parses files in worker processes and hands the results back in submission order."""

    def __init__(self, workers: int, context: ParseContext, prices: PriceTable) -> None:
        from concurrent.futures import ProcessPoolExecutor  # with multiprocessing: 12 ms a rescan need not pay
        from multiprocessing import get_context

        # spawn, not fork: the app scans from a thread, and forking a threaded process is unsafe
        self._pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_init_worker,
                                         initargs=(context, prices))  # fmt: skip
        # In flight: enough that the workers keep parsing while the writer commits a batch (~0.3 s of
        # writing; 16 files idled them for most of it), few enough that waiting results stay small
        self.window_files = workers * 256
        self.window_bytes = WINDOW_BYTES

    def map_in_order(self, tasks: list[FileTask]) -> Iterator[tuple[FileTask, Future]]:
        pending: deque[tuple[FileTask, Future]] = deque()
        in_flight = 0
        for task in tasks:
            pending.append((task, self._pool.submit(_parse_whole_file, task)))
            in_flight += _to_read(task)
            while len(pending) >= self.window_files or in_flight >= self.window_bytes:
                done = pending.popleft()
                in_flight -= _to_read(done[0])
                yield done
        while pending:
            yield pending.popleft()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _to_read(task: FileTask) -> int:
    return max(task.size - task.cursor, 0)
