"""OpenCode: `opencode*.db` (v1 `message`, v2 `session_message`) and legacy JSON message files (LOG-FORMATS §3.4).

One row per assistant message (`granularity='turn'`): its `tokens` already sum every step of the
turn, so `step-finish` parts are never read for usage. Counted once across every file:

- key: the message id (`data.id`, else the row id, else the file stem), conflict `replace`: a message
  is updated in place while it streams, and the newest reading wins;
- the DB beats legacy JSON: a legacy message file whose id is in a sibling `opencode*.db` gives no
  rows (1.2.x wrote both, and the migration copied every file into the DB with the same id), and a
  DB row replaces a row an earlier scan took from the JSON copy;
- forks copy messages under new ids with the same times and tokens (tokscale#446): a copy whose
  fork fingerprint belongs to an earlier (smaller, ascending) id gives no row.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.model import Batch, Prompt, SessionInfo, ToolCall, ToolError, Tokens, UsageEvent
from desktop.sources.base import Environment, ParseContext, Stateless, bytes_hash, text_hash, walk_file_names
from desktop.sources.counts import BadCount, count
from desktop.sources.jsonish import canonical, decode, number, obj, positive_cost, text
from desktop.sources.sqlite_reader import columns, database, open_readonly, tables
from desktop.sources.timestamps import epoch_to_ms

SOURCE = "opencode"
# rows updated this long before the last watermark are read again: a writer's Date.now() can commit
# after a later one (two OpenCode processes on one DB); re-reading is harmless (replace by key)
OVERLAP_MS = 60_000
EDIT_ARGS = ("filePath", "file_path", "path")


class OpenCode:
    id = SOURCE
    name = "OpenCode"
    measured = True
    mode = "database"  # DBs are read past `time_updated`; legacy message files are parsed whole, upserted by id
    conflict = "replace"

    def data_dirs(self, env: Environment) -> list[Path]:
        # ${XDG_DATA_HOME:-~/.local/share}/opencode on every OS (xdg-basedir does not switch per platform,
        # sst/opencode packages/opencode/src/global/index.ts); OPENCODE_DATA_DIR is ccusage's comma list
        configured = env.var("OPENCODE_DATA_DIR")
        if configured:
            return [Path(part.strip()).expanduser() for part in configured.split(",") if part.strip()]
        return [env.xdg_data_home() / "opencode"]

    def roots(self, env: Environment) -> list[Path]:
        return self.data_dirs(env)

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        for root in [*self.data_dirs(env), *extra]:
            yield from database_files(root)
            yield from walk_file_names(str(root / "storage" / "message"), ".json")

    def parser(self, path: Path, state: dict[str, Any], context: ParseContext) -> Any:
        if path.name.endswith(".db"):
            return DatabaseParser(state, context)
        return MessageFileParser(context)


def database_files(folder: Path) -> list[str]:
    """`opencode.db` (latest/beta channels) and `opencode-<channel>.db` (storage/db.ts getChannelPath)."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [str(folder / n) for n in names if n.startswith("opencode") and n.endswith(".db")]


# --- one assistant message -----------------------------------------------------------------------


@dataclass
class SessionRow:
    directory: str | None = None
    parent: str | None = None
    version: str | None = None
    created: int | None = None
    updated: int | None = None


