"""Run a scan and read reports the way the CLI does, against a test's own home and archive."""

from __future__ import annotations

import os
from pathlib import Path

from desktop.ingest import ScanSummary, run_scan
from desktop.periods import zone
from desktop.pricing import PriceTable
from desktop.reports.usage import Window, period_report
from desktop.sources import SOURCES, Environment
from desktop.store import Store

_PRICES: PriceTable | None = None


def prices() -> PriceTable:
    global _PRICES
    if _PRICES is None:
        _PRICES = PriceTable.load()
    return _PRICES


def env_for(home: Path, **extra: str) -> Environment:
    env = {k: v for k, v in os.environ.items() if k not in ("CLAUDE_CONFIG_DIR", "CODEX_HOME")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), **extra)
    return Environment(home=home, env=env, platform="linux")


def scan(store: Store, home: Path, **extra: str) -> ScanSummary:
    return run_scan(store, SOURCES, env_for(home, **extra), prices())


def daily(store: Store, by_model: bool = True, tz: str = "UTC") -> dict:
    return period_report(store, Window(tz=zone(tz)), "day", by_model)


def totals(store: Store, source: str | None = None) -> tuple[int, int, int, int, int, int]:
    """(input, cache_creation, cache_read, output, reasoning, events) for one source or all."""
    rows = [r for r in daily(store)["rows"] if source is None or r["source"] == source]
    keys = ("input_tokens", "cache_creation_tokens", "cache_read_tokens", "output_tokens", "reasoning_tokens", "events")
    return tuple(sum(r[k] for r in rows) for k in keys)  # type: ignore[return-value]
