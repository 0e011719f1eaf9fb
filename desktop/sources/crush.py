"""Crush (`charmbracelet/crush`): cost per session only; its tokens are not imported (LOG-FORMATS §3.16).

Each project has its own `<project>/.crush/crush.db`, listed in the global `projects.json`
(`{"projects": [{path, data_dir, last_accessed}]}`, internal/projects/projects.go). Its `sessions`
table holds a running `cost` per session (`session.Cost += cost`, internal/agent/agent.go
updateSessionUsage), while `prompt_tokens` / `completion_tokens` are overwritten with the last
step's figures (updateSessionTokenCounters), so they are never read: every row has zero tokens and
the cost Crush stored, in USD. A sub-agent's cost is added to its parent's
(internal/agent/coordinator.go updateParentSessionCost), so only root sessions are read.

The running cost becomes snapshot deltas (desktop.sources.cumulative): one `granularity='session'`
row per session and observation, key `<session>:<observed ts>`, conflict `first`. The history
before the first scan is dated at the session's creation.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from desktop.model import Batch, SessionInfo, Tokens, UsageEvent
from desktop.sources._jsonl_common import expand, unique
from desktop.sources.base import Environment, ParseContext, named_files
from desktop.sources.cumulative import Snapshots
from desktop.sources.jsonish import decode, number, obj, seq, text
from desktop.sources.sqlite_reader import columns, database, tables
from desktop.sources.timestamps import epoch_to_ms

SOURCE = "crush"
DB_NAME = "crush.db"
NANO = 1_000_000_000  # costs are compared in nano-dollars: exact integer deltas, no float residue


def global_data_dir(env: Environment) -> Path:
    """CRUSH_GLOBAL_DATA > XDG_DATA_HOME/crush > %LOCALAPPDATA%\\crush (Windows) > ~/.local/share/crush
    (charmbracelet/crush internal/config/load.go GlobalConfigData; projects.json sits beside crush.json)."""
    explicit = env.var("CRUSH_GLOBAL_DATA")
    if explicit and explicit.strip():
        return expand(env, explicit.strip())
    if env.var("XDG_DATA_HOME"):
        return env.xdg_data_home() / "crush"
    if env.platform == "win32":
        return Path(env.var("LOCALAPPDATA") or env.home / "AppData" / "Local") / "crush"
    return env.home / ".local" / "share" / "crush"


def projects(env: Environment) -> dict[str, str]:
    """Data dir -> project path, as Crush registered them."""
    try:
        listing = obj(decode((global_data_dir(env) / "projects.json").read_bytes()))
    except (OSError, ValueError):
        return {}
    found: dict[str, str] = {}
    for entry in map(obj, seq(listing.get("projects"))):
        data_dir, path = text(entry.get("data_dir")), text(entry.get("path"))
        if data_dir and path:
            found[os.path.normpath(data_dir)] = path
    return found


def _when(value: Any) -> int | None:
    """Unix seconds as Crush writes them (ms tolerated); None when absent or beyond any real date."""
    ms = epoch_to_ms(number(value))
    return ms if ms is not None and 0 < ms < 10**14 else None


class Crush:
    id = SOURCE
    name = "Crush"
    measured = True  # the cost is what Crush computed and stored; the tokens are not recorded at all
    tokens_recorded = False
    note = "cost only: Crush overwrites its token counters every step; rows carry its stored cost and 0 tokens"
    mode = "database"
    conflict = "first"  # one delta per observation; its key never comes back with other numbers

    def __init__(self) -> None:
        self.project_of: dict[str, str] | None = None  # set by discover(); a worker process reads its own

    def roots(self, env: Environment) -> list[Path]:
        return unique([global_data_dir(env), *(Path(d) for d in projects(env))])

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        self.project_of = projects(env)
        yield from named_files(self.roots(env), extra, DB_NAME)

    def parser(self, path: Path, state: dict[str, Any], context: ParseContext) -> CrushParser:
        known = self.project_of if self.project_of is not None else projects(Environment.current())
        # the project is the path Crush registered for this data dir, never a name decoded from the folder
        return CrushParser(state, known.get(os.path.normpath(str(path.parent))))


class CrushParser:
    """State: `snap` (last cost per root session, in nano-dollars) and `since` (session -> unix second of
    the last delta, from which the next delta's model is looked up)."""

    def __init__(self, state: dict[str, Any], project: str | None) -> None:
        self.snapshots = Snapshots(state.get("snap"))
        self.since: dict[str, int] = dict(state.get("since", {}))
        self.project = project

    def state(self) -> dict[str, Any]:
        return {"snap": self.snapshots.state(), "since": self.since}

    def parse_whole(self, path: Path) -> Batch:
        batch = Batch()
        with database(path) as conn:
            if "sessions" in tables(conn):
                self._sessions(conn, batch)
        return batch

    def _sessions(self, conn: sqlite3.Connection, batch: Batch) -> None:
        cols = columns(conn, "sessions")
        if not {"id", "cost"} <= cols:
            return
        pick = ", ".join(c if c in cols else "NULL" for c in ("parent_session_id", "created_at", "updated_at"))
        rows = conn.execute(f"SELECT id, cost, {pick} FROM sessions ORDER BY id").fetchall()
        for record, (sid, cost, parent, created, updated) in enumerate(rows, start=1):
            if not isinstance(sid, str) or parent:  # a sub-agent's cost is already in its parent's
                continue
            value = number(cost)
            created_ms, updated_ms = _when(created), _when(updated)
            if value is None or value < 0 or (created_ms is None and updated_ms is None):
                batch.skipped_lines.append(record)
                continue
            observed = updated_ms or created_ms
            assert observed is not None
            delta = self.snapshots.observe(sid, [round(value * NANO)], observed, start_ms=created_ms)
            if delta is None:
                continue
            model, provider = self._model(conn, sid, self.since.get(sid, 0))
            self.since[sid] = observed // 1000
            nano = int(delta.values[0])
            batch.events.append(
                UsageEvent(
                    source=SOURCE,
                    dedup_key=f"{sid}:{delta.key_ts}",
                    ts_ms=delta.ts_ms,
                    tokens=Tokens(),  # not recorded: see the module docstring
                    model=model,
                    granularity="session",
                    session_id=sid,
                    project_path=self.project,
                    provider=provider,
                    stored_cost=nano / NANO,
                    stored_cost_unit="usd",
                    raw_offset=record,
                )
            )
            batch.sessions.append(
                SessionInfo(source=SOURCE, session_id=sid, ts_ms=created_ms or observed, last_ts_ms=observed,
                            project_path=self.project)  # fmt: skip
            )

    def _model(self, conn: sqlite3.Connection, sid: str, since_s: int) -> tuple[str | None, str | None]:
        """The model of the delta, when the session (with its sub-agents) used exactly one since the last one."""
        if "messages" not in tables(conn):
            return None, None
        if not {"model", "session_id", "role", "created_at"} <= columns(conn, "messages"):
            return None, None
        provider_col = "provider" if "provider" in columns(conn, "messages") else "NULL"
        rows = conn.execute(
            f"SELECT DISTINCT model, {provider_col} FROM messages WHERE role = 'assistant' AND model IS NOT NULL "
            "AND (session_id = ? OR session_id IN (SELECT id FROM sessions WHERE parent_session_id = ?)) "
            "AND created_at >= ?",
            (sid, sid, since_s),
        ).fetchall()
        models = {text(m) for m, _ in rows if text(m)}
        if len(models) != 1:
            return None, None
        providers = {text(p) for m, p in rows if text(p)}
        return models.pop(), providers.pop() if len(providers) == 1 else None
