"""SIGKILL at random points for every reading mode at once: append-only JSONL (Claude Code),
whole documents rewritten in place (Amp), cumulative counters (Factory Droid) and live SQLite
databases that another process keeps writing, their rows still in the WAL (OpenCode, Goose). After
the kills a clean scan must leave exactly what uninterrupted scans of the same file states leave."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.corpus import generate
from desktop.store import Store
from tests.test_source_goose import T0 as GOOSE_T0
from tests.test_source_goose import add_session as goose_session
from tests.test_source_goose import db_path as goose_db
from tests.test_source_goose import make_db as make_goose_db
from tests.test_source_opencode import T0, add_session, assistant, make_db

START_MS = 1_775_116_800_000


def droid(home: Path, index: int, usage: tuple[int, ...], mtime_ms: int) -> None:
    path = home / ".factory" / "sessions" / "-home-dev-api" / f"{index:08d}-2222-3333-4444-555555555555.settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    names = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens", "thinkingTokens")
    path.write_text(json.dumps({"providerLock": "anthropic", "model": "claude-sonnet-4-5",
                                "providerLockTimestamp": "2026-04-02T08:00:00.000Z",
                                "tokenUsage": dict(zip(names, usage))}))  # fmt: skip
    os.utime(path, ns=(mtime_ms * 1_000_000,) * 2)


def amp(home: Path, index: int, messages: int) -> None:
    path = home / ".local" / "share" / "amp" / "threads" / f"T-{index:08d}-0000-4000-8000-000000000001.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = [{"role": "assistant", "messageId": m, "usage": {"model": "claude-sonnet-4-5", "inputTokens": 10 + m,
             "outputTokens": 5, "cacheCreationInputTokens": 100, "cacheReadInputTokens": 1000,
             "timestamp": f"2026-01-05T13:{m % 60:02d}:00.000Z"}} for m in range(messages)]  # fmt: skip
    path.write_text(json.dumps({"id": path.stem, "created": 1_767_620_000_000, "messages": body}))


def opencode(home: Path, conn: sqlite3.Connection | None, step: int) -> sqlite3.Connection:
    """OpenCode's database, open in this process like the running tool has it: no checkpoints, so
    phase 1's updated and new messages live in the -wal file while the scans read it."""
    if conn is None:
        folder = home / ".local" / "share" / "opencode"
        folder.mkdir(parents=True, exist_ok=True)
        conn = make_db(folder / "opencode.db")
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        for s in range(20):
            add_session(conn, f"ses_{s:03d}", directory=f"/home/dev/p{s % 3}")
    start = 0 if step == 0 else 100  # phase 1 streams updates into 100 messages and adds 300 new ones
    for m in range(start, 400 if step else 200):
        created = T0 + m * 60_000
        grown = 40 * step if m < 200 else 0
        data = assistant(created, 100 + m, 20 + m % 7 + grown, read=1000 * (m % 5), write=50 * (m % 3))
        conn.execute("INSERT OR REPLACE INTO message VALUES (?, ?, ?, ?, ?)",
                     (f"msg_{m:05d}", f"ses_{m % 20:03d}", created, created + step * 3_600_000, json.dumps(data)))  # fmt: skip
    conn.commit()
    return conn


def goose(home: Path, conn: sqlite3.Connection | None, step: int) -> sqlite3.Connection:
    """Goose's sessions.db, also held open without checkpoints: its usage ledger grows by 150 rows a phase."""
    if conn is None:
        conn = make_goose_db(goose_db(home))
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        for s in range(5):
            goose_session(conn, f"g{s}")
    for n in range(150 * step, 150 * (step + 1)):
        conn.execute(
            "INSERT INTO usage_ledger (session_id, created_timestamp, model, input_tokens, output_tokens, total_tokens, "
            "cache_read_tokens, cache_write_tokens, cost, cost_source) VALUES (?, ?, 'gpt-4.1', ?, ?, ?, ?, 0, 0.01, 'estimated')",
            (f"g{n % 5}", GOOSE_T0 + n * 60, 1000 + n, 100 + n % 9, 1100 + n + n % 9, 500 * (n % 4)),
        )  # fmt: skip
    conn.commit()
    return conn


def phase(home: Path, step: int, live: tuple | None = None) -> tuple[sqlite3.Connection, sqlite3.Connection]:
    """File states seen by both archives: phase 0 creates, phase 1 grows counters and rewrites threads."""
    for i in range(300):
        droid(home, i, (1000 * (i + 1) * (step + 1), 100 * (step + 1), 50, 5000 * (step + 1), 10), START_MS + step * 86_400_000)
    for i in range(150):
        amp(home, i, 4 + 3 * step)
    open_code, goose_conn = live or (None, None)
    return opencode(home, open_code, step), goose(home, goose_conn, step)


def command(data: Path) -> list[str]:
    return [sys.executable, "-m", "desktop", "--data-dir", str(data), "scan"]


def env(home: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in ("CLAUDE_CONFIG_DIR", "CODEX_HOME")}
    base.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local" / "share"),
                TZ="UTC", TOKENMIRROR_CHUNK_BYTES="65536")  # fmt: skip
    return base


def contents(data: Path) -> list[tuple]:
    store = Store.open(data / "archive.sqlite")
    assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    rows = store.conn.execute(
        "SELECT source, dedup_key, ts_ms, input_uncached, cache_read, cache_write_5m, output, reasoning "
        "FROM usage_event ORDER BY source, dedup_key").fetchall()  # fmt: skip
    store.close()
    return rows


def kill_repeatedly(data: Path, home: Path, rng: random.Random, full: float, kills_wanted: int) -> int:
    kills = 0
    for _ in range(kills_wanted * 3):
        if kills == kills_wanted:
            break
        proc = subprocess.Popen(command(data), env=env(home), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            proc.wait(timeout=rng.uniform(0.1, 0.7) * full)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        err = proc.stderr.read().decode() if proc.stderr else ""
        assert proc.returncode in (0, -signal.SIGKILL), err
        if proc.stderr:
            proc.stderr.close()
    return kills


@pytest.mark.slow
def test_sigkill_in_every_reading_mode(tmp_path: Path) -> None:
    home = tmp_path / "home"
    generate(home, 4_000_000, seed=3)
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    rng = random.Random(99)
    kills = 0
    live = None
    for step in (0, 1):
        live = phase(home, step, live)
        started = time.monotonic()
        subprocess.run(command(reference), env=env(home), check=True, capture_output=True)
        full = time.monotonic() - started
        kills += kill_repeatedly(killed, home, rng, full, 12)
        subprocess.run(command(killed), env=env(home), check=True, capture_output=True)
    assert kills >= 20
    assert (home / ".local" / "share" / "opencode" / "opencode.db-wal").stat().st_size > 0  # still live
    assert Path(str(goose_db(home)) + "-wal").stat().st_size > 0
    for conn in live:
        conn.close()
    expected = contents(reference)
    assert {row[0] for row in expected} >= {"claude", "codex", "amp", "droid", "opencode", "goose"}
    assert sum(1 for row in expected if row[0] == "opencode") == 400
    assert sum(1 for row in expected if row[0] == "goose") == 300
    assert contents(killed) == expected
