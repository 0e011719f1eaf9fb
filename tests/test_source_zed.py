"""Zed `threads.db`: cumulative_token_usage as snapshot deltas (LOG-FORMATS §3.11)."""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import sqlite3
from pathlib import Path

import pytest

from desktop.ingest import run_scan
from desktop.sources.base import Environment
from desktop.sources.zed import Zed, zstd_decompress
from desktop.store import Store
from tests.helpers import prices


def env_at(home: Path, platform: str = "linux", **extra: str) -> Environment:
    return Environment(home=home, env={"HOME": str(home), **extra}, platform=platform)


def db_path(home: Path) -> Path:
    folder = home / ".local" / "share" / "zed" / "threads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "threads.db"


def make_db(path: Path, wal: bool = True) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE threads (id TEXT PRIMARY KEY, summary TEXT NOT NULL, updated_at TEXT NOT NULL, "
                 "data_type TEXT NOT NULL, data BLOB NOT NULL, parent_id TEXT, folder_paths TEXT, "
                 "folder_paths_order TEXT, created_at TEXT)")  # fmt: skip
    conn.commit()
    return conn


def zstd_compress(data: bytes) -> bytes:
    name = ctypes.util.find_library("zstd")
    if not name:
        pytest.skip("no libzstd on this machine")
    lib = ctypes.CDLL(name)
    lib.ZSTD_compressBound.restype = ctypes.c_size_t
    lib.ZSTD_compressBound.argtypes = [ctypes.c_size_t]
    lib.ZSTD_compress.restype = ctypes.c_size_t
    lib.ZSTD_compress.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int]
    out = ctypes.create_string_buffer(lib.ZSTD_compressBound(len(data)))
    size = lib.ZSTD_compress(out, len(out), data, len(data), 3)
    return out.raw[:size]


def thread(usage: tuple[int, int, int, int], *, imported: bool = False, request: dict | None = None,
           messages: list | None = None) -> dict:  # fmt: skip
    return {
        "version": "0.3.0", "title": "Refactor parser", "updated_at": "2026-03-04T10:20:00Z",
        "model": {"provider": "zed.dev", "model": "claude-sonnet-4-5"}, "messages": messages or [],
        # request_token_usage keeps the last request per turn only: huge here, never read
        "request_token_usage": request or {"u1": {"input_tokens": 9_999_999, "output_tokens": 9_999_999}},
        "cumulative_token_usage": {"input_tokens": usage[0], "output_tokens": usage[1],
                                   "cache_creation_input_tokens": usage[2], "cache_read_input_tokens": usage[3]},
        "imported": imported,
    }  # fmt: skip


def put(conn: sqlite3.Connection, tid: str, doc: dict, updated: str, *, zstd: bool = False, created: str | None = None,
        folders: str | None = None, order: str | None = None, parent: str | None = None) -> None:  # fmt: skip
    raw = json.dumps(doc).encode()
    conn.execute("INSERT OR REPLACE INTO threads VALUES (?, 'x', ?, ?, ?, ?, ?, ?, ?)",
                 (tid, updated, "zstd" if zstd else "json", zstd_compress(raw) if zstd else raw, parent, folders, order, created))  # fmt: skip
    conn.commit()


def totals(store: Store) -> tuple[int, ...]:
    """(events, input, output, cache_write, cache_read)."""
    return store.conn.execute(
        "SELECT count(*), coalesce(sum(input_uncached), 0), coalesce(sum(output), 0), coalesce(sum(cache_write_5m), 0), "
        "coalesce(sum(cache_read), 0) FROM usage_event WHERE source = 'zed'"
    ).fetchone()


def scan(store: Store, home: Path) -> None:
    run_scan(store, [Zed()], env_at(home), prices())


