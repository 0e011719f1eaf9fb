"""Factory Droid `*.settings.json`: running totals imported as snapshot deltas (LOG-FORMATS §3.12)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from desktop.ingest import run_scan
from desktop.sources.base import Environment
from desktop.sources.droid import Droid
from desktop.store import Store
from tests.helpers import prices

SID = "11111111-2222-3333-4444-555555555555"
LOCK = "2026-04-02T08:00:00.000Z"
LOCK_MS = 1_775_116_800_000


def env_at(home: Path, platform: str = "linux", **extra: str) -> Environment:
    return Environment(home=home, env={"HOME": str(home), **extra}, platform=platform)


def write(home: Path, usage: tuple[int, int, int, int, int], mtime_ms: int, *, model: str | None = "custom:Claude-Sonnet-4.5-[Anthropic]-0",
          lock: str | None = LOCK, pad: str = "") -> Path:  # fmt: skip
    path = home / ".factory" / "sessions" / "-home-dev-api" / f"{SID}.settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    doc: dict = {"providerLock": "anthropic", "tokenUsage": dict(zip(
        ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens", "thinkingTokens"), usage)), "pad": pad}
    if model is not None:
        doc["model"] = model
    if lock is not None:
        doc["providerLockTimestamp"] = lock
    path.write_text(json.dumps(doc))
    os.utime(path, ns=(mtime_ms * 1_000_000, mtime_ms * 1_000_000))
    return path


def totals(store: Store) -> tuple[int, ...]:
    """(events, input, output, cache_write, cache_read, reasoning)."""
    return store.conn.execute(
        "SELECT count(*), coalesce(sum(input_uncached), 0), coalesce(sum(output), 0), coalesce(sum(cache_write_5m), 0), "
        "coalesce(sum(cache_read), 0), coalesce(sum(reasoning), 0) FROM usage_event WHERE source = 'droid'"
    ).fetchone()


def scan(store: Store, home: Path) -> None:
    run_scan(store, [Droid()], env_at(home), prices())


def test_running_totals_become_deltas(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    write(home, (52000, 7400, 9000, 310000, 1200), LOCK_MS + 3_600_000)
    scan(store, home)
    assert totals(store) == (1, 52000, 7400, 9000, 310000, 1200)
    write(home, (60000, 8000, 9000, 400000, 1500), LOCK_MS + 86_400_000)  # a day later
    scan(store, home)
    scan(store, home)
    assert totals(store) == (2, 60000, 8000, 9000, 400000, 1500)
    rows = store.conn.execute("SELECT dedup_key, ts_ms, granularity, model, provider, reasoning_in_output, project_path "
                              "FROM usage_event ORDER BY ts_ms").fetchall()  # fmt: skip
    model = "custom:Claude-Sonnet-4.5-[Anthropic]-0"  # kept as written; pricing strips custom: and [...]
    # the history before the first scan is dated at the provider lock; later deltas at the file's mtime
    assert rows == [(f"{SID}:{LOCK_MS}", LOCK_MS, "session", model, "anthropic", 0, None),
                    (f"{SID}:{LOCK_MS + 86_400_000}", LOCK_MS + 86_400_000, "session", model, "anthropic", 0, None)]  # fmt: skip


def test_counter_reset_is_a_new_baseline(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    write(home, (1000, 100, 0, 0, 0), LOCK_MS + 1000)
    scan(store, home)
    write(home, (10, 1, 0, 0, 0), LOCK_MS + 2000, pad="x" * 50)  # reset (and the file grew)
    scan(store, home)
    assert totals(store) == (1, 1000, 100, 0, 0, 0)
    write(home, (30, 4, 0, 0, 0), LOCK_MS + 3000, pad="x" * 60)
    scan(store, home)
    assert totals(store) == (2, 1020, 103, 0, 0, 0)


def test_stale_mtime_is_floored_at_the_lock_and_model_falls_back_to_the_transcript(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    path = write(home, (5, 6, 0, 0, 0), LOCK_MS - 86_400_000, model=None)
    transcript = path.with_name(f"{SID}.jsonl")
    transcript.write_text(json.dumps({"type": "message", "text": "<system-reminder>Model: Claude Opus 4.5 Thinking [Anthropic]</system-reminder>"}) + "\n")
    scan(store, home)
    row = store.conn.execute("SELECT ts_ms, model, model_is_fallback FROM usage_event").fetchone()
    assert row == (LOCK_MS, "claude-opus-4-5-thinking", 1)


def test_bad_counts_are_skipped(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    path = write(home, (5, 6, 0, 0, 0), LOCK_MS)
    path.write_text(json.dumps({"tokenUsage": {"inputTokens": "lots"}}))
    summary = run_scan(store, [Droid()], env_at(home), prices())
    assert totals(store) == (0, 0, 0, 0, 0, 0)
    assert summary.sources[0].lines_skipped == 1


def test_a_file_that_shrinks_is_never_counted_twice(tmp_path: Path) -> None:
    """ingest reads a file again from scratch (parser state dropped) when it got smaller: the first
    delta's key is the lock time, so the re-read history collides with the row already stored."""
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    write(home, (1000, 100, 0, 0, 0), LOCK_MS + 1000, pad="x" * 200)
    scan(store, home)
    write(home, (1000, 100, 0, 0, 0), LOCK_MS + 2000)  # rewritten smaller, same totals
    scan(store, home)
    assert totals(store) == (1, 1000, 100, 0, 0, 0)


def test_default_paths_and_overrides(tmp_path: Path) -> None:
    home, source = tmp_path / "home", Droid()
    for platform in ("linux", "darwin", "win32"):
        assert source.roots(env_at(home, platform)) == [home / ".factory" / "sessions"]
    assert source.roots(env_at(home, DROID_SESSIONS_DIR=f"{tmp_path / 'a'}, {tmp_path / 'b'}")) == [tmp_path / "a", tmp_path / "b"]
    path = write(home, (1, 1, 0, 0, 0), LOCK_MS)
    path.with_name(f"{SID}.jsonl").write_text("")
    assert list(source.discover(env_at(home), [])) == [str(path)]
