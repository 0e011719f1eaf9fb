"""Kiro (AWS): CLI session files, the kiro-cli SQLite store and Kiro IDE globalStorage (LOG-FORMATS §3.14).

Sessions, turns, times, durations, models, cwd and prompts are real; **tokens are estimates**
(`is_estimate = 1`, cache 0, reasoning 0), computed exactly as tokscale does (sessions/kiro.rs):

- CLI `~/.kiro/sessions/cli/<uuid>.json` (+ its `<uuid>.jsonl` transcript), one row per
  `user_turn_metadatas[i]`, key `<session_id>:<i>`: input = `input_token_count` if > 0, else
  floor(context window x `context_usage_percentage` / 100) if both > 0, else ceil(prompt chars / 4);
  output = `output_token_count` if > 0, else ceil(assistant chars / 4). Prompt chars are those of the
  `Prompt` entry before each of the turn's `AssistantMessage` ids. Time: the prompt's
  `meta.timestamp`, else `end_timestamp`, else the file's mtime.
- kiro-cli `data.sqlite3` `conversations_v2`, one row per `history[i]`, key `<conversation_id>:<i>`:
  input = floor(context window x percentage / 100) else 0, output = ceil(`response_size` / 4), time
  `request_start_timestamp_ms`.
- IDE execution records (`status == "succeed"` only), key `execution:<executionId>`: ceil(chars / 4)
  of the context and input text, and of the `say` / `reasoning` actions. IDE `.chat` snapshots,
  dated by mtime: ceil(chars / 4) of user and assistant text; a snapshot naming an `executionId`
  carries `alt_key = execution:<id>` and has no row while that execution's row exists (the archive
  drops it, migration m004, whichever file is read first).

The CLI `.json` is the file watched: its turn metadata is rewritten when a turn ends, after that
turn's transcript lines [unverified], so a change of the `.json` re-reads both; a turn whose `.json`
entry is not written yet has no row yet. Turns with no input and no output are skipped. A turn's
duration (end - start) shows as its session's last activity; the archive has no per-row duration
column, nor one for the number of model calls in a turn (`total_request_count`). Model:
`model_info.model_id`, else `unknown` (CLI); the first non-placeholder `model_id` / `modelId` /
`model` in the document, else `auto` (IDE); `auto` and `unknown` set `model_is_fallback`. Provider:
`amazon-bedrock`, as tokscale fixes it. The IDE's `workspace-sessions/` files are not read: they
repeat the conversations the execution records hold, and carry no time of their own.
"""

from __future__ import annotations

import math
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.model import Batch, SessionInfo, Tokens, UsageEvent
from desktop.sources._jsonl_common import BAD_LINE, prompt, unique
from desktop.sources.base import Environment, ParseContext, Stateless, named_files, walk_file_names
from desktop.sources.counts import BadCount, count
from desktop.sources.jsonish import decode, number, obj, seq, text
from desktop.sources.sqlite_reader import columns, database, tables
from desktop.sources.timestamps import epoch_to_ms, iso_to_ms

SOURCE = "kiro"
PROVIDER = "amazon-bedrock"
PLACEHOLDER_MODELS = {"agent", "auto", "qdev"}  # Kiro-internal names, never a model (tokscale kiro.rs)
FALLBACK_MODELS = {"auto", "unknown"}
MAX_DOCUMENT_BYTES = 64 << 20
# globalStorage/kiro.kiroagent folders that hold no conversations (indexes, diffs, telemetry)
SKIPPED_IDE_DIRS = {"dev_data", "index", ".diffs", ".migrations", ".utils"}
DB_NAME = "data.sqlite3"
MAX_MS = 10**14  # year 5138: a larger time is a corrupt field (SQLite integers overflow past 9.2e18)


def cli_sessions_dir(env: Environment) -> Path:
    return env.home / ".kiro" / "sessions" / "cli"


