"""Cursor's local `state.vscdb`: a lower bound on tokens, flagged as an estimate (LOG-FORMATS §3.15).

The global `User/globalStorage/state.vscdb` is a live SQLite key-value store. It is opened read-only
(`open_readonly`: mode=ro + query_only, or a copy) and only these values are read:

- `cursorDiskKV['bubbleId:<composer>:<bubble>']`: `$.requestId`, `$.bubbleId`, `$.createdAt`,
  `$.modelInfo.modelName`, `$.tokenCount.inputTokens`, `$.tokenCount.outputTokens`, extracted in
  SQLite with `json_extract` (as tokscale sessions/cursorcli.rs does), from values up to 512 KiB, so
  the bubble's text never reaches Python;
- `cursorDiskKV['composerData:<composer>']`: `$.createdAt`, `$.lastUpdatedAt`, `$.modelConfig.modelName`;
- each workspace's `workspaceStorage/<hash>/state.vscdb` `ItemTable['composer.composerData']` (which
  composers ran there) and `workspace.json` (`folder`), for the project.

Nothing else: not `ItemTable` of the global DB, where Cursor keeps its login token (`cursorAuth/*`),
and no request is ever made (§2.9). The real numbers come from the dashboard's usage CSV, imported by
hand (`desktop.cursor_csv`); imported rows replace these for the span they cover.

One row per request: key `bubble:<requestId>`, else `bubble:<bubbleId>`, conflict `replace` because
Cursor fills `tokenCount` in after the fact (by polling its server; without a `usageUuid` it stays
{0, 0}). Bubbles of one request are merged taking the largest count of each side, which stays a
lower bound whether Cursor repeats a request's count on its bubbles or splits it. Bubbles without
tokens are not rows. No cache split, cost or reasoning exists locally: `is_estimate = 1`.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from desktop.model import Batch, SessionInfo, Tokens, UsageEvent
from desktop.sources.base import Environment, ParseContext, Stateless, named_files
from desktop.sources.counts import BadCount, count
from desktop.sources.jsonish import decode, number, obj, seq, text
from desktop.sources.sqlite_reader import database, open_readonly, tables
from desktop.sources.timestamps import epoch_to_ms, iso_to_ms

SOURCE = "cursor"
DB_NAME = "state.vscdb"
MAX_BUBBLE_BYTES = 512 * 1024  # tokscale MAX_CURSOR_BUBBLE_JSON_BYTES: larger values are mostly text
MAX_COMPOSER_BYTES = 8 << 20  # old composers hold their whole conversation inline
_DRIVE = re.compile(r"^/[A-Za-z]:")
MAX_MS = 10**14  # year 5138: a larger time is a corrupt field (SQLite integers overflow past 9.2e18)

_BUBBLES = """
SELECT key, json_extract(v, '$.requestId'), json_extract(v, '$.bubbleId'), json_extract(v, '$.createdAt'),
       json_extract(v, '$.modelInfo.modelName'), json_extract(v, '$.tokenCount.inputTokens'),
       json_extract(v, '$.tokenCount.outputTokens')
FROM (SELECT key, CAST(value AS TEXT) AS v FROM cursorDiskKV
      WHERE key >= 'bubbleId:' AND key < 'bubbleId;' AND length(value) <= ?)
WHERE json_valid(v)
"""
_COMPOSERS = """
SELECT substr(key, 14), json_extract(v, '$.createdAt'), json_extract(v, '$.lastUpdatedAt'),
       json_extract(v, '$.modelConfig.modelName')
FROM (SELECT key, CAST(value AS TEXT) AS v FROM cursorDiskKV
      WHERE key >= 'composerData:' AND key < 'composerData;' AND length(value) <= ?)
WHERE json_valid(v)
"""


def user_dir(env: Environment) -> Path:
    """`<config>/Cursor/User`: %APPDATA%, ~/Library/Application Support or ${XDG_CONFIG_HOME:-~/.config}
    (tokentop agent-cursor/src/paths.ts; vibe-usage src/parsers/cursor.js)."""
    return env.app_support() / "Cursor" / "User"


class Cursor:
    id = SOURCE
    name = "Cursor"
    measured = False  # the local store is a lower bound; measured rows come only from an imported CSV
    note = ("local figures are a lower bound (often 0); for the real numbers download the usage CSV from Cursor's "
            "dashboard and run `tokenmirror import cursor-csv FILE`")
    mode = "database"
    conflict = "replace"  # tokenCount is filled in later: the newest reading wins

    def roots(self, env: Environment) -> list[Path]:
        return [user_dir(env) / "globalStorage"]

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        yield from named_files(self.roots(env), [], DB_NAME)
        for path in named_files([], extra, DB_NAME):
            if os.path.basename(os.path.dirname(path)) == "globalStorage":
                yield path

    def parser(self, path: Path, state: dict[str, Any], context: ParseContext) -> CursorParser:
        return CursorParser(context)


@dataclass
class _Request:
    key: str
    composer: str | None
    ts_ms: int
    model: str | None
    input: int
    output: int
    offset: int


@dataclass
class _Composer:
    created: int | None
    updated: int | None
    model: str | None


def _when(value: Any) -> int | None:
    if isinstance(value, str):
        ms = iso_to_ms(value.strip())
    else:
        found = number(value)
        ms = epoch_to_ms(found) if found is not None else None
    return ms if ms is not None and 0 <= ms < MAX_MS else None


def _tokens(value: Any) -> int:
    """A count as the bubble holds it; a negative one is taken as none (tokscale clamps it to 0)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
        return 0
    return count(value)


