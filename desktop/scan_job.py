"""One scan as the app runs it: new log bytes, then new commits, on a connection of its own.

No Qt here: the app runs this job on a worker thread, or in a process of its own (scan_process.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path

from desktop.ingest import ScanProgress, ScanSummary, scan
from desktop.pricing import PriceTable
from desktop.sources import Environment, Source
from desktop.store import Store

log = logging.getLogger(__name__)
_BASE_PRICES: PriceTable | None = None
_PRICES_LOCK = threading.Lock()


def base_prices() -> PriceTable:
    """The bundled table, parsed once per process (workers share it; it is never mutated after load)."""
    global _BASE_PRICES
    with _PRICES_LOCK:
        if _BASE_PRICES is None:
            _BASE_PRICES = PriceTable.load()
        return _BASE_PRICES


@dataclass
class ScanResult:
    summary: ScanSummary
    commits_added: int = 0


def scan_job(db_path: Path, sources: Sequence[Source], env: Environment) -> Generator[ScanProgress, None, ScanResult]:
    """Ingest new log bytes, then new commits. A generator: yields progress, returns the result."""
    store = Store.open(db_path, migrate=False)
    try:
        prices = base_prices().with_overrides(store.settings.get("price_overrides") or {})
        summary = yield from scan(store, sources, env, prices)  # takes the archive's scan lock itself
        return ScanResult(summary, _refresh_commits(store))
    finally:
        store.close()


def _refresh_commits(store: Store) -> int:
    """Read new commits of the repositories the events name; relink sessions. New commits counted."""
    try:
        from desktop.commits.refresh import refresh_commits
    except ImportError:
        return 0
    summary = refresh_commits(store)
    for problem in summary.problems + summary.missing:
        log.info("commits: %s", problem)
    return summary.new_commits