def test_cumulative_usage_becomes_deltas_from_the_wal(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    conn = make_db(db_path(home))
    put(conn, "t1", thread((5400, 2100, 12000, 88000)), "2026-03-04T10:20:00Z", zstd=True, created="2026-03-03T08:00:00Z",
        folders="/work/a\n/work/b", order="1,0")  # fmt: skip
    put(conn, "t2", thread((1, 1, 1, 1), imported=True), "2026-03-04T10:21:00Z")  # imported from elsewhere: skipped
    scan(store, home)
    assert totals(store) == (1, 5400, 2100, 12000, 88000)
    first = store.conn.execute("SELECT dedup_key, ts_ms, granularity, project_path, model, provider FROM usage_event").fetchone()
    # the first delta carries the history: dated at the thread's creation (LOG-FORMATS §3.11)
    assert first == ("t1:1772524800000", 1772524800000, "session", "/work/b", "claude-sonnet-4-5", "zed.dev")
    put(conn, "t1", thread((6000, 2500, 12000, 99000)), "2026-03-05T09:00:00Z", zstd=True, created="2026-03-03T08:00:00Z")
    scan(store, home)
    scan(store, home)  # nothing moved: nothing added
    assert totals(store) == (2, 6000, 2500, 12000, 99000)
    second = store.conn.execute("SELECT dedup_key, ts_ms FROM usage_event ORDER BY ts_ms DESC").fetchone()
    assert second == ("t1:1772701200000", 1772701200000)
    conn.close()


def test_counter_reset_is_a_new_baseline_not_a_negative_row(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    conn = make_db(db_path(home))
    put(conn, "t1", thread((1000, 100, 0, 5000)), "2026-03-04T10:00:00Z")
    scan(store, home)
    put(conn, "t1", thread((200, 20, 0, 0)), "2026-03-04T11:00:00Z")  # summarised: the counters went down
    scan(store, home)
    assert totals(store) == (1, 1000, 100, 0, 5000)
    put(conn, "t1", thread((260, 50, 0, 700)), "2026-03-04T12:00:00Z")
    scan(store, home)
    assert totals(store) == (2, 1060, 130, 0, 5700)
    conn.close()


def test_prompts_tool_calls_and_sessions(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    conn = make_db(db_path(home))
    messages = [
        {"User": {"id": "u-1", "content": [{"Text": "why is the build slow?"}]}},
        {"Agent": {"content": [{"Text": "Let me look."}, {"ToolUse": {"id": "tool_1", "name": "read_file",
                   "input": {"path": "build.rs"}, "raw_input": "{}", "is_input_complete": True}}],
                   "tool_results": {"tool_1": {"tool_use_id": "tool_1", "tool_name": "read_file", "is_error": True}}}},
    ]  # fmt: skip
    put(conn, "t1", thread((10, 5, 0, 0), messages=messages), "2026-03-04T10:00:00Z", folders="/work/a", parent="t0")
    scan(store, home)
    assert store.conn.execute("SELECT prompt_key, length, excerpt FROM prompt").fetchall() == [("t1:u-1", 22, "why is the build slow?")]
    assert store.conn.execute("SELECT call_key, name, file_path, is_error FROM tool_call").fetchall() == [("tool_1", "read_file", "build.rs", 1)]
    assert store.conn.execute("SELECT session_id, project_path, parent_session_id FROM session").fetchall() == [("t1", "/work/a", "t0")]
    conn.close()


def test_corrupt_thread_is_skipped_and_locked_database_read_from_a_copy(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    conn = make_db(db_path(home), wal=False)
    put(conn, "t1", thread((3, 4, 0, 0)), "2026-03-04T10:00:00Z")
    conn.execute("INSERT INTO threads VALUES ('bad', 'x', '2026-03-04T10:00:00Z', 'zstd', X'00010203', NULL, NULL, NULL, NULL)")
    conn.commit()
    conn.execute("BEGIN EXCLUSIVE")
    summary = run_scan(store, [Zed()], env_at(home), prices())
    assert totals(store) == (1, 3, 4, 0, 0)
    assert summary.sources[0].lines_skipped == 1
    conn.rollback()
    conn.close()


def test_zstd_frame_without_content_size() -> None:
    name = ctypes.util.find_library("zstd")
    if not name:
        pytest.skip("no libzstd on this machine")
    lib = ctypes.CDLL(name)
    lib.ZSTD_createCStream.restype = ctypes.c_void_p
    lib.ZSTD_initCStream.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.ZSTD_compressStream2.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
    lib.ZSTD_compressStream2.restype = ctypes.c_size_t
    lib.ZSTD_freeCStream.argtypes = [ctypes.c_void_p]

    class Buf(ctypes.Structure):
        _fields_ = [("ptr", ctypes.c_void_p), ("size", ctypes.c_size_t), ("pos", ctypes.c_size_t)]

    data = json.dumps(thread((1, 2, 3, 4))).encode() * 50
    stream = lib.ZSTD_createCStream()
    lib.ZSTD_initCStream(stream, 3)
    src = ctypes.create_string_buffer(data, len(data))
    dst = ctypes.create_string_buffer(len(data) + 1024)
    inbuf, outbuf = Buf(ctypes.cast(src, ctypes.c_void_p), len(data), 0), Buf(ctypes.cast(dst, ctypes.c_void_p), len(dst), 0)
    while lib.ZSTD_compressStream2(stream, ctypes.byref(outbuf), ctypes.byref(inbuf), 2) != 0:  # ZSTD_e_end
        pass
    lib.ZSTD_freeCStream(stream)
    assert zstd_decompress(dst.raw[: outbuf.pos]) == data


def test_default_paths(tmp_path: Path) -> None:
    home, source = tmp_path / "home", Zed()
    assert source.roots(env_at(home)) == [home / ".local" / "share" / "zed" / "threads"]
    assert source.roots(env_at(home, XDG_DATA_HOME=str(tmp_path / "x"))) == [tmp_path / "x" / "zed" / "threads"]
    assert source.roots(env_at(home, "darwin")) == [home / "Library" / "Application Support" / "Zed" / "threads"]
    assert source.roots(env_at(home, "win32", LOCALAPPDATA=str(tmp_path / "L"))) == [tmp_path / "L" / "Zed" / "threads"]
    assert source.roots(env_at(home, "win32")) == [home / "AppData" / "Local" / "Zed" / "threads"]


def _zed_quits_after_more_usage(tmp_path: Path) -> Store:
    """Zed writes through its WAL, a scan runs, the threads move on, Zed quits: the WAL is
    checkpointed and deleted, so db + wal shrinks below what the last scan read."""
    home, store = tmp_path / "home", Store.open(tmp_path / "a.sqlite")
    conn = make_db(db_path(home))
    for i in range(20):
        put(conn, f"t{i}", thread((1000, 100, 0, 0)), "2026-03-04T10:00:00Z", created="2026-03-04T09:00:00Z")
    scan(store, home)
    for i in range(20):
        put(conn, f"t{i}", thread((1000 + i, 100, 0, 0)), "2026-03-04T11:00:00Z", created="2026-03-04T09:00:00Z")
    conn.close()
    assert not Path(str(db_path(home)) + "-wal").exists()
    scan(store, home)
    return store


def test_a_checkpointed_wal_never_double_counts(tmp_path: Path) -> None:
    store = _zed_quits_after_more_usage(tmp_path)
    events, inp, out, _w, _r = totals(store)
    assert 20_000 <= inp <= 20_190 and out == 2000  # at most the last increments are missing, never twice


def test_a_checkpointed_wal_keeps_the_snapshots(tmp_path: Path) -> None:
    store = _zed_quits_after_more_usage(tmp_path)
    assert totals(store) == (40 - 1, 20_190, 2000, 0, 0)  # t0 did not move