def ide_storage_dir(env: Environment) -> Path:
    """`<Kiro User>/globalStorage/kiro.kiroagent` (vibe-usage src/parsers/kiro.js; Linux and Windows
    follow the VS Code layout [unverified])."""
    return env.app_support() / "Kiro" / "User" / "globalStorage" / "kiro.kiroagent"


def cli_db_dirs(env: Environment) -> list[Path]:
    # vibe-usage src/parsers/kiro.js getKiroCliDbPath
    if env.platform == "win32":
        return [env.app_support() / "kiro-cli"]
    if env.platform == "darwin":
        return [env.app_support() / "kiro-cli"]
    return unique([env.xdg_data_home() / "kiro-cli", env.home / ".local" / "share" / "kiro-cli"])


class Kiro:
    """The JSON documents: CLI session files and IDE globalStorage files, parsed whole on change."""

    id = SOURCE
    name = "Kiro"
    measured = False  # every token figure is an estimate
    note = ("every token figure is an estimate (context share x context window, or characters / 4); Kiro bills in "
            "credits, which it does not keep on this machine")
    mode = "document"
    conflict = "replace"  # an estimate is recomputed when its file (or transcript) grows

    def roots(self, env: Environment) -> list[Path]:
        return [cli_sessions_dir(env), ide_storage_dir(env)]

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        yield from _cli_files(str(cli_sessions_dir(env)))
        yield from _ide_files(str(ide_storage_dir(env)))
        for folder in extra:
            yield from _cli_files(str(folder))
            yield from _ide_files(str(folder))

    def parser(self, path: Path, state: dict[str, Any], context: ParseContext) -> DocumentParser:
        return DocumentParser(context)


class KiroCliDatabase:
    """kiro-cli's `data.sqlite3` (`conversations_v2`). Register it next to `Kiro`."""

    id = "kiro-cli-db"
    part_of = SOURCE  # one assistant, two readers: `--source kiro` and the settings cover both
    name = "Kiro CLI (data.sqlite3)"
    measured = False
    mode = "database"
    conflict = "replace"  # a conversation's value is rewritten as it grows

    def roots(self, env: Environment) -> list[Path]:
        return cli_db_dirs(env)

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        yield from named_files(cli_db_dirs(env), extra, DB_NAME)

    def parser(self, path: Path, state: dict[str, Any], context: ParseContext) -> DatabaseParser:
        return DatabaseParser(state, context)


