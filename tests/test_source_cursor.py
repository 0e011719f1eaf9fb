"""Cursor's local state.vscdb: a flagged lower bound, read-only, no login token read (LOG-FORMATS §3.15, §2.9)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from desktop.ingest import run_scan
from desktop.sources import cursor as cursor_module
from desktop.sources.base import Environment
from desktop.sources.cursor import Cursor, folder_of
from desktop.store import Store
from tests.helpers import prices

SECRET = "eyJhbGciOi-not-a-real-token"
CREATED = 1_779_292_800_000  # 2026-05-20T16:00:00Z, the composer's createdAt (ms)


def env_at(home: Path, platform: str = "linux") -> Environment:
    return Environment(home=home, env={"HOME": str(home), "APPDATA": str(home / "AppData" / "Roaming")}, platform=platform)


def user_dir(home: Path, platform: str = "linux") -> Path:
    base = {"linux": home / ".config", "darwin": home / "Library" / "Application Support",
            "win32": home / "AppData" / "Roaming"}[platform]  # fmt: skip
    return base / "Cursor" / "User"


def bubble(request: str | None, bubble_id: str, at: str, tokens: tuple[int, int] | None, model: str | None = None,
           kind: int = 2, text: str = "the reply text stays in Cursor") -> dict:  # fmt: skip
    found: dict = {"_v": 3, "type": kind, "bubbleId": bubble_id, "createdAt": at, "text": text, "richText": text,
                   "modelInfo": {"modelName": model} if model else None, "usageUuid": None}  # fmt: skip
    if request:
        found["requestId"] = request
    if tokens is not None:
        found["tokenCount"] = {"inputTokens": tokens[0], "outputTokens": tokens[1]}
    return found


def make_db(path: Path, values: dict[str, object], items: dict[str, object] | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
    conn.execute("CREATE TABLE IF NOT EXISTS cursorDiskKV (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
    for key, value in values.items():
        raw = value if isinstance(value, (str, bytes)) else json.dumps(value)
        conn.execute("INSERT INTO cursorDiskKV VALUES (?, ?)", (key, raw.encode() if isinstance(raw, str) else raw))
    for key, value in (items or {}).items():
        conn.execute("INSERT INTO ItemTable VALUES (?, ?)", (key, value if isinstance(value, str) else json.dumps(value)))
    conn.commit()
    conn.close()


def workspace(home: Path, name: str, folder: str, composers: list[str], platform: str = "linux") -> None:
    root = user_dir(home, platform) / "workspaceStorage" / name
    root.mkdir(parents=True, exist_ok=True)
    (root / "workspace.json").write_text(json.dumps({"folder": folder}))
    make_db(root / "state.vscdb", {}, {"composer.composerData": {"allComposers": [{"composerId": c} for c in composers]}})


def global_db(home: Path, platform: str = "linux") -> Path:
    return user_dir(home, platform) / "globalStorage" / "state.vscdb"


def standard(home: Path, platform: str = "linux") -> Path:
    """Two requests with tokens, one merged from two bubbles; zero, broken and oversized bubbles give nothing."""
    path = global_db(home, platform)
    make_db(path, {
        "composerData:c1": {"composerId": "c1", "createdAt": CREATED, "lastUpdatedAt": CREATED + 600_000,
                            "modelConfig": {"modelName": "claude-4.5-sonnet", "maxMode": False}},
        "bubbleId:c1:b1": bubble("r1", "b1", "2026-05-20T16:01:00.000Z", (0, 0), kind=1, text="my prompt"),
        "bubbleId:c1:b2": bubble("r1", "b2", "2026-05-20T16:02:11.000Z", (12_000, 1_800), "claude-4.5-sonnet"),
        "bubbleId:c1:b3": bubble("r1", "b3", "2026-05-20T16:02:30.000Z", (12_000, 0), "claude-4.5-sonnet"),
        "bubbleId:c1:b4": bubble(None, "b4", "2026-05-20T16:05:00.000Z", (0, 50)),  # no model: the composer's
        "bubbleId:c1:b5": bubble("r5", "b5", "2026-05-20T16:06:00.000Z", (0, 0), "claude-4.5-sonnet"),  # not polled
        "bubbleId:c1:b6": "{not json",
        "bubbleId:c1:b7": bubble("r7", "b7", "2026-05-20T16:07:00.000Z", (5, 5), text="x" * 600_000),  # > 512 KiB
        "bubbleId:c2:b8": bubble("r8", "b8", "2026-05-21T09:00:00.000Z", (-12, 8), "gpt-5"),  # negative: none
    }, {"cursorAuth/accessToken": SECRET, "cursorAuth/refreshToken": SECRET})  # fmt: skip
    workspace(home, "h1", "file:///home/dev/app%20one", ["c1"], platform)
    workspace(home, "h2", "vscode-remote://ssh-remote%2Bbox/srv/app", ["c2"], platform)
    return path


def rows(store: Store) -> list[tuple]:
    return store.conn.execute(
        "SELECT dedup_key, ts_ms, input_uncached, output, cache_read, model, model_is_fallback, is_estimate, session_id, "
        "project_path FROM usage_event WHERE source = 'cursor' ORDER BY ts_ms"
    ).fetchall()


def scan(store: Store, env: Environment) -> None:
    run_scan(store, [Cursor()], env, prices())


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_local_bubbles_are_a_flagged_lower_bound(tmp_path: Path, platform: str) -> None:
    home, store = tmp_path / "home", Store.memory()
    standard(home, platform)
    env = env_at(home, platform)
    assert Cursor().roots(env) == [user_dir(home, platform) / "globalStorage"]
    scan(store, env)
    assert rows(store) == [
        ("bubble:r1", 1_779_292_931_000, 12_000, 1_800, 0, "claude-4.5-sonnet", 0, 1, "c1", "/home/dev/app one"),
        ("bubble:b4", 1_779_293_100_000, 0, 50, 0, "claude-4.5-sonnet", 1, 1, "c1", "/home/dev/app one"),
        ("bubble:r8", 1_779_354_000_000, 0, 8, 0, "gpt-5", 0, 1, "c2", None),  # a remote workspace: no local folder
    ]
    session = store.conn.execute("SELECT first_ts_ms, last_ts_ms, project_path FROM session WHERE session_id = 'c1'").fetchone()
    assert session == (CREATED, CREATED + 600_000, "/home/dev/app one")


def test_token_counts_filled_in_later_replace_the_row(tmp_path: Path) -> None:
    home, store = tmp_path / "home", Store.memory()
    path = standard(home)
    env = env_at(home)
    scan(store, env)
    make_db(path, {"bubbleId:c1:b5": bubble("r5", "b5", "2026-05-20T16:06:00.000Z", (30_000, 900), "claude-4.5-sonnet"),
                   "bubbleId:c1:b2": bubble("r1", "b2", "2026-05-20T16:02:11.000Z", (12_500, 1_800), "claude-4.5-sonnet")})  # fmt: skip
    scan(store, env)
    scan(store, env)
    totals = store.conn.execute("SELECT count(*), sum(input_uncached), sum(output) FROM usage_event WHERE source = 'cursor'")
    assert totals.fetchone() == (4, 12_500 + 30_000, 1_800 + 50 + 8 + 900)


def test_never_reads_the_login_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every statement the reader runs is recorded: none touches cursorAuth, and ItemTable is only read by key
    in workspace databases, never in the global one."""
    home, store = tmp_path / "home", Store.memory()
    standard(home)
    statements: list[tuple[str, str]] = []
    real = cursor_module.open_readonly

    @contextmanager
    def traced(path: Path) -> Iterator[sqlite3.Connection]:
        with real(path) as conn:
            conn.set_trace_callback(lambda sql: statements.append((str(path), sql)))
            yield conn

    monkeypatch.setattr(cursor_module, "open_readonly", traced)
    scan(store, env_at(home))
    assert statements and rows(store)
    assert not [s for _, s in statements if "cursorAuth" in s or SECRET in s]
    item_reads = [(p, s) for p, s in statements if "ItemTable" in s and "sqlite_master" not in s]
    assert item_reads and all("workspaceStorage" in p and "key = 'composer.composerData'" in s for p, s in item_reads)
    assert not [s for _, s in statements if "'$.text'" in s or "richText" in s]


def test_folder_uris() -> None:
    assert folder_of("file:///home/dev/app%20one") == "/home/dev/app one"
    assert folder_of("file:///c%3A/Users/dev/app") == "c:\\Users\\dev\\app"
    assert folder_of("file://server/share/app") == "\\\\server\\share\\app"
    assert folder_of("vscode-remote://wsl%2Bubuntu/home/dev") is None
    assert folder_of(None) is None
