"""Shared bits of the Gemini, Qwen, pi and Copilot tests: an Environment that sees only what a test
sets, one scan of given sources, and exact token sums straight from the archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop.ingest import ScanSummary, run_scan
from desktop.sources.base import Environment
from desktop.store import Store
from tests.helpers import prices


def env_at(home: Path, platform: str = "linux", **variables: str) -> Environment:
    """No variable of the machine running the tests leaks in (a real GEMINI_CLI_HOME, say)."""
    return Environment(home=home, env={"HOME": str(home), **variables}, platform=platform)


def scan_with(store: Store, sources: list[Any], env: Environment) -> ScanSummary:
    return run_scan(store, sources, env, prices(), workers=1)


def sums(store: Store, source: str) -> tuple[int, int, int, int, int, int]:
    """(events, input_uncached, cache_read, cache_write, output, reasoning) of one source."""
    return store.conn.execute(
        "SELECT count(*), coalesce(sum(input_uncached), 0), coalesce(sum(cache_read), 0), "
        "coalesce(sum(cache_write_5m + cache_write_1h), 0), coalesce(sum(output), 0), coalesce(sum(reasoning), 0) "
        "FROM usage_event WHERE source = ?",
        (source,),
    ).fetchone()


def rows(store: Store, source: str, columns: str) -> list[tuple]:
    return store.conn.execute(f"SELECT {columns} FROM usage_event WHERE source = ? ORDER BY ts_ms, dedup_key",
                              (source,)).fetchall()  # fmt: skip


def skipped(summary: ScanSummary, source: str) -> int:
    return sum(s.lines_skipped for s in summary.sources if s.source == source)