def _model(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """v1 `modelID`/`providerID`; v2 nests them as `model{id, providerID}` (tokscale opencode.rs)."""
    nested = obj(data.get("model"))
    model = text(data.get("modelID")) or text(nested.get("id"))
    provider = text(data.get("providerID")) or text(nested.get("providerID"))
    return model, provider


def _tokens(data: dict[str, Any]) -> Tokens | None:
    """Message-level tokens (message-v2.ts). Absent or all zero: not a billed turn. Raises BadCount."""
    raw = data.get("tokens")
    if not isinstance(raw, dict):
        return None
    cache = obj(raw.get("cache"))
    tokens = Tokens(
        input_uncached=count(raw.get("input")),
        cache_read=count(cache.get("read")),
        cache_write_5m=count(cache.get("write")),
        output=count(raw.get("output")),
        reasoning=count(raw.get("reasoning")),
        # AI SDK v6 writes `total` and a separate reasoning; v5 did not (LOG-FORMATS §3.4)
        reasoning_in_output="total" not in raw,
    )
    if not (tokens.input_uncached or tokens.cache_read or tokens.cache_write_5m or tokens.output or tokens.reasoning):
        return None
    return tokens


def fingerprint(data: dict[str, Any]) -> str | None:
    """Fork fingerprint (tokscale opencode.rs OpenCodeSqliteFingerprint): what a fork copies unchanged."""
    try:
        tokens = _tokens(data)
    except BadCount:
        return None
    if tokens is None:
        return None
    time = obj(data.get("time"))
    model, provider = _model(data)
    parts = (
        number(time.get("created")), number(time.get("completed")), model, provider,
        tokens.input_uncached, tokens.output, tokens.reasoning, tokens.cache_read, tokens.cache_write_5m,
        number(data.get("cost")) or 0.0, text(data.get("mode")) or text(data.get("agent")),
    )  # fmt: skip
    return hashlib.blake2b(repr(parts).encode(), digest_size=8).hexdigest()


def assistant_event(data: dict[str, Any], key: str, session_id: str | None, session: SessionRow | None,
                    offset: int = 0) -> UsageEvent | None:  # fmt: skip
    """The usage row of one assistant message, or None. Raises BadCount on nonsense counts."""
    tokens = _tokens(data)
    if tokens is None:
        return None
    created = epoch_to_ms(number(obj(data.get("time")).get("created")))
    if created is None:
        raise BadCount("assistant message without time.created")
    model, provider = _model(data)
    path = obj(data.get("path"))
    project = (session.directory if session else None) or text(path.get("cwd")) or text(path.get("root"))
    parent = session.parent if session else None
    cost = positive_cost(data.get("cost"))
    return UsageEvent(
        source=SOURCE,
        dedup_key=key,
        ts_ms=created,
        tokens=tokens,
        model=model,
        granularity="turn",
        session_id=session_id,
        parent_session_id=parent,
        agent=text(data.get("agent")) or text(data.get("mode")),
        is_sidechain=parent is not None,  # child sessions are subagents (session.parent_id)
        project_path=project,
        client_version=session.version if session else None,
        provider=provider,
        stored_cost=cost,
        stored_cost_unit="usd" if cost is not None else None,
        raw_offset=offset,
    )


def _tool_call(part: dict[str, Any], fallback_key: str, session_id: str | None, ts: int | None,
               batch: Batch) -> None:  # fmt: skip
    """A tool part once it has finished (`state.status` completed | error); pending ones come back later."""
    state = obj(part.get("state"))
    status = state.get("status")
    name = text(part.get("tool"))
    if status not in ("completed", "error") or not name:
        return
    started = epoch_to_ms(number(obj(state.get("time")).get("start")))
    when = started if started is not None else ts
    if when is None:
        return
    key = text(part.get("callID")) or fallback_key  # a fork copies parts with their callID: one call
    args = state.get("input")
    file_path = None
    if isinstance(args, dict):
        file_path = next((args[name] for name in EDIT_ARGS if isinstance(args.get(name), str)), None)
    batch.tool_calls.append(
        ToolCall(source=SOURCE, call_key=key, session_id=session_id, ts_ms=when, name=name,
                 args_hash=bytes_hash(name.encode() + b"\0" + canonical(args)), file_path=file_path)  # fmt: skip
    )
    if status == "error":
        batch.tool_errors.append(ToolError(SOURCE, key))


def _prompt(texts: list[str], created: int | None, session_id: str | None, context: ParseContext,
            batch: Batch) -> None:  # fmt: skip
    body = "\n".join(t for t in texts if t.strip())
    if not body.strip() or created is None:
        return
    digest = text_hash(body)
    # keyed by instant + text, not message id: a fork copies the user message under a new id
    batch.prompts.append(
        Prompt(source=SOURCE, prompt_key=f"{created}:{digest}", session_id=session_id, ts_ms=created,
               text_hash=digest, length=len(body), excerpt=context.excerpt(body))  # fmt: skip
    )


def _human_text(part: dict[str, Any]) -> str | None:
    """Text the user typed: `synthetic` (injected) and `ignored` parts are not prompts."""
    if part.get("type") != "text" or part.get("synthetic") or part.get("ignored"):
        return None
    value = part.get("text")
    return value if isinstance(value, str) and value.strip() else None


# --- SQLite ---------------------------------------------------------------------------------------


class DatabaseParser:
    """State: `marks` (table -> newest `time_updated` read) and `fp` (fork fingerprint -> message key)."""

    def __init__(self, state: dict[str, Any], context: ParseContext) -> None:
        self.context = context
        self.marks: dict[str, int] = dict(state.get("marks", {}))
        self.fingerprints: dict[str, str] = dict(state.get("fp", {}))
        self.record = 0

    def state(self) -> dict[str, Any]:
        return {"marks": self.marks, "fp": self.fingerprints}

    def parse_whole(self, path: Path) -> Batch:
        batch = Batch()
        with database(path) as conn:
            names = tables(conn)
            sessions = self._sessions(conn, names, batch)
            if "message" in names:
                self._messages(conn, sessions, batch)
            if "session_message" in names:
                self._session_messages(conn, sessions, batch)
            if "part" in names and "message" in names:
                self._parts(conn, batch)
        return batch

    def _since(self, conn: sqlite3.Connection, table: str, fields: str, join: str = "", where: str = "",
               alias: str = "") -> Iterator[tuple]:  # fmt: skip
        """Rows updated since the table's watermark (all rows when it has no `time_updated`)."""
        prefix = f"{alias}." if alias else ""
        has_time = "time_updated" in columns(conn, table)
        mark = self.marks.get(table)
        clauses = [where] if where else []
        params: list[Any] = []
        if has_time and mark is not None:
            clauses.append(f"{prefix}time_updated >= ?")
            params.append(mark - OVERLAP_MS)
        timed = f"{prefix}time_updated" if has_time else "NULL"
        filters = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT {fields}, {timed} FROM {table} {alias} {join}{filters} ORDER BY {prefix}id"
        newest = mark
        for row in conn.execute(sql, params):
            stamp = row[-1]
            if isinstance(stamp, (int, float)) and not isinstance(stamp, bool):
                newest = int(stamp) if newest is None else max(newest, int(stamp))
            yield row[:-1]
        if newest is not None and has_time:
            self.marks[table] = newest

    def _sessions(self, conn: sqlite3.Connection, names: set[str], batch: Batch) -> dict[str, SessionRow]:
        if "session" not in names:
            return {}
        cols = columns(conn, "session")
        pick = [c if c in cols else "NULL" for c in ("directory", "parent_id", "version", "time_created", "time_updated")]
        found: dict[str, SessionRow] = {}
        for row in conn.execute(f"SELECT id, {', '.join(pick)} FROM session"):
            sid = row[0]
            if not isinstance(sid, str):
                continue
            found[sid] = SessionRow(text(row[1]), text(row[2]), text(row[3]),
                                    epoch_to_ms(number(row[4])), epoch_to_ms(number(row[5])))  # fmt: skip
        for row in self._since(conn, "session", "id"):
            info = found.get(row[0])
            if info is None or info.created is None:
                continue
            batch.sessions.append(
                SessionInfo(source=SOURCE, session_id=row[0], ts_ms=info.created, last_ts_ms=info.updated or 0,
                            project_path=info.directory, parent_session_id=info.parent,
                            entrypoint="subagent" if info.parent else None, client_version=info.version)  # fmt: skip
            )
        return found

    def _counted(self, data: dict[str, Any], key: str) -> bool:
        """False for a fork copy: its fingerprint already belongs to another message (first seen by id)."""
        fp = fingerprint(data)
        if fp is None:
            return True
        owner = self.fingerprints.setdefault(fp, key)
        return owner == key

    def _add(self, data: Any, key: str, session_id: str | None, sessions: dict[str, SessionRow], batch: Batch) -> None:
        try:
            if not isinstance(data, dict):
                raise ValueError("message data is not an object")
            event = assistant_event(data, key, session_id, sessions.get(session_id or ""), self.record)
        except (BadCount, ValueError):
            batch.skipped_lines.append(self.record)
            return
        if event is not None and self._counted(data, key):
            batch.events.append(event)

    def _messages(self, conn: sqlite3.Connection, sessions: dict[str, SessionRow], batch: Batch) -> None:
        """v1 `message(id, session_id, time_created, time_updated, data)`; data lacks id and sessionID."""
        for row_id, session_id, raw in self._since(conn, "message", "id, session_id, data"):
            self.record += 1
            try:
                data = decode(raw)
            except ValueError:
                batch.skipped_lines.append(self.record)
                continue
            if not isinstance(data, dict) or data.get("role") != "assistant":
                continue
            key = text(data.get("id")) or str(row_id)
            self._add(data, key, text(session_id) or text(data.get("sessionID")), sessions, batch)

    def _session_messages(self, conn: sqlite3.Connection, sessions: dict[str, SessionRow], batch: Batch) -> None:
        """v2 `session_message(id, session_id, type, data)` (tokscale opencode.rs; opencode-next.db)."""
        for row_id, session_id, kind, raw in self._since(conn, "session_message", "id, session_id, type, data"):
            self.record += 1
            if kind != "assistant":
                continue
            try:
                data = decode(raw)
            except ValueError:
                batch.skipped_lines.append(self.record)
                continue
            key = text(obj(data).get("id")) or str(row_id)
            self._add(data, key, text(session_id), sessions, batch)

    def _parts(self, conn: sqlite3.Connection, batch: Batch) -> None:
        """Prompts (text parts of user messages) and finished tool calls; never step-finish tokens."""
        join = "LEFT JOIN message m ON m.id = p.message_id"
        try:
            conn.execute("SELECT json_valid('{}'), json_remove('{}', '$.a')").fetchone()
            json_ok = True
        except sqlite3.OperationalError:  # an SQLite without JSON functions: filter here instead
            json_ok = False
        if json_ok:  # tool output stays in the database: only the call is needed
            slim = "CASE WHEN json_valid(p.data) THEN json_remove(p.data, '$.state.output', '$.state.metadata') ELSE p.data END"
            kind = "(CASE WHEN json_valid(p.data) THEN json_extract(p.data, '$.type') END) IN ('text', 'tool')"
            rows = self._since(conn, "part", f"p.id, p.message_id, p.session_id, {slim}, m.data", join, kind, alias="p")
        else:
            rows = self._since(conn, "part", "p.id, p.message_id, p.session_id, p.data, m.data", join, alias="p")
        prompts: dict[str, tuple[list[str], int | None, str | None]] = {}
        for part_id, message_id, session_id, raw, message_raw in rows:
            try:
                part = obj(decode(raw))
                message = obj(decode(message_raw)) if message_raw is not None else {}
            except ValueError:
                continue
            created = epoch_to_ms(number(obj(message.get("time")).get("created")))
            if part.get("type") == "tool":
                _tool_call(part, str(part_id), text(session_id), created, batch)
            elif message.get("role") == "user":
                typed = _human_text(part)
                if typed is not None:
                    entry = prompts.setdefault(str(message_id), ([], created, text(session_id)))
                    entry[0].append(typed)
        for texts, created, session_id in prompts.values():
            _prompt(texts, created, session_id, self.context, batch)


# --- legacy JSON storage (< v1.2) -----------------------------------------------------------------

# message ids of the DBs beside a legacy store: {data dir: (DB signatures, ids)}; refreshed when a DB changes
_DB_IDS: dict[str, tuple[tuple[tuple[str, tuple[int, int]], ...], frozenset[str]]] = {}
_INDEXES: dict[str, LegacyIndex] = {}


def _db_signature(path: str) -> tuple[int, int]:
    size, mtime = 0, 0
    for name in (path, path + "-wal"):
        try:
            st = os.stat(name)
        except OSError:
            continue
        size, mtime = size + st.st_size, max(mtime, st.st_mtime_ns)
    return size, mtime


def database_message_ids(data_dir: Path) -> frozenset[str]:
    """Every message id any `opencode*.db` of this data dir holds (v1 and v2 tables); cached per
    process until one of those databases changes (one legacy file after another asks)."""
    dbs = database_files(data_dir)
    signatures = tuple((db, _db_signature(db)) for db in dbs)
    cached = _DB_IDS.get(str(data_dir))
    if cached is not None and cached[0] == signatures:
        return cached[1]
    found: set[str] = set()
    for db in dbs:
        try:
            with open_readonly(Path(db)) as conn:
                names = tables(conn)
                for table in ("message", "session_message"):
                    if table in names:
                        found.update(r[0] for r in conn.execute(f"SELECT id FROM {table}") if isinstance(r[0], str))
        except (sqlite3.Error, OSError):
            continue
    ids = frozenset(found)
    _DB_IDS[str(data_dir)] = (signatures, ids)
    return ids


def _message_key(data: dict[str, Any], path: Path) -> str:
    return text(data.get("id")) or path.stem


class LegacyIndex:
    """Fork fingerprints of every legacy message file of one store, so a copy finds its original.

    Refreshed (stat-only for unchanged files) whenever a file to parse is new or changed to it; the
    smallest message id with a fingerprint owns it (ids ascend with creation, originals come first)."""

    def __init__(self, message_dir: Path) -> None:
        self.message_dir = message_dir
        self.files: dict[str, tuple[int, int, str | None, str]] = {}
        self.owners: dict[str, str] = {}

    def owner(self, path: Path, st: os.stat_result, fp: str) -> str | None:
        known = self.files.get(str(path))
        if known is None or known[:2] != (st.st_size, st.st_mtime_ns):
            self.refresh()
        return self.owners.get(fp)

    def refresh(self) -> None:
        files: dict[str, tuple[int, int, str | None, str]] = {}
        for name in walk_file_names(str(self.message_dir), ".json"):
            try:
                st = os.stat(name)
            except OSError:
                continue
            known = self.files.get(name)
            if known is not None and known[:2] == (st.st_size, st.st_mtime_ns):
                files[name] = known
                continue
            try:
                data = obj(decode(Path(name).read_bytes()))
            except (OSError, ValueError):
                continue
            fp = fingerprint(data) if data.get("role") == "assistant" else None
            files[name] = (st.st_size, st.st_mtime_ns, fp, _message_key(data, Path(name)))
        owners: dict[str, str] = {}
        for _size, _mtime, fp, key in files.values():
            if fp is not None and (fp not in owners or key < owners[fp]):
                owners[fp] = key
        self.files, self.owners = files, owners


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return obj(decode(path.read_bytes()))
    except (OSError, ValueError):
        return {}


class MessageFileParser(Stateless):
    """`storage/message/<sessionID>/<messageID>.json`, rewritten while the message streams."""

    def parse_whole(self, path: Path) -> Batch:
        batch = Batch()
        raw = path.read_bytes()
        st = os.stat(path)
        try:
            data = decode(raw)
        except ValueError:
            batch.skipped_lines.append(1)
            return batch
        if not isinstance(data, dict):
            batch.skipped_lines.append(1)
            return batch
        message_dir = path.parent.parent
        storage = message_dir.parent if message_dir.name == "message" else None
        key = _message_key(data, path)
        if storage is not None and key in database_message_ids(storage.parent):
            return batch  # the DB holds this message: it alone counts
        session_id = text(data.get("sessionID")) or path.parent.name
        session = _legacy_session(storage, session_id) if storage is not None else None
        role = data.get("role")
        if role == "assistant":
            try:
                event = assistant_event(data, key, session_id, session)
            except BadCount:
                batch.skipped_lines.append(1)
                return batch
            if event is not None:
                fp = fingerprint(data)
                index = _INDEXES.setdefault(str(message_dir), LegacyIndex(message_dir))
                owner = index.owner(path, st, fp) if fp is not None and storage is not None else None
                if owner is None or owner == key:
                    batch.events.append(event)
            created = epoch_to_ms(number(obj(data.get("time")).get("created")))
            if storage is not None:
                for part_path, part in _parts(storage, key):
                    if part.get("type") == "tool":
                        _tool_call(part, part_path.stem, session_id, created, batch)
        elif role == "user" and storage is not None:
            texts = [t for _p, part in _parts(storage, key) if (t := _human_text(part)) is not None]
            _prompt(texts, epoch_to_ms(number(obj(data.get("time")).get("created"))), session_id, self.context, batch)
        if session is not None and session.created is not None:
            batch.sessions.append(
                SessionInfo(source=SOURCE, session_id=session_id, ts_ms=session.created,
                            last_ts_ms=session.updated or 0, project_path=session.directory,
                            parent_session_id=session.parent, entrypoint="subagent" if session.parent else None,
                            client_version=session.version)  # fmt: skip
            )
        return batch


def _parts(storage: Path, message_id: str) -> list[tuple[Path, dict[str, Any]]]:
    folder = storage / "part" / message_id
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [(folder / n, _read_json(folder / n)) for n in names if n.endswith(".json")]


def _legacy_session(storage: Path, session_id: str) -> SessionRow | None:
    """`storage/session/<projectID>/<sessionID>.json` (json-migration.ts globs)."""
    try:
        projects = sorted(os.listdir(storage / "session"))
    except OSError:
        return None
    for project in projects:
        candidate = storage / "session" / project / f"{session_id}.json"
        if candidate.is_file():
            data = _read_json(candidate)
            times = obj(data.get("time"))
            return SessionRow(text(data.get("directory")), text(data.get("parentID")), text(data.get("version")),
                              epoch_to_ms(number(times.get("created"))), epoch_to_ms(number(times.get("updated"))))  # fmt: skip
    return None