def _cli_files(folder: str) -> Iterator[str]:
    """`<uuid>.json`: it holds the turns; its `<uuid>.jsonl` transcript is read along with it."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return
    for name in names:
        if name.endswith(".json"):
            yield os.path.join(folder, name)


def _ide_files(root: str) -> Iterator[str]:
    """`.chat` snapshots and execution records (no extension, or `.json`) under kiro.kiroagent."""
    if os.path.basename(os.path.normpath(root)) != "kiro.kiroagent":
        root = os.path.join(root, "kiro.kiroagent")  # an extra folder may be the globalStorage above it
    try:
        tops = sorted(os.listdir(root))
    except OSError:
        return
    for top in tops:
        if top in SKIPPED_IDE_DIRS or top == "workspace-sessions":
            continue  # workspace-sessions repeat what executions hold: one surface per conversation
        folder = os.path.join(root, top)
        if not os.path.isdir(folder):
            continue
        for path in walk_file_names(folder, ""):
            name = os.path.basename(path)
            if name.endswith((".chat", ".json")) or "." not in name:
                yield path


# --- shared estimation ---------------------------------------------------------------------------


def estimate(chars: int) -> int:
    """ceil(chars / 4), chars being Unicode characters (tokscale estimate_tokens)."""
    return (chars + 3) // 4


def context_estimate(window: Any, percentage: Any) -> int:
    """floor(context window x context_usage_percentage / 100), when both are positive."""
    size, share = number(window), number(percentage)
    if size is None or share is None or size <= 0 or share <= 0:
        return 0
    found = size * share / 100.0
    if not math.isfinite(found) or found > 1e12:
        raise BadCount(f"context estimate {found!r}")  # a corrupt share is a bad record, never a huge number
    return int(found)


def when_ms(value: Any) -> int | None:
    """Seconds or milliseconds (numbers or numeric text), or RFC 3339 text (tokscale parse_timestamp_value)."""
    if isinstance(value, str):
        found = iso_to_ms(value.strip())
        if found is not None:
            return found
        try:
            value = float(value)
        except ValueError:
            return None
    found = number(value)
    ms = epoch_to_ms(found) if found is not None else None
    return ms if ms is not None and 0 <= ms < MAX_MS else None


def _explicit(value: Any) -> int:
    """A count Kiro wrote; a negative one counts as none (kiro.rs `.max(0)`)."""
    found = number(value)
    return 0 if found is not None and found < 0 else count(value)


def _model_fields(model: str) -> dict[str, Any]:
    return {"model": model, "model_is_fallback": model in FALLBACK_MODELS, "provider": PROVIDER}


@dataclass
class _Turn:
    prompt_chars: int = 0
    assistant_chars: int = 0
    prompt_ms: int | None = None


# --- the JSON documents --------------------------------------------------------------------------


class DocumentParser(Stateless):
    def parse_whole(self, path: Path) -> Batch:
        batch = Batch()
        try:
            size = os.path.getsize(path)
            if size > MAX_DOCUMENT_BYTES:
                batch.skipped_lines.append(1)
                return batch
            doc = decode(path.read_bytes())
            mtime = int(os.stat(path).st_mtime_ns // 1_000_000)
            if not isinstance(doc, dict):
                return batch  # an index or list: not a conversation
            if isinstance(doc.get("session_state"), dict) or "session_id" in doc:
                self._cli(path, doc, mtime, batch)
            elif isinstance(doc.get("executionId"), str) and isinstance(doc.get("actions"), list):
                self._execution(path, doc, mtime, batch)
            elif path.name.endswith(".chat"):
                self._snapshot(path, doc, mtime, batch)
        except BAD_LINE:
            batch.skipped_lines.append(1)
        return batch

    # CLI session: <uuid>.json + <uuid>.jsonl (tokscale kiro.rs parse_kiro_file)
    def _cli(self, path: Path, doc: dict[str, Any], mtime: int, batch: Batch) -> None:
        session_id = text(doc.get("session_id")) or path.stem
        cwd = text(doc.get("cwd"))
        state = obj(doc.get("session_state"))
        info = obj(obj(state.get("rts_model_state")).get("model_info"))
        model = text(info.get("model_id")) or "unknown"
        window = info.get("context_window_tokens")
        content = self._transcript(path.with_suffix(".jsonl"), session_id, batch)
        first = last = None
        turns = seq(obj(state.get("conversation_metadata")).get("user_turn_metadatas"))
        for index, turn in enumerate(map(obj, turns)):
            found = _Turn()
            for message_id in seq(turn.get("message_ids")):
                part = content.get(message_id) if isinstance(message_id, str) else None
                if part is None:
                    continue
                found.prompt_chars += part.prompt_chars
                found.assistant_chars += part.assistant_chars
                if found.prompt_ms is None:
                    found.prompt_ms = part.prompt_ms
            tokens_in = (_explicit(turn.get("input_token_count"))
                         or context_estimate(window, turn.get("context_usage_percentage"))
                         or estimate(found.prompt_chars))  # fmt: skip
            tokens_out = _explicit(turn.get("output_token_count")) or estimate(found.assistant_chars)
            if not (tokens_in or tokens_out):
                continue
            end = when_ms(turn.get("end_timestamp"))
            ts = found.prompt_ms if found.prompt_ms is not None else end if end is not None else mtime
            batch.events.append(
                UsageEvent(source=SOURCE, dedup_key=f"{session_id}:{index}", ts_ms=ts, granularity="turn",
                           tokens=Tokens(input_uncached=tokens_in, output=tokens_out), session_id=session_id,
                           project_path=cwd, is_estimate=True, raw_offset=index, **_model_fields(model))  # fmt: skip
            )
            first = ts if first is None else min(first, ts)
            last = max(last or ts, ts, end or ts)
        if first is not None:
            batch.sessions.append(SessionInfo(source=SOURCE, session_id=session_id, ts_ms=first, last_ts_ms=last or first,
                                              project_path=cwd, entrypoint="cli"))  # fmt: skip

    def _transcript(self, path: Path, session_id: str, batch: Batch) -> dict[str, _Turn]:
        """Characters per AssistantMessage id, with the Prompt before it; prompts recorded on the way."""
        found: dict[str, _Turn] = {}
        pending: tuple[int, int | None] | None = None
        try:
            data = path.read_bytes()
        except OSError:
            return found
        for raw in data.split(b"\n"):
            if not raw.strip():
                continue
            try:
                entry = decode(raw)
            except ValueError:
                continue  # a bad transcript line costs its characters, not the session
            entry = obj(entry)
            body = obj(entry.get("data"))
            message_id = body.get("message_id")
            if not isinstance(message_id, str):
                continue
            parts = [obj(p) for p in seq(body.get("content"))]
            texts = [p["data"] for p in parts if p.get("kind") in (None, "text") and isinstance(p.get("data"), str)]
            chars = sum(len(t) for t in texts)
            if entry.get("kind") == "Prompt":
                seconds = number(obj(body.get("meta")).get("timestamp"))
                ok = seconds is not None and 0 <= seconds < MAX_MS / 1000
                at = int(seconds * 1000) if ok else None  # float seconds, truncated (kiro.rs seconds_to_millis)
                pending = (chars, at)
                body_text = "\n".join(t for t in texts if t.strip())
                if at is not None and body_text.strip():
                    key = f"{session_id}:{message_id}"
                    batch.prompts.append(prompt(SOURCE, key, session_id, at, body_text, self.context))
            elif entry.get("kind") == "AssistantMessage":
                turn = found.setdefault(message_id, _Turn())
                if pending is not None:
                    turn.prompt_chars += pending[0]
                    if turn.prompt_ms is None:
                        turn.prompt_ms = pending[1]
                    pending = None
                turn.assistant_chars += chars
        return found

    # IDE execution record (tokscale kiro.rs try_parse_kiro_execution_file)
    def _execution(self, path: Path, doc: dict[str, Any], mtime: int, batch: Batch) -> None:
        if doc.get("status") != "succeed":
            return
        execution_id = doc["executionId"]
        session_id = text(doc.get("chatSessionId")) or execution_id
        start = when_ms(doc.get("startTime"))
        ts = start if start is not None else mtime
        end = when_ms(doc.get("endTime"))
        said = 0
        for action in map(obj, seq(doc.get("actions"))):
            if action.get("actionType") not in ("say", "reasoning"):
                continue
            output = action.get("output")
            message = output if isinstance(output, str) else obj(output).get("message")
            said += len(message) if isinstance(message, str) else 0
        read = 0
        for message in map(obj, seq(obj(doc.get("context")).get("messages"))):
            for entry in map(obj, seq(message.get("entries"))):
                if entry.get("type") == "text" and isinstance(entry.get("text"), str):
                    read += len(entry["text"])
        for message in map(obj, seq(obj(obj(doc.get("input")).get("data")).get("messages"))):
            content = message.get("content")
            if isinstance(content, str):
                read += len(content)
            for part in map(obj, seq(content)):
                if part.get("type") == "text" and isinstance(part.get("text"), str):
                    read += len(part["text"])
        tokens = Tokens(input_uncached=estimate(read), output=estimate(said))
        if not (tokens.input_uncached or tokens.output):
            return
        model = find_model(doc) or "auto"
        batch.events.append(
            UsageEvent(source=SOURCE, dedup_key=f"execution:{execution_id}", ts_ms=ts, granularity="turn", tokens=tokens,
                       session_id=session_id, is_estimate=True, **_model_fields(model))  # fmt: skip
        )
        last = end if end is not None and end > ts else ts
        batch.sessions.append(
            SessionInfo(source=SOURCE, session_id=session_id, ts_ms=ts, last_ts_ms=last, entrypoint="ide")
        )

    # IDE `.chat` snapshot (tokscale kiro.rs parse_kiro_global_storage_file)
    def _snapshot(self, path: Path, doc: dict[str, Any], mtime: int, batch: Batch) -> None:
        counts = [0, 0]
        collect_text(doc, counts, None)
        tokens = Tokens(input_uncached=estimate(counts[0]), output=estimate(counts[1]))
        if not (tokens.input_uncached or tokens.output):
            return
        workspace = _workspace_of(path)
        session_id = f"{workspace}/{path.stem}" if workspace else path.stem
        execution_id = text(doc.get("executionId"))
        key = f"{session_id}:globalstorage" + (f":exec:{execution_id}" if execution_id else "")
        model = find_model(doc) or "auto"
        batch.events.append(
            UsageEvent(source=SOURCE, dedup_key=key, ts_ms=mtime, granularity="turn", tokens=tokens, session_id=session_id,
                       is_estimate=True, alt_key=f"execution:{execution_id}" if execution_id else None,
                       **_model_fields(model))  # fmt: skip
        )


def _workspace_of(path: Path) -> str | None:
    parts = path.parts
    for index, part in enumerate(parts[:-1]):
        if part == "kiro.kiroagent" and index + 1 < len(parts) - 1:
            return parts[index + 1]
    return None


PROMPT_ROLES = {"user", "prompt", "human"}
ASSISTANT_ROLES = {"assistant", "response", "bot"}  # "tool" (injected context) counts as neither
# aliases of one payload: a subtree equal to one already visited in its group is not counted twice
TEXT_GROUPS = (
    ("prompt", "response", "content", "text", "message"),
    ("messages", "conversation", "chat", "transcript", "entries", "events", "history"),
    ("parts", "items", "nodes"),
)
MODEL_CONTAINERS = (*TEXT_GROUPS[1], *TEXT_GROUPS[0], *TEXT_GROUPS[2], "promptLogs", "completionOptions")


def collect_text(value: Any, counts: list[int], role: int | None) -> None:
    """Characters of user (counts[0]) and assistant (counts[1]) text in a snapshot
    (tokscale kiro.rs collect_kiro_snapshot_text)."""
    if isinstance(value, dict):
        for field in ("role", "type"):
            kind = value.get(field)
            if isinstance(kind, str):
                role = 0 if kind in PROMPT_ROLES else 1 if kind in ASSISTANT_ROLES else role
        for group in TEXT_GROUPS:
            visited: list[Any] = []
            for key in group:
                if key in value:
                    item = value[key]
                    if item in visited:
                        continue
                    visited.append(item)
                    collect_text(item, counts, role)
    elif isinstance(value, list):
        for item in value:
            collect_text(item, counts, role)
    elif isinstance(value, str) and role is not None:
        counts[role] += len(value)


def find_model(value: Any) -> str | None:
    """The first model id that is not a Kiro placeholder (tokscale find_kiro_snapshot_model_id)."""
    if isinstance(value, dict):
        for key in ("model_id", "modelId", "model"):
            name = text(value.get(key))
            if name and name.lower() not in PLACEHOLDER_MODELS:
                return name
        for key in MODEL_CONTAINERS:
            if key in value:
                found = find_model(value[key])
                if found:
                    return found
    elif isinstance(value, list):
        for item in value:
            found = find_model(item)
            if found:
                return found
    return None


# --- kiro-cli data.sqlite3 -----------------------------------------------------------------------


class DatabaseParser:
    """State: `updated`, the newest `conversations_v2.updated_at` read (when the column exists)."""

    def __init__(self, state: dict[str, Any], context: ParseContext) -> None:
        self.context = context
        self.updated = state.get("updated")
        self.record = 0

    def state(self) -> dict[str, Any]:
        return {"updated": self.updated}

    def parse_whole(self, path: Path) -> Batch:
        batch = Batch()
        with database(path) as conn:
            if "conversations_v2" in tables(conn):
                self._conversations(conn, batch)
        return batch

    def _conversations(self, conn: sqlite3.Connection, batch: Batch) -> None:
        cols = columns(conn, "conversations_v2")
        if not {"key", "conversation_id", "value"} <= cols:
            return
        query = "SELECT key, conversation_id, value{} FROM conversations_v2"
        params: tuple[Any, ...] = ()
        if "updated_at" in cols:
            query = query.format(", updated_at")
            if self.updated is not None:
                query += " WHERE updated_at >= ?"  # an equal stamp is read again: harmless, rows are replaced by key
                params = (self.updated,)
        else:
            query = query.format(", NULL")
        for cwd, conversation_id, value, updated in conn.execute(query, params):
            self.record += 1
            if isinstance(updated, (int, float)) and (self.updated is None or updated > self.updated):
                self.updated = updated
            try:
                self._conversation(text(cwd), text(conversation_id), value, batch)
            except BAD_LINE:
                batch.skipped_lines.append(self.record)

    def _conversation(self, cwd: str | None, conversation_id: str | None, value: Any, batch: Batch) -> None:
        # tokscale kiro.rs parse_kiro_sqlite (KiroDbConversation / KiroDbRequestMetadata)
        doc = decode(value)
        if not isinstance(doc, dict) or conversation_id is None:
            raise ValueError("conversation without id or value")
        info = obj(doc.get("model_info"))
        model = text(info.get("model_id")) or "unknown"
        first = last = None
        for index, turn in enumerate(map(obj, seq(doc.get("history")))):
            meta = turn.get("request_metadata")
            if not isinstance(meta, dict):
                continue
            share = meta.get("context_usage_percentage")
            tokens = Tokens(input_uncached=context_estimate(info.get("context_window_tokens"), share),
                            output=estimate(count(meta.get("response_size"))))  # fmt: skip
            start = when_ms(meta.get("request_start_timestamp_ms"))
            end = when_ms(meta.get("stream_end_timestamp_ms"))
            ts = start if start is not None else end
            said = _prompt_text(turn.get("user"))
            if ts is not None and said:
                key = f"{conversation_id}:{index}"
                batch.prompts.append(prompt(SOURCE, key, conversation_id, ts, said, self.context))
            if not (tokens.input_uncached or tokens.output):
                continue
            if ts is None:
                raise ValueError("turn without a time")
            batch.events.append(
                UsageEvent(source=SOURCE, dedup_key=f"{conversation_id}:{index}", ts_ms=ts, granularity="turn",
                           tokens=tokens, session_id=conversation_id, project_path=cwd, is_estimate=True,
                           raw_offset=index, **_model_fields(model))  # fmt: skip
            )
            first = ts if first is None else min(first, ts)
            last = max(last or ts, ts, end or ts)
        if first is not None:
            batch.sessions.append(SessionInfo(source=SOURCE, session_id=conversation_id, ts_ms=first,
                                              last_ts_ms=last or first, project_path=cwd, entrypoint="cli"))  # fmt: skip


def _prompt_text(user: Any) -> str:
    """`history[i].user.content.Prompt.prompt` (Amazon Q / kiro-cli ConversationState) [unverified]."""
    found = obj(obj(obj(user).get("content")).get("Prompt")).get("prompt")
    return found.strip() if isinstance(found, str) else ""
