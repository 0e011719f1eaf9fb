"""Discover log files, resume each from its cursor, parse new complete lines, dedup, and write.

Rows parsed from one chunk and the file's new cursor commit in one transaction, so a crash at any
instant leaves either both or neither; rereading is harmless because every row has a dedup key.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import time
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from desktop.parsing import PARALLEL_MIN_BYTES, FileTask, ParsedChunk, ParsePool, parse_file
from desktop.pricing import PriceTable
from desktop.scan_lock import scan_lock
from desktop.sources import tool_of
from desktop.sources.base import Environment, ParseContext, Signature, Source, head_hash, signature
from desktop.store import Store
from desktop.store.files import FileRecord, load_file_index, load_record, mark_missing, save_file, unchanged
from desktop.store.writes import ChunkWriter, register_threads, thread_parents

log = logging.getLogger(__name__)


@dataclass
class ScanProgress:
    source: str
    path: str
    bytes_done: int
    bytes_total: int
    files_done: int
    files_total: int


@dataclass
class SourceScan:
    source: str
    files_found: int = 0
    files_read: int = 0
    files_reread: int = 0
    files_missing: int = 0
    bytes_read: int = 0
    events_parsed: int = 0
    lines_skipped: int = 0
    unreadable: list[str] = field(default_factory=list)


@dataclass
class ScanSummary:
    sources: list[SourceScan]
    events_before: int
    events_after: int
    seconds: float

    @property
    def events_added(self) -> int:
        return self.events_after - self.events_before


@dataclass(slots=True)
class _Planned:
    source: Source
    record: FileRecord
    path: Path
    stat: Signature


def scan(
    store: Store,
    sources: Iterable[Source],
    env: Environment,
    prices: PriceTable,
    *,
    only: set[str] | None = None,
    workers: int | None = None,
) -> Generator[ScanProgress, None, ScanSummary]:
    """Ingest everything new. A generator: yields progress, returns the summary.

    With `workers` > 1 (default: the machine's cores, at most 4) large scans parse files in
    worker processes; every write still happens here, in file order."""
    if workers is None:  # TOKENMIRROR_WORKERS=1 forces one process (benchmarks compare both)
        workers = int(os.environ.get("TOKENMIRROR_WORKERS") or min(os.cpu_count() or 1, 4))
    if store.path is None:  # an in-memory archive (tests): nobody else can scan into it
        return (yield from _scan(store, sources, env, prices, only, workers))
    with scan_lock(store.path.parent), store.bulk_writes():
        return (yield from _scan(store, sources, env, prices, only, workers))


def _scan(store: Store, sources: Iterable[Source], env: Environment, prices: PriceTable, only: set[str] | None,
          workers: int) -> Generator[ScanProgress, None, ScanSummary]:  # fmt: skip
    started = time.monotonic()
    # Planning builds a long-lived object per file: no collector passes over it while it grows
    # (each holds the GIL; the app's GUI thread stalled up to 265 ms on them; docs/LOAD.md)
    gc.disable()
    try:
        return (yield from _scan_planned(store, sources, env, prices, only, workers, started))
    finally:
        gc.enable()


def _scan_planned(store: Store, sources: Iterable[Source], env: Environment, prices: PriceTable,
                  only: set[str] | None, workers: int, started: float) -> Generator[ScanProgress, None, ScanSummary]:  # fmt: skip
    settings = store.settings.all()
    context = ParseContext(excerpt_chars=settings["prompt_excerpt_chars"] if settings["store_prompt_excerpts"] else 0)
    events_before = _event_count(store)
    chosen = [s for s in sources if (only is None or tool_of(s) in only) and tool_of(s) not in settings["disabled_sources"]]
    results: list[SourceScan] = []
    plans: list[_Planned] = []
    known = load_file_index(store.conn)
    for source in chosen:
        hook = getattr(source, "for_archive", None)
        if hook is not None:
            source = hook(store.conn)  # Aider: its chat histories live in the repositories the archive knows
        result = SourceScan(source.id)
        results.append(result)
        extra = [Path(p).expanduser() for p in settings["extra_paths"].get(source.id, [])]
        plans.extend(_plan(store, source, env, extra, result, context, known.get(source.id, {})))
    total = sum(max(p.stat.st_size - p.record.cursor, 0) for p in plans)
    done = 0
    by_source = {r.source: r for r in results}
    writer = ChunkWriter(store)
    fresh = [p.record for p in plans if p.record.id is None]
    if fresh:
        with store.transaction() as conn:
            for record in fresh:
                save_file(conn, record)  # ids first: event rows point at their file
    tasks = [_task(p) for p in plans]
    use_pool = workers > 1 and total >= PARALLEL_MIN_BYTES and len(plans) > 1
    pool = ParsePool(workers, context, prices) if use_pool else None
    # The plan lives as long as the scan: frozen, the collector's full passes never walk it
    gc.freeze()
    gc.enable()
    try:
        parsed = pool.map_in_order(tasks) if pool else ((t, None) for t in tasks)
        for index, (plan, (task, future)) in enumerate(zip(plans, parsed)):
            result = by_source[plan.source.id]
            yield ScanProgress(plan.source.id, str(plan.path), done, total, index, len(plans))
            try:
                chunks = future.result() if future is not None else parse_file(task, context, prices, plan.source)
                for chunk in chunks:
                    _apply(writer, plan, chunk, result)
                    done += chunk.end - chunk.offset
                    yield ScanProgress(plan.source.id, str(plan.path), done, total, index, len(plans))
            except OSError as exc:
                log.warning("cannot read %s: %s", plan.path, exc)
                result.unreadable.append(f"{plan.path}: {exc.strerror or exc}")
                continue
            plan.record.size, plan.record.mtime_ns = plan.stat.st_size, plan.stat.st_mtime_ns
            plan.record.dev, plan.record.inode = plan.stat.st_dev, plan.stat.st_ino
            writer.add(plan.record)
            result.files_read += 1
            plans[index] = tasks[index] = None  # type: ignore[call-overload]  # freed file by file, not all at the end
    finally:
        gc.unfreeze()
        if pool:
            pool.close()
    writer.flush()
    reprice(store, prices)
    yield ScanProgress("", "", total, total, len(plans), len(plans))
    events_after = _event_count(store) if plans else events_before  # nothing read: nothing added
    return ScanSummary(results, events_before, events_after, time.monotonic() - started)


def run_scan(store: Store, sources: Iterable[Source], env: Environment, prices: PriceTable,
             on_progress: Callable[[ScanProgress], None] | None = None, only: set[str] | None = None,
             workers: int | None = None) -> ScanSummary:  # fmt: skip
    steps = scan(store, sources, env, prices, only=only, workers=workers)
    while True:
        try:
            progress = next(steps)
        except StopIteration as stop:
            return stop.value
        if on_progress is not None:
            on_progress(progress)


def _event_count(store: Store) -> int:
    return store.conn.execute("SELECT count(*) FROM usage_event").fetchone()[0]


def _plan(store: Store, source: Source, env: Environment, extra: list[Path], result: SourceScan,
          context: ParseContext, rows: dict[str, tuple]) -> list[_Planned]:  # fmt: skip
    """Which files have new bytes, and which must be read again from the start. `rows`: the archive's
    files of this source (load_file_index)."""
    seen: set[str] = set()
    plans: list[_Planned] = []
    for key in source.discover(env, extra):
        if key in seen:
            continue
        seen.add(key)
        result.files_found += 1
        try:
            st = signature(source, key)
        except OSError as exc:
            result.unreadable.append(f"{key}: {exc.strerror or exc}")
            continue
        row = rows.get(key)
        if row is not None and unchanged(row, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns):
            continue
        record = load_record(store.conn, row[0]) if row else FileRecord(source=source.id, path=key, first_seen_ms=int(time.time() * 1000))
        if record.id is not None:
            reappeared, record.missing = record.missing, False
            if _replaced(record, key, st):
                log.info("%s was truncated or replaced; reading it again from the start", key)
                record.restart()
                result.files_reread += 1
            elif st.st_size == record.size and st.st_mtime_ns == record.mtime_ns and not reappeared:
                continue
        plans.append(_Planned(source, record, Path(key), st))
    gone = [row[0] for path, row in rows.items() if path not in seen and not row[5]]
    if gone:
        with store.transaction() as conn:
            mark_missing(conn, gone)  # the assistant cleaned up; the archive keeps every row
        result.files_missing = len(gone)
    if hasattr(source, "thread_of"):
        _register_threads(store, source, plans, context)
    return plans


def _replaced(record: FileRecord, path: str, st: Signature) -> bool:
    if record.inode is not None and (st.st_ino, st.st_dev) != (record.inode, record.dev):
        return True
    if st.mode != "append":
        return False  # whole-file readers: a SQLite file shrinks when its WAL is checkpointed; state stays
    if st.st_size < record.cursor:
        return True
    if record.head_len and (st.st_size != record.size or st.st_mtime_ns != record.mtime_ns):
        try:
            return head_hash(path, record.head_len) != record.head_hash
        except OSError:
            return False
    return False


def _register_threads(store: Store, source: Source, plans: list[_Planned], context: ParseContext) -> None:
    """Fork and subagent rollouts replay their parent's counters: key every copy to the root thread."""
    found = {plan.path: source.thread_of(plan.path) for plan in plans}  # type: ignore[attr-defined]
    relations = [relation for relation in found.values() if relation is not None]
    if relations:
        with store.transaction() as conn:
            register_threads(conn, source.id, relations)
    context.thread_parents.update(thread_parents(store.conn, source.id))
    depth = {path: _depth(context, relation[0]) for path, relation in found.items() if relation is not None}
    plans.sort(key=lambda p: (depth.get(p.path, 0), p.path.name))  # parents first: originals keep their dates


def _depth(context: ParseContext, thread: str) -> int:
    depth = 0
    while thread in context.thread_parents and depth < 50:
        thread = context.thread_parents[thread]
        depth += 1
    return depth


def _task(plan: _Planned) -> FileTask:
    record = plan.record
    assert record.id is not None
    return FileTask(plan.source.id, str(plan.path), record.id, record.cursor, record.lines_read,
                    record.parser_state_json, record.head_len, plan.stat.st_size)  # fmt: skip


def _apply(writer: ChunkWriter, plan: _Planned, chunk: ParsedChunk, result: SourceScan) -> None:
    """Move the file's cursor past the chunk; the writer commits both together."""
    record = plan.record
    record.cursor = chunk.end
    record.lines_read = chunk.lines_read
    record.note_skipped(chunk.skipped)
    record.parser_state_json = chunk.state_json
    record.last_read_ms = chunk.parsed_at_ms
    if chunk.head_hash is not None:
        record.head_len, record.head_hash = chunk.head_len, chunk.head_hash
    record.dev, record.inode = plan.stat.st_dev, plan.stat.st_ino
    writer.add(record, chunk.policy, chunk.rows, chunk.context_rows, replace_file_rows=chunk.replaces_file_rows)
    result.events_parsed += len(chunk.rows)
    result.lines_skipped += len(chunk.skipped)
    result.bytes_read += chunk.end - chunk.offset


def reprice(store: Store, prices: PriceTable) -> int:
    """Rows priced with another table (a newer bundle, changed overrides) get today's figures."""
    from desktop.model import Tokens

    if store.settings.get("pricing_applied") == prices.version:
        return 0  # every row was priced with this table already: skip reading them all again
    stale = store.conn.execute(
        "SELECT id, source, model, speed, input_uncached, cache_read, cache_write_5m, cache_write_1h, output, "
        "reasoning, reasoning_in_output, provider FROM usage_event WHERE pricing_version IS NOT ?",
        (prices.version,),
    ).fetchall()
    if not stale:
        store.settings.set("pricing_applied", prices.version)
        return 0
    updates = []
    for row in stale:
        tokens = Tokens(row[4], row[5], row[6], row[7], row[8], row[9], bool(row[10]))
        cost = prices.cost(row[1], row[2], tokens, row[3], provider=row[11])
        updates.append((cost.usd, cost.bill_usd, cost.status, prices.version, row[0]))
    with store.transaction() as conn:
        conn.executemany(
            "UPDATE usage_event SET computed_cost_usd = ?, computed_cost_bill_usd = ?, price_status = ?, "
            "pricing_version = ? WHERE id = ?",
            updates,
        )
        conn.execute(
            "INSERT INTO setting (key, value) VALUES ('pricing_applied', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (json.dumps(prices.version),),
        )
    return len(updates)
