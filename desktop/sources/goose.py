"""Goose `sessions.db`: the `usage_ledger` (one row per call) past the last id; pre-ledger sessions
through their `accumulated_*` counters as snapshot deltas (LOG-FORMATS §3.9, §2.6).

One surface per session, never both: a session with ledger rows counts by its ledger only; a session
without any (it predates schema v15 and was not used since) counts by `accumulated_*`. When such a
session is resumed, Goose back-fills `accumulated - SUM(ledger)` as a `carried_forward` ledger row
(block/goose crates/goose/src/session/session_manager.rs record_usage_metrics); the part of it that
the counters already gave is subtracted, so the switch of surface adds nothing twice.
`sessions.total_tokens` / `input_tokens` / `output_tokens` hold the last turn only and are never read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from desktop.model import Batch, Prompt, SessionInfo, ToolCall, ToolError, Tokens, UsageEvent
from desktop.sources.base import Environment, ParseContext, bytes_hash, named_files, text_hash
from desktop.sources.counts import BadCount, count
from desktop.sources.cumulative import Snapshots
from desktop.sources.jsonish import canonical, decode, number, obj, positive_cost, seq, text
from desktop.sources.sqlite_reader import columns, database, tables
from desktop.sources.timestamps import epoch_to_ms, iso_to_ms

SOURCE = "goose"
DB_NAME = "sessions.db"
LEDGER_FIELDS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cost")
ACCUMULATED = ("accumulated_input_tokens", "accumulated_output_tokens", "accumulated_cache_read_tokens",
               "accumulated_cache_write_tokens", "accumulated_cost")  # fmt: skip
SESSION_FIELDS = ("working_dir", "parent_session_id", "session_type", "created_at", "updated_at",
                  "provider_name", "model_config_json")  # fmt: skip


class Goose:
    id = SOURCE
    name = "Goose"
    measured = True
    mode = "database"
    conflict = "first"  # ledger rows never change; a snapshot delta is only emitted once

    def session_dirs(self, env: Environment) -> list[Path]:
        # ccusage adapter/goose/paths.rs; tokscale sessions/goose.rs
        root = env.var("GOOSE_PATH_ROOT")
        if root:
            return [Path(root).expanduser() / "data" / "sessions"]
        data = env.xdg_data_home()
        if env.platform == "win32":
            appdata = Path(env.var("APPDATA") or env.home / "AppData" / "Roaming")
            return [appdata / "Block" / "goose" / "data" / "sessions"]  # [unverified] LOG-FORMATS §3.9
        if env.platform == "darwin":
            return [env.app_support() / "goose" / "sessions", data / "goose" / "sessions"]
        return [data / "goose" / "sessions", data / "Block" / "goose" / "sessions"]

    def roots(self, env: Environment) -> list[Path]:
        return self.session_dirs(env)

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        yield from named_files(self.session_dirs(env), extra, DB_NAME)

    def parser(self, path: Path, state: dict[str, Any], context: ParseContext) -> GooseParser:
        return GooseParser(state, context)


class _Session:
    def __init__(self, row: dict[str, Any]) -> None:
        self.project = text(row.get("working_dir"))
        self.parent = text(row.get("parent_session_id"))
        self.kind = text(row.get("session_type"))
        self.created = _when(row.get("created_at"))
        self.updated = _when(row.get("updated_at"))
        self.provider = text(row.get("provider_name"))
        try:
            config = obj(decode(row.get("model_config_json"))) if row.get("model_config_json") else {}
        except ValueError:
            config = {}
        self.model = text(config.get("model_name"))
        self.counters = [row.get(name) for name in ACCUMULATED]


def _when(value: Any) -> int | None:
    """`TIMESTAMP DEFAULT CURRENT_TIMESTAMP` text (UTC), or epoch seconds / ms."""
    if isinstance(value, str):
        found = iso_to_ms(value.strip())
        if found is not None:
            return found
        value = number(float(value)) if value.strip().replace(".", "", 1).isdigit() else None
    return epoch_to_ms(number(value))


class GooseParser:
    """State: `ledger` (last ledger id), `messages` (last messages id), `snap` (accumulated_* per
    pre-ledger session), `carry` (what those counters already gave, per session moved to the ledger)."""

    def __init__(self, state: dict[str, Any], context: ParseContext) -> None:
        self.context = context
        self.ledger_id = int(state.get("ledger", 0))
        self.message_id = int(state.get("messages", 0))
        self.snapshots = Snapshots(state.get("snap"))
        self.carry: dict[str, list[float]] = dict(state.get("carry", {}))
        self.record = 0

    def state(self) -> dict[str, Any]:
        return {"ledger": self.ledger_id, "messages": self.message_id, "snap": self.snapshots.state(), "carry": self.carry}

    def parse_whole(self, path: Path) -> Batch:
        batch = Batch()
        self._read(path, batch)
        return batch

    def _read(self, path: Path, batch: Batch) -> None:
        with database(path) as conn:  # damaged or not a database: reported unreadable, tried again later
            names = tables(conn)
            sessions = self._sessions(conn, names)
            on_ledger: set[str] = set()
            if "usage_ledger" in names:
                on_ledger = {r[0] for r in conn.execute("SELECT DISTINCT session_id FROM usage_ledger")}
                for sid in on_ledger:
                    if self.snapshots.known(sid):  # moved to the ledger: its counters stop, their total is carried
                        baseline = self.snapshots.baseline(sid) or []
                        self.carry[sid] = [float(v or 0) for v in baseline]
                        self.snapshots.forget(sid)
                self._ledger(conn, sessions, batch)
            self._accumulated(sessions, on_ledger, batch)
            if "messages" in names:
                self._messages(conn, batch)
        for sid, info in sessions.items():
            if info.created is not None:
                batch.sessions.append(
                    SessionInfo(source=SOURCE, session_id=sid, ts_ms=info.created, last_ts_ms=info.updated or 0,
                                project_path=info.project, parent_session_id=info.parent,
                                entrypoint=info.kind)  # fmt: skip
                )

    def _sessions(self, conn: sqlite3.Connection, names: set[str]) -> dict[str, _Session]:
        if "sessions" not in names:
            return {}
        cols = columns(conn, "sessions")
        wanted = [c for c in (*SESSION_FIELDS, *ACCUMULATED) if c in cols]
        found: dict[str, _Session] = {}
        for row in conn.execute(f"SELECT id{''.join(', ' + c for c in wanted)} FROM sessions"):
            if isinstance(row[0], str):
                found[row[0]] = _Session(dict(zip(wanted, row[1:])))
        return found

    def _ledger(self, conn: sqlite3.Connection, sessions: dict[str, _Session], batch: Batch) -> None:
        cols = columns(conn, "usage_ledger")
        wanted = [c if c in cols else "NULL" for c in ("session_id", "created_timestamp", "model", *LEDGER_FIELDS, "cost_source")]
        rows = conn.execute(f"SELECT id, {', '.join(wanted)} FROM usage_ledger WHERE id > ? ORDER BY id", (self.ledger_id,))
        for row in rows:
            self.record += 1
            ledger_id, sid, created, model, *values, source_kind = row
            self.ledger_id = max(self.ledger_id, int(ledger_id))
            try:
                event = self._ledger_event(ledger_id, sid, created, model, values, source_kind, sessions)
            except (BadCount, ValueError, TypeError):
                batch.skipped_lines.append(self.record)
                continue
            if event is not None:
                batch.events.append(event)

    def _ledger_event(self, ledger_id: int, sid: Any, created: Any, model: Any, values: list[Any],
                      source_kind: Any, sessions: dict[str, _Session]) -> UsageEvent | None:  # fmt: skip
        sid = text(sid) or "?"
        ts = _when(created)
        if ts is None:
            raise ValueError("ledger row without created_timestamp")
        tokens = [count(v) for v in values[:4]]
        cost = number(values[4])
        carried = source_kind == "carried_forward"  # back-fill of accumulated - SUM(ledger): kept
        if carried and sid in self.carry:
            tokens, cost = self._net_of_counters(sid, tokens, cost)
        if not any(tokens):
            return None
        info = sessions.get(sid)
        stored = positive_cost(cost)
        return UsageEvent(
            source=SOURCE,
            dedup_key=f"{sid}:ledger:{ledger_id}",
            ts_ms=ts,
            tokens=Tokens(input_uncached=tokens[0], output=tokens[1], cache_read=tokens[2], cache_write_5m=tokens[3]),
            model=text(model) or (info.model if info else None),  # carried_forward rows have no model
            granularity="session" if carried else "call",
            session_id=sid,
            parent_session_id=info.parent if info else None,
            agent=info.kind if info and info.kind == "sub_agent" else None,
            is_sidechain=bool(info and info.kind == "sub_agent"),
            project_path=info.project if info else None,
            provider=info.provider if info else None,
            stored_cost=stored,
            stored_cost_unit="usd" if stored is not None else None,
            raw_offset=int(ledger_id),
        )

    def _net_of_counters(self, sid: str, tokens: list[int], cost: float | None) -> tuple[list[int], float | None]:
        """A carried_forward row repeats what the counters already gave: subtract it once."""
        given = self.carry.pop(sid)
        net = [max(t - int(g), 0) for t, g in zip(tokens, given[:4])]
        left = [max(int(g) - t, 0) for t, g in zip(tokens, given[:4])]
        given_cost = given[4] if len(given) > 4 else 0.0
        net_cost = None if cost is None else max(cost - given_cost, 0.0)
        if any(left):
            self.carry[sid] = [*left, max(given_cost - (cost or 0.0), 0.0)]  # more back-fill may follow
        return net, net_cost

    def _accumulated(self, sessions: dict[str, _Session], on_ledger: set[str], batch: Batch) -> None:
        for sid, info in sessions.items():
            if sid in on_ledger:
                continue
            self.record += 1
            try:
                counters = [count(v) for v in info.counters[:4]]
            except BadCount:
                batch.skipped_lines.append(self.record)
                continue
            cost = number(info.counters[4]) or 0.0
            ts = info.updated or info.created
            if ts is None or not any(counters):
                continue
            # history before the first scan is dated at the session's start, as ccusage and tokscale do
            delta = self.snapshots.observe(sid, [*counters, cost], ts, start_ms=info.created)
            if delta is None:
                continue
            d_in, d_out, d_read, d_write, d_cost = delta.values
            stored = positive_cost(d_cost)
            batch.events.append(
                UsageEvent(
                    source=SOURCE,
                    dedup_key=f"{sid}:{delta.key_ts}",
                    ts_ms=delta.ts_ms,
                    tokens=Tokens(input_uncached=int(d_in), output=int(d_out), cache_read=int(d_read),
                                  cache_write_5m=int(d_write)),  # fmt: skip
                    model=info.model,
                    granularity="session",
                    session_id=sid,
                    parent_session_id=info.parent,
                    is_sidechain=info.kind == "sub_agent",
                    project_path=info.project,
                    provider=info.provider,
                    stored_cost=stored,
                    stored_cost_unit="usd" if stored is not None else None,
                )
            )

    def _messages(self, conn: sqlite3.Connection, batch: Batch) -> None:
        """Prompts (user text) and tool calls (toolRequest / toolResponse) from `messages.content_json`."""
        cols = columns(conn, "messages")
        wanted = [c if c in cols else "NULL" for c in ("message_id", "session_id", "role", "content_json", "created_timestamp", "metadata_json")]
        rows = conn.execute(f"SELECT id, {', '.join(wanted)} FROM messages WHERE id > ? ORDER BY id", (self.message_id,))
        for row_id, message_id, sid, role, content_raw, created, meta_raw in rows:
            self.message_id = max(self.message_id, int(row_id))
            ts = _when(created)
            try:
                content = seq(decode(content_raw))
                meta = obj(decode(meta_raw)) if meta_raw else {}
            except ValueError:
                continue
            if ts is None:
                continue
            sid = text(sid)
            if role == "user":
                if meta.get("userVisible") is False:
                    continue  # context injected for the agent only
                texts = [item.get("text") for item in map(obj, content) if item.get("type") == "text"]
                body = "\n".join(t for t in texts if isinstance(t, str) and t.strip())
                if body.strip():
                    digest = text_hash(body)
                    batch.prompts.append(
                        Prompt(source=SOURCE, prompt_key=f"{sid}:{text(message_id) or row_id}", session_id=sid,
                               ts_ms=ts, text_hash=digest, length=len(body), excerpt=self.context.excerpt(body))  # fmt: skip
                    )
            for item in map(obj, content):
                kind = item.get("type")
                call_id = text(item.get("id"))
                if kind == "toolRequest" and call_id:
                    value = obj(obj(item.get("toolCall")).get("value"))
                    name = text(value.get("name"))
                    if name:
                        args = value.get("arguments")
                        path = obj(args).get("path")
                        batch.tool_calls.append(
                            ToolCall(source=SOURCE, call_key=call_id, session_id=sid, ts_ms=ts, name=name,
                                     args_hash=bytes_hash(name.encode() + b"\0" + canonical(args)),
                                     file_path=path if isinstance(path, str) else None)  # fmt: skip
                        )
                elif kind == "toolResponse" and call_id:
                    if obj(item.get("toolResult")).get("status") == "error":
                        batch.tool_errors.append(ToolError(SOURCE, call_id))
