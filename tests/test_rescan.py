"""Exact totals on a generated corpus: first scan, rescans, appends, deleted logs, and SIGKILL at random points."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.corpus import append_claude, complete_partial_lines, generate
from desktop.store import Store
from tests.helpers import daily, scan

KEYS = ("input_tokens", "cache_creation_tokens", "cache_read_tokens", "output_tokens", "reasoning_tokens",
        "total_tokens", "events")  # fmt: skip


def by_day_model(report: dict) -> dict[tuple, tuple]:
    rows: dict[tuple, list[int]] = {}
    for r in report["rows"]:
        key = (r["date"], r["source"], r["model"])
        acc = rows.setdefault(key, [0] * len(KEYS))
        for i, k in enumerate(KEYS):
            acc[i] += r[k]
    return {k: tuple(v) for k, v in rows.items()}


def total(report: dict) -> tuple:
    return tuple(report["totals"][k] for k in KEYS)


def plus(a: tuple, delta: dict) -> tuple:
    return tuple(x + delta["totals"][k] for x, k in zip(a, KEYS))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("corpus")
    return root, generate(root, 3_000_000, seed=11)


def test_generated_corpus_matches_its_expected_totals_exactly(tmp_path: Path, corpus: tuple[Path, dict]) -> None:
    root, expected = corpus
    store = Store.open(tmp_path / "a.sqlite")
    scan(store, root)
    report = daily(store)
    assert by_day_model(report) == by_day_model(expected)
    assert total(report) == total(expected)
    # and a second scan with nothing new changes nothing
    summary = scan(store, root)
    assert summary.events_added == 0 and sum(s.files_read for s in summary.sources) == 0
    assert total(daily(store)) == total(expected)


def test_parallel_parsing_gives_the_same_archive(tmp_path: Path, corpus: tuple[Path, dict],
                                                monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Worker processes parse, the main process writes in file order: same rows, same totals."""
    import desktop.ingest
    from desktop.ingest import run_scan
    from tests.helpers import env_for, prices
    from desktop.sources import SOURCES

    root, expected = corpus
    monkeypatch.setattr(desktop.ingest, "PARALLEL_MIN_BYTES", 0)
    parallel, serial = Store.open(tmp_path / "p.sqlite"), Store.open(tmp_path / "s.sqlite")
    run_scan(parallel, SOURCES, env_for(root), prices(), workers=2)
    run_scan(serial, SOURCES, env_for(root), prices(), workers=1)
    assert by_day_model(daily(parallel)) == by_day_model(expected)
    query = "SELECT source, dedup_key, ts_ms, session_id, output, computed_cost_usd FROM usage_event ORDER BY 1, 2"
    assert parallel.conn.execute(query).fetchall() == serial.conn.execute(query).fetchall()
    counts = "SELECT (SELECT count(*) FROM prompt), (SELECT count(*) FROM tool_call), (SELECT sum(lines_read) FROM source_file)"
    assert parallel.conn.execute(counts).fetchone() == serial.conn.execute(counts).fetchone()


def test_appending_adds_exactly_the_new_usage(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("grow")
    expected = generate(root, 1_000_000, seed=5)
    store = Store.open(tmp_path / "a.sqlite")
    scan(store, root)
    assert total(daily(store)) == total(expected)
    delta = append_claude(root, 200_000, seed=6)
    summary = scan(store, root)
    assert sum(s.files_reread for s in summary.sources) == 0  # appends, not replacements: heads still match
    assert sum(s.files_read for s in summary.sources) > 0
    after_append = plus(total(expected), delta)
    assert total(daily(store)) == after_append
    finished = complete_partial_lines(root)
    scan(store, root)
    assert total(daily(store)) == plus(after_append, finished)
    assert finished["totals"]["events"] > 0  # the half-written lines really were held back


def test_deleting_the_logs_keeps_every_row(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("gone")
    expected = generate(root, 500_000, seed=8)
    store = Store.open(tmp_path / "a.sqlite")
    scan(store, root)
    for path in list(root.rglob("*.jsonl")):
        path.unlink()
    summary = scan(store, root)
    assert sum(s.files_missing for s in summary.sources) > 0
    assert total(daily(store)) == total(expected)


def _scan_command(data: Path, home: Path) -> list[str]:
    return [sys.executable, "-m", "desktop", "--data-dir", str(data), "scan"]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CLAUDE_CONFIG_DIR", "CODEX_HOME")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), TZ="UTC", TOKENMIRROR_CHUNK_BYTES="65536")
    return env


@pytest.mark.slow
def test_sigkill_at_random_points_then_rescan_is_exact(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A crash at any instant leaves the archive consistent: 24 kills, then one clean scan, exact totals."""
    root = tmp_path_factory.mktemp("crash")
    expected = generate(root, 12_000_000, seed=21)
    data = tmp_path / "data"
    started = time.monotonic()
    subprocess.run(_scan_command(tmp_path / "probe", root), env=_env(root), check=True, capture_output=True)
    full = time.monotonic() - started
    rng = random.Random(1234)
    kills = 0
    for _ in range(60):
        if kills == 24:
            break
        proc = subprocess.Popen(_scan_command(data, root), env=_env(root), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            proc.wait(timeout=rng.uniform(0.1, 0.6) * full)  # a wait, not a sleep: it ends early if the scan does
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        assert proc.returncode in (0, -signal.SIGKILL), proc.stderr.read() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
    assert kills >= 20
    result = subprocess.run(_scan_command(data, root), env=_env(root), check=True, capture_output=True, text=True)
    assert "error" not in result.stderr.lower()
    store = Store.open(data / "archive.sqlite")
    assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert total(daily(store)) == total(expected)
    assert by_day_model(daily(store)) == by_day_model(expected)