class CursorParser(Stateless):
    def parse_whole(self, path: Path) -> Batch:
        batch = Batch()
        with database(path) as conn:
            if "cursorDiskKV" not in tables(conn):
                return batch
            composers = self._composers(conn)
            requests = self._requests(conn, batch)
        projects = workspace_projects(path.parent.parent / "workspaceStorage") if requests else {}
        spans: dict[str, list[int]] = {}
        for request in requests.values():
            composer = composers.get(request.composer or "")
            model, fallback = request.model, False
            if model is None and composer is not None and composer.model:
                model, fallback = composer.model, True  # the composer's configured model, not the bubble's
            batch.events.append(
                UsageEvent(source=SOURCE, dedup_key=request.key, ts_ms=request.ts_ms,
                           tokens=Tokens(input_uncached=request.input, output=request.output), model=model,
                           model_is_fallback=fallback, session_id=request.composer,
                           project_path=projects.get(request.composer or ""), is_estimate=True,
                           raw_offset=request.offset)  # fmt: skip
            )
            if request.composer:
                span = spans.setdefault(request.composer, [request.ts_ms, request.ts_ms])
                span[0], span[1] = min(span[0], request.ts_ms), max(span[1], request.ts_ms)
        for composer_id, (first, last) in spans.items():
            composer = composers.get(composer_id)
            created = composer.created if composer and composer.created is not None else first
            updated = composer.updated if composer and composer.updated is not None else last
            batch.sessions.append(SessionInfo(source=SOURCE, session_id=composer_id, ts_ms=min(created, first),
                                              last_ts_ms=max(updated, last), project_path=projects.get(composer_id)))  # fmt: skip
        return batch

    def _composers(self, conn: sqlite3.Connection) -> dict[str, _Composer]:
        found = {}
        for composer_id, created, updated, model in conn.execute(_COMPOSERS, (MAX_COMPOSER_BYTES,)):
            if isinstance(composer_id, str):
                found[composer_id] = _Composer(_when(created), _when(updated), text(model))
        return found

    def _requests(self, conn: sqlite3.Connection, batch: Batch) -> dict[str, _Request]:
        found: dict[str, _Request] = {}
        for index, (key, request_id, bubble_id, created, model, tokens_in, tokens_out) in enumerate(
            conn.execute(_BUBBLES, (MAX_BUBBLE_BYTES,)), start=1
        ):
            try:
                tokens = (_tokens(tokens_in), _tokens(tokens_out))
            except BadCount:
                batch.skipped_lines.append(index)
                continue
            if not any(tokens):
                continue  # no usageUuid, or not polled yet: nothing to count (LOG-FORMATS §5 row 45)
            ts = _when(created)
            if ts is None:
                batch.skipped_lines.append(index)
                continue
            parts = str(key).split(":")
            composer = parts[1] if len(parts) >= 3 and parts[1] else None
            dedup = f"bubble:{text(request_id) or text(bubble_id) or (parts[-1] if len(parts) >= 3 else key)}"
            current = found.get(dedup)
            if current is None:
                found[dedup] = _Request(dedup, composer, ts, text(model), tokens[0], tokens[1], index)
                continue
            current.input, current.output = max(current.input, tokens[0]), max(current.output, tokens[1])
            current.ts_ms = min(current.ts_ms, ts)
            current.model = current.model or text(model)
        return found


def workspace_projects(folder: Path) -> dict[str, str]:
    """composerId -> the workspace folder it ran in, from `workspaceStorage/<hash>/`."""
    found: dict[str, str] = {}
    try:
        entries = sorted(os.listdir(folder))
    except OSError:
        return found
    for name in entries:
        workspace = folder / name
        try:
            project = folder_of(text(obj(decode((workspace / "workspace.json").read_bytes())).get("folder")))
        except (OSError, ValueError):
            continue
        if project is None or not (workspace / DB_NAME).is_file():
            continue
        try:
            with open_readonly(workspace / DB_NAME) as conn:
                if "ItemTable" not in tables(conn):
                    continue
                row = conn.execute("SELECT value FROM ItemTable WHERE key = 'composer.composerData'").fetchone()
        except sqlite3.DatabaseError:
            continue
        if row is None:
            continue
        try:
            data = obj(decode(row[0]))
        except ValueError:
            continue
        for composer in map(obj, seq(data.get("allComposers"))):
            composer_id = text(composer.get("composerId"))
            if composer_id:
                found.setdefault(composer_id, project)
    return found


def folder_of(uri: str | None) -> str | None:
    """`file:///home/dev/app` -> `/home/dev/app`; `file:///c%3A/dev/app` -> `c:\\dev\\app`; remote -> None."""
    if not uri:
        return None
    parts = urlsplit(uri)
    if parts.scheme != "file":
        return None  # vscode-remote://, a multi-root .code-workspace: no local folder to name
    path = unquote(parts.path)
    if parts.netloc:
        return "\\\\" + parts.netloc + path.replace("/", "\\")  # a UNC share
    if _DRIVE.match(path):
        return path[1:].replace("/", "\\")
    return path or None
