"""Zed's agent threads (`threads.db`): `cumulative_token_usage` per thread as snapshot deltas (LOG-FORMATS §3.11).

`request_token_usage` keeps only the last request of each turn (tokscale sessions/zed.rs), so it is
never read. A thread is decoded again only when its `updated_at` moved; its counters go through
desktop.sources.cumulative (positive deltas, a lower counter becomes the baseline).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from desktop.model import Batch, Prompt, SessionInfo, ToolCall, ToolError, Tokens, UsageEvent
from desktop.sources.base import Environment, ParseContext, bytes_hash, named_files, text_hash
from desktop.sources.counts import BadCount, count
from desktop.sources.cumulative import Snapshots
from desktop.sources.jsonish import canonical, decode, obj, seq, text
from desktop.sources.sqlite_reader import columns, database, tables
from desktop.sources.timestamps import iso_to_ms

SOURCE = "zed"
DB_NAME = "threads.db"
MAX_THREAD_BYTES = 32 << 20  # tokscale MAX_ZED_THREAD_JSON_BYTES: a bigger payload is corrupt
OPTIONAL = ("created_at", "folder_paths", "folder_paths_order", "parent_id")


class Zed:
    id = SOURCE
    name = "Zed"
    measured = True
    mode = "database"
    conflict = "first"  # one delta per observation; its key never comes back with other numbers

    def threads_dirs(self, env: Environment) -> list[Path]:
        # tokscale sessions/zed.rs: XDG data dir on Linux/FreeBSD, Application Support on macOS, LOCALAPPDATA on Windows
        if env.platform == "darwin":
            return [env.home / "Library" / "Application Support" / "Zed" / "threads"]
        if env.platform == "win32":
            return [Path(env.var("LOCALAPPDATA") or env.home / "AppData" / "Local") / "Zed" / "threads"]
        return [env.xdg_data_home() / "zed" / "threads"]

    def roots(self, env: Environment) -> list[Path]:
        return self.threads_dirs(env)

    def discover(self, env: Environment, extra: list[Path]) -> Iterator[str]:
        yield from named_files(self.threads_dirs(env), extra, DB_NAME)

    def parser(self, path: Path, state: dict[str, Any], context: ParseContext) -> ZedParser:
        return ZedParser(state, context)


# --- zstd ----------------------------------------------------------------------------------


def zstd_decompress(data: bytes, limit: int = MAX_THREAD_BYTES) -> bytes:
    """A whole zstd frame (with or without its content size, as Zed's streaming encoder writes it)."""
    import zstandard  # only when a compressed thread turns up

    try:
        with zstandard.ZstdDecompressor().stream_reader(data) as reader:
            out = reader.read(limit + 1)
    except zstandard.ZstdError as exc:
        raise ValueError(f"zstd: {exc}") from None  # a corrupt thread is a bad record
    if len(out) > limit:
        raise ValueError("thread payload too large")
    return out


# --- threads --------------------------------------------------------------------------------------


def _project(paths: Any, order: Any) -> str | None:
    """`folder_paths` (newline separated) ordered by `folder_paths_order` ("1,0": the second path first)."""
    names = [p.strip() for p in paths.splitlines() if p.strip()] if isinstance(paths, str) else []
    if not names:
        return None
    if isinstance(order, str):
        ranks = []
        for index, part in enumerate(order.split(",")):
            if part.strip().isdigit() and index < len(names):
                ranks.append((int(part.strip()), index))
        if ranks:
            return names[min(ranks)[1]]
    return names[0]


def _message_parts(message: Any) -> tuple[str | None, dict[str, Any]]:
    """("user" | "agent" | None, body): agent threads write `{"User": {...}}` / `{"Agent": {...}}`,
    older threads `{"role": "user", "segments": [...]}`."""
    message = obj(message)
    if "User" in message:
        return "user", obj(message["User"])
    if "Agent" in message:
        return "agent", obj(message["Agent"])
    role = message.get("role")
    if role in ("user", "assistant"):
        return ("user" if role == "user" else "agent"), message
    return None, {}


def _user_text(body: dict[str, Any]) -> str:
    texts: list[str] = []
    for item in seq(body.get("content")):
        if isinstance(item, dict) and isinstance(item.get("Text"), str):
            texts.append(item["Text"])
    for segment in seq(body.get("segments")):
        if isinstance(segment, dict) and segment.get("type") == "text" and isinstance(segment.get("text"), str):
            texts.append(segment["text"])
    return "\n".join(t for t in texts if t.strip())


class ZedParser:
    """State: `snap` (last counters per thread) and `seen` (thread -> `updated_at` last decoded)."""

    def __init__(self, state: dict[str, Any], context: ParseContext) -> None:
        self.context = context
        self.snapshots = Snapshots(state.get("snap"))
        self.seen: dict[str, str] = dict(state.get("seen", {}))
        self.record = 0

    def state(self) -> dict[str, Any]:
        return {"snap": self.snapshots.state(), "seen": self.seen}

    def parse_whole(self, path: Path) -> Batch:
        batch = Batch()
        self._read(path, batch)
        return batch

    def _read(self, path: Path, batch: Batch) -> None:
        with database(path) as conn:  # damaged or not a database: reported unreadable, tried again later
            if "threads" not in tables(conn):
                return
            cols = columns(conn, "threads")
            extra = ", ".join(c if c in cols else "NULL" for c in OPTIONAL)
            changed = [(tid, stamp) for tid, stamp in conn.execute("SELECT id, updated_at FROM threads ORDER BY id")
                       if isinstance(tid, str) and self.seen.get(tid) != str(stamp)]  # fmt: skip
            for thread_id, stamp in changed:
                row = conn.execute(f"SELECT data_type, data, {extra} FROM threads WHERE id = ?", (thread_id,)).fetchone()
                self.record += 1
                if row is None:
                    continue
                try:
                    self._thread(thread_id, stamp, row, batch)
                except (BadCount, ValueError):
                    batch.skipped_lines.append(self.record)
                self.seen[thread_id] = str(stamp)

    def _thread(self, thread_id: str, stamp: Any, row: tuple, batch: Batch) -> None:
        data_type, blob, created_at, folder_paths, folder_order, parent = row
        raw = bytes(blob) if isinstance(blob, (bytes, memoryview)) else str(blob or "").encode()
        kind = str(data_type or "json").strip().lower()
        if kind == "zstd":
            raw = zstd_decompress(raw)
        elif kind != "json":
            raise ValueError(f"unknown data_type {kind!r}")
        thread = obj(decode(raw))
        if thread.get("imported") is True:
            return  # a thread imported from elsewhere: its usage was counted where it ran
        updated = iso_to_ms(str(stamp)) or iso_to_ms(text(thread.get("updated_at")))
        created = iso_to_ms(text(created_at))
        if updated is None:
            raise ValueError("thread without updated_at")
        project = _project(folder_paths, folder_order)
        parent_id = text(parent)
        usage = obj(thread.get("cumulative_token_usage"))
        counters = [count(usage.get(k)) for k in ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")]
        # the first delta holds the thread's history: dated at its creation (LOG-FORMATS §3.11)
        delta = self.snapshots.observe(thread_id, counters, updated, start_ms=created)
        model = obj(thread.get("model"))
        if delta is not None:
            d_in, d_out, d_write, d_read = (int(v) for v in delta.values)
            batch.events.append(
                UsageEvent(
                    source=SOURCE,
                    dedup_key=f"{thread_id}:{delta.key_ts}",
                    ts_ms=delta.ts_ms,
                    tokens=Tokens(input_uncached=d_in, cache_read=d_read, cache_write_5m=d_write, output=d_out),
                    model=text(model.get("model")),
                    granularity="session",
                    session_id=thread_id,
                    parent_session_id=parent_id,
                    is_sidechain=parent_id is not None,
                    project_path=project,
                    client_version=text(thread.get("version")),
                    provider=text(model.get("provider")),
                )
            )
        self._conversation(thread_id, thread, updated, batch)
        batch.sessions.append(
            SessionInfo(source=SOURCE, session_id=thread_id, ts_ms=created or updated, last_ts_ms=updated,
                        project_path=project, parent_session_id=parent_id,
                        entrypoint="subagent" if parent_id else None, client_version=text(thread.get("version")))  # fmt: skip
        )

    def _conversation(self, thread_id: str, thread: dict[str, Any], ts: int, batch: Batch) -> None:
        """Prompts and tool calls: no per-message time is stored, so the thread's save time stands in."""
        for index, message in enumerate(seq(thread.get("messages"))):
            role, body = _message_parts(message)
            if role == "user":
                body_text = _user_text(body)
                if body_text.strip():
                    digest = text_hash(body_text)
                    key = text(body.get("id")) or f"{index}:{digest}"
                    batch.prompts.append(
                        Prompt(source=SOURCE, prompt_key=f"{thread_id}:{key}", session_id=thread_id, ts_ms=ts,
                               text_hash=digest, length=len(body_text), excerpt=self.context.excerpt(body_text))  # fmt: skip
                    )
            elif role == "agent":
                for item in seq(body.get("content")):
                    use = obj(obj(item).get("ToolUse"))
                    call_id, name = text(use.get("id")), text(use.get("name"))
                    if call_id and name:
                        args = use.get("input")
                        path = obj(args).get("path")
                        batch.tool_calls.append(
                            ToolCall(source=SOURCE, call_key=call_id, session_id=thread_id, ts_ms=ts, name=name,
                                     args_hash=bytes_hash(name.encode() + b"\0" + canonical(args)),
                                     file_path=path if isinstance(path, str) else None)  # fmt: skip
                        )
                for call_id, result in obj(body.get("tool_results")).items():
                    if obj(result).get("is_error") is True:
                        batch.tool_errors.append(ToolError(SOURCE, str(call_id)))
